"""Command 1 as a user runs it: `python -m local` in its own process, its printed examples, Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.sample_data import DEFAULT_COUNTS

REPO_ROOT = Path(__file__).resolve().parents[2]
# A hang guard, not a timing assertion: synth with the CDK CLI takes tens of seconds on 2 cores.
STARTUP_LIMIT_SECONDS = 300
STOP_LIMIT_SECONDS = 60


@dataclass
class RunningCommand:
    """`python -m local` running in a child process, with its stdout read line by line."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    printed: list[str] = field(default_factory=list)

    def read_until(self, marker: str) -> list[str]:
        """Collect printed lines until one contains ``marker``; fail if the process ends first."""
        while True:
            line = self.lines.get(timeout=STARTUP_LIMIT_SECONDS)
            if line is None:
                raise AssertionError("python -m local ended early:\n" + "".join(self.printed))
            self.printed.append(line)
            if marker in line:
                return self.printed

    def examples(self, starting: str) -> list[str]:
        """The printed example commands that start with ``starting`` (e.g. ``curl``)."""
        commands = [line.strip() for line in self.printed]
        return [command.split("    #")[0] for command in commands if command.startswith(starting)]


@pytest.fixture
def run_local() -> Iterator[Any]:
    """Start `python -m local ARGS...`; the process is interrupted and reaped after the test."""
    started: list[RunningCommand] = []

    def start(*arguments: str) -> RunningCommand:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", *arguments],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        command = RunningCommand(process)

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                command.lines.put(line)
            command.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        started.append(command)
        return command

    yield start
    for command in started:
        if command.process.poll() is None:
            command.process.kill()
        command.process.wait(timeout=STOP_LIMIT_SECONDS)


def _shell(command: str) -> subprocess.CompletedProcess[str]:
    """Run a printed example exactly as pasted into a plain shell at the repo root (venv not on PATH)."""
    venv_scripts = str(Path(sys.executable).parent)
    plain_path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_scripts)
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": plain_path},
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


def _interrupt(command: RunningCommand) -> int:
    command.process.send_signal(signal.SIGINT)
    return command.process.wait(timeout=STOP_LIMIT_SECONDS)


@pytest.mark.slow  # a real `cdk synth` through the pinned CLI
def test_make_local_synthesizes_serves_prints_working_examples_and_stops_on_ctrl_c(run_local: Any) -> None:
    # given: Command 1 with the real CDK CLI synth (app.py's cdk-nag packs enforced, and --synth so that
    # a template cached by an earlier start is not reused), on a free port
    command = run_local("--port", "0", "--synth")

    # when: it is ready
    printed = "".join(command.read_until("Press Ctrl-C"))

    # then: it synthesized, serves both routes on 127.0.0.1 and shows the emulated data
    assert "Synthesizing with the pinned CDK CLI" in printed
    assert "Serving http://127.0.0.1:" in printed
    assert "GET /images/custom (AWS_IAM), GET /v3/images/custom (AWS_IAM)" in printed
    # and: the printed signed curl examples work as pasted
    curls = command.examples("curl -s --aws-sigv4")
    assert len(curls) == 2
    for curl in curls:
        answer = json.loads(_shell(curl).stdout)
        assert answer["images"], curl
    # and: the printed unsigned curl is refused, as it says
    (unsigned,) = command.examples("curl -s -i ")
    assert "403" in _shell(unsigned).stdout.splitlines()[0]
    # and: the printed list-images CLI example walks every PENDING image of the home Region
    (pending_cli,) = [line for line in command.examples("AWS_ACCESS_KEY_ID=") if "PENDING --all" in line]
    listed = json.loads(_shell(pending_cli).stdout)["images"]
    assert len(listed) == DEFAULT_COUNTS["us-east-1"].pending
    # and: the printed Python example works as pasted (the shell's own AWS credentials play no part)
    (python_example,) = [line.strip() for line in command.printed if "ListImagesClient.local(" in line]
    ran = _shell(python_example)
    assert ran.returncode == 0, ran.stderr
    assert "'imageBuildStatus': 'BUILD_COMPLETE'" in ran.stdout

    # when: Ctrl-C
    exit_status = _interrupt(command)

    # then: it stops cleanly
    assert exit_status == 0
    command.read_until("Stopped.")

    # when: started again with nothing changed
    again = run_local("--port", "0")
    printed_again = "".join(again.read_until("Press Ctrl-C"))

    # then: it reuses the template it synthesized, and serves
    assert "reusing cdk.out/local-synth/ListImagesStack-us-east-1.json" in printed_again
    assert "Synthesizing" not in printed_again
    assert "Serving http://127.0.0.1:" in printed_again
    assert _interrupt(again) == 0


def test_a_given_template_without_signature_checks_and_with_an_injected_fault(
    run_local: Any, default_template: dict[str, Any], tmp_path: Path
) -> None:
    # given: --template (no synth), --no-verify-sigv4, and a throttled Region
    template = tmp_path / "ListImagesStack.template.json"
    template.write_text(json.dumps(default_template))
    command = run_local(
        "--template",
        str(template),
        "--port",
        "0",
        "--no-verify-sigv4",
        "--fault",
        "ap-south-2=throttle",
        "--page-size",
        "4",
    )

    # when: it is ready
    printed = "".join(command.read_until("Press Ctrl-C"))

    # then: its examples are unsigned and work; the page size is the one asked for
    assert "Auth:      OFF" in printed
    first, second, faulted = command.examples("curl -s ")
    assert "--aws-sigv4" not in first
    assert len(json.loads(_shell(first).stdout)["images"]) == 4
    assert json.loads(_shell(second).stdout)["images"]
    # and: the faulted Region's example shows the API's 429
    assert "429" in _shell(faulted).stdout.splitlines()[0]
    assert _interrupt(command) == 0


def _python_m_local(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m local`` to its end: for arguments it must refuse without serving."""
    return subprocess.run(
        [sys.executable, "-m", "local", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=STARTUP_LIMIT_SECONDS,
        check=False,
    )


@contextlib.contextmanager
def _a_busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something is listening on, for the duration of the block."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_busy_port_is_a_clear_error(
    run_local: Any, default_template: dict[str, Any], tmp_path: Path
) -> None:
    # given: a port already in use on 127.0.0.1
    template = tmp_path / "template.json"
    template.write_text(json.dumps(default_template))
    with _a_busy_port() as port:
        # when: the command is asked to serve on it
        completed = _python_m_local("--template", str(template), "--port", str(port))

    # then: exit status 1 and one line naming the port, with the way out; no traceback
    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        f"python -m local: cannot serve on 127.0.0.1:{port}: the port is in use "
        "(stop what uses it, or pass --port 0 for any free port)"
    ]


def test_a_busy_port_is_reported_before_the_synth() -> None:
    # given: a port already in use on 127.0.0.1, and no --template (so the command would run `cdk synth`)
    with _a_busy_port() as port:
        # when: the command is asked to serve on it
        completed = _python_m_local("--port", str(port))

    # then: it failed before synthesizing anything (the synth announces itself first), in one line
    assert completed.returncode == 1
    assert "Synthesizing" not in completed.stdout
    assert completed.stdout == ""
    assert len(completed.stderr.splitlines()) == 1
    assert f"127.0.0.1:{port}: the port is in use" in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--fault", "ap-south-2=meltdown"], "throttle"),
        (["--page-size", "0"], "--page-size"),
        (["--port", "99999"], "--port: 99999 is not a port number: use 0 to 65535"),
        (["--port", "-1"], "--port: -1 is not a port number: use 0 to 65535"),
        (["--port", "http"], "--port: 'http' is not a port number"),
    ],
    ids=["unknown-fault-kind", "page-size-out-of-range", "port-too-big", "port-negative", "port-not-number"],
)
def test_bad_arguments_are_a_usage_error(arguments: list[str], named: str) -> None:
    # given/when: an argument the command cannot honour
    completed = _python_m_local(*arguments)

    # then: argparse's usage error (exit 2) that says what is valid, before anything starts
    assert completed.returncode == 2
    assert named in completed.stderr
    assert "Traceback" not in completed.stderr


def test_real_aws_mode_uses_no_emulator_and_the_ambient_credentials(
    default_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the endpoint in --real-aws mode; the ambient credentials are the test suite's fake key pair
    # with a session token, as temporary credentials have (botocore reads either variable)
    from local import LocalCredentials, LocalEndpoint  # noqa: PLC0415
    from local.sigv4 import sign  # noqa: PLC0415
    from tests.e2e.support import http_get, signed_get  # noqa: PLC0415

    monkeypatch.setenv("AWS_SESSION_TOKEN", "ambient-session-token")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "ambient-session-token")
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    with LocalEndpoint(default_template, real_aws=True) as endpoint:
        # then: no emulator, no endpoint override, signatures checked against the ambient key pair
        assert endpoint.emulated_aws is None
        assert endpoint.catalog is None
        assert "AWS_ENDPOINT_URL" not in os.environ
        assert endpoint.credentials.access_key == os.environ["AWS_ACCESS_KEY_ID"]
        # and the ambient session token is the one a request must carry
        assert endpoint.credentials.session_token == "ambient-session-token"
        # when: requests that end before any AWS call (unsigned; signed but invalid input)
        unsigned = http_get(endpoint.url("/images/custom", imageStatus="AVAILABLE"))
        invalid = signed_get(endpoint, "/images/custom", imageStatus="NOT-A-STATUS")
        # and: the same request signed with the ambient key pair but another session token, or none
        url = endpoint.url("/images/custom", imageStatus="NOT-A-STATUS")
        wrong_token = http_get(
            url, headers=sign("GET", url, endpoint.credentials, endpoint.region, session_token="other")
        )
        keys_only = LocalCredentials(endpoint.credentials.access_key, endpoint.credentials.secret_key)
        no_token = http_get(url, headers=sign("GET", url, keys_only, endpoint.region))
        # then: the gateway refuses the first, the real function answers the second
        assert unsigned.status == 403
        assert invalid.status == 400
        # and: a token that is not the ambient one, or none, is refused as API Gateway does
        for refused in (wrong_token, no_token):
            assert refused.status == 403
            assert refused.header("x-amzn-ErrorType") == "AccessDeniedException"
    # and: the environment is restored afterwards
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before
