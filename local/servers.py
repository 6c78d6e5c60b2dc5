"""The HTTP server both local servers use: threaded, 127.0.0.1 only, quiet when a client hangs up."""

from __future__ import annotations

import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOCALHOST = "127.0.0.1"
_log = logging.getLogger(__name__)


class LocalHttpServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer bound to 127.0.0.1 whose request threads never block shutdown."""

    daemon_threads = True

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
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
