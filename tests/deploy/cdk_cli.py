"""The pinned CDK CLI pointed at emulated AWS: the settings moto needs, and the four lifecycle commands.

Every setting here is one moto needs (see docs/deploy-on-moto.md):

- ``AWS_ENDPOINT_URL``: every SDK client of the CLI (STS, S3, CloudFormation, SSM) talks to moto.
- ``AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION`` with the host ``localhost``: the CLI hands CloudFormation a
  path-style template URL built from it, and moto's S3 reads the first label of a bare IP (``127``) as
  a virtual-hosted bucket name.
- ``HOME`` in a temporary directory: the CLI caches account lookups under ``~/.cdk``.
- ``deploy --method=direct``: moto executes a change set without honouring ``DependsOn`` (the Deployment
  is created before the Methods: "The REST API doesn't contain any methods"); direct create/update does.
- ``deploy --parameters BootstrapVersion=/cdk-bootstrap/hnb659fds/version``: on an update the CLI would
  otherwise keep the previous value, which moto answers with a response the CLI cannot deserialize.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.synth_support import REPO_ROOT

CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"
BOOTSTRAP_QUALIFIER = "hnb659fds"
_COMMAND_TIMEOUT_SECONDS = 900
_OUTPUT_TAIL_CHARACTERS = 6000


class CdkCommandError(AssertionError):
    """A CLI command exited non-zero; the message holds the command and the end of its output."""


@dataclass(frozen=True)
class CdkRun:
    """One finished CLI command: what ran, how long it took, what it printed."""

    arguments: tuple[str, ...]
    seconds: float
    output: str


@dataclass(frozen=True)
class CdkCli:
    """The repository's pinned CDK CLI, configured for the moto server at ``endpoint_url``.

    Parameters
    ----------
    endpoint_url:
        moto's ``http://127.0.0.1:<port>``.
    home:
        An empty directory that becomes ``HOME`` (and holds the absent AWS config files).
    region:
        The Region every command targets.
    """

    endpoint_url: str
    home: Path
    region: str

    def environment(self) -> dict[str, str]:
        """The CLI's environment: fake credentials, moto endpoints, no user AWS config, offline CLI."""
        port = urlsplit(self.endpoint_url).port
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_", "CDK_DEFAULT_", "CDK_DEPLOY_"))
        }
        environment.update(
            {
                # cdk.json runs `python3 app.py`: the repository's environment must come first.
                "PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                "HOME": str(self.home),
                "AWS_CONFIG_FILE": str(self.home / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "no-aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION": f"http://localhost:{port}",
                "CDK_DISABLE_CLI_TELEMETRY": "true",
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            }
        )
        return environment

    def run(self, arguments: Sequence[str], *, cwd: Path) -> CdkRun:
        """Run ``cdk <arguments> --no-notices`` in ``cwd``; raise :class:`CdkCommandError` on failure."""
        command = [str(CDK_CLI), *arguments, "--no-notices"]
        started = time.monotonic()
        result = subprocess.run(
            command,
            cwd=cwd,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=_COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        seconds = time.monotonic() - started
        output = f"{result.stdout}\n{result.stderr}"
        if result.returncode != 0:
            raise CdkCommandError(
                f"`cdk {' '.join(arguments)}` in {cwd} exited {result.returncode} after {seconds:.0f} s:\n"
                f"{output[-_OUTPUT_TAIL_CHARACTERS:]}"
            )
        return CdkRun(tuple(arguments), seconds, output)

    def bootstrap(self, account: str, *, cwd: Path) -> CdkRun:
        """``cdk bootstrap aws://<account>/<region>`` from a directory without an app: nothing synthesizes."""
        return self.run(["bootstrap", f"aws://{account}/{self.region}"], cwd=cwd)

    def deploy(
        self,
        app_dir: Path,
        *,
        output: Path,
        context: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> CdkRun:
        """Synthesize the app in ``app_dir`` (its cdk.json, plus ``-c`` for each ``context`` entry) into
        ``output`` and deploy all its stacks, with ``tags`` as stack tags."""
        options = [
            *(argument for key, value in (context or {}).items() for argument in ("-c", f"{key}={value}")),
            *(argument for key, value in (tags or {}).items() for argument in ("--tags", f"{key}={value}")),
        ]
        return self.run(
            [
                "deploy",
                "--all",
                "--require-approval",
                "never",
                "--method=direct",
                "--parameters",
                f"BootstrapVersion=/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version",
                "--output",
                str(output),
                *options,
            ],
            cwd=app_dir,
        )

    def destroy(self, assembly: Path) -> CdkRun:
        """Destroy every stack of an already synthesized cloud assembly (no second synth of the app)."""
        return self.run(["destroy", "--all", "--force", "--app", str(assembly)], cwd=assembly.parent)
