"""Hosting: the user's own Model and Endpoint subclasses, a bucket for the model, and an API in front."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigateway
from constructs import Construct

from sagemaker_constructs import (
    ContainerImage,
    DataCapture,
    Endpoint,
    Model,
    ModelData,
    ProductionVariant,
    SecureBucket,
)
from sagemaker_constructs.nag import acknowledge_finding, acknowledge_wildcard_resource


class ChurnModel(Model):
    """The team's churn model: SageMaker's XGBoost container over an archive in the models bucket."""

    def __init__(self, scope: Construct, construct_id: str, *, models: SecureBucket, version: str) -> None:
        super().__init__(
            scope,
            construct_id,
            image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
            model_data=ModelData.from_bucket(models.bucket, f"churn/{version}/model.tar.gz"),
            environment={"MODEL_VERSION": version},
        )
        self.version = version


class CapturedEndpoint(Endpoint):
    """An endpoint that always captures its traffic for Model Monitor (the team's rule)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("data_capture", DataCapture(csv_content_types=["text/csv"]))
        super().__init__(scope, construct_id, **kwargs)


class HostingStack(Stack):
    """The models bucket, the champion and challenger models, their endpoint and, with composition, an API."""

    def __init__(self, scope: Construct, construct_id: str, *, composition: bool) -> None:
        super().__init__(scope, construct_id)
        self.models = SecureBucket(self, "Models", description="churn model artifacts")
        champion = ChurnModel(self, "Champion", models=self.models, version="v3")
        challenger = ChurnModel(self, "Challenger", models=self.models, version="v4")
        self.endpoint = CapturedEndpoint(
            self,
            "Churn",
            variants=[
                ProductionVariant("champion", model=champion, weight=90),
                ProductionVariant("challenger", model=challenger, weight=10),
            ],
        )
        if composition:
            self._compose(champion)

    def _compose(self, model: ChurnModel) -> None:
        # aws-cdk-lib's S3 grant, with the model as the grantee: its execution role gets the read. grant_read's
        # action wildcards and the prefix are the user's choice, acknowledged as precisely as cdk-nag reports them.
        self.models.bucket.grant_read(model, "reference-data/*")
        reason = "the model reads its reference data under this prefix"
        for action in ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]:
            acknowledge_finding(model, f"IAM5[Action::{action}]", reason)
        acknowledge_wildcard_resource(model, f"{self.models.bucket.bucket_arn}/reference-data/*", reason)

        # API Gateway in front of the endpoint: the integration grants its role invoke on the endpoint.
        api = apigateway.RestApi(
            self,
            "ScoringApi",
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                logging_level=apigateway.MethodLoggingLevel.ERROR, tracing_enabled=True
            ),
        )
        api.root.add_resource("score").add_method(
            "POST",
            apigateway.SagemakerIntegration(self.endpoint),
            authorization_type=apigateway.AuthorizationType.IAM,
            request_validator_options=apigateway.RequestValidatorOptions(validate_request_body=False),
        )
        for finding, reason in [
            ("APIG1", "sample API: access logs are out of scope of this app"),
            ("APIG2", "the endpoint validates the CSV body itself"),
            ("APIG3", "private callers only, signed with IAM; no WAF"),
            ("APIG6", "sample API: stage logging at ERROR is enough"),
            ("COG4", "callers sign requests with IAM, not Cognito"),
        ]:
            acknowledge_finding(api, finding, reason)
