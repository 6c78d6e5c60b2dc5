"""The cdk-nag findings ListImagesApi accepts by design, each acknowledged on the narrowest construct.

cdk-nag v3 reads acknowledgments from ``Validations.of(construct)``; they travel with the construct into
any app, so the packs an embedding app registers find nothing to report about it. docs/security.md lists
every one with its reason (tests/infra/test_docs.py keeps the two equal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_apigateway as apigateway
from constructs import IConstruct

if TYPE_CHECKING:
    from .list_images_api import ListImagesApi

__all__ = ["acknowledge_accepted_findings"]

_ACKNOWLEDGED_RULES = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
_ANNOTATION_PREFIX = "Annotation"


def acknowledge_accepted_findings(construct: ListImagesApi) -> None:
    """Acknowledge the findings this design accepts, given the construct's parts and options."""
    options = construct.options
    function_policy, function, stage = (
        construct.function_policy,
        construct.function,
        construct.api.deployment_stage,
    )
    # On the construct's own policy, never on the role's default policy (see _build_function_policy).
    _acknowledge(function_policy, "AwsSolutions-IAM5[Resource::*]", _WILDCARD_RESOURCE_REASON)
    _acknowledge(function_policy, "NIST.800.53.R5-IAMNoInlinePolicy", _INLINE_POLICY_REASON)
    cloud_watch_role = construct.api.node.try_find_child("CloudWatchRole")
    if cloud_watch_role is not None:
        _acknowledge(cloud_watch_role, _PUSH_TO_CLOUD_WATCH_LOGS_FINDING, _PUSH_TO_CLOUD_WATCH_LOGS_REASON)
    if construct.invoker_role is not None:
        invoker_policy = construct.invoker_role.node.find_child("DefaultPolicy")
        _acknowledge(invoker_policy, "NIST.800.53.R5-IAMNoInlinePolicy", _INLINE_POLICY_REASON)
    for rule_id in ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
        _acknowledge(function, rule_id, _DLQ_REASON)
    _acknowledge(function, "NIST.800.53.R5-LambdaInsideVPC", _NO_VPC_REASON)
    if options.reserved_concurrent_executions is None:
        _acknowledge(function, "NIST.800.53.R5-LambdaConcurrency", _NO_RESERVED_CONCURRENCY_REASON)
    if options.logging.encryption_key is None:
        for log_group in (construct.function_log_group, construct.access_log_group):
            _acknowledge(log_group, "NIST.800.53.R5-CloudWatchLogGroupEncrypted", _LOG_ENCRYPTION_REASON)
    _acknowledge(stage, "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted", _NO_CACHE_REASON)
    _acknowledge(stage, "NIST.800.53.R5-APIGWSSLEnabled", _NO_CLIENT_CERTIFICATE_REASON)
    if options.web_acl_arn is None:
        for rule_id in ("AwsSolutions-APIG3", "NIST.800.53.R5-APIGWAssociatedWithWAF"):
            _acknowledge(stage, rule_id, _NO_WAF_REASON)
    if options.logging.execution_logging_level is None:
        for rule_id in ("AwsSolutions-APIG6", "NIST.800.53.R5-APIGWExecutionLoggingEnabled"):
            _acknowledge(stage, rule_id, _NO_EXECUTION_LOGGING_REASON)
    if construct.authorization_type == apigateway.AuthorizationType.IAM:
        for method in construct.methods:
            _acknowledge(method, "AwsSolutions-COG4", _IAM_NOT_COGNITO_REASON)
    # Unauthenticated access is deliberately NOT acknowledged: the embedding app must do it.


def _acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    try:
        Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
    except RuntimeError as error:
        if "InvalidValidationId" not in str(error):
            raise
        # aws-cdk-lib 2.257 (and later releases up to some point) splits an id on every '::', so it refuses a
        # granular finding such as AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:...]. Record it as newer
        # releases do: cdk-nag reads this metadata (an "Annotation::" prefix removed) on the construct and its
        # scopes.
        construct.node.add_metadata(_ACKNOWLEDGED_RULES, {f"{_ANNOTATION_PREFIX}::{rule_id}": reason})


# Reasons for the accepted nag findings; docs/security.md lists them too.
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
