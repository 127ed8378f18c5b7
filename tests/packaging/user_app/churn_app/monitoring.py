"""Monitoring and retraining, in their own stack: a data-quality monitor on the hosting stack's endpoint, a
retraining pipeline that its violations start, and, with composition, a nightly EventBridge Scheduler run."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from sagemaker_constructs import (
    Baseline,
    DataQualityMonitor,
    IEndpoint,
    IncidentField,
    MonitoringSchedule,
    MonitorSource,
    RetrainingTrigger,
    S3Source,
    SageMakerPipeline,
)


class MonitoringStack(Stack):
    """Watches an endpoint of another stack and retrains its model."""

    def __init__(
        self, scope: Construct, construct_id: str, *, endpoint: IEndpoint, composition: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.monitor = DataQualityMonitor(
            self,
            "DataQuality",
            source=MonitorSource.endpoint(endpoint),
            baseline=Baseline(
                statistics=S3Source.from_asset("baselines/data_quality/statistics.json"),
                constraints=S3Source.from_asset("baselines/data_quality/constraints.json"),
            ),
            schedule=MonitoringSchedule.hourly(),
        )
        role = iam.Role(self, "PipelineRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        self.pipeline = SageMakerPipeline(
            self,
            "Retraining",
            role=role,
            definition={
                "Version": "2020-12-01",
                "Parameters": [{"Name": "TriggerType", "Type": "String", "DefaultValue": "manual"}],
                "Steps": [],
            },
        )
        RetrainingTrigger(
            self,
            "Trigger",
            pipeline=self.pipeline,
            monitors=[self.monitor],
            event_parameters={"TriggerType": IncidentField.TRIGGER_TYPE},
        )
        if composition:
            # aws-cdk-lib's Scheduler target starts the library's pipeline.
            scheduler.Schedule(
                self,
                "NightlyRetraining",
                schedule=scheduler.ScheduleExpression.cron(hour="2", minute="0"),
                target=scheduler_targets.SageMakerStartPipelineExecution(
                    self.pipeline,
                    pipeline_parameter_list=[
                        scheduler_targets.SageMakerPipelineParameter(name="TriggerType", value="schedule")
                    ],
                ),
            )
