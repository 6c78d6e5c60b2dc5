"""One moto server and one bootstrapped environment for the whole session; the CLI's timings at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from local import EmulatedAws
from tests.deploy.cdk_cli import CdkCli, CdkRun
from tests.deploy.moto_readback import MotoReader

REGION = "us-east-1"
# (what was deployed, the CLI run), printed after the run: the figures behind "a few minutes".
_CLI_RUNS = pytest.StashKey[list[tuple[str, CdkRun]]]()

RecordRun = Callable[[str, CdkRun], None]


@pytest.fixture(scope="session")
def emulated_aws() -> Iterator[EmulatedAws]:
    """moto's server on a free 127.0.0.1 port, empty when it starts."""
    aws = EmulatedAws().start()
    yield aws
    aws.stop()


@pytest.fixture(scope="session")
def moto(emulated_aws: EmulatedAws) -> MotoReader:
    """Read-backs from the moto server."""
    return MotoReader(emulated_aws.endpoint_url, REGION)


@pytest.fixture(scope="session")
def record_cli_run(request: pytest.FixtureRequest) -> RecordRun:
    """Keep a CLI run's duration for the summary printed at the end of the session."""
    runs = request.config.stash.setdefault(_CLI_RUNS, [])
    return lambda subject, run: runs.append((subject, run))


@pytest.fixture(scope="session")
def cdk_cli(
    emulated_aws: EmulatedAws,
    moto: MotoReader,
    tmp_path_factory: pytest.TempPathFactory,
    record_cli_run: RecordRun,
) -> CdkCli:
    """The pinned CLI on moto, after `cdk bootstrap` of moto's account in :data:`REGION`."""
    cli = CdkCli(emulated_aws.endpoint_url, home=tmp_path_factory.mktemp("cdk-home"), region=REGION)
    record_cli_run("environment", cli.bootstrap(moto.account_id(), cwd=tmp_path_factory.mktemp("no-app")))
    return cli


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print how long each CLI command took (figures only: no test asserts on them)."""
    runs = config.stash.get(_CLI_RUNS, [])
    if runs:
        terminalreporter.section("cdk on moto: CLI timings")
        for subject, run in runs:
            terminalreporter.write_line(f"{run.seconds:6.1f} s  cdk {run.arguments[0]:<9} {subject}")
