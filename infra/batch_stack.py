"""Batch inference: the sample churn model scores each day's input nightly, with data capture on, and each file
dropped under ``incoming/`` as it arrives."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from constructs import Construct

from sagemaker_constructs import (
    BatchDataCapture,
    BatchStrategy,
    BatchTransform,
    ContainerImage,
    DataProcessing,
    JoinSource,
    Model,
    ModelData,
    SecureBucket,
    TransformInput,
    TransformOutput,
    TransformSchedule,
)

from .realtime_stack import MODEL_ARTIFACT, XGBOOST_VERSION


class BatchInferenceStack(Stack):
    """Nightly scoring at 02:00 UTC of ``input/<yesterday>/``, and a run for each file that lands under
    ``incoming/``: two transforms on separate prefixes, so no record is scored by both."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        model = Model(
            self,
            "Model",
            image=ContainerImage.for_algorithm("xgboost", XGBOOST_VERSION),
            model_data=ModelData.from_asset(str(MODEL_ARTIFACT)),
            network_isolation=True,
        )
        self.input_data = SecureBucket(
            self, "InputData", description="batch scoring input", event_bridge_enabled=True
        )
        self.transform = BatchTransform(
            self,
            "NightlyScoring",
            model=model,
            input=TransformInput(
                bucket=self.input_data.bucket, prefix="input/", date_format="[Y0001]-[M01]-[D01]"
            ),
            output=TransformOutput(prefix="predictions/", accept="text/csv"),
            instance_type="ml.m5.xlarge",
            instance_count=1,
            batch_strategy=BatchStrategy.MULTI_RECORD,
            data_processing=DataProcessing(join_source=JoinSource.INPUT),
            data_capture=BatchDataCapture(generate_inference_id=True),
            schedule=TransformSchedule.daily(hour=2, flexible_window=Duration.minutes(15)),
            job_timeout=Duration.hours(2),
        )
        # Files scored as they arrive: each one alone, under its own prefix, so the nightly run never sees them.
        self.arrival_transform = BatchTransform(
            self,
            "ArrivalScoring",
            model=model,
            input=TransformInput(bucket=self.input_data.bucket, prefix="incoming/", date_format=None),
            output=TransformOutput(
                bucket=self.transform.output_bucket, prefix="arrival-predictions/", accept="text/csv"
            ),
            instance_type="ml.m5.xlarge",
            batch_strategy=BatchStrategy.MULTI_RECORD,
            data_processing=DataProcessing(join_source=JoinSource.INPUT),
            run_on_input_arrival=True,
            job_timeout=Duration.hours(2),
        )
