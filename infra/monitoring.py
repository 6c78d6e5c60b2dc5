"""ListImagesMonitoring: metrics, alarms, an alarm topic and a dashboard for one listImages API.

``ListImagesApi`` creates one on first use and exposes it through its own methods::

    api = ListImagesApi(self, "ListImages")
    api.add_alarms(email_addresses=["ops@example.com"])  # or topic=... / alarm_action=...
    api.add_dashboard()

It watches any API Gateway stage and the Lambda function behind it, so it can also be built directly
(``ListImagesMonitoring(self, "Monitoring", stage=..., function=..., function_log_group=...)``), e.g. to
subclass it with other thresholds.

Metrics come from three places: API Gateway's stage metrics (``ApiName`` + ``Stage``, free, sent without
detailed metrics), Lambda's function metrics (``FunctionName``) and two metric filters on the function's
JSON log records (Lambda's native JSON format of the runtime's stdlib ``logging`` records). The filters are
created only when their metric is first asked for, so an API nobody monitors gets no extra resources.

Every alarm counts in 5-minute periods, treats missing data as not breaching (no traffic is not an
incident) and notifies one action. What each alarm means and what to look at first: docs/operations.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, ArnFormat, Aws, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

__all__ = [
    "AWS_THROTTLED_PATTERN",
    "EMAIL_ADDRESS",
    "PERIOD",
    "SKIPPED_RESOURCE_PATTERN",
    "AlarmRule",
    "ListImagesMonitoring",
]

PERIOD = Duration.minutes(5)

# The runtime's own records, as Lambda's JSON log format writes them (runtime/listimages):
# handler.py logs this exact message at WARNING when AWS throttling outlasted botocore's retries (the 429);
# images.py logs "Skipped AMI <id>: ..." / "Skipped stack <arn>: ..." at WARNING for off-schema resources.
AWS_THROTTLED_PATTERN = logs.FilterPattern.all(
    logs.FilterPattern.string_value("$.level", "=", "WARNING"),
    logs.FilterPattern.string_value("$.message", "=", "AWS throttled the request"),
)
SKIPPED_RESOURCE_PATTERN = logs.FilterPattern.all(
    logs.FilterPattern.string_value("$.level", "=", "WARNING"),
    logs.FilterPattern.regex_value("$.message", "=", "^Skipped"),
)

# An address shape check: SNS itself confirms the address by email.
EMAIL_ADDRESS = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


@dataclass(frozen=True)
class AlarmRule:
    """One alarm: breaching when ``metric`` >= ``threshold`` in ``datapoints`` of ``periods`` periods."""

    construct_id: str
    metric: cloudwatch.Metric
    threshold: float
    datapoints: int
    periods: int
    meaning: str
    first_look: str

    @property
    def description(self) -> str:
        """The alarm's description: what breached, the window, and where to look first."""
        window = (
            "one 5-minute period"
            if self.periods == 1
            else f"{self.datapoints} of {self.periods} 5-minute periods"
        )
        return (
            f"{self.meaning}: >= {self.threshold:g} in {window}. First look: {self.first_look}. "
            "See docs/operations.md."
        )


class ListImagesMonitoring(Construct):
    """Metric helpers, alarms (``add_alarms``) and a dashboard (``add_dashboard``) for a stage and function.

    Thresholds are class constants (override them in a subclass); docs/operations.md explains each.
    """

    # 5XX answers per period: a count, not a rate, because traffic is low and bursty (CLI calls), where a
    # rate swings from 0 to 100 % on one request. One transient failure does not page; a run of them does.
    SERVER_ERRORS_THRESHOLD = 5
    # p99 latency as a share of the function's timeout: past it the slowest requests are a few seconds
    # from being cut off (a timeout is a 5XX). Normal p99 is far lower: the runtime stops reading AWS pages
    # while a worst-case call still fits (validation.RUNTIME_CALL_RESERVE_SECONDS).
    LATENCY_SHARE_OF_TIMEOUT = 0.8
    # Every function error is serious: the handler turns every exception into an HTTP answer, so Lambda
    # counts only timeouts, out-of-memory kills and failed initialisation (a broken deployment).
    FUNCTION_ERRORS_THRESHOLD = 1
    # Lambda refused to run the function (account or reserved concurrency exhausted): each one is a 5XX.
    FUNCTION_THROTTLES_THRESHOLD = 1
    # Requests answered 429 because AWS throttled EC2/CloudFormation beyond botocore's retries. A burst is
    # normal when many clusters share the account's API rate; a sustained run is not.
    AWS_THROTTLED_THRESHOLD = 5

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: apigateway.Stage,
        function: lambda_.Function,
        function_log_group: logs.ILogGroup,
        log_metrics_namespace: str | None = None,
    ) -> None:
        """Watch ``stage`` and ``function``; nothing is created before a metric, alarm or dashboard is.

        Parameters
        ----------
        stage:
            The API Gateway stage serving the routes; its metrics carry ``ApiName`` and ``Stage``
            (whatever ``stage_name`` it has).
        function:
            The Lambda function behind the stage; its timeout is the latency alarm's budget.
        function_log_group:
            The function's log group (Lambda JSON log format), read by the two metric filters.
        log_metrics_namespace:
            CloudWatch namespace of the two log-based metrics. Metric filters cannot add fixed dimensions,
            so the namespace tells instances apart; default ``ListImagesApi/<API name>``.
        """
        super().__init__(scope, construct_id)
        if function.timeout is None:
            raise ValueError("the monitored function needs an explicit timeout (the latency alarm's budget)")
        self._stage = stage
        self._function = function
        self._function_log_group = function_log_group
        self._function_timeout = function.timeout
        self.log_metrics_namespace = log_metrics_namespace or f"ListImagesApi/{stage.rest_api.rest_api_name}"
        self.alarms: list[cloudwatch.Alarm] = []
        self.alarm_topic: sns.Topic | None = None

    # ------------------------------------------------------------------------------- API Gateway
    def metric_requests(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Requests the stage received (``AWS/ApiGateway`` ``Count``, Sum)."""
        return self._stage.metric_count(statistic="Sum", period=period)

    def metric_server_errors(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Answers with a 5XX status, the function's and API Gateway's own (``5XXError``, Sum)."""
        return self._stage.metric_server_error(statistic="Sum", period=period)

    def metric_client_errors(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Answers with a 4XX status: bad requests, denied callers, stage throttling (``4XXError``, Sum)."""
        return self._stage.metric_client_error(statistic="Sum", period=period)

    def metric_latency(self, *, period: Duration = PERIOD, statistic: str = "p99") -> cloudwatch.Metric:
        """Time from request to answer at API Gateway, in ms (``Latency``, p99 by default)."""
        return self._stage.metric_latency(statistic=statistic, period=period)

    def metric_integration_latency(
        self, *, period: Duration = PERIOD, statistic: str = "p99"
    ) -> cloudwatch.Metric:
        """Time API Gateway waited for the function, in ms (``IntegrationLatency``, p99 by default)."""
        return self._stage.metric_integration_latency(statistic=statistic, period=period)

    # ------------------------------------------------------------------------------------ Lambda
    def metric_function_errors(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Invocations that failed in Lambda: timeouts, out-of-memory, failed init (``Errors``, Sum)."""
        return self._function.metric_errors(statistic="Sum", period=period)

    def metric_function_throttles(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Invocations Lambda refused for lack of concurrency (``Throttles``, Sum)."""
        return self._function.metric_throttles(statistic="Sum", period=period)

    def metric_function_duration(
        self, *, period: Duration = PERIOD, statistic: str = "p99"
    ) -> cloudwatch.Metric:
        """Run time of the function, in ms (``Duration``, p99 by default)."""
        return self._function.metric_duration(statistic=statistic, period=period)

    # ------------------------------------------------------------------------------ log-based
    def metric_aws_throttled_requests(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """Requests answered 429 because AWS throttled the function's EC2/CloudFormation calls (Sum)."""
        return self._log_metric("AwsThrottledFilter", "AwsThrottledRequests", AWS_THROTTLED_PATTERN, period)

    def metric_skipped_resources(self, *, period: Duration = PERIOD) -> cloudwatch.Metric:
        """AMIs and stacks left out of answers because they cannot yield a schema-valid image (Sum)."""
        return self._log_metric(
            "SkippedResourcesFilter", "SkippedOffSchemaResources", SKIPPED_RESOURCE_PATTERN, period
        )

    def _log_metric(
        self, construct_id: str, metric_name: str, pattern: logs.IFilterPattern, period: Duration
    ) -> cloudwatch.Metric:
        existing = self.node.try_find_child(construct_id)
        metric_filter = (
            existing
            if isinstance(existing, logs.MetricFilter)
            else logs.MetricFilter(
                self,
                construct_id,
                log_group=self._function_log_group,
                filter_pattern=pattern,
                metric_namespace=self.log_metrics_namespace,
                metric_name=metric_name,
                metric_value="1",
                unit=cloudwatch.Unit.COUNT,
            )
        )
        return metric_filter.metric(statistic="Sum", period=period)

    # ------------------------------------------------------------------------------------ alarms
    def alarm_rules(self) -> list[AlarmRule]:
        """The five alarms: metric, threshold (>=), window and what to look at first."""
        latency_budget_ms = self._function_timeout.to_milliseconds() * self.LATENCY_SHARE_OF_TIMEOUT
        return [
            AlarmRule(
                "ServerErrorsAlarm",
                self.metric_server_errors(),
                threshold=self.SERVER_ERRORS_THRESHOLD,
                datapoints=1,
                periods=1,
                meaning="listImages answered 5XX",
                first_look="the function's ERROR records (\"Request failed\") and the access log's "
                "integrationErrorMessage",
            ),
            AlarmRule(
                "LatencyAlarm",
                self.metric_latency(),
                threshold=latency_budget_ms,
                datapoints=2,
                periods=3,
                meaning=f"listImages p99 latency (ms) neared the function's timeout "
                f"({self.LATENCY_SHARE_OF_TIMEOUT:.0%} of it)",
                first_look="X-Ray traces of the slowest requests: which AWS call waits",
            ),
            AlarmRule(
                "FunctionErrorsAlarm",
                self.metric_function_errors(),
                threshold=self.FUNCTION_ERRORS_THRESHOLD,
                datapoints=1,
                periods=1,
                meaning="the listImages function failed in Lambda (timeout, out of memory, failed init)",
                first_look="the function's log: 'Task timed out', 'Runtime exited' or an init error",
            ),
            AlarmRule(
                "FunctionThrottlesAlarm",
                self.metric_function_throttles(),
                threshold=self.FUNCTION_THROTTLES_THRESHOLD,
                datapoints=1,
                periods=1,
                meaning="Lambda refused to run the listImages function (callers got 5XX)",
                first_look="the account's ConcurrentExecutions and the function's reserved concurrency",
            ),
            AlarmRule(
                "AwsThrottlingAlarm",
                self.metric_aws_throttled_requests(),
                threshold=self.AWS_THROTTLED_THRESHOLD,
                datapoints=2,
                periods=3,
                meaning="AWS throttled listImages' EC2/CloudFormation calls (callers got 429)",
                first_look="the 'AWS throttled the request' records (awsError), then who else calls "
                "DescribeImages/DescribeStacks in the account",
            ),
        ]

    def add_alarms(
        self,
        *,
        topic: sns.ITopic | None = None,
        alarm_action: cloudwatch.IAlarmAction | None = None,
        email_addresses: Sequence[str] = (),
    ) -> list[cloudwatch.Alarm]:
        """Create the five alarms (see ``alarm_rules``), each notifying one action.

        Parameters
        ----------
        topic:
            An existing SNS topic to notify (its policy must let CloudWatch alarms publish).
        alarm_action:
            Any other alarm action (e.g. an OpsCenter or Lambda action). At most one of ``topic`` and
            ``alarm_action``; with neither, the construct creates a KMS-encrypted, TLS-only topic
            (``alarm_topic``).
        email_addresses:
            Email subscriptions to the created topic (each address must confirm); not with ``topic`` or
            ``alarm_action``, whose subscriptions are managed where they are.
        """
        if self.alarms:
            raise ValueError("add_alarms() was already called for this API")
        action = self._alarm_action(topic, alarm_action, email_addresses)
        for rule in self.alarm_rules():
            alarm = rule.metric.create_alarm(
                self,
                rule.construct_id,
                threshold=rule.threshold,
                evaluation_periods=rule.periods,
                datapoints_to_alarm=rule.datapoints,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=rule.description,
            )
            alarm.add_alarm_action(action)
            self.alarms.append(alarm)
        return list(self.alarms)

    def _alarm_action(
        self,
        topic: sns.ITopic | None,
        alarm_action: cloudwatch.IAlarmAction | None,
        email_addresses: Sequence[str],
    ) -> cloudwatch.IAlarmAction:
        if isinstance(email_addresses, str):  # a bare string would be read character by character
            raise TypeError("email_addresses must be a list of strings, not a string")
        if topic is not None and alarm_action is not None:
            raise ValueError("give topic or alarm_action, not both")
        if email_addresses and (topic is not None or alarm_action is not None):
            raise ValueError(
                "email_addresses subscribe to the topic the construct creates; subscribe them to your own "
                "topic or action where it is managed"
            )
        for address in email_addresses:
            if not Token.is_unresolved(address) and not EMAIL_ADDRESS.match(address):
                raise ValueError(f"email_addresses: malformed address {address!r}")
        if alarm_action is not None:
            return alarm_action
        if topic is None:
            topic = self._build_alarm_topic(email_addresses)
        return cloudwatch_actions.SnsAction(topic)

    def _build_alarm_topic(self, email_addresses: Sequence[str]) -> sns.Topic:
        """A topic encrypted with its own rotating key, refusing non-TLS requests, published to by alarms."""
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the listImages alarm notifications (SNS topic at rest)",
            enable_key_rotation=True,
            # The key protects notifications in flight only; nothing encrypted with it outlives the stack.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        topic = sns.Topic(
            self, "AlarmTopic", display_name="listImages alarms", master_key=key, enforce_ssl=True
        )
        # CloudWatch publishes as its service principal, only for this account's alarms in this Region
        # (both conditions guard against a confused deputy); grant_publish also grants it the key's use.
        topic.grant_publish(
            iam.PrincipalWithConditions(
                iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                {
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": self._alarm_arns()},
                },
            )
        )
        for address in email_addresses:
            subscription = topic.add_subscription(subscriptions.EmailSubscription(address))
            _acknowledge(subscription, "Serverless-SNSRedrivePolicy", _EMAIL_DLQ_REASON)
        self.alarm_topic = topic
        return topic

    def _alarm_arns(self) -> str:
        return Stack.of(self).format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    # --------------------------------------------------------------------------------- dashboard
    def add_dashboard(self, *, dashboard_name: str | None = None) -> cloudwatch.Dashboard:
        """A dashboard with one row per concern: traffic, latency, function health, AWS upstream.

        Graphs draw the alarm thresholds as horizontal lines, whether or not the alarms exist.
        """
        timeout_ms = self._function_timeout.to_milliseconds()
        latency_budget_ms = timeout_ms * self.LATENCY_SHARE_OF_TIMEOUT
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        rows: list[list[Callable[[int], cloudwatch.GraphWidget]]] = [
            [
                _graph("Requests", {"Requests": self.metric_requests()}),
                _graph("4XX answers", {"4XX": self.metric_client_errors()}),
                _graph("5XX answers", {"5XX": self.metric_server_errors()}, self.SERVER_ERRORS_THRESHOLD),
            ],
            [
                _graph(
                    "Latency (ms)",
                    {
                        "Latency p99": self.metric_latency(),
                        "Integration p99": self.metric_integration_latency(),
                    },
                    latency_budget_ms,
                ),
                _graph(
                    "Function duration (ms)",
                    {"Duration p99": self.metric_function_duration()},
                    timeout_ms,
                    "timeout",
                ),
            ],
            [
                _graph(
                    "Function errors",
                    {"Errors": self.metric_function_errors()},
                    self.FUNCTION_ERRORS_THRESHOLD,
                ),
                _graph(
                    "Function throttles",
                    {"Throttles": self.metric_function_throttles()},
                    self.FUNCTION_THROTTLES_THRESHOLD,
                ),
            ],
            [
                _graph(
                    "AWS throttled requests (429)",
                    {"AWS throttled": self.metric_aws_throttled_requests()},
                    self.AWS_THROTTLED_THRESHOLD,
                ),
                _graph("Skipped off-schema AMIs and stacks", {"Skipped": self.metric_skipped_resources()}),
            ],
        ]
        for row in rows:
            width = DASHBOARD_WIDTH // len(row)
            dashboard.add_widgets(*(widget_of(width) for widget_of in row))
        return dashboard


DASHBOARD_WIDTH = 24  # CloudWatch's grid


def _graph(
    title: str,
    metrics: dict[str, cloudwatch.Metric],
    line: float | None = None,
    line_label: str = "alarm",
) -> Callable[[int], cloudwatch.GraphWidget]:
    """A graph of labelled metrics with an optional threshold line, built once its row knows its width."""
    annotations = (
        [cloudwatch.HorizontalAnnotation(value=line, label=line_label)] if line is not None else None
    )
    labelled = [metric.with_(label=label) for label, metric in metrics.items()]
    return lambda width: cloudwatch.GraphWidget(
        title=title, left=labelled, left_annotations=annotations, width=width, height=6
    )


def _acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


_EMAIL_DLQ_REASON = (
    "An email subscription's dead-letter queue would park undelivered alarm emails in a queue nobody "
    "watches; the alarm's state and history stay in CloudWatch whether or not the email arrives."
)
