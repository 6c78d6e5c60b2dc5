"""The emulated AWS: moto's server, in-process on 127.0.0.1, optionally behind a fault-injecting proxy."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from .faults import Fault, FaultInjectingProxy
from .servers import LOCALHOST


class EmulatedAws:
    """moto's ``ThreadedMotoServer`` on a free 127.0.0.1 port, reset to empty when it starts.

    Parameters
    ----------
    faults:
        Region name -> a fault every AWS call for that Region gets (see :mod:`local.faults`).
        With faults, :attr:`endpoint_url` is the fault proxy's, which forwards everything else.

    The server shares moto's in-process backends, so :func:`local.sample_data.seed_sample_images`
    seeds it directly.
    """

    def __init__(self, faults: Mapping[str, Fault] | None = None) -> None:
        self._faults = dict(faults or {})
        self._server: object | None = None
        self.proxy: FaultInjectingProxy | None = None
        self._moto_url = ""

    @property
    def endpoint_url(self) -> str:
        """What AWS_ENDPOINT_URL must be for botocore clients to use the emulated AWS."""
        return self.proxy.endpoint_url if self.proxy else self._moto_url

    def start(self) -> EmulatedAws:
        """Start moto (and the fault proxy, if any) and wipe any state moto holds; returns self."""
        # Imported here: moto is a development dependency and slow to import.
        from moto.server import ThreadedMotoServer  # noqa: PLC0415

        server = ThreadedMotoServer(ip_address=LOCALHOST, port=0, verbose=False)
        server.start()
        self._server = server
        host, port = server.get_host_and_port()
        self._moto_url = f"http://{host}:{port}"
        # moto's backends are process-global: start from nothing, whatever ran before in this process.
        reset = urllib.request.Request(f"{self._moto_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(reset, timeout=30) as response:  # noqa: S310 - the local URL built above
            response.read()
        if self._faults:
            self.proxy = FaultInjectingProxy(self._moto_url, self._faults).start()
        return self

    def stop(self) -> None:
        """Stop the proxy and moto's server."""
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
            self._server = None


@contextmanager
def environment(overrides: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables, and restore the previous values on exit.

    The function code reads its configuration from the process environment, as on Lambda; the
    environment is process-wide, so run one local endpoint per process at a time.
    """
    previous = {name: os.environ.get(name) for name in overrides}
    try:
        for name, value in overrides.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
