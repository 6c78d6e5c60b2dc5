#!/usr/bin/env python3
"""CDK app: one ListImagesStack, with cdk-nag's AwsSolutions, Serverless and NIST 800-53 R5 packs enforced.

Any unacknowledged nag finding makes ``cdk synth`` / ``cdk deploy`` fail. Construct options come from
CDK context (``cdk.json`` or ``-c key=value``), all under the ``list-images:`` prefix; see
the README for the list.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks
from constructs import Node

from pcluster_list_images_cdk import ListImagesStack

CONTEXT_PREFIX = "list-images:"
# Context key (after the prefix) -> ListImagesApi argument, one table per value type.
_STRING_OPTIONS = {
    "stage-name": "stage_name",
    "log-level": "log_level",
    "permissions-boundary-arn": "permissions_boundary_arn",
    "log-encryption-key-arn": "log_encryption_key_arn",
    "web-acl-arn": "web_acl_arn",
    "domain-name": "domain_name",
    "certificate-arn": "certificate_arn",
    "hosted-zone-id": "hosted_zone_id",
    "hosted-zone-name": "hosted_zone_name",
}
_LIST_OPTIONS = {
    "allowed-regions": "allowed_regions",
    "allowed-principal-arns": "allowed_principal_arns",
    "private-vpc-endpoint-ids": "private_vpc_endpoint_ids",
}
_INT_OPTIONS = {
    "page-size": "page_size",
    "memory-size-mb": "memory_size_mb",
    "reserved-concurrent-executions": "reserved_concurrent_executions",
    "throttling-burst-limit": "throttling_burst_limit",
}
_FLOAT_OPTIONS = {"throttling-rate-limit": "throttling_rate_limit"}
_BOOL_OPTIONS = {
    "create-invoker-role": "create_invoker_role",
    "disable-default-endpoint": "disable_default_endpoint",
    # ListImagesStack creates the account-level API Gateway CloudWatch role unless this is false.
    "create-account-cloud-watch-role": "create_account_cloud_watch_role",
}


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return [item.strip() for item in str(value).split(",") if item.strip()]


def _as_int(value: Any) -> int:
    if isinstance(value, (bool, float)):  # JSON true / 2.5 are not integers
        raise ValueError(value)
    return int(value)


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    return float(value)


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in {"true", "false"}:
        raise ValueError(value)
    return text == "true"


# (table, parser, what the error message says is expected)
_PARSERS: list[tuple[dict[str, str], Callable[[Any], Any], str]] = [
    (_STRING_OPTIONS, str, "a string"),
    (_LIST_OPTIONS, _as_list, "a comma-separated list"),
    (_INT_OPTIONS, _as_int, "an integer"),
    (_FLOAT_OPTIONS, _as_float, "a number"),
    (_BOOL_OPTIONS, _as_bool, "true or false"),
]


def api_options_from_context(node: Node) -> dict[str, Any]:
    """Map ``list-images:*`` context values (``-c`` strings or cdk.json JSON) to construct kwargs.

    A value of the wrong type raises ``ValueError`` naming the context key and the expected type.
    """
    options: dict[str, Any] = {}
    for table, parse, expected in _PARSERS:
        for key, argument in table.items():
            value = node.try_get_context(CONTEXT_PREFIX + key)
            if value is None or value == "":
                continue
            try:
                options[argument] = parse(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"context {CONTEXT_PREFIX}{key}: expected {expected}, got {value!r}"
                ) from None
    return options


def stack_environment() -> cdk.Environment | None:
    """The CLI's account/Region when it resolved them; otherwise an environment-agnostic stack."""
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    if account is None and region is None:
        return None
    return cdk.Environment(account=account, region=region)


def register_nag_packs(app: cdk.App) -> None:
    """Make synthesis fail on any unacknowledged AwsSolutions, Serverless or NIST 800-53 R5 finding."""
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app), ServerlessChecks(app), NIST80053R5Checks(app)
    )


def main() -> None:
    """Build the app, register the nag packs, synthesize."""
    app = cdk.App()
    ListImagesStack(
        app,
        "ListImagesStack",
        env=stack_environment(),
        description="ParallelCluster-compatible listImages: API Gateway (IAM auth) + Lambda",
        api_options=api_options_from_context(app.node),
    )
    register_nag_packs(app)
    app.synth()


if __name__ == "__main__":
    main()
