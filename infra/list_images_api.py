"""ListImagesApi: API Gateway REST API (IAM auth) -> one Lambda serving ParallelCluster's listImages.

The construct is self-contained and registers no cdk-nag packs: the embedding app chooses its packs.
Every finding the construct knowingly accepts is acknowledged on the narrowest construct it concerns
(``acknowledgments.py``). Options are typed references and small structs (``options.py``).

Example::

    from pcluster_list_images_cdk import ListImagesApi, LoggingOptions

    api = ListImagesApi(self, "ListImages", logging=LoggingOptions(encryption_key=key))
    api.grant_invoke(my_role)

Prerequisite: the stage always writes access logs, and API Gateway writes access logs (like execution logs)
only when the account has a CloudWatch Logs role for API Gateway in that Region (the account setting
``cloudWatchRoleArn``, CloudFormation ``AWS::ApiGateway::Account``). Without it the deployment fails with
"CloudWatch Logs role ARN must be set in account settings to enable logging". The construct does not
create that account-wide singleton unless asked (``cloud_watch_role=True``); ``ListImagesStack`` asks by
default.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import (
    Annotations,
    CfnOutput,
    Duration,
    Names,
    Stack,
    Token,
    Tokenization,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from .acknowledgments import acknowledge_accepted_findings
from .gateway_responses import add_gateway_responses
from .log_groups import access_log_format, allow_cloud_watch_logs, encrypted_log_group_name
from .monitoring import PERIOD, ListImagesMonitoring
from .options import (
    DEFAULT_LOGGING,
    DEFAULT_MEMORY_SIZE_MB,
    DEFAULT_THROTTLING,
    CustomDomain,
    ListImagesApiOptions,
    LoggingOptions,
)
from .resource_policy import build_resource_policy, unadmitted_grantee_reason
from .validation import add_allowed_region_rule, validate_options

__all__ = ["ROUTES", "ListImagesApi", "runtime_asset_dir"]

ROUTES = ("/images/custom", "/v3/images/custom")


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
    ``function_policy``, ``function_log_group``, ``access_log_group``, ``invoker_role`` (or None), ``url``,
    ``methods``, ``options`` (the options as one ``ListImagesApiOptions``), ``grant_invoke()`` and
    ``add_outputs()``; for operators ``metric_*()``, ``add_alarms()``, ``add_dashboard()`` and
    ``monitoring`` (see docs/operations.md).

    The function's permissions live in one ``AWS::IAM::Policy`` of the construct's own (``FunctionPolicy``,
    attached to ``role``), which alone carries the construct's nag acknowledgments; the role carries no
    inline ``Policies`` and no managed policies. Anything added later to ``role`` (or granted to
    ``function``) lands in the role's CDK default policy, which is not acknowledged: nag judges it.
    """

    # Lambda defaults: the newest Python runtime, Graviton, native JSON logs.
    RUNTIME = lambda_.Runtime.PYTHON_3_14
    ARCHITECTURE = lambda_.Architecture.ARM_64
    HANDLER = "listimages.handler.handle"
    # The alias API Gateway invokes when provisioned concurrency or SnapStart is on.
    ALIAS_NAME = "live"
    TIMEOUT = Duration.seconds(25)
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
        page_size: int = 1000,
        allowed_regions: Sequence[str] = (),
        memory_size_mb: int = DEFAULT_MEMORY_SIZE_MB,
        reserved_concurrent_executions: int | None = None,
        provisioned_concurrency: int | None = None,
        snap_start: bool = False,
        throttling: apigateway.ThrottleSettings | None = None,
        logging: LoggingOptions = DEFAULT_LOGGING,
        vpc_endpoints: Sequence[ec2.IInterfaceVpcEndpoint] = (),
        domain: CustomDomain | None = None,
        allowed_principal_arns: Sequence[str] = (),
        create_invoker_role: bool = False,
        permissions_boundary: iam.IManagedPolicy | None = None,
        web_acl_arn: str | None = None,
        cloud_watch_role: bool | None = None,
        dangerously_allow_unauthenticated_access: bool = False,
    ) -> None:
        """Create the API, the function and their roles.

        The keyword arguments are the fields of ``ListImagesApiOptions``, with the same names, types and
        defaults; each is documented there (and in docs/construct.md).
        """
        super().__init__(scope, construct_id)
        self.options = ListImagesApiOptions(
            stage_name=stage_name,
            page_size=page_size,
            allowed_regions=allowed_regions,
            memory_size_mb=memory_size_mb,
            reserved_concurrent_executions=reserved_concurrent_executions,
            provisioned_concurrency=provisioned_concurrency,
            snap_start=snap_start,
            throttling=throttling,
            logging=logging,
            vpc_endpoints=vpc_endpoints,
            domain=domain,
            allowed_principal_arns=allowed_principal_arns,
            create_invoker_role=create_invoker_role,
            permissions_boundary=permissions_boundary,
            web_acl_arn=web_acl_arn,
            cloud_watch_role=cloud_watch_role,
            dangerously_allow_unauthenticated_access=dangerously_allow_unauthenticated_access,
        )
        validate_options(self.options, stack=Stack.of(self), timeout_seconds=self.TIMEOUT.to_seconds())
        self.authorization_type = self._authorization_type()

        self.function_log_group = self._build_log_group("FunctionLogs")
        self.access_log_group = self._build_log_group("AccessLogs")
        self.role = self._build_role()
        self.function_policy = self._build_function_policy()
        self.function = self._build_function()
        # What API Gateway invokes: a published version's alias when Lambda initialises ahead of requests.
        self.alias = self._build_alias() if provisioned_concurrency or snap_start else None
        self.invoker_role = self._build_invoker_role() if create_invoker_role else None
        self._admitted_principal_arns = self._admitted_principals()
        self.api = self._build_api()
        self.methods = self._add_routes()
        add_gateway_responses(self.api)
        if allowed_regions and Token.is_unresolved(Stack.of(self).region):
            add_allowed_region_rule(self, allowed_regions)
        if self.invoker_role is not None:
            self.grant_invoke(self.invoker_role)
        if web_acl_arn is not None:
            self._add_web_acl(web_acl_arn)
        self.url = self._add_custom_domain(domain) if domain is not None else self.api.url
        if permissions_boundary is not None:
            iam.PermissionsBoundary.of(self).apply(permissions_boundary)
        acknowledge_accepted_findings(self)
        self._monitoring: ListImagesMonitoring | None = None

    # ----------------------------------------------------------------------------------------- API
    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call both GET routes of this API's stage (``execute-api:Invoke``).

        Raises ``ValueError`` when the API's resource policy would deny the grantee anyway (a principal
        list without it, or another account calling a PRIVATE API): such a grant could only ever yield
        403s. The resource policy is the API owner's allow-list, so a grant never widens it: add the
        grantee to ``allowed_principal_arns`` instead.
        """
        reason = unadmitted_grantee_reason(grantee, self._admitted_principal_arns, Stack.of(self).account)
        if reason is not None:
            raise ValueError(f"{self.node.path}: grant_invoke refused: {reason}")
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[method.method_arn for method in self.methods],
        )

    def add_outputs(self, *, logical_id_prefix: str | None = None) -> list[CfnOutput]:
        """Add outputs ``<prefix>ApiUrl``, ``<prefix>ImagesCustomUrl``, ``<prefix>V3ImagesCustomUrl``, ...

        The prefix defaults to this construct's path below its stack (``ListImages`` for a construct of
        id ``ListImages`` directly in the stack), so two instances never share an output id, and the
        outputs are children of this construct, so their construct ids never clash with the stack's own.
        """
        prefix = self._output_prefix() if logical_id_prefix is None else logical_id_prefix
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
            output = CfnOutput(self, f"{name}Output", value=value, description=description)
            output.override_logical_id(f"{prefix}{name}")
            outputs.append(output)
        return outputs

    # ---------------------------------------------------------------------------------- monitoring
    @property
    def monitoring(self) -> ListImagesMonitoring:
        """This API's metrics, alarms and dashboard (``infra/monitoring.py``), created on first use."""
        if self._monitoring is None:
            self._monitoring = ListImagesMonitoring(
                self,
                "Monitoring",
                stage=self.api.deployment_stage,
                function=self.function,
                function_log_group=self.function_log_group,
            )
        return self._monitoring

    def metric_requests(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Requests the stage received (``AWS/ApiGateway`` ``Count``, ``ApiName`` + ``Stage``, Sum)."""
        return self.monitoring.metric_requests(period=period)

    def metric_server_errors(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """5XX answers, the function's and API Gateway's own (``5XXError``, Sum)."""
        return self.monitoring.metric_server_errors(period=period)

    def metric_client_errors(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """4XX answers: bad requests, denied callers, stage throttling (``4XXError``, Sum)."""
        return self.monitoring.metric_client_errors(period=period)

    def metric_latency(self, *, period: Duration = PERIOD, statistic: str = "p99") -> cloudwatch.Metric:
        """Request-to-answer time at API Gateway in ms (``Latency``, p99 by default)."""
        return self.monitoring.metric_latency(period=period, statistic=statistic)

    def metric_integration_latency(
        self, *, period: Duration = PERIOD, statistic: str = "p99"
    ) -> cloudwatch.Metric:
        """Time API Gateway waited for the function in ms (``IntegrationLatency``, p99 by default)."""
        return self.monitoring.metric_integration_latency(period=period, statistic=statistic)

    def metric_function_errors(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Invocations that failed in Lambda (``AWS/Lambda`` ``Errors``, ``FunctionName``, Sum)."""
        return self.monitoring.metric_function_errors(period=period)

    def metric_function_throttles(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Invocations Lambda refused for lack of concurrency (``Throttles``, Sum)."""
        return self.monitoring.metric_function_throttles(period=period)

    def metric_function_duration(
        self, *, period: Duration = PERIOD, statistic: str = "p99"
    ) -> cloudwatch.Metric:
        """Run time of the function in ms (``Duration``, p99 by default)."""
        return self.monitoring.metric_function_duration(period=period, statistic=statistic)

    def metric_aws_throttled_requests(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Requests answered 429 because AWS throttled the function (a metric filter on its log, Sum)."""
        return self.monitoring.metric_aws_throttled_requests(period=period)

    def metric_skipped_resources(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Off-schema AMIs and stacks left out of answers (a metric filter on the function's log, Sum)."""
        return self.monitoring.metric_skipped_resources(period=period)

    def add_alarms(
        self,
        *,
        topic: sns.ITopic | None = None,
        alarm_action: cloudwatch.IAlarmAction | None = None,
        email_addresses: Sequence[str] = (),
    ) -> list[cloudwatch.Alarm]:
        """The five alarms of docs/operations.md, notifying ``topic``, ``alarm_action`` or a created topic.

        See ``ListImagesMonitoring.add_alarms``: at most one of ``topic`` and ``alarm_action``; with
        neither, a KMS-encrypted, TLS-only topic is created, to which ``email_addresses`` subscribe.
        """
        return self.monitoring.add_alarms(
            topic=topic, alarm_action=alarm_action, email_addresses=email_addresses
        )

    def add_dashboard(self, *, dashboard_name: str | None = None) -> cloudwatch.Dashboard:
        """A CloudWatch dashboard with one row per concern (traffic, latency, function, AWS upstream)."""
        return self.monitoring.add_dashboard(dashboard_name=dashboard_name)

    # ------------------------------------------------------------------------------------ building
    def _authorization_type(self) -> apigateway.AuthorizationType:
        if not self.options.dangerously_allow_unauthenticated_access:
            return apigateway.AuthorizationType.IAM
        Annotations.of(self).add_warning_v2(
            "list-images:unauthenticated",
            "ListImagesApi serves GET /images/custom WITHOUT authorization: anyone who can reach the URL "
            "can list this account's images (dangerously_allow_unauthenticated_access=True).",
        )
        return apigateway.AuthorizationType.NONE

    def _build_log_group(self, construct_id: str) -> logs.LogGroup:
        logging = self.options.logging
        key = logging.encryption_key
        log_group = logs.LogGroup(
            self,
            construct_id,
            retention=logging.retention,
            removal_policy=logging.removal_policy,
            encryption_key=key,
            # Named only with a key: the key policy must name the groups, which refer to the key.
            log_group_name=encrypted_log_group_name(self, construct_id) if key else None,
        )
        if key is not None and construct_id == "FunctionLogs":  # once, for both groups
            allow_cloud_watch_logs(self, key)
        return log_group

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
        allowed_regions = list(self.options.allowed_regions)
        region_condition = (
            {"StringEquals": {"aws:RequestedRegion": allowed_regions}} if allowed_regions else None
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

    def _build_function(self) -> lambda_.Function:
        options = self.options
        function = lambda_.Function(
            self,
            "Function",
            description="ParallelCluster-compatible listImages (GET /images/custom)",
            runtime=self.RUNTIME,
            architecture=self.ARCHITECTURE,
            handler=self.HANDLER,
            code=lambda_.Code.from_asset(str(runtime_asset_dir()), exclude=list(self.ASSET_EXCLUDES)),
            memory_size=options.memory_size_mb,
            timeout=self.TIMEOUT,
            role=self.role,
            log_group=self.function_log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=options.logging.level,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            reserved_concurrent_executions=options.reserved_concurrent_executions,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if options.snap_start else None,
            environment={
                "LIST_IMAGES_PAGE_SIZE": Tokenization.stringify_number(options.page_size),
                "LIST_IMAGES_ALLOWED_REGIONS": ",".join(options.allowed_regions),
            },
        )
        # Active tracing set on the L1 resource: the L2 ``tracing`` prop would add its X-Ray statement to
        # the role's default policy, where it would need an acknowledgment that then also covered
        # anything an embedder adds there. The statement is in FunctionPolicy instead.
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        # Created only once its permissions are (CDK does the same for the role's default policy).
        function.node.add_dependency(self.function_policy)
        if options.snap_start:
            Annotations.of(function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "The construct publishes the current version behind the alias that API Gateway invokes.",
            )
        return function

    def _build_alias(self) -> lambda_.Alias:
        """The alias ``live`` of the function's current published version, with the provisioned
        concurrency when there is one. Provisioned concurrency and SnapStart apply to published versions
        only; a deployment that changes the function publishes a new version and moves the alias."""
        return lambda_.Alias(
            self,
            "LiveAlias",
            alias_name=self.ALIAS_NAME,
            version=self.function.current_version,
            provisioned_concurrent_executions=self.options.provisioned_concurrency,
        )

    def _build_invoker_role(self) -> iam.Role:
        return iam.Role(
            self,
            "InvokerRole",
            assumed_by=iam.AccountRootPrincipal(),
            description="May call GET /images/custom and GET /v3/images/custom of the listImages API",
        )

    def _admitted_principals(self) -> list[str]:
        """The principal list of the resource policy: the given ARNs, plus the invoker role when any."""
        admitted = list(self.options.allowed_principal_arns)
        if self.invoker_role is not None and admitted:
            admitted.append(self.invoker_role.role_arn)
        return admitted

    def _build_api(self) -> apigateway.RestApi:
        options = self.options
        throttling = options.throttling or DEFAULT_THROTTLING
        api = apigateway.RestApi(
            self,
            "Api",
            # Derived from the construct path: readable, and distinct for two instances in one app.
            rest_api_name=Names.unique_id(self),
            description="ParallelCluster-compatible listImages",
            endpoint_configuration=self._endpoint_configuration(),
            policy=build_resource_policy(
                self._route_resource_arns(), options.vpc_endpoints, self._admitted_principal_arns
            ),
            cloud_watch_role=bool(options.cloud_watch_role),
            disable_execute_api_endpoint=options.domain is not None
            and options.domain.disable_execute_api_endpoint,
            deploy_options=apigateway.StageOptions(
                stage_name=options.stage_name,
                throttling_rate_limit=_first_set(throttling.rate_limit, DEFAULT_THROTTLING.rate_limit),
                throttling_burst_limit=_first_set(throttling.burst_limit, DEFAULT_THROTTLING.burst_limit),
                access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=access_log_format(),
                tracing_enabled=True,
                # Detailed per-method metrics are billed per metric; the free stage metrics serve every
                # alarm and graph (docs/operations.md).
                metrics_enabled=False,
                logging_level=options.logging.execution_logging_level or apigateway.MethodLoggingLevel.OFF,
                data_trace_enabled=False,
            ),
        )
        # RestApi adds an unpinned "Endpoint" output; outputs are the embedding stack's choice
        # (see add_outputs), so drop it.
        api.node.try_remove_child("Endpoint")
        return api

    def _endpoint_configuration(self) -> apigateway.EndpointConfiguration:
        if not self.options.vpc_endpoints:
            return apigateway.EndpointConfiguration(types=[apigateway.EndpointType.REGIONAL])
        return apigateway.EndpointConfiguration(
            types=[apigateway.EndpointType.PRIVATE], vpc_endpoints=list(self.options.vpc_endpoints)
        )

    def _route_resource_arns(self) -> list[str]:
        # The execute-api shorthand resolves to this API; its own ARN would be a circular reference.
        return [f"execute-api:/{self.options.stage_name}/GET{route}" for route in ROUTES]

    def _add_routes(self) -> list[apigateway.Method]:
        # The gateway cannot require imageStatus: the contract accepts it from a JSON body too, and
        # answers its absence with its own message. Parameters are declared for documentation only.
        validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigateway.LambdaIntegration(
            self.alias or self.function, proxy=True, allow_test_invoke=False
        )
        query_parameters = {
            f"method.request.querystring.{name}": False for name in ("imageStatus", "region", "nextToken")
        }
        return [
            self.api.root.resource_for_path(route).add_method(
                "GET",
                integration,
                authorization_type=self.authorization_type,
                request_validator=validator,
                request_parameters=query_parameters,
            )
            for route in ROUTES
        ]

    def _add_web_acl(self, web_acl_arn: str) -> None:
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=web_acl_arn,
        )

    def _add_custom_domain(self, domain: CustomDomain) -> str:
        domain_name = self.api.add_domain_name(
            "CustomDomain",
            domain_name=domain.domain_name,
            certificate=domain.certificate,
            endpoint_type=apigateway.EndpointType.REGIONAL,
            security_policy=apigateway.SecurityPolicy.TLS_1_2,
        )
        if domain.hosted_zone is not None:
            route53.ARecord(
                self,
                "AliasRecord",
                zone=domain.hosted_zone,
                record_name=domain.domain_name,
                target=route53.RecordTarget.from_alias(route53_targets.ApiGatewayDomain(domain_name)),
            )
        return f"https://{domain.domain_name}/"

    def _output_prefix(self) -> str:
        """This construct's path below its stack, letters and digits only (``A/Images`` -> ``AImages``)."""
        stack_path = Stack.of(self).node.path
        relative = self.node.path.removeprefix(stack_path).strip("/")
        return "".join(character for character in relative if character.isalnum())


def _first_set(value: float | None, default: float | None) -> float | None:
    return default if value is None else value
