"""The permissions of the open monitoring backend: the state machine's (exactly the calls of its definition) and
the planner's (list and read the capture and ground truth, write under the monitor's output prefix).

The state machine's processing-job actions are those Step Functions documents for the optimized SageMaker
integration (``.sync``): "IAM policies for Amazon SageMaker AI", CreateProcessingJob
(https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html): ``sagemaker:CreateProcessingJob``,
``DescribeProcessingJob``, ``StopProcessingJob``, ``AddTags``, ``ListTags``, ``events:PutTargets``,
``PutRule`` and ``DescribeRule`` on ``StepFunctionsGetEventsForSageMakerProcessingJobsRule``, and
``iam:PassRole`` on the job role for ``sagemaker.amazonaws.com``. aws-cdk-lib has no processing-job task to
compare with (only ``SageMakerCreateTrainingJob``/``TransformJob``/``EndpointConfig``...).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.sync_jobs import grant_sync_jobs

from ._open_monitor import OpenMonitor
from ._open_planner import OpenMonitorPlanner
from ._open_workflow import JOB_NAME_BASE_LENGTH


def grant_state_machine(
    monitor: OpenMonitor,
    state_machine: sfn.StateMachine,
    planner: OpenMonitorPlanner,
    namespace: str | None,
    topic: sns.ITopic | None,
) -> None:
    """Let the state machine run its own processing jobs, invoke the planner, read and write the run's reports,
    publish the metrics, put the events and notify ``topic``."""
    stack = Stack.of(state_machine)
    sm = state_machine
    # SageMaker ARNs carry names in lower case.
    base = monitor.monitoring_schedule_name[:JOB_NAME_BASE_LENGTH].lower()
    jobs = stack.format_arn(service="sagemaker", resource="processing-job", resource_name=f"{base}-*")
    grant_sync_jobs(sm, kind="Processing", jobs_arn=jobs, sid="ProcessingJobs")
    sm.add_to_role_policy(
        iam.PolicyStatement(
            sid="PassJobRole",
            actions=["iam:PassRole"],
            resources=[monitor.role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
    )
    planner.grant_invoke(sm)
    reports = monitor.output_bucket.arn_for_objects(f"{monitor.output_prefix}/*")
    # GetObject: summary.json; PutObject: the no-data summary and Clarify's analysis config.
    iam.Grant.add_to_principal(grantee=sm, actions=["s3:GetObject", "s3:PutObject"], resource_arns=[reports])
    key = monitor.output_kms_key
    if key is not None:
        key.grant(sm, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
    if namespace is not None:
        sm.add_to_role_policy(
            iam.PolicyStatement(
                sid="PutMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": namespace}},
            )
        )
    sm.add_to_role_policy(
        iam.PolicyStatement(
            sid="PutEvents",
            actions=["events:PutEvents"],
            resources=[stack.format_arn(service="events", resource="event-bus", resource_name="default")],
        )
    )
    if topic is not None:
        # Exactly what publishing to an encrypted topic needs (Topic.grant_publish grants kms:GenerateDataKey*).
        iam.Grant.add_to_principal(grantee=sm, actions=["sns:Publish"], resource_arns=[topic.topic_arn])
        if topic.master_key is not None:
            topic.master_key.grant(sm, "kms:GenerateDataKey", "kms:Decrypt")
    if monitor._volume_kms_key is not None:
        monitor._volume_kms_key.grant(sm, "kms:CreateGrant", "kms:DescribeKey")
    _nag.acknowledge_resource(
        sm,
        jobs,
        "Each run creates processing jobs named after its scheduled time, under the schedule's prefix.",
    )
    _nag.acknowledge_resource(sm, reports, "Each run reads and writes its reports, named at run time.")
    _nag.acknowledge(
        sm,
        "IAM5[Resource::*]",
        "X-Ray tracing, CloudWatch Logs delivery and cloudwatch:PutMetricData (limited to the monitor's "
        "namespace by a condition) support no resource-level permissions.",
    )


def grant_planner(monitor: OpenMonitor, planner: OpenMonitorPlanner) -> None:
    """Let the shared planner list and read ``monitor``'s captured data and ground truth, and write the
    manifests and ``monitor.json`` under its output prefix."""
    role = planner.role
    monitor.source.grant_read_captured_data(role)
    ground_truth = getattr(monitor, "ground_truth", None)
    if ground_truth is not None:
        ground_truth.bind(role)
    objects = monitor.output_bucket.arn_for_objects(f"{monitor.output_prefix}/*")
    iam.Grant.add_to_principal(grantee=role, actions=["s3:PutObject"], resource_arns=[objects])
    key = monitor.output_kms_key
    if key is not None:
        key.grant(role, "kms:Encrypt", "kms:GenerateDataKey")
    _nag.acknowledge_resource(role, objects, "The planner writes each run's manifests and monitor.json.")
