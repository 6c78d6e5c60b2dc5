"""Synthesize ListImagesStack configurations for tests: one fresh App per configuration, no nag plugin.

Used by tests/infra (Template assertions, snapshots, nag, cfn-lint) and by other suites that need the
synthesized template (e2e routes, IAM proof, embedding). Import it lazily from code that must not load
aws_cdk (runtime tests).

The function role's permissions are exactly one ``AWS::IAM::Policy`` (CDK's default policy of the role,
``Roles: [{"Ref": <function role>}]``); ``function_role_policy_statements`` finds it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from infra.stack import ListImagesStack

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_ID = "ListImagesStack"

# Named configurations exercised by the infra suite. Values are plain data, as app.py passes them.
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "private": {"private_vpc_endpoint_ids": ["vpce-0123456789abcdef0", "vpce-0fedcba9876543210"]},
    "custom_domain_waf": {
        "domain_name": "images.example.com",
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-4567-89ef-0123-4567",
        "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
        "hosted_zone_name": "example.com",
        "disable_default_endpoint": True,
        "web_acl_arn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/list-images/a1b2c3d4",
    },
    "principals_invoker": {
        "allowed_principal_arns": ["arn:aws:iam::123456789012:role/ImageBuilders"],
        "create_invoker_role": True,
    },
    # The hardened-IAM configuration; it also encrypts the log groups with a customer-managed key.
    "boundary_regions": {
        "permissions_boundary_arn": "arn:aws:iam::123456789012:policy/DeveloperBoundary",
        "allowed_regions": ["us-east-1", "eu-west-1"],
        "log_encryption_key_arn": (
            "arn:aws:kms:us-east-1:123456789012:key/0123abcd-4567-89ef-0123-456789abcdef"
        ),
    },
}


def load_cdk_context() -> dict[str, Any]:
    """Return the ``context`` block of the repo's cdk.json (feature flags the CLI would pass)."""
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text())
    context: dict[str, Any] = cdk_json["context"]
    return context


def build_stack(
    construct_kwargs: Mapping[str, Any] | None = None, *, env: cdk.Environment | None = None
) -> ListImagesStack:
    """Build a ListImagesStack in a fresh App with cdk.json's context (not synthesized yet)."""
    app = cdk.App(context=load_cdk_context(), outdir=tempfile.mkdtemp(prefix="list-images-synth-"))
    return ListImagesStack(app, STACK_ID, env=env, api_options=dict(construct_kwargs or {}))


def synth_template(
    construct_kwargs: Mapping[str, Any] | None = None, *, env: cdk.Environment | None = None
) -> dict[str, Any]:
    """Synthesize one configuration and return its CloudFormation template as a dict."""
    template = Template.from_stack(build_stack(construct_kwargs, env=env)).to_json()
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


def function_role_policy_statements(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Statements of the one AWS::IAM::Policy attached to the function role."""
    role_ref = {"Ref": function_role_logical_id(template)}
    policies = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy" and role_ref in resource["Properties"]["Roles"]
    ]
    if len(policies) != 1:
        raise AssertionError(f"expected one policy on the function role, found {len(policies)}")
    statements: list[dict[str, Any]] = policies[0]["PolicyDocument"]["Statement"]
    return statements
