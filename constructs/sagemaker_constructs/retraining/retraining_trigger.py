"""``RetrainingTrigger``: alarms, monitoring violations and a schedule start a SageMaker pipeline through a
Powertools Lambda function, exactly once per incident, with every decision told to SNS and nothing lost."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, Lazy, Names, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from sagemaker_constructs._internal import dead_letter as _dead_letter
from sagemaker_constructs._internal.handlers import retraining_trigger_contract as contract
from sagemaker_constructs._internal.powertools_function import POWERTOOLS_VERSION as _POWERTOOLS_VERSION
from sagemaker_constructs._internal.validation import (
    ValidationError,
    check_argument_types,
    checked_arguments,
    construct_path,
    is_token,
)
from sagemaker_constructs.common.notification_topic import NotificationTopic
from sagemaker_constructs.monitoring._monitor_base import MonitorBase

from . import _open_monitors as _open
from ._trigger_function import HANDLER_ROOT as HANDLER_ROOT
from ._trigger_function import OpenMonitorsProducer, trigger_function
from ._trigger_props import (
    check_default_lookback,
    check_env_size,
    check_lookback_covers,
    check_props,
    effective_lookback,
    open_monitors_env_size,
    schedules_env_size,
)
from .sagemaker_pipeline import IPipeline

POWERTOOLS_VERSION = _POWERTOOLS_VERSION
"""The Powertools for AWS Lambda (Python) release whose public layer the function uses (pinned)."""


class IncidentField(enum.Enum):
    """A field of the triggering incident that a pipeline parameter can take."""

    TRIGGER_TYPE = "trigger_type"
    """``alarm``, ``monitor-violation`` or ``schedule``."""
    ALARM_NAME = "alarm_name"
    """The alarm that went into ALARM (empty otherwise)."""
    ENDPOINT_NAME = "endpoint_name"
    """The endpoint of the alarm's metric (its ``EndpointName`` or ``Endpoint`` dimension), or of the monitoring
    execution with violations (its summary's ``EndpointName``)."""
    MONITORING_SCHEDULE = "monitoring_schedule"
    """The monitoring schedule whose execution found violations."""
    REASON = "reason"
    """The alarm's state reason, the monitoring execution's status and scheduled time, or "scheduled retraining"."""
    INCIDENT_TIME = "incident_time"
    """When the incident happened (ISO-8601)."""
    INCIDENT_ID = "incident_id"
    """The incident's identity: one execution at most per incident id."""


class RetrainingTrigger(Construct):
    """Starts a SageMaker pipeline when alarms fire, monitors find violations, or on a fallback schedule.

    - **Violations from the API**: a monitor's processing-job event is only a claim, confirmed with
      ``ListMonitoringExecutions``; a reconciliation rule lists the recent executions of every wired schedule,
      so a violation the event misses still starts retraining. A monitor on the open backend
      (``MonitorBackend.processing()``) is confirmed and reconciled from its runs' ``summary.json`` instead.
    - **Exactly once per incident**: a Powertools idempotency record per incident (an alarm's transition into
      ALARM, one monitoring execution, one scheduled time) in an encrypted DynamoDB table, and a deterministic
      ``ClientRequestToken``, so duplicate deliveries and retries never start a second execution.
    - **No pile-ups**: no start while an execution of the pipeline is running, and none within ``cooldown`` of
      the last start (a conditional write makes concurrent incidents race-safe).
    - **Every decision told**: started, skipped for a running execution or the cooldown (and why) and failed go
      to an SNS topic; duplicates and ignored events are logged and counted only. A malformed event (parsed
      into typed models) is told as failed once, counted once, and failed so that it is parked.
    - **Nothing lost**: rule targets retry for ``max_event_age`` and then park events in an encrypted SQS
      dead-letter queue, the function's failed async invocations land there too, and its depth raises an alarm.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline: IPipeline,
        alarms: Sequence[cloudwatch.IAlarm] = (),
        monitors: Sequence[MonitorBase] = (),
        schedule: events.Schedule | None = None,
        static_parameters: Mapping[str, str] | None = None,
        event_parameters: Mapping[str, IncidentField] | None = None,
        cooldown: Duration = Duration.hours(6),
        idempotency_ttl: Duration = Duration.days(1),
        notification_topic: sns.ITopic | None = None,
        max_event_age: Duration = Duration.hours(6),
        max_trigger_age: Duration | None = None,
        retry_attempts: int = 10,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        table_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        powertools_version: str = POWERTOOLS_VERSION,
        violation_reconciliation: Duration = Duration.hours(1),
        violation_lookback: Duration | None = None,
    ) -> None:
        """Define the trigger.

        :param pipeline: the pipeline to start (``SageMakerPipeline`` or ``SageMakerPipeline.from_pipeline_name``).
        :param alarms: CloudWatch alarms whose transitions into ALARM start it. Default: - none yet (``add_alarm``).
        :param monitors: monitors (either backend) whose violations start it; each needs baseline constraints
            (``reports_violations``). Default: - none yet (``add_monitor``).
        :param schedule: a fallback schedule, e.g. ``events.Schedule.cron(week_day="SUN", hour="2", minute="0")``.
            Default: - none.
        :param static_parameters: pipeline parameters with fixed values. Default: - none.
        :param event_parameters: pipeline parameters taken from the incident. Default: - none.
        :param cooldown: no second start this long after the last start. Default: 6 hours
        :param idempotency_ttl: how long an incident is remembered; at least ``max_event_age``. Default: 1 day
        :param notification_topic: told about every decision. Default: - an encrypted ``NotificationTopic``.
        :param max_event_age: how long EventBridge and Lambda retry an event before the dead-letter queue,
            60 s to 6 hours. Default: 6 hours
        :param max_trigger_age: an event older than this (by its EventBridge ``time``) starts nothing and is
            reported as ``skipped-stale``; 60 s to ``idempotency_ttl`` (an older event could be an incident already
            forgotten). Shorter than twice ``max_event_age`` (EventBridge's retries, then Lambda's), a delivery
            retried that long may be skipped as stale.
            Default: - ``idempotency_ttl``
        :param retry_attempts: EventBridge retries per event. Default: 10
        :param log_retention: Default: one year
        :param table_removal_policy: Default: RemovalPolicy.RETAIN
        :param powertools_version: the Powertools layer release. Default: "3.37.0"
        :param violation_reconciliation: how often the function lists the executions of the wired monitors'
            schedules (1 minute to 1 day; only once a monitor is wired). Default: 1 hour
        :param violation_lookback: how far back, by scheduled time, those lists and the event's confirmation look;
            between ``violation_reconciliation`` and ``idempotency_ttl``. Default: - 1 day, or ``idempotency_ttl``
            if that is shorter
        """
        check_argument_types(
            construct_path(scope, construct_id, "RetrainingTrigger"), RetrainingTrigger.__init__, locals()
        )
        super().__init__(scope, construct_id)
        static = dict(static_parameters or {})
        dynamic = dict(event_parameters or {})
        parameters_size = check_props(
            f"RetrainingTrigger '{self.node.path}'", pipeline, static, dynamic, cooldown, idempotency_ttl,
            max_event_age, max_trigger_age, retry_attempts, violation_reconciliation, violation_lookback,
            powertools_version,
        )  # fmt: skip

        self.pipeline = pipeline
        self._max_event_age = max_event_age
        self._max_trigger_age = max_trigger_age or idempotency_ttl
        self._retry_attempts = retry_attempts
        self._violation_reconciliation = violation_reconciliation
        self._violation_lookback = effective_lookback(violation_lookback, idempotency_ttl)
        self._schedule_names: list[str] = []
        self._open_monitors: list[dict[str, str]] = []
        self._lists_monitoring_executions = False
        self._parameters_size = parameters_size
        self.reconciliation_rule: events.Rule | None = None
        """The rule that has the function reconcile the wired monitors' executions (once a monitor is wired)."""
        self._notifications: NotificationTopic | None = None
        self.topic: sns.ITopic
        if notification_topic is None:
            self._notifications = NotificationTopic(self, "Notifications", description="retraining decision")
            self.topic = self._notifications.topic
        else:
            self.topic = notification_topic

        self.table_key = kms.Key(self, "TableKey", description="Encrypts retraining trigger state", enable_key_rotation=True,
                                 removal_policy=table_removal_policy)  # fmt: skip
        self.table = dynamodb.Table(
            self,
            "State",
            partition_key=dynamodb.Attribute(
                name=contract.TABLE_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.table_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=contract.TABLE_TTL_ATTRIBUTE,
            removal_policy=table_removal_policy,
        )
        self.dead_letter_queue = self._new_dead_letter_queue(self)
        self.service_name = (
            f"retraining-{pipeline.pipeline_name}"[:64]
            if not is_token(pipeline.pipeline_name)
            else "retraining"
        )
        self.metrics_namespace = "SageMakerConstructs/Retraining"
        self.function = trigger_function(
            self, pipeline=pipeline, table=self.table, table_key=self.table_key, topic=self.topic,
            notifications=self._notifications, dead_letter_queue=self.dead_letter_queue, static=static,
            dynamic=dynamic, cooldown=cooldown, idempotency_ttl=idempotency_ttl,
            max_trigger_age=self._max_trigger_age, max_event_age=self._max_event_age,
            schedule_names=self._schedule_names, violation_lookback=self._violation_lookback,
            service_name=self.service_name, metrics_namespace=self.metrics_namespace,
            log_retention=log_retention, powertools_version=powertools_version,
        )  # fmt: skip
        self.dead_letter_alarm = self._dead_letter_alarm(self, self.dead_letter_queue)

        self._rules_by_scope: dict[tuple[str, str], events.Rule] = {}
        self._listed_by_scope: dict[str, _open.ListedMonitorsProducer] = {}
        self._alarm_arns: list[str] = []
        self._schedule_arns: list[str] = []
        for alarm in alarms:
            self.add_alarm(alarm)
        for monitor in monitors:
            self.add_monitor(monitor)
        if schedule is not None:
            self._add_rule(
                events.Rule(
                    self,
                    "ScheduleRule",
                    schedule=schedule,
                    description="Fallback schedule of the retraining trigger",
                )
            )

    # ------------------------------------------------------------------------------------------------ triggers

    def add_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Start the pipeline when ``alarm`` goes into ALARM.

        An alarm of another stack gets its rule in that stack, so this stack never depends on it: the
        retraining stack deploys on its own, and monitoring stacks plug into it.
        """
        if alarm.alarm_arn in self._alarm_arns:
            raise ValidationError(f"alarm {alarm.node.path!r} already triggers this retraining")
        self._alarm_arns.append(alarm.alarm_arn)
        pattern_resources = [alarm.alarm_arn]
        rule = self._rules_by_scope.get(("alarm", self._rule_scope(alarm).node.path))
        if rule is not None:
            rule.add_event_pattern(resources=pattern_resources)
            return
        scope = self._rule_scope(alarm)
        rule = events.Rule(
            scope,
            "RetrainOnAlarm" if scope is not self else "AlarmRule",
            description=f"Alarms into ALARM start retraining ({self.pipeline.pipeline_name})",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"],
                detail_type=["CloudWatch Alarm State Change"],
                resources=pattern_resources,
                detail={"state": {"value": ["ALARM"]}},
            ),
        )
        self._rules_by_scope[("alarm", scope.node.path)] = rule
        self._add_rule(rule)

    @checked_arguments
    def add_monitor(self, monitor: MonitorBase) -> None:
        """Start the pipeline when an execution of ``monitor`` completes with violations.

        Model Monitor backend: ``ListMonitoringExecutions`` decides (status ``CompletedWithViolations``). The
        monitor's processing-job event is the fast path (its rule placed like ``add_alarm``'s) and the
        reconciliation rule, every ``violation_reconciliation``, lists the schedule's recent executions, so that
        none is missed.

        Processing backend (``MonitorBackend.processing()``): the execution's ``summary.json`` under the monitor's
        report prefix decides (``status`` ``CompletedWithViolations``). The workflow's "Monitoring Execution Status
        Change" event is the fast path and the reconciliation reads the summaries of the lookback window's hours;
        the function may read and list the monitor's reports under its prefix (and decrypt them). A reports
        bucket (or key) created in another stack is never named in this stack (the stacks would depend on each
        other): that stack's bucket and key policies grant the function's role, its event's ``summaryUri`` names
        the bucket, and a reconciliation rule in that stack lists its monitors. An imported bucket or key has no
        policy to edit and is granted on the function's role (an import of the monitor's own stack would cycle).

        A monitor without baseline constraints can never report violations and is refused.
        """
        if not monitor.reports_violations:
            raise ValidationError(
                f"'monitor' must have baseline constraints to report violations (Model Monitor checks executions "
                f"only against them): pass baseline=Baseline(constraints=...) to it, or trigger retraining from one "
                f"of its alarms with add_alarm; got monitor {monitor.node.path!r} without constraints"
            )
        if monitor.backend.is_processing:
            self._add_open_monitor(monitor)
            return
        arn = monitor.monitoring_schedule_arn
        if arn in self._schedule_arns:
            raise ValidationError(f"monitor {monitor.node.path!r} already triggers this retraining")
        self._check_env_size(
            monitor, [*self._schedule_names, monitor.monitoring_schedule_name], self._open_monitors
        )
        self._schedule_arns.append(arn)
        self._schedule_names.append(monitor.monitoring_schedule_name)
        self._ensure_reconciliation()
        if not self._lists_monitoring_executions:
            self._lists_monitoring_executions = True
            # "Except for the ListTags API, resource-level restrictions are not available on List- calls"
            # (https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html), so no schedule ARN.
            iam.Grant.add_to_principal(
                grantee=self.function,
                actions=["sagemaker:ListMonitoringExecutions"],
                resource_arns=["*"],
            )
        check_lookback_covers(self._violation_lookback, self._violation_reconciliation, monitor)
        scope = self._rule_scope(monitor)
        rule = self._rules_by_scope.get(("monitor", scope.node.path))
        if rule is not None:
            rule.add_event_pattern(detail={"MonitoringScheduleArn": [arn]})
            return
        rule = events.Rule(
            scope,
            "RetrainOnViolations" if scope is not self else "MonitorRule",
            description=f"Monitoring executions with violations start retraining ({self.pipeline.pipeline_name})",
            event_pattern=monitor.violations_event_pattern(),
        )
        self._rules_by_scope[("monitor", scope.node.path)] = rule
        self._add_rule(rule)

    def _ensure_reconciliation(self) -> None:
        """The reconciliation rule, once."""
        if self.reconciliation_rule is not None:
            return
        check_default_lookback(self._violation_lookback, self._violation_reconciliation)
        self.reconciliation_rule = events.Rule(
            self,
            "ReconcileRule",
            schedule=events.Schedule.rate(self._violation_reconciliation),
            description=f"Lists monitoring executions with violations for retraining ({self.pipeline.pipeline_name})",
        )
        self._add_rule(self.reconciliation_rule, event=_open.reconcile_input({}))

    def _check_env_size(
        self, monitor: MonitorBase, schedule_names: list[str], open_monitors: list[dict[str, str]]
    ) -> None:
        check_env_size(
            monitor,
            self._parameters_size
            + schedules_env_size(schedule_names)
            + open_monitors_env_size(open_monitors),
        )

    def _add_open_monitor(self, monitor: MonitorBase) -> None:
        """Wire a monitor of the processing backend: its event, its reports (read and listed) and its place in
        the reconciliation (the function's ``OPEN_MONITORS``; a bucket of another stack, _open_monitors.py)."""
        name = monitor.monitoring_schedule_name
        if any(entry[contract.OPEN_MONITOR_NAME_KEY] == name for entry in self._open_monitors):
            raise ValidationError(f"monitor {monitor.node.path!r} already triggers this retraining")
        prefix = monitor.output_prefix.strip("/")
        elsewhere = _open.bucket_by_policy(Stack.of(self), monitor)
        entry = {contract.OPEN_MONITOR_NAME_KEY: name, contract.OPEN_MONITOR_PREFIX_KEY: prefix}
        if elsewhere:
            _open.check_static_location(monitor, prefix)
        else:
            entry[contract.OPEN_MONITOR_BUCKET_KEY] = monitor.output_bucket.bucket_name
        self._check_env_size(monitor, self._schedule_names, [*self._open_monitors, entry])
        self._ensure_reconciliation()
        check_lookback_covers(self._violation_lookback, self._violation_reconciliation, monitor)
        _open.grant_reports(self.function, monitor, prefix, by_bucket_policy=elsewhere)
        if elsewhere:
            self._list_for_reconciliation(monitor, prefix)
        if not self._open_monitors:
            self.function.add_environment(
                contract.ENV_OPEN_MONITORS, Lazy.string(OpenMonitorsProducer(self, self._open_monitors))
            )
        self._open_monitors.append(entry)
        scope = self._rule_scope(monitor)
        rule = self._rules_by_scope.get(("open-monitor", scope.node.path))
        if rule is not None:
            rule.add_event_pattern(detail={"monitoringScheduleName": [name]})
            return
        rule = events.Rule(
            scope,
            "RetrainOnOpenMonitorViolations" if scope is not self else "OpenMonitorRule",
            description=(
                "Open-backend monitoring executions with violations start retraining "
                f"({self.pipeline.pipeline_name})"
            ),
            event_pattern=monitor.violations_event_pattern(),
        )
        self._rules_by_scope[("open-monitor", scope.node.path)] = rule
        self._add_rule(rule)

    def _list_for_reconciliation(self, monitor: MonitorBase, prefix: str) -> None:
        """List ``monitor`` in the reconciliation rule of its bucket's stack (one rule per stack)."""
        scope = self._rule_scope(monitor.output_bucket)
        listed = self._listed_by_scope.get(scope.node.path)
        if listed is None:
            listed = self._listed_by_scope[scope.node.path] = _open.ListedMonitorsProducer()
            rule = events.Rule(
                scope,
                "ReconcileOpenMonitors",
                schedule=events.Schedule.rate(self._violation_reconciliation),
                description=f"Lists open monitors' reports for retraining ({self.pipeline.pipeline_name})",
            )
            self._add_rule(
                rule, event=_open.reconcile_input({contract.RECONCILE_OPEN_MONITORS_KEY: Lazy.any(listed)})
            )
        listed.entries.append(_open.listed_entry(monitor, prefix))

    def _rule_scope(self, source: IConstruct) -> Construct:
        source_stack = Stack.of(source)
        if source_stack is Stack.of(self):
            return self
        scope_id = f"RetrainingTrigger-{Names.node_unique_id(self.node)[-8:]}"
        existing = source_stack.node.try_find_child(scope_id)
        return existing if isinstance(existing, Construct) else Construct(source_stack, scope_id)

    # ------------------------------------------------------------------------------------------------- metrics

    @checked_arguments
    def metric(
        self, metric_name: str, *, statistic: str = "Sum", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """A metric the handler emits (Powertools EMF, dimension ``service``). Statistic Sum, 5 minutes."""
        return cloudwatch.Metric(
            namespace=self.metrics_namespace,
            metric_name=metric_name,
            dimensions_map={"service": self.service_name},
            statistic=statistic,
            period=period or Duration.minutes(5),
        )

    @checked_arguments
    def metric_pipelines_started(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Pipelines started. Statistic Sum, period 5 minutes."""
        return self.metric(contract.METRIC_PIPELINES_STARTED, period=period)

    @checked_arguments
    def metric_triggers_received(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Events received. Statistic Sum, period 5 minutes."""
        return self.metric(contract.METRIC_TRIGGERS_RECEIVED, period=period)

    @checked_arguments
    def metric_triggers_skipped(self, reason: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Triggers skipped for ``reason``: ``duplicate``, ``running``, ``cooldown``, ``unconfirmed``, ``stale``
        or ``ignored``.
        Statistic Sum, period 5 minutes."""
        if reason not in contract.SKIP_REASONS.values():
            raise ValidationError(
                f"'reason' must be one of {sorted(contract.SKIP_REASONS.values())}, got {reason!r}"
            )
        return cloudwatch.Metric(
            namespace=self.metrics_namespace,
            metric_name=contract.METRIC_SKIPPED,
            dimensions_map={"service": self.service_name, contract.METRIC_SKIPPED_REASON_DIMENSION: reason},
            statistic="Sum",
            period=period or Duration.minutes(5),
        )

    @checked_arguments
    def metric_failures(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Triggers that failed (and will be retried or dead-lettered). Statistic Sum, period 5 minutes."""
        return self.metric(contract.METRIC_FAILURES, period=period)

    # ----------------------------------------------------------------------------------------------- internals

    def _add_rule(self, rule: events.Rule, *, event: events.RuleTargetInput | None = None) -> None:
        # A rule in another stack gets a dead-letter queue of its own there: a queue policy in this stack
        # naming that rule would make this stack depend on the other one (and the other one depends on this
        # function), a cycle. CDK already places the Lambda permission in the rule's stack.
        queue = (
            self.dead_letter_queue
            if rule.node.scope is self
            else self._local_dead_letter_queue(rule.node.scope)
        )
        rule.add_target(
            events_targets.LambdaFunction(
                self.function,
                event=event,
                dead_letter_queue=queue,
                retry_attempts=self._retry_attempts,
                max_event_age=self._max_event_age,
            )
        )

    def _local_dead_letter_queue(self, scope: IConstruct | None) -> sqs.IQueue:
        assert isinstance(scope, Construct)
        queue = self._new_dead_letter_queue(scope)
        self._dead_letter_alarm(scope, queue)
        return queue

    @staticmethod
    def _new_dead_letter_queue(scope: Construct) -> sqs.Queue:
        return _dead_letter.dead_letter_queue(scope, nag_reason="This queue is itself the dead-letter queue.")

    def _dead_letter_alarm(self, scope: Construct, queue: sqs.IQueue) -> cloudwatch.Alarm:
        return _dead_letter.dead_letter_alarm(
            scope,
            queue,
            description=f"A retraining trigger for {self.pipeline.pipeline_name} could not be processed",
            topic=self.topic,
        )
