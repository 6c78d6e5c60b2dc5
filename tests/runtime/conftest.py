"""Runtime test fixtures: a clean client cache per test, the in-memory fake AWS, moto, and Stubber."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

# Imported before any botocore session exists, so moto's hooks are part of every session.
import moto
import pytest
from botocore.stub import Stubber
from listimages import sources

from tests.runtime.support import FakeAws


@pytest.fixture(autouse=True)
def _isolated_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Each test starts with the default configuration and no cached clients.
    monkeypatch.delenv("LIST_IMAGES_PAGE_SIZE", raising=False)
    monkeypatch.delenv("LIST_IMAGES_ALLOWED_REGIONS", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    sources.clients.use_factory()
    yield
    sources.clients.use_factory()


@pytest.fixture
def fake_aws() -> FakeAws:
    """The in-memory fake AWS, installed as the source of every client."""
    aws = FakeAws()
    sources.clients.use_factory(aws.factory)
    return aws


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """moto's in-process AWS; the runtime creates real botocore clients against it."""
    with moto.mock_aws():
        sources.clients.use_factory()
        yield


@pytest.fixture(scope="session")
def _real_clients() -> dict[tuple[str, str], Any]:
    return {}


@pytest.fixture
def stubbed(_real_clients: dict[tuple[str, str], Any]) -> Iterator[Callable[[str, str], Stubber]]:
    """``stubbed(service, region)`` → an active Stubber on the client the runtime will use there."""
    stubbers: list[Stubber] = []

    def client(service: str, region: str) -> Any:
        key = (service, region)
        if key not in _real_clients:
            _real_clients[key] = sources.create_botocore_client(service, region)
        return _real_clients[key]

    def stub(service: str, region: str) -> Stubber:
        stubber = Stubber(client(service, region))
        stubber.activate()
        stubbers.append(stubber)
        return stubber

    sources.clients.use_factory(client)
    yield stub
    for stubber in stubbers:
        stubber.deactivate()
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
