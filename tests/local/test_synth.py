"""`python -m local` synthesizes offline: no credential, profile or endpoint reaches the CDK CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.synth import _offline_environment


def test_the_cli_environment_carries_no_aws_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # given a shell with credentials, a profile, an endpoint override and a pinned CDK account
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "111111111111")

    # when the synth environment is built for eu-west-1
    environment = _offline_environment("eu-west-1", tmp_path)

    # then nothing AWS is left but the Region and the switches that keep botocore from looking further
    assert {
        name: value for name, value in environment.items() if name.startswith(("AWS_", "CDK_DEFAULT_"))
    } == {
        "AWS_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    # and the CLI is quiet and offline
    assert environment["CDK_DISABLE_CLI_TELEMETRY"] == "true"
