"""`list-images`: print custom images as JSON, like `pcluster list-images`, from a SigV4-signed endpoint.

Examples
--------
    list-images --image-status AVAILABLE --endpoint https://abc123.execute-api.us-east-1.amazonaws.com/prod
    list-images --image-status FAILED --region eu-west-1 --all --local
    list-images --image-status AVAILABLE --all --local | head -3     # a closed pipe ends quietly
    LIST_IMAGES_ENDPOINT=https://images.example.com list-images --image-status PENDING \
        --endpoint-region us-east-1
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from .api_client import (
    DEFAULT_TIMEOUT_SECONDS,
    IMAGE_STATUSES,
    ListImagesApiError,
    ListImagesClient,
    ListImagesClientError,
    ListImagesConfigurationError,
    ListImagesSigningRegionError,
    ListImagesThrottledError,
)
from .local_endpoint import LOCAL_ENDPOINT_URL, LOCAL_SIGNING_REGION

ENDPOINT_ENVIRONMENT_VARIABLE: Final = "LIST_IMAGES_ENDPOINT"

_EXIT_FAILURE: Final = 1
_EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT, what shells report for Ctrl-C


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="list-images",
        description="Retrieve the list of existing custom images (JSON, like `pcluster list-images`).",
    )
    parser.add_argument(
        "--image-status", required=True, choices=IMAGE_STATUSES, help="Filter images by status."
    )
    parser.add_argument(
        "--region", help="The AWS Region that images are in (default: the endpoint's Region)."
    )
    parser.add_argument("--next-token", help="A token from a previous call's output, to get the next page.")
    parser.add_argument(
        "--all",
        action="store_true",
        help="Follow nextToken and print every image; on failure, stderr gives resumeNextToken.",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--endpoint",
        help=f"The API's base URL including the stage (default: ${ENDPOINT_ENVIRONMENT_VARIABLE}).",
    )
    target.add_argument(
        "--local",
        action="store_true",
        help=f"Use the local endpoint of `make local` ({LOCAL_ENDPOINT_URL}) and its fake credentials.",
    )
    parser.add_argument(
        "--endpoint-region",
        help="The Region the API is deployed in, to sign requests; needed for a custom domain when no "
        "Region is configured for botocore (read from execute-api URLs).",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout_seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"How long to wait for each answer (default {DEFAULT_TIMEOUT_SECONDS:g}; API Gateway itself "
        "gives up after 29).",
    )
    return parser


def _timeout_seconds(text: str) -> float:
    """argparse type of --timeout: a positive, finite number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds < math.inf:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number of seconds")
    return seconds


def _client_for(arguments: argparse.Namespace) -> ListImagesClient:
    if arguments.local:
        return ListImagesClient.local(
            LOCAL_ENDPOINT_URL,
            signing_region=arguments.endpoint_region or LOCAL_SIGNING_REGION,
            timeout=arguments.timeout,
        )
    endpoint = arguments.endpoint or os.environ.get(ENDPOINT_ENVIRONMENT_VARIABLE)
    if not endpoint:
        raise ListImagesClientError(
            f"no endpoint: pass --endpoint URL or --local, or set {ENDPOINT_ENVIRONMENT_VARIABLE}"
        )
    try:
        return ListImagesClient(endpoint, signing_region=arguments.endpoint_region, timeout=arguments.timeout)
    except ListImagesSigningRegionError as error:
        # The client's own message names its Python argument; say it with this command's options.
        local_hint = "; for `make local`, use --local" if error.loopback else ""
        raise ListImagesConfigurationError(
            f"cannot tell the Region to sign requests for {endpoint!r}: pass --endpoint-region REGION, the "
            "Region the API is deployed in (--region only picks where to list images), or set AWS_REGION"
            f"{local_hint}"
        ) from None


def _list_images(client: ListImagesClient, arguments: argparse.Namespace) -> dict[str, Any]:
    if not arguments.all:
        return client.list_images_page(
            arguments.image_status, region=arguments.region, next_token=arguments.next_token
        )
    images = client.iter_images(
        arguments.image_status, region=arguments.region, next_token=arguments.next_token
    )
    return {"images": list(images)}


def _print_error(error: ListImagesClientError) -> None:
    report: dict[str, Any] = {"message": error.message}
    if isinstance(error, ListImagesThrottledError) and error.retry_after is not None:
        report["retryAfterSeconds"] = error.retry_after
    if isinstance(error, ListImagesApiError):
        report["statusCode"] = error.status
        if error.hint:
            report["hint"] = error.hint
    if error.resume_next_token is not None:
        # --all failed part-way: `--all --next-token <this>` carries on from the failed page.
        report["resumeNextToken"] = error.resume_next_token
    print(json.dumps(report, indent=2), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 on success, 1 on any failure, 2 on bad usage, 130 on Ctrl-C).

    A reader that closes stdout early (`| head`) is a success: the output ends there, without an error.

    Parameters
    ----------
    argv:
        The arguments without the program name; by default `sys.argv[1:]`.
    """
    arguments = _argument_parser().parse_args(argv)
    try:
        result = _list_images(_client_for(arguments), arguments)
    except ListImagesClientError as error:
        _print_error(error)
        return _EXIT_FAILURE
    except KeyboardInterrupt:
        print(json.dumps({"message": "interrupted"}), file=sys.stderr)
        return _EXIT_INTERRUPTED
    _print_to_stdout(json.dumps(result, indent=2))
    return 0


def _print_to_stdout(text: str) -> None:
    """Print `text`; if the reader closed the pipe (`| head`), stop quietly: it has what it wanted."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # What is still buffered would fail again at the interpreter's final flush (a traceback and
        # exit 120): point stdout at /dev/null first, as the Python docs advise (signal module, SIGPIPE).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
