"""sources.py: clients are created once per (service, Region), with the Region passed explicitly, bounded
timeouts and standard retries."""

from __future__ import annotations

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
