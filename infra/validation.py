"""Synth-time checks of ListImagesApi's options: malformed or contradictory values fail with a clear error.

Unresolved tokens (an SSM parameter, a reference to another resource) always pass: synth cannot know
their value, and CloudFormation checks it at deployment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import Aws, CfnRule, CfnRuleAssertion, Fn, Stack, Token
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from .options import DEFAULT_THROTTLING, CustomDomain, ListImagesApiOptions

__all__ = [
    "API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS",
    "MINIMUM_READING_SECONDS",
    "RUNTIME_CALL_RESERVE_SECONDS",
    "add_allowed_region_rule",
    "known_partition",
    "validate_options",
]

# API Gateway cuts a REST integration at 29 s; the function must answer before that.
API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29
# The runtime stops starting AWS calls when less than this is left (runtime/listimages CALL_RESERVE_SECONDS,
# one worst-case AWS call); the timeout must leave time to read above it, or every page would be empty.
RUNTIME_CALL_RESERVE_SECONDS = 19
MINIMUM_READING_SECONDS = 5

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_PRINCIPAL_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>\S+)$"
)
# Role and user names (with an optional path) as IAM allows them; no wildcards.
_ROLE_OR_USER = re.compile(r"^(role|user)/([\w+=,.@-]+/)*[\w+=,.@-]+$")


def validate_options(options: ListImagesApiOptions, *, stack: Stack, timeout_seconds: float) -> None:
    """Refuse malformed or contradictory options before anything is built."""
    _check_timeout(timeout_seconds)
    if _known(options.stage_name) and not _STAGE_NAME.match(options.stage_name):
        raise ValueError(f"stage_name must be letters, digits, '-' or '_', got {options.stage_name!r}")
    _check_range("page_size", options.page_size, 1, 1000)
    _check_range("memory_size_mb", options.memory_size_mb, 128, 10240)
    reserved = options.reserved_concurrent_executions
    if reserved is not None and _known(reserved) and reserved < 1:
        raise ValueError(
            f"reserved_concurrent_executions must be None (no reservation) or at least 1, got {reserved}: "
            "0 would throttle every invocation, so the API could only answer errors"
        )
    _check_initialised_ahead(options)
    _check_throttling(options)
    _check_list("vpc_endpoints", options.vpc_endpoints)
    _check_allowed_regions(options.allowed_regions, stack.region)
    _check_principal_arns(options.allowed_principal_arns, known_partition(stack))
    if options.domain is not None:
        _check_domain(options.domain, private=bool(options.vpc_endpoints))


def _check_initialised_ahead(options: ListImagesApiOptions) -> None:
    """Provisioned concurrency: at least 1, within the reserved concurrency; never with SnapStart."""
    provisioned, reserved = options.provisioned_concurrency, options.reserved_concurrent_executions
    if provisioned is None or not _known(provisioned):
        return
    if provisioned < 1:
        raise ValueError(f"provisioned_concurrency must be None (none) or at least 1, got {provisioned}")
    if options.snap_start:
        raise ValueError(
            "snap_start and provisioned_concurrency cannot both be on: Lambda does not support SnapStart "
            "with provisioned concurrency; choose one"
        )
    if reserved is not None and _known(reserved) and provisioned > reserved:
        raise ValueError(
            f"provisioned_concurrency ({provisioned}) cannot exceed reserved_concurrent_executions "
            f"({reserved}): Lambda provisions within the function's reserved concurrency"
        )


def add_allowed_region_rule(scope: Construct, allowed_regions: Sequence[str]) -> None:
    """Refuse, at deployment, a Region outside ``allowed_regions`` when synth could not know the Region.

    Requests without ``region`` list the stack's own Region; outside the allow-list every one of them
    would be a 400. A known Region is checked at synth time instead (``validate_options``).
    """
    regions = list(allowed_regions)
    CfnRule(
        scope,
        "AllowedRegionsIncludeStackRegion",
        assertions=[
            CfnRuleAssertion(
                assert_=Fn.condition_contains(regions, Aws.REGION),
                assert_description=(
                    "ListImagesApi: this stack's Region must be one of allowed_regions "
                    f"({', '.join(regions)}): requests without a region list the stack's "
                    "own Region, so any other Region would refuse them all. Deploy to one of those "
                    "Regions or add this Region to allowed_regions."
                ),
            )
        ],
    )


def known_partition(stack: Stack) -> str | None:
    """The stack's partition when synth can know it (a concrete Region), else None."""
    if not Token.is_unresolved(stack.partition):
        return stack.partition
    if Token.is_unresolved(stack.region):
        return None
    partition: str | None = RegionInfo.get(stack.region).partition
    return partition


def _known(value: Any) -> bool:
    """True for a value synth can read; False for an unresolved token (string, number or list)."""
    return not Token.is_unresolved(value)


def _check_timeout(timeout_seconds: float) -> None:
    if timeout_seconds >= API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS:
        raise ValueError("the function timeout must stay below API Gateway's 29 s integration limit")
    shortest_timeout = RUNTIME_CALL_RESERVE_SECONDS + MINIMUM_READING_SECONDS
    if timeout_seconds < shortest_timeout:
        raise ValueError(
            f"the function timeout must be at least {shortest_timeout} s: the runtime keeps one "
            "worst-case AWS call in reserve and needs time to read pages"
        )


def _check_range(name: str, value: float, lowest: float, highest: float) -> None:
    if _known(value) and not lowest <= value <= highest:
        raise ValueError(f"{name} must be between {lowest} and {highest}, got {value}")


def _check_throttling(options: ListImagesApiOptions) -> None:
    throttling = options.throttling or DEFAULT_THROTTLING
    for name, value in (("rate_limit", throttling.rate_limit), ("burst_limit", throttling.burst_limit)):
        if value is not None and _known(value) and value <= 0:
            raise ValueError(f"throttling {name} must be positive, got {value}")


def _check_list(name: str, values: Sequence[Any]) -> None:
    if isinstance(values, str):  # a bare string would be read character by character
        raise TypeError(f"{name} must be a list, not a string")


def _check_allowed_regions(allowed_regions: Sequence[str], stack_region: str) -> None:
    _check_list("allowed_regions", allowed_regions)
    for region in allowed_regions:
        if _known(region) and not _REGION_NAME.match(region):
            raise ValueError(f"allowed_regions: malformed value {region!r}")
    # Requests without `region` list the stack's own Region; an allow-list without it refuses them all.
    # (An environment-agnostic stack gets a CloudFormation Rule instead: see ListImagesApi.)
    if (
        allowed_regions
        and _known(stack_region)
        and all(_known(region) for region in allowed_regions)
        and stack_region not in allowed_regions
    ):
        raise ValueError(f"allowed_regions must include the stack's own Region {stack_region!r}")


def _check_principal_arns(arns: Sequence[str], stack_partition: str | None) -> None:
    """Refuse principal ARNs that the resource policy could never admit."""
    _check_list("allowed_principal_arns", arns)
    partitions = set()
    for arn in arns:
        if not _known(arn):
            continue
        match = _PRINCIPAL_ARN.match(arn)
        if match is None:
            raise ValueError(f"allowed_principal_arns: malformed value {arn!r}")
        partition, service, account, resource = match.group("partition", "service", "account", "resource")
        if service == "sts" and resource.startswith("assumed-role/"):
            role_name = resource.split("/")[1]
            raise ValueError(
                f"allowed_principal_arns: {arn!r} is a role session; give the role's ARN instead "
                f"(arn:{partition}:iam::{account}:role/{role_name}, with its path if it has one). "
                "API Gateway sees every session of a role as the role (aws:PrincipalArn), so a session ARN "
                "never matches"
            )
        if service != "iam" or not (resource == "root" or _ROLE_OR_USER.match(resource)):
            raise ValueError(
                f"allowed_principal_arns: {arn!r} is not a role, user or account root ARN "
                "(arn:<partition>:iam::<account>:role/<name>, ...:user/<name> or ...:root; no wildcards)"
            )
        if stack_partition is not None and partition != stack_partition:
            raise ValueError(
                f"allowed_principal_arns: {arn!r} is in partition {partition!r}, but the stack deploys to "
                f"partition {stack_partition!r}: its principals can never call this API"
            )
        partitions.add(partition)
    if len(partitions) > 1:
        raise ValueError(f"allowed_principal_arns mixes partitions {sorted(partitions)}: one API serves one")


def _check_domain(domain: CustomDomain, *, private: bool) -> None:
    # A PRIVATE API's custom domains are another resource type (with its own access rules): not supported.
    if private:
        raise ValueError(
            "a custom domain (domain) is not supported together with a PRIVATE API (vpc_endpoints)"
        )
    if domain.hosted_zone is None or not _known(domain.domain_name):
        return
    zone_name = domain.hosted_zone.zone_name
    if _known(zone_name) and not _in_zone(domain.domain_name, zone_name):
        raise ValueError(f"domain_name {domain.domain_name!r} is not inside hosted zone {zone_name!r}")


def _in_zone(domain_name: str, zone_name: str) -> bool:
    domain, zone = domain_name.rstrip(".").lower(), zone_name.rstrip(".").lower()
    return domain == zone or domain.endswith("." + zone)
