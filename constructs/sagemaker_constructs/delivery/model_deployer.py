"""``ApprovedModelDeployer``: when a model package version of a group is approved (or rejected), the serving stack
is updated with its previous template and the newest Approved version as the ``ApprovedModelPackage``'s parameter;
CloudFormation then replaces the model and endpoint config and updates the endpoint with its own deployment
guardrails (canary or linear traffic shifting, auto-rollback on its alarms).

Events (EventBridge) → an encrypted SQS queue whose delivery delay lets approvals in quick succession settle →
a Powertools function (partial batch responses, at most two concurrent batches) that reconciles: the newest Approved
version (ListModelPackages) against the stack's parameter (DescribeStacks), then UpdateStack
(``UsePreviousTemplate``, every other parameter ``UsePreviousValue``, ``RoleARN``, a deterministic
``ClientRequestToken``). Event shapes: SageMaker Developer Guide, "Events that SageMaker AI sends to Amazon
EventBridge" (model package state change); CloudFormation User Guide, "Stack Status Change event detail".
"""

from __future__ import annotations

import math

import jsii
from aws_cdk import DefaultStackSynthesizer, Duration, Fn, IStableStringProducer, Lazy, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.dead_letter import dead_letter_alarm, dead_letter_queue
from sagemaker_constructs._internal.handlers import model_deployer_contract as contract
from sagemaker_constructs._internal.powertools_function import powertools_function
from sagemaker_constructs._internal.validation import (
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)
from sagemaker_constructs.common.notification_topic import NotificationTopic
from sagemaker_constructs.hosting.endpoint_base import IEndpoint

from .approved_model import ApprovedModelPackage

FUNCTION_TIMEOUT = Duration.minutes(1)
VISIBILITY_TIMEOUT = Duration.minutes(6)
"""Six times the function's timeout, as the Lambda developer guide advises for SQS event sources."""
MAX_SETTLE_SECONDS = 900
"""SQS DelaySeconds is 0-900 seconds (SQS API reference, SetQueueAttributes)."""


class ApprovedModelDeployer(Construct):
    """Serve the newest Approved version of ``package``'s model package group on ``endpoint``, through the
    serving stack's template (the stack of ``package``), so that the stack stays the source of truth.

    - Approving a version deploys it (after ``settle_time``; approvals in quick succession deploy the latest
      only); approving the version in service changes nothing; rejecting the version in service deploys the
      newest remaining Approved one (a rollback) and every rejection notifies with its ``ApprovalDescription``.
    - A stack that is updating or an endpoint that is not InService defers the decision (the message is
      delivered again every 6 minutes for ``retry_for``, then parks in the dead-letter queue, which alarms).
    - Failed and rolled-back stack updates notify with the first failed resource's reason (an endpoint rolled
      back by its alarms names the alarm); a completed update notifies which version is in service. A version
      whose update rolled back is not retried while that rollback is the stack's last operation.
    - Malformed messages are logged, counted (``MalformedMessages``) and dropped.

    The function calls UpdateStack with ``RoleARN`` = ``cloudformation_role`` (passed with ``iam:PassRole``,
    condition ``iam:PassedToService: cloudformation.amazonaws.com``): CloudFormation acts with that role, not
    the function's, so the function needs no SageMaker write permission.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: IEndpoint,
        package: ApprovedModelPackage,
        notifications: NotificationTopic | None = None,
        settle_time: Duration = Duration.minutes(2),
        retry_for: Duration = Duration.hours(3),
        reconcile_every: Duration | None = Duration.hours(1),
        cloudformation_role: iam.IRole | None = None,
        service_name: str | None = None,
        metrics_namespace: str = contract.DEFAULT_METRICS_NAMESPACE,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        """Create the rules, the queue, its dead-letter queue and alarm, and the function.

        :param endpoint: the endpoint that serves the package's model (a deployment waits until it is InService).
        :param package: the ``ApprovedModelPackage`` whose parameter is set; its stack is the one updated.
        :param notifications: where rejections, deployments, failures, rollbacks and the dead-letter alarm go.
            Default: - a topic of its own (``Notifications``).
        :param settle_time: how long a message waits in the queue before it is processed (SQS delivery delay,
            0-15 minutes). Default: 2 minutes
        :param retry_for: how long a deferred decision (stack busy, endpoint updating) is retried before its
            message parks in the dead-letter queue. Default: 3 hours
        :param reconcile_every: also reconcile on this schedule (catches a missed event); None: only on events.
            Default: 1 hour
        :param cloudformation_role: the service role UpdateStack passes (``RoleARN``). Default: - the CDK
            bootstrap's CloudFormation execution role of the package's stack's ``DefaultStackSynthesizer``
            (``cdk-<qualifier>-cfn-exec-role-<account>-<region>``, the role ``cdk deploy`` associates with the
            stack); required with any other synthesizer.
        :param service_name: the Powertools service name (the metrics' ``service`` dimension).
            Default: - "approved-model-deployer-<stack name>"
        :param metrics_namespace: the CloudWatch namespace of the function's metrics.
            Default: "SageMakerConstructs/Delivery"
        :param log_retention: how long the function's logs are kept. Default: one year
        """
        check_argument_types(
            construct_path(scope, construct_id, "ApprovedModelDeployer"),
            ApprovedModelDeployer.__init__,
            locals(),
        )
        super().__init__(scope, construct_id)
        errors = ValidationErrors(f"ApprovedModelDeployer '{self.node.path}'")
        settle = settle_time.to_seconds()
        if not 0 <= settle <= MAX_SETTLE_SECONDS:
            errors.add(f"'settle_time' must be between 0 and 15 minutes, got {settle:g} seconds")
        retry_seconds = retry_for.to_seconds()
        if not VISIBILITY_TIMEOUT.to_seconds() <= retry_seconds <= Duration.days(3).to_seconds():
            errors.add(
                f"'retry_for' must be between 6 minutes and 3 days (the queue keeps messages 4 days), got "
                f"{retry_seconds:g} seconds"
            )
        if reconcile_every is not None and reconcile_every.to_seconds() < 60:
            errors.add(
                f"'reconcile_every' must be at least 1 minute, got {reconcile_every.to_seconds():g} seconds"
            )
        serving_stack = Stack.of(package)
        role_arn = self._cloudformation_role_arn(errors, serving_stack, cloudformation_role)
        errors.raise_if_any()

        self.package = package
        """The package whose parameter the deployer sets."""
        self.serving_stack = serving_stack
        """The stack the deployer updates (the package's)."""
        self.cloudformation_role_arn = role_arn
        """The role UpdateStack passes to CloudFormation."""
        self.notifications = notifications or NotificationTopic(
            self, "Notifications", description="model deployment"
        )
        """Where rejections, deployments, failures and rollbacks are told."""
        self.service_name = service_name or f"approved-model-deployer-{serving_stack.stack_name}"
        """The Powertools service name (the ``service`` dimension of the metrics)."""
        self.metrics_namespace = metrics_namespace
        """The namespace of the function's metrics."""

        self.dead_letter_queue = dead_letter_queue(
            self,
            nag_reason="The deployer's dead-letter queue: the messages of decisions deferred for longer than "
            "retry_for, and events EventBridge could not deliver, park here.",
        )
        """Where messages park after ``retry_for`` (and events EventBridge could not deliver)."""
        self.dead_letter_alarm = dead_letter_alarm(
            self,
            self.dead_letter_queue,
            description=f"A model deployment decision for stack {serving_stack.stack_name} was given up: read the "
            "message in the dead-letter queue and the function's logs",
            topic=self.notifications.topic,
        )
        """Alarms as soon as one message waits in the dead-letter queue."""
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            delivery_delay=settle_time,
            visibility_timeout=VISIBILITY_TIMEOUT,
            retention_period=Duration.days(4),
            # Retained like the dead-letter queue: a pending decision is in flight here.
            removal_policy=RemovalPolicy.RETAIN,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue,
                max_receive_count=max(1, math.ceil(retry_seconds / VISIBILITY_TIMEOUT.to_seconds())),
            ),
        )
        """The queue between the rules and the function (delivery delay ``settle_time``)."""
        self.function = self._function(endpoint, log_retention)
        """The deployer's function."""
        self._rules(reconcile_every)

    def _cloudformation_role_arn(
        self, errors: ValidationErrors, serving_stack: Stack, role: iam.IRole | None
    ) -> str:
        if role is not None:
            return role.role_arn
        synthesizer = serving_stack.synthesizer
        if isinstance(synthesizer, DefaultStackSynthesizer):
            # The bootstrap role's ARN with ${AWS::AccountId}-style placeholders, as the CLI's manifest has it.
            return Fn.sub(synthesizer.cloud_formation_execution_role_arn)
        errors.add(
            "'cloudformation_role' is required when the package's stack does not use DefaultStackSynthesizer "
            f"(its synthesizer is {type(synthesizer).__name__}): name the role UpdateStack should pass"
        )
        return ""

    def _function(self, endpoint: IEndpoint, log_retention: logs.RetentionDays) -> lambda_.Function:
        stack = self.serving_stack
        built = powertools_function(
            self,
            handler="model_deployer.handler.lambda_handler",
            description=f"Serves the newest approved version of {self.package.model_package_group_name} "
            f"through stack {stack.stack_name}",
            role_description="Approved model deployer function (sagemaker-constructs)",
            timeout=FUNCTION_TIMEOUT,
            memory_size=256,
            log_retention=log_retention,
            star_resource_reason="X-Ray tracing (PutTraceSegments) and sagemaker:ListModelPackages have no "
            "resource-level permissions.",
            environment={
                contract.ENV_STACK_NAME: stack.stack_name,
                contract.ENV_PARAMETER_NAME: Lazy.string(_ParameterName(self.package)),
                contract.ENV_MODEL_PACKAGE_GROUP: self.package.model_package_group_name,
                contract.ENV_ENDPOINT_NAME: endpoint.endpoint_name,
                contract.ENV_CLOUDFORMATION_ROLE_ARN: self.cloudformation_role_arn,
                contract.ENV_TOPIC_ARN: self.notifications.topic.topic_arn,
                contract.POWERTOOLS_SERVICE_NAME: self.service_name,
                contract.POWERTOOLS_METRICS_NAMESPACE: self.metrics_namespace,
            },
        )
        function, role = built.function, built.role
        # At most two concurrent batches (the event source's minimum), without reserving account concurrency (a
        # reservation fails deployment in accounts at the minimum unreserved concurrency). Concurrent decisions
        # are safe: CloudFormation runs one operation per stack and refuses UpdateStack while one is in progress
        # (the decision is then deferred), and two decisions for the same version send the same token.
        function.add_event_source(
            sources.SqsEventSource(
                self.queue, batch_size=10, report_batch_item_failures=True, max_concurrency=2
            )
        )
        stack_arn = stack.format_arn(
            service="cloudformation", resource="stack", resource_name=f"{stack.stack_name}/*"
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ServingStack",
                actions=[
                    "cloudformation:DescribeStacks",
                    "cloudformation:DescribeStackEvents",
                    "cloudformation:UpdateStack",
                ],
                resources=[stack_arn],
            )
        )
        _nag.acknowledge_resource(
            role,
            stack_arn,
            "A stack's ARN ends with an ID CloudFormation generates (stack/<name>/<uuid>): the name is fixed, the "
            "ID is not known at synth.",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassCloudFormationRole",
                actions=["iam:PassRole"],
                resources=[self.cloudformation_role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
            )
        )
        group = self.package.model_package_group_name
        packages_arn = stack.format_arn(
            service="sagemaker", resource="model-package", resource_name=f"{group}/*"
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ModelPackages", actions=["sagemaker:DescribeModelPackage"], resources=[packages_arn]
            )
        )
        _nag.acknowledge_resource(
            role,
            packages_arn,
            "The versions of the package group, numbered as they are registered: any of them may be approved.",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListModelPackages", actions=["sagemaker:ListModelPackages"], resources=["*"]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="Endpoint", actions=["sagemaker:DescribeEndpoint"], resources=[endpoint.endpoint_arn]
            )
        )
        self.notifications.grant_publish(role)
        return function

    def _rules(self, reconcile_every: Duration | None) -> None:
        target = targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letter_queue)
        events.Rule(
            self,
            "PackageRule",
            description=f"Approval changes of {self.package.model_package_group_name}'s model package versions",
            event_pattern=events.EventPattern(
                source=[contract.PACKAGE_SOURCE],
                detail_type=[contract.PACKAGE_DETAIL_TYPE],
                detail={
                    "ModelPackageGroupName": [self.package.model_package_group_name],
                    "ModelApprovalStatus": list(contract.APPROVAL_STATUSES),
                },
            ),
            targets=[target],
        )
        stack = self.serving_stack
        stack_prefix = stack.format_arn(
            service="cloudformation", resource="stack", resource_name=f"{stack.stack_name}/"
        )
        events.Rule(
            self,
            "StackRule",
            description=f"Update outcomes of stack {stack.stack_name}",
            event_pattern=events.EventPattern(
                source=[contract.STACK_SOURCE],
                detail_type=[contract.STACK_DETAIL_TYPE],
                detail={
                    "stack-id": events.Match.prefix(stack_prefix),
                    "status-details": {"status": list(contract.STACK_STATUSES)},
                },
            ),
            targets=[target],
        )
        if reconcile_every is not None:
            events.Rule(
                self,
                "ReconcileRule",
                description=f"Reconciles the model served by stack {stack.stack_name}",
                schedule=events.Schedule.rate(reconcile_every),
                targets=[
                    targets.SqsQueue(
                        self.queue,
                        dead_letter_queue=self.dead_letter_queue,
                        message=events.RuleTargetInput.from_object(
                            {
                                "source": contract.RECONCILE_SOURCE,
                                "detail-type": contract.RECONCILE_DETAIL_TYPE,
                                "id": events.EventField.event_id,
                                "time": events.EventField.time,
                                "detail": {},
                            }
                        ),
                    )
                ],
            )

    @checked_arguments
    def metric(self, metric_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """A metric the function emits (Powertools EMF, dimension ``service``). Statistic Sum, 5 minutes."""
        return cloudwatch.Metric(
            namespace=self.metrics_namespace,
            metric_name=metric_name,
            dimensions_map={"service": self.service_name},
            statistic="Sum",
            period=period or Duration.minutes(5),
        )

    @checked_arguments
    def metric_decisions(self, decision: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Reconciliations that ended in ``decision`` (``deploy``, ``in-service``, ``busy``, ``no-approved``,
        ``held-after-rollback``). Statistic Sum, 5 minutes."""
        errors = ValidationErrors(f"ApprovedModelDeployer '{self.node.path}'")
        if decision not in contract.METRIC_DECISION:
            errors.add(f"'decision' must be one of {list(contract.METRIC_DECISION)}, got {decision!r}")
        errors.raise_if_any()
        return self.metric(contract.METRIC_DECISION[decision], period=period)

    @checked_arguments
    def metric_deployments_succeeded(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Stack updates that completed (UPDATE_COMPLETE). Statistic Sum, 5 minutes."""
        return self.metric(contract.METRIC_SUCCEEDED, period=period)

    @checked_arguments
    def metric_deployments_failed(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Stack updates that failed or rolled back. Statistic Sum, 5 minutes."""
        return self.metric(contract.METRIC_FAILED, period=period)

    @checked_arguments
    def metric_packages_rejected(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Rejections of the group's versions. Statistic Sum, 5 minutes."""
        return self.metric(contract.METRIC_REJECTED, period=period)

    @checked_arguments
    def metric_malformed_messages(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Messages dropped as malformed. Statistic Sum, 5 minutes."""
        return self.metric(contract.METRIC_MALFORMED, period=period)


@jsii.implements(IStableStringProducer)
class _ParameterName:
    """The package's parameter logical ID, read at synthesis (after any ``override_logical_id``)."""

    def __init__(self, package: ApprovedModelPackage) -> None:
        self._package = package

    def produce(self) -> str:
        return self._package.parameter_name


__all__ = ["ApprovedModelDeployer"]
