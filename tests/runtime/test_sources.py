"""sources.py: clients are created once per (service, Region), with the Region passed explicitly, bounded
timeouts and standard retries."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from listimages import sources
from listimages.sources import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_ATTEMPTS,
    MAX_CACHED_CLIENTS,
    READ_TIMEOUT_SECONDS,
    AwsClients,
)


@pytest.mark.parametrize("service", ["ec2", "cloudformation"])
def test_clients_have_their_region_bounded_timeouts_and_standard_retries(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a process whose default Region is another one (the client must not depend on it)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")

    # When the runtime creates a client for eu-west-3
    client = sources.create_botocore_client(service, "eu-west-3")

    # Then it targets eu-west-3 with the bounded configuration
    config = client.meta.config
    assert client.meta.region_name == "eu-west-3"
    assert (config.connect_timeout, config.read_timeout) == (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
    assert config.retries == {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}


def test_one_client_per_service_and_region() -> None:
    # Given a client cache with a counting factory
    created: list[tuple[str, str]] = []

    def factory(service: str, region: str) -> object:
        created.append((service, region))
        return object()

    clients = AwsClients(factory)

    # When clients are asked for repeatedly
    first = clients.get("ec2", "us-east-1")
    again = clients.get("ec2", "us-east-1")
    clients.get("ec2", "eu-west-1")
    clients.get("cloudformation", "us-east-1")

    # Then each (service, Region) is created once and reused
    assert first is again
    assert created == [("ec2", "us-east-1"), ("ec2", "eu-west-1"), ("cloudformation", "us-east-1")]


def test_swapping_the_factory_forgets_cached_clients() -> None:
    clients = AwsClients(lambda service, region: "old")
    assert clients.get("ec2", "us-east-1") == "old"

    clients.use_factory(lambda service, region: "new")

    assert clients.get("ec2", "us-east-1") == "new"


def test_the_cache_keeps_a_bounded_number_of_clients_dropping_the_least_recently_used() -> None:
    # Given a cache of two clients (the Region comes from callers: the cache must not grow with it)
    created: list[str] = []

    def factory(service: str, region: str) -> str:
        created.append(region)
        return f"{service}@{region}"

    clients = AwsClients(factory, max_cached=2)
    clients.get("ec2", "us-east-1")
    clients.get("ec2", "eu-west-1")

    # When us-east-1 is used again, then a third Region arrives
    clients.get("ec2", "us-east-1")
    clients.get("ec2", "ap-south-1")

    # Then eu-west-1, the least recently used, was dropped and is created anew; us-east-1 was kept
    clients.get("ec2", "us-east-1")
    clients.get("ec2", "eu-west-1")
    assert created == ["us-east-1", "eu-west-1", "ap-south-1", "eu-west-1"]


def test_the_cache_is_bounded_by_default() -> None:
    # Given the default bound (a botocore client holds over 1 MB; callers choose the Region)
    assert 2 * 4 <= MAX_CACHED_CLIENTS <= 32
    created: list[str] = []

    def factory(service: str, region: str) -> object:
        created.append(region)
        return object()

    clients = AwsClients(factory)
    regions = [f"us-probe{n}-1" for n in range(3 * MAX_CACHED_CLIENTS)]

    # When many Regions are asked for, then the most recent ones again
    for region in regions:
        clients.get("ec2", region)
    for region in regions[-MAX_CACHED_CLIENTS:]:
        clients.get("ec2", region)

    # Then only the most recent MAX_CACHED_CLIENTS were kept: asking for them again created nothing
    assert created == regions


def test_the_home_region_clients_can_be_created_ahead_of_the_first_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a function in eu-west-3 whose clients are counted
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    created: list[tuple[str, str]] = []

    def factory(service: str, region: str) -> object:
        created.append((service, region))
        return object()

    sources.clients.use_factory(factory)

    # When the init phase creates the home Region's clients, then a request asks for one
    sources.create_home_region_clients()
    sources.clients.get("ec2", "eu-west-3")

    # Then both services' clients were made once, at init
    assert sorted(created) == [("cloudformation", "eu-west-3"), ("ec2", "eu-west-3")]


def test_clients_that_cannot_be_created_at_init_are_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a function whose home Region is unknown
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)

    # When the init phase tries to create the clients, Then it goes on and says why
    with caplog.at_level(logging.WARNING, logger="listimages.sources"):
        sources.create_home_region_clients()
    assert [record.getMessage() for record in caplog.records] == [
        "Could not create the AWS clients during init"
    ]


_INIT_PROBE = """
import json
from listimages import sources
created = []
sources.clients.use_factory(lambda service, region: created.append([service, region]) or object())
import listimages.handler
print(json.dumps(sorted(created)))
"""


@pytest.mark.parametrize(
    ("initialization_type", "created"),
    [
        ("provisioned-concurrency", [["cloudformation", "us-east-1"], ["ec2", "us-east-1"]]),
        ("snap-start", [["cloudformation", "us-east-1"], ["ec2", "us-east-1"]]),
        ("on-demand", []),
        (None, []),
    ],
)
def test_lambda_initialising_ahead_of_requests_makes_the_handler_create_its_clients(
    initialization_type: str | None, created: list[list[str]]
) -> None:
    # Given the init type Lambda announces (provisioned concurrency, SnapStart, or an on-demand cold start)
    environment = {
        **os.environ,
        "PYTHONPATH": str(Path(sources.__file__).parents[1]),
        "AWS_REGION": "us-east-1",
    }
    environment.pop("AWS_LAMBDA_INITIALIZATION_TYPE", None)
    if initialization_type is not None:
        environment["AWS_LAMBDA_INITIALIZATION_TYPE"] = initialization_type

    # When a fresh interpreter imports the handler (Lambda's init phase)
    output = subprocess.run(
        [sys.executable, "-c", _INIT_PROBE], env=environment, check=True, capture_output=True, text=True
    ).stdout

    # Then the home Region's clients exist before any request only when Lambda initialises ahead of requests
    assert json.loads(output) == created
