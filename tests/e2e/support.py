"""HTTP helpers and settings shared by the end-to-end tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local import LocalEndpoint

#: Small enough that every sample listing spans several pages.
E2E_PAGE_SIZE = 5
#: Every emulated AWS call for these Regions fails (so the API's 429 and 500 are produced for real).
THROTTLED_REGION = "ap-south-2"
ACCESS_DENIED_REGION = "ca-west-1"
ROUTES = ("/images/custom", "/v3/images/custom")


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers (case-insensitive lookup) and the parsed JSON body."""

    status: int
    headers: Mapping[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        """The value of header ``name``, whatever its case, or None."""
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


def http_get(
    url: str, *, headers: Mapping[str, str] | None = None, body: bytes | None = None, method: str = "GET"
) -> Answer:
    """Send one request over real HTTP (urllib, no retries) and return the answer, errors included."""
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}), method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, dict(response.headers.items()), json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers.items()), json.loads(error.read()))


def signed_get(endpoint: LocalEndpoint, path: str, body: bytes = b"", /, **query: str) -> Answer:
    """A SigV4-signed GET of ``path`` with ``query`` (and an optional JSON body).

    The leading arguments are positional-only so that any query parameter name can be passed as a keyword.
    """
    url = endpoint.url(path, **query)
    headers = {"Content-Type": "application/json"} if body else {}
    return http_get(url, headers=endpoint.sign("GET", url, headers=headers, body=body), body=body or None)


def walk(endpoint: LocalEndpoint, path: str, **query: str) -> list[Answer]:
    """Follow nextToken from the first page to the last; return every page's answer."""
    pages = [signed_get(endpoint, path, **query)]
    while pages[-1].status == 200 and "nextToken" in pages[-1].body:
        pages.append(signed_get(endpoint, path, **query, nextToken=pages[-1].body["nextToken"]))
        assert len(pages) < 100, "pagination does not end"
    return pages
