"""cdk-nag v3: the three packs app.py registers find nothing unacknowledged in any configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks, ServerlessChecks

from app import register_nag_packs
from infra.stack import ListImagesStack
from tests.synth_support import build_stack, load_cdk_context

PACKS: list[type[NagPack]] = [AwsSolutionsChecks, ServerlessChecks, NIST80053R5Checks]


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


def test_reserved_concurrency_satisfies_the_concurrency_rule_without_acknowledgment() -> None:
    # given reserved concurrency; when NIST 800-53 R5 validates
    findings = _findings(NIST80053R5Checks, build_stack({"reserved_concurrent_executions": 2}))
    # then the concurrency rule passes on its own merits (it is only acknowledged when off)
    assert findings == []


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
    ListImagesStack(app, "Open", api_options={"dangerously_allow_unauthenticated_access": True})
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
