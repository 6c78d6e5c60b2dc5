"""The stack synthesizes, lints and passes nag in a Region of each partition: aws, aws-cn, aws-us-gov."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks

from pcluster_list_images_cdk import ListImagesStack
from tests.infra.test_cfn_lint import lint_template
from tests.synth_support import build_stack

PARTITION_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
ACCOUNT = "123456789012"


@pytest.fixture(scope="module", params=sorted(PARTITION_REGIONS))
def partition_stack(request: pytest.FixtureRequest) -> tuple[str, ListImagesStack, dict[str, Any]]:
    """(partition, stack, template) of a stack pinned to a Region of that partition, with the invoker role,
    the account CloudWatch role (the stack's default) and a resource policy admitting a role and an account
    of that partition."""
    partition: str = request.param
    env = cdk.Environment(account=ACCOUNT, region=PARTITION_REGIONS[partition])
    admitted = [
        f"arn:{partition}:iam::{ACCOUNT}:role/ImageBuilders",
        f"arn:{partition}:iam::210987654321:root",
    ]
    stack = build_stack({"create_invoker_role": True, "allowed_principal_arns": admitted}, env=env)
    return partition, stack, dict(Template.from_stack(stack).to_json())


def test_every_arn_uses_the_stack_partition(
    partition_stack: tuple[str, ListImagesStack, dict[str, Any]],
) -> None:
    # given a stack in a Region of the partition; when the ARNs in its template are collected
    partition, _, template = partition_stack
    arn_partitions = re.findall(r"arn:(aws[a-z-]*):", json.dumps(template))
    # then there are some (integration URI, permissions, ...) and all are of that partition
    assert arn_partitions
    assert set(arn_partitions) == {partition}


def test_template_lints_clean_in_the_partition_region(
    partition_stack: tuple[str, ListImagesStack, dict[str, Any]],
) -> None:
    # given a stack in a Region of the partition; when cfn-lint checks it for that Region
    partition, _, template = partition_stack
    # then there are no findings
    assert lint_template(template, [PARTITION_REGIONS[partition]]) == []


def test_nag_packs_are_clean_in_the_partition(
    partition_stack: tuple[str, ListImagesStack, dict[str, Any]],
) -> None:
    # given a stack in a Region of the partition; when the three packs validate it
    _, stack, _ = partition_stack
    violations = [
        violation.rule_name
        for pack in (AwsSolutionsChecks, ServerlessChecks, NIST80053R5Checks)
        for violation in pack().validate_scope(stack).violations
    ]
    # then nothing is left unacknowledged
    assert violations == []
