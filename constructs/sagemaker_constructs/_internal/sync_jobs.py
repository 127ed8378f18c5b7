"""What a Step Functions role needs to run SageMaker jobs through the optimized ``.sync`` integration."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn


def grant_sync_jobs(state_machine: sfn.StateMachine, *, kind: str, jobs_arn: str, sid: str) -> None:
    """Let ``state_machine`` create, describe and stop the ``kind`` jobs (``Transform``,
    ``Processing``) matching ``jobs_arn`` and wait for them.

    Step Functions tags the jobs of ``.sync`` integrations (``MANAGED_BY_AWS``): without ``sagemaker:AddTags`` the
    first run fails with "not authorized to perform: sagemaker:AddTags" (aws/aws-cdk#26012; aws-cdk-lib's own
    ``SageMakerCreateTransformJob`` grants it and ``ListTags``). The integration waits on a managed EventBridge
    rule, ``StepFunctionsGetEventsForSageMaker<kind>JobsRule`` (Step Functions developer guide, "IAM policies for
    Amazon SageMaker AI").
    """
    state_machine.add_to_role_policy(
        iam.PolicyStatement(
            sid=sid,
            actions=[
                f"sagemaker:Create{kind}Job",
                f"sagemaker:Describe{kind}Job",
                f"sagemaker:Stop{kind}Job",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            ],
            resources=[jobs_arn],
        )
    )
    state_machine.add_to_role_policy(
        iam.PolicyStatement(
            sid="SyncIntegrationRule",
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[
                Stack.of(state_machine).format_arn(
                    service="events",
                    resource="rule",
                    resource_name=f"StepFunctionsGetEventsForSageMaker{kind}JobsRule",
                )
            ],
        )
    )
