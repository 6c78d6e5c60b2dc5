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


def synthesize_template(project_dir: Path = PROJECT_DIR, stack_name: str = STACK_NAME) -> dict[str, Any]:
    """Run ``cdk synth`` with the pinned CLI into a temporary directory and return the stack's template.

    Parameters
    ----------
    project_dir:
        The directory holding cdk.json, app.py and node_modules/.bin/cdk.
    stack_name:
        The stack whose ``<stack_name>.template.json`` is read.

    Raises
    ------
    SynthError
        When the CLI is missing or synth fails (including unacknowledged cdk-nag findings).
    """
    cdk = project_dir / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        raise SynthError(f"{cdk} not found: run `make setup` (npm ci) first")
    environment = {**os.environ, **_CDK_ENVIRONMENT}
    # cdk.json runs `python3 app.py`: make that the interpreter running us (the project's venv).
    environment["PATH"] = str(Path(sys.executable).parent) + os.pathsep + environment.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="list-images-synth-") as output:
        completed = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [str(cdk), "synth", "--no-notices", "--quiet", "--output", output],
            cwd=project_dir,
            env=environment,
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
