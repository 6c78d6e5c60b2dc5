#!/usr/bin/env python3
"""CDK app: one ListImagesStack, with cdk-nag's AwsSolutions, Serverless and NIST 800-53 R5 packs enforced.

Any unacknowledged nag finding makes ``cdk synth`` / ``cdk deploy`` fail. Construct options come from
CDK context (``cdk.json`` or ``-c key=value``), all under the ``list-images:`` prefix; ``CONTEXT_OPTIONS``
lists them (docs/construct.md documents each), ``MONITORING_CONTEXT_OPTIONS`` the alarm and dashboard keys
(docs/operations.md). An unknown ``list-images:`` key is an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks

from pcluster_list_images_cdk import (
    CustomDomain,
    ListImagesApiOptions,
    ListImagesStack,
    LoggingOptions,
    MonitoringOptions,
)
from pcluster_list_images_cdk.monitoring import EMAIL_ADDRESS

CONTEXT_PREFIX = "list-images:"

# Reads one context value (a -c string, or JSON from cdk.json); references are imported into the stack.
# Raises ValueError or TypeError on a value of the wrong type.
Reader = Callable[[Any, cdk.Stack], Any]


@dataclass(frozen=True)
class ContextOption:
    """One ``list-images:<key>`` context key: the option it sets and how its value is read.

    ``field`` is a field of ``ListImagesApiOptions``, or ``<group>.<field>`` for a field of one of its
    option structs (``_GROUPS`` says how each struct is built).
    """

    key: str
    field: str
    read: Reader
    expected: str


def _text(value: Any, _stack: cdk.Stack) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _text_list(value: Any, _stack: cdk.Stack) -> list[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _integer(value: Any, _stack: cdk.Stack) -> int:
    if isinstance(value, (bool, float)):  # JSON true / 2.5 are not integers
        raise TypeError(value)
    return int(value)


def _number(value: Any, _stack: cdk.Stack) -> float:
    if isinstance(value, bool):
        raise TypeError(value)
    return float(value)


def _boolean(value: Any, _stack: cdk.Stack) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in {"true", "false"}:
        raise ValueError(value)
    return text == "true"


def _log_level(value: Any, _stack: cdk.Stack) -> lambda_.ApplicationLogLevel:
    return lambda_.ApplicationLogLevel[str(value).strip().upper()]  # KeyError -> reported by the caller


def _vpc_endpoints(value: Any, stack: cdk.Stack) -> list[ec2.IInterfaceVpcEndpoint]:
    return [
        ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
            stack, f"VpcEndpoint{index}", vpc_endpoint_id=endpoint_id, port=443
        )
        for index, endpoint_id in enumerate(_text_list(value, stack))
    ]


def _email_addresses(value: Any, stack: cdk.Stack) -> list[str]:
    addresses = _text_list(value, stack)
    if not all(EMAIL_ADDRESS.match(address) for address in addresses):
        raise ValueError(value)
    return addresses


_SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")


def _topic(value: Any, stack: cdk.Stack) -> sns.ITopic:
    arn = _text(value, stack)
    if not _SNS_TOPIC_ARN.match(arn):
        raise ValueError(value)
    return sns.Topic.from_topic_arn(stack, "AlarmTopic", arn)


def _imported(from_arn: Callable[[cdk.Stack, str, str], Any], construct_id: str) -> Reader:
    """A reader importing the ARN as a reference (``from_*_arn``) with ``construct_id`` in the stack."""
    return lambda value, stack: from_arn(stack, construct_id, _text(value, stack))


# Context key -> option. Adding a key is one line here (and one row in docs/construct.md).
CONTEXT_OPTIONS = (
    ContextOption("stage-name", "stage_name", _text, "a string"),
    ContextOption("page-size", "page_size", _integer, "an integer"),
    ContextOption("allowed-regions", "allowed_regions", _text_list, "a comma-separated list"),
    ContextOption("memory-size-mb", "memory_size_mb", _integer, "an integer"),
    ContextOption("reserved-concurrent-executions", "reserved_concurrent_executions", _integer, "an integer"),
    ContextOption("provisioned-concurrency", "provisioned_concurrency", _integer, "an integer"),
    ContextOption("snap-start", "snap_start", _boolean, "true or false"),
    ContextOption("throttling-rate-limit", "throttling.rate_limit", _number, "a number"),
    ContextOption("throttling-burst-limit", "throttling.burst_limit", _integer, "an integer"),
    ContextOption("log-level", "logging.level", _log_level, "a Lambda application log level (INFO, ...)"),
    ContextOption(
        "log-encryption-key-arn",
        "logging.encryption_key",
        _imported(kms.Key.from_key_arn, "LogEncryptionKey"),
        "a KMS key ARN",
    ),
    ContextOption("private-vpc-endpoint-ids", "vpc_endpoints", _vpc_endpoints, "a comma-separated list"),
    ContextOption("domain-name", "domain.domain_name", _text, "a string"),
    ContextOption(
        "certificate-arn",
        "domain.certificate",
        _imported(acm.Certificate.from_certificate_arn, "Certificate"),
        "an ACM certificate ARN",
    ),
    ContextOption("hosted-zone-id", "domain.hosted_zone_id", _text, "a string"),
    ContextOption("hosted-zone-name", "domain.hosted_zone_name", _text, "a string"),
    ContextOption(
        "disable-execute-api-endpoint", "domain.disable_execute_api_endpoint", _boolean, "true or false"
    ),
    ContextOption("allowed-principal-arns", "allowed_principal_arns", _text_list, "a comma-separated list"),
    ContextOption("create-invoker-role", "create_invoker_role", _boolean, "true or false"),
    ContextOption(
        "permissions-boundary-arn",
        "permissions_boundary",
        _imported(iam.ManagedPolicy.from_managed_policy_arn, "PermissionsBoundary"),
        "an IAM managed policy ARN",
    ),
    ContextOption("web-acl-arn", "web_acl_arn", _text, "a string"),
    # ListImagesStack creates the account-level API Gateway CloudWatch role unless this is false.
    ContextOption("create-account-cloud-watch-role", "cloud_watch_role", _boolean, "true or false"),
)

# Context key -> field of MonitoringOptions (docs/operations.md documents each).
MONITORING_CONTEXT_OPTIONS = (
    ContextOption("alarms", "alarms", _boolean, "true or false"),
    ContextOption(
        "alarm-email",
        "alarm_email_addresses",
        _email_addresses,
        "an email address (comma-separated for several)",
    ),
    ContextOption("alarm-topic-arn", "alarm_topic", _topic, "an SNS topic ARN"),
    ContextOption("dashboard", "dashboard", _boolean, "true or false"),
)


def _custom_domain(stack: cdk.Stack, fields: dict[str, Any]) -> CustomDomain:
    """The domain group: its zone comes from two keys (id and name) imported as one reference."""
    zone_id, zone_name = fields.pop("hosted_zone_id", None), fields.pop("hosted_zone_name", None)
    if (zone_id is None) != (zone_name is None):
        raise ValueError(f"context {CONTEXT_PREFIX}hosted-zone-id and hosted-zone-name go together")
    if zone_id is not None:
        fields["hosted_zone"] = route53.HostedZone.from_hosted_zone_attributes(
            stack, "HostedZone", hosted_zone_id=zone_id, zone_name=zone_name
        )
    missing = {"domain_name": "domain-name", "certificate": "certificate-arn"}.keys() - fields.keys()
    if missing:
        raise ValueError(
            f"context {CONTEXT_PREFIX}domain-name and certificate-arn are required for a custom domain "
            "(hosted-zone-id/-name and disable-execute-api-endpoint belong to it); missing: "
            f"{sorted(missing)}"
        )
    return CustomDomain(**fields)


# Option struct of ListImagesApiOptions -> how to build it from its fields' context values.
_GROUPS: dict[str, Callable[[cdk.Stack, dict[str, Any]], Any]] = {
    "throttling": lambda _stack, fields: apigateway.ThrottleSettings(**fields),
    "logging": lambda _stack, fields: LoggingOptions(**fields),
    "domain": _custom_domain,
}


def _given_context(stack: cdk.Stack) -> dict[str, Any]:
    """The ``list-images:*`` values (prefix removed) seen by ``stack``; empty ones are ignored.

    Raises ``ValueError`` for an unknown key, naming it and the known ones.
    """
    known = {option.key for option in (*CONTEXT_OPTIONS, *MONITORING_CONTEXT_OPTIONS)}
    given = {
        key.removeprefix(CONTEXT_PREFIX): value
        for key, value in stack.node.get_all_context().items()
        if key.startswith(CONTEXT_PREFIX) and value is not None and value != ""
    }
    unknown = sorted(given.keys() - known)
    if unknown:
        raise ValueError(
            f"unknown context key(s) {', '.join(CONTEXT_PREFIX + key for key in unknown)}; known keys: "
            f"{', '.join(CONTEXT_PREFIX + key for key in sorted(known))}"
        )
    return given


def _read(stack: cdk.Stack, options: tuple[ContextOption, ...]) -> dict[str, Any]:
    """Field (``field`` or ``group.field``) -> value read from the context, for the keys in ``options``.

    Raises ``ValueError`` for a value of the wrong type, naming the key and the expected type.
    """
    given = _given_context(stack)
    fields: dict[str, Any] = {}
    for option in options:
        if option.key not in given:
            continue
        value = given[option.key]
        try:
            fields[option.field] = option.read(value, stack)
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"context {CONTEXT_PREFIX}{option.key}: expected {option.expected}, got {value!r}"
            ) from None
    return fields


def api_options_from_context(stack: cdk.Stack) -> ListImagesApiOptions:
    """Map the ``list-images:*`` context values seen by ``stack`` to the construct's options.

    Raises ``ValueError`` for an unknown ``list-images:`` key (naming it and the known ones) and for a
    value of the wrong type (naming the key and the expected type). Empty values are ignored.
    """
    fields: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {}
    for path, parsed in _read(stack, CONTEXT_OPTIONS).items():
        group, _, field = path.rpartition(".")
        (groups.setdefault(group, {}) if group else fields)[field] = parsed
    for group, group_fields in groups.items():
        fields[group] = _GROUPS[group](stack, group_fields)
    return ListImagesApiOptions(**fields)


def monitoring_options_from_context(stack: cdk.Stack) -> MonitoringOptions:
    """Map ``list-images:alarms``, ``alarm-email``, ``alarm-topic-arn`` and ``dashboard`` to options.

    Raises ``ValueError`` like ``api_options_from_context``, and for a contradiction (alarms turned off
    but given somewhere to go; an email address and an existing topic together).
    """
    fields = _read(stack, MONITORING_CONTEXT_OPTIONS)
    destinations = [
        CONTEXT_PREFIX + option.key
        for option in MONITORING_CONTEXT_OPTIONS
        if option.field in {"alarm_email_addresses", "alarm_topic"} and option.field in fields
    ]
    if fields.get("alarms") is False and destinations:
        raise ValueError(f"context {CONTEXT_PREFIX}alarms=false contradicts {' and '.join(destinations)}")
    if len(destinations) > 1:
        raise ValueError(
            f"context {' and '.join(destinations)}: give one; an existing topic's subscriptions are managed "
            "where the topic is"
        )
    return MonitoringOptions(**fields)


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
        api_options=api_options_from_context,
        monitoring=monitoring_options_from_context,
    )
    register_nag_packs(app)
    app.synth()


if __name__ == "__main__":
    main()
