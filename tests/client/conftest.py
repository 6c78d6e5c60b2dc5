"""A SigV4-verifying fake endpoint shared by the client and CLI tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client.fake_endpoint import FakeEndpoint, running_fake_endpoint

STAGE_MOUNT = "/prod"
STAGE_REGION = "us-east-1"
CUSTOM_DOMAIN_MOUNT = "/images-api"
CUSTOM_DOMAIN_REGION = "eu-west-1"
EXPLICIT_ACCESS_KEY = "AKIDEXPLICITEXAMPLE"
EXPLICIT_SECRET_KEY = "explicit-secret-key"
LEAKED_SECRET = "wJalrXUtnFEMI-SHOULD-NEVER-BE-PRINTED"


def failing_credential_process(tmp_path: Path) -> str:
    """A credential_process command that prints a secret key, in a format version botocore refuses."""
    script = tmp_path / "credential_process.py"
    script.write_text(
        "import json, sys\n"
        f"print(json.dumps({{'Version': 2, 'AccessKeyId': 'AKID', 'SecretAccessKey': '{LEAKED_SECRET}'}}))\n"
    )
    return f"{sys.executable} {script}"


@pytest.fixture(scope="session")
def running_endpoint() -> Iterator[FakeEndpoint]:
    """One server for the session; it knows the ambient test credentials and one explicit key pair."""
    ambient_key = (os.environ["AWS_SECRET_ACCESS_KEY"], os.environ.get("AWS_SESSION_TOKEN"))
    with running_fake_endpoint(
        keys={os.environ["AWS_ACCESS_KEY_ID"]: ambient_key, EXPLICIT_ACCESS_KEY: (EXPLICIT_SECRET_KEY, None)},
        mounts={STAGE_MOUNT: STAGE_REGION, CUSTOM_DOMAIN_MOUNT: CUSTOM_DOMAIN_REGION},
    ) as endpoint:
        yield endpoint


@pytest.fixture
def fake_endpoint(running_endpoint: FakeEndpoint) -> FakeEndpoint:
    """The shared server with no canned answers and no recorded requests."""
    running_endpoint.routes.clear()
    running_endpoint.received.clear()
    return running_endpoint


@pytest.fixture
def no_ambient_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS credentials or Region in the environment, and empty config files; returns the config path."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return config
