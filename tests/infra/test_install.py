"""The wheel installs as users install it, in fresh virtual environments from the package registry.

- ``[cdk]`` with aws-cdk-lib at the floor the package declares, and with the newest release its range
  admits: examples/embed (its own CDK app: the construct twice, a KMS key, a certificate and a hosted zone
  of its stack, cdk-nag's AwsSolutions registered) synthesizes through the pinned CDK CLI.
- no extra: botocore only, no aws_cdk, and the ``list-images`` CLI works.

Each environment installs with ``--no-compile`` and pip's own cache (a warm cache downloads nothing); the
wheel is built once per session without an isolated build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.wheel_support import REPO_ROOT, run

pytestmark = pytest.mark.slow

EXAMPLE_DIR = REPO_ROOT / "examples" / "embed"
CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"
HANDLER = "listimages.handler.handle"


def declared_requirement(name: str, extra: str = "cdk") -> str:
    """The requirement on ``name`` in the package's ``extra``, as pyproject.toml declares it."""
    metadata = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    requirements: list[str] = metadata["project"]["optional-dependencies"][extra]
    (requirement,) = [line for line in requirements if re.match(rf"{name}\b", line)]
    return requirement


def declared_floor() -> str:
    """FLOOR of ``aws-cdk-lib>=FLOOR,<3`` in the [cdk] extra."""
    match = re.fullmatch(r"aws-cdk-lib>=([\d.]+),<3", declared_requirement("aws-cdk-lib"))
    assert match is not None, declared_requirement("aws-cdk-lib")
    return match.group(1)


def example_nag_requirement() -> str:
    """The cdk-nag requirement of examples/embed/requirements.txt."""
    lines = (EXAMPLE_DIR / "requirements.txt").read_text().splitlines()
    (requirement,) = [line for line in lines if line.startswith("cdk-nag")]
    return requirement


def fresh_environment(path: Path, *requirements: str) -> Path:
    """A new venv with ``requirements`` installed through this interpreter's pip; its python."""
    venv.EnvBuilder(with_pip=False).create(path)
    python = path / "bin" / "python"
    installed = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-compile", *requirements]
    )
    assert installed.returncode == 0, installed.stdout[-4000:] + installed.stderr[-4000:]
    return python


def installed_version(python: Path, distribution: str) -> str | None:
    probe = run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, sys\n"
            "try: print(m.version(sys.argv[1]))\n"
            "except m.PackageNotFoundError: print('')",
            distribution,
        ]
    )
    assert probe.returncode == 0, probe.stderr
    return probe.stdout.strip() or None


@dataclass(frozen=True)
class ExampleSynth:
    """examples/embed synthesized by the pinned CLI with one environment's python."""

    aws_cdk_lib_version: str | None
    process: Any
    outdir: Path

    def template(self) -> dict[str, Any]:
        template: dict[str, Any] = json.loads((self.outdir / "ImagePlatform.template.json").read_text())
        return template


def synthesize_example(python: Path, workdir: Path) -> ExampleSynth:
    """Copy examples/embed out of the repository and run ``cdk synth`` there with ``python`` as the app's."""
    app_dir = workdir / "embed"
    shutil.copytree(EXAMPLE_DIR, app_dir)
    outdir = workdir / "cdk.out"
    environment = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",  # cdk.json runs `python3 app.py`
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "PYTHONNOUSERSITE": "1",
    }
    environment.pop("PYTHONPATH", None)
    process = run(
        [str(CDK_CLI), "synth", "--no-notices", "--quiet", "--output", str(outdir)],
        cwd=app_dir,
        env=environment,
    )
    return ExampleSynth(installed_version(python, "aws-cdk-lib"), process, outdir)


@pytest.fixture(scope="module")
def floor_synth(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path) -> ExampleSynth:
    """[cdk] with aws-cdk-lib pinned to the declared floor."""
    workdir = tmp_path_factory.mktemp("floor")
    python = fresh_environment(
        workdir / "venv", f"{built_wheel}[cdk]", f"aws-cdk-lib=={declared_floor()}", example_nag_requirement()
    )
    return synthesize_example(python, workdir)


@pytest.fixture(scope="module")
def newest_synth(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path) -> ExampleSynth:
    """[cdk] as a new app gets it: the newest aws-cdk-lib the range admits."""
    workdir = tmp_path_factory.mktemp("newest")
    python = fresh_environment(workdir / "venv", f"{built_wheel}[cdk]", example_nag_requirement())
    return synthesize_example(python, workdir)


def newest_admitted_release() -> str:
    """The newest aws-cdk-lib 2 release the registry lists (what pip should have picked)."""
    listed = run([sys.executable, "-m", "pip", "index", "versions", "aws-cdk-lib"])
    assert listed.returncode == 0, listed.stderr
    versions = re.search(r"Available versions: (.*)", listed.stdout)
    assert versions is not None, listed.stdout
    return next(v for v in versions.group(1).split(", ") if v.startswith("2.") and "rc" not in v)


def assert_example_synthesized(synth: ExampleSynth) -> None:
    assert synth.process.returncode == 0, synth.process.stdout[-4000:] + synth.process.stderr[-4000:]
    template = synth.template()
    functions = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == HANDLER
    ]
    assert len(functions) == 2
    # the KMS key of the example's stack got the CloudWatch Logs statement from the construct
    (key,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any("kms:EncryptionContext:aws:logs:arn" in json.dumps(s.get("Condition", {})) for s in statements)
    # and each instance has its own outputs, named after its construct id
    assert {"ImagesApiUrl", "SecureImagesApiUrl"} <= set(template["Outputs"])


def test_the_example_synthesizes_under_cdk_nag_at_the_declared_floor(floor_synth: ExampleSynth) -> None:
    # given a fresh environment with the wheel's [cdk] extra and aws-cdk-lib at the declared floor
    assert floor_synth.aws_cdk_lib_version == declared_floor()
    # when examples/embed is synthesized (fixture); then it succeeds with nothing for cdk-nag to report
    assert_example_synthesized(floor_synth)


def test_the_example_synthesizes_under_cdk_nag_at_the_newest_release(newest_synth: ExampleSynth) -> None:
    # given a fresh environment with the wheel's [cdk] extra and nothing pinned: the newest aws-cdk-lib
    assert newest_synth.aws_cdk_lib_version == newest_admitted_release()
    # when examples/embed is synthesized (fixture); then it succeeds with nothing for cdk-nag to report
    assert_example_synthesized(newest_synth)


def test_a_plain_install_has_no_cdk_and_its_cli_works(
    tmp_path_factory: pytest.TempPathFactory, built_wheel: Path
) -> None:
    # given the wheel installed without extras into a fresh environment
    workdir = tmp_path_factory.mktemp("plain")
    python = fresh_environment(workdir / "venv", str(built_wheel))
    # then nothing of the CDK was installed, botocore was
    for distribution in ("aws-cdk-lib", "constructs", "cdk-nag", "jsii"):
        assert installed_version(python, distribution) is None, distribution
    assert installed_version(python, "botocore") is not None
    # and the list-images command answers --help
    cli = run([str(python.parent / "list-images"), "--help"])
    assert cli.returncode == 0, cli.stderr
    assert "usage: list-images" in cli.stdout
    # and the package imports, pointing at the [cdk] extra for the construct
    construct = run([str(python), "-c", "from pcluster_list_images_cdk import ListImagesApi"])
    assert construct.returncode == 1
    assert "install this package with its [cdk] extra" in construct.stderr


def test_the_example_installs_this_package_with_its_cdk_extra_from_the_repository() -> None:
    # given the example's requirements; then they name this repository (two levels up) with [cdk]
    lines = [
        line
        for line in (EXAMPLE_DIR / "requirements.txt").read_text().splitlines()
        if line[:1].isalnum() or line.startswith(".")
    ]
    assert "../..[cdk]" in lines
    assert (EXAMPLE_DIR / "../..").resolve() == REPO_ROOT
