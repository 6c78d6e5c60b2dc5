"""The pinned CDK CLI synthesizes this repo's app (cdk.json, nag enforced by app.py) without AWS access."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from tests.infra.test_snapshots import masked
from tests.synth_support import REPO_ROOT, synth_template

CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"
CLI_REGION = "eu-west-1"


def _offline_cli_environment(tmp_path: Path) -> dict[str, str]:
    """PATH with .venv/bin first (cdk.json runs `python3 app.py`); no credentials, so no account lookup."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "CDK_DEFAULT_"))
    }
    environment.update(
        {
            "PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            # The CLI passes its Region to app.py as CDK_DEFAULT_REGION (us-east-1 when none is set).
            "AWS_REGION": CLI_REGION,
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )
    return environment


def _synth_with_cli(tmp_path: Path, output: Path, context: list[str] | None = None) -> dict[str, Any]:
    """Run the pinned CLI's `cdk synth` (with ``-c`` values); assert it succeeded; the stack's template."""
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--no-notices", "--quiet", "--output", str(output)]
        + [argument for value in context or [] for argument in ("-c", value)],
        cwd=REPO_ROOT,
        env=_offline_cli_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    template: dict[str, Any] = json.loads((output / "ListImagesStack.template.json").read_text())
    return template


@pytest.mark.slow
def test_cdk_synth_with_the_repo_cdk_json(tmp_path: Path) -> None:
    # given the pinned CLI, the repo's cdk.json and an output dir outside the repo
    output = tmp_path / "cdk.out"
    # when `cdk synth` runs (app.py registers the nag packs, so any finding would fail it)
    # then it succeeds and writes the stack's template
    template = _synth_with_cli(tmp_path, output)
    methods = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert {m["Properties"]["AuthorizationType"] for m in methods} == {"AWS_IAM"}
    assert len(methods) == 2
    assert set(template["Outputs"]) == {"ApiUrl", "ImagesCustomUrl", "V3ImagesCustomUrl", "FunctionName"}
    # and cdk.json's feature flags reached the app (this flag drops the ":*" from the access-log ARN)
    stage = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage")
    assert "Fn::Join" in stage["Properties"]["AccessLogSetting"]["DestinationArn"]
    assert "Conditions" not in template
    # and, apart from the CLI's version reporting and path metadata, it is the template the tests
    # synthesize for the CLI's Region (app.py pins the stack to CDK_DEFAULT_REGION)
    expected = synth_template(env=cdk.Environment(region=CLI_REGION))
    assert masked(_without_cli_metadata(template)) == masked(_without_cli_metadata(expected))


@pytest.mark.slow
def test_cdk_synth_with_alarms_dashboard_and_alarm_email(tmp_path: Path) -> None:
    # given the pinned CLI and the monitoring context keys (docs/operations.md)
    output = tmp_path / "cdk.out"
    context = [
        "list-images:alarms=true",
        "list-images:dashboard=true",
        "list-images:alarm-email=ops@example.com",
    ]
    # when `cdk synth` runs with them (the three nag packs are enforced by app.py)
    # then it succeeds, with the five alarms, the dashboard and the email subscription
    template = _synth_with_cli(tmp_path, output, context)
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert (types.count("AWS::CloudWatch::Alarm"), types.count("AWS::CloudWatch::Dashboard")) == (5, 1)
    assert types.count("AWS::SNS::Subscription") == 1


def _without_cli_metadata(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            logical_id: {key: value for key, value in resource.items() if key != "Metadata"}
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] != "AWS::CDK::Metadata"
        }
    }
