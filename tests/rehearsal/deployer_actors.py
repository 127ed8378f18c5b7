"""The actors of the approved-model path (ApprovedModelPackage, ApprovedModelDeployer), derived from the
synthesized templates: the deployer's function (its role's calls, from the handler's code and the API references)
and the role of a model whose container serves a model package version (reading a registered version's artifact
where the retraining pipeline writes it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from actors import SNS_SSE, _parameter_defaults, _value
from support.aws_calls import Call, arn, call, read_objects
from support.cfn_resolve import REGION, World

from lambdas.model_deployer import contract

HANDLER = "model_deployer.handler.lambda_handler"
LIST_MODEL_PACKAGES = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModelPackages.html; lambdas/model_deployer/"
    "reconcile.py newest_approved (SageMaker List- actions take no resource-level permissions)"
)
DESCRIBE_MODEL_PACKAGE = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackage.html; handler.py "
    "handle_package (a rejection's ApprovalDescription)"
)
DESCRIBE_ENDPOINT = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html; reconcile.py (deploy "
    "only to an InService endpoint)"
)
CFN_CALLS = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html (and DescribeStacks, "
    "DescribeStackEvents); reconcile.py"
)
PASS_ROLE = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html: a user (here the "
    "function) that specifies a service role needs iam:PassRole on it"
)
SQS_SOURCE = (
    "https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions (the execution role "
    "receives, deletes and reads the attributes of the queue's messages)"
)
MODEL_PACKAGE_ROLE = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms "
    "(the model's execution role reads the model artifacts: with ModelPackageName, those of the version's "
    "InferenceSpecification, which the retraining pipeline's training step wrote)"
)


def _function_queue(world: World, stack: str, logical: str) -> str:
    name = world.resolve(stack, {"Ref": logical})
    for s, _lid, mapping in world.resources("AWS::Lambda::EventSourceMapping"):
        if s == stack and mapping["FunctionName"] == name:
            return str(mapping["EventSourceArn"])
    raise AssertionError(f"{stack}/{logical}: no SQS event source")


def model_deployer_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """Each deployer function's role: read the registry, the endpoint and the serving stack, update the stack
    passing the CloudFormation role, publish notifications, consume its queue."""
    found = False
    for stack, logical, function in world.resources("AWS::Lambda::Function"):
        if function.get("Handler") != HANDLER:
            continue
        found = True
        env = function["Environment"]["Variables"]
        role = function["Role"]
        actor = f"approved-model deployer {stack}/{logical}"
        serving = env[contract.ENV_STACK_NAME]
        stack_arn = arn("cloudformation", f"stack/{serving}/5b1f9c40-c8a7-11f1-9e3d-0a1b2c3d4e5f")
        group = env[contract.ENV_MODEL_PACKAGE_GROUP]
        endpoint = env[contract.ENV_ENDPOINT_NAME]
        calls = [
            call(actor, role, "sagemaker:ListModelPackages", "*", why="newest Approved version", source=LIST_MODEL_PACKAGES),
            call(actor, role, "sagemaker:DescribeModelPackage", arn("sagemaker", f"model-package/{group}/3"),
                 why="a rejection's description", source=DESCRIBE_MODEL_PACKAGE),
            # SageMaker authorizes against the endpoint's ARN, which holds its name in lower case.
            call(actor, role, "sagemaker:DescribeEndpoint", arn("sagemaker", f"endpoint/{endpoint.lower()}"),
                 why="endpoint InService", source=DESCRIBE_ENDPOINT),
            *(call(actor, role, action, stack_arn, why="read and update the serving stack", source=CFN_CALLS)
              for action in ("cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
                             "cloudformation:UpdateStack")),
            call(actor, role, "iam:PassRole", env[contract.ENV_CLOUDFORMATION_ROLE_ARN], why="UpdateStack RoleARN",
                 source=PASS_ROLE, **{"iam:PassedToService": "cloudformation.amazonaws.com"}),
        ]  # fmt: skip
        topic = env[contract.ENV_TOPIC_ARN]
        calls.append(call(actor, role, "sns:Publish", topic, why="notify", source="handler.py notify"))
        key = world.topic_keys.get(topic)
        if key:
            calls += [call(actor, role, a, key, why="publish to an encrypted topic", source=SNS_SSE,
                           **{"kms:ViaService": f"sns.{REGION}.amazonaws.com"})
                      for a in ("kms:GenerateDataKey", "kms:Decrypt")]  # fmt: skip
        queue = _function_queue(world, stack, logical)
        calls += [call(actor, role, a, queue, why="SQS event source", source=SQS_SOURCE)
                  for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                            "sqs:GetQueueAttributes")]  # fmt: skip
        yield actor, calls
    assert found, "no approved-model deployer function in the app"


def _registered_artifact(world: World, group: str) -> str:
    """Where the pipeline that registers versions of ``group`` writes a version's model artifact."""
    for _stack, _logical, props in world.resources("AWS::SageMaker::Pipeline"):
        definition = json.loads(props["PipelineDefinition"]["PipelineDefinitionBody"])
        steps = definition["Steps"]
        if not any(s["Type"] == "RegisterModel" and s["Arguments"].get("ModelPackageGroupName") == group
                   for s in steps):  # fmt: skip
            continue
        parameters = _parameter_defaults(definition)
        for step in steps:
            if step["Type"] == "Training":
                output = _value(step["Arguments"]["OutputDataConfig"]["S3OutputPath"], parameters, {})
                return (
                    f"{output}/pipelines-0123456789ab-{step['Name'].lower()}-abcdef0123/output/model.tar.gz"
                )
    raise AssertionError(f"no pipeline registers versions of {group!r}")


def _serves_package(model: dict[str, Any]) -> bool:
    container = model.get("Properties", {}).get("PrimaryContainer", {})
    return "Fn::If" in json.dumps(container.get("ModelPackageName", ""))


def package_model_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """The role of each model whose container can serve a model package version (an ApprovedModelPackage's):
    it reads a registered version's artifact, where the group's pipeline writes it."""
    groups = {str(f["Environment"]["Variables"][contract.ENV_MODEL_PACKAGE_GROUP])
              for _s, _l, f in world.resources("AWS::Lambda::Function") if f.get("Handler") == HANDLER}  # fmt: skip
    for stack, logical, props in world.resources("AWS::SageMaker::Model"):
        if not _serves_package(world.stacks[stack].resources[logical]):
            continue
        role = props["ExecutionRoleArn"]
        for group in sorted(groups):
            actor = f"model {stack}/{logical} serving a version of {group} (model role)"
            yield actor, read_objects(world, actor, role, [_registered_artifact(world, group)],
                                      why="registered model artifact", source=MODEL_PACKAGE_ROLE)  # fmt: skip
