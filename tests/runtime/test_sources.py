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
from listimages.regions import region_rules
from listimages.sources import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_ATTEMPTS,
    MEMORY_SIZE_VARIABLE,
    READ_TIMEOUT_SECONDS,
    AwsClients,
    client_capacity,
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


class CountingFactory:
    """A client factory that records what it created."""

    def __init__(self) -> None:
        self.created: list[tuple[str, str]] = []

    def __call__(self, service: str, region: str) -> object:
        self.created.append((service, region))
        return object()


def _go_round(clients: AwsClients, regions: list[str], times: int = 2) -> None:
    for _ in range(times):
        for region in regions:
            clients.get("ec2", region)
            clients.get("cloudformation", region)


@pytest.mark.parametrize(
    ("region_count", "memory_mb", "capacity"),
    [
        (36, None, 72),  # not in Lambda: every Region, both services
        (36, 256, 72),  # 256 MB affords them all: (256 - 64) / 2 = 96
        (36, 128, 32),  # Lambda's smallest affords (128 - 64) / 2 = 32
        (2, 128, 4),  # an allow-list of two Regions: its four clients
        (36, 80, 16),  # never fewer than 16
    ],
)
def test_the_capacity_is_every_region_served_within_half_the_spare_memory(
    region_count: int, memory_mb: int | None, capacity: int
) -> None:
    assert client_capacity(region_count, memory_mb) == capacity


@pytest.mark.parametrize("memory", [None, "256"])
def test_a_caller_going_round_every_region_of_the_partition_creates_each_client_once(
    monkeypatch: pytest.MonkeyPatch, memory: str | None
) -> None:
    # Given no allow-list, and no memory limit or 256 MB (issue 11: more than 16 Regions
    # in turn re-created a client on every request, 3.3x the CPU)
    if memory is None:
        monkeypatch.delenv(MEMORY_SIZE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(MEMORY_SIZE_VARIABLE, memory)
    regions = sorted(name for name in region_rules().partition.known_regions if not name.endswith("-global"))
    assert len(regions) > 16
    factory = CountingFactory()
    clients = AwsClients(factory)

    # When a caller goes round every Region of the partition, for both services, twice
    _go_round(clients, regions)

    # Then each client was created once
    assert len(factory.created) == len(set(factory.created)) == 2 * len(regions)


def test_with_an_allow_list_every_allowed_region_stays_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an allow-list of twelve Regions (24 clients) and Lambda's smallest memory size
    regions = sorted(name for name in region_rules().partition.known_regions if "-" in name)[:12]
    monkeypatch.setenv("LIST_IMAGES_ALLOWED_REGIONS", ",".join(regions))
    monkeypatch.setenv(MEMORY_SIZE_VARIABLE, "128")
    factory = CountingFactory()
    clients = AwsClients(factory)

    # When a caller goes round them twice, then each client was created once
    _go_round(clients, regions)
    assert len(factory.created) == 24


@pytest.mark.parametrize(("memory", "capacity"), [("128", 32), (None, 72)])
def test_the_cache_stays_bounded_whatever_region_names_callers_send(
    monkeypatch: pytest.MonkeyPatch, memory: str | None, capacity: int
) -> None:
    # Given no allow-list: any name of the partition's pattern is accepted, botocore knows it or not
    if memory is None:
        monkeypatch.delenv(MEMORY_SIZE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(MEMORY_SIZE_VARIABLE, memory)
    factory = CountingFactory()
    clients = AwsClients(factory)
    made_up = [f"us-probe{n}-1" for n in range(3 * capacity)]

    # When many made-up Regions are asked for, then the most recent ones again
    for region in made_up:
        clients.get("ec2", region)
    for region in made_up[-capacity:]:
        clients.get("ec2", region)

    # Then only the most recent `capacity` were kept: asking for them again created nothing
    assert [region for _, region in factory.created] == made_up
    # and one more evicts the oldest of them
    clients.get("ec2", made_up[-capacity])
    clients.get("ec2", "us-probe-new-1")
    clients.get("ec2", made_up[-capacity + 1])
    assert [region for _, region in factory.created][-2:] == ["us-probe-new-1", made_up[-capacity + 1]]


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
