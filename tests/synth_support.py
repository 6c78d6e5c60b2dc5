"""Synthesize ListImagesStack configurations for tests: one fresh App per configuration, no nag plugin.

Used by tests/infra (Template assertions, snapshots, nag, cfn-lint) and by other suites that need the
synthesized template (e2e routes, IAM proof, embedding). Import it lazily from code that must not load
aws_cdk (runtime tests).

The function role's permissions are exactly one ``AWS::IAM::Policy``: the construct's own ``FunctionPolicy``
(``Roles: [{"Ref": <function role>}]``), not the role's CDK default policy, which stays empty until an
embedding stack adds to the role; ``function_role_policy_statements`` finds it and checks which it is.

``default`` is ListImagesStack as ``make deploy`` builds it, so it includes the account-level API Gateway
CloudWatch role (the stack's default); ``principals_invoker`` turns that off, as an account that manages
the singleton elsewhere does, so both shapes are synthesized, linted, nagged and snapshotted.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_route53 as route53
from aws_cdk.assertions import Template

from pcluster_list_images_cdk import (
    CustomDomain,
    ListImagesApiOptions,
    ListImagesStack,
    LoggingOptions,
    MonitoringOptions,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_ID = "ListImagesStack"
# Construct id of the policy holding the function's permissions (its logical id starts ListImages<this>).
FUNCTION_POLICY_ID = "FunctionPolicy"

# Values the configurations pass in, spelt out in full (a test reads this module's text for them).
ACCOUNT = "123456789012"
CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-4567-89ef-0123-4567"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-4567-89ef-0123-456789abcdef"
BOUNDARY_ARN = "arn:aws:iam::123456789012:policy/DeveloperBoundary"
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/list-images/a1b2c3d4"
HOSTED_ZONE_ID = "Z0123456789ABCDEFGHIJ"

# Makes a configuration's options given the stack (references are imported into it, as app.py does).
Configuration = Callable[[cdk.Stack], ListImagesApiOptions]
Options = ListImagesApiOptions | Configuration | Mapping[str, Any] | None


def vpc_endpoint(stack: cdk.Stack, endpoint_id: str) -> ec2.IInterfaceVpcEndpoint:
    """An interface endpoint imported by id (the construct only needs its id)."""
    return ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
        stack, endpoint_id, vpc_endpoint_id=endpoint_id, port=443
    )


def imported_domain(stack: cdk.Stack, **overrides: Any) -> CustomDomain:
    """images.example.com with an imported certificate and zone (example.com)."""
    values: dict[str, Any] = {
        "domain_name": "images.example.com",
        "certificate": acm.Certificate.from_certificate_arn(stack, "Certificate", CERTIFICATE_ARN),
        "hosted_zone": route53.HostedZone.from_hosted_zone_attributes(
            stack, "HostedZone", hosted_zone_id=HOSTED_ZONE_ID, zone_name="example.com"
        ),
    }
    return CustomDomain(**{**values, **overrides})


# Named configurations exercised by the infra suite, as app.py would build them from context (references
# imported from ARNs), except the execution-logging level (no context key sets it).
CONFIGURATIONS: dict[str, Configuration] = {
    "default": lambda stack: ListImagesApiOptions(),
    "private": lambda stack: ListImagesApiOptions(
        vpc_endpoints=[
            vpc_endpoint(stack, "vpce-0123456789abcdef0"),
            vpc_endpoint(stack, "vpce-0fedcba9876543210"),
        ]
    ),
    "custom_domain_waf": lambda stack: ListImagesApiOptions(
        domain=imported_domain(stack, disable_execute_api_endpoint=True), web_acl_arn=WEB_ACL_ARN
    ),
    # A role and a whole other account admitted; the account CloudWatch role left to someone else.
    "principals_invoker": lambda stack: ListImagesApiOptions(
        allowed_principal_arns=[
            "arn:aws:iam::123456789012:role/ImageBuilders",
            "arn:aws:iam::210987654321:root",
        ],
        create_invoker_role=True,
        cloud_watch_role=False,
    ),
    # The hardened-IAM configuration; it also encrypts the log groups with an imported customer-managed key.
    "boundary_regions": lambda stack: ListImagesApiOptions(
        permissions_boundary=iam.ManagedPolicy.from_managed_policy_arn(stack, "Boundary", BOUNDARY_ARN),
        allowed_regions=["us-east-1", "eu-west-1"],
        logging=LoggingOptions(encryption_key=kms.Key.from_key_arn(stack, "LogKey", KEY_ARN)),
    ),
    # Stage and function options away from their defaults, execution logging on, provisioned concurrency
    # (stage name: see the two-instance test; a renamed stage would rename the acknowledged construct paths
    # the docs list).
    "tuned_logging": lambda stack: ListImagesApiOptions(
        throttling=apigateway.ThrottleSettings(rate_limit=3.5, burst_limit=7),
        logging=LoggingOptions(
            level=lambda_.ApplicationLogLevel.DEBUG,
            execution_logging_level=apigateway.MethodLoggingLevel.ERROR,
        ),
        page_size=50,
        memory_size_mb=512,
        reserved_concurrent_executions=5,
        provisioned_concurrency=2,
    ),
    # SnapStart: the function's published version behind the alias API Gateway invokes.
    "snap_start": lambda stack: ListImagesApiOptions(snap_start=True),
}


def load_cdk_context() -> dict[str, Any]:
    """Return the ``context`` block of the repo's cdk.json (feature flags the CLI would pass)."""
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text())
    context: dict[str, Any] = cdk_json["context"]
    return context


def build_stack(
    options: Options = None,
    *,
    env: cdk.Environment | None = None,
    monitoring: MonitoringOptions | Callable[[cdk.Stack], MonitoringOptions] | None = None,
) -> ListImagesStack:
    """Build a ListImagesStack in a fresh App with cdk.json's context (not synthesized yet).

    ``options``: the construct's options, a function making them given the stack, or a mapping of
    plain-valued fields (``{"page_size": 50}``); ``monitoring``: the stack's alarms and dashboard.
    """
    app = cdk.App(context=load_cdk_context(), outdir=tempfile.mkdtemp(prefix="list-images-synth-"))
    api_options = ListImagesApiOptions(**options) if isinstance(options, Mapping) else options
    return ListImagesStack(app, STACK_ID, env=env, api_options=api_options, monitoring=monitoring)


def synth_template(options: Options = None, *, env: cdk.Environment | None = None) -> dict[str, Any]:
    """Synthesize one configuration and return its CloudFormation template as a dict."""
    template = Template.from_stack(build_stack(options, env=env)).to_json()
    return dict(template)


@dataclass(frozen=True)
class SynthesizedConfiguration:
    """A named configuration's stack (for nag, which walks the construct tree) and its template."""

    name: str
    stack: ListImagesStack
    template: dict[str, Any]


@cache
def synthesize_configuration(name: str) -> SynthesizedConfiguration:
    """Synthesize ``CONFIGURATIONS[name]`` once per process and keep the result."""
    stack = build_stack(CONFIGURATIONS[name])
    return SynthesizedConfiguration(name, stack, dict(Template.from_stack(stack).to_json()))


def function_role_logical_id(template: Mapping[str, Any]) -> str:
    """Logical id of the Lambda function's execution role."""
    functions = [
        resource for resource in template["Resources"].values() if resource["Type"] == "AWS::Lambda::Function"
    ]
    if len(functions) != 1:
        raise AssertionError(f"expected one Lambda function, found {len(functions)}")
    logical_id: str = functions[0]["Properties"]["Role"]["Fn::GetAtt"][0]
    return logical_id


def function_role_policy_ids(template: Mapping[str, Any]) -> list[str]:
    """Logical ids of every AWS::IAM::Policy attached to the function role."""
    role_ref = {"Ref": function_role_logical_id(template)}
    return [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy" and role_ref in resource["Properties"]["Roles"]
    ]


def function_role_policy_statements(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Statements of the one AWS::IAM::Policy on the function role, which must be the construct's own."""
    policy_ids = function_role_policy_ids(template)
    if len(policy_ids) != 1 or FUNCTION_POLICY_ID not in policy_ids[0]:
        raise AssertionError(
            f"expected only the construct's {FUNCTION_POLICY_ID} on the role, found {policy_ids}"
        )
    statements: list[dict[str, Any]] = template["Resources"][policy_ids[0]]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    return statements
