"""The log groups' contents and encryption: the JSON access log format; names and key policy with a KMS key.

CloudWatch Logs uses the key on behalf of the log group, so the key policy must let the service principal
``logs.<region>.amazonaws.com`` use it, limited by the encryption context ``aws:logs:arn`` to this
construct's log groups. The statement cannot name the groups by a reference (the groups refer to the key:
a circular dependency), so with a key the groups get names ``<prefix>-FunctionLogs-<stack uuid>`` and
``<prefix>-AccessLogs-<stack uuid>``: the prefix (``log_group_name_prefix``) is the construct's unique id,
known at synth, and the stack's uuid keeps a later stack of the same name from colliding with retained
groups. The statement matches ``<prefix>-FunctionLogs-*`` and ``<prefix>-AccessLogs-*``.
"""

from __future__ import annotations

import json

from aws_cdk import Annotations, Fn, Names, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

__all__ = [
    "CLOUD_WATCH_LOGS_KEY_ACTIONS",
    "LOG_GROUP_IDS",
    "access_log_format",
    "allow_cloud_watch_logs",
    "cloud_watch_logs_key_statement",
    "encrypted_log_group_name",
    "log_group_name_prefix",
]

# Construct ids of the two log groups; each name carries its group's id.
LOG_GROUP_IDS = ("FunctionLogs", "AccessLogs")
# What CloudWatch Logs calls on the key (AWS: "Encrypt log data in CloudWatch Logs using AWS KMS"), spelt
# out instead of the documentation's wildcards.
CLOUD_WATCH_LOGS_KEY_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


def log_group_name_prefix(construct: Construct) -> str:
    """The start of both log group names: the construct's unique id (its path plus a hash)."""
    return Names.unique_id(construct)


def encrypted_log_group_name(construct: Construct, log_group_id: str) -> str:
    """``<prefix>-<log group id>-<uuid of the stack>``; the uuid is the last part of the stack id's ARN."""
    stack_uuid = Fn.select(2, Fn.split("/", Stack.of(construct).stack_id))
    return f"{log_group_name_prefix(construct)}-{log_group_id}-{stack_uuid}"


def cloud_watch_logs_key_statement(construct: Construct) -> iam.PolicyStatement:
    """The key-policy statement letting CloudWatch Logs of the stack's Region use the key for both groups."""
    stack = Stack.of(construct)
    prefix = log_group_name_prefix(construct)
    log_group_arns = [
        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:{prefix}-{log_group_id}-*"
        for log_group_id in LOG_GROUP_IDS
    ]
    return iam.PolicyStatement(
        sid=f"AllowCloudWatchLogs{prefix}"[:128],
        principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
        actions=list(CLOUD_WATCH_LOGS_KEY_ACTIONS),
        resources=["*"],  # in a key policy, "*" is this key
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
    )


def allow_cloud_watch_logs(construct: Construct, key: kms.IKey) -> None:
    """Add the statement to ``key``'s policy; for a key it cannot modify (imported), warn what it needs."""
    statement = cloud_watch_logs_key_statement(construct)
    if key.add_to_resource_policy(statement).statement_added:
        return
    Annotations.of(construct).add_warning_v2(
        "list-images:imported-log-encryption-key",
        "The log encryption key is imported, so its key policy cannot be changed here: it must let "
        f"logs.<region>.amazonaws.com use the key ({', '.join(CLOUD_WATCH_LOGS_KEY_ACTIONS)}) with the "
        "condition ArnLike kms:EncryptionContext:aws:logs:arn = "
        f"arn:<partition>:logs:<region>:<account>:log-group:{log_group_name_prefix(construct)}-* "
        "(see docs/construct.md, Log encryption), or the log groups fail to create.",
    )


def access_log_format() -> apigateway.AccessLogFormat:
    """JSON access logs: caller, status, integration status and latency, errors, trace id."""
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
