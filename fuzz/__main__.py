"""`make fuzz`: the long hostile-input fuzz of the local endpoint and of the handler, with its figures.

    python -m fuzz [--seed N] [--requests 20000] [--events 20000] [--template PATH]

It synthesizes the stack (or reads ``--template``), starts the local endpoint on emulated AWS with the sample
images, harvests real tokens by walking every listing, then sends the hostile requests over HTTP and the
hostile events into the handler, and prints the seed and a figures table. Exit status 1 if any answer was a
5xx, not JSON, a leak, or no answer at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from local import LocalEndpoint, synthesize_template

from .runner import figures_table, fuzz_gateway, fuzz_handler, harvest_tokens
from .tokens import HostileTokens

# Small pages: every listing spans several, so that there are many real tokens to harvest and abuse.
_PAGE_SIZE = 5
_PROGRESS_EVERY = 2000


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fuzz", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--seed", type=int, help="the random seed (default: a new one, printed)")
    parser.add_argument("--requests", type=int, default=20_000, help="signed requests through the gateway")
    parser.add_argument("--events", type=int, default=20_000, help="events straight into the handler")
    parser.add_argument("--workers", type=int, default=6, help="HTTP clients sending at once")
    parser.add_argument("--template", type=Path, help="a synthesized template (default: run cdk synth)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fuzz; return 0 when every answer was sound, 1 otherwise."""
    arguments = _arguments(argv)
    # What the Makefile exports, for a run without make: no 1,300 public AMIs per emulated Region.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    seed = arguments.seed if arguments.seed is not None else int.from_bytes(os.urandom(4), "big")
    print(f'seed {seed} (repeat with: make fuzz ARGS="--seed {seed}")', flush=True)
    # The function and the gateway log every request; the figures are what matters here.
    logging.basicConfig(level=logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    if arguments.template:
        template = json.loads(arguments.template.read_text())
    else:
        print("Synthesizing with the pinned CDK CLI...", flush=True)
        template = synthesize_template()
    with LocalEndpoint(template, page_size=_PAGE_SIZE) as endpoint:
        regions = endpoint.catalog.regions if endpoint.catalog else (endpoint.region,)
        harvested = harvest_tokens(endpoint, regions)
        print(f"harvested {len(harvested)} real tokens from walks of every listing", flush=True)
        rng = random.Random(seed)
        tokens = HostileTokens(rng, harvested)
        gateway = fuzz_gateway(
            endpoint,
            rng,
            tokens,
            requests=arguments.requests,
            workers=arguments.workers,
            progress_every=_PROGRESS_EVERY,
        )
        handler = fuzz_handler(endpoint, rng, tokens, events=arguments.events, progress_every=_PROGRESS_EVERY)
    print(figures_table([gateway, handler]), flush=True)
    failed = any(part.findings for part in (gateway, handler))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
