"""Synthesize the stack with the project's pinned CDK CLI, exactly as `cdk deploy` would.

app.py registers the cdk-nag packs, so a successful synth here also proves the stack is nag-clean.
`local_template` keeps the last synthesized template and reuses it while nothing that goes into the
template has changed, so that `make local` starts in seconds the second time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK_NAME = "ListImagesStack"
# Inside cdk.out: `make clean` removes it, git ignores it.
CACHE_DIR = Path("cdk.out") / "local-synth"
# What the template is made from, besides the Region and stack name (paths relative to the project).
_TEMPLATE_SOURCE_DIRS = ("infra", "runtime")
_TEMPLATE_SOURCE_FILES = ("app.py", "cdk.json", "cdk.context.json")
_TEMPLATE_DISTRIBUTIONS = ("aws-cdk-lib", "constructs", "cdk-nag", "jsii")
_CDK_CLI_PACKAGE = Path("node_modules") / "aws-cdk" / "package.json"
# Bump when the way this module runs the synth changes what it produces.
_CACHE_FORMAT = "1"
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


def template_inputs_key(
    project_dir: Path = PROJECT_DIR,
    stack_name: str = STACK_NAME,
    *,
    region: str,
    user_settings: Path | None = None,
) -> str:
    """Return a digest of everything the synthesized template depends on.

    That is: the files of infra/ and runtime/ (not bytecode caches), app.py, cdk.json, cdk.context.json,
    the user's ~/.cdk.json (the CLI reads its context too), the installed aws-cdk-lib, constructs, cdk-nag
    and jsii versions, the pinned CDK CLI's version, the stack name and the Region.

    Parameters
    ----------
    user_settings:
        The CDK CLI's per-user settings file; by default ``~/.cdk.json``.
    """
    digest = hashlib.sha256()

    def add(label: str, content: bytes) -> None:
        # Length-prefixed, so that no two different sets of inputs can run together into the same bytes.
        for part in (label.encode(), content):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)

    add("format", _CACHE_FORMAT.encode())
    add("stack", stack_name.encode())
    add("region", region.encode())
    for directory in _TEMPLATE_SOURCE_DIRS:
        for path in sorted((project_dir / directory).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                add(f"file:{path.relative_to(project_dir).as_posix()}", path.read_bytes())
    for name in _TEMPLATE_SOURCE_FILES:
        path = project_dir / name
        add(f"file:{name}", path.read_bytes() if path.is_file() else b"<absent>")
    settings = user_settings if user_settings is not None else Path.home() / ".cdk.json"
    add("user-settings", settings.read_bytes() if settings.is_file() else b"<absent>")
    for distribution in _TEMPLATE_DISTRIBUTIONS:
        add(f"version:{distribution}", _distribution_version(distribution).encode())
    cli_package = project_dir / _CDK_CLI_PACKAGE
    add("version:aws-cdk-cli", cli_package.read_bytes() if cli_package.is_file() else b"<absent>")
    return digest.hexdigest()


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "<absent>"


def local_template(
    project_dir: Path = PROJECT_DIR,
    stack_name: str = STACK_NAME,
    *,
    region: str,
    force: bool = False,
    report: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Return the stack's template for ``region``: the cached one while its inputs are unchanged,
    otherwise a fresh ``synthesize_template`` (then cached).

    Parameters
    ----------
    force:
        Synthesize even when the cached template is up to date.
    report:
        Receives one line saying which of the two happens, before it happens.

    Raises
    ------
    SynthError
        As ``synthesize_template``; nothing is cached then.
    """
    key = template_inputs_key(project_dir, stack_name, region=region)
    cache_file = project_dir / CACHE_DIR / f"{stack_name}-{region}.json"
    cached = None if force else _cached_template(cache_file, key)
    if cached is not None:
        report(
            f"Template inputs unchanged since the last synth: reusing {cache_file.relative_to(project_dir)} "
            "(pass --synth to synthesize again)."
        )
        return cached
    report("Synthesizing with the pinned CDK CLI (cdk-nag enforced; about 20 s)...")
    template = synthesize_template(project_dir, stack_name, region=region)
    with contextlib.suppress(OSError):  # only the next start's speed depends on it
        _store_template(cache_file, key, template)
    return template


def _cached_template(cache_file: Path, key: str) -> dict[str, Any] | None:
    """The template stored under ``key``, or None (no cache, other inputs, unreadable file)."""
    try:
        stored = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    template = stored.get("template")
    return template if isinstance(template, dict) else None


def _store_template(cache_file: Path, key: str, template: dict[str, Any]) -> None:
    """Write the cache atomically: a concurrent start reads the old file or the new one, never half."""
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps({"key": key, "template": template}))
    partial.replace(cache_file)
