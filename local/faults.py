"""A fault-injecting HTTP proxy in front of the emulated AWS, to produce real AWS error responses.

The function's botocore clients talk to this proxy (via AWS_ENDPOINT_URL) exactly as they would to
AWS. Requests signed for a Region listed in ``faults`` get that fault — an AWS-shaped error
response with AWS's HTTP status, so botocore's retries, error parsing and the handler's error
mapping all run for real. Every other request is forwarded unchanged to the emulator.
"""

from __future__ import annotations

import http.client
import re
import threading
import uuid
from collections.abc import Mapping
from enum import Enum
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from .servers import LocalHttpServer

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
# Hop-by-hop and length headers are recomputed by the proxy.
_NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Fault(Enum):
    """What AWS answers for a faulted Region."""

    THROTTLE = "throttle"
    """Rate limiting: EC2 ``RequestLimitExceeded`` (503), CloudFormation ``Throttling`` (400)."""
    ACCESS_DENIED = "access-denied"
    """Missing permission: EC2 ``UnauthorizedOperation``, CloudFormation ``AccessDenied`` (403), with
    the role ARN and account id in the message, as AWS puts them there."""


def aws_error(fault: Fault, service: str, region: str) -> tuple[int, bytes]:
    """The HTTP status and XML body AWS sends for ``fault`` from ``service`` (``ec2`` or other query APIs)."""
    request_id = str(uuid.uuid4())
    role = "arn:aws:sts::123456789012:assumed-role/ListImagesFunctionRole/ListImagesFunction"
    if fault is Fault.THROTTLE:
        code, message = (
            ("RequestLimitExceeded", "Request limit exceeded.")
            if service == "ec2"
            else ("Throttling", "Rate exceeded")
        )
        status = 503 if service == "ec2" else 400
    else:
        action = "ec2:DescribeImages" if service == "ec2" else "cloudformation:DescribeStacks"
        code = "UnauthorizedOperation" if service == "ec2" else "AccessDenied"
        message = f"User: {role} is not authorized to perform: {action} in {region}"
        status = 403
    if service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return status, body.encode()


class FaultInjectingProxy:
    """Forward AWS API calls to ``upstream_url``, except those signed for a faulted Region.

    Parameters
    ----------
    upstream_url:
        The emulator's endpoint, e.g. ``http://127.0.0.1:5000``.
    faults:
        Region name -> the fault every call for that Region gets.

    The proxy binds 127.0.0.1 on a free port; :attr:`endpoint_url` is what AWS_ENDPOINT_URL takes.
    :attr:`faulted_calls` counts the calls answered with a fault (retries included).
    """

    def __init__(self, upstream_url: str, faults: Mapping[str, Fault]) -> None:
        upstream = urlsplit(upstream_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self.faults = dict(faults)
        self.faulted_calls = 0
        self._count_lock = threading.Lock()
        self._server = LocalHttpServer(0, self._handler_class(), name="aws-fault-proxy")

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

    def _fault_for(self, authorization: str) -> tuple[Fault, str, str] | None:
        scope = _SCOPE.search(authorization)
        if scope is None:
            return None
        region, service = scope.groups()
        fault = self.faults.get(region)
        return (fault, service, region) if fault else None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class _ProxyHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                injected = proxy._fault_for(self.headers.get("Authorization", ""))
                if injected is not None:
                    with proxy._count_lock:
                        proxy.faulted_calls += 1
                    status, payload = aws_error(*injected)
                    self._reply(status, [("Content-Type", "text/xml")], payload)
                    return
                connection = http.client.HTTPConnection(*proxy._upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
                    headers["Host"] = self.headers.get("Host", "")
                    connection.request(self.command, self.path, body=body, headers=headers)
                    upstream = connection.getresponse()
                    payload = upstream.read()
                    forwarded = [(k, v) for k, v in upstream.getheaders() if k.lower() not in _NOT_FORWARDED]
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
