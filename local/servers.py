"""The HTTP server both local servers use: threaded, 127.0.0.1 only, quiet when a client hangs up."""

from __future__ import annotations

import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOCALHOST = "127.0.0.1"
_log = logging.getLogger(__name__)


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

    ``port`` is the port to bind (0 = any free one) or a socket from :func:`bind_local_port`.
    """

    daemon_threads = True

    def __init__(
        self, port: int | socket.socket, handler: type[BaseHTTPRequestHandler], *, name: str
    ) -> None:
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

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            # The client gave up (e.g. an SDK read timeout) before the answer was written.
            _log.warning("client %s:%s disconnected before the answer: %r", *client_address[:2], error)
            return
        _log.exception("error while serving %s:%s", *client_address[:2])
