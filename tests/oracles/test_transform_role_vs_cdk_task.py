"""Oracle: the BatchTransform state machine role grants every action aws-cdk-lib's own task grants.

aws-cdk-lib's ``SageMakerCreateTransformJob`` (``integration_pattern=RUN_JOB``) is AWS's own statement of what a
``createTransformJob.sync`` task calls; its policy is synthesized here, not retyped. Our role may scope resources
more tightly (its own job-name prefix), but it must allow every one of those actions on the jobs it starts and on
the managed EventBridge rule the ``.sync`` integration uses.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from oracle_support import ACCOUNT, REGION, actions_of, allows, resources_of, role_statements

from infra.app import cdk_context
from sagemaker_constructs import BatchTransform, ContainerImage, Model, ModelData, TransformInput

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"
SYNC_RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/StepFunctionsGetEventsForSageMakerTransformJobsRule"

# Differences from aws-cdk-lib's policy that are deliberate, each with the reason a reader can check.
DELIBERATE = {
    # aws-cdk-lib creates a SageMaker role for the task and lets the state machine pass it, but
    # CreateTransformJob takes no role (botocore's model of the request has no role member:
    # test_create_transform_job_takes_no_role checks that), so the pass is never used. Least privilege drops it.
    "iam:PassRole": "CreateTransformJob passes no role",
}


@pytest.fixture(scope="module")
def templates() -> dict[str, Any]:
    """One app, two stacks: ours (BatchTransform) and aws-cdk-lib's SageMakerCreateTransformJob task."""
    app = App(context=cdk_context())
    env = Environment(account=ACCOUNT, region=REGION)
    ours = Stack(app, "Ours", env=env)
    model = Model(
        ours,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )
    batch = BatchTransform(
        ours,
        "Batch",
        model=model,
        input=TransformInput(bucket=s3.Bucket.from_bucket_name(ours, "In", "input-bucket")),
    )
    theirs = Stack(app, "Theirs", env=env)
    task = tasks.SageMakerCreateTransformJob(
        theirs,
        "Transform",
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
        transform_job_name="job",
        model_name="model",
        transform_input=tasks.TransformInput(
            transform_data_source=tasks.TransformDataSource(
                s3_data_source=tasks.TransformS3DataSource(s3_uri="s3://input-bucket/input/")
            )
        ),
        transform_output=tasks.TransformOutput(s3_output_path="s3://output-bucket/predictions/"),
    )
    reference = sfn.StateMachine(
        theirs, "StateMachine", definition_body=sfn.DefinitionBody.from_chainable(task)
    )
    assembly = app.synth()
    ours_template = assembly.get_stack_by_name("Ours").template
    theirs_template = assembly.get_stack_by_name("Theirs").template
    return {
        "ours": role_statements(
            ours_template, ours.get_logical_id(batch.state_machine.role.node.default_child)
        ),
        "theirs": role_statements(theirs_template, theirs.get_logical_id(reference.role.node.default_child)),
        "job_name_prefix": ours.resolve(batch.job_name_prefix),
    }


def concrete_resources(job_name_prefix: str) -> dict[str, str]:
    """What a run touches, by service: a job named as the workflow names it, and the managed rule."""
    job = f"{job_name_prefix}-20261201-020004-1a2b3c4d"  # NameJob: prefix-YYYYMMDD-HHMMSS-<8 of a UUID>
    return {
        "sagemaker": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/{job}",
        "events": SYNC_RULE,
    }


def test_the_oracle_is_not_empty(templates):
    actions = {a for st in templates["theirs"] for a in actions_of(st)}
    # If aws-cdk-lib ever stops rendering these, the comparison below would prove nothing.
    assert {"sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "events:PutRule"} <= actions


def test_state_machine_role_grants_every_action_of_aws_cdk_lib_task(templates):
    concrete = concrete_resources(templates["job_name_prefix"])
    missing = []
    for statement in templates["theirs"]:
        for action in actions_of(statement):
            if action in DELIBERATE:
                continue
            resource = concrete[action.split(":")[0]]
            # aws-cdk-lib's own resource covers what our workflow touches (else the oracle says nothing).
            assert any(
                allows([{**statement, "Resource": r}], action, resource) for r in resources_of(statement)
            )
            if not allows(templates["ours"], action, resource):
                missing.append(f"{action} on {resource}")
    assert missing == [], "the state machine role lacks what aws-cdk-lib grants: " + ", ".join(missing)


def test_deliberate_differences_are_still_differences(templates):
    """A listed difference that aws-cdk-lib no longer has is stale: drop it from DELIBERATE."""
    theirs = {a for st in templates["theirs"] for a in actions_of(st)}
    assert set(DELIBERATE) <= theirs


def test_create_transform_job_takes_no_role():
    """Why iam:PassRole is not needed: botocore's model of CreateTransformJob has no role member."""
    shape = (
        botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateTransformJob")
    )

    def role_members(structure: Any, path: str, seen: set[str]) -> list[str]:
        found = []
        for name, member in structure.members.items():
            if "role" in name.lower():
                found.append(f"{path}.{name}")
            if member.type_name == "structure" and member.name not in seen:
                found += role_members(member, f"{path}.{name}", seen | {member.name})
        return found

    assert role_members(shape.input_shape, "CreateTransformJob", set()) == []


def test_our_role_is_narrower_than_aws_cdk_lib(templates):
    """Ours may not reach another transform job, whose name lacks our prefix (aws-cdk-lib's reaches all)."""
    other = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/someone-elses-job"
    assert allows(templates["theirs"], "sagemaker:StopTransformJob", other)
    assert not allows(templates["ours"], "sagemaker:StopTransformJob", other)
