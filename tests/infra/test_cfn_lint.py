"""cfn-lint finds nothing in any synthesized template (ignoring only W3005, CDK's redundant DependsOn)."""

from __future__ import annotations

import json
from typing import Any

from cfnlint.api import ManualArgs, lint

IGNORED_CHECKS = ["W3005"]  # CDK adds DependsOn that GetAtt already implies


def lint_template(template: dict[str, Any], regions: list[str]) -> list[str]:
    """cfn-lint matches (rule id and message) for a template in the given Regions."""
    matches = lint(json.dumps(template), config=ManualArgs(regions=regions, ignore_checks=IGNORED_CHECKS))
    return [f"{match.rule.id} {match.message} ({'/'.join(map(str, match.path))})" for match in matches]


def test_configuration_templates_lint_clean(synthesized: Any) -> None:
    # given one configuration's template; when cfn-lint checks it for us-east-1
    findings = lint_template(synthesized.template, ["us-east-1"])
    # then there are no errors or warnings
    assert findings == []
