"""The Clarify analysis configs the monitors upload, against what the SageMaker Python SDK renders.

Oracle: ``sagemaker.core.clarify`` (``BiasConfig``, ``ModelConfig``, ``SHAPConfig``) and
``sagemaker.core.model_monitor.clarify_model_monitoring`` (``BiasAnalysisConfig``,
``ExplainabilityAnalysisConfig``) of sagemaker 3.27, the classes ``ModelBiasMonitor`` and
``ModelExplainabilityMonitor`` of the SDK upload as ``analysis_config.json``. Where our file holds more, each extra
key is one the analysis configuration page documents
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html), listed here
with its value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from sagemaker_constructs import (
    BiasAnalysisConfig,
    ContainerImage,
    DataCapture,
    Endpoint,
    ExplainabilityAnalysisConfig,
    Facet,
    Model,
    ModelData,
    ModelExplainabilityMonitor,
    MonitorSource,
    ProductionVariant,
    ShapAggregation,
)

FEATURES = ["age", "tenure_months", "monthly_charges", "support_calls", "contract_monthly", "has_fiber"]


@pytest.fixture(scope="module")
def sdk() -> Any:
    import os

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the SDK's modules create clients at import
    from sagemaker.core import clarify
    from sagemaker.core.model_monitor import clarify_model_monitoring as monitoring

    class SDK:
        BiasConfig = clarify.BiasConfig
        ModelConfig = clarify.ModelConfig
        SHAPConfig = clarify.SHAPConfig
        BiasAnalysisConfig = monitoring.BiasAnalysisConfig
        ExplainabilityAnalysisConfig = monitoring.ExplainabilityAnalysisConfig

    return SDK


def split(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Our keys the SDK also renders, and our extra keys."""
    return {k: v for k, v in ours.items() if k in theirs}, {k: v for k, v in ours.items() if k not in theirs}


# ------------------------------------------------------------------------------------------------------ bias

BIAS_CASES = [
    pytest.param(
        {"facets": [Facet(name="age", values_or_threshold=[40])], "label_values_or_threshold": [1]},
        {"facet_name": "age", "facet_values_or_threshold": [40], "label_values_or_threshold": [1]},
        id="numeric-facet-threshold",
    ),
    pytest.param(
        {"facets": [Facet(name="has_fiber")], "label_values_or_threshold": [0.5]},
        {"facet_name": "has_fiber", "label_values_or_threshold": [0.5]},
        id="facet-every-value-label-threshold",
    ),
    pytest.param(
        {
            "facets": [
                Facet(name="age", values_or_threshold=[40]),
                Facet(name="has_fiber", values_or_threshold=[1]),
            ],
            "label_values_or_threshold": ["yes", "maybe"],
            "group_variable": "contract_monthly",
        },
        {
            "facet_name": ["age", "has_fiber"],
            "facet_values_or_threshold": [[40], [1]],
            "label_values_or_threshold": ["yes", "maybe"],
            "group_name": "contract_monthly",
        },
        id="two-facets-label-values-group",
    ),
    pytest.param(
        {"facets": [Facet(name="age"), Facet(name="has_fiber")], "label_values_or_threshold": [1]},
        {"facet_name": ["age", "has_fiber"], "label_values_or_threshold": [1]},
        id="two-facets-every-value",
    ),
]


@pytest.mark.parametrize(("ours", "theirs"), BIAS_CASES)
@pytest.mark.parametrize("probability_threshold", [None, 0.6])
def test_bias_config_is_the_sdks_plus_documented_keys(
    sdk: Any, ours: dict[str, Any], theirs: dict[str, Any], probability_threshold: float | None
) -> None:
    headers = ["churned", *FEATURES]
    rendered = BiasAnalysisConfig(
        headers=headers, label="churned", probability_threshold=probability_threshold, **ours
    ).to_json()
    expected = sdk.BiasAnalysisConfig(sdk.BiasConfig(**theirs), headers=headers, label="churned")._to_dict()

    common, extra = split(rendered, expected)
    assert common == expected
    documented = {
        "version": "1.0",  # analysis config schema version
        "dataset_type": "text/csv",  # what the monitor's captured CSV records are
        "methods": {"post_training_bias": {"methods": "all"}},  # the metrics the monitor computes
    }
    if probability_threshold is not None:
        documented["probability_threshold"] = probability_threshold
    assert extra == documented


def test_empty_facet_values_are_refused_not_rendered_as_an_empty_group() -> None:
    from sagemaker_constructs._internal.validation import ValidationErrors

    errors = ValidationErrors("test")
    BiasAnalysisConfig(
        headers=["churned", *FEATURES], label="churned", label_values_or_threshold=[1],
        facets=[Facet(name="age", values_or_threshold=[])],
    ).validate(errors)  # fmt: skip
    with pytest.raises(
        ValueError, match=re.escape("values_or_threshold of 'age' must hold at least one value")
    ):
        errors.raise_if_any()


# ------------------------------------------------------------------------------------------- explainability

SHAP_CASES = [
    pytest.param({}, {"num_samples": 100, "agg_method": "mean_abs", "seed": 1}, id="defaults"),
    pytest.param(
        {"num_samples": 50, "agg_method": ShapAggregation.MEDIAN, "use_logit": True, "seed": None},
        {"num_samples": 50, "agg_method": "median", "use_logit": True},
        id="median-logit-no-seed",
    ),
    pytest.param(
        {"agg_method": ShapAggregation.MEAN_SQ, "save_local_shap_values": False, "seed": 7},
        {"num_samples": 100, "agg_method": "mean_sq", "save_local_shap_values": False, "seed": 7},
        id="mean-sq-no-local-values",
    ),
]
BASELINES = [
    pytest.param([[40, 24, 46.5, 1, 1, 0]], id="rows"),
    pytest.param("s3://churn-baselines/shap/baseline.csv", id="s3-uri"),
]


@pytest.mark.parametrize(("ours", "theirs"), SHAP_CASES)
@pytest.mark.parametrize("baseline", BASELINES)
@pytest.mark.parametrize(("label_headers", "probability"), [(["label0"], 0), (["churn_probability"], None)])
def test_explainability_config_is_the_sdks_plus_documented_keys(
    sdk: Any,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    baseline: Any,
    label_headers: list[str],
    probability: int | None,
) -> None:
    config = ExplainabilityAnalysisConfig(
        headers=FEATURES, shap_baseline=baseline, label_headers=label_headers, probability=probability, **ours
    )
    # The predictor the monitor passes: a shadow endpoint of the model (see the synthesized test below).
    shadow = {"model_name": "churn-champion", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}
    rendered = config.to_json(shadow)
    model_config = sdk.ModelConfig(
        model_name="churn-champion", instance_type="ml.m5.xlarge", instance_count=1,
        content_type="text/csv", accept_type="text/csv",
    )  # fmt: skip
    expected = sdk.ExplainabilityAnalysisConfig(
        sdk.SHAPConfig(baseline=baseline, **theirs),
        model_config,
        headers=FEATURES,
        label_headers=label_headers,
    )._to_dict()

    common, extra = split(rendered, expected)
    predictor, predictor_extra = split(common.pop("predictor"), expected["predictor"])
    assert common == {k: v for k, v in expected.items() if k != "predictor"}
    assert predictor == expected["predictor"]
    assert extra == {"version": "1.0", "dataset_type": "text/csv"}
    # predictor.probability: where the score is in the model's response (documented predictor key).
    assert predictor_extra == ({} if probability is None else {"probability": probability})


def test_the_monitor_renders_the_sdks_shadow_model_predictor(sdk: Any, synth: Any) -> None:
    built: dict[str, Stack] = {}

    def build(stack: Stack) -> None:
        built["stack"] = stack
        model = Model(
            stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
            model_data=ModelData.from_asset("model_artifacts/churn/model.tar.gz"), model_name="churn-champion",
        )  # fmt: skip
        endpoint = Endpoint(
            stack, "Endpoint", variants=[ProductionVariant("v", model=model)], data_capture=DataCapture()
        )
        ModelExplainabilityMonitor(
            stack, "Shap", source=MonitorSource.endpoint(endpoint), shadow_instance_type="ml.c5.xlarge", shadow_instance_count=2,
            analysis_config=ExplainabilityAnalysisConfig(headers=FEATURES, shap_baseline=[[40, 24, 46.5, 1, 1, 0]]),
        )  # fmt: skip

    template: Template = synth(build)
    (job,) = template.find_resources("AWS::SageMaker::ModelExplainabilityJobDefinition").values()
    uri = json.dumps(job["Properties"]["ModelExplainabilityAppSpecification"]["ConfigUri"])
    (asset_hash,) = re.findall(r"([0-9a-f]{64})\.json", uri)
    outdir = Path(built["stack"].node.root.outdir)  # type: ignore[attr-defined]
    rendered = json.loads((outdir / f"asset.{asset_hash}.json").read_text())

    predictor = rendered["predictor"]
    # The prefix is this monitor's own (a hash of its path); the SDK checks it against its prefix pattern.
    expected = sdk.ModelConfig(
        model_name="churn-champion", instance_type="ml.c5.xlarge", instance_count=2, content_type="text/csv",
        accept_type="text/csv", endpoint_name_prefix=predictor["endpoint_name_prefix"],
    ).get_predictor_config()  # fmt: skip
    assert predictor["endpoint_name_prefix"].startswith("sm-clarify-")
    assert {k: v for k, v in predictor.items() if k in expected} == expected
    assert {k: v for k, v in predictor.items() if k not in expected} == {
        "label_headers": ["label0"],
        "probability": 0,
    }
