"""app.py: context -> typed construct options, and the stack environment from the CLI's variables."""

from __future__ import annotations

import re
from collections.abc import Mapping

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway, aws_lambda

from app import CONTEXT_OPTIONS, CONTEXT_PREFIX, api_options_from_context, stack_environment
from pcluster_list_images_cdk import ListImagesApiOptions, LoggingOptions

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0123abcd-4567-89ef-0123-456789abcdef"
CERTIFICATE_ARN = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0123abcd"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/Boundary"


def _stack(context: Mapping[str, object]) -> cdk.Stack:
    return cdk.Stack(cdk.App(context=dict(context)), "Host")


def _options(context: Mapping[str, object]) -> ListImagesApiOptions:
    return api_options_from_context(_stack(context))


def test_no_context_means_construct_defaults() -> None:
    # given no list-images context; then the options are the construct's secure defaults
    assert _options({}) == ListImagesApiOptions()


def test_cli_string_context_is_parsed_into_typed_fields_and_groups() -> None:
    # given -c values (always strings on the command line)
    options = _options(
        {
            "list-images:stage-name": "v1",
            "list-images:allowed-regions": "us-east-1, eu-west-1",
            "list-images:page-size": "200",
            "list-images:throttling-rate-limit": "2.5",
            "list-images:throttling-burst-limit": "5",
            "list-images:log-level": "debug",
            "list-images:create-invoker-role": "true",
            "list-images:web-acl-arn": "",
        }
    )
    # then they become typed options, grouped where the construct groups them; empty values are ignored
    assert options == ListImagesApiOptions(
        stage_name="v1",
        allowed_regions=["us-east-1", "eu-west-1"],
        page_size=200,
        throttling=aws_apigateway.ThrottleSettings(rate_limit=2.5, burst_limit=5),
        logging=LoggingOptions(level=aws_lambda.ApplicationLogLevel.DEBUG),
        create_invoker_role=True,
    )


def test_cdk_json_typed_context_is_accepted() -> None:
    # given JSON-typed values (as cdk.json can hold them)
    options = _options(
        {
            "list-images:allowed-principal-arns": [
                f"arn:aws:iam::{ACCOUNT}:role/A",
                f"arn:aws:iam::{ACCOUNT}:root",
            ],
            "list-images:create-invoker-role": True,
            "list-images:reserved-concurrent-executions": 3,
        }
    )
    # then they pass through unchanged
    assert options == ListImagesApiOptions(
        allowed_principal_arns=[f"arn:aws:iam::{ACCOUNT}:role/A", f"arn:aws:iam::{ACCOUNT}:root"],
        create_invoker_role=True,
        reserved_concurrent_executions=3,
    )


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"list-images:provisioned-concurrency": "2"}, ListImagesApiOptions(provisioned_concurrency=2)),
        ({"list-images:provisioned-concurrency": 2}, ListImagesApiOptions(provisioned_concurrency=2)),
        ({"list-images:snap-start": "true"}, ListImagesApiOptions(snap_start=True)),
        ({"list-images:snap-start": False}, ListImagesApiOptions(snap_start=False)),
        ({"list-images:memory-size-mb": "1024"}, ListImagesApiOptions(memory_size_mb=1024)),
    ],
)
def test_the_init_ahead_and_memory_keys_set_their_options(
    context: Mapping[str, object], expected: ListImagesApiOptions
) -> None:
    # given a provisioned-concurrency, SnapStart or memory key (-c string or cdk.json JSON); then its option
    assert _options(context) == expected


def test_arns_from_context_become_references_imported_into_the_stack() -> None:
    # given ARNs and ids of existing resources in context
    stack = _stack(
        {
            "list-images:log-encryption-key-arn": KEY_ARN,
            "list-images:permissions-boundary-arn": BOUNDARY_ARN,
            "list-images:private-vpc-endpoint-ids": "vpce-1,vpce-2",
        }
    )
    # when they are mapped
    options = api_options_from_context(stack)
    # then each is a reference of the stack carrying that ARN or id
    assert options.logging.encryption_key is not None
    assert stack.resolve(options.logging.encryption_key.key_arn) == KEY_ARN
    assert options.permissions_boundary is not None
    assert stack.resolve(options.permissions_boundary.managed_policy_arn) == BOUNDARY_ARN
    assert [stack.resolve(endpoint.vpc_endpoint_id) for endpoint in options.vpc_endpoints] == [
        "vpce-1",
        "vpce-2",
    ]


def test_the_domain_keys_make_one_custom_domain_with_its_certificate_and_zone() -> None:
    # given the custom-domain keys
    stack = _stack(
        {
            "list-images:domain-name": "images.example.com",
            "list-images:certificate-arn": CERTIFICATE_ARN,
            "list-images:hosted-zone-id": "Z0123",
            "list-images:hosted-zone-name": "example.com",
            "list-images:disable-execute-api-endpoint": "true",
        }
    )
    # when they are mapped
    domain = api_options_from_context(stack).domain
    # then they form one CustomDomain holding imported references
    assert domain is not None
    assert domain.domain_name == "images.example.com"
    assert stack.resolve(domain.certificate.certificate_arn) == CERTIFICATE_ARN
    assert domain.hosted_zone is not None
    assert (domain.hosted_zone.hosted_zone_id, domain.hosted_zone.zone_name) == ("Z0123", "example.com")
    assert domain.disable_execute_api_endpoint is True


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"list-images:certificate-arn": CERTIFICATE_ARN}, "missing: ['domain_name']"),
        ({"list-images:domain-name": "images.example.com"}, "missing: ['certificate']"),
        (
            {"list-images:disable-execute-api-endpoint": "true"},
            "missing: ['certificate', 'domain_name']",
        ),
        ({"list-images:hosted-zone-id": "Z1"}, "hosted-zone-id and hosted-zone-name go together"),
    ],
)
def test_an_incomplete_custom_domain_is_refused(context: dict[str, object], message: str) -> None:
    # given domain keys without the domain name or certificate; then a clear error naming what is missing
    with pytest.raises(ValueError, match=re.escape(message)):
        _options(context)


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
        ("list-images:log-level", "LOUD", "list-images:log-level: expected a Lambda application log level"),
        ("list-images:snap-start", "on", "list-images:snap-start: expected true or false, got 'on'"),
        ("list-images:provisioned-concurrency", 1.5, "provisioned-concurrency: expected an integer"),
    ],
)
def test_bad_context_values_fail_naming_the_key_and_the_expected_type(
    key: str, value: object, message: str
) -> None:
    # given a context value of the wrong type (-c string or cdk.json JSON)
    # when it is read; then the error names the context key, the expected type and the value
    with pytest.raises(ValueError, match=re.escape(message)):
        _options({key: value})


def test_an_unknown_key_is_an_error_naming_it_and_listing_the_known_ones() -> None:
    # given a misspelt key beside a good one
    context = {"list-images:page-size": "50", "list-images:pagesize": "50"}
    # when it is read; then the error names the unknown key and every known key
    with pytest.raises(
        ValueError, match="unknown context key\\(s\\) list-images:pagesize; known keys: "
    ) as error:
        _options(context)
    for option in CONTEXT_OPTIONS:
        assert CONTEXT_PREFIX + option.key in str(error.value)


def test_unauthenticated_access_cannot_be_enabled_from_context() -> None:
    # given someone trying the opt-in through context; then it is not an option (it must be written in code)
    with pytest.raises(ValueError, match="unknown context key\\(s\\) list-images:dangerously-allow"):
        _options({"list-images:dangerously-allow-unauthenticated-access": "true"})


def test_the_account_cloud_watch_role_can_be_turned_off_from_context() -> None:
    # given an account that manages the API Gateway CloudWatch role elsewhere
    options = _options({"list-images:create-account-cloud-watch-role": "false"})
    # then the stack is told not to create it (ListImagesStack creates it unless told otherwise)
    assert options == ListImagesApiOptions(cloud_watch_role=False)


def test_every_context_option_sets_a_field_of_the_options() -> None:
    # given the table; then each key is unique and names a field (or a group's field) of the options
    fields = set(ListImagesApiOptions.__dataclass_fields__)
    keys = [option.key for option in CONTEXT_OPTIONS]
    assert len(keys) == len(set(keys))
    assert {option.field.split(".")[0] for option in CONTEXT_OPTIONS} <= fields


def test_environment_from_cli_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the CLI's resolved account and Region
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    # when the environment is built; then the stack is pinned to them
    environment = stack_environment()
    assert environment is not None
    assert (environment.account, environment.region) == (ACCOUNT, "eu-west-1")


def test_environment_agnostic_without_cli_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # given no CLI variables; then the stack is environment-agnostic
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    assert stack_environment() is None
