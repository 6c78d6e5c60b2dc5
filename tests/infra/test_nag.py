"""cdk-nag v3: the three packs app.py registers find nothing unacknowledged in any configuration."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks, ServerlessChecks

from app import register_nag_packs
from pcluster_list_images_cdk import ListImagesApiOptions, ListImagesStack, acknowledgments
from tests.synth_support import build_stack, load_cdk_context, synthesize_configuration

PACKS: list[type[NagPack]] = [AwsSolutionsChecks, ServerlessChecks, NIST80053R5Checks]
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
ANY_REASON = acknowledgments._PUSH_TO_CLOUD_WATCH_LOGS_REASON


def _findings(pack: type[NagPack], scope: Any) -> list[tuple[str, list[str | None]]]:
    report = pack().validate_scope(scope)
    return [
        (violation.rule_name, [resource.construct_path for resource in violation.violating_resources])
        for violation in report.violations
    ]


@pytest.mark.parametrize("pack", PACKS, ids=lambda pack: pack.__name__)
def test_no_unacknowledged_findings(synthesized: Any, pack: type[NagPack]) -> None:
    # given one configuration's stack; when the pack validates its construct tree
    findings = _findings(pack, synthesized.stack)
    # then there is nothing left to acknowledge
    assert findings == []


def _acknowledged_rules(construct: Any) -> set[str]:
    return {
        key.split("::", 1)[1]
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for key in entry.data
    }


def test_opt_ins_satisfy_their_rules_without_acknowledgment() -> None:
    # given reserved concurrency and execution logging turned on (the tuned configuration)
    stack = synthesize_configuration("tuned_logging").stack
    api = stack.list_images
    # when NIST 800-53 R5 and AwsSolutions validate
    findings = _findings(NIST80053R5Checks, stack) + _findings(AwsSolutionsChecks, stack)
    # then nothing is reported, and the rules pass on their own merits: not acknowledged here
    assert findings == []
    assert "NIST.800.53.R5-LambdaConcurrency" not in _acknowledged_rules(api.function)
    stage_rules = _acknowledged_rules(api.api.deployment_stage)
    assert {"AwsSolutions-APIG6", "NIST.800.53.R5-APIGWExecutionLoggingEnabled"}.isdisjoint(stage_rules)


def test_the_account_role_managed_policy_is_acknowledged_on_that_role_only() -> None:
    # given the default stack, which creates the account-level API Gateway CloudWatch role
    stack = synthesize_configuration("default").stack
    cloud_watch_role = stack.list_images.api.node.find_child("CloudWatchRole")
    managed_policy_rule = (
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]"
    )
    # when the acknowledgments are collected; then that finding is acknowledged on that role and nowhere else
    holders = [
        construct.node.path
        for construct in stack.node.find_all()
        if managed_policy_rule in _acknowledged_rules(construct)
    ]
    assert holders == [cloud_watch_role.node.path]


def test_what_an_embedder_adds_to_the_role_is_judged_by_nag() -> None:
    # given the construct, and an embedding stack that adds a wildcard statement to the exposed role
    stack = build_stack({})
    stack.list_images.role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"])
    )
    # when AwsSolutions and NIST 800-53 R5 validate
    findings = _findings(AwsSolutionsChecks, stack) + _findings(NIST80053R5Checks, stack)
    # then both report the role's default policy, where the statement went: no acknowledgment covers it
    default_policy = "ListImagesStack/ListImages/FunctionRole/DefaultPolicy/Resource"
    assert ("AwsSolutions-IAM5[Resource::*]", [default_policy]) in findings
    assert ("NIST.800.53.R5-IAMNoInlinePolicy", [default_policy]) in findings


def test_unauthenticated_opt_in_is_flagged_by_nag() -> None:
    # given the loud unauthenticated opt-in; when AwsSolutions validates
    findings = _findings(AwsSolutionsChecks, build_stack({"dangerously_allow_unauthenticated_access": True}))
    rules = {rule for rule, _ in findings}
    # then the missing authorization is reported: the embedding app has to acknowledge it itself
    assert "AwsSolutions-APIG4" in rules
    assert "AwsSolutions-COG4" in rules


def test_app_registration_makes_synth_fail_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    # given an App with the packs registered as app.py does, holding an unauthenticated API
    app = cdk.App(context=load_cdk_context(), outdir=str(tmp_path))
    ListImagesStack(
        app, "Open", api_options=ListImagesApiOptions(dangerously_allow_unauthenticated_access=True)
    )
    register_nag_packs(app)
    # when synthesized; then synthesis fails
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    # and the validation report names the missing-authorization rule
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {
        violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]
    }
    assert "AwsSolutions-APIG4" in rules


def test_app_registration_lets_the_default_stack_synthesize() -> None:
    # given an App with the packs registered as app.py does, holding the default stack
    app = cdk.App(context=load_cdk_context())
    ListImagesStack(app, "ListImagesStack")
    register_nag_packs(app)
    # when synthesized; then the cloud assembly holds the stack
    assembly = app.synth()
    assert assembly.get_stack_by_name("ListImagesStack").template["Resources"]


def test_the_construct_registers_no_packs_itself() -> None:
    # given an App without plugins holding a construct that nag would reject (unauthenticated)
    stack = build_stack({"dangerously_allow_unauthenticated_access": True})
    # when synthesized; then it succeeds: only the embedding app decides which packs run
    assembly = cdk.Stage.of(stack).synth()  # type: ignore[union-attr]
    assert assembly.get_stack_by_name(stack.stack_name).template["Resources"]


class _ReleaseRefusingGranularIds:
    """``Validations.of(scope)`` as aws-cdk-lib 2.257 behaves: ids with more than one '::' are refused."""

    def __init__(self, scope: Any) -> None:
        self._validations = cdk.Validations.of(scope)

    def acknowledge(self, *rules: cdk.Acknowledgment) -> None:
        if any(rule.id.count("::") > 1 for rule in rules):
            raise RuntimeError(
                "InvalidValidationId: Invalid validation rule ID: the '::' delimiter is reserved"
            )
        self._validations.acknowledge(*rules)


def test_a_granular_acknowledgment_an_older_release_refuses_still_reaches_cdk_nag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given an aws-cdk-lib that refuses AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:...] as an id (2.257)
    monkeypatch.setattr(acknowledgments, "Validations", SimpleNamespace(of=_ReleaseRefusingGranularIds))
    # when the stack with the account CloudWatch role (and its AWS managed policy) is built and nagged
    stack = build_stack()
    findings = _findings(AwsSolutionsChecks, stack)
    # then the construct still acknowledged the finding on that role, where cdk-nag finds it
    assert findings == []
    role = stack.list_images.api.node.find_child("CloudWatchRole")
    recorded = [entry.data for entry in role.node.metadata if entry.type == ACKNOWLEDGED_RULES]
    assert recorded == [{f"Annotation::{acknowledgments._PUSH_TO_CLOUD_WATCH_LOGS_FINDING}": ANY_REASON}]


def test_without_the_fallback_the_refused_acknowledgment_would_leave_a_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the same older release, and the fallback that records the acknowledgment disabled
    monkeypatch.setattr(acknowledgments, "Validations", SimpleNamespace(of=_ReleaseRefusingGranularIds))
    monkeypatch.setattr(acknowledgments, "_ACKNOWLEDGED_RULES", "not-read-by-cdk-nag")
    # when the stack is nagged; then the managed-policy finding is reported (the fallback is what counts)
    findings = _findings(AwsSolutionsChecks, build_stack())
    assert [rule for rule, _ in findings] == [acknowledgments._PUSH_TO_CLOUD_WATCH_LOGS_FINDING]
