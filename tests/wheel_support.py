"""Build this project's wheel from a copy of the working tree, and run commands for the install tests.

Used by tests/infra/test_embedding.py and tests/infra/test_install.py (one wheel per test session, through
the ``built_wheel`` fixture of tests/infra/conftest.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# What the wheel build reads is copied; VCS data, environments, caches and build output are not (setuptools
# writes build/ and *.egg-info next to the sources, which must not happen in the working tree).
_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "cdk.out", "build", "dist", "*.egg-info", "__pycache__", ".*cache*"
)
_SUBPROCESS_TIMEOUT_SECONDS = 900


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with its output captured; the caller asserts on the outcome and shows the output."""
    return subprocess.run(
        command, capture_output=True, text=True, timeout=_SUBPROCESS_TIMEOUT_SECONDS, check=False, **options
    )


def build_wheel(source: Path, workdir: Path) -> Path:
    """Build the project's wheel from a copy of ``source`` (no isolated build: no downloads); return it."""
    tree = workdir / "source"
    shutil.copytree(source, tree, ignore=_NOT_COPIED)
    built = run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(workdir / "dist"),
            str(tree),
        ]
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (workdir / "dist").glob("*.whl")
    return wheel
