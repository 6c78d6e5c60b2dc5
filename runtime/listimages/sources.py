"""AWS access: one cached client per (service, Region), one function per source that reads one AWS page,
and the translation of AWS failures into the library's typed errors.

Exactly two AWS operations are used: ec2:DescribeImages (AVAILABLE) and cloudformation:DescribeStacks
(PENDING/FAILED). botocore honours ``AWS_ENDPOINT_URL`` (and per-service variants), so the same code talks
to an emulator without change.
"""

from __future__ import annotations

import functools
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as AwsConnectionError
from botocore.exceptions import InvalidRegionError as BotocoreInvalidRegionError

from .aws_session import OPERATION_BY_SERVICE, session_for
from .errors import (
    InvalidRegionError,
    InvalidTokenError,
    ListImagesError,
    RegionNotEnabledError,
    RegionUnreachableError,
    ThrottledError,
    UpstreamError,
)
from .regions import region_rules

logger = logging.getLogger(__name__)

IMAGE_ID_TAG = "parallelcluster:image_id"
VERSION_TAG = "parallelcluster:version"
BUILD_STATUS_TAG = "parallelcluster:build_status"
AVAILABLE_BUILD_STATUS = "available"

CONNECT_TIMEOUT_SECONDS = 1
# Generous enough for a large DescribeImages answer; bounded so that the arithmetic below fits the budget.
READ_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 2
# Worst case of ONE AWS call, so that a call started with at least this much time left always ends in time:
# every attempt may wait the full connect + read timeout, 2 * (1 + 5) = 12 s; before the one retry botocore's
# standard mode sleeps up to rand * 2**0 = 1 s, plus up to 5 s more when AWS sends x-amz-retry-after, so 6 s.
# Total 12 + 6 = 18 s. (read_timeout bounds each socket read, not a trickling response; AWS list responses
# are small enough for that not to matter in practice.)
WORST_CASE_CALL_SECONDS = MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + sum(
    2 ** (retry - 1) + 5 for retry in range(1, MAX_ATTEMPTS)
)

# The error codes AWS uses for throttling (the same family botocore's standard retry mode treats as such).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
# What AWS answers in a Region not enabled (opted in) for the account: the credentials are unknown there.
REGION_NOT_ENABLED_CODES = frozenset(
    {"AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired"}
)
_TOKEN_ERROR_CODES = frozenset({"InvalidPaginationToken", "InvalidNextToken", "InvalidTokenError"})
_PARAMETER_ERROR_CODES = frozenset({"InvalidParameterValue", "ValidationError", "InvalidParameter"})

EC2_MIN_PAGE, EC2_MAX_PAGE = 5, 1000


class AwsPage(NamedTuple):
    """One page as AWS returned it: the raw items and the token that fetches the next page (None = last)."""

    items: Sequence[dict[str, Any]]
    next_token: str | None


ClientFactory = Callable[[str, str], Any]


@functools.cache
def _client_config() -> Config:
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    )


def create_botocore_client(service: str, region: str) -> Any:
    """A botocore client for ``service`` in ``region`` with bounded timeouts and standard retries."""
    return session_for(service).create_client(service, region_name=region, config=_client_config())


# Measured (bench/client_cache.py): once the first client of a service exists, each further client holds
# ~0.13 MiB (~5 ms of CPU to create) with the trimmed models, ~0.8 MiB (~25 ms) with botocore's full models,
# the fallback. The bound counts the fallback's figure, rounded up, so that the fallback fits too. Besides
# its clients the function needs at most ~64 MiB (interpreter, botocore, the models, a page being built).
CLIENT_MEMORY_MIB = 1
BASELINE_MEMORY_MIB = 64
MEMORY_SIZE_VARIABLE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
# A floor for a very small memory size (the formula gives Lambda's smallest, 128 MB, 32 clients).
MIN_CACHED_CLIENTS = 16


def client_capacity(region_count: int, memory_mb: int | None) -> int:
    """How many clients the cache keeps: one per service for each of ``region_count`` Regions, so that a
    caller going round every Region never re-creates one, within half the memory the function has beyond its
    baseline (``memory_mb``; None: not in Lambda, no memory limit)."""
    wanted = len(OPERATION_BY_SERVICE) * region_count
    if memory_mb is None:
        return max(wanted, 1)
    affordable = (memory_mb - BASELINE_MEMORY_MIB) // 2 // CLIENT_MEMORY_MIB
    return min(wanted, max(affordable, MIN_CACHED_CLIENTS))


def deployment_client_capacity() -> int:
    """``client_capacity`` for the Regions this deployment serves and the function's memory size."""
    memory = os.environ.get(MEMORY_SIZE_VARIABLE, "")
    return client_capacity(region_rules().region_count, int(memory) if memory.isdigit() else None)


class AwsClients:
    """Clients created once per container and (service, Region), the least recently used dropped beyond
    ``max_cached`` (default: ``deployment_client_capacity()``, read when a client is created); tests swap the
    factory or stub a client.

    The Region comes from the caller, and without an allow-list any name of the partition's pattern is one:
    the cache must stay bounded however many names callers send.
    """

    def __init__(
        self, factory: ClientFactory = create_botocore_client, max_cached: int | None = None
    ) -> None:
        self._factory = factory
        self._max_cached = max_cached
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()

    def get(self, service: str, region: str) -> Any:
        """The client for ``service`` in ``region`` (created on first use)."""
        key = (service, region)
        client = self._cache.get(key)
        if client is None:
            client = self._cache[key] = self._factory(service, region)
            capacity = deployment_client_capacity() if self._max_cached is None else self._max_cached
            while len(self._cache) > capacity:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return client

    def use_factory(self, factory: ClientFactory = create_botocore_client) -> None:
        """Forget every cached client and create new ones with ``factory`` from now on."""
        self._factory = factory
        self._cache.clear()


clients = AwsClients()


def create_home_region_clients() -> None:
    """Create the home Region's clients now, for an init phase that runs ahead of requests (provisioned
    concurrency, SnapStart): the first request then finds them ready. A failure is logged, not raised: the
    first request creates them again and reports what goes wrong."""
    try:
        region = region_rules().home  # also loads the partition data that the first request would
        for service in OPERATION_BY_SERVICE:
            clients.get(service, region)
    except Exception:  # the function must still start; nothing here is needed before a request
        logger.warning("Could not create the AWS clients during init", exc_info=True)


def ec2_max_results(page_size: int) -> int:
    """The EC2 ``MaxResults`` a walk with pages of ``page_size`` starts with: the page size within 5..1000."""
    return min(max(page_size, EC2_MIN_PAGE), EC2_MAX_PAGE)


def describe_images_page(region: str, aws_token: str | None, max_results: int) -> AwsPage:
    """One DescribeImages page (``max_results`` AMIs at most) of the account's own AMIs tagged as finished
    ParallelCluster images."""
    params: dict[str, Any] = {
        "Owners": ["self"],
        "Filters": [
            {"Name": "tag-key", "Values": [IMAGE_ID_TAG]},
            {"Name": f"tag:{BUILD_STATUS_TAG}", "Values": [AVAILABLE_BUILD_STATUS]},
        ],
        "MaxResults": max_results,
    }
    if aws_token is not None:
        params["NextToken"] = aws_token
    response = clients.get("ec2", region).describe_images(**params)
    return AwsPage(items=response.get("Images", []), next_token=response.get("NextToken") or None)


def describe_stacks_page(region: str, aws_token: str | None, max_results: int) -> AwsPage:
    """One DescribeStacks page of all stacks of the Region (CloudFormation has no server-side filter)."""
    del max_results  # DescribeStacks has a fixed page size.
    params = {} if aws_token is None else {"NextToken": aws_token}
    response = clients.get("cloudformation", region).describe_stacks(**params)
    return AwsPage(items=response.get("Stacks", []), next_token=response.get("NextToken") or None)


def translate_aws_error(
    error: Exception, *, region: str, home_region: str, had_token: bool
) -> ListImagesError:
    """The typed library error for an AWS failure in ``region``; the AWS detail stays in the error's text."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = str(error.response.get("Error", {}).get("Message", "")).lower()
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in THROTTLING_CODES or status == 429:
            return ThrottledError(str(error))
        if had_token and (
            code in _TOKEN_ERROR_CODES or (code in _PARAMETER_ERROR_CODES and "token" in message)
        ):
            return InvalidTokenError()
        if code in REGION_NOT_ENABLED_CODES and region != home_region:
            return RegionNotEnabledError(region)
        return UpstreamError(str(error))
    if isinstance(error, BotocoreInvalidRegionError):
        return InvalidRegionError(region)  # botocore refused the name itself; no call was made
    # Endpoint not found or connect timeout (not a read timeout: that endpoint answered).
    if isinstance(error, AwsConnectionError) and region != home_region:
        return RegionUnreachableError(region)
    if isinstance(error, BotoCoreError):
        return UpstreamError(str(error))
    return UpstreamError(repr(error))
