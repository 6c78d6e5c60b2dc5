"""The option types of ListImagesApi and ListImagesStack: small frozen structs of typed references.

Related options travel together, so a combination that makes no sense cannot be written: a certificate,
a hosted zone or ``disable_execute_api_endpoint`` exist only inside a ``CustomDomain``. References are
aws-cdk-lib interfaces (``kms.IKey``, ``acm.ICertificate``, ...), so objects made in the same app pass
straight in, and imported ones come from ``from_*_arn`` / ``from_*_attributes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_sns as sns

__all__ = [
    "DEFAULT_LOGGING",
    "DEFAULT_MEMORY_SIZE_MB",
    "DEFAULT_THROTTLING",
    "CustomDomain",
    "ListImagesApiOptions",
    "LoggingOptions",
    "MonitoringOptions",
]

# One vCPU: the smallest size whose cold start is within 10% of one vCPU's (docs/benchmark.md).
DEFAULT_MEMORY_SIZE_MB = 1769
# Stage-wide steady requests per second and burst, used for whatever a ThrottleSettings leaves unset.
DEFAULT_THROTTLING = apigateway.ThrottleSettings(rate_limit=10, burst_limit=20)


@dataclass(frozen=True)
class CustomDomain:
    """A custom domain name (REGIONAL endpoint, TLS 1.2) mapped to the stage at ``/``.

    Attributes
    ----------
    domain_name:
        The name callers use, e.g. ``images.example.com``; may be a token (an SSM parameter, ...).
    certificate:
        ACM certificate for ``domain_name`` in the stack's Region (``acm.Certificate`` in the same stack,
        or ``acm.Certificate.from_certificate_arn``).
    hosted_zone:
        Route 53 zone in which to create an alias A record for ``domain_name``; None: manage DNS yourself.
        The zone must know its name (``HostedZone``, ``from_lookup`` or ``from_hosted_zone_attributes``).
    disable_execute_api_endpoint:
        Turn off the ``execute-api`` URL so only this domain serves.
    """

    domain_name: str
    certificate: acm.ICertificate
    hosted_zone: route53.IHostedZone | None = None
    disable_execute_api_endpoint: bool = False


@dataclass(frozen=True)
class LoggingOptions:
    """The function's and the stage's logs.

    Attributes
    ----------
    level:
        Application log level of the function (Lambda's native JSON logging).
    retention, removal_policy:
        Retention and removal policy of both log groups (the function's and the access logs).
    encryption_key:
        KMS key encrypting both log groups; None: CloudWatch Logs' service-owned encryption. A key the
        construct can modify (a ``kms.Key`` of this app) gets the key-policy statement CloudWatch Logs
        needs; an imported key must already have it (see docs/construct.md, "Log encryption").
    execution_logging_level:
        Opt-in API Gateway execution logging; like the access logs it needs the account-level API Gateway
        CloudWatch role.
    """

    level: lambda_.ApplicationLogLevel = lambda_.ApplicationLogLevel.INFO
    retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    encryption_key: kms.IKey | None = None
    execution_logging_level: apigateway.MethodLoggingLevel | None = None


DEFAULT_LOGGING = LoggingOptions()


@dataclass(frozen=True)
class ListImagesApiOptions:
    """Every option of ``ListImagesApi``, as one value (what ``ListImagesStack`` and app.py pass around).

    The fields are the construct's keyword arguments, with the same names and defaults.

    Attributes
    ----------
    stage_name:
        API Gateway stage name; the URL ends in ``/<stage_name>/``.
    page_size:
        Most images per response page (``LIST_IMAGES_PAGE_SIZE``), 1..1000.
    allowed_regions:
        Regions callers may list; empty means every Region of the partition. Enforced by the
        runtime (``LIST_IMAGES_ALLOWED_REGIONS``) and by IAM (``aws:RequestedRegion``).
    memory_size_mb:
        Function memory in MB; Lambda gives CPU in proportion, one vCPU at 1,769 MB. The default,
        ``DEFAULT_MEMORY_SIZE_MB`` (1,769), is the smallest size whose cold start is within 10% of one
        vCPU's (docs/benchmark.md, "The default memory").
    reserved_concurrent_executions:
        Reserved concurrency of the function, at least 1; None (default) reserves none.
    provisioned_concurrency:
        Execution environments Lambda keeps initialised (provisioned concurrency, billed while
        configured), at least 1; their init creates the AWS clients, so no request waits for a cold
        start. API Gateway then invokes the alias ``live`` of the published version. None (default): none.
    snap_start:
        Lambda SnapStart on published versions: a new execution environment resumes from a snapshot taken
        after init (AWS clients created) instead of running it. API Gateway then invokes the alias
        ``live`` of the published version. Lambda bills caching and restores; not with
        ``provisioned_concurrency``, and not in every Region (docs/construct.md).
    throttling:
        Stage-wide steady-state requests per second and burst; what it leaves unset (or all of it,
        when None) is ``DEFAULT_THROTTLING``: 10 requests per second, burst 20.
    logging:
        Log level, retention, removal policy and KMS key of both log groups, opt-in execution logging.
    vpc_endpoints:
        Interface VPC endpoints (``execute-api``): makes the API PRIVATE, reachable only through them.
    domain:
        Custom domain (certificate, optional hosted zone, ``disable_execute_api_endpoint``); REGIONAL
        APIs only.
    allowed_principal_arns:
        IAM principal ARNs admitted by a resource policy; every other caller is denied even with
        IAM permissions. Each is a role, a user or an account root ARN (tokens such as
        ``role.role_arn`` pass unchecked). Empty (default) leaves access to the callers' IAM policies.
    create_invoker_role:
        Create a role (trusted by this account) allowed to invoke the two routes.
    permissions_boundary:
        Managed policy set as permissions boundary on every role this construct creates.
    web_acl_arn:
        WAFv2 web ACL (REGIONAL scope) to associate with the stage (WAFv2 has no L2 reference type).
    cloud_watch_role:
        Create the account-and-Region-wide API Gateway CloudWatch role and set it in the account
        settings (``AWS::ApiGateway::Account``, retained on stack deletion); both access and execution
        logging need it. A singleton, so None (no role) here; ``ListImagesStack`` turns it on.
    dangerously_allow_unauthenticated_access:
        Serve the routes WITHOUT authorization. Anyone who can reach the URL lists your images.
    """

    stage_name: str = "prod"
    page_size: int = 1000
    allowed_regions: Sequence[str] = ()
    memory_size_mb: int = DEFAULT_MEMORY_SIZE_MB
    reserved_concurrent_executions: int | None = None
    provisioned_concurrency: int | None = None
    snap_start: bool = False
    throttling: apigateway.ThrottleSettings | None = None
    logging: LoggingOptions = DEFAULT_LOGGING
    vpc_endpoints: Sequence[ec2.IInterfaceVpcEndpoint] = ()
    domain: CustomDomain | None = None
    allowed_principal_arns: Sequence[str] = ()
    create_invoker_role: bool = False
    permissions_boundary: iam.IManagedPolicy | None = None
    web_acl_arn: str | None = None
    cloud_watch_role: bool | None = None
    dangerously_allow_unauthenticated_access: bool = False


@dataclass(frozen=True)
class MonitoringOptions:
    """What ``ListImagesStack`` adds for operators: ``ListImagesApi.add_alarms`` and ``add_dashboard``.

    The stack's defaults cost nothing and page no one: alarms only once told where to send them, no
    dashboard (docs/operations.md explains the alarms and the cost).

    Attributes
    ----------
    alarms:
        The five alarms. None (default): on exactly when a destination is given (``alarm_email_addresses``
        or ``alarm_topic``), since an alarm nobody hears is only cost. True without a destination: alarms
        on a created topic that nobody is subscribed to yet. False with a destination is refused.
    alarm_email_addresses:
        Email subscriptions to the topic the construct creates (each address confirms by email).
    alarm_topic:
        An existing topic to notify instead of a created one (``sns.Topic.from_topic_arn``).
    dashboard:
        The dashboard, off by default: CloudWatch bills dashboards beyond an account's first three.
    """

    alarms: bool | None = None
    alarm_email_addresses: Sequence[str] = ()
    alarm_topic: sns.ITopic | None = None
    dashboard: bool = False

    def __post_init__(self) -> None:
        """Refuse ``alarms=False`` together with a destination: one of the two is a mistake."""
        if self.alarms is False and (self.alarm_email_addresses or self.alarm_topic is not None):
            raise ValueError("alarms=False contradicts alarm_email_addresses and alarm_topic")

    @property
    def alarms_enabled(self) -> bool:
        """Whether the stack adds the alarms (``alarms``, or a destination when it is None)."""
        if self.alarms is None:
            return bool(self.alarm_email_addresses) or self.alarm_topic is not None
        return self.alarms
