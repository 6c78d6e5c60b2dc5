"""A bounded hostile-input fuzz in CI: signed requests through the real local gateway over HTTP, and events
straight into the handler, with the interpreter's default recursion limit.

Every answer must be a non-5xx JSON ``{"message": ...}`` or a page, reveal nothing the request did not carry
(traceback, ARN, account id, file path, class name), and arrive (no dropped connection). The seed is fixed so
that CI is repeatable; ``make fuzz`` runs 20,000 of each with a new seed (see docs/hostile-input.md).
"""

from __future__ import annotations

import random
import sys

import pytest

from fuzz.runner import DEFAULT_RECURSION_LIMIT, Figures, fuzz_gateway, fuzz_handler, harvest_tokens
from fuzz.tokens import HarvestedToken, HostileTokens
from local import LocalEndpoint

SEED = 11
REQUESTS = 600
EVENTS = 600


@pytest.fixture(scope="module")
def harvested(local_endpoint: LocalEndpoint) -> list[HarvestedToken]:
    """Every nextToken of a full walk of every seeded listing, on both routes."""
    assert local_endpoint.catalog is not None
    return harvest_tokens(local_endpoint, local_endpoint.catalog.regions)


def _assert_sound(figures: Figures, expected: int) -> None:
    shown = "\n".join(
        f"{finding.kind}: {finding.detail} <- {finding.request}" for finding in figures.findings[:20]
    )
    assert figures.findings == [], f"{len(figures.findings)} unsound answers, first ones:\n{shown}"
    assert figures.sent == expected


def test_hostile_requests_through_the_local_gateway_get_sound_answers(
    local_endpoint: LocalEndpoint, harvested: list[HarvestedToken]
) -> None:
    # given: a seeded generator of hostile requests, and the real tokens of every listing
    rng = random.Random(SEED)

    # when: they are sent over HTTP by six clients at once
    figures = fuzz_gateway(local_endpoint, rng, HostileTokens(rng, harvested), requests=REQUESTS)

    # then: every one got a sound answer
    _assert_sound(figures, REQUESTS)
    # and: the fuzz reached the function with real tokens (pages), its 400s, the gateway's 403s and the
    # refusals of malformed requests (raw bytes), not only one kind of answer
    assert figures.statuses[200] > REQUESTS // 10
    assert figures.statuses[400] > REQUESTS // 10
    assert figures.statuses[403] > 0
    assert sum(count for status, count in figures.statuses.items() if status in (413, 414, 431)) > 0
    assert figures.kinds["token"] > REQUESTS // 10


def test_hostile_events_into_the_handler_get_sound_answers_with_the_default_recursion_limit(
    local_endpoint: LocalEndpoint, harvested: list[HarvestedToken]
) -> None:
    # given: a seeded generator of hostile API Gateway events (v1, v2, malformed), and the real tokens
    rng = random.Random(SEED)
    limit_before = sys.getrecursionlimit()

    # when: the function is invoked with each, as Lambda would, at CPython's default recursion limit
    figures = fuzz_handler(local_endpoint, rng, HostileTokens(rng, harvested), events=EVENTS)

    # then: every one got a sound proxy response (and the test's own limit is back)
    _assert_sound(figures, EVENTS)
    assert figures.statuses[200] > EVENTS // 10
    assert figures.statuses[400] > EVENTS // 10
    assert {"v1", "v2", "v1 maps disagree", "v1 odd fields", "not an event"} <= set(figures.kinds)
    assert sys.getrecursionlimit() == limit_before
    assert DEFAULT_RECURSION_LIMIT == 1000
