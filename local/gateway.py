"""A small local API Gateway (REST, Lambda proxy) on the standard library's ThreadingHTTPServer.

It serves the routes of a synthesized template under ``/<stage>/``, checks SigV4 on AWS_IAM
methods, applies the methods' request-parameter validation, and invokes the real handler
in-process with a proxy event and a Lambda-like context. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
import uuid
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import sigv4
from .events import EventSettings, HttpRequest, HttpResponse, error_response, http_response, proxy_event
from .lambda_runtime import FunctionContainers, function_pools
from .servers import DEFAULT_MAX_CONNECTIONS, LOCALHOST, LocalHttpServer, printable, raw_answer
from .sigv4 import LocalCredentials
from .template import ApiDefinition, Route, TemplateError

# API Gateway's hard limit for a REST API's integration.
INTEGRATION_TIMEOUT_SECONDS = 29
#: API Gateway's payload quota (10 MB): a larger request is refused with 413 before its body is read.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
#: How long a connection may stay silent before the gateway closes it (API Gateway publishes no figure).
IDLE_TIMEOUT_SECONDS = 30.0
# API Gateway's text for a request over the payload quota (its gateway responses do not reshape it).
_PAYLOAD_TOO_LARGE = f"HTTP content length exceeded {MAX_PAYLOAD_BYTES} bytes."
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_MAX_LENGTH_DIGITS = 18
# http.server's limit on a request line (it answers 414 beyond), and how many empty lines may precede one.
_MAX_REQUEST_LINE = 65536
_MAX_LEADING_EMPTY_LINES = 8
# An HTTP method is a token (RFC 9110 section 9.1).
_METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", re.ASCII)
_SUPPORTED_AUTHORIZATION = {"NONE", "AWS_IAM"}
# The gateway response type API Gateway files each signing failure under. An unknown access key, or a
# session token that is not the key's, is an access denial for API Gateway (AccessDeniedException, "The
# security token included in the request is invalid."); an incomplete Authorization header is answered
# like a bad signature.
_SIGNING_FAILURE_TYPES = {
    "MissingAuthenticationTokenException": "MISSING_AUTHENTICATION_TOKEN",
    "IncompleteSignatureException": "INVALID_SIGNATURE",
    "InvalidSignatureException": "INVALID_SIGNATURE",
    "AccessDeniedException": "ACCESS_DENIED",
}
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z]+(?:\.[A-Za-z]+)*)")
_log = logging.getLogger(__name__)


class LocalApiGateway:
    """Serve an :class:`ApiDefinition` on ``http://127.0.0.1:<port>/<stage>/...``.

    Parameters
    ----------
    api:
        The API read from the template (see :func:`local.template.api_from_template`).
    code_root:
        The Lambda asset root the handler strings are relative to (``runtime/``).
    region:
        The Region the API pretends to be in: the SigV4 credential scope and the event's context.
    account_id:
        The account reported in the event's requestContext (None when unknown).
    credentials:
        The key pair SigV4 signatures on AWS_IAM methods must verify against, with its session token
        (requests must carry exactly that one, or none if it has none); ``None`` turns verification off
        (AWS_IAM methods then accept any request, signed or not).
    port:
        The port to bind on 127.0.0.1 (0 picks a free one, see :attr:`port`), or a socket already
        bound there by :func:`local.servers.bind_local_port`.
    max_containers:
        How many invocations may run at once (Lambda's concurrency); more requests wait for a free
        container.
    idle_timeout_seconds:
        How long a connection may stay silent (waiting for a request, or within one) before it is closed.
    max_connections:
        How many connections are served at once (a thread each); more get API Gateway's 429 (THROTTLED).

    Example
    -------
    >>> with LocalApiGateway(api, Path("runtime"), region="us-east-1", account_id="123456789012",
    ...                      credentials=None) as gateway:
    ...     urlopen(gateway.base_url + "/images/custom?imageStatus=AVAILABLE")
    """

    def __init__(
        self,
        api: ApiDefinition,
        code_root: Path,
        *,
        region: str,
        account_id: str | None,
        credentials: LocalCredentials | None,
        port: int | socket.socket = 0,
        max_containers: int = 4,
        idle_timeout_seconds: float = IDLE_TIMEOUT_SECONDS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        unsupported = {route.authorization_type for route in api.routes} - _SUPPORTED_AUTHORIZATION
        if unsupported:
            raise TemplateError(f"authorization types not emulated locally: {sorted(unsupported)}")
        self.api = api
        self.region = region
        self.credentials = credentials
        self.functions = function_pools(api.functions, code_root, max_containers=max_containers)
        self._settings = EventSettings(api.stage_name, region, account_id, api.binary_media_types)
        self._server = LocalHttpServer(
            port,
            _handler_class(self, idle_timeout_seconds),
            name="local-api-gateway",
            max_connections=max_connections,
            overloaded=self._throttled_answer,
        )

    @property
    def port(self) -> int:
        """The port actually bound."""
        return self._server.port

    @property
    def open_connections(self) -> int:
        """How many client connections are being served right now (each holds a thread)."""
        return self._server.open_connections

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/<stage>``: what a deployed stack's API URL output looks like."""
        return f"http://{LOCALHOST}:{self.port}/{self.api.stage_name}"

    def start(self) -> LocalApiGateway:
        """Serve in a background thread; returns self."""
        self._server.start_in_background()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and unload the function containers."""
        self._server.stop()
        for pool in self.functions.values():
            pool.unload()

    def __enter__(self) -> LocalApiGateway:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request as API Gateway would (also usable without a socket)."""
        request_id = str(uuid.uuid4())
        path = self._path_in_stage(request.raw_path)
        found = self.api.find_route(request.method, path) if path is not None else None
        if path is None or found is None:
            return self.gateway_error(
                "MISSING_AUTHENTICATION_TOKEN",
                403,
                sigv4.MISSING_TOKEN.message,
                request_id,
                sigv4.MISSING_TOKEN.error_type,
            )
        route, path_parameters = found
        caller = None
        if route.authorization_type == "AWS_IAM" and self.credentials is not None:
            rejection = sigv4.verify(
                sigv4.SignedRequest(
                    request.method, request.raw_path, request.raw_query, request.header_map(), request.body
                ),
                self.credentials,
                self.region,
            )
            if rejection is not None:
                response_type = _SIGNING_FAILURE_TYPES.get(rejection.error_type, "DEFAULT_4XX")
                return self.gateway_error(
                    response_type, 403, rejection.message, request_id, rejection.error_type
                )
            caller = self.credentials
        missing = _missing_required_parameters(route, request)
        if missing:
            return self.gateway_error(
                "BAD_REQUEST_PARAMETERS",
                400,
                "Missing required request parameters: [" + ", ".join(missing) + "]",
                request_id,
                "BadRequestException",
            )
        event = proxy_event(
            request, route, path, path_parameters, self._settings, request_id=request_id, caller=caller
        )
        return self._invoke(self.functions[route.function_logical_id], event, request_id)

    def _invoke(self, pool: FunctionContainers, event: dict[str, Any], request_id: str) -> HttpResponse:
        try:
            result, elapsed = pool.invoke(event, self.region, self._settings.account_id)
        except Exception:
            # Lambda reports an unhandled error to API Gateway, which answers 502.
            _log.exception("function %s raised (request %s)", pool.function.logical_id, request_id)
            return self.gateway_error("DEFAULT_5XX", 502, "Internal server error", request_id)
        if elapsed > INTEGRATION_TIMEOUT_SECONDS:
            return self.gateway_error("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", request_id)
        if elapsed > pool.function.timeout_seconds:
            _log.error("Task timed out after %.2f seconds (request %s)", elapsed, request_id)
            return self.gateway_error("DEFAULT_5XX", 502, "Internal server error", request_id)
        return http_response(result, request_id)

    def _throttled_answer(self) -> bytes:
        """The answer to a connection over the limit: API Gateway's 429, as the template shapes it."""
        response = self.gateway_error("THROTTLED", 429, "Too Many Requests", str(uuid.uuid4()))
        return raw_answer(response.status, response.headers, response.body)

    def gateway_error(
        self, response_type: str, status: int, message: str, request_id: str, error_type: str | None = None
    ) -> HttpResponse:
        """API Gateway's own error answer, shaped by the template's gateway response for its type.

        A type the template does not customise falls back to DEFAULT_4XX or DEFAULT_5XX, and without
        those to API Gateway's default ``{"message": ...}``; a response without a status keeps ``status``.

        Parameters
        ----------
        response_type:
            The gateway response type, e.g. ``"ACCESS_DENIED"``.
        status:
            API Gateway's default status for this error.
        message:
            API Gateway's message (``$context.error.message``).
        """
        fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        definition = self.api.gateway_responses.get(response_type) or self.api.gateway_responses.get(fallback)
        plain = error_response(status, message, request_id, error_type)
        if definition is None:
            return plain
        body = plain.body
        if definition.body_template is not None:
            values = {
                "error.messageString": json.dumps(message),
                "error.message": message,
                "error.responseType": response_type,
                "requestId": request_id,
            }
            rendered = _CONTEXT_VARIABLE.sub(
                lambda match: values.get(match.group(1), ""), definition.body_template
            )
            body = rendered.encode()
        return HttpResponse(definition.status_code or status, [*plain.headers, *definition.headers], body)

    def _path_in_stage(self, raw_path: str) -> str | None:
        """The decoded path after ``/<stage>`` (what the event's ``path`` holds), or None if outside it."""
        stage_prefix = "/" + self.api.stage_name
        if raw_path == stage_prefix:
            return "/"
        if raw_path.startswith(stage_prefix + "/"):
            return unquote(raw_path[len(stage_prefix) :])
        return None


def _missing_required_parameters(route: Route, request: HttpRequest) -> list[str]:
    query = {name for name, value in parse_qsl(request.raw_query, keep_blank_values=True)}
    headers = request.header_map()
    missing = [name for name in route.validation.required_query_parameters if name not in query]
    missing += [name for name in route.validation.required_headers if name.lower() not in headers]
    return missing


def _declared_body_length(headers: Message) -> int | None:
    """The request's Content-Length (0 without one); None when it is malformed or given twice differently.

    ``str.isdigit`` is not enough: it accepts digits such as "²" that ``int`` refuses.
    """
    values = {value.strip() for value in headers.get_all("Content-Length") or ["0"]}
    if len(values) != 1:
        return None
    (text,) = values
    if _ASCII_DIGITS.fullmatch(text) is None:
        return None
    # Longer than any length the gateway accepts: no need to convert it (int() refuses 4,300+ digits).
    return int(text) if len(text) <= _MAX_LENGTH_DIGITS else MAX_PAYLOAD_BYTES + 1


def _handler_class(gateway: LocalApiGateway, idle_timeout_seconds: float) -> type[BaseHTTPRequestHandler]:
    class _RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-api-gateway"
        # A request line without a version is answered with a status line and headers, as any other.
        default_request_version = "HTTP/1.1"
        # Seconds a connection may stay silent (between requests, or within one) before it is closed.
        timeout = idle_timeout_seconds
        raw_requestline: bytes

        def __getattr__(self, name: str) -> Any:
            # Every method is routed, as API Gateway routes it (one the API does not deploy gets its 403);
            # http.server would answer an unknown one with an HTML 501.
            if name.startswith("do_") and _METHOD_TOKEN.fullmatch(name[3:]):
                return self._serve
            raise AttributeError(name)

        def _serve(self) -> None:
            started = time.monotonic()
            request_id = str(uuid.uuid4())
            body_length = _declared_body_length(self.headers)
            if body_length is None or "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                # Only bodies with one valid Content-Length are read (chunked uploads are not emulated).
                response = gateway.gateway_error("BAD_REQUEST_BODY", 400, "Bad Request", request_id)
                self.close_connection = True
            elif body_length > MAX_PAYLOAD_BYTES:
                # API Gateway's own answer; the body is never read (the lingering close discards it).
                response = error_response(413, _PAYLOAD_TOO_LARGE, request_id)
                self.close_connection = True
            else:
                try:
                    body = self.rfile.read(body_length)
                except TimeoutError:
                    body = None
                if body is None or len(body) < body_length:
                    # The client went silent (or closed its side) before sending the body it announced.
                    response = error_response(408, "Request Timeout", request_id)
                    self.close_connection = True
                else:
                    response = self._answer(body, request_id)
            self._send(response)
            _log.info(
                "%s %s -> %d %sin %.0f ms",
                printable(self.command),
                printable(self.path),
                response.status,
                f"{_error_type(response)} " if _error_type(response) else "",
                (time.monotonic() - started) * 1000,
            )

        def _answer(self, body: bytes, request_id: str) -> HttpResponse:
            raw_path, _, raw_query = self.path.partition("?")
            request = HttpRequest(
                method=self.command,
                raw_path=raw_path,
                raw_query=raw_query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                protocol=self.request_version,
            )
            try:
                return gateway.handle(request)
            except Exception:
                # A fault of the gateway itself: API Gateway's 500 rather than a dropped connection.
                _log.exception(
                    "the local gateway failed on %s %s", printable(self.command), printable(self.path)
                )
                return gateway.gateway_error("DEFAULT_5XX", 500, "Internal server error", request_id)

        def _send(self, response: HttpResponse) -> None:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def parse_request(self) -> bool:
            # Set before anything can fail, so that send_error can answer any request line.
            self.command, self.request_version, self.requestline = "", self.default_request_version, ""
            # RFC 9112 section 2.2: empty lines before a request line are ignored (http.server would close
            # the connection without a word, as it does for a line of spaces).
            for _ in range(_MAX_LEADING_EMPTY_LINES):
                if self.raw_requestline not in (b"\r\n", b"\n"):
                    break
                self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
            if not self.raw_requestline:
                self.close_connection = True  # the client left
                return False
            if len(self.raw_requestline) > _MAX_REQUEST_LINE:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return False
            if not self.raw_requestline.strip():
                self.send_error(HTTPStatus.BAD_REQUEST)
                return False
            return super().parse_request()

        def handle_expect_100(self) -> bool:
            # A body that will be refused is not asked for: _serve answers at once.
            length = _declared_body_length(self.headers)
            if length is None or length > MAX_PAYLOAD_BYTES:
                return True
            return super().handle_expect_100()

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # http.server's own refusals of a malformed request (request line, version, headers): a JSON
            # {"message": ...} like every other answer, never its HTML page. All are the client's fault,
            # so none is a 5xx (it says 501 for an unparsable method, 505 for an HTTP version).
            status = code if 400 <= code < 500 else HTTPStatus.BAD_REQUEST
            self.close_connection = True
            self._send(error_response(status, HTTPStatus(status).phrase, str(uuid.uuid4())))
            # (http.server clears requestline when the line is too long: show its start instead.)
            line = self.requestline or self.raw_requestline.decode("latin-1")
            _log.info("malformed request %s -> %d", printable(line), status)

        def log_message(self, format: str, *args: Any) -> None:
            # Requests are logged once, with their status and latency, by _serve and send_error.
            return

    return _RequestHandler


def _error_type(response: HttpResponse) -> str:
    return next((value for name, value in response.headers if name == "x-amzn-ErrorType"), "")
