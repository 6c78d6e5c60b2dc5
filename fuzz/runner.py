"""Send hostile requests through the local gateway and hostile events into the handler; count the answers."""

from __future__ import annotations

import http.client
import json
import random
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from local import LocalEndpoint
from local.sigv4 import LocalCredentials, sign

from .event_cases import HostileEvents
from .http_cases import HostileHttp, HttpCase, RawCase, Signing
from .oracle import Finding, judge_http, judge_proxy_response, mentions_of
from .tokens import HarvestedToken, HostileTokens

#: CPython's default recursion limit: the handler must cope with it, as on Lambda (Hypothesis raises it).
DEFAULT_RECURSION_LIMIT = 1000
_ROUTES = ("/images/custom", "/v3/images/custom")
_HTTP_TIMEOUT_SECONDS = 60
_SHOWN_FINDINGS = 10
# Other Regions of the partition: without sample images (empty listings), or newer than moto (me-west-1 and
# sa-west-1 with the pinned versions: the emulated account has not enabled them).
_OTHER_REGIONS = (
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
    "me-west-1",
    "sa-west-1",
)


@dataclass
class Figures:
    """What one part of the fuzz sent and got back."""

    name: str
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    progress_every: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, status: int | None, problems: list[tuple[str, str]], request: str) -> None:
        """Count one exchange (``status`` None: no answer) and keep what was wrong with it."""
        with self._lock:
            self.sent += 1
            self.kinds[kind] += 1
            if status is not None:
                self.statuses[status] += 1
            self.findings += [Finding(problem, detail, request[:300]) for problem, detail in problems]
            if self.progress_every and self.sent % self.progress_every == 0:
                print(
                    f"  {self.name}: {self.sent:,} sent, {len(self.findings)} findings",
                    file=sys.stderr,
                    flush=True,
                )

    def count(self, problem: str) -> int:
        """How many findings of kind ``problem`` ("5xx", "not JSON", "leak", "drop", "raised")."""
        return sum(1 for finding in self.findings if finding.kind == problem)

    @property
    def per_second(self) -> float:
        """Exchanges per second."""
        return self.sent / self.seconds if self.seconds else 0.0


def harvest_tokens(endpoint: LocalEndpoint, regions: tuple[str, ...]) -> list[HarvestedToken]:
    """Walk every listing of ``regions`` on both routes and keep every ``nextToken`` given out."""
    harvested = []
    for region in regions:
        for status in ("AVAILABLE", "PENDING", "FAILED"):
            for route in _ROUTES:
                token: str | None = None
                for _ in range(100):
                    query = {
                        "imageStatus": status,
                        "region": region,
                        **({"nextToken": token} if token else {}),
                    }
                    url = endpoint.url(route, **query)
                    body = _signed_json(endpoint, url)
                    token = body.get("nextToken")
                    if not token:
                        break
                    harvested.append(HarvestedToken(token, status, region))
    return harvested


def _signed_json(endpoint: LocalEndpoint, url: str) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.gateway.port, timeout=_HTTP_TIMEOUT_SECONDS)
    try:
        parts = urlsplit(url)
        connection.request("GET", f"{parts.path}?{parts.query}", headers=endpoint.sign("GET", url))
        response = connection.getresponse()
        answer: dict[str, Any] = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"a walk of the listings failed: {response.status} {answer}")
        return answer
    finally:
        connection.close()


@contextmanager
def default_recursion_limit() -> Iterator[None]:
    """Run with the interpreter's default recursion limit (restoring the current one after)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def fuzz_gateway(
    endpoint: LocalEndpoint,
    rng: random.Random,
    tokens: HostileTokens,
    *,
    requests: int,
    workers: int = 6,
    progress_every: int = 0,
) -> Figures:
    """Send ``requests`` hostile requests to the running ``endpoint`` over HTTP, from ``workers`` clients
    (printing a progress line to stderr every ``progress_every`` requests, if not 0)."""
    catalog = endpoint.catalog
    seeded = catalog.regions if catalog else (endpoint.region,)
    generator = HostileHttp(
        rng,
        tokens,
        stage=endpoint.api.stage_name,
        routes=_ROUTES,
        seeded_regions=seeded,
        served_regions=tuple(region for region in _OTHER_REGIONS if region not in endpoint.faults),
    )
    # Drawn up front, in order, so that a seed always gives the same requests whatever the threads do.
    cases = [generator.next_case() for _ in range(requests)]
    figures = Figures("local gateway over HTTP", progress_every=progress_every)
    client = _GatewayClient(endpoint, figures)
    started = time.monotonic()
    with default_recursion_limit(), ThreadPoolExecutor(workers) as pool:
        for start in range(workers):
            pool.submit(client.send_all, cases[start::workers])
    figures.seconds = time.monotonic() - started
    return figures


class _GatewayClient:
    """Sends cases to the gateway, one keep-alive connection per thread, and judges the answers."""

    def __init__(self, endpoint: LocalEndpoint, figures: Figures) -> None:
        self._endpoint = endpoint
        self._figures = figures
        self._port = endpoint.gateway.port
        self._origin = f"http://127.0.0.1:{self._port}"

    def send_all(self, cases: list[HttpCase | RawCase]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=_HTTP_TIMEOUT_SECONDS)
        try:
            for case in cases:
                if isinstance(case, RawCase):
                    self._send_raw(case)
                else:
                    connection = self._send(connection, case)
        finally:
            connection.close()

    def _signed_headers(self, case: HttpCase) -> tuple[str, dict[str, str]]:
        """The target actually sent, and the headers (signed as the case says)."""
        url = self._origin + case.target
        headers = dict(case.headers)
        credentials, region = self._endpoint.credentials, self._endpoint.region
        target = case.target
        if case.signing is Signing.NONE:
            return target, headers
        if case.signing is Signing.WRONG_SECRET:
            credentials = LocalCredentials(credentials.access_key, "not-the-secret")
        elif case.signing is Signing.OTHER_REGION:
            region = "eu-west-3"
        session_token = "forged-session-token" if case.signing is Signing.SESSION_TOKEN else None
        signed = sign(
            case.method,
            url,
            credentials,
            region,
            headers=headers,
            body=case.body,
            session_token=session_token,
        )
        if case.signing is Signing.TAMPERED:
            target += ("&" if "?" in target else "?") + urlencode({"region": "eu-west-1"}, quote_via=quote)
        elif case.garbling is not None:
            signed[case.garbling.header] = case.garbling.apply(signed[case.garbling.header])
        return target, signed

    def _send(self, connection: http.client.HTTPConnection, case: HttpCase) -> http.client.HTTPConnection:
        target, headers = self._signed_headers(case)
        mentions = mentions_of([*case.mentions, target])
        request = f"{case.method} {target} [{case.kind}; {case.signing.value}]"
        try:
            connection.request(case.method, target, body=case.body or None, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._figures.record(case.kind, None, [("drop", repr(error))], request)
            connection.close()
            return http.client.HTTPConnection("127.0.0.1", self._port, timeout=_HTTP_TIMEOUT_SECONDS)
        if case.method.upper() == "HEAD":
            problems = [("5xx", f"{response.status}")] if response.status >= 500 else []
        else:
            problems = judge_http(response.status, response.getheader("Content-Type", ""), body, mentions)
        self._figures.record(case.kind, response.status, problems, request)
        return connection

    def _send_raw(self, case: RawCase) -> None:
        data = case.data
        if case.signed_host is not None:
            url = self._origin + case.target
            headers = self._endpoint.sign("GET", url, headers={"Host": case.signed_host})
            data = (
                f"GET {case.target} HTTP/1.1\r\n".encode()
                + b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items())
                + b"Connection: close\r\n\r\n"
            )
        request = f"raw [{case.kind}] {data[:120]!r}"
        try:
            status, content_type, body = _raw_exchange(self._port, data)
        except (OSError, ValueError) as error:
            self._figures.record(case.kind, None, [("drop", repr(error))], request)
            return
        problems = judge_http(
            status, content_type, body, mentions_of([*case.mentions, data.decode("latin-1")])
        )
        self._figures.record(case.kind, status, problems, request)


def _raw_exchange(port: int, data: bytes) -> tuple[int, str, bytes]:
    """Send ``data`` on a fresh connection and read one answer: (status, Content-Type, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=_HTTP_TIMEOUT_SECONDS) as connection:
        connection.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                raise ValueError(f"closed without an answer after {received[:200]!r}")
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
        }
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                raise ValueError("closed in the middle of the answer")
            body += chunk
    return int(status_line.split(" ")[1]), headers.get("content-type", ""), body


def fuzz_handler(
    endpoint: LocalEndpoint,
    rng: random.Random,
    tokens: HostileTokens,
    *,
    events: int,
    progress_every: int = 0,
) -> Figures:
    """Invoke the endpoint's function with ``events`` hostile events, as Lambda would (no gateway)."""
    catalog = endpoint.catalog
    generator = HostileEvents(
        rng,
        tokens,
        stage=endpoint.api.stage_name,
        routes=_ROUTES,
        seeded_regions=catalog.regions if catalog else (endpoint.region,),
    )
    (function,) = endpoint.gateway.functions.values()
    figures = Figures("handler events", progress_every=progress_every)
    started = time.monotonic()
    with default_recursion_limit():
        for _ in range(events):
            kind, event = generator.next_event()
            mentions = mentions_of([json.dumps(event, ensure_ascii=False)[:2_000_000]])
            request = f"{kind}: {json.dumps(event)[:300]}"
            try:
                response, _ = function.invoke(event, endpoint.region, catalog.account_id if catalog else None)
            except Exception as error:  # a raise is the finding
                figures.record(kind, None, [("raised", repr(error)[:300])], request)
                continue
            status = response.get("statusCode") if isinstance(response, dict) else None
            figures.record(
                kind,
                status if isinstance(status, int) else None,
                judge_proxy_response(response, mentions),
                request,
            )
    figures.seconds = time.monotonic() - started
    return figures


def figures_table(parts: list[Figures]) -> str:
    """The figures as a Markdown table, then each part's statuses and first findings."""
    lines = [
        "| part | requests | 2xx | 4xx | 5xx | not JSON | leaks | drops / raised | requests/s | duration |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for part in parts:
        by_class = Counter(f"{status // 100}xx" for status in part.statuses.elements())
        server_errors, no_answer = part.count("5xx"), part.count("drop") + part.count("raised")
        lines.append(
            f"| {part.name} | {part.sent:,} | {by_class['2xx']:,} | {by_class['4xx']:,} | {server_errors:,} "
            f"| {part.count('not JSON'):,} | {part.count('leak'):,} | {no_answer:,} "
            f"| {part.per_second:,.0f} | {part.seconds:,.1f} s |"
        )
    for part in parts:
        statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(part.statuses.items()))
        lines += ["", f"{part.name}, statuses: {statuses}"]
        lines += [
            f"  {finding.kind}: {finding.detail} <- {finding.request}"
            for finding in part.findings[:_SHOWN_FINDINGS]
        ]
    return "\n".join(lines)
