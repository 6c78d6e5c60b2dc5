"""ListImagesApi: API Gateway REST API (IAM auth) -> one Lambda serving ParallelCluster's listImages.

The construct is self-contained and registers no cdk-nag packs: the embedding app chooses its packs.
Every finding the construct knowingly accepts is acknowledged on the narrowest construct it concerns.
All options are plain values (strings, numbers, enums), so an app can map CDK context onto them.

Example::

    from pcluster_list_images_cdk.list_images_api import ListImagesApi

    api = ListImagesApi(self, "ListImages", allowed_regions=["us-east-1", "eu-west-1"])
    api.grant_invoke(my_role)

Prerequisite: the stage always writes access logs, and API Gateway writes access logs (like execution logs)
only when the account has a CloudWatch Logs role for API Gateway in that Region (the account setting
``cloudWatchRoleArn``, CloudFormation ``AWS::ApiGateway::Account``). Without it the deployment fails with
"CloudWatch Logs role ARN must be set in account settings to enable logging". The construct does not
create that account-wide singleton unless asked (``create_account_cloud_watch_role=True``);
``ListImagesStack`` asks by default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import (
    Acknowledgment,
    Annotations,
    Aws,
    CfnOutput,
    CfnRule,
    CfnRuleAssertion,
    Duration,
    Fn,
    Names,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk.region_info import RegionInfo
from constructs import Construct, IConstruct

__all__ = ["GATEWAY_RESPONSES", "GatewayResponse", "ListImagesApi", "runtime_asset_dir"]

# API Gateway cuts a REST integration at 29 s; the function must answer before that.
API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29
# The runtime stops starting AWS calls when less than this is left (runtime/listimages CALL_RESERVE_SECONDS,
# one worst-case AWS call); the timeout must leave time to read above it, or every page would be empty.
RUNTIME_CALL_RESERVE_SECONDS = 19
MINIMUM_READING_SECONDS = 5

ROUTES = ("/images/custom", "/v3/images/custom")


@dataclass(frozen=True)
class GatewayResponse:
    """One customised API Gateway answer: its response type, status (None keeps each type's own) and body."""

    response_type: str
    construct_id: str
    status_code: str | None
    template: str


# API Gateway's own error answers, rewritten to the contract's {"message": ...} (API Gateway's defaults use
# "Message" for some IAM denials and echo ARNs). A gateway response template is plain substitution, no VTL;
# $context.error.messageString is the message as a quoted JSON string.
# - ACCESS_DENIED (IAM or resource-policy denial, unknown access key): API Gateway's message names the
#   caller's ARN and the execute-api resource ARN with the account id, so a fixed text; the full reason is
#   in the access log (errorMessage), found by the request id.
# - MISSING_AUTHENTICATION_TOKEN, INVALID_SIGNATURE, EXPIRED_TOKEN: the messages only describe what the
#   caller sent (a missing or incomplete Authorization header, the expected canonical request and
#   string-to-sign, a signature or token past its time): they help fix the signing and name no ARN or
#   account, so they are kept.
# - UNAUTHORIZED (401) belongs to custom and Cognito authorizers, which this API does not use: fixed text.
# - DEFAULT_4XX covers the rest (bad request body or parameters, 404, 413, 415, WAF, API keys): fixed
#   texts of API Gateway's own, kept. DEFAULT_5XX and INTEGRATION_TIMEOUT: fixed texts with the request
#   id, like the function's own 500.
_MESSAGE = '{"message": $context.error.messageString}'
_REQUEST_ID = "(request id: $context.requestId)"
GATEWAY_RESPONSES = (
    GatewayResponse(
        "ACCESS_DENIED",
        "AccessDeniedResponse",
        "403",
        '{"message": "Access denied: the signing credentials are not valid, or IAM policies or the API\'s '
        f'resource policy do not allow this caller to invoke this route {_REQUEST_ID}"}}',
    ),
    GatewayResponse("MISSING_AUTHENTICATION_TOKEN", "MissingAuthenticationTokenResponse", "403", _MESSAGE),
    GatewayResponse("INVALID_SIGNATURE", "InvalidSignatureResponse", "403", _MESSAGE),
    GatewayResponse("EXPIRED_TOKEN", "ExpiredTokenResponse", "403", _MESSAGE),
    GatewayResponse("UNAUTHORIZED", "UnauthorizedResponse", "401", '{"message": "Unauthorized"}'),
    GatewayResponse("THROTTLED", "ThrottledResponse", "429", '{"message": "Too Many Requests"}'),
    GatewayResponse(
        "INTEGRATION_TIMEOUT",
        "IntegrationTimeoutResponse",
        "504",
        f'{{"message": "Endpoint request timed out {_REQUEST_ID}"}}',
    ),
    GatewayResponse("DEFAULT_4XX", "Default4xxResponse", None, _MESSAGE),
    GatewayResponse(
        "DEFAULT_5XX", "Default5xxResponse", None, f'{{"message": "Internal server error {_REQUEST_ID}"}}'
    ),
)


def runtime_asset_dir() -> Path:
    """Return the Lambda asset root: next to this module in a wheel, at the repo root in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "runtime", here.parent / "runtime"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Lambda runtime directory not found next to {here} or its parent")


class ListImagesApi(Construct):
    """GET /images/custom and GET /v3/images/custom behind SigV4, served by one Lambda function.

    Parts exposed for composition: ``api``, ``function``, ``role`` (the function's role),
    ``function_log_group``, ``access_log_group``, ``invoker_role`` (or None), ``url``,
    ``methods`` and ``grant_invoke()``.

    The function's permissions live in one ``AWS::IAM::Policy`` of the construct's own (``FunctionPolicy``,
    attached to ``role``), which alone carries the construct's nag acknowledgments; the role carries no
    inline ``Policies`` and no managed policies. Anything added later to ``role`` (or granted to
    ``function``) lands in the role's CDK default policy, which is not acknowledged: nag judges it.

    Needs the account-level API Gateway CloudWatch role in the target Region (see the module docstring):
    pass ``create_account_cloud_watch_role=True`` from exactly one stack of the account and Region, or
    have it set up elsewhere.
    """

    # Lambda defaults: the newest Python runtime this CDK knows, Graviton, native JSON logs.
    RUNTIME = lambda_.Runtime.PYTHON_3_14
    ARCHITECTURE = lambda_.Architecture.ARM_64
    HANDLER = "listimages.handler.handle"
    DEFAULT_MEMORY_MB = 256
    TIMEOUT = Duration.seconds(25)
    DEFAULT_PAGE_SIZE = 1000
    # Seconds a client throttled by the stage should wait: the stage's token bucket refills every second.
    THROTTLED_RETRY_AFTER_SECONDS = 1
    # Caches and tests never ship: they bloat the zip and change the asset hash.
    ASSET_EXCLUDES = (
        "**/__pycache__",
        "**/*.pyc",
        "**/.pytest_cache",
        "**/.mypy_cache",
        "**/.ruff_cache",
        "**/tests",
        "**/test_*.py",
    )
    # Actions the runtime calls, nothing else (see runtime/listimages).
    RUNTIME_ACTIONS = ("cloudformation:DescribeStacks", "ec2:DescribeImages")
    # Actions AWS authorizes for those calls on top of their own: the CloudFormation API reference says a
    # DescribeStacks without StackName (the runtime's account-wide listing) "requires ListStacks and
    # DescribeStacks permissions". The runtime never calls ListStacks itself.
    AWS_REQUIRED_ACTIONS = ("cloudformation:ListStacks",)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage_name: str = "prod",
        page_size: int = DEFAULT_PAGE_SIZE,
        allowed_regions: Sequence[str] = (),
        log_level: str = "INFO",
        memory_size_mb: int = DEFAULT_MEMORY_MB,
        reserved_concurrent_executions: int | None = None,
        throttling_rate_limit: float = 10.0,
        throttling_burst_limit: int = 20,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        log_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_encryption_key_arn: str | None = None,
        private_vpc_endpoint_ids: Sequence[str] = (),
        allowed_principal_arns: Sequence[str] = (),
        create_invoker_role: bool = False,
        permissions_boundary_arn: str | None = None,
        web_acl_arn: str | None = None,
        domain_name: str | None = None,
        certificate_arn: str | None = None,
        hosted_zone_id: str | None = None,
        hosted_zone_name: str | None = None,
        disable_default_endpoint: bool = False,
        execution_logging_level: apigateway.MethodLoggingLevel | None = None,
        create_account_cloud_watch_role: bool = False,
        dangerously_allow_unauthenticated_access: bool = False,
    ) -> None:
        """Create the API, the function and their roles.

        Parameters
        ----------
        stage_name:
            API Gateway stage name; the URL ends in ``/<stage_name>/``.
        page_size:
            Most images per response page (``LIST_IMAGES_PAGE_SIZE``), 1..1000.
        allowed_regions:
            Regions callers may list; empty means every Region of the partition. Enforced by the
            runtime (``LIST_IMAGES_ALLOWED_REGIONS``) and by IAM (``aws:RequestedRegion``).
        log_level:
            Application log level of the function (Lambda native JSON logging), e.g. ``INFO``.
        memory_size_mb:
            Function memory in MB.
        reserved_concurrent_executions:
            Reserved concurrency of the function, at least 1; None (default) reserves none. (0 is
            refused: it would stop the function from ever running.)
        throttling_rate_limit, throttling_burst_limit:
            Stage-wide steady-state requests per second and burst.
        log_retention, log_removal_policy:
            Retention and removal policy of the function and access log groups.
        log_encryption_key_arn:
            KMS key encrypting both log groups; its key policy must let CloudWatch Logs of this Region
            use it. None (default): CloudWatch Logs' service-owned encryption.
        private_vpc_endpoint_ids:
            ``vpce-...`` ids: makes the API PRIVATE, reachable only through these interface endpoints.
        allowed_principal_arns:
            IAM principal ARNs admitted by a resource policy; every other caller is denied even with
            IAM permissions. Each is a role (``arn:<partition>:iam::<account>:role/<name>``: admits
            every session of the role), a user (``...:user/<name>``) or an account root
            (``...:<account>:root``: admits every IAM principal of that account whose own IAM
            policies allow the call). Role session ARNs (``arn:...:sts::...:assumed-role/...``),
            wildcards and ARNs of another partition than the stack's are refused. Empty (default)
            leaves access to the caller's IAM policies.
        create_invoker_role:
            Create a role (trusted by this account) allowed to invoke the two routes.
        permissions_boundary_arn:
            Managed policy ARN set as permissions boundary on every role this construct creates.
        web_acl_arn:
            WAFv2 web ACL (REGIONAL scope) to associate with the stage.
        domain_name, certificate_arn:
            Custom domain (TLS 1.2) with an ACM certificate of the stack's Region; both or neither.
        hosted_zone_id, hosted_zone_name:
            Route 53 zone in which to create an alias record for ``domain_name``; both or neither.
        disable_default_endpoint:
            Disable the ``execute-api`` endpoint so only the custom domain serves (needs a domain).
        execution_logging_level:
            Opt-in API Gateway execution logging (``MethodLoggingLevel``). Like the access logs, it
            needs the account-level API Gateway CloudWatch role.
        create_account_cloud_watch_role:
            Create the account-and-Region-wide API Gateway CloudWatch role and set it in the account
            settings (``AWS::ApiGateway::Account``, retained on stack deletion). Both access and
            execution logging need it. A singleton, so False by default here: opt in from one stack
            of the account and Region only (``ListImagesStack`` does by default).
        dangerously_allow_unauthenticated_access:
            Serve the routes WITHOUT authorization. Anyone who can reach the URL lists your images.
        """
        super().__init__(scope, construct_id)
        self._validate_options(
            timeout_seconds=self.TIMEOUT.to_seconds(),
            stack_region=Stack.of(self).region,
            stack_partition=_known_partition(Stack.of(self)),
            stage_name=stage_name,
            page_size=page_size,
            memory_size_mb=memory_size_mb,
            reserved_concurrent_executions=reserved_concurrent_executions,
            allowed_regions=allowed_regions,
            private_vpc_endpoint_ids=private_vpc_endpoint_ids,
            allowed_principal_arns=allowed_principal_arns,
            domain_name=domain_name,
            certificate_arn=certificate_arn,
            hosted_zone_id=hosted_zone_id,
            hosted_zone_name=hosted_zone_name,
            disable_default_endpoint=disable_default_endpoint,
            throttling_rate_limit=throttling_rate_limit,
            throttling_burst_limit=throttling_burst_limit,
        )
        self._stage_name = stage_name
        self._allowed_regions = tuple(allowed_regions)
        self._authorization_type = apigateway.AuthorizationType.IAM
        if dangerously_allow_unauthenticated_access:
            self._authorization_type = apigateway.AuthorizationType.NONE
            Annotations.of(self).add_warning_v2(
                "list-images:unauthenticated",
                "ListImagesApi serves GET /images/custom WITHOUT authorization: anyone who can reach the URL "
                "can list this account's images (dangerously_allow_unauthenticated_access=True).",
            )

        log_key = (
            kms.Key.from_key_arn(self, "LogEncryptionKey", log_encryption_key_arn)
            if log_encryption_key_arn is not None
            else None
        )
        self.function_log_group = self._build_log_group(
            "FunctionLogs", log_retention, log_removal_policy, log_key
        )
        self.access_log_group = self._build_log_group(
            "AccessLogs", log_retention, log_removal_policy, log_key
        )
        self.role = self._build_role()
        self._function_policy = self._build_function_policy()
        self.function = self._build_function(
            page_size=page_size,
            log_level=log_level,
            memory_size_mb=memory_size_mb,
            reserved_concurrent_executions=reserved_concurrent_executions,
        )
        self.invoker_role = self._build_invoker_role() if create_invoker_role else None
        admitted_principals = [*allowed_principal_arns]
        if self.invoker_role is not None and admitted_principals:
            admitted_principals.append(self.invoker_role.role_arn)
        self.api = self._build_api(
            private_vpc_endpoint_ids=tuple(private_vpc_endpoint_ids),
            admitted_principal_arns=admitted_principals,
            throttling_rate_limit=throttling_rate_limit,
            throttling_burst_limit=throttling_burst_limit,
            execution_logging_level=execution_logging_level,
            create_account_cloud_watch_role=create_account_cloud_watch_role,
            disable_default_endpoint=disable_default_endpoint,
        )
        self.methods = self._add_routes()
        self._add_gateway_responses()
        if self._allowed_regions and Token.is_unresolved(Stack.of(self).region):
            self._add_allowed_region_rule()
        if self.invoker_role is not None:
            self.grant_invoke(self.invoker_role)
        if web_acl_arn is not None:
            self._add_web_acl(web_acl_arn)
        self.url = self.api.url
        if domain_name is not None and certificate_arn is not None:
            self.url = self._add_custom_domain(domain_name, certificate_arn, hosted_zone_id, hosted_zone_name)
        if permissions_boundary_arn is not None:
            self._apply_permissions_boundary(permissions_boundary_arn)
        self._acknowledge_accepted_findings(
            log_encryption=log_encryption_key_arn is not None,
            web_acl=web_acl_arn is not None,
            execution_logging=execution_logging_level is not None,
            reserved_concurrency=reserved_concurrent_executions is not None,
            account_cloud_watch_role=create_account_cloud_watch_role,
        )

    # ----------------------------------------------------------------------------------------- API
    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call both GET routes of this API's stage (``execute-api:Invoke``)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[method.method_arn for method in self.methods],
        )

    def add_outputs(self, *, logical_id_prefix: str = "") -> list[CfnOutput]:
        """Add stack outputs with stable logical ids ``<prefix>ApiUrl``, ``<prefix>FunctionName``, ...

        Outputs are created in the enclosing stack, so two instances need two distinct prefixes
        (a duplicate prefix fails at synth time with a clear construct-id clash).
        """
        stack = Stack.of(self)
        values = {
            "ApiUrl": (self.url, "Base URL of the listImages API"),
            "ImagesCustomUrl": (f"{self.url}images/custom", "GET listImages (reference path)"),
            "V3ImagesCustomUrl": (f"{self.url}v3/images/custom", "GET listImages (ParallelCluster v3 path)"),
            "FunctionName": (self.function.function_name, "Lambda function serving listImages"),
        }
        if self.invoker_role is not None:
            values["InvokerRoleArn"] = (self.invoker_role.role_arn, "Role allowed to invoke the API")
        outputs = []
        for name, (value, description) in values.items():
            logical_id = f"{logical_id_prefix}{name}"
            output = CfnOutput(stack, logical_id, value=value, description=description)
            output.override_logical_id(logical_id)
            outputs.append(output)
        return outputs

    # ------------------------------------------------------------------------------------ building
    @staticmethod
    def _validate_options(
        *,
        timeout_seconds: float,
        stack_region: str,
        stack_partition: str | None,
        stage_name: str,
        page_size: int,
        memory_size_mb: int,
        reserved_concurrent_executions: int | None,
        allowed_regions: Sequence[str],
        private_vpc_endpoint_ids: Sequence[str],
        allowed_principal_arns: Sequence[str],
        domain_name: str | None,
        certificate_arn: str | None,
        hosted_zone_id: str | None,
        hosted_zone_name: str | None,
        disable_default_endpoint: bool,
        throttling_rate_limit: float,
        throttling_burst_limit: int,
    ) -> None:
        """Reject contradictory or malformed options before anything is built (tokens pass unchecked)."""
        if not _STAGE_NAME.match(stage_name):
            raise ValueError(f"stage_name must be letters, digits, '-' or '_', got {stage_name!r}")
        if not 1 <= page_size <= 1000:
            raise ValueError(f"page_size must be between 1 and 1000, got {page_size}")
        if not 128 <= memory_size_mb <= 10240:
            raise ValueError(f"memory_size_mb must be between 128 and 10240, got {memory_size_mb}")
        if reserved_concurrent_executions is not None and reserved_concurrent_executions < 1:
            raise ValueError(
                "reserved_concurrent_executions must be None (no reservation) or at least 1, got "
                f"{reserved_concurrent_executions}: 0 would throttle every invocation, so the API could only "
                "answer errors"
            )
        _require_pattern("allowed_regions", allowed_regions, _REGION_NAME)
        _require_pattern("private_vpc_endpoint_ids", private_vpc_endpoint_ids, _VPC_ENDPOINT_ID)
        _check_principal_arns(allowed_principal_arns, stack_partition)
        if (domain_name is None) != (certificate_arn is None):
            raise ValueError("domain_name and certificate_arn must be given together")
        if (hosted_zone_id is None) != (hosted_zone_name is None):
            raise ValueError("hosted_zone_id and hosted_zone_name must be given together")
        if hosted_zone_name is not None and domain_name is None:
            raise ValueError("hosted_zone_id/hosted_zone_name need domain_name")
        if (
            hosted_zone_name is not None
            and domain_name is not None
            and not _in_zone(domain_name, hosted_zone_name)
        ):
            raise ValueError(f"domain_name {domain_name!r} is not inside hosted zone {hosted_zone_name!r}")
        if disable_default_endpoint and domain_name is None:
            raise ValueError("disable_default_endpoint needs a custom domain (domain_name)")
        if private_vpc_endpoint_ids and domain_name is not None:
            raise ValueError("a custom domain is not supported together with a PRIVATE endpoint")
        if throttling_rate_limit <= 0 or throttling_burst_limit <= 0:
            raise ValueError("throttling limits must be positive")
        if timeout_seconds >= API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS:
            raise ValueError("the function timeout must stay below API Gateway's 29 s integration limit")
        shortest_timeout = RUNTIME_CALL_RESERVE_SECONDS + MINIMUM_READING_SECONDS
        if timeout_seconds < shortest_timeout:
            raise ValueError(
                f"the function timeout must be at least {shortest_timeout} s: the runtime keeps one "
                "worst-case AWS call in reserve and needs time to read pages"
            )
        # Requests without `region` list the stack's own Region; an allow-list without it refuses them all.
        if allowed_regions and not Token.is_unresolved(stack_region) and stack_region not in allowed_regions:
            raise ValueError(f"allowed_regions must include the stack's own Region {stack_region!r}")

    def _build_log_group(
        self,
        construct_id: str,
        retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        encryption_key: kms.IKey | None,
    ) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            construct_id,
            retention=retention,
            removal_policy=removal_policy,
            encryption_key=encryption_key,
        )

    def _build_role(self) -> iam.Role:
        return iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="listImages function: read AMIs and CloudFormation stacks, write its own logs",
        )

    def _build_function_policy(self) -> iam.Policy:
        """Every permission the function needs, in a policy of this construct (not the role's default one).

        The nag acknowledgments sit on this policy, so they cover these statements only; whatever an
        embedding stack later adds to the role goes to the role's default policy and is judged by nag.
        """
        region_condition = (
            {"StringEquals": {"aws:RequestedRegion": list(self._allowed_regions)}}
            if self._allowed_regions
            else None
        )
        return iam.Policy(
            self,
            "FunctionPolicy",
            roles=[self.role],
            statements=[
                # None of these actions supports resource-level permissions for an account-wide listing.
                iam.PolicyStatement(
                    sid="ListImageSources",
                    actions=[*self.RUNTIME_ACTIONS, *self.AWS_REQUIRED_ACTIONS],
                    resources=["*"],
                    conditions=region_condition,
                ),
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.function_log_group.log_group_arn],
                ),
                # Active tracing: the Lambda service sends segments with the role; X-Ray has no resources.
                iam.PolicyStatement(
                    sid="SendTraces",
                    actions=["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                    resources=["*"],
                ),
            ],
        )

    def _build_function(
        self,
        *,
        page_size: int,
        log_level: str,
        memory_size_mb: int,
        reserved_concurrent_executions: int | None,
    ) -> lambda_.Function:
        function = lambda_.Function(
            self,
            "Function",
            description="ParallelCluster-compatible listImages (GET /images/custom)",
            runtime=self.RUNTIME,
            architecture=self.ARCHITECTURE,
            handler=self.HANDLER,
            code=lambda_.Code.from_asset(str(runtime_asset_dir()), exclude=list(self.ASSET_EXCLUDES)),
            memory_size=memory_size_mb,
            timeout=self.TIMEOUT,
            role=self.role,
            log_group=self.function_log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel(log_level.upper()),
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            reserved_concurrent_executions=reserved_concurrent_executions,
            environment={
                "LIST_IMAGES_PAGE_SIZE": str(page_size),
                "LIST_IMAGES_ALLOWED_REGIONS": ",".join(self._allowed_regions),
            },
        )
        # Active tracing set on the L1 resource: the L2 ``tracing`` prop would add its X-Ray statement to
        # the role's default policy, where it would need an acknowledgment that then also covered
        # anything an embedder adds there. The statement is in FunctionPolicy instead.
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        # Created only once its permissions are (CDK does the same for the role's default policy).
        function.node.add_dependency(self._function_policy)
        return function

    def _build_invoker_role(self) -> iam.Role:
        return iam.Role(
            self,
            "InvokerRole",
            assumed_by=iam.AccountRootPrincipal(),
            description="May call GET /images/custom and GET /v3/images/custom of the listImages API",
        )

    def _build_api(
        self,
        *,
        private_vpc_endpoint_ids: tuple[str, ...],
        admitted_principal_arns: Sequence[str],
        throttling_rate_limit: float,
        throttling_burst_limit: int,
        execution_logging_level: apigateway.MethodLoggingLevel | None,
        create_account_cloud_watch_role: bool,
        disable_default_endpoint: bool,
    ) -> apigateway.RestApi:
        api = apigateway.RestApi(
            self,
            "Api",
            # Derived from the construct path: readable, and distinct for two instances in one app.
            rest_api_name=Names.unique_id(self),
            description="ParallelCluster-compatible listImages",
            endpoint_configuration=self._endpoint_configuration(private_vpc_endpoint_ids),
            policy=self._resource_policy(private_vpc_endpoint_ids, admitted_principal_arns),
            cloud_watch_role=create_account_cloud_watch_role,
            disable_execute_api_endpoint=disable_default_endpoint,
            deploy_options=apigateway.StageOptions(
                stage_name=self._stage_name,
                throttling_rate_limit=throttling_rate_limit,
                throttling_burst_limit=throttling_burst_limit,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=self._access_log_format(),
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=execution_logging_level or apigateway.MethodLoggingLevel.OFF,
                data_trace_enabled=False,
            ),
        )
        # RestApi adds an unpinned "Endpoint" output; outputs are the embedding stack's choice
        # (see add_outputs), so drop it.
        api.node.try_remove_child("Endpoint")
        return api

    def _endpoint_configuration(self, vpc_endpoint_ids: tuple[str, ...]) -> apigateway.EndpointConfiguration:
        if not vpc_endpoint_ids:
            return apigateway.EndpointConfiguration(types=[apigateway.EndpointType.REGIONAL])
        endpoints = [
            ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
                self, f"VpcEndpoint{index}", vpc_endpoint_id=endpoint_id, port=443
            )
            for index, endpoint_id in enumerate(vpc_endpoint_ids)
        ]
        return apigateway.EndpointConfiguration(
            types=[apigateway.EndpointType.PRIVATE], vpc_endpoints=endpoints
        )

    def _route_resource_arns(self) -> list[str]:
        # The execute-api shorthand resolves to this API; its own ARN would be a circular reference.
        return [f"execute-api:/{self._stage_name}/GET{route}" for route in ROUTES]

    def _resource_policy(
        self, vpc_endpoint_ids: tuple[str, ...], admitted_principal_arns: Sequence[str]
    ) -> iam.PolicyDocument | None:
        if not vpc_endpoint_ids and not admitted_principal_arns:
            return None  # REGIONAL without a principal list: callers' IAM policies decide.
        routes = self._route_resource_arns()
        principals: list[iam.IPrincipal] = (
            [iam.ArnPrincipal(arn) for arn in admitted_principal_arns]
            if admitted_principal_arns
            else [iam.AccountRootPrincipal()]
        )
        statements = [
            iam.PolicyStatement(
                sid="AllowListImages",
                effect=iam.Effect.ALLOW,
                principals=principals,
                actions=["execute-api:Invoke"],
                resources=routes,
            )
        ]
        if admitted_principal_arns:
            statements.append(
                _deny_invoke_when("DenyOtherPrincipals", _other_principals(admitted_principal_arns))
            )
        if vpc_endpoint_ids:
            statements.append(
                _deny_invoke_when(
                    "DenyOutsideVpcEndpoints", {"StringNotEquals": {"aws:SourceVpce": list(vpc_endpoint_ids)}}
                )
            )
        return iam.PolicyDocument(statements=statements)

    @staticmethod
    def _access_log_format() -> apigateway.AccessLogFormat:
        field = apigateway.AccessLogField
        return apigateway.AccessLogFormat.custom(
            json.dumps(
                {
                    "requestId": field.context_request_id(),
                    "extendedRequestId": field.context_extended_request_id(),
                    "requestTime": field.context_request_time(),
                    "httpMethod": field.context_http_method(),
                    "resourcePath": field.context_resource_path(),
                    "status": field.context_status(),
                    "responseLatency": field.context_response_latency(),
                    "callerArn": field.context_identity_user_arn(),
                    "callerAccountId": field.context_identity_account_id(),
                    "sourceIp": field.context_identity_source_ip(),
                    "userAgent": field.context_identity_user_agent(),
                    "integrationStatus": field.context_integration_status(),
                    "integrationLatency": field.context_integration_latency(),
                    "errorMessage": field.context_error_message(),
                    "integrationErrorMessage": field.context_integration_error_message(),
                    "xrayTraceId": field.context_xray_trace_id(),
                }
            )
        )

    def _add_routes(self) -> list[apigateway.Method]:
        # The gateway cannot require imageStatus: the contract accepts it from a JSON body too, and
        # answers its absence with its own message. Parameters are declared for documentation only.
        validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigateway.LambdaIntegration(self.function, proxy=True, allow_test_invoke=False)
        query_parameters = {
            f"method.request.querystring.{name}": False for name in ("imageStatus", "region", "nextToken")
        }
        methods = []
        for route in ROUTES:
            resource = self.api.root.resource_for_path(route)
            methods.append(
                resource.add_method(
                    "GET",
                    integration,
                    authorization_type=self._authorization_type,
                    request_validator=validator,
                    request_parameters=query_parameters,
                )
            )
        return methods

    def _add_gateway_responses(self) -> None:
        """Make API Gateway's own error answers ``{"message": ...}`` like the function's, without ARNs.

        See ``GATEWAY_RESPONSES``; DEFAULT_4XX/DEFAULT_5XX set no status, so every type they cover keeps
        its own (setting one there would change the status of all of them).
        """
        for response in GATEWAY_RESPONSES:
            headers = (
                {"Retry-After": f"'{self.THROTTLED_RETRY_AFTER_SECONDS}'"}
                if response.response_type == "THROTTLED"
                else None
            )
            self.api.add_gateway_response(
                response.construct_id,
                type=apigateway.ResponseType.of(response.response_type),
                status_code=response.status_code,
                response_headers=headers,
                templates={"application/json": response.template},
            )

    def _add_allowed_region_rule(self) -> None:
        """Refuse, at deployment, a Region outside ``allowed_regions`` when synth could not know the Region.

        Requests without ``region`` list the stack's own Region; outside the allow-list every one of them
        would be a 400. A known Region is checked at synth time instead (see ``_validate_options``).
        """
        CfnRule(
            self,
            "AllowedRegionsIncludeStackRegion",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_contains(list(self._allowed_regions), Aws.REGION),
                    assert_description=(
                        "ListImagesApi: this stack's Region must be one of allowed_regions "
                        f"({', '.join(self._allowed_regions)}): requests without a region list the stack's "
                        "own Region, so any other Region would refuse them all. Deploy to one of those "
                        "Regions or add this Region to allowed_regions."
                    ),
                )
            ],
        )

    def _add_web_acl(self, web_acl_arn: str) -> None:
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=web_acl_arn,
        )

    def _add_custom_domain(
        self,
        domain_name: str,
        certificate_arn: str,
        hosted_zone_id: str | None,
        hosted_zone_name: str | None,
    ) -> str:
        certificate = acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
        domain = self.api.add_domain_name(
            "CustomDomain",
            domain_name=domain_name,
            certificate=certificate,
            endpoint_type=apigateway.EndpointType.REGIONAL,
            security_policy=apigateway.SecurityPolicy.TLS_1_2,
        )
        if hosted_zone_id is not None and hosted_zone_name is not None:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "HostedZone", hosted_zone_id=hosted_zone_id, zone_name=hosted_zone_name
            )
            route53.ARecord(
                self,
                "AliasRecord",
                zone=zone,
                record_name=domain_name,
                target=route53.RecordTarget.from_alias(route53_targets.ApiGatewayDomain(domain)),
            )
        return f"https://{domain_name}/"

    def _apply_permissions_boundary(self, boundary_arn: str) -> None:
        boundary = iam.ManagedPolicy.from_managed_policy_arn(self, "PermissionsBoundary", boundary_arn)
        iam.PermissionsBoundary.of(self).apply(boundary)

    # -------------------------------------------------------------------------- nag acknowledgments
    def _acknowledge_accepted_findings(
        self,
        *,
        log_encryption: bool,
        web_acl: bool,
        execution_logging: bool,
        reserved_concurrency: bool,
        account_cloud_watch_role: bool,
    ) -> None:
        """Acknowledge, on the narrowest construct, the findings this design accepts (see the README)."""
        # On the construct's own policy, never on the role's default policy (see _build_function_policy).
        _acknowledge(self._function_policy, "AwsSolutions-IAM5[Resource::*]", _WILDCARD_RESOURCE_REASON)
        _acknowledge(self._function_policy, "NIST.800.53.R5-IAMNoInlinePolicy", _INLINE_POLICY_REASON)
        if account_cloud_watch_role:
            cloud_watch_role = self.api.node.find_child("CloudWatchRole")
            _acknowledge(
                cloud_watch_role, _PUSH_TO_CLOUD_WATCH_LOGS_FINDING, _PUSH_TO_CLOUD_WATCH_LOGS_REASON
            )
        if self.invoker_role is not None:
            invoker_policy = self.invoker_role.node.find_child("DefaultPolicy")
            _acknowledge(invoker_policy, "NIST.800.53.R5-IAMNoInlinePolicy", _INLINE_POLICY_REASON)
        for rule_id in ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            _acknowledge(self.function, rule_id, _DLQ_REASON)
        _acknowledge(self.function, "NIST.800.53.R5-LambdaInsideVPC", _NO_VPC_REASON)
        if not reserved_concurrency:
            _acknowledge(self.function, "NIST.800.53.R5-LambdaConcurrency", _NO_RESERVED_CONCURRENCY_REASON)
        if not log_encryption:
            for log_group in (self.function_log_group, self.access_log_group):
                _acknowledge(log_group, "NIST.800.53.R5-CloudWatchLogGroupEncrypted", _LOG_ENCRYPTION_REASON)
        stage = self.api.deployment_stage
        _acknowledge(stage, "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted", _NO_CACHE_REASON)
        _acknowledge(stage, "NIST.800.53.R5-APIGWSSLEnabled", _NO_CLIENT_CERTIFICATE_REASON)
        if not web_acl:
            for rule_id in ("AwsSolutions-APIG3", "NIST.800.53.R5-APIGWAssociatedWithWAF"):
                _acknowledge(stage, rule_id, _NO_WAF_REASON)
        if not execution_logging:
            for rule_id in ("AwsSolutions-APIG6", "NIST.800.53.R5-APIGWExecutionLoggingEnabled"):
                _acknowledge(stage, rule_id, _NO_EXECUTION_LOGGING_REASON)
        if self._authorization_type == apigateway.AuthorizationType.IAM:
            for method in self.methods:
                _acknowledge(method, "AwsSolutions-COG4", _IAM_NOT_COGNITO_REASON)
        # Unauthenticated access is deliberately NOT acknowledged: the embedding app must do it.


_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_VPC_ENDPOINT_ID = re.compile(r"^vpce-[0-9a-f]+$")
_PRINCIPAL_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>\S+)$"
)
# Role and user names (with an optional path) as IAM allows them; no wildcards.
_ROLE_OR_USER = re.compile(r"^(role|user)/([\w+=,.@-]+/)*[\w+=,.@-]+$")


def _known_partition(stack: Stack) -> str | None:
    """The stack's partition when synth can know it (a concrete Region), else None."""
    if not Token.is_unresolved(stack.partition):
        return stack.partition
    if Token.is_unresolved(stack.region):
        return None
    partition: str | None = RegionInfo.get(stack.region).partition
    return partition


def _check_principal_arns(arns: Sequence[str], stack_partition: str | None) -> None:
    """Refuse principal ARNs that the resource policy could never admit (tokens pass unchecked)."""
    if isinstance(arns, str):
        raise TypeError("allowed_principal_arns must be a list of strings, not a string")
    partitions = set()
    for arn in arns:
        if Token.is_unresolved(arn):
            continue
        match = _PRINCIPAL_ARN.match(arn)
        if match is None:
            raise ValueError(f"allowed_principal_arns: malformed value {arn!r}")
        partition, service, account, resource = match.group("partition", "service", "account", "resource")
        if service == "sts" and resource.startswith("assumed-role/"):
            role_name = resource.split("/")[1]
            raise ValueError(
                f"allowed_principal_arns: {arn!r} is a role session; give the role's ARN instead "
                f"(arn:{partition}:iam::{account}:role/{role_name}, with its path if it has one). "
                "API Gateway sees every session of a role as the role (aws:PrincipalArn), so a session ARN "
                "never matches"
            )
        if service != "iam" or not (resource == "root" or _ROLE_OR_USER.match(resource)):
            raise ValueError(
                f"allowed_principal_arns: {arn!r} is not a role, user or account root ARN "
                "(arn:<partition>:iam::<account>:role/<name>, ...:user/<name> or ...:root; no wildcards)"
            )
        if stack_partition is not None and partition != stack_partition:
            raise ValueError(
                f"allowed_principal_arns: {arn!r} is in partition {partition!r}, but the stack deploys to "
                f"partition {stack_partition!r}: its principals can never call this API"
            )
        partitions.add(partition)
    if len(partitions) > 1:
        raise ValueError(f"allowed_principal_arns mixes partitions {sorted(partitions)}: one API serves one")


def _other_principals(admitted_principal_arns: Sequence[str]) -> dict[str, Any]:
    """Conditions true for a caller that no admitted ARN covers (conditions of a statement are ANDed).

    A role or user is matched by ``aws:PrincipalArn`` (the role's ARN for each of its sessions); an
    account root admits every principal of that account, so it is matched by ``aws:PrincipalAccount``.
    """
    accounts = [
        arn.split(":")[4]
        for arn in admitted_principal_arns
        if not Token.is_unresolved(arn) and arn.endswith(":root")
    ]
    principals = [
        arn for arn in admitted_principal_arns if Token.is_unresolved(arn) or not arn.endswith(":root")
    ]
    conditions: dict[str, Any] = {}
    if principals:
        conditions["ArnNotLike"] = {"aws:PrincipalArn": principals}
    if accounts:
        conditions["StringNotEquals"] = {"aws:PrincipalAccount": accounts}
    return conditions


def _deny_invoke_when(sid: str, conditions: dict[str, Any]) -> iam.PolicyStatement:
    """Deny every invocation meeting ``conditions``: the negation of what the policy admits."""
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["execute-api:Invoke"],
        resources=["execute-api:/*"],
        conditions=conditions,
    )


def _require_pattern(argument: str, values: Sequence[str], pattern: re.Pattern[str]) -> None:
    if isinstance(values, str):  # a bare string would be read character by character
        raise TypeError(f"{argument} must be a list of strings, not a string")
    for value in values:
        if not Token.is_unresolved(value) and not pattern.match(value):
            raise ValueError(f"{argument}: malformed value {value!r}")


def _in_zone(domain_name: str, zone_name: str) -> bool:
    domain, zone = domain_name.rstrip(".").lower(), zone_name.rstrip(".").lower()
    return domain == zone or domain.endswith("." + zone)


def _acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


# Reasons for the accepted nag findings; the README lists them too.
_WILDCARD_RESOURCE_REASON = (
    "Resource * only for actions without resource-level permissions: ec2:DescribeImages, "
    "xray:PutTraceSegments/PutTelemetryRecords, cloudformation:ListStacks, and "
    "cloudformation:DescribeStacks without a StackName (it lists every stack of the Region and is not "
    "authorized against a stack ARN). "
    "The log statement is scoped to the function's own log group."
)
_INLINE_POLICY_REASON = (
    "The policy belongs to this one role alone and is created and deleted with it; a managed policy "
    "could be attached to other principals and outlive the role it was written for."
)
_DLQ_REASON = (
    "API Gateway invokes the function synchronously: the caller receives every error, and a dead-letter "
    "target only ever receives failed asynchronous invocations."
)
_NO_VPC_REASON = (
    "The function only calls public AWS APIs (EC2, CloudFormation, X-Ray, CloudWatch Logs) and reaches no "
    "private resource; a VPC would add NAT or interface endpoints without reducing exposure."
)
_NO_RESERVED_CONCURRENCY_REASON = (
    "Reserved concurrency is opt-in (reserved_concurrent_executions) because it takes capacity from the "
    "account's shared pool; the stage's rate and burst throttling already bounds invocations."
)
_LOG_ENCRYPTION_REASON = (
    "CloudWatch Logs encrypts this log group at rest with service-owned keys; it holds request metadata "
    "and function logs, no secrets or customer data, so a customer-managed KMS key would add a key and "
    "key policy to manage without protecting anything more."
)
_NO_CACHE_REASON = (
    "Responses reflect live account state (image builds progress) and must not be served stale; no "
    "cache cluster exists, so there is no cache data to encrypt."
)
_NO_CLIENT_CERTIFICATE_REASON = (
    "Client certificates authenticate API Gateway to HTTP backends; the only integration is a Lambda "
    "proxy invoked through the Lambda API with IAM, which cannot use them."
)
_NO_WAF_REASON = (
    "WAF is opt-in (web_acl_arn): every method requires SigV4, so API Gateway rejects unsigned traffic "
    "before the integration, and stage throttling bounds the signed request rate."
)
_NO_EXECUTION_LOGGING_REASON = (
    "Execution logging is opt-in (execution_logging_level): the JSON access logs already record every "
    "request (caller ARN, status, integration status and latency, errors), while execution logs go to a "
    "log group that API Gateway creates itself (API-Gateway-Execution-Logs_<api id>/<stage>), outside this "
    "stack's retention, encryption and removal settings."
)
_PUSH_TO_CLOUD_WATCH_LOGS_FINDING = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AmazonAPIGatewayPushToCloudWatchLogs]"
)
_PUSH_TO_CLOUD_WATCH_LOGS_REASON = (
    "AmazonAPIGatewayPushToCloudWatchLogs is the AWS managed policy that API Gateway documents for the "
    "account-level CloudWatch Logs role of API Gateway (logging for every API of the account and Region); "
    "AWS keeps it in step with what API Gateway's log delivery needs, and this role serves nothing else."
)
_IAM_NOT_COGNITO_REASON = (
    "The method uses IAM (SigV4) authorization, as ParallelCluster's clients expect; callers are AWS "
    "principals, not Cognito user-pool users."
)
