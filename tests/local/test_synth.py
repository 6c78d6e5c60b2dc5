"""`python -m local` synthesizes offline (no credential, profile or endpoint reaches the CDK CLI), and
reuses its last template while nothing that goes into the template has changed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local import synth
from local.synth import _offline_environment


def test_the_cli_environment_carries_no_aws_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # given a shell with credentials, a profile, an endpoint override and a pinned CDK account
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "111111111111")

    # when the synth environment is built for eu-west-1
    environment = _offline_environment("eu-west-1", tmp_path)

    # then nothing AWS is left but the Region and the switches that keep botocore from looking further
    assert {
        name: value for name, value in environment.items() if name.startswith(("AWS_", "CDK_DEFAULT_"))
    } == {
        "AWS_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    # and the CLI is quiet and offline
    assert environment["CDK_DISABLE_CLI_TELEMETRY"] == "true"


# --- the cached template of `make local` ---

REGION = "us-east-1"
TEMPLATE = {"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi"}}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with every kind of input the template is made from (the CDK CLI is never run)."""
    root = tmp_path / "project"
    for relative, text in {
        "infra/list_images_api.py": "STAGE = 'prod'\n",
        "runtime/listimages/handler.py": "def handler(event, context): ...\n",
        "app.py": "print('app')\n",
        "cdk.json": '{"app": "python3 app.py", "context": {"list-images:page-size": 50}}\n',
        "node_modules/aws-cdk/package.json": '{"name": "aws-cdk", "version": "2.1148.1"}\n',
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


@pytest.fixture
def no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A home directory of our own, so the developer's ~/.cdk.json plays no part; returns its path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home / ".cdk.json"


class CountingSynth:
    """Stands in for `synthesize_template`, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, str, str]] = []

    def __call__(self, project_dir: Path, stack_name: str, *, region: str) -> dict[str, Any]:
        self.calls.append((project_dir, stack_name, region))
        return copy.deepcopy(TEMPLATE)


@pytest.fixture
def counting_synth(monkeypatch: pytest.MonkeyPatch) -> CountingSynth:
    fake = CountingSynth()
    monkeypatch.setattr(synth, "synthesize_template", fake)
    return fake


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CHANGES: dict[str, Callable[[Path, pytest.MonkeyPatch], None]] = {
    "an infra file edited": lambda root, _: _write(root / "infra/list_images_api.py", "STAGE = 'v1'\n"),
    "an infra file added": lambda root, _: _write(root / "infra/monitoring.py", "\n"),
    "a runtime file edited": lambda root, _: _write(root / "runtime/listimages/handler.py", "x = 1\n"),
    "app.py edited": lambda root, _: _write(root / "app.py", "print('other app')\n"),
    "cdk.json context changed": lambda root, _: _write(root / "cdk.json", '{"context": {}}\n'),
    "cdk.context.json added": lambda root, _: _write(root / "cdk.context.json", "{}\n"),
    "~/.cdk.json added": lambda _, __: _write(Path.home() / ".cdk.json", '{"context": {"a": 1}}\n'),
    "CDK CLI upgraded": lambda root, _: _write(
        root / "node_modules/aws-cdk/package.json", '{"name": "aws-cdk", "version": "2.1150.0"}\n'
    ),
    "aws-cdk-lib upgraded": lambda _, monkeypatch: _pretend_installed(monkeypatch, "aws-cdk-lib", "9.9.9"),
    "constructs upgraded": lambda _, monkeypatch: _pretend_installed(monkeypatch, "constructs", "99.0.0"),
    "cdk-nag upgraded": lambda _, monkeypatch: _pretend_installed(monkeypatch, "cdk-nag", "9.0.0"),
}


def _pretend_installed(monkeypatch: pytest.MonkeyPatch, name: str, version: str) -> None:
    real = synth._distribution_version

    def pretended(asked: str) -> str:
        return version if asked == name else real(asked)

    monkeypatch.setattr(synth, "_distribution_version", pretended)


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_cache_key_changes_with_every_input(
    project: Path, no_user_settings: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    # given the key of the project as it is
    before = synth.template_inputs_key(project, region=REGION)

    # when one input changes
    CHANGES[change](project, monkeypatch)

    # then the key is another one
    assert synth.template_inputs_key(project, region=REGION) != before


def test_the_cache_key_depends_on_the_region_and_stack_but_not_on_bytecode(
    project: Path, no_user_settings: Path
) -> None:
    # given the key of the project as it is
    before = synth.template_inputs_key(project, region=REGION)

    # when Python leaves bytecode caches next to the sources
    _write(project / "infra/__pycache__/list_images_api.cpython-311.pyc", "bytecode")
    _write(project / "runtime/listimages/handler.pyc", "bytecode")

    # then the key is the same (and stays so when computed again)
    assert synth.template_inputs_key(project, region=REGION) == before
    assert synth.template_inputs_key(project, region=REGION) == before
    # but another Region or stack is another template
    assert synth.template_inputs_key(project, region="eu-west-1") != before
    assert synth.template_inputs_key(project, "OtherStack", region=REGION) != before


def test_an_unchanged_project_reuses_the_template_without_synthesizing(
    project: Path, no_user_settings: Path, counting_synth: CountingSynth
) -> None:
    # given a first start that synthesized
    said: list[str] = []
    first = synth.local_template(project, region=REGION, report=said.append)
    assert len(counting_synth.calls) == 1
    assert said == ["Synthesizing with the pinned CDK CLI (cdk-nag enforced; about 20 s)..."]

    # when it starts again with nothing changed
    said.clear()
    again = synth.local_template(project, region=REGION, report=said.append)

    # then the stored template is served and the CLI is not run
    assert again == first == TEMPLATE
    assert len(counting_synth.calls) == 1
    assert said == [
        "Template inputs unchanged since the last synth: reusing "
        "cdk.out/local-synth/ListImagesStack-us-east-1.json (pass --synth to synthesize again)."
    ]


def test_a_changed_project_or_force_synthesizes_again(
    project: Path, no_user_settings: Path, counting_synth: CountingSynth
) -> None:
    # given a cached template
    synth.local_template(project, region=REGION, report=lambda _: None)

    # when an input changes, then the next start synthesizes (and caches that one)
    _write(project / "app.py", "print('changed')\n")
    synth.local_template(project, region=REGION, report=lambda _: None)
    synth.local_template(project, region=REGION, report=lambda _: None)
    assert len(counting_synth.calls) == 2

    # when forced, then it synthesizes even though nothing changed
    synth.local_template(project, region=REGION, force=True, report=lambda _: None)
    assert len(counting_synth.calls) == 3
    # and another Region has its own template
    synth.local_template(project, region="eu-west-1", report=lambda _: None)
    assert counting_synth.calls[-1] == (project, "ListImagesStack", "eu-west-1")


def test_a_damaged_cache_is_synthesized_over(
    project: Path, no_user_settings: Path, counting_synth: CountingSynth
) -> None:
    # given a cache file that is not what the cache writes
    cache_file = project / "cdk.out/local-synth/ListImagesStack-us-east-1.json"
    _write(cache_file, '{"key": "')

    # when
    template = synth.local_template(project, region=REGION, report=lambda _: None)

    # then it synthesized, and the cache now holds the template
    assert template == TEMPLATE
    assert len(counting_synth.calls) == 1
    assert json.loads(cache_file.read_text())["template"] == TEMPLATE


def test_a_failed_synth_caches_nothing(
    project: Path, no_user_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a synth that fails (an unacknowledged nag finding, say)
    def failing(project_dir: Path, stack_name: str, *, region: str) -> dict[str, Any]:
        raise synth.SynthError("cdk synth failed: AwsSolutions-APIG2")

    monkeypatch.setattr(synth, "synthesize_template", failing)

    # when, then the error comes through and there is no cached template to reuse next time
    with pytest.raises(synth.SynthError):
        synth.local_template(project, region=REGION, report=lambda _: None)
    assert not (project / "cdk.out/local-synth/ListImagesStack-us-east-1.json").exists()
