"""A tiny stdlib HTTP server standing in for the deployed endpoint in client tests.

It refuses any request whose SigV4 signature does not verify, recomputing it with botocore the way
API Gateway canonicalises a request (query pairs decoded, then RFC 3986 re-encoded and sorted), and
answers from canned responses keyed by the query.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.openapi_contract import assert_conforms_to_openapi

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class CannedResponse:
    """What the fake endpoint answers: a status, a body (JSON-encoded unless text) and extra headers."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> str:
        """The body as sent."""
        return self.body if isinstance(self.body, str) else json.dumps(self.body)

    def as_proxy_response(self) -> dict[str, Any]:
        """The same answer as an API Gateway proxy response dict (for the OpenAPI contract check)."""
        return {
            "statusCode": self.status,
            "headers": {"Content-Type": "application/json", **self.headers},
            "body": self.payload(),
        }


@dataclass(frozen=True)
class ReceivedRequest:
    """A request the fake endpoint accepted, as it arrived."""

    path: str
    query: dict[str, str]
    signing_region: str


@dataclass
class FakeEndpoint:
    """The running server: its base URL, the keys it knows, and what it answers per mount.

    `keys` maps an access key id to its (secret key, session token). `mounts` maps a base path
    standing for a stage ("/prod") or a custom domain's base path to its signing Region. `routes` maps
    (mount, frozenset of query items) to a canned response.
    """

    base_url: str
    keys: dict[str, tuple[str, str | None]]
    mounts: dict[str, str]
    routes: dict[tuple[str, frozenset[tuple[str, str]]], CannedResponse] = field(default_factory=dict)
    received: list[ReceivedRequest] = field(default_factory=list)

    def answer(
        self, mount: str, query: dict[str, str], response: CannedResponse, *, documented: bool = True
    ) -> None:
        """Answer `response` to GET <mount>/images/custom with exactly this query.

        The canned response must be one the OpenAPI document allows, so the client is tested against
        answers the real endpoint can give; `documented=False` is for answers from something else
        (a proxy, a misconfigured URL) that the client must survive.
        """
        if documented:
            assert_conforms_to_openapi(response.as_proxy_response())
        self.routes[(mount, frozenset(query.items()))] = response


def signature_problem(
    method: str, raw_url: str, headers: dict[str, str], endpoint: FakeEndpoint, expected_region: str
) -> str | None:
    """Return why the request's signature is not valid for `endpoint`'s key and Region, or None."""
    match = _AUTHORIZATION.match(headers.get("authorization", ""))
    if match is None:
        return "Missing Authentication Token"
    if match["key"] not in endpoint.keys or match["service"] != "execute-api":
        return "The security token included in the request is invalid."
    if match["region"] != expected_region:
        return f"Credential should be scoped to a valid region, not '{match['region']}'."
    secret_key, session_token = endpoint.keys[match["key"]]
    if headers.get("x-amz-security-token") != session_token:
        return "The security token included in the request is invalid."
    signed_names = match["signed"].split(";")
    if "host" not in signed_names or "x-amz-date" not in signed_names:
        return "host and x-amz-date must be signed"
    parts = urlsplit(raw_url)
    rebuilt = AWSRequest(
        method=method,
        url=f"http://{headers['host']}{parts.path}",
        headers={name: headers.get(name, "") for name in signed_names},
        params=parse_qsl(parts.query, keep_blank_values=True),
    )
    rebuilt.context["timestamp"] = headers.get("x-amz-date", "")
    signer = SigV4Auth(Credentials(match["key"], secret_key, session_token), "execute-api", expected_region)
    expected = signer.signature(signer.string_to_sign(rebuilt, signer.canonical_request(rebuilt)), rebuilt)
    if not hmac.compare_digest(expected, match["signature"]):
        return "The request signature we calculated does not match the signature you provided."
    return None


def _handler_for(endpoint: FakeEndpoint) -> type[BaseHTTPRequestHandler]:
    class SigV4CheckingHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            parts = urlsplit(self.path)
            mount = next((m for m in endpoint.mounts if parts.path.startswith(m + "/")), None)
            if mount is None or parts.path not in (mount + "/images/custom", mount + "/v3/images/custom"):
                self._send(CannedResponse(403, {"message": "Missing Authentication Token"}))
                return
            problem = signature_problem("GET", self.path, headers, endpoint, endpoint.mounts[mount])
            if problem:
                self._send(CannedResponse(403, {"message": problem}))
                return
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            endpoint.received.append(ReceivedRequest(parts.path, query, endpoint.mounts[mount]))
            default = CannedResponse(400, {"message": "Bad Request: no canned answer for this query"})
            self._send(endpoint.routes.get((mount, frozenset(query.items())), default))

        def _send(self, response: CannedResponse) -> None:
            payload = response.payload().encode()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return SigV4CheckingHandler


@contextmanager
def running_fake_endpoint(
    *, keys: dict[str, tuple[str, str | None]], mounts: dict[str, str]
) -> Iterator[FakeEndpoint]:
    """Serve a FakeEndpoint on 127.0.0.1 (a free port) for the duration of the block."""
    endpoint = FakeEndpoint("", keys, mounts)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(endpoint))
    endpoint.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
