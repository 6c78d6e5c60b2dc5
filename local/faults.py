"""The HTTP proxy in front of the emulated AWS: real AWS error responses where moto has none.

The function's botocore clients talk to this proxy (via AWS_ENDPOINT_URL) exactly as they would to AWS.
It answers, with AWS's HTTP status and XML error body, what moto cannot:

- an injected fault, for every call signed for a Region listed in ``faults`` (:class:`Fault`);
- a Region that botocore knows but moto does not serve (e.g. a Region newer than moto): AWS's answer for a
  Region not enabled for the account, whose credentials are unknown there;
- a ``NextToken`` the emulator never issued (a forged or edited one): AWS's validation error, where moto
  fails with an internal error (CloudFormation) or ignores it (EC2). The tokens it does issue are opaque, as
  AWS's are: moto's own (a stack's ARN, for DescribeStacks) never leaves the proxy.

Everything else is forwarded unchanged to the emulator, so botocore's retries, error parsing and the
handler's error mapping all run for real.
"""

from __future__ import annotations

import functools
import http.client
import re
import secrets
import threading
import uuid
from collections.abc import Mapping
from enum import Enum
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.sax.saxutils import escape, unescape

import botocore.session

from .servers import LocalHttpServer

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_NEXT_TOKEN = re.compile(rb"<NextToken>([^<]+)</NextToken>")
# Hop-by-hop and length headers are recomputed by the proxy.
_NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Fault(Enum):
    """What AWS answers for a faulted Region."""

    THROTTLE = "throttle"
    """Rate limiting: EC2 ``RequestLimitExceeded`` (503), CloudFormation ``Throttling`` (400)."""
    ACCESS_DENIED = "access-denied"
    """Missing permission: EC2 ``UnauthorizedOperation``, CloudFormation ``AccessDenied`` (403), with
    the role ARN and account id in the message, as AWS puts them there."""


class AwsError(NamedTuple):
    """An AWS error answer: HTTP status, error code and message."""

    status: int
    code: str
    message: str

    def body(self, service: str) -> bytes:
        """The XML body ``service`` sends for this error (EC2's shape, or the other query APIs')."""
        request_id = str(uuid.uuid4())
        message = escape(self.message)
        if service == "ec2":
            text = (
                f"<Response><Errors><Error><Code>{self.code}</Code><Message>{message}</Message></Error>"
                f"</Errors><RequestID>{request_id}</RequestID></Response>"
            )
        else:
            text = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code><Message>{message}"
                f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        return text.encode()


def fault_error(fault: Fault, service: str, region: str) -> AwsError:
    """What ``service`` answers in ``region`` for ``fault``."""
    role = "arn:aws:sts::123456789012:assumed-role/ListImagesFunctionRole/ListImagesFunction"
    if fault is Fault.THROTTLE:
        if service == "ec2":
            return AwsError(503, "RequestLimitExceeded", "Request limit exceeded.")
        return AwsError(400, "Throttling", "Rate exceeded")
    action = "ec2:DescribeImages" if service == "ec2" else "cloudformation:DescribeStacks"
    code = "UnauthorizedOperation" if service == "ec2" else "AccessDenied"
    return AwsError(403, code, f"User: {role} is not authorized to perform: {action} in {region}")


def region_not_enabled_error(service: str) -> AwsError:
    """What ``service`` answers in a Region not enabled for the account: it does not know the credentials."""
    if service == "ec2":
        return AwsError(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    return AwsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")


def invalid_token_error(service: str, token: str) -> AwsError:
    """What ``service`` answers for a ``NextToken`` it did not issue."""
    del token  # not echoed: it may hold characters XML cannot carry (NUL), and the message needs none of it
    if service == "ec2":
        return AwsError(400, "InvalidParameterValue", "The NextToken is invalid")
    return AwsError(400, "ValidationError", "The NextToken is not valid")


@functools.cache
def _served_regions(service: str) -> frozenset[str]:
    """The Regions the emulator serves for ``service``: those botocore lists for it, as moto does."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions(service, partition_name=partition)
    )


def signing_scope(authorization: str) -> tuple[str, str] | None:
    """The (Region, service) a SigV4 ``Authorization`` header is scoped to, or None."""
    scope = _SCOPE.search(authorization)
    return (scope.group(1), scope.group(2)) if scope else None


class FaultInjectingProxy:
    """Forward AWS API calls to ``upstream_url``, answering itself what moto cannot (see the module).

    Parameters
    ----------
    upstream_url:
        The emulator's endpoint, e.g. ``http://127.0.0.1:5000``.
    faults:
        Region name -> the fault every call for that Region gets.

    The proxy binds 127.0.0.1 on a free port; :attr:`endpoint_url` is what AWS_ENDPOINT_URL takes.
    :attr:`faulted_calls` counts the calls answered with an injected fault (retries included).
    """

    def __init__(self, upstream_url: str, faults: Mapping[str, Fault]) -> None:
        upstream = urlsplit(upstream_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self.faults = dict(faults)
        self.faulted_calls = 0
        self._lock = threading.Lock()
        # (service, Region, opaque token it gave out) -> moto's token behind it.
        self._issued_tokens: dict[tuple[str, str, str], str] = {}
        self._server = LocalHttpServer(0, self._handler_class(), name="aws-proxy")

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the proxy."""
        return f"http://127.0.0.1:{self._server.port}"

    def start(self) -> FaultInjectingProxy:
        """Serve in a background thread; returns self."""
        self._server.start_in_background()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.stop()

    def _aws_answer(self, authorization: str, body: bytes) -> tuple[AwsError, str] | bytes | None:
        """What to do with a call: the error AWS would send instead of moto's answer (and the service), or
        the body to forward (its continuation token translated back to moto's), or None to forward as is."""
        scope = signing_scope(authorization)
        if scope is None:
            return None
        region, service = scope
        fault = self.faults.get(region)
        if fault is not None:
            with self._lock:
                self.faulted_calls += 1
            return fault_error(fault, service, region), service
        if region not in _served_regions(service):
            return region_not_enabled_error(service), service
        parameters = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if not any(name == "NextToken" for name, _ in parameters):
            return None
        translated = []
        for name, value in parameters:
            if name != "NextToken":
                translated.append((name, value))
                continue
            with self._lock:
                issued = self._issued_tokens.get((service, region, value))
            if issued is None:
                return invalid_token_error(service, value), service
            translated.append((name, issued))
        return urlencode(translated).encode()

    def _opaque_tokens(self, authorization: str, payload: bytes) -> bytes:
        """``payload`` with each continuation token moto gave replaced by an opaque one, remembered."""
        scope = signing_scope(authorization)
        if scope is None:
            return payload
        region, service = scope

        def opaque(match: re.Match[bytes]) -> bytes:
            token = secrets.token_urlsafe(48)
            with self._lock:
                self._issued_tokens[(service, region, token)] = unescape(match.group(1).decode())
            return b"<NextToken>" + token.encode() + b"</NextToken>"

        return _NEXT_TOKEN.sub(opaque, payload)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class _ProxyHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                authorization = self.headers.get("Authorization", "")
                answered = proxy._aws_answer(authorization, body)
                if isinstance(answered, tuple):
                    error, service = answered
                    self._reply(error.status, [("Content-Type", "text/xml")], error.body(service))
                    return
                if answered is not None:
                    body = answered
                connection = http.client.HTTPConnection(*proxy._upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
                    headers["Host"] = self.headers.get("Host", "")
                    connection.request(self.command, self.path, body=body, headers=headers)
                    upstream = connection.getresponse()
                    payload = upstream.read()
                    forwarded = [(k, v) for k, v in upstream.getheaders() if k.lower() not in _NOT_FORWARDED]
                    if upstream.status == 200:
                        payload = proxy._opaque_tokens(authorization, payload)
                    self._reply(upstream.status, forwarded, payload)
                finally:
                    connection.close()

            def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        return _ProxyHandler
