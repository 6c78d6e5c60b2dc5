"""The emulated AWS: moto's server, in-process on 127.0.0.1, behind a proxy that answers as AWS where moto
cannot (see :mod:`local.faults`), and with Region names unknown to AWS failing as they do on AWS.
"""

from __future__ import annotations

import functools
import os
import socket
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore import handlers
from botocore.exceptions import EndpointConnectionError
from botocore.loaders import Loader

from .faults import Fault, FaultInjectingProxy, signing_scope
from .servers import LOCALHOST


class EmulatedAws:
    """moto's ``ThreadedMotoServer`` on a free 127.0.0.1 port, reset to empty when it starts.

    Parameters
    ----------
    faults:
        Region name -> a fault every AWS call for that Region gets (see :mod:`local.faults`).

    :attr:`endpoint_url` is the proxy's, which answers faults, Regions moto does not serve and forged
    continuation tokens as AWS does, and forwards everything else to moto. While it runs, a call to it for a
    Region name AWS does not have fails as on AWS, where no endpoint resolves (see
    :class:`UnresolvableRegions`). The server shares moto's in-process backends, so
    :func:`local.sample_data.seed_sample_images` seeds it directly.
    """

    def __init__(self, faults: Mapping[str, Fault] | None = None) -> None:
        self._faults = dict(faults or {})
        self._server: object | None = None
        self.proxy: FaultInjectingProxy | None = None
        self._unresolvable_regions: UnresolvableRegions | None = None
        self._moto_url = ""

    @property
    def endpoint_url(self) -> str:
        """What AWS_ENDPOINT_URL must be for botocore clients to use the emulated AWS."""
        if self.proxy is None:
            raise RuntimeError("the emulated AWS is not started")
        return self.proxy.endpoint_url

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
        self.proxy = FaultInjectingProxy(self._moto_url, self._faults).start()
        self._unresolvable_regions = UnresolvableRegions(self.proxy.endpoint_url).install()
        return self

    def stop(self) -> None:
        """Stop the proxy and moto's server."""
        if self._unresolvable_regions is not None:
            self._unresolvable_regions.remove()
            self._unresolvable_regions = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
            self._server = None


@functools.cache
def _regions_known_to_aws() -> frozenset[str]:
    """Every Region name in botocore's partition data: the Regions that have endpoints."""
    partitions: dict[str, Any] = Loader().load_data("partitions")
    return frozenset(region for partition in partitions["partitions"] for region in partition["regions"])


class UnresolvableRegions:
    """Make botocore calls to ``endpoint_url`` for a Region AWS does not have fail as they do on AWS.

    On AWS, a well-formed Region name that no partition lists (``us-east-7``) has no endpoint: its host name
    does not resolve, and botocore raises ``EndpointConnectionError`` (and retries it). Here every call goes
    to one local endpoint, so the failure is raised in botocore itself, before anything is sent: a handler
    of botocore's ``before-send`` event, registered as a built-in handler of every new botocore session (as
    moto's own in-process mock is). It only acts on requests for ``endpoint_url``.
    """

    def __init__(self, endpoint_url: str) -> None:
        self._endpoint_url = endpoint_url.rstrip("/") + "/"
        self._registration = ("before-send", self._fail_unknown_region)
        self._active = False

    def install(self) -> UnresolvableRegions:
        """Register the handler for botocore sessions created from now on; returns self."""
        self._active = True
        handlers.BUILTIN_HANDLERS.append(self._registration)
        return self

    def remove(self) -> None:
        """Unregister it (sessions that already have it see it inactive)."""
        self._active = False
        if self._registration in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.remove(self._registration)

    def _fail_unknown_region(self, request: Any, **_: Any) -> None:
        if not self._active or not str(request.url).startswith(self._endpoint_url):
            return
        authorization = request.headers.get("Authorization") or b""
        if isinstance(authorization, bytes):
            authorization = authorization.decode("latin-1")
        scope = signing_scope(authorization)
        if scope is None or scope[0] in _regions_known_to_aws():
            return
        region, service = scope
        raise EndpointConnectionError(
            endpoint_url=f"https://{service}.{region}.amazonaws.com/",
            error=socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        )


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
