"""The props of a ``BatchTransform``: their checks, and the ``CreateTransformJob`` request they render to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, Size
from aws_cdk import aws_kms as kms

from sagemaker_constructs._internal.validation import (
    ENV_KEY_PATTERN,
    ValidationErrors,
    is_token,
    size_in,
    whole_size,
)
from sagemaker_constructs.hosting.model import IModel
from sagemaker_constructs.hosting.variants import InstanceType

from .transform_options import (
    BatchDataCapture,
    BatchStrategy,
    DataProcessing,
    ModelClientOptions,
    SplitType,
    TransformInput,
    TransformOutput,
    payload_megabytes,
)
from .transform_schedule import TransformSchedule

_JOB_PREFIX_PATTERN = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
_JOB_NAME_SUFFIX_LENGTH = 25  # "-<run id: 21 hex characters>-<attempt: 2 digits>"
MAX_JOB_NAME_PREFIX = 63 - _JOB_NAME_SUFFIX_LENGTH


def validate_props(
    description: str,
    model: IModel,
    input: TransformInput,
    output: TransformOutput,
    instance_type: InstanceType,
    instance_count: int,
    batch_strategy: BatchStrategy | None,
    max_payload: Size | None,
    max_concurrent_transforms: int | None,
    data_processing: DataProcessing | None,
    environment: Mapping[str, str] | None,
    model_client: ModelClientOptions | None,
    data_capture: BatchDataCapture | None,
    prefix: str,
    schedule: TransformSchedule | None,
    job_timeout: Duration,
    capacity_retries: int,
    capacity_retry_wait: Duration,
    run_on_input_arrival: bool,
) -> None:
    """Check the props of a ``BatchTransform`` (``description`` names it in the message) and raise one
    ValidationError listing every problem."""
    errors = ValidationErrors(description)
    if model.is_multi_model:
        errors.add("'model' must not be a multi-model container: batch transform serves one model")
    input.validate(errors)
    output.validate(errors)
    # CreateTransformJob TransformResources.InstanceType: enum TransformInstanceType in botocore's SageMaker
    # model (data/sagemaker_enums.json, package data: the check does not depend on botocore being installed).
    errors.check_instance_type(
        "instance_type",
        instance_type.name,
        "TransformInstanceType",
        "a batch transform",
        "'ml.m5.large', 'ml.c5.xlarge', 'ml.g4dn.xlarge'",
    )
    errors.check_range("instance_count", instance_count, 1, None, integer=True)
    megabytes = None
    if max_payload is not None and not is_token(max_payload):
        megabytes = whole_size(max_payload, "MiB")
        if megabytes is None:
            errors.add(f"'max_payload' must be whole MB, got {size_in(max_payload, 'MiB'):g} MB")
        errors.check_range("max_payload", megabytes, 0, 100, unit="MB")
    errors.check_range("max_concurrent_transforms", max_concurrent_transforms, 0, None, integer=True)
    if (
        megabytes is not None
        and max_concurrent_transforms is not None
        and not is_token(max_concurrent_transforms)
        and megabytes * max_concurrent_transforms > 100
    ):
        errors.add(
            "'max_concurrent_transforms' x 'max_payload' must not exceed 100 MB, got "
            f"{max_concurrent_transforms} x {megabytes} MB = {max_concurrent_transforms * megabytes} MB"
        )
    if batch_strategy is not None and input.split_type in (None, SplitType.NONE):
        errors.add(
            f"'batch_strategy' {batch_strategy.value} needs 'input.split_type' Line, RecordIO or TFRecord, "
            f"got {input.split_type.value if input.split_type else None}"
        )
    if data_processing is not None:
        data_processing.validate(errors)
    env = environment or {}
    if len(env) > 16:
        errors.add(f"'environment' must hold at most 16 variables, got {len(env)}")
    for key, value in env.items():
        if not is_token(key) and (len(key) > 1024 or not ENV_KEY_PATTERN.fullmatch(key)):
            errors.add(f"'environment' key must match {ENV_KEY_PATTERN.pattern}, got {key!r}")
        if not is_token(value) and len(value) > 10240:
            errors.add(f"'environment[{key!r}]' must be at most 10240 characters, got {len(value)}")
    if model_client is not None:
        model_client.validate(errors)
    if data_capture is not None:
        data_capture.validate(errors)
    bad_prefix = len(prefix) > MAX_JOB_NAME_PREFIX or not _JOB_PREFIX_PATTERN.fullmatch(prefix)
    if not is_token(prefix) and bad_prefix:
        errors.add(
            f"'job_name_prefix' must be 1-{MAX_JOB_NAME_PREFIX} lowercase letters, digits and hyphens "
            "(job names add 25 characters and must fit in 63; SageMaker lower-cases names in ARNs), "
            f"got {prefix!r}"
        )
    if schedule is not None:
        schedule.validate(errors)
        if run_on_input_arrival:
            errors.add(
                "'run_on_input_arrival' and 'schedule' must not both be set: each arrived object is scored "
                "on arrival, and the scheduled run would score it again; use two BatchTransforms on "
                "separate input prefixes, got both"
            )
    errors.check_seconds("job_timeout", job_timeout, 60, 86400 * 4)
    errors.check_range("capacity_retries", capacity_retries, 0, 10, integer=True)
    errors.check_seconds("capacity_retry_wait", capacity_retry_wait, 1, 86400)
    errors.raise_if_any()


def render_request(
    model: IModel,
    input: TransformInput,
    output: TransformOutput,
    output_key: kms.IKey | None,
    instance_type: InstanceType,
    instance_count: int,
    batch_strategy: BatchStrategy | None,
    max_payload: Size | None,
    max_concurrent_transforms: int | None,
    data_processing: DataProcessing | None,
    environment: Mapping[str, str] | None,
    model_client: ModelClientOptions | None,
    volume_kms_key: kms.IKey | None,
    data_capture: BatchDataCapture | None,
    capture_key: kms.IKey | None,
    data_capture_s3_uri: str | None,
) -> dict[str, Any]:
    """The CreateTransformJob request, except the per-run name, input URI and output path."""
    transform_input: dict[str, Any] = {}
    if input.content_type:
        transform_input["ContentType"] = input.content_type
    if input.split_type is not None:
        transform_input["SplitType"] = input.split_type.value
    if input.compression is not None:
        transform_input["CompressionType"] = input.compression.value
    transform_output: dict[str, Any] = {}
    if output.accept:
        transform_output["Accept"] = output.accept
    if output.assemble_with is not None:
        transform_output["AssembleWith"] = output.assemble_with.value
    if output_key is not None:
        transform_output["KmsKeyId"] = output_key.key_arn
    resources: dict[str, Any] = {"InstanceType": instance_type.name, "InstanceCount": instance_count}
    if volume_kms_key is not None:
        resources["VolumeKmsKeyId"] = volume_kms_key.key_arn
    request: dict[str, Any] = {
        "ModelName": model.model_name,
        "TransformInput": transform_input,
        "TransformOutput": transform_output,
        "TransformResources": resources,
    }
    if batch_strategy is not None:
        request["BatchStrategy"] = batch_strategy.value
    megabytes = payload_megabytes(max_payload)
    if megabytes is not None:
        request["MaxPayloadInMB"] = megabytes
    if max_concurrent_transforms is not None:
        request["MaxConcurrentTransforms"] = max_concurrent_transforms
    if environment:
        request["Environment"] = dict(environment)
    if model_client is not None:
        client: dict[str, Any] = {}
        if model_client.invocations_timeout is not None:
            client["InvocationsTimeoutInSeconds"] = int(model_client.invocations_timeout.to_seconds())
        if model_client.invocations_max_retries is not None:
            client["InvocationsMaxRetries"] = model_client.invocations_max_retries
        if client:
            request["ModelClientConfig"] = client
    if data_processing is not None:
        processing: dict[str, Any] = {}
        if data_processing.input_filter:
            processing["InputFilter"] = data_processing.input_filter
        if data_processing.output_filter:
            processing["OutputFilter"] = data_processing.output_filter
        if data_processing.join_source is not None:
            processing["JoinSource"] = data_processing.join_source.value
        request["DataProcessing"] = processing
    if data_capture is not None:
        assert data_capture_s3_uri is not None
        capture: dict[str, Any] = {
            "DestinationS3Uri": data_capture_s3_uri,
            "GenerateInferenceId": data_capture.generate_inference_id,
        }
        if capture_key is not None:
            capture["KmsKeyId"] = capture_key.key_arn
        request["DataCaptureConfig"] = capture
    return request
