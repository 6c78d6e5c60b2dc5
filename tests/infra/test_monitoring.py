"""Monitoring of ListImagesApi: metrics, alarms, the alarm topic, the dashboard and the log metric filters.

The alarms are checked against the synthesized template (metric, dimensions that point at the deployed
API, stage and function, statistic, threshold, window, action); the metric-filter patterns are checked
against the JSON records the real handler writes, formatted as Lambda's JSON log format writes them.
The stack's options and app.py's context keys (``list-images:alarms``, ...) are checked at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import CfnElement, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks, ServerlessChecks
from listimages import sources
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from app import (
    CONTEXT_PREFIX,
    MONITORING_CONTEXT_OPTIONS,
    api_options_from_context,
    monitoring_options_from_context,
    register_nag_packs,
)
from pcluster_list_images_cdk import (
    ListImagesApi,
    ListImagesApiOptions,
    ListImagesMonitoring,
    ListImagesStack,
    MonitoringOptions,
)
from pcluster_list_images_cdk.monitoring import AWS_THROTTLED_PATTERN, SKIPPED_RESOURCE_PATTERN
from tests.infra.filter_pattern import UnsupportedPatternError, matches
from tests.infra.lambda_json_log import lambda_json_log
from tests.runtime.support import FakeAws, ami, client_error, invoke, stack, v1_event
from tests.synth_support import build_stack, load_cdk_context

STAGE_NAME = "v1"  # not the default "prod": the Stage dimension must follow the stage's real name
EMAIL = "ops@example.com"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:on-call"


@dataclass(frozen=True)
class Monitored:
    """A ListImagesStack with alarms (on a created topic, one email) and a dashboard, synthesized."""

    stack: ListImagesStack
    monitoring: ListImagesMonitoring
    template: dict[str, Any]

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(cast(CfnElement, construct.node.default_child))

    def resources(self, resource_type: str) -> dict[str, Any]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == resource_type}


@pytest.fixture(scope="module")
def monitored() -> Monitored:
    stack = build_stack(
        {"stage_name": STAGE_NAME},
        monitoring=MonitoringOptions(alarm_email_addresses=[EMAIL], dashboard=True),
    )
    template = dict(Template.from_stack(stack).to_json())
    return Monitored(stack, stack.list_images.monitoring, template)


def _api() -> ListImagesApi:
    """The ListImagesApi of a fresh default stack (no alarms, no dashboard)."""
    return build_stack().list_images


# --------------------------------------------------------------------------- what is deployed
def _only(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def _stage_dimensions(monitored: Monitored) -> list[dict[str, Any]]:
    """ApiName and Stage as the deployed stage has them: the API's name and a Ref to that stage."""
    api_id, api = _only(monitored.resources("AWS::ApiGateway::RestApi"))
    stage_id, stage_resource = _only(monitored.resources("AWS::ApiGateway::Stage"))
    assert stage_resource["Properties"]["StageName"] == STAGE_NAME  # Ref of a stage is its name
    assert stage_resource["Properties"]["RestApiId"] == {"Ref": api_id}
    return [
        {"Name": "ApiName", "Value": api["Properties"]["Name"]},
        {"Name": "Stage", "Value": {"Ref": stage_id}},
    ]


def _function_dimensions(monitored: Monitored) -> list[dict[str, Any]]:
    function_id, _ = _only(monitored.resources("AWS::Lambda::Function"))
    return [{"Name": "FunctionName", "Value": {"Ref": function_id}}]


def _function_log_group_ref(monitored: Monitored) -> dict[str, str]:
    _, function = _only(monitored.resources("AWS::Lambda::Function"))
    logging_config = function["Properties"]["LoggingConfig"]
    assert logging_config["LogFormat"] == "JSON"
    ref: dict[str, str] = logging_config["LogGroup"]
    return ref


def _metric_filter(monitored: Monitored, metric_name: str) -> dict[str, Any]:
    found: dict[str, Any]
    (found,) = [
        resource["Properties"]
        for resource in monitored.resources("AWS::Logs::MetricFilter").values()
        if resource["Properties"]["MetricTransformations"][0]["MetricName"] == metric_name
    ]
    return found


def _alarm(monitored: Monitored, construct_id: str) -> dict[str, Any]:
    alarm = monitored.monitoring.node.find_child(construct_id)
    properties: dict[str, Any] = monitored.template["Resources"][monitored.logical_id(alarm)]["Properties"]
    return properties


# (construct id, namespace or None for the log metric, metric name, statistic, threshold, datapoints, periods,
#  which dimensions)
EXPECTED_ALARMS = [
    ("ServerErrorsAlarm", "AWS/ApiGateway", "5XXError", "Sum", 5, 1, 1, "stage"),
    # 80 % of the function's 25 s timeout, in ms
    ("LatencyAlarm", "AWS/ApiGateway", "Latency", "p99", 20_000, 2, 3, "stage"),
    ("FunctionErrorsAlarm", "AWS/Lambda", "Errors", "Sum", 1, 1, 1, "function"),
    ("FunctionThrottlesAlarm", "AWS/Lambda", "Throttles", "Sum", 1, 1, 1, "function"),
    ("AwsThrottlingAlarm", None, "AwsThrottledRequests", "Sum", 5, 2, 3, "log"),
]


@pytest.mark.parametrize(
    ("construct_id", "namespace", "metric_name", "statistic", "threshold", "datapoints", "periods", "kind"),
    EXPECTED_ALARMS,
    ids=[row[0] for row in EXPECTED_ALARMS],
)
def test_each_alarm_watches_the_deployed_metric(
    monitored: Monitored,
    construct_id: str,
    namespace: str | None,
    metric_name: str,
    statistic: str,
    threshold: float,
    datapoints: int,
    periods: int,
    kind: str,
) -> None:
    # given the synthesized alarm
    alarm = _alarm(monitored, construct_id)
    # then it reads the metric of the deployed stage / function / function log group
    if kind == "stage":
        assert alarm["Dimensions"] == _stage_dimensions(monitored)
    elif kind == "function":
        assert alarm["Dimensions"] == _function_dimensions(monitored)
    else:
        metric_filter = _metric_filter(monitored, metric_name)
        assert metric_filter["LogGroupName"] == _function_log_group_ref(monitored)
        namespace = metric_filter["MetricTransformations"][0]["MetricNamespace"]
        assert "Dimensions" not in alarm
    assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric_name)
    # with its statistic, period, threshold and window
    assert alarm.get("Statistic", alarm.get("ExtendedStatistic")) == statistic
    assert alarm["Period"] == 300
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (datapoints, periods)
    # missing data (no traffic) is not an incident
    assert alarm["TreatMissingData"] == "notBreaching"


def test_every_alarm_notifies_the_created_topic(monitored: Monitored) -> None:
    # given the alarms created without a topic or action
    alarms = monitored.resources("AWS::CloudWatch::Alarm")
    topic_id, _ = _only(monitored.resources("AWS::SNS::Topic"))
    # then there are exactly the five, each enabled and sending to the construct's topic
    assert len(alarms) == len(EXPECTED_ALARMS)
    for alarm in alarms.values():
        assert alarm["Properties"].get("ActionsEnabled", True) is True
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


def test_the_alarm_descriptions_say_where_to_look(monitored: Monitored) -> None:
    for alarm in monitored.resources("AWS::CloudWatch::Alarm").values():
        description = alarm["Properties"]["AlarmDescription"]
        assert "First look:" in description
        assert "docs/operations.md" in description


def test_the_created_topic_is_encrypted_tls_only_and_open_to_this_accounts_alarms(
    monitored: Monitored,
) -> None:
    # given the created topic, its key, policy and subscription
    topic_id, topic = _only(monitored.resources("AWS::SNS::Topic"))
    key_id, key = _only(monitored.resources("AWS::KMS::Key"))
    _, policy = _only(monitored.resources("AWS::SNS::TopicPolicy"))
    _, subscription = _only(monitored.resources("AWS::SNS::Subscription"))
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    # then the topic is encrypted with its own rotating key
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    # and refuses publishing without TLS
    assert {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": topic_id},
        "Sid": "AllowPublishThroughSSLOnly",
    } in statements
    # and lets CloudWatch publish and use the key only for this account's alarms
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    (key_grant,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    for statement in (allow, key_grant):
        assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        assert statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1][-1] == ":alarm:*"
    assert allow["Action"] == "sns:Publish"
    assert sorted(key_grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # and the email address is subscribed
    assert subscription["Properties"] == {
        "Endpoint": EMAIL,
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
    }


# ------------------------------------------------------------------------------ metric helpers
def _described(stack: Stack, metric: cloudwatch.Metric) -> tuple[Any, ...]:
    return (metric.namespace, metric.metric_name, stack.resolve(metric.dimensions), metric.statistic)


def test_the_metric_helpers_name_stage_and_function_metrics(monitored: Monitored) -> None:
    # given the construct's metric_*() methods; when each metric is described
    api, stack = monitored.stack.list_images, monitored.stack
    stage = {d["Name"]: d["Value"] for d in _stage_dimensions(monitored)}
    function = {d["Name"]: d["Value"] for d in _function_dimensions(monitored)}
    described = {
        name: _described(stack, getattr(api, f"metric_{name}")())
        for name in (
            "requests",
            "server_errors",
            "client_errors",
            "latency",
            "integration_latency",
            "function_errors",
            "function_throttles",
            "function_duration",
        )
    }
    # then each has the namespace, name, dimensions and statistic it should
    assert described == {
        "requests": ("AWS/ApiGateway", "Count", stage, "Sum"),
        "server_errors": ("AWS/ApiGateway", "5XXError", stage, "Sum"),
        "client_errors": ("AWS/ApiGateway", "4XXError", stage, "Sum"),
        "latency": ("AWS/ApiGateway", "Latency", stage, "p99"),
        "integration_latency": ("AWS/ApiGateway", "IntegrationLatency", stage, "p99"),
        "function_errors": ("AWS/Lambda", "Errors", function, "Sum"),
        "function_throttles": ("AWS/Lambda", "Throttles", function, "Sum"),
        "function_duration": ("AWS/Lambda", "Duration", function, "p99"),
    }
    # and a 5-minute period unless asked otherwise
    assert api.metric_requests().period.to_seconds() == 300
    assert api.metric_requests(period=Duration.minutes(1)).period.to_seconds() == 60


def test_the_log_metrics_come_from_filters_on_the_function_log_group(monitored: Monitored) -> None:
    # given the two log-based metrics
    api = monitored.stack.list_images
    for metric, name in (
        (api.metric_aws_throttled_requests(), "AwsThrottledRequests"),
        (api.metric_skipped_resources(), "SkippedOffSchemaResources"),
    ):
        metric_filter = _metric_filter(monitored, name)
        transformation = metric_filter["MetricTransformations"][0]
        # then each is its filter's metric, counted per matching record, on the function's log group
        assert (metric.namespace, metric.metric_name, metric.statistic) == (
            transformation["MetricNamespace"],
            name,
            "Sum",
        )
        assert (transformation["MetricValue"], transformation["Unit"]) == ("1", "Count")
        assert metric_filter["LogGroupName"] == _function_log_group_ref(monitored)
    # and the namespace is the API's own, so two instances do not add up
    api_name = _only(monitored.resources("AWS::ApiGateway::RestApi"))[1]["Properties"]["Name"]
    assert monitored.monitoring.log_metrics_namespace == f"ListImagesApi/{api_name}"


def test_nothing_is_created_until_asked_and_filters_are_made_once() -> None:
    # given an API whose monitoring nobody has used yet
    api = _api()
    # then it has no monitoring construct at all
    assert api.node.try_find_child("Monitoring") is None
    # when a log metric is asked for twice; then one filter exists, and nothing else
    first, second = api.metric_skipped_resources(), api.metric_skipped_resources()
    assert first.metric_name == second.metric_name
    assert [child.node.id for child in api.monitoring.node.children] == ["SkippedResourcesFilter"]


# ------------------------------------------------------------------------------ alarm actions
@jsii.implements(cloudwatch.IAlarmAction)
class _OpsAction:
    """A caller's own alarm action."""

    ARN = "arn:aws:ssm:us-east-1:123456789012:opsitem:3"

    def bind(self, _scope: Any, _alarm: Any) -> cloudwatch.AlarmActionConfig:
        return cloudwatch.AlarmActionConfig(alarm_action_arn=self.ARN)


def _alarm_actions(stack: Stack) -> list[Any]:
    template = Template.from_stack(stack).to_json()
    return [
        r["Properties"]["AlarmActions"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ]


def test_alarms_can_notify_a_callers_topic_instead() -> None:
    # given an existing topic
    stack = build_stack()
    topic = sns.Topic.from_topic_arn(stack, "OnCall", TOPIC_ARN)
    # when the alarms are added with it
    stack.list_images.add_alarms(topic=topic)
    # then every alarm notifies it and no topic or key is created
    assert _alarm_actions(stack) == [[TOPIC_ARN]] * len(EXPECTED_ALARMS)
    Template.from_stack(stack).resource_count_is("AWS::SNS::Topic", 0)
    Template.from_stack(stack).resource_count_is("AWS::KMS::Key", 0)


def test_alarms_can_use_any_alarm_action() -> None:
    stack = build_stack()
    stack.list_images.add_alarms(alarm_action=_OpsAction())
    assert _alarm_actions(stack) == [[_OpsAction.ARN]] * len(EXPECTED_ALARMS)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"topic": "topic", "alarm_action": _OpsAction()}, "not both"),
        ({"topic": "topic", "email_addresses": [EMAIL]}, "email_addresses subscribe"),
        ({"email_addresses": ["not-an-address"]}, "malformed address"),
        ({"email_addresses": EMAIL}, "not a string"),
    ],
)
def test_contradictory_alarm_options_are_refused(arguments: dict[str, Any], message: str) -> None:
    # given a stack; when alarms are added with contradictory or malformed options
    stack = build_stack()
    if arguments.get("topic") == "topic":
        arguments["topic"] = sns.Topic.from_topic_arn(stack, "T", "arn:aws:sns:us-east-1:123456789012:t")
    api = stack.list_images
    with pytest.raises((ValueError, TypeError), match=message):
        api.add_alarms(**arguments)
    # then nothing was created
    assert [c.node.id for c in api.monitoring.node.children if "Alarm" in c.node.id] == []


def test_alarms_are_added_once() -> None:
    api = _api()
    api.add_alarms()
    with pytest.raises(ValueError, match="already"):
        api.add_alarms()


# ------------------------------------------------------------------------------------- dashboard
def _rendered(value: Any) -> str:
    """A CloudFormation string value with Refs and GetAtts shown as ${...} placeholders."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_rendered(part) for part in parts)
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"unexpected intrinsic {value}")


def _dashboard_body(monitored: Monitored) -> dict[str, Any]:
    _, dashboard = _only(monitored.resources("AWS::CloudWatch::Dashboard"))
    body: dict[str, Any] = json.loads(_rendered(dashboard["Properties"]["DashboardBody"]))
    return body


def test_the_dashboard_has_one_row_per_concern(monitored: Monitored) -> None:
    # given the dashboard body; when its widgets are grouped by row
    rows: dict[int, list[tuple[str, list[str]]]] = {}
    for widget in _dashboard_body(monitored)["widgets"]:
        metric_names = [line[1] for line in widget["properties"]["metrics"]]
        rows.setdefault(widget["y"], []).append((widget["properties"]["title"], metric_names))
    # then traffic, latency, function health and AWS upstream each have a row, in that order
    assert list(rows.values()) == [
        [("Requests", ["Count"]), ("4XX answers", ["4XXError"]), ("5XX answers", ["5XXError"])],
        [("Latency (ms)", ["Latency", "IntegrationLatency"]), ("Function duration (ms)", ["Duration"])],
        [("Function errors", ["Errors"]), ("Function throttles", ["Throttles"])],
        [
            ("AWS throttled requests (429)", ["AwsThrottledRequests"]),
            ("Skipped off-schema AMIs and stacks", ["SkippedOffSchemaResources"]),
        ],
    ]


def test_the_dashboard_draws_the_alarm_thresholds(monitored: Monitored) -> None:
    lines = {
        widget["properties"]["title"]: [
            a["value"] for a in widget["properties"].get("annotations", {}).get("horizontal", [])
        ]
        for widget in _dashboard_body(monitored)["widgets"]
    }
    thresholds = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]["Threshold"]
        for alarm in monitored.resources("AWS::CloudWatch::Alarm").values()
    }
    assert lines["5XX answers"] == [thresholds["5XXError"]]
    assert lines["Latency (ms)"] == [thresholds["Latency"]]
    assert lines["Function duration (ms)"] == [25_000]  # the function's timeout
    assert lines["AWS throttled requests (429)"] == [thresholds["AwsThrottledRequests"]]


# ---------------------------------------------------------------------------------- snapshot, nag
def test_alarms_and_dashboard_match_snapshot(monitored: Monitored, snapshot: SnapshotAssertion) -> None:
    # given every monitoring resource, the dashboard body parsed (Refs shown as ${...})
    shown = {}
    for logical_id, resource in monitored.template["Resources"].items():
        if resource["Type"] not in {
            "AWS::CloudWatch::Alarm",
            "AWS::CloudWatch::Dashboard",
            "AWS::Logs::MetricFilter",
            "AWS::SNS::Topic",
            "AWS::SNS::TopicPolicy",
            "AWS::SNS::Subscription",
            "AWS::KMS::Key",
        }:
            continue
        shown[logical_id] = resource
        if resource["Type"] == "AWS::CloudWatch::Dashboard":
            body = json.loads(_rendered(resource["Properties"]["DashboardBody"]))
            shown[logical_id] = {**resource, "Properties": {**resource["Properties"], "DashboardBody": body}}
    # then it equals the reviewed snapshot
    assert shown == snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize(
    "pack", [AwsSolutionsChecks, ServerlessChecks, NIST80053R5Checks], ids=lambda p: p.__name__
)
def test_monitoring_is_nag_clean(monitored: Monitored, pack: type[NagPack]) -> None:
    report = pack().validate_scope(monitored.stack)
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []


# ------------------------------------------------------------- filter patterns vs real log records
@pytest.fixture
def fake_aws() -> Iterator[FakeAws]:
    aws = FakeAws()
    sources.clients.use_factory(aws.factory)
    yield aws
    sources.clients.use_factory()


def _deployed_pattern(monitored: Monitored, metric_name: str) -> str:
    pattern: str = _metric_filter(monitored, metric_name)["FilterPattern"]
    return pattern


def _records_of(*events: dict[str, Any]) -> list[str]:
    with lambda_json_log() as lines:
        for event in events:
            invoke(event)
    return lines


def test_the_throttling_filter_counts_the_handlers_429_records(
    monitored: Monitored, fake_aws: FakeAws
) -> None:
    # given AWS throttling DescribeImages beyond the client's retries
    fake_aws.failures["DescribeImages"] = client_error(
        "Throttling", "DescribeImages", message="Rate exceeded"
    )
    # when two requests are served, as Lambda's JSON log format writes their records
    lines = _records_of(v1_event({"imageStatus": "AVAILABLE"}), v1_event({"imageStatus": "AVAILABLE"}))
    # then the deployed pattern matches one record per throttled request, and not the request lines
    pattern = _deployed_pattern(monitored, "AwsThrottledRequests")
    matched = [json.loads(line) for line in lines if matches(pattern, line)]
    assert len(matched) == 2
    assert all(record["logger"] == "listimages.handler" and "awsError" in record for record in matched)
    assert len(lines) == 4  # the two "listImages request" lines did not match


def test_the_skipped_resources_filter_counts_each_off_schema_ami_and_stack(
    monitored: Monitored, fake_aws: FakeAws
) -> None:
    # given one good AMI, two AMIs and one stack that cannot yield a schema-valid image
    fake_aws.amis = [
        ami("ami-0good", "good-image"),
        ami("ami-0bad1", "has_underscore"),
        ami("ami-0bad2", "x1", version=None),
    ]
    fake_aws.stacks = [stack("build", "CREATE_IN_PROGRESS", "1starts-with-digit")]
    # when both sources are listed
    lines = _records_of(v1_event({"imageStatus": "AVAILABLE"}), v1_event({"imageStatus": "PENDING"}))
    # then the deployed pattern matches exactly the three skip records
    pattern = _deployed_pattern(monitored, "SkippedOffSchemaResources")
    matched = [json.loads(line) for line in lines if matches(pattern, line)]
    assert sorted(r.get("amiId") or r.get("stackArn") for r in matched) == sorted(
        ["ami-0bad1", "ami-0bad2", fake_aws.stacks[0]["StackId"]]
    )
    # and the throttling pattern matches none of them
    assert not any(matches(_deployed_pattern(monitored, "AwsThrottledRequests"), line) for line in lines)


def test_neither_filter_counts_failures_or_ordinary_requests(monitored: Monitored, fake_aws: FakeAws) -> None:
    # given a good image, then an AWS failure (500) and a bad request (400)
    fake_aws.amis = [ami("ami-0good", "good-image")]
    ordinary = _records_of(v1_event({"imageStatus": "AVAILABLE"}), v1_event({"imageStatus": "nonsense"}))
    fake_aws.failures["DescribeImages"] = client_error("AccessDenied", "DescribeImages", status=403)
    failed = _records_of(v1_event({"imageStatus": "AVAILABLE"}))
    # then the records exist (an INFO line per request, an ERROR with its exception) but match no filter
    assert any(json.loads(line)["level"] == "ERROR" and "errorType" in json.loads(line) for line in failed)
    for metric_name in ("AwsThrottledRequests", "SkippedOffSchemaResources"):
        pattern = _deployed_pattern(monitored, metric_name)
        assert [line for line in ordinary + failed if matches(pattern, line)] == []


def test_the_deployed_patterns_are_the_modules_patterns(monitored: Monitored) -> None:
    assert _deployed_pattern(monitored, "AwsThrottledRequests") == AWS_THROTTLED_PATTERN.log_pattern_string
    assert (
        _deployed_pattern(monitored, "SkippedOffSchemaResources")
        == SKIPPED_RESOURCE_PATTERN.log_pattern_string
    )


# ------------------------------------------------------------------------ the evaluator itself
THROTTLED = json.dumps(
    {"level": "WARNING", "message": "AWS throttled the request", "logger": "listimages.handler"}
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.message = "AWS throttled the request" }', True),
        ('{ $.message = "AWS throttled" }', False),  # equality, not substring
        ('{ ($.level = "WARNING") && ($.message = "AWS throttled the request") }', True),
        ('{ ($.level = "ERROR") && ($.message = "AWS throttled the request") }', False),
        ('{ ($.level = "ERROR") || ($.logger = "listimages.handler") }', True),
        ('{ $.level != "WARNING" }', False),
        ("{ $.message = %^AWS% }", True),
        ("{ $.message = %^throttled% }", False),  # anchored
        ('{ $.missing = "x" }', False),
        ('{ $.missing != "x" }', False),
        ('{ $.message.inner = "x" }', False),
    ],
)
def test_the_evaluator_judges_the_subset(pattern: str, expected: bool) -> None:
    assert matches(pattern, THROTTLED) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.message = "AWS*" }',  # wildcard
        "{ $.count > 1 }",  # numeric comparison
        '{ $.a = "x" && $.b = "y" || $.c = "z" }',  # && and || mixed without parentheses
        '"AWS throttled"',  # a text pattern, not JSON
        '{ $.message = "x" ',
        "{ $.message IS NULL }",
    ],
)
def test_the_evaluator_refuses_what_it_cannot_judge(pattern: str) -> None:
    with pytest.raises(UnsupportedPatternError):
        matches(pattern, THROTTLED)


# ------------------------------------------------------------------ detailed per-method metrics
def test_the_stage_sends_no_billed_per_method_metrics(monitored: Monitored) -> None:
    # given the stage; then detailed metrics are off (docs/operations.md) and the throttling stays
    _, stage_resource = _only(monitored.resources("AWS::ApiGateway::Stage"))
    (method_settings,) = stage_resource["Properties"]["MethodSettings"]
    assert method_settings["MetricsEnabled"] is False
    assert (method_settings["ThrottlingRateLimit"], method_settings["ThrottlingBurstLimit"]) == (10, 20)


# ------------------------------------------------------------------------ two APIs, one stack
def test_two_monitored_apis_share_one_stack_without_clashing() -> None:
    # given two APIs in one stack, each with alarms and a dashboard
    stack = Stack(cdk.App(context=load_cdk_context()), "Platform")
    apis = [ListImagesApi(stack, name) for name in ("Production", "Staging")]
    for api in apis:
        api.add_alarms()
        api.add_dashboard()
    template = Template.from_stack(stack)
    # then each has its own alarms, topic and dashboard, and its log metrics in a namespace of its own
    template.resource_count_is("AWS::CloudWatch::Alarm", 2 * len(EXPECTED_ALARMS))
    template.resource_count_is("AWS::SNS::Topic", 2)
    template.resource_count_is("AWS::CloudWatch::Dashboard", 2)
    namespaces = {api.monitoring.log_metrics_namespace for api in apis}
    assert len(namespaces) == 2
    # and the three packs find nothing
    for pack in (AwsSolutionsChecks, ServerlessChecks, NIST80053R5Checks):
        assert pack().validate_scope(stack).violations == []


# ------------------------------------------------------------------------------ ListImagesStack
def _counts(stack: Stack) -> dict[str, int]:
    types = [r["Type"] for r in Template.from_stack(stack).to_json()["Resources"].values()]
    watched = (
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
    )
    return {name.split("::")[-1]: types.count(name) for name in (*watched, "AWS::Logs::MetricFilter")}


def test_the_stack_adds_nothing_for_operators_by_default(default_template: dict[str, Any]) -> None:
    # given the default stack (make deploy without monitoring context)
    types = [r["Type"] for r in default_template["Resources"].values()]
    # then it has no alarm, dashboard, topic or metric filter: nothing billed, nobody paged
    assert not {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::SNS::Topic"} & set(types)
    assert "AWS::Logs::MetricFilter" not in types


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # a destination turns the alarms on
        (MonitoringOptions(alarm_email_addresses=[EMAIL]), (5, 0, 1, 1, 1)),
        # alarms asked for without a destination: a created topic nobody is subscribed to yet
        (MonitoringOptions(alarms=True), (5, 0, 1, 0, 1)),
        # the dashboard alone (its graphs read both log metrics)
        (MonitoringOptions(dashboard=True), (0, 1, 0, 0, 2)),
        (MonitoringOptions(), (0, 0, 0, 0, 0)),
    ],
    ids=["email", "alarms-only", "dashboard-only", "defaults"],
)
def test_stack_monitoring_options(options: MonitoringOptions, expected: tuple[int, ...]) -> None:
    counts = _counts(build_stack(monitoring=options))
    assert tuple(counts.values()) == expected, counts


def test_the_stack_imports_an_existing_topic_through_a_function_of_the_stack() -> None:
    # given options naming an existing topic, made once the stack exists (as app.py does)
    stack = build_stack(
        monitoring=lambda s: MonitoringOptions(alarm_topic=sns.Topic.from_topic_arn(s, "OnCall", TOPIC_ARN))
    )
    # then the alarms notify it and the stack creates no topic
    assert _alarm_actions(stack) == [[TOPIC_ARN]] * len(EXPECTED_ALARMS)
    assert _counts(stack)["Topic"] == 0


def test_alarms_turned_off_with_a_destination_is_refused() -> None:
    with pytest.raises(ValueError, match="alarms=False contradicts"):
        MonitoringOptions(alarms=False, alarm_email_addresses=[EMAIL])


# -------------------------------------------------------------------------- app.py context keys
def _monitoring_options(context: dict[str, object]) -> MonitoringOptions:
    return monitoring_options_from_context(Stack(cdk.App(context=context), "Host"))


def test_context_keys_become_monitoring_options() -> None:
    # given -c strings as the check passes them
    options = _monitoring_options(
        {"list-images:alarms": "true", "list-images:dashboard": "true", "list-images:alarm-email": EMAIL}
    )
    # then they are typed options
    assert options == MonitoringOptions(alarms=True, dashboard=True, alarm_email_addresses=[EMAIL])
    # and several addresses are comma-separated; JSON booleans from cdk.json are accepted
    assert _monitoring_options(
        {"list-images:alarm-email": f"{EMAIL}, oncall@example.org", "list-images:dashboard": True}
    ) == MonitoringOptions(alarm_email_addresses=[EMAIL, "oncall@example.org"], dashboard=True)


def test_the_topic_arn_key_imports_the_topic() -> None:
    options = _monitoring_options({"list-images:alarm-topic-arn": TOPIC_ARN})
    assert options.alarm_topic is not None
    assert options.alarm_topic.topic_arn == TOPIC_ARN
    assert options.alarms_enabled


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"list-images:alarms": "yes"}, "list-images:alarms: expected true or false, got 'yes'"),
        ({"list-images:dashboard": "1"}, "list-images:dashboard: expected true or false"),
        ({"list-images:alarm-email": "ops"}, "list-images:alarm-email: expected an email address"),
        (
            {"list-images:alarm-topic-arn": "on-call"},
            "list-images:alarm-topic-arn: expected an SNS topic ARN",
        ),
        (
            {"list-images:alarms": "false", "list-images:alarm-email": EMAIL},
            "list-images:alarms=false contradicts list-images:alarm-email",
        ),
        (
            {"list-images:alarm-email": EMAIL, "list-images:alarm-topic-arn": TOPIC_ARN},
            "list-images:alarm-email and list-images:alarm-topic-arn: give one",
        ),
        ({"list-images:alarm": "true"}, "unknown context key(s) list-images:alarm;"),
    ],
)
def test_bad_monitoring_context_fails_naming_the_key(context: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _monitoring_options(context)


def test_the_api_options_accept_the_monitoring_keys_as_known() -> None:
    # given only monitoring keys; when the construct's options are read
    context = {f"{CONTEXT_PREFIX}{option.key}": "" for option in MONITORING_CONTEXT_OPTIONS}
    context[f"{CONTEXT_PREFIX}dashboard"] = "true"
    # then none is an unknown key, and the construct keeps its defaults
    assert api_options_from_context(Stack(cdk.App(context=context), "Host")) == ListImagesApiOptions()


def test_the_app_with_alarms_dashboard_and_email_synthesizes_under_the_nag_packs(tmp_path: Path) -> None:
    # given the app as app.py builds it, with the context and the three packs registered
    context = {
        **load_cdk_context(),
        "list-images:alarms": "true",
        "list-images:dashboard": "true",
        "list-images:alarm-email": EMAIL,
    }
    app = cdk.App(context=context, outdir=str(tmp_path))
    ListImagesStack(
        app,
        "ListImagesStack",
        api_options=api_options_from_context,
        monitoring=monitoring_options_from_context,
    )
    register_nag_packs(app)
    # when synthesized; then no pack objects (a finding would raise) and the stack holds what was asked
    assembly = app.synth()
    template = assembly.get_stack_by_name("ListImagesStack").template
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::CloudWatch::Alarm") == len(EXPECTED_ALARMS)
    assert types.count("AWS::CloudWatch::Dashboard") == 1
    (subscription,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscription["Properties"]["Endpoint"] == EMAIL
