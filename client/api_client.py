"""A small SigV4 client for the ListImages endpoint: standard-library HTTP plus botocore's signer.

Example
-------
>>> client = ListImagesClient("https://abc123.execute-api.us-east-1.amazonaws.com/prod")
>>> page = client.list_images_page("AVAILABLE")            # one page: {"images": [...], "nextToken"?: ...}
>>> images = list(client.iter_images("FAILED", region="eu-west-1"))   # every page, following nextToken
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

IMAGE_STATUSES: Final = ("AVAILABLE", "PENDING", "FAILED")
LIST_IMAGES_PATH: Final = "/images/custom"
# The path ParallelCluster's own generated clients call; same behaviour.
LIST_IMAGES_V3_PATH: Final = "/v3/images/custom"

_SIGNING_SERVICE: Final = "execute-api"
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
_DEFAULT_TIMEOUT_SECONDS: Final = 35.0  # a little over API Gateway's 29 s integration limit


class ListImagesClientError(Exception):
    """The call did not produce a list of images (endpoint unreachable, unusable answer, bad set-up)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ListImagesApiError(ListImagesClientError):
    """The endpoint answered with an error status.

    Attributes
    ----------
    status:
        The HTTP status code (400, 403, 500, ...).
    message:
        The `message` of the endpoint's JSON error body (or the HTTP reason when there is none).
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}"


class ListImagesThrottledError(ListImagesApiError):
    """HTTP 429: AWS throttled the request; `retry_after` is the advised wait in seconds, if given."""

    def __init__(self, message: str, retry_after: int | None) -> None:
        super().__init__(429, message)
        self.retry_after = retry_after


def signing_region_from_url(endpoint: str) -> str | None:
    """Return the Region of an `execute-api` endpoint URL, or None for a custom domain or local URL."""
    host = urlsplit(endpoint).hostname or ""
    match = _EXECUTE_API_HOST.match(host)
    return match.group("region") if match else None


def sigv4_headers(
    url: str, *, credentials: Credentials, signing_region: str, method: str = "GET"
) -> dict[str, str]:
    """Return the headers that sign a body-less request to `url` for `execute-api` (SigV4).

    The URL is signed exactly as given: send exactly this URL, and build its query string with
    `urlencode(params, quote_via=quote, safe="-_.~")` so that it is already in SigV4's canonical form.
    """
    request = AWSRequest(method=method, url=url)
    SigV4Auth(credentials.get_frozen_credentials(), _SIGNING_SERVICE, signing_region).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


class ListImagesClient:
    """Calls `GET /images/custom` with SigV4-signed requests.

    Parameters
    ----------
    endpoint:
        The API's base URL including its stage or base path, e.g.
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod" or "https://images.example.com".
    signing_region:
        The Region the API is deployed in, used to sign. Optional for `execute-api` URLs (read from
        the host name); required for a custom domain unless botocore has a Region configured.
    credentials:
        Explicit credentials; by default botocore's normal chain (environment, profile, SSO, role...).
    botocore_session:
        The botocore session to take credentials and the default Region from.
    path:
        `LIST_IMAGES_PATH` (default) or `LIST_IMAGES_V3_PATH`.
    timeout:
        Seconds to wait for the endpoint to connect and answer.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        signing_region: str | None = None,
        credentials: Credentials | None = None,
        botocore_session: botocore.session.Session | None = None,
        path: str = LIST_IMAGES_PATH,
        timeout: float = _DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if urlsplit(endpoint).scheme not in ("http", "https"):
            raise ListImagesClientError(f"endpoint must be an http(s) URL, got {endpoint!r}")
        session = botocore_session or botocore.session.Session()
        region = signing_region or signing_region_from_url(endpoint) or session.get_config_variable("region")
        if not region:
            raise ListImagesClientError(
                f"cannot tell the Region to sign requests for {endpoint!r}: pass the signing Region"
            )
        resolved_credentials = credentials or session.get_credentials()
        if resolved_credentials is None:
            raise ListImagesClientError("no AWS credentials found to sign the request")
        self.url = endpoint.rstrip("/") + path
        self.signing_region: str = region
        self._credentials = resolved_credentials
        self._timeout = timeout

    def list_images_page(
        self, image_status: str, *, region: str | None = None, next_token: str | None = None
    ) -> dict[str, Any]:
        """Return one page as the endpoint sends it: `{"images": [...], "nextToken"?: str}` (camelCase).

        Parameters
        ----------
        image_status:
            AVAILABLE, PENDING or FAILED.
        region:
            The Region to list images in; by default the endpoint's own Region.
        next_token:
            The `nextToken` of the previous page.

        Raises
        ------
        ListImagesThrottledError
            On HTTP 429, with `retry_after`.
        ListImagesApiError
            On any other error status, with `status` and `message`.
        ListImagesClientError
            When the endpoint cannot be reached or answers something that is not a page.
        """
        query = {"imageStatus": image_status, "region": region, "nextToken": next_token}
        status, headers, body = self._signed_get({name: value for name, value in query.items() if value})
        if status >= 400:
            raise _api_error(status, headers, body)
        page = _json_or_none(body)
        if not isinstance(page, dict) or not isinstance(page.get("images"), list):
            raise ListImagesClientError(f"unexpected answer from {self.url} (HTTP {status}): {body[:200]!r}")
        return page

    def iter_pages(
        self, image_status: str, *, region: str | None = None, next_token: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield pages, following `nextToken` until a page has none. Raises like `list_images_page`."""
        while True:
            page = self.list_images_page(image_status, region=region, next_token=next_token)
            yield page
            next_token = page.get("nextToken")
            if not next_token:
                return

    def iter_images(
        self, image_status: str, *, region: str | None = None, next_token: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield every image of every page, following `nextToken`. Raises like `list_images_page`."""
        for page in self.iter_pages(image_status, region=region, next_token=next_token):
            yield from page["images"]

    def _signed_get(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        # Sign the URL exactly as it is sent: RFC 3986 encoding, nothing re-normalised afterwards.
        url = f"{self.url}?{urlencode(query, quote_via=quote, safe='-_.~')}" if query else self.url
        headers = {
            "Accept": "application/json",
            **sigv4_headers(url, credentials=self._credentials, signing_region=self.signing_region),
        }
        http_request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 - scheme checked in __init__
        try:
            with urllib.request.urlopen(http_request, timeout=self._timeout) as response:  # noqa: S310 - scheme checked in __init__
                return response.status, dict(response.headers.items()), _text(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers.items()), _text(error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ListImagesClientError(f"cannot reach {self.url}: {reason}") from error


def _text(payload: bytes) -> str:
    return payload.decode("utf-8", errors="replace")


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _api_error(status: int, headers: dict[str, str], body: str) -> ListImagesApiError:
    decoded = _json_or_none(body)
    message = decoded.get("message") if isinstance(decoded, dict) else None
    if not isinstance(message, str):
        message = body.strip()[:200] or f"HTTP {status}"
    if status == 429:
        retry_after = {name.lower(): value for name, value in headers.items()}.get("retry-after", "")
        return ListImagesThrottledError(message, int(retry_after) if retry_after.strip().isdigit() else None)
    return ListImagesApiError(status, message)
