"""Translate between HTTP and API Gateway REST (v1) Lambda proxy events and responses."""

from __future__ import annotations

import base64
import fnmatch
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from .sigv4 import LocalCredentials
from .template import Route

_LOCAL_API_ID = "local"


@dataclass(frozen=True)
class HttpRequest:
    """An HTTP request as the gateway received it (header names keep their case and repeats)."""

    method: str
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"

    def header_map(self) -> dict[str, str]:
        """Headers by lower-case name, the last value winning."""
        return {name.lower(): value for name, value in self.headers}


@dataclass(frozen=True)
class HttpResponse:
    """What the gateway sends back."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class EventSettings:
    """Per-gateway facts that go into every event's requestContext."""

    stage: str
    region: str
    account_id: str | None
    binary_media_types: Sequence[str] = field(default_factory=tuple)


def error_response(status: int, message: str, request_id: str, error_type: str | None = None) -> HttpResponse:
    """An API Gateway-generated error: ``{"message": ...}`` with its request id headers."""
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, json.dumps({"message": message}, separators=(",", ":")).encode())


def proxy_event(
    request: HttpRequest,
    route: Route,
    path: str,
    path_parameters: Mapping[str, str],
    settings: EventSettings,
    *,
    request_id: str,
    caller: LocalCredentials | None,
) -> dict[str, Any]:
    """Build the REST API (v1) Lambda proxy event for ``request`` on ``route``.

    Parameters
    ----------
    path:
        The request path without the stage prefix (what the event's ``path`` holds).
    caller:
        The verified signer, or None for an unsigned request; fills ``requestContext.identity``.
    """
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    body, is_base64 = _event_body(request, settings.binary_media_types)
    now = time.time()
    stage_path = f"/{settings.stage}{path}"
    return {
        "resource": route.resource_path,
        "path": path,
        "httpMethod": request.method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": settings.account_id,
            "apiId": _LOCAL_API_ID,
            "domainName": single_headers.get("Host") or request.header_map().get("host", ""),
            "domainPrefix": _LOCAL_API_ID,
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": _identity(request, caller),
            "path": stage_path,
            "protocol": request.protocol,
            "requestId": request_id,
            "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": route.resource_id,
            "resourcePath": route.resource_path,
            "stage": settings.stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def http_response(result: Any, request_id: str) -> HttpResponse:
    """Map a Lambda proxy response to HTTP; anything malformed is API Gateway's 502."""
    if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int):
        return error_response(502, "Internal server error", request_id)
    headers: list[tuple[str, str]] = []
    multi_headers = result.get("multiValueHeaders") or {}
    single_headers = result.get("headers") or {}
    if not isinstance(multi_headers, Mapping) or not isinstance(single_headers, Mapping):
        return error_response(502, "Internal server error", request_id)
    for name, values in multi_headers.items():
        headers.extend((str(name), str(value)) for value in values)
    # A single-value header does not repeat a name the multi-value map already set.
    given = {name.lower() for name, _ in headers}
    headers.extend(
        (str(name), str(value)) for name, value in single_headers.items() if name.lower() not in given
    )
    headers.append(("x-amzn-RequestId", request_id))
    body = result.get("body") or ""
    if not isinstance(body, str):
        return error_response(502, "Internal server error", request_id)
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(int(result["statusCode"]), headers, payload)


def _event_body(request: HttpRequest, binary_media_types: Sequence[str]) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    content_type = request.header_map().get("content-type", "").split(";")[0].strip()
    if any(fnmatch.fnmatch(content_type, pattern) for pattern in binary_media_types):
        return base64.b64encode(request.body).decode(), True
    try:
        return request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        # Not text and not a declared binary type: pass it on losslessly rather than mangle it.
        return base64.b64encode(request.body).decode(), True


def _identity(request: HttpRequest, caller: LocalCredentials | None) -> dict[str, Any]:
    headers = request.header_map()
    return {
        "accessKey": caller.access_key if caller else None,
        "accountId": caller.account_id if caller else None,
        "caller": caller.user_id if caller else None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": request.source_ip,
        "user": caller.user_id if caller else None,
        "userAgent": headers.get("user-agent"),
        "userArn": caller.user_arn if caller else None,
    }
