"""Synthesize the stack with the project's pinned CDK CLI, exactly as `cdk deploy` would.

app.py registers the cdk-nag packs, so a successful synth here also proves the stack is nag-clean.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK_NAME = "ListImagesStack"
# Offline and quiet: no telemetry, no notices, no jsii Node-version banner.
_CDK_ENVIRONMENT = {
    "CDK_DISABLE_CLI_TELEMETRY": "true",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
}
_ERROR_TAIL_CHARS = 4000


class SynthError(RuntimeError):
    """`cdk synth` failed (its output is in the message)."""


def _offline_environment(region: str, scratch: Path) -> dict[str, str]:
    """The caller's environment without AWS credentials, profiles or endpoints: the CLI then resolves no
    account (no STS or instance-metadata call), and the template is the environment-agnostic one for
    ``region`` that a deploy there would produce."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "CDK_DEFAULT_"))
    }
    environment.update(_CDK_ENVIRONMENT)
    environment.update(
        {
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    # cdk.json runs `python3 app.py`: make that the interpreter running us (the project's venv).
    environment["PATH"] = str(Path(sys.executable).parent) + os.pathsep + environment.get("PATH", "")
    return environment


def synthesize_template(
    project_dir: Path = PROJECT_DIR, stack_name: str = STACK_NAME, *, region: str = "us-east-1"
) -> dict[str, Any]:
    """Run ``cdk synth`` with the pinned CLI into a temporary directory and return the stack's template.

    The synth is offline: no credentials reach the CLI, so it looks up no account.

    Parameters
    ----------
    project_dir:
        The directory holding cdk.json, app.py and node_modules/.bin/cdk.
    stack_name:
        The stack whose ``<stack_name>.template.json`` is read.
    region:
        The Region the stack is synthesized for (the local API's Region).

    Raises
    ------
    SynthError
        When the CLI is missing or synth fails (including unacknowledged cdk-nag findings).
    """
    cdk = project_dir / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        raise SynthError(f"{cdk} not found: run `make setup` (npm ci) first")
    with tempfile.TemporaryDirectory(prefix="list-images-synth-") as output:
        completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [str(cdk), "synth", "--no-notices", "--quiet", "--output", output],
            cwd=project_dir,
            env=_offline_environment(region, Path(output)),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise SynthError(
                f"cdk synth failed:\n{(completed.stdout + completed.stderr)[-_ERROR_TAIL_CHARS:]}"
            )
        template: dict[str, Any] = json.loads((Path(output) / f"{stack_name}.template.json").read_text())
        return template
