"""`list-images`: print custom images as JSON, like `pcluster list-images`, from a SigV4-signed endpoint.

Examples
--------
    list-images --image-status AVAILABLE --endpoint https://abc123.execute-api.us-east-1.amazonaws.com/prod
    list-images --image-status FAILED --region eu-west-1 --all --local
    LIST_IMAGES_ENDPOINT=https://images.example.com list-images --image-status PENDING \
        --endpoint-region us-east-1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from botocore.credentials import Credentials

from .api_client import (
    IMAGE_STATUSES,
    ListImagesApiError,
    ListImagesClient,
    ListImagesClientError,
    ListImagesThrottledError,
)

ENDPOINT_ENVIRONMENT_VARIABLE: Final = "LIST_IMAGES_ENDPOINT"
# What `python -m local` serves by default; the client ships without local/, so these are repeated here
# (tests/e2e checks that they match).
LOCAL_ENDPOINT_URL: Final = "http://127.0.0.1:8080/prod"
LOCAL_SIGNING_REGION: Final = "us-east-1"
LOCAL_ACCESS_KEY_ID: Final = "testing"
LOCAL_SECRET_ACCESS_KEY: Final = "testing"  # noqa: S105 - the emulator's well-known fake key, not a secret

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
    return parser


def _client_for(arguments: argparse.Namespace) -> ListImagesClient:
    if arguments.local:
        return ListImagesClient(
            LOCAL_ENDPOINT_URL,
            signing_region=arguments.endpoint_region or LOCAL_SIGNING_REGION,
            credentials=Credentials(LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY),
        )
    endpoint = arguments.endpoint or os.environ.get(ENDPOINT_ENVIRONMENT_VARIABLE)
    if not endpoint:
        raise ListImagesClientError(
            f"no endpoint: pass --endpoint URL or --local, or set {ENDPOINT_ENVIRONMENT_VARIABLE}"
        )
    return ListImagesClient(endpoint, signing_region=arguments.endpoint_region)


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
    if error.resume_next_token is not None:
        # --all failed part-way: `--all --next-token <this>` carries on from the failed page.
        report["resumeNextToken"] = error.resume_next_token
    print(json.dumps(report, indent=2), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 on success, 1 on any failure, 2 on bad usage, 130 on Ctrl-C).

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
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
