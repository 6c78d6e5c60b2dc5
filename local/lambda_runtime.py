"""Run a Lambda handler in-process the way Lambda does: one request at a time per container.

Each "container" is a private copy of the function's code (its modules are imported afresh under a
unique package name), so module-level state — boto3 clients, caches — is per container, as in
Lambda, and never shared with the test process's own imports of the same code. A container serves
one invocation at a time; concurrent requests get more containers, up to a limit.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .template import FunctionDefinition

Handler = Callable[[dict[str, Any], Any], Any]

_container_numbers = itertools.count(1)


@dataclass
class LambdaContext:
    """The subset of Lambda's context object that handlers use.

    ``get_remaining_time_in_millis()`` counts down from the function's Timeout in the template.
    """

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_monotonic: float

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda would stop this invocation."""
        return max(0, int((self.deadline_monotonic - time.monotonic()) * 1000))


def new_context(function: FunctionDefinition, *, region: str, account_id: str | None) -> LambdaContext:
    """Build a fresh context for one invocation of ``function``, its clock starting now."""
    account_id = account_id or "000000000000"  # unknown when serving real AWS
    return LambdaContext(
        function_name=function.logical_id,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{function.logical_id}",
        memory_limit_in_mb=function.memory_mb,
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function.logical_id}",
        log_stream_name=f"local/[$LATEST]{uuid.uuid4().hex}",
        deadline_monotonic=time.monotonic() + function.timeout_seconds,
    )


class _Container:
    """One private copy of the function code, loaded on first use (the cold start)."""

    def __init__(self, code_root: Path, handler_string: str) -> None:
        self._package = f"lambda_container_{next(_container_numbers)}"
        module_name, _, self._function_name = handler_string.rpartition(".")
        if not module_name:
            raise ValueError(f"handler {handler_string!r} must look like 'module.function'")
        self._module_name = module_name
        self._code_root = code_root
        self._handler: Handler | None = None

    def handler(self) -> Handler:
        if self._handler is None:
            # A namespace package rooted at the code directory: imports inside the function's own
            # package (relative ones) resolve to this container's copies.
            namespace = types.ModuleType(self._package)
            namespace.__path__ = [str(self._code_root)]
            sys.modules[self._package] = namespace
            module = importlib.import_module(f"{self._package}.{self._module_name}")
            self._handler = getattr(module, self._function_name)
        return self._handler

    def unload(self) -> None:
        for name in [name for name in sys.modules if name.split(".")[0] == self._package]:
            del sys.modules[name]


class FunctionContainers:
    """A pool of containers for one function; ``invoke`` borrows a free one or starts a new one.

    Parameters
    ----------
    function:
        The function as the template defines it.
    code_root:
        The directory the handler string is relative to (the Lambda asset root, e.g. ``runtime/``).
    max_containers:
        How many invocations may run at once; further requests wait for a free container. Lambda
        would scale out instead; one local process shares its CPU (and GIL) with the emulator, so
        a small number keeps each call's latency — and the function's AWS timeouts — realistic.
    """

    def __init__(self, function: FunctionDefinition, code_root: Path, *, max_containers: int = 4) -> None:
        self.function = function
        self._code_root = code_root
        self._idle: list[_Container] = []
        self._all: list[_Container] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_containers)

    @contextmanager
    def _borrow(self) -> Iterator[_Container]:
        with self._slots:
            with self._lock:
                if self._idle:
                    container = self._idle.pop()
                else:
                    container = _Container(self._code_root, self.function.handler)
                    self._all.append(container)
            try:
                yield container
            finally:
                with self._lock:
                    self._idle.append(container)

    def invoke(self, event: dict[str, Any], region: str, account_id: str | None) -> tuple[Any, float]:
        """Call the handler with ``event`` in a free container; return its result and run time in seconds.

        As on Lambda, the context's clock starts once the container is initialised (a cold start's
        imports are not part of the invocation's Timeout), and a queued request has not started yet.
        """
        with self._borrow() as container:
            handler = container.handler()
            context = new_context(self.function, region=region, account_id=account_id)
            started = time.monotonic()
            result = handler(event, context)
            return result, time.monotonic() - started

    @property
    def container_count(self) -> int:
        """How many containers have been started (each is one cold start)."""
        with self._lock:
            return len(self._all)

    def unload(self) -> None:
        """Forget every container's modules (call once the gateway has stopped)."""
        with self._lock:
            for container in self._all:
                container.unload()
            self._all.clear()
            self._idle.clear()


def function_pools(
    functions: Mapping[str, FunctionDefinition], code_root: Path, *, max_containers: int = 4
) -> dict[str, FunctionContainers]:
    """One container pool per function of the template."""
    return {
        logical_id: FunctionContainers(function, code_root, max_containers=max_containers)
        for logical_id, function in functions.items()
    }
