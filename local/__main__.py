"""`python -m local` (`make local`): synthesize, start emulated AWS with sample images, serve the API.

`make local-aws` adds ``--real-aws``: the same local API Gateway and function, on real AWS with the
ambient credentials.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from client.local_endpoint import LOCAL_ENDPOINT_URL, LOCAL_PORT

from .endpoint import DEFAULT_REGION, LocalEndpoint
from .faults import Fault
from .servers import bind_local_port
from .synth import SynthError, local_template
from .template import TemplateError

DEFAULT_PORT = LOCAL_PORT
DEFAULT_EMULATOR_PAGE_SIZE = 10
# The deployment's own bound on LIST_IMAGES_PAGE_SIZE (see the construct's page_size).
MAX_PAGE_SIZE = 1000
MAX_PORT = 65535
_EXIT_FAILURE = 1


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Serve the listImages API on 127.0.0.1: the synthesized template's routes, the real "
        "handler, and emulated AWS seeded with sample ParallelCluster images (or real AWS).",
    )
    parser.add_argument(
        "--port",
        type=_port_number,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 = any free)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        help=f"LIST_IMAGES_PAGE_SIZE for the function (default {DEFAULT_EMULATOR_PAGE_SIZE} on the emulator, "
        "so that pagination shows; the template's value with --real-aws)",
    )
    parser.add_argument(
        "--real-aws", action="store_true", help="use real AWS with your ambient credentials, not the emulator"
    )
    parser.add_argument(
        "--template", type=Path, help="serve this synthesized template (JSON) instead of running `cdk synth`"
    )
    parser.add_argument(
        "--synth",
        action="store_true",
        help="run `cdk synth` even when nothing that goes into the template changed since the last one",
    )
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help=f"the API's and function's Region (default {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--no-verify-sigv4",
        dest="verify_sigv4",
        action="store_false",
        help="accept unsigned requests on AWS_IAM routes (verification is on by default)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="REGION=KIND",
        help="emulator only: every AWS call for REGION fails with KIND "
        f"({', '.join(fault.value for fault in Fault)}), to see the API's 429 and 500 answers",
    )
    return parser


def _port_number(text: str) -> int:
    """argparse type of --port: a TCP port number, 0 meaning any free one."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{port} is not a port number: use 0 to {MAX_PORT} (0 = any free)")
    return port


def _parse_faults(parser: argparse.ArgumentParser, given: Sequence[str]) -> dict[str, Fault]:
    faults: dict[str, Fault] = {}
    for item in given:
        region, _, kind = item.partition("=")
        try:
            faults[region] = Fault(kind)
        except ValueError:
            parser.error(
                f"--fault {item!r}: expected REGION=KIND with KIND one of {[f.value for f in Fault]}"
            )
    return faults


def _examples(endpoint: LocalEndpoint, verify_sigv4: bool) -> str:
    """The ready-to-paste requests printed once the endpoint is up."""
    region = endpoint.region
    other_region = next(
        (name for name in (endpoint.catalog.regions if endpoint.catalog else ()) if name != region), region
    )
    routes = [route.resource_path for route in endpoint.api.routes]
    v1_route = "/images/custom" if "/images/custom" in routes else routes[0]
    v3_route = "/v3/images/custom" if "/v3/images/custom" in routes else routes[-1]
    requests = [
        endpoint.url(v1_route, imageStatus="AVAILABLE"),
        endpoint.url(v3_route, imageStatus="FAILED", region=other_region),
    ]
    if not verify_sigv4:
        signing = ""
    elif endpoint.real_aws:
        signing = (
            f'--aws-sigv4 "aws:amz:{region}:execute-api" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" '
            '-H "x-amz-security-token: $AWS_SESSION_TOKEN" '
        )
    else:
        key_pair = f"{endpoint.credentials.access_key}:{endpoint.credentials.secret_key}"
        signing = f'--aws-sigv4 "aws:amz:{region}:execute-api" --user "{key_pair}" '
    lines = [f"  curl -s {signing}{shlex.quote(url)}" for url in requests]
    if verify_sigv4:
        lines.append(
            f"  curl -s -i {shlex.quote(requests[0])}    # unsigned: 403 Missing Authentication Token"
        )
    client_defaults = endpoint.base_url == LOCAL_ENDPOINT_URL and region == DEFAULT_REGION
    program = _venv_program("list-images")
    if client_defaults and not endpoint.real_aws:
        cli = f"{program} --local"
    else:
        # The emulator's key pair has no session token: a token left in the shell would be refused.
        emulator_keys = (
            f"AWS_ACCESS_KEY_ID={endpoint.credentials.access_key} "
            f"AWS_SECRET_ACCESS_KEY={endpoint.credentials.secret_key} AWS_SESSION_TOKEN= AWS_SECURITY_TOKEN= "
        )
        prefix = "" if endpoint.real_aws else emulator_keys
        cli = f"{prefix}{program} --endpoint {endpoint.base_url} --endpoint-region {region}"
    lines += [
        f"  {cli} --image-status AVAILABLE             # one page, with its nextToken",
        f"  {cli} --image-status PENDING --all         # follows nextToken",
        f"  {cli} --image-status FAILED --region {other_region} --all",
    ]
    if not endpoint.real_aws:
        # Double quotes inside, so that the shell quoting around it stays plain single quotes.
        where = f"{json.dumps(endpoint.base_url)}, signing_region={json.dumps(region)}"
        local_client = f"ListImagesClient.local({'' if client_defaults else where})"
        python = (
            "from pcluster_list_images_cdk.client.api_client import ListImagesClient; "
            f'print({local_client}.list_images_page("AVAILABLE"))'
        )
        lines.append(f"  {_venv_program('python')} -c {shlex.quote(python)}")
    for faulted_region, fault in endpoint.faults.items():
        url = endpoint.url(v1_route, imageStatus="AVAILABLE", region=faulted_region)
        lines.append(f"  curl -s -i {signing}{shlex.quote(url)}    # injected fault: {fault.value}")
    return "\n".join(lines)


def _venv_program(name: str) -> str:
    """The venv's ``name`` (list-images, python) as pasted into a plain shell where `make local` runs.

    `make` puts the venv on its own PATH, not on the user's, so a bare `list-images` would not be found.
    """
    script = Path(sys.executable).parent / name
    if not script.exists():
        return name
    try:
        return shlex.quote(str(script.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(script))


def _banner(endpoint: LocalEndpoint, page_size: int | None, verify_sigv4: bool) -> str:
    routes = ", ".join(
        f"{route.http_method} {route.resource_path} ({route.authorization_type})"
        for route in endpoint.api.routes
    )
    if endpoint.real_aws:
        backing = "REAL AWS with your ambient credentials"
    else:
        assert endpoint.catalog is not None
        assert endpoint.emulated_aws is not None
        counts = {
            status: sum(len(endpoint.catalog.expected(status, region)) for region in endpoint.catalog.regions)
            for status in ("AVAILABLE", "PENDING", "FAILED")
        }
        backing = (
            f"emulated AWS (moto at {endpoint.emulated_aws.endpoint_url}) with sample images in "
            f"{', '.join(endpoint.catalog.regions)}: {json.dumps(counts)} plus decoys"
        )
    if not verify_sigv4:
        auth = "OFF (--no-verify-sigv4): AWS_IAM routes accept unsigned requests"
    elif endpoint.real_aws:
        auth = (
            f"SigV4 verified against your ambient credentials, service execute-api, Region {endpoint.region}"
        )
    else:
        auth = (
            f'SigV4 verified: access key "{endpoint.credentials.access_key}", secret '
            f'"{endpoint.credentials.secret_key}", service execute-api, Region {endpoint.region}'
        )
    return "\n".join(
        [
            f"Serving {endpoint.base_url}",
            f"  Routes:    {routes}",
            f"  Backed by: {backing}",
            f"  Page size: {page_size if page_size is not None else 'from the template'}",
            f"  Auth:      {auth}",
            "",
            "Try:",
            _examples(endpoint, verify_sigv4),
            "",
            "Press Ctrl-C to stop.",
        ]
    )


class _ExtraFieldsFormatter(logging.Formatter):
    """Show the structured fields the function logs (``extra=``), as Lambda's JSON logs would."""

    _STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        fields = {key: value for key, value in record.__dict__.items() if key not in self._STANDARD}
        text = super().format(record)
        return f"{text} {json.dumps(fields, default=str)}" if fields else text


def _bind_problem(port: int, error: OSError) -> str:
    """One line saying why 127.0.0.1:``port`` cannot be served on, and what to do."""
    where = f"cannot serve on 127.0.0.1:{port}"
    if error.errno == errno.EADDRINUSE:
        return f"{where}: the port is in use (stop what uses it, or pass --port 0 for any free port)"
    return f"{where}: {error.strerror or error}"


def _configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_ExtraFieldsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # moto's HTTP server logs every call it serves, botocore where it found credentials: noise here.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)


def _stop_on_signals() -> threading.Event:
    """Return an event that Ctrl-C (SIGINT) or SIGTERM sets, from now on."""
    stop = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return stop


def main(argv: Sequence[str] | None = None) -> int:
    """Run Command 1; return the exit status (0 after a clean Ctrl-C, 1 on failure, 2 on bad usage)."""
    parser = _argument_parser()
    arguments = parser.parse_args(argv)
    faults = _parse_faults(parser, arguments.fault)
    if arguments.real_aws and faults:
        parser.error("--fault works with the emulator only")
    page_size = arguments.page_size
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        parser.error(f"--page-size must be between 1 and {MAX_PAGE_SIZE}")
    if page_size is None and not arguments.real_aws:
        page_size = DEFAULT_EMULATOR_PAGE_SIZE
    _configure_logging()
    try:
        # Bound before the synth (seconds): a busy port is reported at once, and stays ours meanwhile.
        listening = bind_local_port(arguments.port)
    except OSError as error:
        print(f"python -m local: {_bind_problem(arguments.port, error)}", file=sys.stderr)
        return _EXIT_FAILURE
    try:
        if arguments.template:
            template = json.loads(arguments.template.read_text())
        else:
            template = local_template(
                region=arguments.region, force=arguments.synth, report=lambda line: print(line, flush=True)
            )
        endpoint = LocalEndpoint(
            template,
            region=arguments.region,
            port=listening,
            page_size=page_size,
            real_aws=arguments.real_aws,
            verify_sigv4=arguments.verify_sigv4,
            faults=faults,
        ).start()
    except (SynthError, TemplateError, OSError, RuntimeError, ValueError) as error:
        listening.close()
        print(f"python -m local: {error}", file=sys.stderr)
        return _EXIT_FAILURE
    try:
        # Handlers first: a Ctrl-C as soon as "Press Ctrl-C" shows must stop cleanly, not with a traceback.
        stop = _stop_on_signals()
        print(_banner(endpoint, page_size, arguments.verify_sigv4), flush=True)
        stop.wait()
    finally:
        endpoint.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
