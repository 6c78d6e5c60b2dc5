"""The HTTP server both local servers use: threaded, 127.0.0.1 only, quiet when a client hangs up."""

from __future__ import annotations

import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOCALHOST = "127.0.0.1"
_log = logging.getLogger(__name__)


class LocalHttpServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer bound to 127.0.0.1 whose request threads never block shutdown."""

    daemon_threads = True

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__((LOCALHOST, port), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            # The client gave up (e.g. an SDK read timeout) before the answer was written.
            _log.warning("client %s:%s disconnected before the answer: %r", *client_address[:2], error)
            return
        _log.exception("error while serving %s:%s", *client_address[:2])
