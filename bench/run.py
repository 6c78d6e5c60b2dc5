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
- peak memory (tracemalloc peak of one request; max RSS of the process);
- the cold start as Lambda runs it (``bench/cold_start.py`` in fresh interpreters): its CPU next to a fresh
  interpreter's ``import botocore.session``, lever by lever, the first request after a provisioned-concurrency
  or SnapStart init, and the "Lambda memory" table: cold and warm requests inside a CPU cgroup whose quota is
  the CPU share Lambda gives each memory size, with what they cost.

Run: ``.venv/bin/python bench/run.py`` (no network, no AWS; the memory table needs root and a CPU cgroup).
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import timeit
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
sys.path.insert(1, str(REPO))  # tools/

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


def _load() -> str:
    """The machine's load when a table is measured (other work on a shared machine skews absolute figures)."""
    return "load average {:.1f} / {:.1f} / {:.1f} (1 / 5 / 15 min)".format(*os.getloadavg())


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


# --- Lambda's CPU share: cold start, memory sizes and cost ------------------------------------------------

# Lambda gives a function CPU in proportion to its memory; 1,769 MB is one vCPU (AWS Lambda Developer Guide,
# "Configure Lambda function memory").
ONE_VCPU_MB = 1769
MEMORY_SIZES_MB = (128, 256, 512, 1024, 1536, 1769, 2048)
# The cgroup's CFS period. Short, so that a throttled pause (less than one period) that falls inside an AWS
# call, whose time is excluded, distorts a figure little; the kernel's minimum quota of 1 ms allows 128 MB's
# 7.2 % of a CPU from a 14 ms period up. (Lambda does not publish its own.)
CFS_PERIOD_US = 20_000
COLD_START_RUNS = 7
THROTTLED_WARM_RUNS = 5
# Lambda's prices for arm64 in US East (N. Virginia), first duration tier, from the AWS Lambda pricing page,
# recorded on 2026-12-02. The init phase is billed like the handler's time ("Duration charges apply to code
# that runs in the handler of a function as well as initialization code that is declared outside of the
# handler"), so a cold start costs its whole duration.
PRICES_RECORDED_ON = "2026-12-02"
ARM64_PRICE_PER_GB_SECOND = 0.0000133334
PRICE_PER_MILLION_REQUESTS = 0.20
# The default-memory rule: the smallest size whose cold start is within this factor of the one-vCPU figure.
DEFAULT_MEMORY_COLD_START_FACTOR = 1.10
COLD_START_SCRIPT = Path(__file__).with_name("cold_start.py")
INITIALIZATION_TYPE_VARIABLE = "AWS_LAMBDA_INITIALIZATION_TYPE"


class CpuCgroup:
    """A CPU cgroup, created beside the benchmark's own: ``set_share`` gives it a CFS quota and the largest
    CPU weight, ``add_process`` moves a process into it (children inherit it)."""

    def __init__(self, path: Path, version: int) -> None:
        self.path, self.version = path, version

    @classmethod
    @contextmanager
    def created(cls, name: str) -> Iterator[CpuCgroup | None]:
        """A new cgroup (v1 ``cpu`` controller first, then v2), removed afterwards with the benchmark's own
        process moved back where it was; None where neither is writable."""
        cgroup = cls._create_v1(name) or cls._create_v2(name)
        try:
            yield cgroup
        finally:
            if cgroup is not None:
                if str(os.getpid()) in (cgroup.path / "cgroup.procs").read_text().split():
                    (cgroup.path.parent / "cgroup.procs").write_text(str(os.getpid()))
                cgroup.path.rmdir()

    @staticmethod
    def _own_cgroup(controller: str) -> str | None:
        """This process's cgroup path in the hierarchy of ``controller`` ("" for cgroup v2's)."""
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return path
        return None

    @classmethod
    def _create_v1(cls, name: str) -> CpuCgroup | None:
        own = cls._own_cgroup("cpu")
        for root in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/cpu,cpuacct")):
            if own is not None and (root / "cpu.cfs_quota_us").exists():
                try:
                    (root / own.lstrip("/") / name).mkdir()
                except OSError:
                    return None
                return cls(root / own.lstrip("/") / name, 1)
        return None

    @classmethod
    def _create_v2(cls, name: str) -> CpuCgroup | None:
        mounts = Path("/proc/mounts").read_text().splitlines()
        roots = [Path(line.split()[1]) for line in mounts if line.split()[2:3] == ["cgroup2"]]
        own = cls._own_cgroup("") or "/"
        for root in roots:
            parent = root / own.lstrip("/")
            try:
                if "cpu" not in (parent / "cgroup.controllers").read_text().split():
                    continue
                (parent / "cgroup.subtree_control").write_text("+cpu")
                (parent / name).mkdir()
            except OSError:
                continue
            if (parent / name / "cpu.max").exists():
                return cls(parent / name, 2)
            (parent / name).rmdir()
        return None

    def set_share(self, share: float | None) -> None:
        """Limit the group to ``share`` of one CPU per period (None: no limit), and let it take that share
        ahead of the machine's other work (Lambda guarantees it; on a shared machine the model would otherwise
        measure the crowd)."""
        quota = -1 if share is None else max(1000, round(CFS_PERIOD_US * share))
        if self.version == 1:
            (self.path / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            (self.path / "cpu.shares").write_text("262144")  # the largest weight
        else:
            (self.path / "cpu.max").write_text(f"{'max' if quota < 0 else quota} {CFS_PERIOD_US}")
            (self.path / "cpu.weight").write_text("10000")  # the largest weight

    def add_process(self, pid: int) -> None:
        """Move process ``pid`` into this cgroup."""
        descriptor = os.open(self.path / "cgroup.procs", os.O_WRONLY)
        try:
            os.write(descriptor, str(pid).encode())
        finally:
            os.close(descriptor)

    def add_current_process(self) -> None:
        """Runs in a child between fork and exec: everything the child does is throttled."""
        self.add_process(os.getpid())


def _realistic_ami(ami: dict[str, Any]) -> dict[str, Any]:
    """A DescribeImages entry with the other fields EC2 returns for an AMI (parsed by botocore each time)."""
    return {
        **ami,
        "ImageLocation": f"123456789012/{ami['Name']}",
        "CreationDate": "2026-01-01T00:00:00.000Z",
        "Description": "AWS ParallelCluster AMI for alinux2023, kernel-6.1, lustre-2.15, efa-1.34",
        "Hypervisor": "xen",
        "EnaSupport": True,
        "SriovNetSupport": "simple",
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "BootMode": "uefi-preferred",
        "ImdsSupport": "v2.0",
        "DeprecationTime": "2028-01-01T00:00:00.000Z",
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {**mapping["Ebs"], "DeleteOnTermination": True, "VolumeType": "gp3"},
            }
            for mapping in ami["BlockDeviceMappings"]
        ],
    }


def write_answers(directory: Path) -> None:
    """EC2's DescribeImages answers (10 and 1,000 images) as XML files, for ``cold_start.py``."""
    import botocore.session  # noqa: PLC0415

    from tools.aws_answers import response_xml  # noqa: PLC0415

    operation = botocore.session.get_session().get_service_model("ec2").operation_model("DescribeImages")
    for size in (10, 1000):
        images = [_realistic_ami(ami) for ami in prebuilt_amis(size)]
        (directory / f"describe-images-{size}.xml").write_bytes(response_xml(operation, {"Images": images}))


@dataclass
class ColdStartBench:
    """Runs ``cold_start.py`` as Lambda would run our asset: a fresh interpreter without site-packages'
    start-up hooks, our modules compiled from source (the asset ships no bytecode), botocore as installed."""

    runtime_dir: Path
    answers_dir: Path

    def run(
        self,
        mode: str,
        *,
        cgroup: CpuCgroup | None = None,
        initialization_type: str | None = None,
        warm_runs: int = 0,
    ) -> dict[str, Any]:
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join((str(self.runtime_dir), sysconfig.get_paths()["purelib"])),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        environment.pop(INITIALIZATION_TYPE_VARIABLE, None)
        if initialization_type:
            environment[INITIALIZATION_TYPE_VARIABLE] = initialization_type
        pause = 2 * CFS_PERIOD_US / 1e6
        command = [sys.executable, "-S", str(COLD_START_SCRIPT), str(self.answers_dir), mode, str(warm_runs)]
        output = subprocess.run(
            [*command, str(pause)],
            env=environment,
            preexec_fn=cgroup.add_current_process if cgroup else None,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result: dict[str, Any] = json.loads(output)
        return result


def _import_cpu(run: dict[str, Any]) -> float:
    return float(run["import_cpu"])


def _first_cpu_outside(run: dict[str, Any]) -> float:
    return float(run["first_cpu"] - run["inside_cpu"])


def _inside_cpu(run: dict[str, Any]) -> float:
    return float(run["inside_cpu"])


def _cold_cpu_outside(run: dict[str, Any]) -> float:
    return _import_cpu(run) + _first_cpu_outside(run)


def _cold_wall_outside(run: dict[str, Any]) -> float:
    return float(run["import_wall"] + run["first_wall"] - run["inside_wall"])


def _cold_wall_total(run: dict[str, Any]) -> float:
    return float(run["import_wall"] + run["first_wall"])


def _first_wall_outside(run: dict[str, Any]) -> float:
    return float(run["first_wall"] - run["inside_wall"])


def _median(runs: list[dict[str, Any]], figure: Callable[[dict[str, Any]], float]) -> float:
    return float(statistics.median(figure(run) for run in runs))


def _request_cost(seconds: float, memory_mb: int) -> float:
    """What Lambda bills for ``seconds`` of duration at ``memory_mb`` (rounded up to the millisecond)."""
    return math.ceil(seconds * 1000) / 1000 * memory_mb / 1024 * ARM64_PRICE_PER_GB_SECOND


def unthrottled_cold_start(bench: ColdStartBench, prioritised: bool) -> float:
    """The cold start's CPU lever by lever, next to ``import botocore.session``; returns that yardstick."""
    variants: dict[str, tuple[str, str | None]] = {
        "yardstick": ("import-botocore-session", None),
        "full": ("full", None),
        "trimmed, botocore's JSON reader": ("trimmed-botocore-json", None),
        "trimmed": ("trimmed", None),
        "initialised ahead": ("trimmed", "provisioned-concurrency"),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for _ in range(COLD_START_RUNS):  # in turn, so that a busy moment of the machine hits every variant
        for name, (mode, initialization_type) in variants.items():
            runs[name].append(bench.run(mode, initialization_type=initialization_type))
    yardstick = _median(runs["yardstick"], _import_cpu)
    priority = "at the highest CPU weight, without quota" if prioritised else "without a cgroup"
    print(
        f"\n## Cold start: CPU work (fresh interpreter, unthrottled, median of {COLD_START_RUNS})\n\n"
        f"Measured at {_load()}, {priority}. "
        "Import of the handler, then its first request (AVAILABLE, 10 images): CPU time outside AWS calls. "
        '"In the AWS call" is botocore signing the request and parsing EC2\'s answer (no network).\n'
    )
    print(
        "| Cold start | import (ms CPU) | first request, outside AWS calls | in the AWS call "
        "| import + first request, outside AWS calls | ÷ `import botocore.session` |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| `import botocore.session` alone (the yardstick) | {_ms(yardstick)} | | "
        f"| {_ms(yardstick)} | 1.00 |"
    )
    for name, label in (
        ("full", "botocore's full service models (before; the runtime's fallback)"),
        ("trimmed, botocore's JSON reader", "+ trimmed service models"),
        ("trimmed", "+ JSON objects read as plain dicts (shipped)"),
        ("initialised ahead", "provisioned concurrency or SnapStart: clients created at init"),
    ):
        cold = _median(runs[name], _cold_cpu_outside)
        print(
            f"| {label} | {_ms(_median(runs[name], _import_cpu))} "
            f"| {_ms(_median(runs[name], _first_cpu_outside))} "
            f"| {_ms(_median(runs[name], _inside_cpu))} | {_ms(cold)} | {cold / yardstick:.2f} |"
        )
    trimmed, full = _median(runs["trimmed"], _cold_cpu_outside), _median(runs["full"], _cold_cpu_outside)
    first_after_init = _median(runs["initialised ahead"], _first_cpu_outside)
    print(
        f"\nTarget: cold start CPU ≤ 1.6 x `import botocore.session`: {trimmed / yardstick:.2f} "
        f"(was {full / yardstick:.2f} with the full models). After an init that created the clients, the "
        f"first request takes {_ms(first_after_init)} ms of CPU outside AWS calls."
    )
    return yardstick


def lambda_memory_table(bench: ColdStartBench, cgroup: CpuCgroup | None, yardstick: float) -> None:
    """Cold and warm requests at each memory size's CPU share, what they cost, and the default-memory rule."""
    print(
        f"\n## Lambda memory (CPU share = memory / {ONE_VCPU_MB:,} MB of one CPU)\n\n"
        f"Each run in a CPU cgroup with a CFS quota of MEM/{ONE_VCPU_MB} of one CPU per "
        f"{CFS_PERIOD_US // 1000} ms period. Cold start: import + first request (AVAILABLE, 10 images), "
        f'wall-clock outside AWS calls, median of {COLD_START_RUNS}; "total" adds botocore\'s own work in '
        "the "
        f"AWS call. Warm: the whole request (botocore parsing EC2's XML included, no network), median of "
        f"{THROTTLED_WARM_RUNS} per cold start, each after a pause that restores the quota. Cost: arm64, "
        f"US East (N. Virginia), ${ARM64_PRICE_PER_GB_SECOND:.10f} per GB-second and "
        f"${PRICE_PER_MILLION_REQUESTS:.2f} per 1M requests (AWS Lambda pricing page, recorded "
        f"{PRICES_RECORDED_ON}); duration rounded up to the "
        "ms; the init phase billed like the handler.\n"
    )
    if cgroup is None:
        print("not measured (no CPU cgroup)")
        return
    runs: dict[int, list[dict[str, Any]]] = {memory: [] for memory in MEMORY_SIZES_MB}
    for _ in range(COLD_START_RUNS):
        for memory in MEMORY_SIZES_MB:
            cgroup.set_share(memory / ONE_VCPU_MB)
            runs[memory].append(bench.run("trimmed", cgroup=cgroup, warm_runs=THROTTLED_WARM_RUNS))
    cold = {memory: _median(runs[memory], _cold_wall_outside) for memory in MEMORY_SIZES_MB}
    # Each size against one vCPU within the same round, then the median: a busy phase of the machine slows
    # both sides of a ratio alike, where it would shift one median of the table alone.
    to_one_vcpu = {
        memory: float(
            statistics.median(
                _cold_wall_outside(run) / _cold_wall_outside(one_vcpu)
                for run, one_vcpu in zip(runs[memory], runs[ONE_VCPU_MB], strict=True)
            )
        )
        for memory in MEMORY_SIZES_MB
    }
    chosen = min(m for m in MEMORY_SIZES_MB if to_one_vcpu[m] <= DEFAULT_MEMORY_COLD_START_FACTOR)
    cgroup.set_share(chosen / ONE_VCPU_MB)
    initialised_ahead = [
        bench.run("trimmed", cgroup=cgroup, initialization_type="provisioned-concurrency")
        for _ in range(COLD_START_RUNS)
    ]
    print(
        "| Memory (MB) | CPU share | cold start (ms) | ÷ 1 vCPU's, by round "
        "| ÷ `import botocore.session` CPU "
        "| cold start, total | warm, 10 images | warm, 1,000 images | $ per cold start "
        "| $ per 1M warm requests (10 images) | $ per 1M warm requests (1,000 images) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for memory in MEMORY_SIZES_MB:
        total = _median(runs[memory], _cold_wall_total)
        warm = {
            size: float(statistics.median(value for run in runs[memory] for value in run["warm"][str(size)]))
            for size in (10, 1000)
        }
        per_million = {
            size: PRICE_PER_MILLION_REQUESTS + 1e6 * _request_cost(seconds, memory)
            for size, seconds in warm.items()
        }
        print(
            f"| {memory:,} | {memory / ONE_VCPU_MB:.3f} | {_ms(cold[memory])} | {to_one_vcpu[memory]:.2f} "
            f"| {cold[memory] / yardstick:.2f} | {_ms(total)} | {_ms(warm[10])} | {_ms(warm[1000])} "
            f"| {_request_cost(total, memory):.7f} | {per_million[10]:.2f} | {per_million[1000]:.2f} |"
        )
    print(
        f"\nDefault-memory rule: the smallest size whose cold start is within "
        f"{DEFAULT_MEMORY_COLD_START_FACTOR - 1:.0%} of one vCPU's ({ONE_VCPU_MB:,} MB; the by-round ratio): "
        f"{chosen:,} MB in this run; its cold start is {cold[chosen] / yardstick:.2f} x "
        "`import botocore.session` (target ≤ 3). "
        f"At {chosen:,} MB, after a provisioned-concurrency init the first request takes "
        f"{_ms(_median(initialised_ahead, _first_wall_outside))} ms outside AWS calls "
        f"({_ms(_median(initialised_ahead, lambda run: float(run['first_wall'])))} ms in all)."
    )
    print(f"\nMeasured at {_load()}.")
    print(
        "\nWhat this model leaves out: Graviton's per-core speed (these figures are this machine's "
        "cores); the Lambda runtime's own start before our import (interpreter, runtime client) and its "
        "billing; any extra CPU Lambda may give the init phase; the network, TLS handshake and AWS's own "
        "latency, which a request "
        "also waits for and is billed for (each millisecond of it costs "
        f"${1e6 * _request_cost(0.001, 256):.4f} per 1M requests at 256 MB, "
        f"${1e6 * _request_cost(0.001, ONE_VCPU_MB):.4f} at {ONE_VCPU_MB:,} MB)."
    )


def cold_start_tables(lambda_share: CpuCgroup | None, prioritised: bool) -> None:
    """The cold-start tables: unthrottled CPU lever by lever, then the Lambda memory table."""
    with tempfile.TemporaryDirectory(prefix="listimages-bench-") as temporary:
        runtime_dir = Path(temporary, "runtime")
        shutil.copytree(RUNTIME, runtime_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        answers_dir = Path(temporary, "answers")
        answers_dir.mkdir()
        write_answers(answers_dir)
        bench = ColdStartBench(runtime_dir, answers_dir)
        lambda_memory_table(bench, lambda_share, unthrottled_cold_start(bench, prioritised))


def main() -> None:
    """Run every measurement and print the tables: the benchmark and the interpreters it starts run at the
    highest CPU weight where a cgroup allows, so that other work on a shared machine disturbs them less;
    the Lambda memory table's runs each get their memory size's CPU share."""
    name = f"listimages-bench-{os.getpid()}"
    with CpuCgroup.created(name) as priority, CpuCgroup.created(f"{name}-lambda") as lambda_share:
        if priority is not None:
            priority.set_share(None)
            priority.add_process(os.getpid())
        runtime_tables(prioritised=priority is not None)
        cold_start_tables(lambda_share, prioritised=priority is not None)


def runtime_tables(prioritised: bool) -> None:
    """The warm-request tables (and the Stubber first request)."""
    handler_import, boto3_import = cold_imports()
    priority = "at the highest CPU weight" if prioritised else "at normal CPU priority"
    print("## Runtime benchmark\n")
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {_load()}, {priority}, times in ms. "
        "Cold import and first request: median of fresh interpreters; warm: median over "
        f"{ROUNDS} rounds, taken in turn across the sizes, of each round's best of "
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
