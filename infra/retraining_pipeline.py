"""The reference retraining pipeline of the sample churn model, as a SageMaker pipeline definition.

``churn_retraining_definition`` returns the Model Building Pipeline definition (schema version
``2020-12-01``) as plain, typed Python data. Nothing here imports the SageMaker Python SDK: the construct
renders the dict with ``Stack.to_json_string``, so the arguments may be CDK tokens, which are only ever
embedded in strings, never inspected or transformed.

The pipeline has three steps:

``Train`` (``Training``)
    The built-in XGBoost container (``3.0-5``) trains a ``binary:logistic`` model with the hyperparameters of
    ``model_artifacts/build_churn_model.py`` on the header-less, label-first CSVs under ``TrainingDataUri``
    and ``ValidationDataUri``.
``Evaluate`` (``Processing``)
    ``pipeline_code/evaluate.py`` scores the new model on the validation data and writes a Model Monitor
    model-quality statistics file, ``evaluation.json`` (property file ``EvaluationReport``).
``Register`` (``RegisterModel``)
    A new version in the model package group, ``PendingManualApproval``, with the evaluation report as its
    model-quality statistics and the incident that started the execution in its metadata.

The evaluation runs in the **XGBoost** image, not a scikit-learn one: it must load the booster with the
xgboost release that trained it (3.0.5, which needs Python >= 3.10), and SageMaker's scikit-learn images ship
no xgboost at all (``1.2-1`` is Python 3.9).

Forms (as the SageMaker Python SDK 3.27 renders them): a parameter is ``{"Get": "Parameters.<name>"}``, a
step property ``{"Get": "Steps.<step>.<path>"}`` with the path of the step's Describe* response (a processing
output by name: ``ProcessingOutputConfig.Outputs['<name>'].S3Output.S3Uri``), an execution variable
``{"Get": "Execution.<name>"}`` and a concatenation ``{"Std:Join": {"On": sep, "Values": [...]}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, NotRequired, TypedDict

from aws_cdk import Token

JsonObject = dict[str, Any]
"""A JSON object of the definition (values: str, int, bool, lists, objects or pipeline expressions)."""

DEFINITION_VERSION: Final = "2020-12-01"

TRAIN_STEP: Final = "Train"
EVALUATE_STEP: Final = "Evaluate"
REGISTER_STEP: Final = "Register"

EVALUATION_OUTPUT: Final = "evaluation"
"""Name of the processing output that holds the evaluation report."""
EVALUATION_REPORT: Final = "EvaluationReport"
"""Property file of the ``Evaluate`` step (``JsonGet`` of e.g. ``binary_classification_metrics.auc.value``)."""
EVALUATION_FILE: Final = "evaluation.json"
EVALUATION_SCRIPT: Final = "evaluate.py"

PROCESSING_ROOT: Final = "/opt/ml/processing"
MODEL_DIR: Final = f"{PROCESSING_ROOT}/model"
VALIDATION_DIR: Final = f"{PROCESSING_ROOT}/validation"
CODE_DIR: Final = f"{PROCESSING_ROOT}/code"
EVALUATION_DIR: Final = f"{PROCESSING_ROOT}/evaluation"

NUM_ROUND: Final = 100
HYPERPARAMETERS: Final[dict[str, str]] = {
    # Those of model_artifacts/build_churn_model.py (XGB_PARAMS, NUM_BOOST_ROUND), as the strings that
    # CreateTrainingJob takes. nthread=1 and the seed make the container's training deterministic.
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": "3",
    "eta": "0.1",
    "min_child_weight": "5",
    "tree_method": "hist",
    "nthread": "1",
    "seed": "20261122",
    "num_round": str(NUM_ROUND),
}

TRAINING_VOLUME_GB: Final = 10
TRAINING_MAX_RUNTIME_SECONDS: Final = 3600
EVALUATION_INSTANCE_TYPE: Final = "ml.m5.large"
EVALUATION_VOLUME_GB: Final = 10
EVALUATION_MAX_RUNTIME_SECONDS: Final = 1800
INFERENCE_INSTANCE_TYPES: Final = ("ml.m5.large", "ml.m5.xlarge")
"""Real-time and batch transform instance types of the registered package (those the reference app uses)."""
APPROVAL_STATUS: Final = "PendingManualApproval"

ParameterType = Literal["String", "Integer", "Float", "Boolean"]


@dataclass(frozen=True)
class PipelineParameter:
    """A pipeline parameter: its name, type, default (may embed CDK tokens) and what it means."""

    name: str
    type: ParameterType
    default: str
    description: str
    incident_field: str | None = None
    """The ``RetrainingTrigger`` incident field (``IncidentField`` value) that fills it, if any."""


class ParameterDefinition(TypedDict):
    """A ``Parameters[]`` entry of the definition."""

    Name: str
    Type: ParameterType
    DefaultValue: str


class StepDefinition(TypedDict):
    """A ``Steps[]`` entry of the definition."""

    Name: str
    Type: str
    Arguments: JsonObject
    DependsOn: NotRequired[list[str]]
    PropertyFiles: NotRequired[list[dict[str, str]]]


class PipelineDefinition(TypedDict):
    """A SageMaker Model Building Pipeline definition."""

    Version: str
    Metadata: JsonObject
    Parameters: list[ParameterDefinition]
    Steps: list[StepDefinition]


# --- Pipeline expressions -----------------------------------------------------------------------------------


def parameter(name: str) -> dict[str, str]:
    """The value of a pipeline parameter at execution time."""
    return {"Get": f"Parameters.{name}"}


def step_property(step: str, path: str) -> dict[str, str]:
    """A property of an earlier step (the path of its Describe* response), e.g. ``ModelArtifacts.S3ModelArtifacts``."""
    return {"Get": f"Steps.{step}.{path}"}


def execution_variable(name: str) -> dict[str, str]:
    """An execution variable, e.g. ``PipelineExecutionId``."""
    return {"Get": f"Execution.{name}"}


def join(on: str, values: list[Any]) -> JsonObject:
    """``Std:Join``: the values (strings or expressions) joined with ``on``."""
    return {"Std:Join": {"On": on, "Values": values}}


# --- Parameters ---------------------------------------------------------------------------------------------

TRIGGER_PARAMETERS: Final[dict[str, str]] = {
    "TriggerType": "trigger_type",
    "TriggerAlarm": "alarm_name",
    "TriggerEndpoint": "endpoint_name",
    "TriggerMonitor": "monitoring_schedule",
    "TriggerReason": "reason",
    "TriggerTime": "incident_time",
}
"""Parameter name -> the incident field that fills it: ``RetrainingTrigger(event_parameters=...)`` takes
``{name: IncidentField(field) for name, field in TRIGGER_PARAMETERS.items()}``."""

TRIGGER_METADATA: Final = ("TriggerType", "TriggerAlarm", "TriggerEndpoint", "TriggerMonitor", "TriggerTime")
"""Trigger parameters recorded in the package's ``CustomerMetadataProperties``, each as ``<name>=<value>``.

The registry accepts metadata values of 1-256 characters of letters, digits, spaces and ``_ . : / = + - @``.
The ``<name>=`` prefix keeps a value that the incident does not have (an empty alarm name on a monitor
violation, every trigger parameter on a manual start) from being an empty, rejected value. ``TriggerReason``
is free text (an alarm's state reason has brackets, parentheses and commas), so it goes into the package
description, which accepts punctuation, instead."""


def pipeline_parameters(*, data_bucket_name: str) -> list[PipelineParameter]:
    """The parameters of the retraining pipeline, in declaration order.

    Names are plain CamelCase: SageMaker allows ``[A-Za-z0-9_-]`` and EventBridge's SageMaker pipeline
    targets ``^[a-zA-Z0-9](-*[a-zA-Z0-9])*$``, so no underscores.
    """
    return [
        PipelineParameter(
            "TrainingInstanceType", "String", "ml.m5.xlarge", "Instance type of the training job."
        ),
        PipelineParameter(
            "TrainingDataUri",
            "String",
            f"s3://{data_bucket_name}/churn/train/",
            "S3 prefix of the training CSVs: no header, label first (the layout of train.csv).",
        ),
        PipelineParameter(
            "ValidationDataUri",
            "String",
            f"s3://{data_bucket_name}/churn/validation/",
            "S3 prefix of the validation CSVs (same layout): XGBoost's eval set and the evaluation data.",
        ),
        PipelineParameter(
            "TriggerType",
            "String",
            "",
            "Why the execution started: 'alarm', 'monitor-violation' or 'schedule' (empty: started by hand).",
            "trigger_type",
        ),
        PipelineParameter(
            "TriggerAlarm",
            "String",
            "",
            "The alarm that went into ALARM (empty otherwise). Recorded as metadata: at most 243 characters "
            "of letters, digits, spaces and _ . : / = + - @.",
            "alarm_name",
        ),
        PipelineParameter(
            "TriggerEndpoint",
            "String",
            "",
            "The endpoint the alarm or monitor watches, when known.",
            "endpoint_name",
        ),
        PipelineParameter(
            "TriggerMonitor",
            "String",
            "",
            "The monitoring schedule whose execution found violations (empty otherwise).",
            "monitoring_schedule",
        ),
        PipelineParameter(
            "TriggerReason",
            "String",
            "",
            "The alarm's state reason or the monitor's exit message (free text, in the package description: "
            "at most 900 characters, no line breaks).",
            "reason",
        ),
        PipelineParameter(
            "TriggerTime", "String", "", "When the incident happened (ISO 8601).", "incident_time"
        ),
    ]


# --- Steps --------------------------------------------------------------------------------------------------


def _s3_input(name: str, s3_uri: Any, local_path: str) -> JsonObject:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": s3_uri,
            "LocalPath": local_path,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def _training_channel(name: str, s3_uri: Any) -> JsonObject:
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": s3_uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "ContentType": "text/csv",
        "InputMode": "File",
    }


def train_step(*, role_arn: str, artifacts_bucket_name: str, xgboost_image_uri: str) -> StepDefinition:
    """``Train``: a CreateTrainingJob request without the job name (the pipeline names each job)."""
    return {
        "Name": TRAIN_STEP,
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {"TrainingImage": xgboost_image_uri, "TrainingInputMode": "File"},
            "RoleArn": role_arn,
            "HyperParameters": dict(HYPERPARAMETERS),
            "InputDataConfig": [
                _training_channel("train", parameter("TrainingDataUri")),
                _training_channel("validation", parameter("ValidationDataUri")),
            ],
            # SageMaker appends <job name>/output/model.tar.gz, so executions never overwrite each other.
            "OutputDataConfig": {"S3OutputPath": f"s3://{artifacts_bucket_name}/churn/models"},
            "ResourceConfig": {
                "InstanceType": parameter("TrainingInstanceType"),
                "InstanceCount": 1,
                "VolumeSizeInGB": TRAINING_VOLUME_GB,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": TRAINING_MAX_RUNTIME_SECONDS},
            # A no-op on one instance; encrypts the traffic between instances if the count is ever raised.
            "EnableInterContainerTrafficEncryption": True,
        },
    }


def evaluate_step(
    *,
    role_arn: str,
    artifacts_bucket_name: str,
    image_uri: str,
    evaluation_script_s3_uri: str,
    evaluation_script_name: str = EVALUATION_SCRIPT,
) -> StepDefinition:
    """``Evaluate``: a CreateProcessingJob request without the job name, and the evaluation property file."""
    return {
        "Name": EVALUATE_STEP,
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": EVALUATION_INSTANCE_TYPE,
                    "InstanceCount": 1,
                    "VolumeSizeInGB": EVALUATION_VOLUME_GB,
                }
            },
            "AppSpecification": {
                "ImageUri": image_uri,
                "ContainerEntrypoint": ["python3", f"{CODE_DIR}/{evaluation_script_name}"],
            },
            "ProcessingInputs": [
                # The model artifact is one object (.../output/model.tar.gz): the prefix matches only it.
                _s3_input("model", step_property(TRAIN_STEP, "ModelArtifacts.S3ModelArtifacts"), MODEL_DIR),
                _s3_input("validation", parameter("ValidationDataUri"), VALIDATION_DIR),
                _s3_input("code", evaluation_script_s3_uri, CODE_DIR),
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": EVALUATION_OUTPUT,
                        "S3Output": {
                            # One folder per execution: a registered version keeps pointing at its own report.
                            "S3Uri": join(
                                "/",
                                [
                                    f"s3://{artifacts_bucket_name}/churn/evaluation",
                                    execution_variable("PipelineExecutionId"),
                                ],
                            ),
                            "LocalPath": EVALUATION_DIR,
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            "RoleArn": role_arn,
            "StoppingCondition": {"MaxRuntimeInSeconds": EVALUATION_MAX_RUNTIME_SECONDS},
        },
        "PropertyFiles": [
            {
                "PropertyFileName": EVALUATION_REPORT,
                "OutputName": EVALUATION_OUTPUT,
                "FilePath": EVALUATION_FILE,
            }
        ],
    }


def register_step(*, model_package_group_name: str, xgboost_image_uri: str) -> StepDefinition:
    """``Register``: a CreateModelPackage request, a new version pending manual approval."""
    report_uri = join(
        "/",
        [
            step_property(
                EVALUATE_STEP, f"ProcessingOutputConfig.Outputs['{EVALUATION_OUTPUT}'].S3Output.S3Uri"
            ),
            EVALUATION_FILE,
        ],
    )
    return {
        "Name": REGISTER_STEP,
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": model_package_group_name,
            "ModelPackageDescription": join(
                "",
                [
                    "Churn model retrained by the pipeline. Trigger: ",
                    parameter("TriggerType"),
                    " at ",
                    parameter("TriggerTime"),
                    ". Reason: ",
                    parameter("TriggerReason"),
                ],
            ),
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": xgboost_image_uri,
                        "ModelDataUrl": step_property(TRAIN_STEP, "ModelArtifacts.S3ModelArtifacts"),
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": list(INFERENCE_INSTANCE_TYPES),
                "SupportedTransformInstanceTypes": list(INFERENCE_INSTANCE_TYPES),
            },
            "ModelApprovalStatus": APPROVAL_STATUS,
            "ModelMetrics": {
                "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report_uri}}
            },
            "CustomerMetadataProperties": {
                name: join("=", [name, parameter(name)]) for name in TRIGGER_METADATA
            },
        },
        "DependsOn": [EVALUATE_STEP],
    }


def churn_retraining_definition(
    *,
    role_arn: str,
    data_bucket_name: str,
    artifacts_bucket_name: str,
    model_package_group_name: str,
    xgboost_image_uri: str,
    evaluation_script_s3_uri: str,
    evaluation_image_uri: str | None = None,
    evaluation_script_name: str = EVALUATION_SCRIPT,
) -> JsonObject:
    """The retraining pipeline's definition: train, evaluate on the validation data, register for approval.

    :param role_arn: the role the training and processing jobs assume.
    :param data_bucket_name: holds the data under ``churn/train/`` and ``churn/validation/`` (the defaults of
        ``TrainingDataUri`` and ``ValidationDataUri``).
    :param artifacts_bucket_name: receives the models (``churn/models/``) and the evaluation reports
        (``churn/evaluation/<execution id>/``).
    :param model_package_group_name: the model package group that receives a version per execution.
    :param xgboost_image_uri: the built-in XGBoost image ``3.0-5``: it trains, evaluates and serves.
    :param evaluation_script_s3_uri: the S3 URI of ``pipeline_code/evaluate.py``, an object whose key ends in
        ``/<evaluation_script_name>`` (the job downloads it into ``/opt/ml/processing/code/`` and runs it
        there), e.g. a CDK file asset's URL with its ``<hash>.py`` key as ``evaluation_script_name``.
    :param evaluation_image_uri: the image of the evaluation job. Default: ``xgboost_image_uri``. It needs
        Python >= 3.10, numpy and the xgboost release that trained the model.
    :param evaluation_script_name: the file name the object downloads as (its key's last part), e.g. a file
        asset's ``<hash>.py`` key. Default: "evaluate.py"
    """
    if not Token.is_unresolved(evaluation_script_s3_uri) and not evaluation_script_s3_uri.endswith(
        f"/{evaluation_script_name}"
    ):
        raise ValueError(
            f"'evaluation_script_s3_uri' must name an object whose key ends in '/{evaluation_script_name}' (the "
            f"job runs {CODE_DIR}/{evaluation_script_name}), got {evaluation_script_s3_uri!r}"
        )
    parameters = pipeline_parameters(data_bucket_name=data_bucket_name)
    definition: PipelineDefinition = {
        "Version": DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": [{"Name": p.name, "Type": p.type, "DefaultValue": p.default} for p in parameters],
        "Steps": [
            train_step(
                role_arn=role_arn,
                artifacts_bucket_name=artifacts_bucket_name,
                xgboost_image_uri=xgboost_image_uri,
            ),
            evaluate_step(
                role_arn=role_arn,
                artifacts_bucket_name=artifacts_bucket_name,
                image_uri=evaluation_image_uri or xgboost_image_uri,
                evaluation_script_s3_uri=evaluation_script_s3_uri,
                evaluation_script_name=evaluation_script_name,
            ),
            register_step(
                model_package_group_name=model_package_group_name, xgboost_image_uri=xgboost_image_uri
            ),
        ],
    }
    return dict(definition)
