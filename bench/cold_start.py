"""One Lambda execution environment's life, timed: run by ``bench/run.py`` in a fresh interpreter (``-S``, the
runtime and botocore on PYTHONPATH), possibly inside a CPU cgroup.

The clock starts before the handler module is imported: nothing but the interpreter's own start-up modules
is loaded before it (this file imports nothing at the top). The handler then serves its first request and,
unless told otherwise, warm requests. AWS is answered inside the botocore call: a ``before-send`` hook hands
back EC2's XML read from a file before the clock started, so botocore signs the request and parses the
answer as in Lambda, and only the network is missing.

Usage: ``cold_start.py ANSWERS_DIR MODE [WARM_RUNS PAUSE_SECONDS]``; MODE is ``trimmed`` (the runtime as
shipped), ``trimmed-botocore-json`` (the trimmed models read with botocore's own JSON file loader), ``full``
(botocore's full models: the runtime's fallback, and what it did before) or ``import-botocore-session`` (the
yardstick). Prints one JSON object: seconds of wall-clock and CPU time.
"""

# mypy: allow-untyped-defs, allow-incomplete-defs
# (botocore's objects stay unannotated: naming their types would import ``typing`` before the clock.)
# ruff: noqa: PLC0415 (every import here is deferred on purpose)

import os
import sys
import time

WARM_SIZES = (10, 1000)


class _Answered:
    """A botocore client whose calls are answered with the queued bodies and timed (wall and CPU)."""

    def __init__(self, client, bodies: list[bytes], timer: dict[str, float]) -> None:
        from botocore.awsrequest import AWSResponse  # loaded with botocore's client already

        class _Raw:
            def __init__(self, body: bytes) -> None:
                self._body = body

            def stream(self, **_: object):
                yield self._body

        def answer(request, **_: object):
            return AWSResponse(request.url, 200, {}, _Raw(bodies.pop(0)))

        client.meta.events.register("before-send", answer)
        self._client, self._timer = client, timer

    def __getattr__(self, name: str):
        method, timer = getattr(self._client, name), self._timer

        def timed(**params: object):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return method(**params)
            finally:
                timer["inside_wall"] += time.perf_counter() - wall
                timer["inside_cpu"] += time.process_time() - cpu

        setattr(self, name, timed)
        return timed


class _Context:
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 25_000


def _event() -> dict[str, object]:
    return {
        "resource": "/images/custom",
        "path": "/images/custom",
        "httpMethod": "GET",
        "queryStringParameters": {"imageStatus": "AVAILABLE"},
        "multiValueQueryStringParameters": {"imageStatus": ["AVAILABLE"]},
        "requestContext": {"requestId": "bench"},
        "body": None,
        "isBase64Encoded": False,
    }


def main() -> None:
    answers_dir, mode = sys.argv[1], sys.argv[2]
    warm_runs = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    answers = {}
    for size in (10, *WARM_SIZES):
        with open(os.path.join(answers_dir, f"describe-images-{size}.xml"), "rb") as file:
            answers[size] = file.read()
    bodies: list[bytes] = []
    timer = {"inside_wall": 0.0, "inside_cpu": 0.0}
    result: dict[str, object]
    event, context = _event(), _Context()

    started_wall, started_cpu = time.perf_counter(), time.process_time()
    if mode == "import-botocore-session":
        import botocore.session  # noqa: F401

        result = {
            "import_wall": time.perf_counter() - started_wall,
            "import_cpu": time.process_time() - started_cpu,
        }
    else:
        from listimages import aws_session, sources

        if mode == "full":
            aws_session.state.usable = False
        elif mode == "trimmed-botocore-json":
            aws_session.FILE_LOADER_CLASS = aws_session.JSONFileLoader
        sources.clients.use_factory(
            lambda service, region: _Answered(sources.create_botocore_client(service, region), bodies, timer)
        )
        from listimages import handler

        imported_wall, imported_cpu = time.perf_counter(), time.process_time()
        bodies.append(answers[10])
        response = handler.handle(event, context)
        result = {
            "import_wall": imported_wall - started_wall,
            "import_cpu": imported_cpu - started_cpu,
            "first_wall": time.perf_counter() - imported_wall,
            "first_cpu": time.process_time() - imported_cpu,
            **timer,
        }
        assert response["statusCode"] == 200, response
        warm: dict[int, list[float]] = {}
        for size in WARM_SIZES:
            warm[size] = []
            for _ in range(warm_runs):
                bodies.append(answers[size])
                time.sleep(pause)  # a fresh CPU quota, as a request after an idle moment finds it
                started = time.perf_counter()
                response = handler.handle(event, context)
                warm[size].append(time.perf_counter() - started)
                assert response["statusCode"] == 200, response
        result["warm"] = warm
    import json

    print(json.dumps(result))


if __name__ == "__main__":
    main()
