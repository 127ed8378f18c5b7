"""Rendering an endpoint config's parts (variants, data capture, asynchronous inference) and checking the props
that do not combine. Private: ``Endpoint`` is the public face."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_constructs._internal.validation import ENDPOINT_NAME_PATTERN, ValidationErrors, is_token

from . import _model_output
from .async_inference import AsyncInference
from .data_capture import DataCapture
from .deployment import DeploymentGuardrails
from .variants import ProductionVariant, ServerlessVariant, Variant

MAX_VARIANTS = 10


def validate_endpoint(
    scope: Construct,
    variants: Sequence[Variant],
    shadow: Variant | None,
    data_capture: DataCapture | None,
    deployment: DeploymentGuardrails | None,
    kms_key: kms.IKey | None,
    endpoint_name: str | None,
    async_inference: AsyncInference | None,
) -> None:
    """Check an endpoint's props together; raise one ``ValidationError`` naming every problem."""
    errors = ValidationErrors(f"Endpoint '{scope.node.path}'")
    errors.check_name("endpoint_name", endpoint_name, ENDPOINT_NAME_PATTERN, 63)
    if isinstance(variants, ProductionVariant | ServerlessVariant):
        errors.add("'variants' must be a list of variants, got a single variant; wrap it in [...]")
        errors.raise_if_any()
    if not 1 <= len(variants) <= MAX_VARIANTS:
        errors.add(f"'variants' must hold 1-{MAX_VARIANTS} production variants, got {len(variants)}")
    for index, v in enumerate(variants):
        v.validate(errors, f"variants[{index}]")
    if shadow is not None:
        shadow.validate(errors, "shadow_variant")
        if len(variants) != 1:
            errors.add(f"'shadow_variant' needs exactly one production variant, got {len(variants)}")
    names = [v.name for v in [*variants, *([shadow] if shadow else [])]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        errors.add(
            f"variant names must be unique across production and shadow variants, got duplicates {duplicates}"
        )
    weights = [v.weight for v in variants if not is_token(v.weight)]
    if variants and len(weights) == len(variants) and sum(weights) <= 0:
        errors.add(f"the production variants' weights must add up to more than 0, got {weights}")
    all_variants = [*variants, *([shadow] if shadow else [])]
    has_serverless = any(isinstance(v, ServerlessVariant) for v in all_variants)
    if kms_key is not None:
        # Allowed with serverless variants (AWS's serverless endpoint-config example passes KmsKeyId) and
        # with local-NVMe instance types: "the KmsKeyId parameter does not encrypt instance local storage",
        # which "a hardware module on the instance" encrypts (botocore's SageMaker model, CreateEndpointConfig
        # KmsKeyId; older text said the call fails). Only a warning for the latter: the key protects nothing.
        local = sorted(
            {
                v.resolved_instance_type.name
                for v in all_variants
                if isinstance(v, ProductionVariant) and v.resolved_instance_type.has_local_storage
            }
        )
        if local:
            Annotations.of(scope).add_warning_v2(
                "sagemaker-constructs:KmsKeyOnLocalStorage",
                f"'kms_key' does not encrypt the local NVMe storage of {local}: SageMaker encrypts it with a "
                "hardware module on the instance (CreateEndpointConfig, KmsKeyId).",
            )
    _validate_feature_exclusions(errors, variants, shadow, data_capture)
    if data_capture is not None:
        data_capture.validate(errors)
    if deployment is not None:
        counts = [v.instance_count for v in variants if isinstance(v, ProductionVariant)]
        deployment.validate(errors, counts, len(variants), has_serverless)
    if async_inference is not None:
        async_inference.validate(errors)
        _validate_async_exclusions(errors, variants, shadow, data_capture)
    errors.raise_if_any()


def render_variant(v: Variant) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
    """A production or shadow variant of the endpoint config."""
    if isinstance(v, ServerlessVariant):
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=v.name,
            model_name=v.model.model_name,
            initial_variant_weight=v.weight,
            serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                memory_size_in_mb=int(v.memory_size.to_mebibytes()),
                max_concurrency=v.max_concurrency,
                provisioned_concurrency=v.provisioned_concurrency,
            ),
        )
    return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name=v.name,
        model_name=v.model.model_name,
        instance_type=v.resolved_instance_type.name,
        initial_instance_count=v.instance_count,
        initial_variant_weight=v.weight,
        volume_size_in_gb=int(v.volume_size.to_gibibytes()) if v.volume_size else None,
        model_data_download_timeout_in_seconds=(
            int(v.model_data_download_timeout.to_seconds()) if v.model_data_download_timeout else None
        ),
        container_startup_health_check_timeout_in_seconds=(
            int(v.container_startup_health_check_timeout.to_seconds())
            if v.container_startup_health_check_timeout
            else None
        ),
        routing_config=(
            sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy=v.routing_strategy.value)
            if v.routing_strategy
            else None
        ),
        enable_ssm_access=v.enable_ssm_access,
    )


def data_capture_config(
    scope: Construct, capture: DataCapture, variants: Sequence[Variant]
) -> tuple[sagemaker.CfnEndpointConfig.DataCaptureConfigProperty, s3.IBucket, kms.IKey | None]:
    """The data capture config, with the bucket (created unless given) and key; grants the variants' model roles
    the writes."""
    bucket, kms_key = _model_output.resolve_bucket(
        scope,
        "DataCaptureBucket",
        description="SageMaker endpoint data capture",
        bucket=capture.bucket,
        kms_key=capture.kms_key,
        expiration=capture.expiration,
        removal_policy=capture.removal_policy,
    )
    # SageMaker writes captured data with the execution role of each variant's model.
    _model_output.grant_model_roles(
        scope,
        [(v.name, v.model) for v in variants],
        bucket=bucket,
        prefixes=[capture.prefix],
        actions=["s3:PutObject"],
        key=kms_key,
        key_actions=["kms:Encrypt", "kms:GenerateDataKey"],
        warning_id="sagemaker-constructs:DataCaptureRoleUnknown",
        feature="data capture",
        reason="SageMaker writes one object per capture file under the data capture prefix; the role may "
        "only put objects there.",
    )
    content_types = None
    if capture.csv_content_types or capture.json_content_types:
        content_types = sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
            csv_content_types=list(capture.csv_content_types) or None,
            json_content_types=list(capture.json_content_types) or None,
        )
    config = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
        enable_capture=capture.enabled,
        initial_sampling_percentage=capture.sampling_percentage,
        destination_s3_uri=bucket.s3_url_for_object(capture.prefix),
        capture_options=[
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=m) for m in capture.capture_modes
        ],
        capture_content_type_header=content_types,
        kms_key_id=kms_key.key_arn if kms_key else None,
    )
    return config, bucket, kms_key


def async_inference_config(
    scope: Construct, settings: AsyncInference, variants: Sequence[Variant]
) -> tuple[sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty, s3.IBucket, kms.IKey | None]:
    """The asynchronous inference config, with the output bucket (created unless given) and key; grants the
    variants' model roles the writes, reads and publishes SageMaker makes with them."""
    bucket, kms_key = _model_output.resolve_bucket(
        scope,
        "AsyncInferenceBucket",
        description="SageMaker asynchronous inference responses",
        bucket=settings.bucket,
        kms_key=settings.kms_key,
        expiration=settings.expiration,
        removal_policy=settings.removal_policy,
    )
    models = [(v.name, v.model) for v in variants]
    # SageMaker writes responses and failures, and publishes notifications, as each variant's model role.
    _model_output.grant_model_roles(
        scope,
        models,
        bucket=bucket,
        prefixes=settings.prefixes,
        # Responses of up to 1 GB may be uploaded in parts; an aborted upload must be cleaned up (the async
        # prerequisites page grants s3:AbortMultipartUpload). A multipart upload to a KMS-encrypted bucket also
        # needs kms:Decrypt: S3 decrypts the data key to assemble the parts ("Multipart upload API and
        # permissions", https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions;
        # https://repost.aws/knowledge-center/s3-large-file-encryption-kms-key).
        actions=["s3:PutObject", "s3:AbortMultipartUpload"],
        key=kms_key,
        key_actions=["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
        warning_id="sagemaker-constructs:AsyncInferenceRoleUnknown",
        feature="asynchronous inference",
        reason="SageMaker names each asynchronous response and failure object at run time, under its prefix; "
        "the role may only put objects there.",
    )
    if settings.input_prefix is not None:
        _model_output.grant_model_roles(
            scope,
            models,
            bucket=bucket,
            prefixes=[settings.input_prefix],
            actions=["s3:GetObject"],
            key=kms_key,
            key_actions=["kms:Decrypt"],
            warning_id="sagemaker-constructs:AsyncInferenceRoleUnknown",
            feature="asynchronous inference",
            reason="Callers name each asynchronous request object; the role may only read objects under "
            "the request prefix.",
        )
    for _, model in models:
        if model.role is not None:
            for topic in settings.topics:
                _grant_publish(topic, model.role)
    notifications = None
    if settings.topics:
        notifications = sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
            success_topic=settings.success_topic.topic_arn if settings.success_topic else None,
            error_topic=settings.error_topic.topic_arn if settings.error_topic else None,
            include_inference_response_in=[e.value for e in settings.include_inference_response_in] or None,
        )
    config = sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
        output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
            s3_output_path=bucket.s3_url_for_object(settings.output_prefix),
            s3_failure_path=(
                bucket.s3_url_for_object(settings.failure_prefix) if settings.failure_prefix else None
            ),
            kms_key_id=kms_key.key_arn if kms_key else None,
            notification_config=notifications,
        ),
        client_config=(
            sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                max_concurrent_invocations_per_instance=settings.max_concurrent_invocations_per_instance
            )
            if settings.max_concurrent_invocations_per_instance is not None
            else None
        ),
    )
    return config, bucket, kms_key


def _validate_feature_exclusions(
    errors: ValidationErrors,
    variants: Sequence[Variant],
    shadow: Variant | None,
    data_capture: DataCapture | None,
) -> None:
    """SageMaker features that do not combine: Serverless Inference's feature exclusions (multiple variants,
    data capture, multi-model and multi-container endpoints, VPC, network isolation;
    https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html) and shadow tests' exclusions
    (multi-model and multi-container endpoints, asynchronous inference;
    "Shadow tests" exclusions, https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests.html)."""
    all_variants = [*variants, *([shadow] if shadow else [])]
    serverless = [v.name for v in all_variants if isinstance(v, ServerlessVariant)]
    if serverless:
        if len(all_variants) > 1:
            errors.add(
                f"serverless variants {serverless} must be the endpoint's only variant (Serverless Inference "
                f"supports neither multiple production variants nor shadow tests), got {len(all_variants)} variants"
            )
        if data_capture is not None:
            errors.add(
                f"'data_capture' is not supported by Serverless Inference, got serverless variants {serverless}"
            )
    for v in all_variants:
        model = v.model
        pipeline = (getattr(model, "container_count", None) or 1) > 1
        if isinstance(v, ServerlessVariant):
            for feature, used in (
                ("a multi-model container", model.is_multi_model),
                ("an inference pipeline (several containers)", pipeline),
                ("a VPC", getattr(model, "in_vpc", False)),
                ("network isolation", getattr(model, "network_isolation", False)),
            ):
                if used:
                    errors.add(f"serverless variant {v.name!r} cannot serve a model with {feature}")
        if shadow is not None and (model.is_multi_model or pipeline):
            errors.add(
                f"shadow tests do not support multi-model or multi-container endpoints, got variant {v.name!r}"
            )


def _validate_async_exclusions(
    errors: ValidationErrors,
    variants: Sequence[Variant],
    shadow: Variant | None,
    data_capture: DataCapture | None,
) -> None:
    """What an asynchronous endpoint cannot combine with, each with its source. Shadow tests exclude asynchronous
    inference (shadow-tests-exclusions). Data capture is documented for real-time endpoints and batch transform
    jobs only ("You can implement Data Capture for both real-time and batch model-monitor modes",
    https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html). Several variants: botocore's
    sagemaker-runtime model gives InvokeEndpointAsync no ``TargetVariant`` (InvokeEndpoint has one), and the
    backlog metrics that scale an asynchronous endpoint (async-inference-monitor) are per endpoint, not per
    variant, so a second variant could be neither addressed nor scaled; no AWS page documents the combination. Deployment guardrails are allowed: "Deployment guardrails only apply to
    Asynchronous inference and Real-time inference"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html)."""
    serverless = [v.name for v in variants if isinstance(v, ServerlessVariant)]
    if serverless:
        errors.add(
            f"'async_inference' needs instance-based ProductionVariants (asynchronous endpoints queue requests "
            f"for instances), got serverless variants {serverless}"
        )
    if len(variants) > 1:
        errors.add(
            "'async_inference' needs exactly one production variant (InvokeEndpointAsync has no TargetVariant in "
            f"botocore's sagemaker-runtime model, and the backlog metrics are per endpoint), got {len(variants)}"
        )
    if shadow is not None:
        errors.add(
            f"'async_inference' cannot be combined with 'shadow_variant' (SageMaker shadow tests exclude "
            f"asynchronous inference), got shadow variant {shadow.name!r}"
        )
    if data_capture is not None:
        errors.add(
            "'async_inference' cannot be combined with 'data_capture' (SageMaker documents data capture for "
            "real-time endpoints and batch transform jobs only: model-monitor-data-capture), got "
            "data_capture=DataCapture(...); use data_capture=None"
        )


def _grant_publish(topic: sns.ITopic, role: iam.IRole) -> None:
    iam.Grant.add_to_principal(grantee=role, actions=["sns:Publish"], resource_arns=[topic.topic_arn])
    # An encrypted topic needs the publisher to use its key: exactly the two actions SNS asks for.
    if topic.master_key is not None:
        topic.master_key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")


def render_retention(resource: sagemaker.CfnEndpoint, *, scaled: bool, weights: bool) -> None:
    """Which variant properties a CloudFormation update keeps (``RetainAllVariantProperties`` with
    ``ExcludeRetainedVariantProperties``, UpdateEndpoint's request).

    A scaled variant's instance count is kept (an update would otherwise reset it to ``InitialInstanceCount``);
    weights are kept only when set outside the stack (``weights``), else the new config's weights apply.
    """
    excluded = [
        *([] if scaled else ["DesiredInstanceCount"]),
        *([] if weights else ["DesiredWeight"]),
    ]
    resource.retain_all_variant_properties = True
    resource.exclude_retained_variant_properties = [
        sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type=name) for name in excluded
    ] or None
