"""One moto server and one bootstrapped environment for the whole session; the CLI's timings at the end."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator

import pytest

from tests.deploy.cdk_cli import CdkCli, CdkRun
from tests.deploy.moto_readback import MotoReader

REGION = "us-east-1"
# (what was deployed, the CLI run), printed after the run: the figures behind "a few minutes".
_CLI_RUNS = pytest.StashKey[list[tuple[str, CdkRun]]]()

RecordRun = Callable[[str, CdkRun], None]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's own server on a free 127.0.0.1 port, empty when it starts: its ``http://127.0.0.1:<port>``.

    Plain moto, not local.EmulatedAws: the deploy proof is about what moto does, without the local
    endpoint's proxy in front of it.
    """
    # Imported here: moto is slow to import, and only these tests need its server.
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's backends are process-global: start from nothing, whatever ran before in this process.
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(reset, timeout=30) as response:
        response.read()
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def moto(moto_endpoint: str) -> MotoReader:
    """Read-backs from the moto server."""
    return MotoReader(moto_endpoint, REGION)


@pytest.fixture(scope="session")
def record_cli_run(request: pytest.FixtureRequest) -> RecordRun:
    """Keep a CLI run's duration for the summary printed at the end of the session."""
    runs = request.config.stash.setdefault(_CLI_RUNS, [])
    return lambda subject, run: runs.append((subject, run))


@pytest.fixture(scope="session")
def cdk_cli(
    moto_endpoint: str,
    moto: MotoReader,
    tmp_path_factory: pytest.TempPathFactory,
    record_cli_run: RecordRun,
) -> CdkCli:
    """The pinned CLI on moto, after `cdk bootstrap` of moto's account in :data:`REGION`."""
    cli = CdkCli(moto_endpoint, home=tmp_path_factory.mktemp("cdk-home"), region=REGION)
    record_cli_run("environment", cli.bootstrap(moto.account_id(), cwd=tmp_path_factory.mktemp("no-app")))
    return cli


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print how long each CLI command took (figures only: no test asserts on them)."""
    runs = config.stash.get(_CLI_RUNS, [])
    if runs:
        terminalreporter.section("cdk on moto: CLI timings")
        for subject, run in runs:
            terminalreporter.write_line(f"{run.seconds:6.1f} s  cdk {run.arguments[0]:<9} {subject}")
