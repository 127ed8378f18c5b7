"""Composition with aws-cdk-lib: the library's models, endpoints and pipelines passed to aws-cdk-lib's own
constructs (S3 grants, EC2 connections, API Gateway's SageMaker integration, EventBridge Scheduler's SageMaker
pipeline target), in one stack and across stacks.

Each consumer is the real aws-cdk-lib construct; it reaches our objects through jsii, so a Python-only protocol
fails here with the errors users saw ("Cannot read properties of undefined (reading 'addToPrincipalPolicy')",
"this.endpoint.grantInvoke is not a function").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Duration, Resource, Stack, Token
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_constructs import ContainerImage, Endpoint, Model, ProductionVariant, SageMakerPipeline

IMAGE = ContainerImage.from_image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1")
ENDPOINT_ARN = "arn:aws:sagemaker:eu-west-1:210987654321:endpoint/churn-legacy"
PIPELINE_ARN = "arn:aws:sagemaker:eu-west-1:210987654321:pipeline/churn-retraining"
MODEL_ARN = "arn:aws:sagemaker:eu-west-1:210987654321:model/churn-v3"
INVOKE = "sagemaker:InvokeEndpoint"
START = "sagemaker:StartPipelineExecution"
DEFINITION = {"Version": "2020-12-01", "Parameters": [], "Steps": []}


def _statements(template: Template) -> list[dict[str, Any]]:
    """Every statement of every AWS::IAM::Policy in the template, with the roles the policy is attached to."""
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        props = policy["Properties"]
        for statement in props["PolicyDocument"]["Statement"]:
            found.append({**statement, "Roles": props.get("Roles", [])})
    return found


def _allows(statement: dict[str, Any], action: str) -> bool:
    actions = statement["Action"]
    return statement["Effect"] == "Allow" and action in (actions if isinstance(actions, list) else [actions])


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def _grants(template: Template, action: str, resource: Any) -> list[dict[str, Any]]:
    """The statements allowing ``action`` on exactly ``resource`` (a resolved ARN)."""
    return [s for s in _statements(template) if _allows(s, action) and resource in _resources(s)]


def _endpoint(stack: Stack, construct_id: str = "Endpoint") -> Endpoint:
    model = Model(stack, f"{construct_id}Model", image=IMAGE)
    return Endpoint(stack, construct_id, variants=[ProductionVariant("champion", model=model)])


def _pipeline(stack: Stack) -> SageMakerPipeline:
    role = iam.Role(stack, "PipelineRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    return SageMakerPipeline(
        stack, "Pipeline", definition=DEFINITION, role=role, pipeline_name="churn-retraining"
    )


# --- S3 and KMS grants: a model is iam.IGrantable -----------------------------------------------------------------


def test_bucket_grant_read_to_a_model_lands_on_its_execution_role(synth) -> None:
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        built["model"] = model = Model(stack, "Model", image=IMAGE)
        built["bucket"] = bucket = s3.Bucket(stack, "Features")
        built["grant"] = bucket.grant_read(model)

    template = synth(build, nag=False)
    stack, model, bucket = built["stack"], built["model"], built["bucket"]
    assert built["grant"].success
    role_ref = {"Ref": stack.get_logical_id(model.role.node.default_child)}
    reads = [
        s
        for s in _grants(template, "s3:GetObject*", stack.resolve(bucket.bucket_arn))
        if role_ref in s["Roles"]
    ]
    assert len(reads) == 1
    assert stack.resolve(bucket.arn_for_objects("*")) in _resources(reads[0])


def test_imported_model_grants_go_to_the_role_given_and_warn_without_one(synth) -> None:
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        role = iam.Role.from_role_arn(stack, "ModelRole", "arn:aws:iam::123456789012:role/churn-model")
        bucket = s3.Bucket(stack, "Features")
        built["bucket"] = bucket
        bucket.grant_read(Model.from_model_arn(stack, "Registered", MODEL_ARN, role=role))
        unknown = Model.from_model_name(stack, "Unknown", "churn-v2")
        iam.Grant.add_to_principal(
            grantee=unknown, actions=["s3:PutObject"], resource_arns=[bucket.bucket_arn]
        )

    template = synth(build, nag=False)
    stack = built["stack"]
    reads = _grants(template, "s3:GetObject*", stack.resolve(built["bucket"].bucket_arn))
    assert [s["Roles"] for s in reads] == [["churn-model"]]
    # No role: aws-cdk-lib's UnknownPrincipal adds no policy and says so at synth.
    assert not [s for s in _statements(template) if _allows(s, "s3:PutObject")]
    Annotations.from_stack(stack).has_warning(
        "/Test/Unknown", Match.string_like_regexp("Add statement to this resource's role")
    )


def test_model_arn_importer_reads_name_and_environment() -> None:
    stack = Stack(App(), "Test")
    model = Model.from_model_arn(stack, "Registered", MODEL_ARN)
    assert model.model_name == "churn-v3"
    assert model.model_arn == MODEL_ARN
    assert isinstance(model, Resource)
    assert (model.env.account, model.env.region) == ("210987654321", "eu-west-1")
    assert model.model_ref.model_arn == MODEL_ARN


# --- EC2 connections: a model in a VPC is ec2.IConnectable --------------------------------------------------------


def test_vpc_model_connections_open_paths_both_ways(synth) -> None:
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
        built["model"] = model = Model(stack, "Model", image=IMAGE, vpc=vpc)
        built["database"] = database = ec2.SecurityGroup(stack, "Database", vpc=vpc)
        built["client"] = client = ec2.SecurityGroup(stack, "Client", vpc=vpc)
        # aws-cdk-lib reads model.connections through jsii in both directions.
        database.connections.allow_from(model, ec2.Port.tcp(5432), "model reads features")
        model.connections.allow_from(client, ec2.Port.tcp(8080), "client calls the container")

    template = synth(build, nag=False)
    stack, model = built["stack"], built["model"]
    model_group = stack.resolve(model.connections.security_groups[0].security_group_id)
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "FromPort": 5432,
            "GroupId": stack.resolve(built["database"].security_group_id),
            "SourceSecurityGroupId": model_group,
        },
    )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "FromPort": 8080,
            "GroupId": model_group,
            "SourceSecurityGroupId": stack.resolve(built["client"].security_group_id),
        },
    )


def test_connections_of_a_model_outside_a_vpc_is_a_clear_error() -> None:
    stack = Stack(App(), "Test")
    model = Model(stack, "Model", image=IMAGE)
    assert model.in_vpc is False
    with pytest.raises(
        ValueError, match=r"Model 'Test/Model' has no 'vpc'.*'connections' needs a model created"
    ):
        _ = model.connections


# --- API Gateway: an endpoint is aws_sagemaker.IEndpoint ----------------------------------------------------------


def _api_with(stack: Stack, endpoint: Any) -> apigateway.RestApi:
    api = apigateway.RestApi(stack, "Api")
    api.root.add_resource("predict").add_method("POST", apigateway.SagemakerIntegration(endpoint))
    return api


def _assert_api_invokes(stack: Stack, template: Template, endpoint: Any) -> None:
    invokes = _grants(template, INVOKE, stack.resolve(endpoint.endpoint_arn))
    assert len(invokes) == 1, _statements(template)
    methods = template.find_resources("AWS::ApiGateway::Method")
    (integration,) = [
        m["Properties"]["Integration"] for m in methods.values() if m["Properties"]["HttpMethod"] == "POST"
    ]
    name = stack.resolve(endpoint.endpoint_name)
    needle = f"path/endpoints/{name}/invocations" if isinstance(name, str) else json.dumps(name)
    assert needle in json.dumps(integration["Uri"])
    # The integration runs as the role that holds the grant.
    assert integration["Credentials"] == {"Fn::GetAtt": [invokes[0]["Roles"][0]["Ref"], "Arn"]}


def test_api_gateway_sagemaker_integration_takes_a_created_endpoint(synth) -> None:
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        built["endpoint"] = endpoint = _endpoint(stack)
        _api_with(stack, endpoint)

    template = synth(build, nag=False)
    _assert_api_invokes(built["stack"], template, built["endpoint"])
    assert built["stack"].resolve(built["endpoint"].endpoint_arn) == {
        "Fn::GetAtt": [built["stack"].get_logical_id(built["endpoint"].resource), "EndpointArn"]
    }


@pytest.mark.parametrize("importer", ["name", "arn"])
def test_api_gateway_sagemaker_integration_takes_an_imported_endpoint(synth, importer: str) -> None:
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        built["endpoint"] = endpoint = (
            Endpoint.from_endpoint_name(stack, "Legacy", "churn-legacy")
            if importer == "name"
            else Endpoint.from_endpoint_arn(stack, "Legacy", ENDPOINT_ARN)
        )
        _api_with(stack, endpoint)

    template = synth(build, nag=False)
    _assert_api_invokes(built["stack"], template, built["endpoint"])
    if importer == "arn":
        assert _grants(template, INVOKE, ENDPOINT_ARN)
        assert built["endpoint"].endpoint_name == "churn-legacy"
        assert built["endpoint"].env.account == "210987654321"


# --- EventBridge Scheduler: a pipeline is aws_sagemaker.IPipeline -------------------------------------------------


@pytest.mark.parametrize("kind", ["created", "name", "arn"])
def test_scheduler_starts_a_created_or_imported_pipeline(synth, kind: str) -> None:
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        if kind == "created":
            pipeline = _pipeline(stack)
        elif kind == "name":
            pipeline = SageMakerPipeline.from_pipeline_name(stack, "Pipeline", "churn-retraining")
        else:
            pipeline = SageMakerPipeline.from_pipeline_arn(stack, "Pipeline", PIPELINE_ARN)
        built["pipeline"] = pipeline
        scheduler.Schedule(
            stack,
            "Nightly",
            schedule=scheduler.ScheduleExpression.rate(Duration.days(1)),
            target=scheduler_targets.SageMakerStartPipelineExecution(pipeline),
        )

    template = synth(build, nag=False)
    stack, pipeline = built["stack"], built["pipeline"]
    arn = stack.resolve(pipeline.pipeline_arn)
    if kind == "arn":
        assert arn == PIPELINE_ARN
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {"Target": Match.object_like({"Arn": arn})},
    )
    starts = _grants(template, START, arn)
    assert len(starts) == 1
    # The grant is for the scheduler's role, scoped to this pipeline only.
    assert _resources(starts[0]) == [arn]
    (schedule,) = template.find_resources("AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["Target"]["RoleArn"] == {
        "Fn::GetAtt": [starts[0]["Roles"][0]["Ref"], "Arn"]
    }


def test_grant_start_pipeline_execution_is_the_library_grant() -> None:
    stack = Stack(App(), "Test")
    pipeline = SageMakerPipeline.from_pipeline_name(stack, "Pipeline", "Churn-Retraining")
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    grant = pipeline.grant_start_pipeline_execution(role)
    assert isinstance(grant, iam.Grant)
    assert grant.success
    # SageMaker lower-cases the name in the pipeline's ARN.
    assert stack.resolve(pipeline.pipeline_arn)["Fn::Join"][1][-1] == ":pipeline/churn-retraining"
    assert pipeline.pipeline_ref.pipeline_name == "Churn-Retraining"


def test_pipeline_arn_importer_accepts_a_token_arn() -> None:
    stack = Stack(App(), "Test")
    arn = Token.as_string({"Fn::ImportValue": "ChurnPipelineArn"})
    pipeline = SageMakerPipeline.from_pipeline_arn(stack, "Pipeline", arn)
    assert stack.resolve(pipeline.pipeline_arn) == {"Fn::ImportValue": "ChurnPipelineArn"}
    assert Token.is_unresolved(pipeline.pipeline_name)


# --- Across stacks ------------------------------------------------------------------------------------------------


def test_endpoint_and_pipeline_compose_across_stacks() -> None:
    app = App()
    hosting = Stack(app, "Hosting")
    endpoint = _endpoint(hosting)
    pipeline = _pipeline(hosting)
    features = Stack(app, "Features")
    bucket = s3.Bucket(features, "Features")
    bucket.grant_read(endpoint.variants[0].model)
    front = Stack(app, "Front")
    _api_with(front, endpoint)
    scheduler.Schedule(
        front,
        "Nightly",
        schedule=scheduler.ScheduleExpression.rate(Duration.days(1)),
        target=scheduler_targets.SageMakerStartPipelineExecution(pipeline),
    )
    front_template = Template.from_stack(front)
    hosting_template = Template.from_stack(hosting)
    invokes = [s for s in _statements(front_template) if _allows(s, INVOKE)]
    starts = [s for s in _statements(front_template) if _allows(s, START)]
    assert len(invokes) == 1
    assert len(starts) == 1
    # References to the other stack: the endpoint's ARN is imported from Hosting's outputs.
    assert "Fn::ImportValue" in json.dumps(_resources(invokes[0]))
    exported = [o for o in hosting_template.to_json().get("Outputs", {}).values() if "Export" in o]
    assert {"Fn::GetAtt": [hosting.get_logical_id(endpoint.resource), "EndpointArn"]} in [
        o["Value"] for o in exported
    ]
    # The features bucket's read grant lands on the model role in the hosting stack.
    reads = [s for s in _statements(hosting_template) if _allows(s, "s3:GetObject*")]
    assert len(reads) == 1
    assert "Fn::ImportValue" in json.dumps(_resources(reads[0]))
    assert endpoint.stack is hosting
    assert pipeline.stack is hosting


# --- Bad ARNs ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("importer", "prop", "arn"),
    [
        (lambda s, a: Endpoint.from_endpoint_arn(s, "X", a), "endpoint_arn", PIPELINE_ARN),
        (lambda s, a: Model.from_model_arn(s, "X", a), "model_arn", ENDPOINT_ARN),
        (lambda s, a: SageMakerPipeline.from_pipeline_arn(s, "X", a), "pipeline_arn", "churn-retraining"),
        (
            lambda s, a: Endpoint.from_endpoint_arn(s, "X", a),
            "endpoint_arn",
            "arn:aws:s3:::bucket/endpoint/x",
        ),
    ],
)
def test_arn_importers_reject_other_arns(importer, prop: str, arn: str) -> None:
    stack = Stack(App(), "Test")
    kind = prop.removesuffix("_arn")
    with pytest.raises(ValueError, match=rf"'{prop}' must be a SageMaker {kind} ARN .*got '{arn}'"):
        importer(stack, arn)


def test_arn_importer_rejects_a_bad_name() -> None:
    stack = Stack(App(), "Test")
    with pytest.raises(ValueError, match=r"'endpoint_arn' must be 1-63 characters.*got '-bad-'"):
        Endpoint.from_endpoint_arn(stack, "X", "arn:aws:sagemaker:eu-west-1:210987654321:endpoint/-bad-")


def test_a_user_subclass_composes_like_the_library_class(synth) -> None:
    class ScoringModel(Model):
        """What a user writes: a model with their defaults."""

        def __init__(self, scope: Stack, construct_id: str) -> None:
            super().__init__(scope, construct_id, image=IMAGE, environment={"THRESHOLD": "0.5"})

    class ScoringEndpoint(Endpoint):
        def __init__(self, scope: Stack, construct_id: str, model: Model) -> None:
            super().__init__(scope, construct_id, variants=[ProductionVariant("champion", model=model)])

    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        model = ScoringModel(stack, "Scoring")
        built["bucket"] = bucket = s3.Bucket(stack, "Features")
        bucket.grant_read(model)
        built["endpoint"] = endpoint = ScoringEndpoint(stack, "Endpoint", model)
        _api_with(stack, endpoint)

    template = synth(build, nag=False)
    stack = built["stack"]
    assert _grants(template, "s3:GetObject*", stack.resolve(built["bucket"].bucket_arn))
    _assert_api_invokes(stack, template, built["endpoint"])
