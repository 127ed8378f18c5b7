"""The permissions of a ``BatchTransform``: the model's execution role on the input, output and captured data,
and the state machine's on its jobs, input, manifests and topic."""

from __future__ import annotations

from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.sync_jobs import grant_sync_jobs
from sagemaker_constructs.common.notification_topic import NotificationTopic
from sagemaker_constructs.hosting.model import IModel

from .transform_options import BatchDataCapture, TransformInput, TransformOutput


def grant_model_role(
    scope: Construct,
    model: IModel,
    input: TransformInput,
    output: TransformOutput,
    output_bucket: s3.IBucket,
    output_key: kms.IKey | None,
    data_capture: BatchDataCapture | None,
    capture_bucket: s3.IBucket | None,
    capture_key: kms.IKey | None,
) -> None:
    """Let the model's execution role read the input and write the output and captured data (or warn, on
    ``scope``, when the model is imported without a role)."""
    # Transform jobs read input and write output with the model's execution role.
    role = model.role
    if role is None:
        Annotations.of(scope).add_warning_v2(
            "sagemaker-constructs:TransformRoleUnknown",
            "The model is imported without a role: grant its execution role read access to the input prefix "
            "and write access to the output (and data capture) prefix yourself.",
        )
        return
    input_objects = input.bucket.arn_for_objects(f"{input.prefix}*")
    iam.Grant.add_to_principal(grantee=role, actions=["s3:GetObject"], resource_arns=[input_objects])
    iam.Grant.add_to_principal(
        grantee=role,
        actions=["s3:ListBucket"],
        resource_arns=[input.bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{input.prefix}*"]}},
    )
    input_key = input.kms_key or input.bucket.encryption_key
    if input_key is not None:
        input_key.grant_decrypt(role)
    output_objects = output_bucket.arn_for_objects(f"{output.prefix}*")
    iam.Grant.add_to_principal(grantee=role, actions=["s3:PutObject"], resource_arns=[output_objects])
    if output_key is not None:
        output_key.grant(role, "kms:Encrypt", "kms:GenerateDataKey")
    _acknowledge_prefix(role, input.bucket, input.prefix, "reads every input file under the prefix")
    _acknowledge_prefix(role, output_bucket, output.prefix, "writes one folder per run")
    if data_capture is not None and capture_bucket is not None:
        capture_objects = capture_bucket.arn_for_objects(f"{data_capture.prefix}/*")
        iam.Grant.add_to_principal(grantee=role, actions=["s3:PutObject"], resource_arns=[capture_objects])
        if capture_key is not None:
            capture_key.grant(role, "kms:Encrypt", "kms:GenerateDataKey")
        _acknowledge_prefix(role, capture_bucket, f"{data_capture.prefix}/", "writes one file per batch")


def _acknowledge_prefix(role: iam.IRole, bucket: s3.IBucket, prefix: str, why: str) -> None:
    _nag.acknowledge_resource(
        role, bucket.arn_for_objects(f"{prefix}*"), f"A transform job {why}, named at run time."
    )


def grant_state_machine(
    state_machine: sfn.StateMachine,
    job_name_prefix: str,
    input: TransformInput,
    volume_kms_key: kms.IKey | None,
    notifications: NotificationTopic | None,
    topic: sns.ITopic,
) -> None:
    """Let the state machine run and stop its own transform jobs, check its input and publish failures."""
    stack = Stack.of(state_machine)
    jobs = stack.format_arn(
        service="sagemaker", resource="transform-job", resource_name=f"{job_name_prefix}-*"
    )
    sm = state_machine
    grant_sync_jobs(sm, kind="Transform", jobs_arn=jobs, sid="TransformJobs")
    sm.add_to_role_policy(
        iam.PolicyStatement(
            sid="CheckInput",
            actions=["s3:ListBucket"],
            resources=[input.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{input.prefix}*"]}},
        )
    )
    if notifications is None:
        topic.grant_publish(sm)
    else:
        notifications.grant_publish(sm)
    if volume_kms_key is not None:
        volume_kms_key.grant(sm, "kms:CreateGrant", "kms:DescribeKey")
    _nag.acknowledge_resource(
        sm,
        jobs,
        "Each run creates a transform job with a new name; the prefix limits the state machine to its own jobs.",
    )
    _nag.acknowledge(
        sm,
        "IAM5[Resource::*]",
        "X-Ray tracing and CloudWatch Logs delivery (added by CDK for tracing and logging) support no "
        "resource-level permissions.",
    )


def grant_manifests(
    state_machine: sfn.StateMachine,
    output_bucket: s3.IBucket,
    model: IModel,
    output_key: kms.IKey | None,
    manifest_prefix: str,
) -> None:
    """Let the state machine write the manifests of runs of one arrived object, and the model's role read them."""
    manifests = output_bucket.arn_for_objects(f"{manifest_prefix}*")
    iam.Grant.add_to_principal(grantee=state_machine, actions=["s3:PutObject"], resource_arns=[manifests])
    if output_key is not None:
        output_key.grant(state_machine, "kms:Encrypt", "kms:GenerateDataKey")
    _nag.acknowledge_resource(
        state_machine,
        manifests,
        "A run of one arrived object writes its manifest, named at run time.",
    )
    if model.role is not None:
        iam.Grant.add_to_principal(grantee=model.role, actions=["s3:GetObject"], resource_arns=[manifests])
        if output_key is not None:
            output_key.grant_decrypt(model.role)
        _nag.acknowledge_resource(
            model.role, manifests, "A transform job reads the manifest of its run, named at run time."
        )
