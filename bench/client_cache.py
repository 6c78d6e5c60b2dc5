"""What a cached botocore client costs, and how many the runtime keeps: the figures behind
``listimages.sources.client_capacity`` (see docs/hostile-input-runtime.md).

Prints, measured in a fresh process for each kind of session (the trimmed service models the runtime ships,
and botocore's full models, its fallback): the RSS after importing the handler and creating the first client
of each service (the baseline), then the RSS and CPU time each further client adds (one per service and
Region of the ``aws`` partition); then the capacity the runtime derives for a few memory sizes and
allow-lists.

Run: ``.venv/bin/python bench/client_cache.py`` (no network, no AWS: creating a client makes no call).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.update(
    {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
sys.path.insert(0, str(REPO / "runtime"))

from listimages import aws_session, handler, sources  # noqa: E402, F401  (the function's own imports)
from listimages.regions import region_rules  # noqa: E402

FULL_MODELS = "--full-models"


def rss_mib() -> float:
    """The resident set size of this process now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def regions() -> list[str]:
    """The Regions of the home partition that botocore knows (pseudo-Regions left out)."""
    return sorted(name for name in region_rules().partition.known_regions if not name.endswith("-global"))


def measure(full_models: bool) -> dict[str, float]:
    """The baseline RSS, and the RSS and CPU each further client adds, in this process."""
    if full_models:
        aws_session.state.usable = False  # what the runtime falls back to when a trimmed model cannot be used
    services = list(aws_session.OPERATION_BY_SERVICE)
    kept = [sources.create_botocore_client(service, "us-east-1") for service in services]
    gc.collect()
    baseline = rss_mib()
    started_cpu = time.process_time()
    for region in regions()[1:]:
        kept += [sources.create_botocore_client(service, region) for service in services]
    gc.collect()
    added = len(kept) - len(services)
    return {
        "baseline_mib": baseline,
        "client_kib": (rss_mib() - baseline) * 1024 / added,
        "client_cpu_ms": (time.process_time() - started_cpu) * 1000 / added,
        "clients": added,
    }


def main() -> None:
    count = len(regions())
    services = len(aws_session.OPERATION_BY_SERVICE)
    print(f"aws partition: {count} Regions, {services} services\n")
    print("| Session | baseline RSS | each further client | every Region cached |")
    print("|---|---|---|---|")
    for label, arguments in (("trimmed models (normal)", []), ("full models (fallback)", [FULL_MODELS])):
        output = subprocess.run(
            [sys.executable, __file__, "--child", *arguments], check=True, capture_output=True, text=True
        ).stdout
        figures = json.loads(output)
        every_region = figures["baseline_mib"] + figures["client_kib"] * figures["clients"] / 1024
        print(
            f"| {label} | {figures['baseline_mib']:.0f} MiB | {figures['client_kib']:.0f} KiB, "
            f"{figures['client_cpu_ms']:.1f} ms CPU | {every_region:.0f} MiB ({services * count} clients) |"
        )
    print(
        f"\nCapacity (a client counts {sources.CLIENT_MEMORY_MIB} MiB: the full models' figure, rounded up)"
    )
    print("| memory (MB) | no allow-list | allow-list of 2 |")
    print("|---|---|---|")
    for memory in (128, 256, 512):
        print(
            f"| {memory} | {sources.client_capacity(count, memory)} | {sources.client_capacity(2, memory)} |"
        )


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(measure(full_models=FULL_MODELS in sys.argv)))
    else:
        main()
