"""The wheel's construct embeds in someone else's app: two instances in one stack, asset from the package.

Given the wheel built from this repository and installed (``--no-deps``) into a fresh virtual environment,
when a separate app (embedding_app/app.py: two ``ListImagesApi`` with the same options in one larger
stack, cdk-nag's AwsSolutions, Serverless and NIST 800-53 R5 packs enforced) is synthesized with that
environment's python, from a directory outside the repository, then the synth succeeds (so the construct's
nag acknowledgments travel with it), the two instances share no logical id or physical name, the construct
came from the installed package, and the Lambda asset was staged from the installed package's ``runtime``
directory.

The fresh environment sees the main environment's dependencies (aws-cdk-lib, ...) through a ``.pth`` file
that adds the main site-packages to ``sys.path``, so nothing is downloaded twice. ``.pth`` files inside a
directory added that way are not processed, so the main environment's editable install of this project
(an import hook installed by a ``.pth`` file) stays inactive; the probe's report proves it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.wheel_support import REPO_ROOT, run

pytestmark = pytest.mark.slow

EMBEDDING_APP_DIR = Path(__file__).resolve().parent / "embedding_app"
PACKAGE = "pcluster_list_images_cdk"
HANDLER = "listimages.handler.handle"
# The trimmed botocore models in the repository's runtime, relative to the asset root.
TRIMMED_MODELS = {
    path.relative_to(REPO_ROOT / "runtime").as_posix()
    for path in (REPO_ROOT / "runtime" / "listimages" / "botocore_data").rglob("service-2.json")
}
# Names scoped to their parent resource, not to the account and Region: equal values do not collide.
PARENT_SCOPED_NAMES = frozenset(
    {
        ("AWS::ApiGateway::Stage", "StageName"),
        ("AWS::ApiGateway::Deployment", "StageName"),
        ("AWS::IAM::Policy", "PolicyName"),
    }
)
# Properties ending in "Name" that name no resource: the metric an alarm reads, the sender name of a topic.
NOT_RESOURCE_NAMES = frozenset({("AWS::CloudWatch::Alarm", "MetricName"), ("AWS::SNS::Topic", "DisplayName")})


def create_environment_with_wheel(path: Path, wheel: Path) -> tuple[Path, Path]:
    """A fresh venv seeing the main venv's dependencies, with ``wheel`` installed; (python, site-packages)."""
    venv.EnvBuilder(with_pip=False).create(path)
    python = path / "bin" / "python"
    site_packages = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    )
    main_site_packages = sysconfig.get_path("purelib")
    (site_packages / "main_environment_dependencies.pth").write_text(f"{main_site_packages}\n")
    installed = run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ]
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python, site_packages


@dataclass(frozen=True)
class EmbeddingRun:
    """The synthesis of the embedding app in the fresh environment, and where to find its results."""

    process: subprocess.CompletedProcess[str]
    site_packages: Path
    outdir: Path
    report_file: Path

    def report(self) -> dict[str, Any]:
        """The probe's report: loaded modules, finders, sys.path, asset stagings."""
        report: dict[str, Any] = json.loads(self.report_file.read_text())
        return report

    def template(self) -> dict[str, Any]:
        """The one stack template of the cloud assembly."""
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        (template_file,) = [
            artifact["properties"]["templateFile"]
            for artifact in manifest["artifacts"].values()
            if artifact["type"] == "aws:cloudformation:stack"
        ]
        template: dict[str, Any] = json.loads((self.outdir / template_file).read_text())
        return template

    def staged_asset_dirs(self) -> dict[str, Path]:
        """Object key (``<hash>.zip``) -> staged asset directory, from the asset manifests."""
        staged = {}
        for assets_file in self.outdir.glob("*.assets.json"):
            for asset in json.loads(assets_file.read_text())["files"].values():
                if asset["source"].get("packaging") == "zip":
                    for destination in asset["destinations"].values():
                        staged[destination["objectKey"]] = self.outdir / asset["source"]["path"]
        return staged


@pytest.fixture(scope="module")
def embedding_run(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path) -> EmbeddingRun:
    """Install the wheel and synthesize the embedding app once for this module."""
    workdir = tmp_path_factory.mktemp("embedding")
    wheel = built_wheel
    python, site_packages = create_environment_with_wheel(workdir / "venv", wheel)
    app_dir = workdir / "user-app"  # outside the repository: its infra/ and runtime/ are not importable
    app_dir.mkdir()
    for name in ("app.py", "probe.py"):
        shutil.copy(EMBEDDING_APP_DIR / name, app_dir / name)
    outdir, report_file = workdir / "cdk.out", workdir / "report.json"
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),  # what the CDK CLI passes to the app
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "PYTHONNOUSERSITE": "1",
    }
    environment.pop("PYTHONPATH", None)
    process = run([str(python), "probe.py", "app.py", str(report_file)], cwd=app_dir, env=environment)
    return EmbeddingRun(process, site_packages, outdir, report_file)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def is_reference(value: Any) -> bool:
    """A Ref / Fn::GetAtt names another resource; it is not a physical name of its own."""
    return isinstance(value, dict) and set(value) <= {"Ref", "Fn::GetAtt"}


def physical_names(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(resource type, property, value as JSON) of every explicit account/Region-wide name in ``template``."""
    names = [
        (resource["Type"], key, json.dumps(value, sort_keys=True))
        for resource in template["Resources"].values()
        for key, value in resource.get("Properties", {}).items()
        if key.endswith("Name")
        and (resource["Type"], key) not in PARENT_SCOPED_NAMES | NOT_RESOURCE_NAMES
        and not is_reference(value)
    ]
    names += [
        ("Output", "Export.Name", json.dumps(output["Export"]["Name"], sort_keys=True))
        for output in template.get("Outputs", {}).values()
        if "Export" in output
    ]
    return names


def test_app_with_two_instances_synthesizes_with_nag_packs_enforced(embedding_run: EmbeddingRun) -> None:
    # given the wheel installed in a fresh environment; when the embedding app is synthesized (fixture)
    # then the synth succeeds: no unacknowledged nag finding on the construct's resources either
    assert embedding_run.process.returncode == 0, embedding_run.process.stderr[-4000:]


def test_each_instance_has_its_own_function_role_and_api(embedding_run: EmbeddingRun) -> None:
    # given the embedding app's template
    template = embedding_run.template()
    # when its functions and REST APIs are looked up
    functions = {
        logical_id: resource
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == HANDLER
    }
    apis = resources_of_type(template, "AWS::ApiGateway::RestApi")
    # then there are two of each under distinct logical ids, and the functions do not share a role
    assert len(functions) == 2
    assert len(apis) == 2
    assert len({json.dumps(function["Properties"]["Role"]) for function in functions.values()}) == 2


def test_each_instance_has_its_own_alarms_topic_and_dashboard(embedding_run: EmbeddingRun) -> None:
    # given the embedding app's template (each instance called add_alarms() and add_dashboard())
    template = embedding_run.template()
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    topics = resources_of_type(template, "AWS::SNS::Topic")
    namespaces = {
        alarm["Properties"]["Namespace"]
        for alarm in alarms.values()
        if alarm["Properties"]["MetricName"] == "AwsThrottledRequests"
    }
    # then each instance has its five alarms on its own topic, its dashboard and its own log metrics
    assert len(alarms) == 10
    assert len(topics) == 2
    assert {json.dumps(a["Properties"]["AlarmActions"]) for a in alarms.values()} == {
        json.dumps([{"Ref": topic_id}]) for topic_id in topics
    }
    assert len(resources_of_type(template, "AWS::CloudWatch::Dashboard")) == 2
    assert len(namespaces) == 2


def test_no_physical_name_is_used_twice(embedding_run: EmbeddingRun) -> None:
    # given the embedding app's template; when its explicit physical names are collected
    names = physical_names(embedding_run.template())
    # then each is used once: the two instances can be deployed side by side in one account and Region
    assert len(names) == len(set(names)), sorted(names)


def test_construct_is_imported_from_the_installed_wheel_only(embedding_run: EmbeddingRun) -> None:
    # given what the app's process had imported when it finished synthesizing
    report = embedding_run.report()
    # then every module of the package came from the fresh environment's site-packages
    package_dir = embedding_run.site_packages / PACKAGE
    assert report["modules"], "the app imported nothing from the package"
    assert {name.split(".")[0] for name in report["modules"]} == {PACKAGE}
    assert all(Path(file).is_relative_to(package_dir) for file in report["modules"].values()), report[
        "modules"
    ]
    # and the main environment's editable install (an import hook) was not active
    assert not [finder for finder in report["meta_path"] if "editable" in finder.lower()]
    # and neither the repository nor its source directories were on sys.path
    repo_paths = {str(REPO_ROOT), *(str(REPO_ROOT / name) for name in ("infra", "runtime", "client"))}
    assert not repo_paths & set(report["sys_path"])


def test_lambda_asset_is_staged_from_the_installed_package(embedding_run: EmbeddingRun) -> None:
    # given the asset stagings seen by the app, the asset manifest and the template's function code
    report, template = embedding_run.report(), embedding_run.template()
    installed_runtime = embedding_run.site_packages / PACKAGE / "runtime"
    staged_dirs = embedding_run.staged_asset_dirs()
    code_keys = [
        function["Properties"]["Code"]["S3Key"]
        for function in resources_of_type(template, "AWS::Lambda::Function").values()
        if function["Properties"]["Handler"] == HANDLER
    ]
    # then both functions' assets were staged from the installed package's runtime directory
    sources = {staging["source_path"] for staging in report["asset_stagings"]}
    assert sources == {str(installed_runtime)}
    assert len(report["asset_stagings"]) == 2
    # and the staged asset each function deploys holds the handler and no compiled caches, although pip
    # compiled the installed package (so the exclusion really had something to exclude)
    assert any(installed_runtime.rglob("*.pyc"))
    for code_key in code_keys:
        staged = staged_dirs[code_key]
        assert (staged / "listimages" / "handler.py").is_file()
        # with the trimmed botocore models the runtime loads (package data of the wheel)
        shipped_models = {path.relative_to(staged).as_posix() for path in staged.rglob("service-2.json")}
        assert shipped_models == TRIMMED_MODELS, code_key
        assert not any(staged.rglob("*.pyc")), code_key
        assert not any(staged.rglob("__pycache__")), code_key


def python_modules(root: Path) -> set[str]:
    """Paths (relative to ``root``) of the Python modules under ``root``, caches and tests left out."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if "__pycache__" not in path.parts and "tests" not in path.parts
    }


def test_wheel_ships_every_module_of_the_repository_packages(embedding_run: EmbeddingRun) -> None:
    # given the modules of the repository's package directories, placed where pyproject maps them
    expected = python_modules(REPO_ROOT / "infra")
    for subpackage in ("runtime", "client"):
        expected |= {f"{subpackage}/{module}" for module in python_modules(REPO_ROOT / subpackage)}
    # when the installed package is listed
    installed = python_modules(embedding_run.site_packages / PACKAGE)
    # then the wheel left none out and added none (a new subpackage missing from pyproject's explicit
    # package list would be missing here)
    assert installed == expected


def test_physical_name_check_sees_a_shared_name_and_ignores_references_and_stage_names() -> None:
    # given two functions with the same explicit name, stages named alike, and a permission referencing one
    template = {
        "Resources": {
            "A": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "list-images"}},
            "B": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "list-images"}},
            "S1": {"Type": "AWS::ApiGateway::Stage", "Properties": {"StageName": "prod"}},
            "S2": {"Type": "AWS::ApiGateway::Stage", "Properties": {"StageName": "prod"}},
            "P": {"Type": "AWS::Lambda::Permission", "Properties": {"FunctionName": {"Ref": "A"}}},
        }
    }
    # when the physical names are collected
    names = physical_names(template)
    # then only the two function names count, and they collide
    assert names == [("AWS::Lambda::Function", "FunctionName", '"list-images"')] * 2
