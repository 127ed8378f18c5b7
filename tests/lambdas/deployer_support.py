"""Support for the approved-model deployer's handler tests: the function's environment, moto resources (the model
package group and its versions, the endpoint, the notification topic), a Stubber on the handler's CloudFormation
client (moto has no CloudFormation here), and SQS batches built from the sample events."""

from __future__ import annotations

import importlib
import json
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends
from support.sample_events import load_event
from support.sns_queue import drain_sns_envelopes

from lambdas.model_deployer.contract import (
    ENV_CLOUDFORMATION_ROLE_ARN,
    ENV_ENDPOINT_NAME,
    ENV_MODEL_PACKAGE_GROUP,
    ENV_PARAMETER_NAME,
    ENV_STACK_NAME,
    ENV_TOPIC_ARN,
    INITIAL_VALUE,
    POWERTOOLS_METRICS_NAMESPACE,
    POWERTOOLS_SERVICE_NAME,
)

HANDLER_MODULE = "lambdas.model_deployer.handler"
REGION = "us-east-1"
STACK_NAME = "SageMakerRealtime"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{DEFAULT_ACCOUNT_ID}:stack/{STACK_NAME}/5b1f9c40-c8a7-11f1-9e3d-0a1b2c3d4e5f"
PARAMETER = "ChallengerModelPackageArn"
GROUP = "churn-models"
ENDPOINT = "churn-endpoint"
CFN_ROLE_ARN = (
    f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/cdk-hnb659fds-cfn-exec-role-{DEFAULT_ACCOUNT_ID}-{REGION}"
)
OTHER_PARAMETERS = ("BootstrapVersion", "AssetParameterDigest")
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"


def package_arn(version: int) -> str:
    return f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:model-package/{GROUP}/{version}"


def stack_description(served: str, status: str = "UPDATE_COMPLETE") -> dict[str, Any]:
    """A DescribeStacks response of the serving stack, serving ``served`` (a version ARN or ``initial``)."""
    parameters = [{"ParameterKey": PARAMETER, "ParameterValue": served}]
    parameters += [{"ParameterKey": name, "ParameterValue": f"value-of-{name}"} for name in OTHER_PARAMETERS]
    return {
        "Stacks": [
            {
                "StackId": STACK_ID,
                "StackName": STACK_NAME,
                "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
                "StackStatus": status,
                "Parameters": parameters,
                "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            }
        ]
    }


def expected_update(version: int, token: str) -> dict[str, Any]:
    """The exact UpdateStack request that serves ``version``."""
    return {
        "StackName": STACK_ID,
        "UsePreviousTemplate": True,
        "Parameters": [
            {"ParameterKey": PARAMETER, "ParameterValue": package_arn(version)},
            *({"ParameterKey": name, "UsePreviousValue": True} for name in OTHER_PARAMETERS),
        ],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        "RoleARN": CFN_ROLE_ARN,
        "ClientRequestToken": token,
    }


def stack_event(status: str, *, token: str, resource: str = STACK_NAME, reason: str = "") -> dict[str, Any]:
    resource_type = "AWS::CloudFormation::Stack" if resource == STACK_NAME else "AWS::SageMaker::Endpoint"
    return {
        "StackId": STACK_ID,
        "EventId": str(uuid.uuid4()),
        "StackName": STACK_NAME,
        "LogicalResourceId": resource,
        "ResourceType": resource_type,
        "Timestamp": datetime(2026, 11, 22, 9, 40, tzinfo=UTC),
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
        "ClientRequestToken": token,
    }


def sqs_batch(*bodies: dict[str, Any] | str) -> dict[str, Any]:
    """An SQS event as Lambda's event source mapping delivers it, one record per body."""
    records = []
    for index, body in enumerate(bodies):
        records.append(
            {
                "messageId": f"message-{index}",
                "receiptHandle": f"receipt-{index}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795770845000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795770965000",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:deployer-queue",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def approval(version: int, status: str = "Approved") -> dict[str, Any]:
    """The sample approval (or rejection) event, for ``version`` of the group."""
    name = (
        "model_package_state_change_approved"
        if status == "Approved"
        else "model_package_state_change_rejected"
    )
    event = load_event(name)
    event["detail"] = {
        **event["detail"],
        "ModelPackageArn": package_arn(version),
        "ModelPackageVersion": version,
    }
    event["resources"] = [package_arn(version)]
    return event


@dataclass
class Deployer:
    """The handler inside moto, its CloudFormation Stubber, and ways to read back what it did."""

    module: types.ModuleType
    cloudformation: Stubber
    """botocore's Stubber on the handler's CloudFormation client: each request is checked against botocore's
    service model and against the expected parameters; an unexpected call fails the test."""
    queue_url: str
    versions: dict[int, str] = field(default_factory=dict)

    def register(self, version: int, status: str = "PendingManualApproval") -> str:
        """Register the group's next version in moto (versions are numbered in order from 1)."""
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        arn: str = sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelPackageDescription=f"churn model v{version}",
            InferenceSpecification={
                "Containers": [
                    {"Image": IMAGE, "ModelDataUrl": f"s3://artifacts/churn/models/v{version}.tar.gz"}
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelApprovalStatus=status,
        )["ModelPackageArn"]
        assert arn == package_arn(version), arn
        self.versions[version] = arn
        return arn

    def set_status(self, version: int, status: str, description: str | None = None) -> None:
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        kwargs: dict[str, Any] = {"ModelPackageArn": package_arn(version), "ModelApprovalStatus": status}
        if description is not None:
            kwargs["ApprovalDescription"] = description
        sagemaker.update_model_package(**kwargs)

    def set_endpoint_status(self, status: str) -> None:
        sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].endpoints[ENDPOINT].endpoint_status = status

    def invoke(self, *bodies: dict[str, Any] | str) -> dict[str, Any]:
        from support.lambda_context import FakeLambdaContext

        result: dict[str, Any] = self.module.lambda_handler(sqs_batch(*bodies), FakeLambdaContext())
        return result

    def notifications(self) -> list[tuple[str, str]]:
        """(subject, message) of the SNS messages published since the last call."""
        return [
            (envelope.get("Subject", ""), envelope["Message"])
            for envelope in drain_sns_envelopes(self.queue_url, REGION)
        ]


@pytest.fixture
def deployer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployer]:
    """The deployer's handler with the environment its construct sets, in moto: an empty group, an InService
    endpoint, a topic with an SQS subscriber."""
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        topic_arn = sns.create_topic(Name="model-deployment")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        role = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/model"
        sagemaker.create_model(
            ModelName="challenger", ExecutionRoleArn=role, PrimaryContainer={"Image": IMAGE}
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName="config",
            ProductionVariants=[
                {
                    "VariantName": "challenger",
                    "ModelName": "challenger",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="config")
        env = {
            ENV_STACK_NAME: STACK_NAME,
            ENV_PARAMETER_NAME: PARAMETER,
            ENV_MODEL_PACKAGE_GROUP: GROUP,
            ENV_ENDPOINT_NAME: ENDPOINT,
            ENV_CLOUDFORMATION_ROLE_ARN: CFN_ROLE_ARN,
            ENV_TOPIC_ARN: topic_arn,
            POWERTOOLS_SERVICE_NAME: "approved-model-deployer-test",
            POWERTOOLS_METRICS_NAMESPACE: "SageMakerConstructs/DeliveryTest",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "AWS_DEFAULT_REGION": REGION,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        module = importlib.reload(importlib.import_module(HANDLER_MODULE))
        stubber = Stubber(module.cloudformation)
        with stubber:
            yield Deployer(module=module, cloudformation=stubber, queue_url=queue_url)
            stubber.assert_no_pending_responses()


__all__ = [
    "INITIAL_VALUE",
    "STACK_ID",
    "Deployer",
    "approval",
    "deployer",
    "expected_update",
    "package_arn",
    "stack_description",
    "stack_event",
    "sqs_batch",
]
