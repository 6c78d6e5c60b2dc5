"""The HTTP server both local servers use: threaded, 127.0.0.1 only, quiet when a client hangs up.

It holds at most ``max_connections`` connections (one thread each); a connection beyond that gets the
server's ``overloaded`` answer at once and is closed. A closing connection lingers briefly to read what the
client still sends, so that an early answer (413, 414, 431) is not lost to a TCP reset.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOCALHOST = "127.0.0.1"
#: Connections served at once (each holds a thread); more are answered ``overloaded`` and closed.
DEFAULT_MAX_CONNECTIONS = 128
# How a closing connection reads and discards what the client is still sending: until the client is silent
# for a second, at most 10 s and 32 MB in all (an upload of 10 MB + 1 takes longer than a second on a busy
# machine).
_LINGER_IDLE_SECONDS = 1.0
_LINGER_MAX_SECONDS = 10.0
_LINGER_BYTES = 32 * 1024 * 1024
_LISTEN_BACKLOG = 128
_log = logging.getLogger(__name__)


def raw_answer(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, as bytes (for a socket no handler serves)."""
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


_OVERLOADED = raw_answer(
    429, [("Content-Type", "application/json"), ("Retry-After", "1")], b'{"message": "Too Many Requests"}'
)


def bind_local_port(port: int) -> socket.socket:
    """Bind a TCP socket to 127.0.0.1:``port`` (0 = any free port), as the HTTP servers bind theirs.

    Binding early reserves the port: a caller with slow work to do before serving (a synth) learns at
    once that the port is taken. Hand the socket to :class:`LocalHttpServer`, which listens on it.

    Raises
    ------
    OSError
        When the port cannot be bound (``errno.EADDRINUSE`` if another process listens on it).
    """
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # What HTTPServer does (allow_reuse_address): a port left in TIME_WAIT is free to serve again.
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.bind((LOCALHOST, port))
    except OSError:
        bound.close()
        raise
    return bound


class LocalHttpServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer bound to 127.0.0.1 whose request threads never block shutdown.

    Parameters
    ----------
    port:
        The port to bind (0 = any free one) or a socket from :func:`bind_local_port`.
    handler:
        The request handler class (its ``timeout`` attribute, if set, is the connections' idle timeout).
    name:
        The serving thread's name.
    max_connections:
        How many connections are served at once, each by its own thread.
    overloaded:
        The raw HTTP answer for a connection beyond ``max_connections`` (default: a JSON 429).
    """

    daemon_threads = True
    request_queue_size = _LISTEN_BACKLOG

    def __init__(
        self,
        port: int | socket.socket,
        handler: type[BaseHTTPRequestHandler],
        *,
        name: str,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        overloaded: Callable[[], bytes] = lambda: _OVERLOADED,
    ) -> None:
        self._max_connections = max_connections
        self._overloaded = overloaded
        self._open_connections = 0
        self._count_lock = threading.Lock()
        if isinstance(port, socket.socket):
            super().__init__(port.getsockname(), handler, bind_and_activate=False)
            self.socket.close()
            self.socket = port
            self.server_address = port.getsockname()
            # What HTTPServer.server_bind would have recorded.
            self.server_name, self.server_port = LOCALHOST, int(self.server_address[1])
            try:
                self.server_activate()
            except OSError:
                self.server_close()
                raise
        else:
            super().__init__((LOCALHOST, port), handler)
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self.server_address[1])

    def start_in_background(self) -> None:
        """Serve in a daemon thread named after the server."""
        self._thread = threading.Thread(target=self.serve_forever, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving (if started) and close the socket."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

    @property
    def open_connections(self) -> int:
        """How many connections are being served (each by its own thread) right now."""
        with self._count_lock:
            return self._open_connections

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._count_lock:
            accepted = self._open_connections < self._max_connections
            if accepted:
                self._open_connections += 1
        if not accepted:
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)  # starts the connection's thread
        except BaseException:
            self._connection_closed()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connection_closed()

    def _connection_closed(self) -> None:
        with self._count_lock:
            self._open_connections -= 1

    def _refuse(self, request: socket.socket) -> None:
        """Answer a connection over the limit from the accepting thread, without ever waiting on it."""
        try:
            request.setblocking(False)
            _discard_available(request)
            request.send(self._overloaded())
        except OSError:
            pass  # the client left, or its window is full: it gets the close
        self.close_request(request)

    def shutdown_request(self, request: Any) -> None:
        """Close the connection, first reading what the client still sends (a "lingering close").

        Closing a socket with unread input sends a TCP reset, which may destroy the answer just written
        before the client reads it (a 413 sent while the client is still uploading, a 414 for a request
        line not read to its end).
        """
        try:
            request.shutdown(socket.SHUT_WR)
            _linger(request)
        except OSError:
            pass  # the client is gone already
        self.close_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            # The client gave up (e.g. an SDK read timeout) before the answer was written.
            _log.warning("client %s:%s disconnected before the answer: %r", *client_address[:2], error)
            return
        _log.exception("error while serving %s:%s", *client_address[:2])


def _discard_available(connection: socket.socket) -> None:
    """Read whatever input has already arrived on a non-blocking socket."""
    try:
        while connection.recv(65536):
            pass
    except (BlockingIOError, InterruptedError):
        return


def _linger(connection: socket.socket) -> None:
    """Discard the client's input until it closes or goes silent (see _LINGER_IDLE_SECONDS and the caps)."""
    deadline = time.monotonic() + _LINGER_MAX_SECONDS
    discarded = 0
    while discarded < _LINGER_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        connection.settimeout(min(remaining, _LINGER_IDLE_SECONDS))
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            return
        if not chunk:
            return
        discarded += len(chunk)


def printable(text: str, limit: int = 512) -> str:
    """``text`` safe for a console log line: control and other unprintable characters escaped, shortened.

    A request line may carry ESC sequences that would recolour or rewrite the operator's terminal.
    """
    shown = text if len(text) <= limit else text[:limit]
    escaped = "".join(
        char if char.isprintable() and char != "\\" else char.encode("unicode_escape").decode("ascii")
        for char in shown
    )
    return escaped if len(text) <= limit else f"{escaped}... ({len(text)} characters)"
