"""Session-scoped synthesized configurations: each is built once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests.synth_support import CONFIGURATIONS, SynthesizedConfiguration, synthesize_configuration
from tests.wheel_support import REPO_ROOT, build_wheel


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project's wheel, built once per session from a copy of the working tree."""
    return build_wheel(REPO_ROOT, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session", params=sorted(CONFIGURATIONS))
def synthesized(request: pytest.FixtureRequest) -> SynthesizedConfiguration:
    """Every named configuration in turn (default, private, custom domain + WAF, ...)."""
    name: str = request.param
    return synthesize_configuration(name)


def _template(name: str) -> Template:
    return Template.from_json(synthesize_configuration(name).template)


@pytest.fixture(scope="session")
def default_config() -> Template:
    """Template with every option at its default."""
    return _template("default")


@pytest.fixture(scope="session")
def private_config() -> Template:
    """PRIVATE endpoint reachable through two VPC endpoints."""
    return _template("private")


@pytest.fixture(scope="session")
def custom_domain_config() -> Template:
    """Custom domain with alias record, default endpoint disabled, WAF web ACL associated."""
    return _template("custom_domain_waf")


@pytest.fixture(scope="session")
def principals_config() -> Template:
    """Resource policy admitting a listed role and a whole account, plus the invoker role; no account role."""
    return _template("principals_invoker")


@pytest.fixture(scope="session")
def boundary_config() -> Template:
    """Permissions boundary on every role and an allowed-Regions list."""
    return _template("boundary_regions")


@pytest.fixture(scope="session")
def tuned_config() -> Template:
    """Stage and function options away from their defaults, execution logging on, provisioned concurrency."""
    return _template("tuned_logging")


@pytest.fixture(scope="session")
def snap_start_config() -> Template:
    """SnapStart on the function's published version."""
    return _template("snap_start")


def resources_of_type(template: Template, resource_type: str) -> dict[str, Any]:
    """Logical id -> resource for one CloudFormation type."""
    return dict(template.find_resources(resource_type))


def only_resource(template: Template, resource_type: str) -> dict[str, Any]:
    """The single resource of a type (fails when there are zero or several)."""
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))
