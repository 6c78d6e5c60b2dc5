"""A small SigV4 client for the ListImages endpoint: standard-library HTTP plus botocore's signer.

Example
-------
>>> client = ListImagesClient("https://abc123.execute-api.us-east-1.amazonaws.com/prod")
>>> page = client.list_images_page("AVAILABLE")            # one page: {"images": [...], "nextToken"?: ...}
>>> images = list(client.iter_images("FAILED", region="eu-west-1"))   # every page, following nextToken
>>> local = ListImagesClient.local()    # the endpoint `make local` serves, signed with its fake key
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import math
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from .local_endpoint import (
    LOCAL_ACCESS_KEY_ID,
    LOCAL_ENDPOINT_URL,
    LOCAL_SECRET_ACCESS_KEY,
    LOCAL_SIGNING_REGION,
)

IMAGE_STATUSES: Final = ("AVAILABLE", "PENDING", "FAILED")
LIST_IMAGES_PATH: Final = "/images/custom"
# The path ParallelCluster's own generated clients call; same behaviour.
LIST_IMAGES_V3_PATH: Final = "/v3/images/custom"

_SIGNING_SERVICE: Final = "execute-api"
# Public and private-DNS hosts are "<api-id>.execute-api.<region>.amazonaws.com"; a private API reached
# through a VPC endpoint's DNS name is "<api-id>-vpce-<vpce-id>.execute-api.<region>.vpce.amazonaws.com"
# (and "vpce-<id>[-<zone>].execute-api.<region>.vpce.amazonaws.com"); ".cn" in the China partition.
_EXECUTE_API_HOST = re.compile(
    r"^[a-z0-9][a-z0-9-]*\.execute-api\.(?P<region>[a-z0-9-]+)\.(vpce\.)?amazonaws\.com(\.cn)?$"
)
_ROUTE_SUFFIXES: Final = ("/v3/images/custom", "/images/custom")
DEFAULT_TIMEOUT_SECONDS: Final = 35.0  # a little over API Gateway's 29 s integration limit
# API Gateway's answer to a request for a path (or stage) it does not serve, signed or not.
_NO_SUCH_ROUTE_MESSAGE: Final = "Missing Authentication Token"
_LOCAL_HINT: Final = "for `make local`, use ListImagesClient.local() or `list-images --local`"


class ListImagesClientError(Exception):
    """The call did not produce a list of images (endpoint unreachable, unusable answer, bad set-up).

    Attributes
    ----------
    message:
        What went wrong, for a person; never holds credentials.
    resume_next_token:
        Set when a walk over pages (`iter_pages`, `iter_images`) failed on a page that a `nextToken`
        leads to: pass it as `next_token` to carry on from that page instead of starting over.
    pages_fetched:
        How many pages that walk had fetched before the failure (0 outside a walk).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.resume_next_token: str | None = None
        self.pages_fetched = 0


class ListImagesConfigurationError(ListImagesClientError):
    """The client cannot be set up: unusable endpoint URL, no Region to sign for, broken AWS config."""


class ListImagesSigningRegionError(ListImagesConfigurationError):
    """No Region to sign for: the endpoint is not an `execute-api` URL and botocore has no Region.

    Attributes
    ----------
    endpoint:
        The endpoint URL as given.
    loopback:
        Whether the endpoint is on this machine (as `make local`'s is).
    """

    def __init__(self, endpoint: str) -> None:
        super().__init__(
            f'cannot tell the Region to sign requests for {endpoint!r}: pass signing_region="<the Region '
            'the API is deployed in>" to ListImagesClient, or set a default Region for botocore '
            f"(AWS_REGION, or region in your AWS profile){_local_hint(endpoint)}"
        )
        self.endpoint = endpoint
        self.loopback = _is_loopback(endpoint)


class ListImagesCredentialsError(ListImagesConfigurationError):
    """botocore found no credentials, or its credential source (profile, process, SSO, role...) failed."""


class ListImagesConnectionError(ListImagesClientError):
    """The endpoint could not be reached, or its answer was not a complete HTTP response."""


class ListImagesTimeoutError(ListImagesConnectionError):
    """The endpoint did not connect or answer within the client's `timeout`."""


class ListImagesRedirectError(ListImagesClientError):
    """The endpoint answered a redirect (3xx), which the client never follows.

    A SigV4 signature is bound to the host and path, and following would send the `Authorization`
    and session-token headers to wherever `Location` points. Give the final API URL instead.

    Attributes
    ----------
    status:
        The 3xx status code.
    location:
        The `Location` header, or None when there was none.
    """

    def __init__(self, status: int, location: str | None, url: str) -> None:
        where = f"to {location}" if location else "without a Location"
        super().__init__(
            f"{url} answered HTTP {status} redirecting {where}; redirects are not followed (the signed "
            "request is bound to this host and path): give the API's own URL"
        )
        self.status = status
        self.location = location


class ListImagesPaginationError(ListImagesClientError):
    """The endpoint sent a `nextToken` that was already followed, so walking on would never end."""


class ListImagesApiError(ListImagesClientError):
    """The endpoint answered with an error status.

    Attributes
    ----------
    status:
        The HTTP status code (400, 403, 500, ...).
    message:
        The `message` of the endpoint's JSON error body (or the HTTP reason when there is none).
    hint:
        What the answer most likely means, when the client can tell (e.g. a wrong URL or stage), or None.
    """

    def __init__(self, status: int, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.hint = hint

    def __str__(self) -> str:
        text = f"HTTP {self.status}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ListImagesThrottledError(ListImagesApiError):
    """HTTP 429: AWS throttled the request; `retry_after` is the advised wait in seconds, if given."""

    def __init__(self, message: str, retry_after: int | None) -> None:
        super().__init__(429, message)
        self.retry_after = retry_after


def signing_region_from_url(endpoint: str) -> str | None:
    """Return the Region of an `execute-api` endpoint URL (public, or a private API's VPC endpoint
    name), or None for a custom domain, a local URL or a URL that does not parse."""
    try:
        host = urlsplit(endpoint).hostname or ""
    except ValueError:
        return None
    match = _EXECUTE_API_HOST.match(host)
    return match.group("region") if match else None


def retry_after_seconds(value: str, *, now: datetime | None = None) -> int | None:
    """Return the wait a `Retry-After` header value advises, in whole seconds, or None if unusable.

    Parameters
    ----------
    value:
        Either a number of seconds ("7") or an HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT").
    now:
        The current time (UTC) to measure an HTTP date from; by default the clock.
    """
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a zone-less one is read as UTC
        when = when.replace(tzinfo=UTC)
    wait = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0, math.ceil(wait))


def _is_loopback(endpoint: str) -> bool:
    try:
        host = urlsplit(endpoint).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local_hint(endpoint: str) -> str:
    """ "; <how to call `make local`>" for a loopback endpoint, else ""."""
    return f"; {_LOCAL_HINT}" if _is_loopback(endpoint) else ""


def _checked_timeout(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise ListImagesConfigurationError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def _checked_endpoint(endpoint: str) -> str:
    """Return the endpoint without trailing slashes, or raise why it cannot be an API's base URL."""
    try:
        parts = urlsplit(endpoint)
        _ = parts.port  # parsed lazily: a non-numeric or out-of-range port raises only here
    except ValueError as error:
        raise ListImagesConfigurationError(f"endpoint is not a valid URL ({error}): {endpoint!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ListImagesConfigurationError(f"endpoint must be an http(s) URL with a host, got {endpoint!r}")
    if parts.username is not None or parts.password is not None:
        # Not echoed: it would print the password.
        raise ListImagesConfigurationError("endpoint must not contain a user name or password")
    if "?" in endpoint or "#" in endpoint:
        # The client appends the route and its own query; a query or fragment here would be sent mangled.
        raise ListImagesConfigurationError(
            f"endpoint must not have a query string or fragment (give the API URL only), got {endpoint!r}"
        )
    base = endpoint.rstrip("/")
    for route in _ROUTE_SUFFIXES:
        if base.endswith(route):
            # Refused rather than stripped: the client appends the route itself, and guessing which
            # part of a URL is the route would hide a mistyped or misconfigured URL.
            raise ListImagesConfigurationError(
                f"endpoint {endpoint!r} ends with the route {route!r}: give the API URL (the stage URL, "
                f"e.g. {base[: -len(route)]!r}); the client adds the route"
            )
    return base


def _credential_failure(error: Exception) -> ListImagesCredentialsError:
    # botocore's own messages name the profile, file or provider, never a key (the AWS CLI prints them);
    # anything else (an STS answer, a credential process printing junk) is reported by its kind only,
    # as its text may hold account ids or whatever the process printed.
    if isinstance(error, BotoCoreError):
        return ListImagesCredentialsError(f"cannot get AWS credentials: {error}")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "error")
        operation = error.operation_name or "a call"
        return ListImagesCredentialsError(f"cannot get AWS credentials: {operation} failed ({code})")
    return ListImagesCredentialsError(
        f"cannot get AWS credentials: the source failed ({type(error).__name__})"
    )


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
        No query string, fragment or user info, and not the route itself (".../images/custom").
    signing_region:
        The Region the API is deployed in, used to sign. Optional for `execute-api` URLs, public or a
        private API's VPC endpoint name (read from the host name); required for a custom domain unless
        botocore has a Region configured.
    credentials:
        Explicit credentials; by default botocore's normal chain (environment, profile, SSO, role...).
    botocore_session:
        The botocore session to take credentials and the default Region from.
    path:
        `LIST_IMAGES_PATH` (default) or `LIST_IMAGES_V3_PATH`.
    timeout:
        Seconds to wait for the endpoint to connect and answer (a positive number; default 35).

    Raises
    ------
    ListImagesCredentialsError
        botocore finds no credentials, or its credential source fails.
    ListImagesSigningRegionError
        No Region to sign for (pass `signing_region`).
    ListImagesConfigurationError
        The endpoint URL or timeout is unusable, or the AWS configuration is broken.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        signing_region: str | None = None,
        credentials: Credentials | None = None,
        botocore_session: botocore.session.Session | None = None,
        path: str = LIST_IMAGES_PATH,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        base_url = _checked_endpoint(endpoint)
        checked_timeout = _checked_timeout(timeout)
        session = botocore_session or botocore.session.Session()
        try:
            region = (
                signing_region or signing_region_from_url(endpoint) or session.get_config_variable("region")
            )
        except BotoCoreError as error:  # e.g. ProfileNotFound, ConfigParseError
            raise ListImagesConfigurationError(f"cannot read the AWS configuration: {error}") from None
        if not region:
            raise ListImagesSigningRegionError(endpoint)
        try:
            resolved_credentials = credentials or session.get_credentials()
        except (BotoCoreError, ClientError, ValueError, OSError) as error:
            raise _credential_failure(error) from None
        if resolved_credentials is None:
            raise ListImagesCredentialsError(
                f"no AWS credentials found to sign the request{_local_hint(endpoint)}"
            )
        self.url = base_url + path
        self.signing_region: str = region
        self._credentials = resolved_credentials
        self._timeout = checked_timeout
        # Redirects are never followed: see ListImagesRedirectError.
        self._opener = urllib.request.build_opener(_RefuseRedirects())

    @classmethod
    def local(
        cls,
        endpoint: str = LOCAL_ENDPOINT_URL,
        *,
        signing_region: str = LOCAL_SIGNING_REGION,
        path: str = LIST_IMAGES_PATH,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> ListImagesClient:
        """A client for the endpoint `make local` serves, signing with its fake key ("testing").

        Your own AWS credentials are never used (nor sent to the local endpoint).

        Parameters
        ----------
        endpoint:
            The local endpoint's URL; by default what `make local` serves (http://127.0.0.1:8080/prod).
            Give it when `make local` runs on another port (`make local ARGS="--port 9000"`).
        signing_region:
            The local API's Region (`make local ARGS="--region ..."`; default us-east-1).
        path, timeout:
            As for `ListImagesClient`.

        Example
        -------
        >>> ListImagesClient.local().list_images_page("AVAILABLE")
        """
        return cls(
            endpoint,
            signing_region=signing_region,
            credentials=Credentials(LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY),
            path=path,
            timeout=timeout,
        )

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
        ListImagesRedirectError
            On a 3xx, which is never followed.
        ListImagesTimeoutError
            When the endpoint does not connect or answer within `timeout`.
        ListImagesConnectionError
            When the endpoint cannot be reached or its answer is not a complete HTTP response.
        ListImagesClientError
            When the answer is not a page; `ListImagesCredentialsError` when credentials fail to refresh.
        """
        query = {"imageStatus": image_status, "region": region, "nextToken": next_token}
        status, headers, body = self._signed_get({name: value for name, value in query.items() if value})
        if 300 <= status < 400:
            location = {name.lower(): value for name, value in headers.items()}.get("location")
            raise ListImagesRedirectError(status, location, self.url)
        if status >= 400:
            raise _api_error(status, headers, body, self.url)
        page = _json_or_none(body)
        if not isinstance(page, dict) or not isinstance(page.get("images"), list):
            raise ListImagesClientError(f"unexpected answer from {self.url} (HTTP {status}): {body[:200]!r}")
        return page

    def iter_pages(
        self, image_status: str, *, region: str | None = None, next_token: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield pages, following `nextToken` until a page has none.

        Raises like `list_images_page`, with `resume_next_token` and `pages_fetched` set on the error;
        raises `ListImagesPaginationError` if the endpoint sends a token already followed.
        """
        # A token seen twice means the walk would never end. There is no cap on the number of pages:
        # a listing's length is not bounded by anything the client knows, and any cap would cut off
        # a genuine long listing while a well-behaved endpoint always ends.
        followed: set[str] = {next_token} if next_token else set()
        pages_fetched = 0
        while True:
            try:
                page = self.list_images_page(image_status, region=region, next_token=next_token)
            except ListImagesClientError as error:
                error.resume_next_token = next_token or None
                error.pages_fetched = pages_fetched
                raise
            pages_fetched += 1
            yield page
            next_token = page.get("nextToken")
            if not next_token:
                return
            if next_token in followed:
                repeated = ListImagesPaginationError(
                    f"the endpoint sent a nextToken that was already followed, after {pages_fetched} "
                    "page(s); stopped to avoid an endless loop"
                )
                repeated.pages_fetched = pages_fetched
                raise repeated
            followed.add(next_token)

    def iter_images(
        self, image_status: str, *, region: str | None = None, next_token: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield every image of every page, following `nextToken`. Raises like `list_images_page`."""
        for page in self.iter_pages(image_status, region=region, next_token=next_token):
            yield from page["images"]

    def _signed_get(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        # Sign the URL exactly as it is sent: RFC 3986 encoding, nothing re-normalised afterwards.
        url = f"{self.url}?{urlencode(query, quote_via=quote, safe='-_.~')}" if query else self.url
        try:
            # Refreshable credentials (SSO, assumed roles) are fetched here, when signing.
            signed = sigv4_headers(url, credentials=self._credentials, signing_region=self.signing_region)
        except (BotoCoreError, ClientError) as error:
            raise _credential_failure(error) from None
        headers = {"Accept": "application/json", **signed}
        http_request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 - scheme checked in __init__
        try:
            try:
                with self._opener.open(http_request, timeout=self._timeout) as response:
                    return response.status, dict(response.headers.items()), _text(response.read())
            except urllib.error.HTTPError as error:
                with error:
                    return error.code, dict(error.headers.items()), _text(error.read())
        except http.client.HTTPException as error:  # BadStatusLine, IncompleteRead, ...
            raise ListImagesConnectionError(
                f"{self.url} did not answer a complete HTTP response ({type(error).__name__})"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise ListImagesTimeoutError(
                    f"no answer from {self.url} within the {self._timeout:g} s timeout"
                ) from None
            raise ListImagesConnectionError(f"cannot reach {self.url}: {reason}") from None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Hands every 3xx back as the answer instead of following it (no request goes to `Location`)."""

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> None:
        """Decline: urllib then raises the 3xx as an HTTPError, which the client reports."""
        return


def _text(payload: bytes) -> str:
    return payload.decode("utf-8", errors="replace")


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _api_error(status: int, headers: dict[str, str], body: str, url: str) -> ListImagesApiError:
    decoded = _json_or_none(body)
    message = decoded.get("message") if isinstance(decoded, dict) else None
    if not isinstance(message, str):
        message = body.strip()[:200] or f"HTTP {status}"
    if status == 429:
        retry_after = {name.lower(): value for name, value in headers.items()}.get("retry-after")
        return ListImagesThrottledError(message, retry_after_seconds(retry_after) if retry_after else None)
    if status == 403 and message == _NO_SUCH_ROUTE_MESSAGE:
        # The request was signed, so this is API Gateway's answer for a path it does not serve.
        hint = (
            "API Gateway answers this for a URL it does not serve: check the endpoint's stage (or a "
            f"custom domain's base path) in {url}"
        )
        return ListImagesApiError(status, message, hint=hint)
    return ListImagesApiError(status, message)
