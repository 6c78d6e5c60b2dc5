"""A raw TCP server that answers fixed bytes (or nothing), for answers no well-behaved HTTP server gives."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class RawServer:
    """The running server: its `http://127.0.0.1:<port>` URL and the raw requests it received."""

    base_url: str
    requests: list[bytes] = field(default_factory=list)


def _read_request_head(connection: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


@contextmanager
def raw_server(answer: bytes | None) -> Iterator[RawServer]:
    """Serve on 127.0.0.1 (a free port): read each request's head, send `answer` and close.

    With `answer=None` the server reads the request and never answers (until the block ends).
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # so the serving thread notices the end of the block
    server = RawServer(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed: the block ended
                return
            connection.settimeout(5)
            server.requests.append(_read_request_head(connection))
            if answer is None:
                held.append(connection)
                continue
            with connection:
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for connection in held:
            connection.close()
