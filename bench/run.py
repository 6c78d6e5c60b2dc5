"""Benchmark of the listImages runtime; prints the table that the README shows.

Measures, in one run:
- cold import of ``listimages.handler`` in fresh interpreters (median of 11) next to ``import boto3``;
- first request (fresh interpreter: client creation + first call; median of 5) and warm request (the
  median over rounds of each round's best run: robust to short and long disturbances on a shared machine)
  for 0/10/100/1,000 images (0: the fixed cost of a request), splitting time inside AWS calls from time
  outside them (our code). AWS is botocore clients served by ``Stubber`` with pre-built responses, so
  "inside" is botocore's own call machinery and no network;
- that outside time next to ``json.dumps`` of the same response body, and both per image (100 → 1,000);
- AWS calls per response next to the AWS pages the stub served;
- peak memory (tracemalloc peak of one request; max RSS of the process).

Run: ``.venv/bin/python bench/run.py`` (no network, no AWS).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
import timeit
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / "runtime"
ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
    # The function's own configuration, as ListImagesApi sets it by default: production never takes the
    # unset-variable path, which is slower (os.environ raises and catches KeyError for a missing name).
    "LIST_IMAGES_PAGE_SIZE": "1000",
    "LIST_IMAGES_ALLOWED_REGIONS": "",
}
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_CLOUDFORMATION"):
    os.environ.pop(_name, None)
os.environ.update(ENVIRONMENT)
sys.path.insert(0, str(RUNTIME))

IMPORT_RUNS = 11
FIRST_REQUEST_RUNS = 5
# Warm figures: the median over ROUNDS of each round's best run. Rounds are taken in turn across the sizes, so
# that a slow phase of a shared machine hits one round of every size rather than every round of one size.
ROUNDS = 11
RUNS_PER_ROUND = {0: 201, 10: 201, 100: 51, 1000: 5}
# 0 = an empty listing: what a request costs before any image (parse, validate, one log record, encode).
SIZES = (0, 10, 100, 1000)
STACK_PAGE = 100  # CloudFormation's DescribeStacks page size

# ParallelCluster tags its AMIs with about ten parallelcluster:* tags; the responses carry them all.
_EXTRA_TAGS = {
    "parallelcluster:build_config": "s3://bucket/parallelcluster/3.9.0/images/image/config.yaml",
    "parallelcluster:s3_bucket": "parallelcluster-0123456789abcdef-v1-do-not-delete",
    "parallelcluster:s3_image_dir": "parallelcluster/3.9.0/images/image",
    "parallelcluster:build_log": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/imagebuilder/image",
    "parallelcluster:os": "alinux2023",
    "parallelcluster:kernel_version": "6.1.84-99.169.amzn2023.x86_64",
    "parallelcluster:lustre_version": "2.15.4",
}


def prebuilt_amis(count: int) -> list[dict[str, Any]]:
    """DescribeImages entries shaped like EC2's for ParallelCluster images."""
    amis = []
    for n in range(count):
        tags = {
            "parallelcluster:image_id": f"custom-image-{n}",
            "parallelcluster:version": "3.9.0",
            "parallelcluster:build_status": "available",
            **_EXTRA_TAGS,
        }
        amis.append(
            {
                "ImageId": f"ami-{n:017x}",
                "OwnerId": "123456789012",
                "Name": f"custom-image-{n} 2026-01-01T00-00-00.000Z",
                "State": "available",
                "Architecture": "x86_64",
                "ImageType": "machine",
                "Public": False,
                "RootDeviceName": "/dev/xvda",
                "RootDeviceType": "ebs",
                "VirtualizationType": "hvm",
                "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": f"snap-{n:017x}", "VolumeSize": 40}}
                ],
                "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
            }
        )
    return amis


def prebuilt_stacks(count: int) -> list[dict[str, Any]]:
    """DescribeStacks entries for image builds that failed."""
    return [
        {
            "StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/image-{n}/{n:08d}-0000-4000",
            "StackName": f"image-{n}",
            "StackStatus": "ROLLBACK_COMPLETE",
            "CreationTime": "2026-01-01T00:00:00Z",
            "Tags": [
                {"Key": "parallelcluster:image_id", "Value": f"image-{n}"},
                {"Key": "parallelcluster:version", "Value": "3.9.0"},
                {"Key": "parallelcluster:build_config", "Value": _EXTRA_TAGS["parallelcluster:build_config"]},
            ],
        }
        for n in range(count)
    ]


@dataclass
class Timer:
    """Time spent inside AWS calls and creating clients, and the number of calls."""

    inside: float = 0.0
    creating: float = 0.0
    calls: int = 0


class TimedClient:
    """A client whose API calls are timed (the time *inside* AWS calls)."""

    def __init__(self, client: Any, timer: Timer) -> None:
        self._client, self._timer = client, timer

    def __getattr__(self, name: str) -> Any:
        method, timer = getattr(self._client, name), self._timer

        def timed(**params: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(**params)
            finally:
                timer.inside += time.perf_counter() - started
                timer.calls += 1

        # Kept on the instance: the wrapper's own lookup is the benchmark's cost, not the handler's.
        setattr(self, name, timed)
        return timed


class StubbedAws:
    """Real botocore clients served by Stubber from pre-built pages; every client creation is timed."""

    def __init__(self, timer: Timer) -> None:
        # Imported here, not at the top: the parent process must not pre-load what the children measure.
        from botocore.stub import Stubber  # noqa: PLC0415
        from listimages import sources  # noqa: PLC0415

        self._stubber_type, self._sources, self.timer = Stubber, sources, timer
        self.stubbers: dict[str, Any] = {}
        # Responses queued before the client exists are added when the handler creates it (first request).
        self.pending: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        sources.clients.use_factory(self._create)

    def _create(self, service: str, region: str) -> Any:
        started = time.perf_counter()
        client = self._sources.create_botocore_client(service, region)
        stubber = self._stubber_type(client)
        stubber.activate()
        for operation, response in self.pending.pop(service, []):
            stubber.add_response(operation, response)
        self.stubbers[service] = stubber
        self.timer.creating += time.perf_counter() - started
        return TimedClient(client, self.timer)

    def queue(self, image_status: str, items: list[dict[str, Any]]) -> int:
        """Queue the AWS pages of one listing; returns how many pages."""
        service = "ec2" if image_status == "AVAILABLE" else "cloudformation"
        if service == "ec2":
            responses = [("describe_images", {"Images": items})]
        else:
            pages = [items[start : start + STACK_PAGE] for start in range(0, len(items), STACK_PAGE)]
            responses = []
            for index, page in enumerate(pages):
                response: dict[str, Any] = {"Stacks": page}
                if index < len(pages) - 1:
                    response["NextToken"] = f"page-{index + 1}"
                responses.append(("describe_stacks", response))
        for operation, response in responses:
            if service in self.stubbers:
                self.stubbers[service].add_response(operation, response)
            else:
                self.pending.setdefault(service, []).append((operation, response))
        return len(responses)


def _event(image_status: str) -> dict[str, Any]:
    return {
        "resource": "/images/custom",
        "path": "/images/custom",
        "httpMethod": "GET",
        "queryStringParameters": {"imageStatus": image_status},
        "multiValueQueryStringParameters": {"imageStatus": [image_status]},
        "requestContext": {"requestId": "bench"},
        "body": None,
        "isBase64Encoded": False,
    }


class Context:
    """A Lambda context with plenty of time left."""

    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 25_000


def one_request(aws: StubbedAws, image_status: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Serve one request; returns total, inside, creating (seconds), calls, pages and the response."""
    from listimages.handler import handle  # noqa: PLC0415

    pages = aws.queue(image_status, items)
    aws.timer.inside = aws.timer.creating = 0.0
    aws.timer.calls = 0
    event, context = _event(image_status), Context()  # built before the clock starts: not the handler's time
    started = time.perf_counter()
    response = handle(event, context)
    total = time.perf_counter() - started
    assert response["statusCode"] == 200, response
    count = len(json.loads(response["body"])["images"])
    assert count == len(items), (count, len(items))
    return {
        "total": total,
        "inside": aws.timer.inside,
        "creating": aws.timer.creating,
        "calls": aws.timer.calls,
        "pages": pages,
        "body": response["body"],
    }


def _child_first_request(size: int) -> None:
    # Fresh interpreter: import, create clients, serve the first request; print the split as JSON.
    from listimages import handler  # noqa: F401, PLC0415

    aws = StubbedAws(Timer())
    result = one_request(aws, "AVAILABLE", prebuilt_amis(size))
    result.pop("body")
    print(json.dumps(result))


# Timed in an interpreter that has imported nothing else (not even this file's imports).
_IMPORT_PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _cold_import_seconds(module: str) -> float:
    return float(
        subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE.format(module=module)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(RUNTIME)},
        ).stdout
    )


def _fresh(*arguments: str) -> str:
    return subprocess.run(
        [sys.executable, __file__, *arguments], check=True, capture_output=True, text=True, env=os.environ
    ).stdout.strip()


def cold_imports() -> tuple[float, float]:
    """Median cold import seconds of the handler module and of boto3, alternating fresh interpreters."""
    handler_times, boto3_times = [], []
    for _ in range(IMPORT_RUNS):
        handler_times.append(_cold_import_seconds("listimages.handler"))
        boto3_times.append(_cold_import_seconds("boto3"))
    return statistics.median(handler_times), statistics.median(boto3_times)


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def _best_of(runs: list[dict[str, Any]], key: str) -> float:
    return float(min(run[key] for run in runs))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def _best_seconds(work: Any, number: int = 200, repeat: int = 25) -> float:
    return min(timeit.repeat(work, number=number, repeat=repeat)) / number


def warm_round(aws: StubbedAws, amis: list[dict[str, Any]], body: Any, runs: int) -> dict[str, float]:
    """One round of ``runs`` requests, each followed by a ``json.dumps`` of the same body (interleaved, so
    that load from other processes affects both sides of the ratio alike): the round's best figures."""
    requests, dumps = [], []
    for _ in range(runs):
        requests.append(one_request(aws, "AVAILABLE", amis))
        started = time.perf_counter()
        json.dumps(body)
        dumps.append(time.perf_counter() - started)
    outside = min(float(run["total"] - run["inside"] - run["creating"]) for run in requests)
    return {
        "total": _best_of(requests, "total"),
        "inside": _best_of(requests, "inside"),
        "outside": outside,
        "dumps": min(dumps),
        "ratio": outside / min(dumps),
        "calls": requests[0]["calls"],
        "pages": requests[0]["pages"],
    }


def _median_round(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(statistics.median(round_[key] for round_ in rounds)) for key in rounds[0]}


def small_page_breakdown(aws: StubbedAws, size: int = 10) -> None:
    """What the outside time of a small page is made of: its parts timed alone (warm, in a tight loop, so each
    part is cheaper than inside a request), then the whole request and the request with its log record
    switched off (a what-if), measured in alternating rounds like the main table."""
    from listimages import handler, images  # noqa: PLC0415

    amis = prebuilt_amis(size)
    body = json.loads(one_request(aws, "AVAILABLE", amis)["body"])
    make_entry = images.ami_entry_maker("us-east-1", images.CAMEL_CASE)
    log_fields = {"status": 200, "imageStatus": "AVAILABLE", "region": "us-east-1", "count": size}
    parts = {
        "`json.dumps` of the body (the yardstick)": _best_seconds(lambda: json.dumps(body)),
        "encoding the body as the handler does (stdlib `json`)": _best_seconds(
            lambda: handler._encode_json(body)  # a part of the handler, timed alone
        ),
        f"mapping the {size} AMIs to entries": _best_seconds(lambda: list(map(make_entry, amis))),
        "the one request log record (created and handled, no output)": _best_seconds(
            lambda: handler._log_request(log_fields)
        ),
    }
    with_log_record: list[dict[str, float]] = []
    without_log_record: list[dict[str, float]] = []
    log_request = handler._log_request
    try:
        for _ in range(ROUNDS):
            handler._log_request = log_request
            with_log_record.append(warm_round(aws, amis, body, RUNS_PER_ROUND[size]))
            handler._log_request = lambda fields: None  # the what-if only; restored below
            without_log_record.append(warm_round(aws, amis, body, RUNS_PER_ROUND[size]))
    finally:
        handler._log_request = log_request
    yardstick = parts["`json.dumps` of the body (the yardstick)"]
    print(f"\n| {size} images, warm: part | µs | ÷ `json.dumps` |")
    print("|---|---|---|")
    for name, seconds in parts.items():
        print(f"| {name} | {seconds * 1e6:.1f} | {seconds / yardstick:.2f} |")
    in_rounds = []
    for name, rounds in (
        ("the whole request, outside AWS calls", with_log_record),
        ("what-if: the whole request without its log record", without_log_record),
    ):
        figures = _median_round(rounds)
        in_rounds.append(figures["dumps"])
        print(f"| {name} | {figures['outside'] * 1e6:.1f} | {figures['ratio']:.2f} |")
    print(
        "\nThe last two rows divide by the `json.dumps` timed in the same rounds "
        f"({statistics.median(in_rounds) * 1e6:.1f} µs), like the main table; the others by the yardstick "
        "row."
    )


def main() -> None:
    """Run every measurement and print the markdown table."""
    handler_import, boto3_import = cold_imports()
    print("## Runtime benchmark\n")
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, times in ms. Cold import and first "
        f"request: median of fresh interpreters; warm: median over {ROUNDS} rounds, taken in turn across the "
        "sizes, of each round's best of "
        + ", ".join(f"{runs} ({size:,} images)" for size, runs in RUNS_PER_ROUND.items())
        + " runs, each followed by its `json.dumps`.\n"
    )
    print("| Cold import (fresh interpreter, median of 11) | ms |")
    print("|---|---|")
    print(f"| `import listimages.handler` | {_ms(handler_import)} |")
    print(f"| `import boto3` | {_ms(boto3_import)} |")
    print(f"| ratio (target ≤ 1.2) | {handler_import / boto3_import:.2f} |\n")

    first = {
        size: [json.loads(_fresh("--first-request", str(size))) for _ in range(FIRST_REQUEST_RUNS)]
        for size in SIZES
    }
    aws = StubbedAws(Timer())
    listings = {}
    peak_bytes = 0
    for size in SIZES:
        amis = prebuilt_amis(size)
        one_request(aws, "AVAILABLE", amis)  # warm-up
        listings[size] = (amis, json.loads(one_request(aws, "AVAILABLE", amis)["body"]))
        tracemalloc.start()
        one_request(aws, "AVAILABLE", amis)
        peak_bytes = max(peak_bytes, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    rounds: dict[int, list[dict[str, float]]] = {size: [] for size in SIZES}
    for _ in range(ROUNDS):
        for size in SIZES:
            rounds[size].append(warm_round(aws, *listings[size], RUNS_PER_ROUND[size]))
    warm = {size: _median_round(rounds[size]) for size in SIZES}

    print(
        "| Images (AVAILABLE) | first: total | first: client creation | first: inside AWS calls "
        "| first: outside | warm: total | warm: inside AWS calls | warm: outside | `json.dumps` "
        "| outside ÷ dumps (target ≤ 3) | AWS calls / pages |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in SIZES:
        first_runs, figures = first[size], warm[size]
        first_outside = [r["total"] - r["inside"] - r["creating"] for r in first_runs]
        print(
            f"| {size} | {_ms(_median_of(first_runs, 'total'))} | {_ms(_median_of(first_runs, 'creating'))} "
            f"| {_ms(_median_of(first_runs, 'inside'))} | {_ms(statistics.median(first_outside))} "
            f"| {_ms(figures['total'])} | {_ms(figures['inside'])} | {_ms(figures['outside'])} "
            f"| {_ms(figures['dumps'])} | {figures['ratio']:.2f} "
            f"| {figures['calls']:.0f} / {figures['pages']:.0f} |"
        )

    # outside = fixed + images * per-image cost: the fixed part dominates small pages, the other large ones.
    per_image_outside = (warm[1000]["outside"] - warm[100]["outside"]) / 900
    per_image_dumps = (warm[1000]["dumps"] - warm[100]["dumps"]) / 900
    print(
        f"\nPer image (100 → 1,000 images): outside {per_image_outside * 1e6:.2f} µs, `json.dumps` "
        f"{per_image_dumps * 1e6:.2f} µs, ratio {per_image_outside / per_image_dumps:.2f}. Fixed part of a "
        f"request (empty listing): outside {warm[0]['outside'] * 1e6:.1f} µs."
    )

    small_page_breakdown(aws)

    stacks = prebuilt_stacks(1000)
    one_request(aws, "FAILED", stacks)
    failed = [one_request(aws, "FAILED", stacks) for _ in range(41)]
    print(
        f"\nFAILED, 1,000 builds over {failed[0]['pages']} DescribeStacks pages: warm total "
        f"{_ms(_best_of(failed, 'total'))} ms, inside AWS calls {_ms(_best_of(failed, 'inside'))} ms, "
        f"AWS calls / pages = {failed[0]['calls']} / {failed[0]['pages']}."
    )
    max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nPeak memory: {peak_bytes / 2**20:.1f} MiB allocated during one 1,000-image request "
        "(tracemalloc); "
        f"{max_rss_mib:.0f} MiB max RSS of the whole benchmark process."
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--first-request":
        _child_first_request(int(sys.argv[2]))
    else:
        main()
