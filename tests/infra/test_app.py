"""app.py: context -> construct options, and the stack environment from the CLI's variables."""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest

from app import api_options_from_context, stack_environment


def _options(context: dict[str, object]) -> dict[str, object]:
    return api_options_from_context(cdk.App(context=context).node)


def test_no_context_means_construct_defaults() -> None:
    # given no list-images context; then no option is passed (the construct's secure defaults apply)
    assert _options({}) == {}


def test_cli_string_context_is_parsed() -> None:
    # given -c values (always strings on the command line)
    options = _options(
        {
            "list-images:stage-name": "v1",
            "list-images:allowed-regions": "us-east-1, eu-west-1",
            "list-images:page-size": "200",
            "list-images:throttling-rate-limit": "2.5",
            "list-images:create-invoker-role": "true",
            "list-images:disable-default-endpoint": "false",
            "list-images:web-acl-arn": "",
        }
    )
    # then they become typed construct arguments; empty values are ignored
    assert options == {
        "stage_name": "v1",
        "allowed_regions": ["us-east-1", "eu-west-1"],
        "page_size": 200,
        "throttling_rate_limit": 2.5,
        "create_invoker_role": True,
        "disable_default_endpoint": False,
    }


def test_cdk_json_typed_context_is_accepted() -> None:
    # given JSON-typed values (as cdk.json can hold them)
    options = _options(
        {
            "list-images:private-vpc-endpoint-ids": ["vpce-1", "vpce-2"],
            "list-images:create-invoker-role": True,
            "list-images:reserved-concurrent-executions": 3,
        }
    )
    # then they pass through unchanged
    assert options == {
        "private_vpc_endpoint_ids": ["vpce-1", "vpce-2"],
        "create_invoker_role": True,
        "reserved_concurrent_executions": 3,
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "list-images:create-invoker-role",
            "yes",
            "list-images:create-invoker-role: expected true or false, got 'yes'",
        ),
        ("list-images:page-size", "abc", "list-images:page-size: expected an integer, got 'abc'"),
        (
            "list-images:reserved-concurrent-executions",
            2.5,
            "reserved-concurrent-executions: expected an integer",
        ),
        ("list-images:page-size", True, "list-images:page-size: expected an integer, got True"),
        ("list-images:throttling-rate-limit", "fast", "list-images:throttling-rate-limit: expected a number"),
    ],
)
def test_bad_context_values_fail_naming_the_key_and_the_expected_type(
    key: str, value: object, message: str
) -> None:
    # given a context value of the wrong type (-c string or cdk.json JSON)
    # when it is read; then the error names the context key, the expected type and the value
    with pytest.raises(ValueError, match=re.escape(message)):
        _options({key: value})


def test_the_account_cloud_watch_role_can_be_turned_off_from_context() -> None:
    # given an account that manages the API Gateway CloudWatch role elsewhere
    options = _options({"list-images:create-account-cloud-watch-role": "false"})
    # then the stack is told not to create it (ListImagesStack creates it by default)
    assert options == {"create_account_cloud_watch_role": False}


def test_unauthenticated_access_cannot_be_enabled_from_context() -> None:
    # given someone trying the opt-in through context; then it is not an option (it must be written in code)
    assert _options({"list-images:dangerously-allow-unauthenticated-access": "true"}) == {}


def test_environment_from_cli_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the CLI's resolved account and Region
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    # when the environment is built; then the stack is pinned to them
    environment = stack_environment()
    assert environment is not None
    assert (environment.account, environment.region) == ("123456789012", "eu-west-1")


def test_environment_agnostic_without_cli_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # given no CLI variables; then the stack is environment-agnostic
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    assert stack_environment() is None
