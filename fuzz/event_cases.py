"""Hostile Lambda events for the handler, drawn from a seeded random generator.

API Gateway REST (v1) proxy events as API Gateway builds them (``queryStringParameters`` with the last value
of a repeated parameter, ``multiValueQueryStringParameters`` with all), HTTP API / function URL (v2) events,
and events no gateway would send: maps that disagree, values of every JSON type where text is expected, deep
nesting, bodies that are not what ``isBase64Encoded`` says, events that are not objects at all.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from typing import Any
from urllib.parse import quote

from .http_cases import IMAGE_STATUSES, UNKNOWN_REGIONS
from .tokens import HostileTokens

_JSON_ODDITIES: tuple[Any, ...] = (
    None, True, 0, -1, 1.5, 10**30, "", " ", "\u0000", "\u00e9", "\U0001f600", "x" * 10_000, [], {},
    ["AVAILABLE"], {"AVAILABLE": 1}, [[["deep"]]], "AVAILABLE\r\n", "arn:aws:iam::210987654321:root",
)  # fmt: skip
_ODD_STATUSES = ("available", "", " PENDING", "FAILED ", "BUILD_FAILED", "\u0130MAGE", "Z" * 3000)
_ODD_REGIONS = ("mars-north-1", "US-EAST-1", "", "aws-global", "us-east-1\u0000", "x" * 400, "cn-north-1")


def _nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


class HostileEvents:
    """Draw hostile events for routes ``routes`` of a stage ``stage`` (see the module)."""

    def __init__(
        self,
        rng: random.Random,
        tokens: HostileTokens,
        *,
        stage: str,
        routes: tuple[str, ...],
        seeded_regions: tuple[str, ...],
        unknown_region_share: float = 0.002,
    ) -> None:
        self._rng = rng
        self._tokens = tokens
        self._stage = stage
        self._routes = routes
        self._seeded = seeded_regions
        self._unknown_region_share = unknown_region_share

    def next_event(self) -> tuple[str, Any]:
        """One hostile event, and what kind it is."""
        roll = self._rng.random()
        if roll < 0.6:
            return "v1", self._v1_event(self._parameters())
        if roll < 0.72:
            return "v2", self._v2_event(self._parameters())
        if roll < 0.84:
            return "v1 maps disagree", self._disagreeing_maps()
        if roll < 0.96:
            return "v1 odd fields", self._odd_fields()
        return "not an event", self._rng.choice(
            [None, [], "GET /images/custom", 42, [{"httpMethod": "GET"}], _nested(50), {"": None}]
        )

    def _parameters(self) -> list[tuple[str, str]]:
        rng = self._rng
        status = rng.choice(IMAGE_STATUSES)
        region: str | None = rng.choice(self._seeded) if rng.random() < 0.6 else None
        parameters: list[tuple[str, str]] = []
        if rng.random() < 0.4:
            token, base = self._tokens.any()
            if rng.random() < 0.8:
                status, region = base.image_status, base.region
            parameters.append(("nextToken", token))
        if rng.random() < 0.08:
            status = rng.choice(_ODD_STATUSES)
        if rng.random() > 0.03:
            parameters.append(("imageStatus", status))
        roll = rng.random()
        if roll < self._unknown_region_share:
            region = rng.choice(UNKNOWN_REGIONS)
        elif roll < 0.06:
            region = rng.choice(_ODD_REGIONS)
        if region is not None:
            parameters.append(("region", region))
        if rng.random() < 0.08:
            name, value = rng.choice(parameters or [("imageStatus", "AVAILABLE")])
            parameters.append((name, rng.choice([value, rng.choice(IMAGE_STATUSES)])))
        if rng.random() < 0.05:
            parameters.append(
                rng.choice([("foo", "bar"), ("foo", "baz"), ("", ""), ("imagestatus", "FAILED")])
            )
        rng.shuffle(parameters)
        return parameters

    def _body(self) -> tuple[Any, Any]:
        """(body, isBase64Encoded)."""
        rng = self._rng
        roll = rng.random()
        if roll < 0.8:
            return None, False
        if roll < 0.9:
            document = {
                name: rng.choice([*IMAGE_STATUSES, *self._seeded, None, 3, "", self._tokens.any()[0]])
                for name in rng.sample(["imageStatus", "region", "nextToken", "other"], rng.randrange(1, 4))
            }
            text = json.dumps(document)
        else:
            text = rng.choice(
                ["[", "[" * 100_000, '{"a":' * 50_000, "null", "[]", '"s"', "{}", "\ud800", "x" * 100_000,
                 '{"imageStatus": "AVAILABLE", "imageStatus": "PENDING"}']
            )  # fmt: skip
        if rng.random() < 0.3:
            encoded = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()
            return rng.choice([encoded, encoded[:-1], encoded + "!", "%%%"]), True
        return text, rng.choice([False, False, None, 0, "false"])

    def _context(self) -> dict[str, Any]:
        return {
            "requestId": str(uuid.uuid4()),
            "stage": self._stage,
            "resourcePath": self._rng.choice(self._routes),
            "httpMethod": "GET",
            "identity": {"sourceIp": "127.0.0.1", "userArn": None},
        }

    def _v1_event(self, parameters: list[tuple[str, str]]) -> dict[str, Any]:
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in parameters:
            single[name] = value
            multi.setdefault(name, []).append(value)
        route = self._rng.choice(self._routes)
        body, is_base64 = self._body()
        return {
            "resource": route,
            "path": route,
            "httpMethod": "GET"
            if self._rng.random() < 0.97
            else self._rng.choice(["POST", "get", "", "DELETE"]),
            "headers": {"Host": "example.execute-api.us-east-1.amazonaws.com"},
            "multiValueHeaders": {"Host": ["example.execute-api.us-east-1.amazonaws.com"]},
            "queryStringParameters": single or None,
            "multiValueQueryStringParameters": multi or None,
            "pathParameters": None,
            "stageVariables": None,
            "requestContext": self._context(),
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def _v2_event(self, parameters: list[tuple[str, str]]) -> dict[str, Any]:
        route = self._rng.choice(self._routes)
        joined: dict[str, str] = {}
        for name, value in parameters:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
        raw_query = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in parameters)
        body, is_base64 = self._body()
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": f"GET {route}",
            "rawPath": self._rng.choice([route, f"/{self._stage}{route}"]),
            "rawQueryString": raw_query,
            "queryStringParameters": joined or None,
            "requestContext": {**self._context(), "http": {"method": "GET", "path": route}},
            "body": body,
            "isBase64Encoded": is_base64,
        }
        if self._rng.random() < 0.1:
            del event["rawQueryString"]  # a hand-made event with the joined map only
        return event

    def _disagreeing_maps(self) -> dict[str, Any]:
        rng = self._rng
        event = self._v1_event(self._parameters())
        single = {
            name: rng.choice([rng.choice(IMAGE_STATUSES), *_JSON_ODDITIES[:12]])
            for name in ("imageStatus", "region")
        }
        odd_lists: list[Any] = [
            [rng.choice(IMAGE_STATUSES)],
            [],
            [None],
            "AVAILABLE",
            [1, 2],
            [[]],
            ["A", "B"],
            None,
        ]
        multi = {
            name: rng.choice(odd_lists)
            for name in rng.sample(["imageStatus", "region", "nextToken"], rng.randrange(0, 3))
        }
        event["queryStringParameters"] = rng.choice([single, None, [], "imageStatus=AVAILABLE", {}])
        event["multiValueQueryStringParameters"] = rng.choice([multi, None, [], "x", {}, multi])
        return event

    def _odd_fields(self) -> dict[str, Any]:
        rng = self._rng
        event = self._v1_event(self._parameters())
        for field in rng.sample(sorted(event), rng.randrange(1, 4)):
            event[field] = rng.choice([*_JSON_ODDITIES, _nested(rng.choice([10, 200, 600]))])
        if rng.random() < 0.3:
            event["requestContext"] = rng.choice(
                [
                    None,
                    [],
                    "x",
                    {"requestId": rng.choice(_JSON_ODDITIES)},
                    {"requestId": "a" * 5000},
                    {"stage": 5},
                ]
            )
        return event
