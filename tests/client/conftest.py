"""A SigV4-verifying fake endpoint shared by the client and CLI tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.client.fake_endpoint import FakeEndpoint, running_fake_endpoint

STAGE_MOUNT = "/prod"
STAGE_REGION = "us-east-1"
CUSTOM_DOMAIN_MOUNT = "/images-api"
CUSTOM_DOMAIN_REGION = "eu-west-1"
EXPLICIT_ACCESS_KEY = "AKIDEXPLICITEXAMPLE"
EXPLICIT_SECRET_KEY = "explicit-secret-key"


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
