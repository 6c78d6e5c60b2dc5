"""Fine-grained template assertions for ListImagesApi, one configuration per fixture."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import constructs as cdk_constructs
import pytest
from aws_cdk import RemovalPolicy, aws_apigateway, aws_iam, aws_kms, aws_lambda, aws_logs, aws_ssm
from aws_cdk.assertions import Annotations, Match, Template
from listimages import images

from pcluster_list_images_cdk import (
    ListImagesApi,
    ListImagesApiOptions,
    ListImagesStack,
    LoggingOptions,
    list_images_api,
    log_groups,
)
from pcluster_list_images_cdk.validation import (
    API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS,
    RUNTIME_CALL_RESERVE_SECONDS,
)
from tests import synth_support
from tests.infra.conftest import only_resource, resources_of_type
from tests.synth_support import (
    ACCOUNT,
    BOUNDARY_ARN,
    CERTIFICATE_ARN,
    HOSTED_ZONE_ID,
    KEY_ARN,
    WEB_ACL_ARN,
    Options,
    build_stack,
    function_role_policy_ids,
    function_role_policy_statements,
    imported_domain,
    load_cdk_context,
    synthesize_configuration,
    vpc_endpoint,
)

ROUTE_PATHS = {"/images/custom", "/v3/images/custom"}
OUTPUT_NAMES = ("ApiUrl", "ImagesCustomUrl", "V3ImagesCustomUrl", "FunctionName")
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "callerArn": "$context.identity.userArn",
    "status": "$context.status",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "errorMessage": "$context.error.message",
    "integrationErrorMessage": "$context.integrationErrorMessage",
}


def _resource_paths(template: Template) -> dict[str, str]:
    """Logical id of each AWS::ApiGateway::Resource (and the root) -> its full path."""
    resources = resources_of_type(template, "AWS::ApiGateway::Resource")
    rest_api_id = next(iter(resources_of_type(template, "AWS::ApiGateway::RestApi")))

    def path_of(parent: dict[str, Any]) -> str:
        if parent == {"Fn::GetAtt": [rest_api_id, "RootResourceId"]}:
            return ""
        logical_id = parent["Ref"]
        properties = resources[logical_id]["Properties"]
        return f"{path_of(properties['ParentId'])}/{properties['PathPart']}"

    return {logical_id: path_of({"Ref": logical_id}) for logical_id in resources}


def _method_paths(template: Template) -> dict[str, tuple[str, dict[str, Any]]]:
    paths = _resource_paths(template)
    return {
        logical_id: (paths[method["Properties"]["ResourceId"]["Ref"]], method["Properties"])
        for logical_id, method in resources_of_type(template, "AWS::ApiGateway::Method").items()
    }


def _function(template: Template) -> dict[str, Any]:
    properties: dict[str, Any] = only_resource(template, "AWS::Lambda::Function")["Properties"]
    return properties


def _stage(template: Template) -> dict[str, Any]:
    properties: dict[str, Any] = only_resource(template, "AWS::ApiGateway::Stage")["Properties"]
    return properties


def _stage_resource(template: Template) -> dict[str, Any]:
    """The stage resource itself (with DependsOn), not only its properties."""
    return only_resource(template, "AWS::ApiGateway::Stage")


def _rest_api(template: Template) -> dict[str, Any]:
    properties: dict[str, Any] = only_resource(template, "AWS::ApiGateway::RestApi")["Properties"]
    return properties


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


# ------------------------------------------------------------------------------------------ routes
def test_exactly_the_two_get_routes_exist(default_config: Template) -> None:
    # given the default template; when its methods are listed with their full paths
    methods = _method_paths(default_config)
    # then there are exactly GET /images/custom and GET /v3/images/custom
    assert sorted((path, props["HttpMethod"]) for path, props in methods.values()) == [
        ("/images/custom", "GET"),
        ("/v3/images/custom", "GET"),
    ]


def test_no_proxy_resource_and_no_any_method_in_any_configuration(synthesized: Any) -> None:
    # given every configuration; when resources and methods are read
    template = Template.from_json(synthesized.template)
    path_parts = {
        resource["Properties"]["PathPart"]
        for resource in resources_of_type(template, "AWS::ApiGateway::Resource").values()
    }
    methods = {props["HttpMethod"] for _, props in _method_paths(template).values()}
    # then there is no greedy {proxy+} resource and no ANY method
    assert not any("{" in part for part in path_parts)
    assert methods == {"GET"}


def test_every_method_requires_iam_authorization_in_every_configuration(synthesized: Any) -> None:
    # given every configuration; when each method's authorization is read
    methods = _method_paths(Template.from_json(synthesized.template))
    # then both routes exist and every one requires SigV4 (AWS_IAM)
    assert {path for path, _ in methods.values()} == ROUTE_PATHS
    assert {props["AuthorizationType"] for _, props in methods.values()} == {"AWS_IAM"}


def test_methods_use_lambda_proxy_integration_of_the_function(default_config: Template) -> None:
    # given the default template
    function_id = next(iter(resources_of_type(default_config, "AWS::Lambda::Function")))
    # when each method's integration is read
    integrations = [props["Integration"] for _, props in _method_paths(default_config).values()]
    # then each is an AWS_PROXY POST to the one function
    for integration in integrations:
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert function_id in json.dumps(integration["Uri"])


def test_methods_use_a_validator_of_body_and_parameters(default_config: Template) -> None:
    # given the default template; when the validator and the methods are read
    validators = resources_of_type(default_config, "AWS::ApiGateway::RequestValidator")
    methods = _method_paths(default_config)
    # then one validator checks body and parameters, and every method uses it
    assert len(validators) == 1
    validator_id, validator = next(iter(validators.items()))
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    for _, props in methods.values():
        assert props["RequestValidatorId"] == {"Ref": validator_id}
        # imageStatus may come from a JSON body (contract): the gateway must not require it
        assert props["RequestParameters"]["method.request.querystring.imageStatus"] is False


def test_lambda_permissions_are_scoped_to_each_method(default_config: Template) -> None:
    # given the default template; when the Lambda permissions' source ARNs are read
    permissions = resources_of_type(default_config, "AWS::Lambda::Permission")
    source_arns = [p["Properties"]["SourceArn"] for p in permissions.values()]
    rest_api_id = next(iter(resources_of_type(default_config, "AWS::ApiGateway::RestApi")))
    stage_id = next(iter(resources_of_type(default_config, "AWS::ApiGateway::Stage")))
    # then each is exactly this API, this stage (not "*", not test-invoke-stage), GET, and one route path
    expected_prefix = [
        "arn:",
        {"Ref": "AWS::Partition"},
        ":execute-api:",
        {"Ref": "AWS::Region"},
        ":",
        {"Ref": "AWS::AccountId"},
        ":",
        {"Ref": rest_api_id},
        "/",
        {"Ref": stage_id},
    ]
    assert sorted(json.dumps(arn) for arn in source_arns) == sorted(
        json.dumps({"Fn::Join": ["", [*expected_prefix, f"/GET{path}"]]}) for path in ROUTE_PATHS
    )


def test_no_usage_plan_or_api_key_by_default(default_config: Template) -> None:
    # given the default template; then nothing unrequested is created
    for resource_type in ("AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::ApiKey"):
        default_config.resource_count_is(resource_type, 0)


def _cloud_watch_roles(template: Template) -> dict[str, Any]:
    """Roles that API Gateway (not Lambda) may assume: the account-level CloudWatch Logs role."""
    return {
        logical_id: role
        for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items()
        if "apigateway.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    }


def test_standalone_stack_sets_the_account_cloud_watch_role_before_the_stage(
    default_config: Template,
) -> None:
    # given the default ListImagesStack (what `make deploy` builds); when its account resources are read
    (account_id, account), (role_id, role) = (
        next(iter(resources_of_type(default_config, "AWS::ApiGateway::Account").items())),
        next(iter(_cloud_watch_roles(default_config).items())),
    )
    default_config.resource_count_is("AWS::ApiGateway::Account", 1)
    # then the account setting points at a role API Gateway assumes, with AWS's policy for pushing logs
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert role["Properties"]["ManagedPolicyArns"] == [
        {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
                ],
            ]
        }
    ]
    # and the stage (which writes access logs) is created only after the account setting
    assert account_id in _stage_resource(default_config)["DependsOn"]
    # and both stay when the stack is deleted: other APIs of the account may log through them
    assert (account["DeletionPolicy"], role["DeletionPolicy"]) == ("Retain", "Retain")


def test_opting_out_leaves_the_account_cloud_watch_role_alone(principals_config: Template) -> None:
    # given a stack built with cloud_watch_role=False (context ...:create-account-cloud-watch-role=false)
    # then neither the account setting nor an API Gateway role is created
    principals_config.resource_count_is("AWS::ApiGateway::Account", 0)
    assert _cloud_watch_roles(principals_config) == {}


def test_default_api_is_regional_without_resource_policy(default_config: Template) -> None:
    # given the default template; when the REST API is read
    api = _rest_api(default_config)
    # then it is REGIONAL, keeps its default endpoint, and has no resource policy
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert api["DisableExecuteApiEndpoint"] is False
    assert "Policy" not in api


# ------------------------------------------------------------------------------------------- stage
def test_stage_name_tracing_throttling_and_no_execution_logging(default_config: Template) -> None:
    # given the default template; when the stage is read
    stage = _stage(default_config)
    (method_settings,) = stage["MethodSettings"]
    # then it is "prod", traced, throttled with the explicit defaults, and execution logging is off
    assert stage["StageName"] == "prod"
    assert stage["TracingEnabled"] is True
    assert method_settings["ThrottlingRateLimit"] == 10
    assert method_settings["ThrottlingBurstLimit"] == 20
    assert method_settings["LoggingLevel"] == "OFF"
    assert method_settings["DataTraceEnabled"] is False


def _gateway_responses(template: Template) -> dict[str, dict[str, Any]]:
    """Response type -> properties of each AWS::ApiGateway::GatewayResponse."""
    responses = resources_of_type(template, "AWS::ApiGateway::GatewayResponse").values()
    by_type = {response["Properties"]["ResponseType"]: response["Properties"] for response in responses}
    assert len(by_type) == len(responses), "one gateway response per type"
    return by_type


# What API Gateway could put in the $context variables a template may use, at their worst: a denial
# message naming ARNs and an account (what the templates must never pass on where it can occur).
_SAMPLE_CONTEXT = {
    "$context.error.messageString": json.dumps(
        "User: arn:aws:sts::123456789012:assumed-role/Reader/session is not authorized to perform: "
        'execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:a1b2c3/prod/GET/x "q"'
    ),
    "$context.requestId": "5f0c3a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
}
# Types whose API Gateway message may carry ARNs or account ids: their bodies are fixed texts.
_FIXED_TEXT_TYPES = {"ACCESS_DENIED", "UNAUTHORIZED", "THROTTLED", "INTEGRATION_TIMEOUT", "DEFAULT_5XX"}
# Types whose message only describes the caller's own request (or a fixed API Gateway text): passed on.
_MESSAGE_TYPES = {"MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE", "EXPIRED_TOKEN", "DEFAULT_4XX"}


def _rendered_body(template_text: str) -> Any:
    """The body API Gateway would send: each $context variable substituted, then parsed as JSON."""
    for variable, value in _SAMPLE_CONTEXT.items():
        template_text = template_text.replace(variable, value)
    assert "$context" not in template_text, f"unexpected variable in {template_text!r}"
    return json.loads(template_text)


def test_gateway_responses_cover_iam_failures_and_both_defaults_keeping_status_codes(
    synthesized: Any,
) -> None:
    # given any configuration; when its gateway responses are read
    responses = _gateway_responses(Template.from_json(synthesized.template))
    # then every IAM-auth failure type, throttling, timeouts and both fallbacks are customised, each with
    # API Gateway's own status; the fallbacks set none, so every type they cover keeps its own status
    assert {name: properties.get("StatusCode") for name, properties in responses.items()} == {
        "ACCESS_DENIED": "403",
        "MISSING_AUTHENTICATION_TOKEN": "403",
        "INVALID_SIGNATURE": "403",
        "EXPIRED_TOKEN": "403",
        "UNAUTHORIZED": "401",
        "THROTTLED": "429",
        "INTEGRATION_TIMEOUT": "504",
        "DEFAULT_4XX": None,
        "DEFAULT_5XX": None,
    }
    assert set(responses) == _FIXED_TEXT_TYPES | _MESSAGE_TYPES


def test_every_gateway_response_body_is_a_json_object_with_only_a_message(default_config: Template) -> None:
    # given each gateway response's JSON template; when API Gateway's variables are substituted
    for response_type, properties in _gateway_responses(default_config).items():
        templates = properties["ResponseTemplates"]
        assert set(templates) == {"application/json"}, response_type
        body = _rendered_body(templates["application/json"])
        # then the body is {"message": <string>}, like every error of the function
        assert set(body) == {"message"}, response_type
        assert isinstance(body["message"], str), response_type


def test_denials_answer_fixed_texts_that_never_echo_arns_or_accounts(default_config: Template) -> None:
    # given the gateway responses whose API Gateway message can name the caller's or the API's ARN
    responses = _gateway_responses(default_config)
    for response_type in _FIXED_TEXT_TYPES:
        template_text = responses[response_type]["ResponseTemplates"]["application/json"]
        # when rendered with a message full of ARNs; then neither the message nor any ARN or account shows
        assert "$context.error" not in template_text, response_type
        message = _rendered_body(template_text)["message"]
        assert "arn:" not in message, response_type
        assert not re.search(r"\d{12}", message), response_type
    # and an access denial still says what to check, and gives the request id to find it in the access log
    denied = _rendered_body(responses["ACCESS_DENIED"]["ResponseTemplates"]["application/json"])["message"]
    assert denied.startswith("Access denied: ")
    assert denied.endswith(f"(request id: {_SAMPLE_CONTEXT['$context.requestId']})")


def test_signing_failures_and_other_4xx_pass_api_gateway_s_message_on(default_config: Template) -> None:
    # given the types whose message helps a client fix its request and names nothing of the account
    responses = _gateway_responses(default_config)
    for response_type in _MESSAGE_TYPES:
        template_text = responses[response_type]["ResponseTemplates"]["application/json"]
        # then the body is API Gateway's message as a quoted JSON string, nothing else (the unquoted
        # $context.error.message would break the JSON on the first quote)
        assert template_text == '{"message": $context.error.messageString}', response_type


def test_api_gateway_5xx_answers_carry_the_request_id_like_the_function_s_500(
    default_config: Template,
) -> None:
    # given the fallback for API Gateway's own 5XX answers (Lambda errors 502, configuration errors 500)
    responses = _gateway_responses(default_config)
    request_id = _SAMPLE_CONTEXT["$context.requestId"]
    # when rendered; then it reads like the function's own 500, and an integration timeout says what happened
    rendered = _rendered_body(responses["DEFAULT_5XX"]["ResponseTemplates"]["application/json"])
    assert rendered == {"message": f"Internal server error (request id: {request_id})"}
    timeout = _rendered_body(responses["INTEGRATION_TIMEOUT"]["ResponseTemplates"]["application/json"])
    assert timeout == {"message": f"Endpoint request timed out (request id: {request_id})"}


def test_stage_throttling_answers_429_with_retry_after_and_a_json_message(default_config: Template) -> None:
    # given the default template; when its THROTTLED gateway response is read
    throttled = _gateway_responses(default_config)["THROTTLED"]
    # then it is a 429 with Retry-After and a {"message": ...} body
    assert throttled["StatusCode"] == "429"
    assert throttled["ResponseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}
    assert json.loads(throttled["ResponseTemplates"]["application/json"]) == {"message": "Too Many Requests"}
    # and no other gateway response sets headers
    others = [props for name, props in _gateway_responses(default_config).items() if name != "THROTTLED"]
    assert all("ResponseParameters" not in props for props in others)


def test_access_logs_are_json_with_the_required_fields_to_the_construct_log_group(
    default_config: Template,
) -> None:
    # given the default template; when the stage's access-log setting is read
    setting = _stage(default_config)["AccessLogSetting"]
    log_format = json.loads(setting["Format"])
    # then the format is a JSON object holding request id, caller ARN, status, integration and errors
    assert ACCESS_LOG_FIELDS.items() <= log_format.items()
    # and logs go to the construct's own access-log group
    destination = json.dumps(setting["DestinationArn"])
    (access_log_group_id,) = [
        logical_id
        for logical_id in resources_of_type(default_config, "AWS::Logs::LogGroup")
        if logical_id in destination
    ]
    assert "AccessLogs" in access_log_group_id


def test_stage_options_are_configurable(tuned_config: Template) -> None:
    # given explicit stage options; when the stage is read
    stage = _stage(tuned_config)
    (method_settings,) = stage["MethodSettings"]
    # then the stage carries them, execution logging included
    assert (method_settings["ThrottlingRateLimit"], method_settings["ThrottlingBurstLimit"]) == (3.5, 7)
    assert method_settings["LoggingLevel"] == "ERROR"


# ------------------------------------------------------------------------------------------ lambda
def test_function_runtime_architecture_memory_and_tracing(default_config: Template) -> None:
    # given the default template; when the function is read
    function = _function(default_config)
    # then it runs the newest Python on ARM64 with one vCPU's 1,769 MB (docs/benchmark.md, "The default
    # memory"), active tracing, and the agreed handler
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["MemorySize"] == 1769
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["Handler"] == "listimages.handler.handle"
    assert "ReservedConcurrentExecutions" not in function


def _referenced_ids(value: Any) -> set[str]:
    """Logical ids that ``value`` refers to (``Ref`` and ``Fn::GetAtt``), however deeply nested."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return set().union(*map(_referenced_ids, value.values()))
    if isinstance(value, list):
        return set().union(*map(_referenced_ids, value))
    return set()


def _invoked_target(template: Template) -> set[str]:
    """The Lambda functions and aliases the methods' integrations and the Lambda permissions point at."""
    lambdas = {
        *resources_of_type(template, "AWS::Lambda::Function"),
        *resources_of_type(template, "AWS::Lambda::Alias"),
    }
    integrations = [props["Integration"]["Uri"] for _, props in _method_paths(template).values()]
    permissions = [
        p["Properties"]["FunctionName"]
        for p in resources_of_type(template, "AWS::Lambda::Permission").values()
    ]
    return _referenced_ids([*integrations, *permissions]) & lambdas


def test_by_default_api_gateway_invokes_the_function_itself_no_version_no_alias(
    default_config: Template,
) -> None:
    # given the default template (neither provisioned concurrency nor SnapStart)
    function_id = next(iter(resources_of_type(default_config, "AWS::Lambda::Function")))
    # then no version is published, there is no alias, and the integrations and permissions name the function
    assert resources_of_type(default_config, "AWS::Lambda::Version") == {}
    assert resources_of_type(default_config, "AWS::Lambda::Alias") == {}
    assert "SnapStart" not in _function(default_config)
    assert _invoked_target(default_config) == {function_id}


def _live_alias(template: Template) -> tuple[str, dict[str, Any]]:
    (alias_id, alias), *others = resources_of_type(template, "AWS::Lambda::Alias").items()
    assert others == []
    (version_id, version), *others = resources_of_type(template, "AWS::Lambda::Version").items()
    assert others == []
    function_id = next(iter(resources_of_type(template, "AWS::Lambda::Function")))
    # the alias "live" points at the function's published version
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionName"] == {"Ref": function_id}
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert version["Properties"]["FunctionName"] == {"Ref": function_id}
    return alias_id, alias["Properties"]


def test_provisioned_concurrency_keeps_environments_of_the_published_version_behind_the_alias(
    tuned_config: Template,
) -> None:
    # given provisioned concurrency 2 (the tuned configuration)
    alias_id, alias = _live_alias(tuned_config)
    # then the alias carries it, API Gateway invokes the alias, and SnapStart stays off
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    assert _invoked_target(tuned_config) == {alias_id}
    assert "SnapStart" not in _function(tuned_config)


def test_snap_start_applies_to_published_versions_behind_the_alias(snap_start_config: Template) -> None:
    # given SnapStart on
    alias_id, alias = _live_alias(snap_start_config)
    # then the function snapshots its published versions, API Gateway invokes the alias, nothing provisioned
    assert _function(snap_start_config)["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert "ProvisionedConcurrencyConfig" not in alias
    assert _invoked_target(snap_start_config) == {alias_id}


def test_snap_start_leaves_no_warning_to_acknowledge() -> None:
    # given SnapStart on; when the stack's warnings are read
    stack = synthesize_configuration("snap_start").stack
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("SnapStart"))
    # then CDK's "publish a version" reminder is acknowledged: the construct publishes one
    assert warnings == []


def test_function_timeout_is_below_the_api_gateway_limit(default_config: Template) -> None:
    # given the default template; when the function timeout is read
    timeout = _function(default_config)["Timeout"]
    # then it is 25 s, strictly below API Gateway's 29 s integration limit
    assert timeout == 25
    assert timeout < API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS


def test_function_logs_json_to_its_own_log_group(default_config: Template) -> None:
    # given the default template; when the logging config is read
    logging_config = _function(default_config)["LoggingConfig"]
    # then logs are native JSON with application/system levels into the construct's function log group
    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["ApplicationLogLevel"] == "INFO"
    assert logging_config["SystemLogLevel"] == "WARN"
    assert "FunctionLogs" in logging_config["LogGroup"]["Ref"]


def test_function_environment(default_config: Template, boundary_config: Template) -> None:
    # given the default and the allowed-Regions templates; when the environments are read
    default_env = _function(default_config)["Environment"]["Variables"]
    regions_env = _function(boundary_config)["Environment"]["Variables"]
    # then page size and Regions are passed as the runtime reads them
    assert default_env == {"LIST_IMAGES_PAGE_SIZE": "1000", "LIST_IMAGES_ALLOWED_REGIONS": ""}
    assert regions_env["LIST_IMAGES_ALLOWED_REGIONS"] == "us-east-1,eu-west-1"


def test_function_options_are_configurable(tuned_config: Template) -> None:
    # given explicit function options; when the function is read
    function = _function(tuned_config)
    # then the function carries them
    assert function["Environment"]["Variables"]["LIST_IMAGES_PAGE_SIZE"] == "50"
    assert function["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    assert function["MemorySize"] == 512
    assert function["ReservedConcurrentExecutions"] == 5


def test_log_groups_have_retention_and_removal_policy(default_config: Template) -> None:
    # given the default template; when the log groups are read
    log_groups = resources_of_type(default_config, "AWS::Logs::LogGroup")
    # then the function and access log groups both keep logs one year and are retained on delete
    assert len(log_groups) == 2
    for log_group in log_groups.values():
        assert log_group["Properties"]["RetentionInDays"] == 365
        assert log_group["DeletionPolicy"] == "Retain"
        assert "LogGroupName" not in log_group["Properties"]


def test_log_groups_use_the_given_kms_key_only_when_given(
    boundary_config: Template, default_config: Template
) -> None:
    # given the configuration with a log encryption key, and the default one
    key_arn = KEY_ARN
    # then both of its log groups use that key, and the default log groups use none
    for log_group in resources_of_type(boundary_config, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["KmsKeyId"] == key_arn
    for log_group in resources_of_type(default_config, "AWS::Logs::LogGroup").values():
        assert "KmsKeyId" not in log_group["Properties"]


def test_log_retention_and_removal_policy_are_configurable() -> None:
    # given short retention and DESTROY; when synthesized
    template = Template.from_stack(
        _fresh_stack(
            {
                "logging": LoggingOptions(
                    retention=aws_logs.RetentionDays.ONE_WEEK, removal_policy=RemovalPolicy.DESTROY
                )
            }
        )
    )
    # then both log groups carry them
    for log_group in resources_of_type(template, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["RetentionInDays"] == 7
        assert log_group["DeletionPolicy"] == "Delete"


# --------------------------------------------------------------------------------------------- IAM
def test_function_role_grants_exactly_the_runtime_actions(default_config: Template) -> None:
    # given the default template; when the function role's one policy (the construct's own) is read
    statements = function_role_policy_statements(default_config.to_json())
    actions = set().union(*(_actions(statement) for statement in statements))
    # then it allows exactly the runtime's AWS calls, its own log writes and X-Ray, and no wildcards
    assert actions == {
        "ec2:DescribeImages",
        "cloudformation:DescribeStacks",
        "cloudformation:ListStacks",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    assert all(statement["Effect"] == "Allow" for statement in statements)


def test_function_role_writes_only_its_own_log_group(default_config: Template) -> None:
    # given the default template; when the log statement is read
    statements = function_role_policy_statements(default_config.to_json())
    (log_statement,) = [s for s in statements if "logs:PutLogEvents" in _actions(s)]
    # then its resource is the function log group, not "*"
    assert log_statement["Resource"]["Fn::GetAtt"][0].startswith("ListImagesFunctionLogs")


def test_function_permissions_are_in_the_construct_policy_not_the_role_default_policy(
    synthesized: Any,
) -> None:
    # given every configuration; when the policies attached to the function role are listed
    template = synthesized.template
    policy_ids = function_role_policy_ids(template)
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    # then there is one, the construct's FunctionPolicy: CDK's automatic grants (X-Ray for active
    # tracing) did not create the role's default policy, which stays free for what an embedder adds
    assert len(policy_ids) == 1
    assert policy_ids[0].startswith("ListImagesFunctionPolicy")
    # and the function is created only once that policy exists
    assert policy_ids[0] in function["DependsOn"]


def test_roles_have_no_managed_or_inline_policies_in_any_configuration(synthesized: Any) -> None:
    # given every configuration; when the roles are read
    template = Template.from_json(synthesized.template)
    roles = resources_of_type(template, "AWS::IAM::Role")
    cloud_watch_roles = _cloud_watch_roles(template)
    # then no role carries inline Policies (permissions live in AWS::IAM::Policy), and none but the
    # account-level API Gateway CloudWatch role carries a managed policy: that one, AWS's documented one
    for logical_id, role in roles.items():
        assert "Policies" not in role["Properties"]
        if logical_id not in cloud_watch_roles:
            assert "ManagedPolicyArns" not in role["Properties"]
    for role in cloud_watch_roles.values():
        (managed_policy,) = role["Properties"]["ManagedPolicyArns"]
        assert json.dumps(managed_policy).endswith('service-role/AmazonAPIGatewayPushToCloudWatchLogs"]]}')


def test_function_role_is_assumable_only_by_lambda(default_config: Template) -> None:
    # given the default template; when the function role's trust policy is read
    (role_id,) = _function_role_ids(default_config)
    role = resources_of_type(default_config, "AWS::IAM::Role")[role_id]["Properties"]
    # then only the Lambda service may assume it
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]


def test_allowed_regions_are_enforced_in_iam(boundary_config: Template, default_config: Template) -> None:
    # given templates with and without an allowed-Regions list
    def source_statement(template: Template) -> dict[str, Any]:
        statements = function_role_policy_statements(template.to_json())
        (statement,) = [s for s in statements if "ec2:DescribeImages" in _actions(s)]
        return statement

    # then the EC2/CloudFormation statement is Region-restricted only when Regions are listed
    assert source_statement(boundary_config)["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}
    }
    assert "Condition" not in source_statement(default_config)


def test_permissions_boundary_is_on_every_role(
    boundary_config: Template, principals_config: Template
) -> None:
    # given a boundary (and, separately, the invoker role without one)
    boundary = BOUNDARY_ARN
    roles = resources_of_type(boundary_config, "AWS::IAM::Role")
    # then every role of the boundary configuration carries it, and no role does without it
    assert roles
    assert {role["Properties"]["PermissionsBoundary"] for role in roles.values()} == {boundary}
    for role in resources_of_type(principals_config, "AWS::IAM::Role").values():
        assert "PermissionsBoundary" not in role["Properties"]


def test_permissions_boundary_covers_invoker_and_cloud_watch_roles() -> None:
    # given every optional role and a boundary; when synthesized
    boundary = "arn:aws:iam::123456789012:policy/Boundary"
    roles = resources_of_type(
        Template.from_stack(
            _fresh_stack(
                lambda stack: ListImagesApiOptions(
                    permissions_boundary=aws_iam.ManagedPolicy.from_managed_policy_arn(stack, "B", boundary),
                    create_invoker_role=True,
                    cloud_watch_role=True,
                )
            )
        ),
        "AWS::IAM::Role",
    )
    # then all three roles (function, invoker, API Gateway CloudWatch) carry it
    assert len(roles) == 3
    assert all(role["Properties"]["PermissionsBoundary"] == boundary for role in roles.values())


# -------------------------------------------------------------------------------- resource policies
def test_private_api_admits_only_its_vpc_endpoints(private_config: Template) -> None:
    # given the private configuration; when the REST API is read
    api = _rest_api(private_config)
    endpoint_ids = ["vpce-0123456789abcdef0", "vpce-0fedcba9876543210"]
    statements = {statement["Sid"]: statement for statement in api["Policy"]["Statement"]}
    # then it is PRIVATE, bound to the endpoints, and denies any request not through them
    assert api["EndpointConfiguration"] == {"Types": ["PRIVATE"], "VpcEndpointIds": endpoint_ids}
    deny = statements["DenyOutsideVpcEndpoints"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": endpoint_ids}}
    # and the allow covers only the two GET paths of the stage, for this account's principals
    allow = statements["AllowListImages"]
    assert sorted(allow["Resource"]) == [
        "execute-api:/prod/GET/images/custom",
        "execute-api:/prod/GET/v3/images/custom",
    ]
    assert ":root" in json.dumps(allow["Principal"])


def test_principal_list_admits_only_listed_principals_and_the_invoker_role(
    principals_config: Template,
) -> None:
    # given the principals + invoker configuration; when the resource policy is read
    statements = {s["Sid"]: s for s in _rest_api(principals_config)["Policy"]["Statement"]}
    invoker_id = next(
        iter(
            resources_of_type(principals_config, "AWS::IAM::Role").keys()
            - _function_role_ids(principals_config)
        )
    )
    role_arn, account_root_arn = (
        "arn:aws:iam::123456789012:role/ImageBuilders",
        "arn:aws:iam::210987654321:root",
    )
    invoker_arn = {"Fn::GetAtt": [invoker_id, "Arn"]}
    # then the listed role, the listed account and the invoker role are allowed
    assert statements["AllowListImages"]["Principal"] == {"AWS": [role_arn, account_root_arn, invoker_arn]}
    # and everyone else is denied: a caller that is neither one of the roles nor in the listed account
    deny = statements["DenyOtherPrincipals"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": [role_arn, invoker_arn]},
        "StringNotEquals": {"aws:PrincipalAccount": ["210987654321"]},
    }


PARTITION_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


def _resource_policy(allowed_principal_arns: list[str], env: cdk.Environment | None = None) -> dict[str, Any]:
    """The REST API's resource policy as CloudFormation would get it (construct built, not synthesized)."""
    stack = build_stack({"allowed_principal_arns": allowed_principal_arns}, env=env)
    cfn_rest_api = stack.list_images.api.node.default_child
    assert isinstance(cfn_rest_api, aws_apigateway.CfnRestApi)
    policy: dict[str, Any] = stack.resolve(cfn_rest_api.policy)
    return policy


@pytest.mark.parametrize(
    ("admitted", "deny_condition"),
    [
        pytest.param(
            "arn:aws:iam::123456789012:role/team/ImageBuilders",
            {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/team/ImageBuilders"]}},
            id="role",
        ),
        pytest.param(
            "arn:aws:iam::123456789012:user/ci",
            {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:user/ci"]}},
            id="user",
        ),
        # aws:PrincipalArn of a role session in the account is the role's ARN, never ":root": the account is
        # matched by aws:PrincipalAccount, or its every principal would be denied
        pytest.param(
            "arn:aws:iam::123456789012:root",
            {"StringNotEquals": {"aws:PrincipalAccount": ["123456789012"]}},
            id="account-root",
        ),
    ],
)
def test_each_kind_of_principal_arn_is_admitted_and_not_denied(
    admitted: str, deny_condition: dict[str, Any]
) -> None:
    # given one admitted principal of a kind; when the resource policy is built
    statements = {s["Sid"]: s for s in _resource_policy([admitted])["Statement"]}
    # then the Allow names it, and the Deny applies only to callers that it does not cover
    assert statements["AllowListImages"]["Principal"] == {"AWS": admitted}
    assert statements["DenyOtherPrincipals"]["Condition"] == deny_condition


def test_a_role_session_arn_is_refused_with_the_role_arn_to_give_instead() -> None:
    # given an assumed-role session ARN (which aws:PrincipalArn never equals: it is the role's ARN there)
    session = "arn:aws:sts::123456789012:assumed-role/ImageBuilders/alice"
    # when the construct is built; then it fails, saying which role ARN to give
    with pytest.raises(
        ValueError,
        match=r"role session; give the role's ARN instead \(arn:aws:iam::123456789012:role/ImageBuilders",
    ):
        _resource_policy([session])


@pytest.mark.parametrize("partition", sorted(PARTITION_REGIONS))
def test_principals_of_the_stack_partition_are_admitted_and_others_refused(partition: str) -> None:
    # given a stack in a Region of the partition
    env = cdk.Environment(account="123456789012", region=PARTITION_REGIONS[partition])
    own = f"arn:{partition}:iam::123456789012:role/ImageBuilders"
    foreign = next(
        f"arn:{other}:iam::123456789012:role/ImageBuilders"
        for other in PARTITION_REGIONS
        if other != partition
    )
    # when a role of that partition is admitted; then the policy names it
    allow = _resource_policy([own], env)["Statement"][0]
    assert allow["Principal"] == {"AWS": own}
    # and a role of another partition is refused: its principals could never call this API
    with pytest.raises(ValueError, match=f"but the stack deploys to partition '{partition}'"):
        _resource_policy([foreign], env)


def test_partition_is_checked_without_the_partition_literals_feature_flag() -> None:
    # given an App without cdk.json's flags (the stack's partition is then a token), a stack in China
    stack = cdk.Stack(cdk.App(), "China", env=cdk.Environment(region="cn-north-1"))
    # when a commercial-partition principal is admitted; then the Region still tells the partition
    with pytest.raises(ValueError, match="partition 'aws-cn'"):
        ListImagesApi(stack, "ListImages", allowed_principal_arns=["arn:aws:iam::123456789012:root"])


def test_an_environment_agnostic_stack_refuses_mixed_partitions_only() -> None:
    # given an environment-agnostic stack (partition unknown until deployment)
    gov_role = "arn:aws-us-gov:iam::123456789012:role/ImageBuilders"
    # when principals of one partition are admitted; then they are kept
    assert _resource_policy([gov_role])["Statement"][0]["Principal"] == {"AWS": gov_role}
    # and principals of two partitions are refused: one API lives in one partition
    with pytest.raises(ValueError, match="mixes partitions"):
        _resource_policy([gov_role, "arn:aws:iam::123456789012:root"])


def test_invoker_role_may_invoke_exactly_the_two_methods(principals_config: Template) -> None:
    # given the invoker configuration; when the invoker role's policy is read
    invoker_ids = resources_of_type(principals_config, "AWS::IAM::Role").keys() - _function_role_ids(
        principals_config
    )
    (invoker_id,) = invoker_ids
    (policy,) = [
        p["Properties"]
        for p in resources_of_type(principals_config, "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": invoker_id}]
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    # then it allows execute-api:Invoke on the two GET method ARNs of the stage, nothing wider
    assert statement["Action"] == "execute-api:Invoke"
    rendered = sorted(json.dumps(resource) for resource in statement["Resource"])
    assert len(rendered) == 2
    assert rendered[0].endswith('"/GET/images/custom"]]}')
    assert rendered[1].endswith('"/GET/v3/images/custom"]]}')
    assert not any("*" in resource for resource in rendered)


def _function_role_ids(template: Template) -> set[str]:
    return {_function(template)["Role"]["Fn::GetAtt"][0]}


# --------------------------------------------------------------------------- custom domain and WAF
def test_custom_domain_uses_tls12_certificate_alias_and_disables_default_endpoint(
    custom_domain_config: Template,
) -> None:
    # given the custom-domain configuration (images.example.com, imported certificate and zone)
    # then the domain uses the certificate with TLS 1.2 and maps to the stage
    custom_domain_config.has_resource_properties(
        "AWS::ApiGateway::DomainName",
        {
            "DomainName": "images.example.com",
            "RegionalCertificateArn": CERTIFICATE_ARN,
            "SecurityPolicy": "TLS_1_2",
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
        },
    )
    custom_domain_config.has_resource_properties(
        "AWS::ApiGateway::BasePathMapping", {"Stage": {"Ref": Match.string_like_regexp("DeploymentStage")}}
    )
    # and an alias A record in the given zone points at it
    custom_domain_config.has_resource_properties(
        "AWS::Route53::RecordSet",
        {"HostedZoneId": HOSTED_ZONE_ID, "Name": "images.example.com.", "Type": "A"},
    )
    # and the execute-api endpoint is disabled; the URL output is the custom domain
    assert _rest_api(custom_domain_config)["DisableExecuteApiEndpoint"] is True
    assert custom_domain_config.to_json()["Outputs"]["ApiUrl"]["Value"] == "https://images.example.com/"


def test_web_acl_is_associated_with_the_stage(
    custom_domain_config: Template, default_config: Template
) -> None:
    # given the WAF configuration; when the association is read
    association = only_resource(custom_domain_config, "AWS::WAFv2::WebACLAssociation")["Properties"]
    # then the given web ACL guards this API's stage, and the default configuration has none
    assert association["WebACLArn"] == WEB_ACL_ARN
    assert "/stages/" in json.dumps(association["ResourceArn"])
    default_config.resource_count_is("AWS::WAFv2::WebACLAssociation", 0)


# ------------------------------------------------------------------------------ outputs & portability
def test_outputs_have_pinned_logical_ids(default_config: Template, principals_config: Template) -> None:
    # given the default and invoker configurations; when their outputs are listed
    # then the logical ids are the documented, stable ones (InvokerRoleArn only with the role)
    assert set(default_config.to_json()["Outputs"]) == {
        "ApiUrl",
        "ImagesCustomUrl",
        "V3ImagesCustomUrl",
        "FunctionName",
    }
    assert set(principals_config.to_json()["Outputs"]) == {
        "ApiUrl",
        "ImagesCustomUrl",
        "V3ImagesCustomUrl",
        "FunctionName",
        "InvokerRoleArn",
    }


def test_templates_are_environment_agnostic(synthesized: Any) -> None:
    # given every configuration synthesized without env; when the template text is scanned
    template = synthesized.template
    text = json.dumps({key: value for key, value in template.items() if key != "Parameters"})
    # (the configurations are functions of the stack: their values are literals of their module, which
    # spells out each ARN in full)
    options = inspect.getsource(synth_support)
    # then no partition, Region or account appears except inside values the caller passed in
    for literal in re.findall(r"arn:aws[a-z-]*:[^\"]*", text):
        assert literal in options, f"hard-coded ARN {literal}"
    for region in re.findall(r"\b[a-z]{2}(?:-gov)?-[a-z]+-\d\b", text):
        assert region in options, f"hard-coded Region {region}"
    for account in re.findall(r"\b\d{12}\b", text):
        assert account in options, f"hard-coded account {account}"
    assert "Conditions" not in template


@pytest.fixture(scope="module")
def two_instances() -> tuple[ListImagesApi, ListImagesApi, Template]:
    """Two constructs at their own defaults in a plain stack (no ListImagesStack), each with its outputs.

    The second turns execution logging on, which needs the account-level CloudWatch role too; the stack
    has an output of its own named like the construct's default ``ApiUrl``.
    """
    app = cdk.App(context=load_cdk_context())
    stack = cdk.Stack(app, "Host")
    first = ListImagesApi(stack, "First")
    second = ListImagesApi(
        stack,
        "Second",
        stage_name="beta",
        logging=LoggingOptions(execution_logging_level=aws_apigateway.MethodLoggingLevel.INFO),
    )
    cdk.CfnOutput(stack, "ApiUrl", value="the embedding stack's own output")
    first.add_outputs()
    second.add_outputs()
    return first, second, Template.from_stack(stack)


def test_the_construct_never_takes_over_the_account_cloud_watch_role_by_default(
    two_instances: tuple[ListImagesApi, ListImagesApi, Template],
) -> None:
    # given two constructs at their defaults, one with execution logging
    _, _, template = two_instances
    # then neither touches the account-wide AWS::ApiGateway::Account singleton (a documented prerequisite)
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    assert _cloud_watch_roles(template) == {}


def test_two_instances_live_in_one_stack_with_distinct_outputs(
    two_instances: tuple[ListImagesApi, ListImagesApi, Template],
) -> None:
    # given one stack with two constructs, each adding its outputs with the default ids
    _, _, template = two_instances
    # then both APIs and functions exist with distinct names, and each has its own outputs
    template.resource_count_is("AWS::ApiGateway::RestApi", 2)
    template.resource_count_is("AWS::Lambda::Function", 2)
    names = {
        api["Properties"]["Name"] for api in resources_of_type(template, "AWS::ApiGateway::RestApi").values()
    }
    assert len(names) == 2
    stages = resources_of_type(template, "AWS::ApiGateway::Stage").values()
    assert sorted(stage["Properties"]["StageName"] for stage in stages) == ["beta", "prod"]
    # and each construct's output ids start with its own id, beside the stack's own ApiUrl
    outputs = template.to_json()["Outputs"]
    assert set(outputs) == {
        "ApiUrl",
        *(f"{prefix}{name}" for prefix in ("First", "Second") for name in OUTPUT_NAMES),
    }
    assert outputs["ApiUrl"]["Value"] == "the embedding stack's own output"


def test_output_ids_follow_the_construct_path_below_the_stack() -> None:
    # given a construct nested in a construct of the embedding stack
    stack = cdk.Stack(cdk.App(context=load_cdk_context()), "Host")
    nested = ListImagesApi(cdk_constructs.Construct(stack, "Platform"), "Images")
    # when it adds its outputs; then their ids start with the path below the stack
    nested.add_outputs()
    assert set(Template.from_stack(stack).to_json()["Outputs"]) == {
        f"PlatformImages{name}" for name in OUTPUT_NAMES
    }


def test_grant_invoke_gives_a_grantee_the_two_methods_only() -> None:
    # given a construct and an external role
    stack = _fresh_stack({})
    grantee = aws_iam.Role(stack, "Caller", assumed_by=aws_iam.AccountRootPrincipal())
    # when the construct grants invoke
    stack.list_images.grant_invoke(grantee)
    template = Template.from_stack(stack)
    # then the grantee's policy allows execute-api:Invoke on exactly the two method ARNs
    caller_id = stack.resolve(grantee.role_name)["Ref"]
    (policy,) = [
        p["Properties"]
        for p in resources_of_type(template, "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": caller_id}]
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    assert len(statement["Resource"]) == 2


def test_construct_exposes_its_parts() -> None:
    # given a construct with the invoker role
    construct = build_stack({"create_invoker_role": True}).list_images
    # then its parts are the CDK objects an embedding stack composes with
    assert isinstance(construct.api, aws_apigateway.RestApi)
    assert isinstance(construct.function, aws_lambda.Function)
    assert isinstance(construct.role, aws_iam.Role)
    assert isinstance(construct.invoker_role, aws_iam.Role)
    assert isinstance(construct.function_log_group, aws_logs.LogGroup)
    assert isinstance(construct.access_log_group, aws_logs.LogGroup)
    assert construct.function.role is construct.role
    assert [method.http_method for method in construct.methods] == ["GET", "GET"]
    assert [method.resource.path for method in construct.methods] == ["/images/custom", "/v3/images/custom"]
    assert construct.url == construct.api.url


def test_unauthenticated_opt_in_removes_auth_and_warns_loudly() -> None:
    # given the explicit opt-in; when synthesized
    stack = build_stack({"dangerously_allow_unauthenticated_access": True})
    template = Template.from_stack(stack)
    # then the methods carry no authorization and the synth output carries a warning saying so
    assert {props["AuthorizationType"] for _, props in _method_paths(template).values()} == {"NONE"}
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("WITHOUT authorization")
    )
    assert warnings


# ---------------------------------------------------------------------------------- bad options
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page_size": 0}, "page_size"),
        ({"stage_name": "prod/v1"}, "stage_name"),
        ({"memory_size_mb": 64}, "memory_size_mb"),
        ({"page_size": 1001}, "page_size"),
        (
            lambda stack: ListImagesApiOptions(
                domain=imported_domain(stack, domain_name="images.example.org")
            ),
            "'images.example.org' is not inside hosted zone 'example.com'",
        ),
        ({"allowed_regions": ["us-east1"]}, "us-east1"),
        ({"allowed_principal_arns": ["ImageBuilders"]}, "ImageBuilders"),
        (
            lambda stack: ListImagesApiOptions(
                vpc_endpoints=[vpc_endpoint(stack, "vpce-1")], domain=imported_domain(stack)
            ),
            "not supported together with a PRIVATE API",
        ),
        (
            {"throttling": aws_apigateway.ThrottleSettings(rate_limit=0)},
            "throttling rate_limit must be positive",
        ),
        ({"throttling": aws_apigateway.ThrottleSettings(burst_limit=-1)}, "throttling burst_limit"),
        ({"reserved_concurrent_executions": 0}, r"at least 1, got 0: 0 would throttle every invocation"),
        ({"reserved_concurrent_executions": -1}, "reserved_concurrent_executions"),
        ({"provisioned_concurrency": 0}, "provisioned_concurrency must be None"),
        (
            {"provisioned_concurrency": 2, "snap_start": True},
            "Lambda does not support SnapStart with provisioned concurrency",
        ),
        (
            {"provisioned_concurrency": 3, "reserved_concurrent_executions": 2},
            r"provisioned_concurrency \(3\) cannot exceed reserved_concurrent_executions \(2\)",
        ),
        ({"allowed_principal_arns": ["arn:aws:iam::123456789012:role/*"]}, "no wildcards"),
        ({"allowed_principal_arns": ["arn:aws:iam::123456789012:group/Builders"]}, "not a role, user or"),
    ],
)
def test_bad_options_fail_clearly_at_synth_time(options: Options, message: str) -> None:
    # given contradictory or out-of-range options; when the construct is built; then a clear error
    with pytest.raises(ValueError, match=message):
        _fresh_stack(options)


def _fresh_stack(options: Options) -> Any:
    return build_stack(options)


# ---------------------------------------------------------------------------------------- asset
def test_runtime_asset_dir_is_the_repo_runtime_in_a_checkout() -> None:
    # given the repo layout; then the Lambda asset root is runtime/ holding the listimages package
    asset_dir = list_images_api.runtime_asset_dir()
    assert asset_dir == Path(list_images_api.__file__).resolve().parent.parent / "runtime"
    assert (asset_dir / "listimages").is_dir()


def test_asset_excludes_caches_and_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a runtime dir with code, bytecode caches and tests
    runtime = tmp_path / "runtime"
    for relative in (
        "listimages/handler.py",
        "listimages/__pycache__/handler.cpython-311.pyc",
        "listimages/stale.pyc",
        "tests/test_handler.py",
        "listimages/tests/test_images.py",
        ".pytest_cache/README.md",
    ):
        (runtime / relative).parent.mkdir(parents=True, exist_ok=True)
        (runtime / relative).write_text("x = 1\n")
    monkeypatch.setattr(list_images_api, "runtime_asset_dir", lambda: runtime)
    # when the stack is synthesized
    stack = build_stack()
    Template.from_stack(stack)
    # then the staged asset holds the code only
    stage = cdk.Stage.of(stack)
    assert stage is not None
    outdir = Path(stage.outdir)
    (staged,) = [path for path in outdir.iterdir() if path.name.startswith("asset.")]
    shipped = sorted(str(path.relative_to(staged)) for path in staged.rglob("*") if path.is_file())
    assert shipped == ["listimages/handler.py"]


def test_asset_ships_the_trimmed_botocore_models() -> None:
    # given the trimmed models of the repository's runtime (tools/botocore_models.py)
    models = list_images_api.runtime_asset_dir() / "listimages" / "botocore_data"
    expected = {path.relative_to(models).as_posix(): path.read_bytes() for path in models.rglob("*.json")}
    assert sorted(expected) == ["cloudformation/2010-05-15/service-2.json", "ec2/2016-11-15/service-2.json"]
    # when the stack is synthesized
    stack = build_stack()
    Template.from_stack(stack)
    stage = cdk.Stage.of(stack)
    assert stage is not None
    (staged,) = [path for path in Path(stage.outdir).iterdir() if path.name.startswith("asset.")]
    # then the function's asset holds them, byte for byte, where the runtime looks for them
    staged_models = staged / "listimages" / "botocore_data"
    shipped = {
        path.relative_to(staged_models).as_posix(): path.read_bytes()
        for path in staged_models.rglob("*")
        if path.is_file()
    }
    assert shipped == expected


@pytest.mark.parametrize(
    ("argument", "value"),
    [("allowed_regions", "us-east-1"), ("allowed_principal_arns", "arn:aws:iam::123456789012:root")],
)
def test_a_bare_string_where_a_list_is_expected_is_refused(argument: str, value: str) -> None:
    # given one value passed as a string instead of a list; then a clear TypeError, nothing built
    with pytest.raises(TypeError, match=f"{argument} must be a list"):
        build_stack({argument: value})


def test_a_timeout_without_room_above_the_runtime_reserve_is_refused() -> None:
    # given a subclass whose timeout leaves the runtime no time above its reserve of one worst-case AWS call
    class HastyListImagesApi(ListImagesApi):
        TIMEOUT = cdk.Duration.seconds(RUNTIME_CALL_RESERVE_SECONDS)

    stack = cdk.Stack(cdk.App(context=load_cdk_context()), "Hasty")
    # when it is built; then it fails clearly instead of answering every request with an empty page
    with pytest.raises(ValueError, match="at least 24 s"):
        HastyListImagesApi(stack, "ListImages")


def test_the_reserve_the_construct_assumes_is_the_runtime_s() -> None:
    # given the runtime's own reserve; then the construct's copy of it is the same number
    assert RUNTIME_CALL_RESERVE_SECONDS == images.CALL_RESERVE_SECONDS


def test_an_allow_list_without_the_stack_region_is_refused() -> None:
    # given a stack in us-east-1 whose allow-list leaves us-east-1 out
    env = cdk.Environment(account="123456789012", region="us-east-1")
    # when it is built; then it fails clearly: requests without `region` would all be refused
    with pytest.raises(ValueError, match="stack's own Region 'us-east-1'"):
        build_stack({"allowed_regions": ["eu-west-1"]}, env=env)


def _region_rules(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template's Rules other than CDK's bootstrap-version check."""
    rules = template.get("Rules", {})
    return {logical_id: rule for logical_id, rule in rules.items() if logical_id != "CheckBootstrapVersion"}


def test_an_environment_agnostic_allow_list_is_checked_by_a_cloudformation_rule(
    boundary_config: Template,
) -> None:
    # given an environment-agnostic stack with allowed_regions (us-east-1, eu-west-1): synth cannot know
    # the Region; when its template's rules are read
    (rule,) = _region_rules(boundary_config.to_json()).values()
    # then one rule, applying always, asserts at deployment that the stack's Region is in the allow-list
    (assertion,) = rule["Assertions"]
    assert "RuleCondition" not in rule
    assert assertion["Assert"] == {"Fn::Contains": [["us-east-1", "eu-west-1"], {"Ref": "AWS::Region"}]}
    assert "allowed_regions (us-east-1, eu-west-1)" in assertion["AssertDescription"]
    assert "stack's Region" in assertion["AssertDescription"]


def test_no_region_rule_without_an_allow_list_or_with_a_known_region(default_config: Template) -> None:
    # given no allow-list (default), and a stack pinned to a Region of its allow-list
    env = cdk.Environment(account="123456789012", region="eu-west-1")
    pinned = Template.from_stack(build_stack({"allowed_regions": ["eu-west-1"]}, env=env)).to_json()
    # then neither needs a deployment-time check (the pinned Region was checked at synth time)
    assert _region_rules(default_config.to_json()) == {}
    assert _region_rules(pinned) == {}


def test_a_timeout_at_the_api_gateway_limit_is_refused() -> None:
    # given a subclass that raises the function timeout to API Gateway's 29 s limit
    class SlowListImagesApi(ListImagesApi):
        TIMEOUT = cdk.Duration.seconds(API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS)

    stack = cdk.Stack(cdk.App(context=load_cdk_context()), "Slow")
    # when it is built; then it fails clearly instead of letting callers see 504s
    with pytest.raises(ValueError, match="below API Gateway"):
        SlowListImagesApi(stack, "ListImages")


# ------------------------------------------------------------------------------------ the option types
def test_the_construct_takes_exactly_the_fields_of_its_options_type() -> None:
    # given the construct's keyword arguments and the options dataclass ListImagesStack passes on
    parameters = {
        name: (parameter.annotation, parameter.default)
        for name, parameter in inspect.signature(ListImagesApi.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    fields = {field.name: (field.type, field.default) for field in dataclasses.fields(ListImagesApiOptions)}
    # then both have the same names, in order, with the same types and defaults
    assert list(parameters) == list(fields)
    assert parameters == fields


def test_the_construct_keeps_its_options_as_given() -> None:
    # given options away from their defaults; when the stack passes them to the construct
    options = ListImagesApiOptions(page_size=50, cloud_watch_role=False, create_invoker_role=True)
    # then the construct's options are exactly those
    assert build_stack(options).list_images.options == options


# ------------------------------------------------------------------------------------------- tokens
def test_token_valued_options_pass_validation_and_reach_the_template() -> None:
    # given a domain name, a page size and a Region list that synth cannot read (tokens; a token stage
    # name is refused by aws-cdk-lib itself, which names constructs after the stage)
    def options(stack: cdk.Stack) -> ListImagesApiOptions:
        domain_name = aws_ssm.StringParameter.value_for_string_parameter(stack, "/list-images/domain")
        # a number token is a float to the type checker; the construct takes it where it takes an int
        page_size = cast(int, cdk.CfnParameter(stack, "PageSize", type="Number").value_as_number)
        return ListImagesApiOptions(
            domain=imported_domain(stack, domain_name=domain_name),
            page_size=page_size,
            allowed_regions=[cdk.CfnParameter(stack, "Region").value_as_string],
        )

    # when synthesized (the hosted zone's name is known, the domain name is not)
    template = Template.from_stack(
        build_stack(options, env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    )
    # then nothing was refused, and CloudFormation receives the references to check at deployment
    domain = only_resource(template, "AWS::ApiGateway::DomainName")["Properties"]
    assert domain["DomainName"]["Ref"].startswith("SsmParameterValuelistimagesdomain")
    environment = _function(template)["Environment"]["Variables"]
    assert environment["LIST_IMAGES_PAGE_SIZE"] == {"Ref": "PageSize"}
    assert environment["LIST_IMAGES_ALLOWED_REGIONS"] == {"Ref": "Region"}


# ------------------------------------------------------------------------------- grant_invoke and policy
def test_grant_invoke_to_a_principal_the_resource_policy_denies_fails_at_synth() -> None:
    # given an API that admits one listed role only, and another role of the app
    stack = build_stack({"allowed_principal_arns": [f"arn:aws:iam::{ACCOUNT}:role/ImageBuilders"]})
    outsider = aws_iam.Role(stack, "Outsider", assumed_by=aws_iam.AccountRootPrincipal())
    # when the other role is granted invoke; then a clear error instead of a grant that yields 403s
    with pytest.raises(ValueError, match=r"grant_invoke refused: .* to allowed_principal_arns"):
        stack.list_images.grant_invoke(outsider)
    # and nothing was granted
    assert outsider.node.try_find_child("DefaultPolicy") is None


def test_grant_invoke_to_an_admitted_principal_is_allowed() -> None:
    # given a role of the app admitted by its ARN token, and a role of an admitted account
    def options(stack: cdk.Stack) -> ListImagesApiOptions:
        builders = aws_iam.Role(stack, "Builders", assumed_by=aws_iam.AccountRootPrincipal())
        return ListImagesApiOptions(
            allowed_principal_arns=[builders.role_arn, "arn:aws:iam::210987654321:root"]
        )

    stack = build_stack(options)
    builders = stack.node.find_child("Builders")
    assert isinstance(builders, aws_iam.Role)
    partner = aws_iam.Role.from_role_arn(stack, "Partner", "arn:aws:iam::210987654321:role/Partner")
    # when both are granted invoke; then both grants are made (the policy admits both)
    assert stack.list_images.grant_invoke(builders).success
    assert stack.list_images.grant_invoke(partner).success


def test_grant_invoke_to_another_account_on_a_private_api_fails_at_synth() -> None:
    # given a PRIVATE API (its policy admits the stack's account through the endpoints) in a known account
    stack = build_stack(
        lambda stack: ListImagesApiOptions(vpc_endpoints=[vpc_endpoint(stack, "vpce-0123456789abcdef0")]),
        env=cdk.Environment(account=ACCOUNT, region="us-east-1"),
    )
    own = aws_iam.Role(stack, "Own", assumed_by=aws_iam.AccountRootPrincipal())
    foreign = aws_iam.Role.from_role_arn(stack, "Foreign", "arn:aws:iam::210987654321:role/Other")
    # when each is granted; then the own-account role gets the grant and the other account is refused
    assert stack.list_images.grant_invoke(own).success
    with pytest.raises(ValueError, match="admits only principals of account 123456789012"):
        stack.list_images.grant_invoke(foreign)


# ------------------------------------------------------------------------------------ log encryption
def test_a_key_of_the_app_lets_cloud_watch_logs_of_the_region_encrypt_both_log_groups() -> None:
    # given a KMS key created in the same stack
    def options(stack: cdk.Stack) -> ListImagesApiOptions:
        key = aws_kms.Key(stack, "LogKey", enable_key_rotation=True)
        return ListImagesApiOptions(logging=LoggingOptions(encryption_key=key))

    stack = build_stack(options)
    template = Template.from_stack(stack)
    key_id = next(iter(resources_of_type(template, "AWS::KMS::Key")))
    prefix = log_groups.log_group_name_prefix(stack.list_images)
    # then both log groups use the key, under names starting with the construct's prefix and its log group id
    for construct_id, log_group in _log_groups_by_construct_id(stack, template).items():
        assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        name = json.dumps(log_group["Properties"]["LogGroupName"])
        assert f"{prefix}-{construct_id}-" in name
        assert "AWS::StackId" in name
    # and the key policy lets logs.<region>.amazonaws.com use it for those two groups only
    statements = template.to_json()["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (logs_statement,) = [s for s in statements if s.get("Sid", "").startswith("AllowCloudWatchLogs")]
    assert logs_statement["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    assert sorted(logs_statement["Action"]) == sorted(log_groups.CLOUD_WATCH_LOGS_KEY_ACTIONS)
    assert not any("*" in action for action in logs_statement["Action"])
    condition = json.dumps(logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert f":log-group:{prefix}-FunctionLogs-*" in condition
    assert f":log-group:{prefix}-AccessLogs-*" in condition
    # and no warning: the construct changed the key policy itself
    assert not Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("log encryption key"))


def test_an_imported_key_warns_what_its_key_policy_must_allow(boundary_config: Template) -> None:
    # given the configuration with an imported key; when its construct's annotations are read
    stack = synthesize_configuration("boundary_regions").stack
    prefix = log_groups.log_group_name_prefix(stack.list_images)
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("log encryption key"))
    # then one warning names the service principal and the log-group ARN pattern to allow
    (warning,) = warnings
    text = str(warning.entry.data)
    assert "logs.<region>.amazonaws.com" in text
    assert f"log-group:{prefix}-*" in text
    # and the imported key's ARN is still what both groups use
    for log_group in resources_of_type(boundary_config, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["KmsKeyId"] == KEY_ARN


def _log_groups_by_construct_id(stack: ListImagesStack, template: Template) -> dict[str, dict[str, Any]]:
    groups = {
        "FunctionLogs": stack.list_images.function_log_group,
        "AccessLogs": stack.list_images.access_log_group,
    }
    resources = resources_of_type(template, "AWS::Logs::LogGroup")
    return {
        construct_id: resources[stack.resolve(cast(cdk.CfnElement, group.node.default_child).logical_id)]
        for construct_id, group in groups.items()
    }
