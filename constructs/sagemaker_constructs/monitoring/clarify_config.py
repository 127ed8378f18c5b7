"""Typed builders for the SageMaker Clarify analysis configs of bias and explainability monitors.

Each renders the documented ``analysis_config.json`` deterministically (sorted keys), checks what can be
checked (Spark-compliant column names, the label and facets among the headers, SHAP baseline widths), and never
assumes the label is the first column.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sagemaker_constructs._internal.validation import ValidationErrors, is_token

COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
S3_OBJECT_URI = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([^\s]+)")


@dataclass(frozen=True, kw_only=True)
class Facet:
    """A sensitive attribute: ``Facet(name="age", values_or_threshold=[40])`` (numeric: a threshold)."""

    name: str
    """The column."""
    values_or_threshold: Sequence[str | int | float] | None = None
    """Values of the sensitive group, or one threshold above which a value is sensitive. Default: - every value."""


@dataclass(frozen=True, kw_only=True)
class BiasAnalysisConfig:
    """The Clarify config of a bias drift monitor (``analysis_config.json``).

    ``headers`` name every column of the dataset in order, label included wherever it is.
    """

    headers: Sequence[str]
    """All column names, in dataset order (lowercase letters, digits and ``_``)."""
    label: str
    """The label column, one of ``headers``."""
    label_values_or_threshold: Sequence[str | int | float]
    """The positive outcome: label values, or one threshold."""
    facets: Sequence[Facet]
    """The sensitive attributes, each one of ``headers``."""
    group_variable: str | None = None
    """A column for conditional demographic disparity. Default: - none."""
    probability_threshold: float | None = None
    """Probability above which a prediction is positive. Default: - 0.5 (Clarify's default)."""
    post_training_methods: Sequence[str] | str = "all"
    """Post-training bias metrics (e.g. ``["DPPL", "DI"]``). Default: "all\""""

    def validate(self, errors: ValidationErrors, prop: str = "analysis_config") -> None:
        """Record every problem under ``prop``."""
        _validate_headers(errors, f"{prop}.headers", self.headers)
        if self.label not in self.headers:
            errors.add(f"'{prop}.label' must be one of the headers, got {self.label!r}")
        if not self.label_values_or_threshold:
            errors.add(f"'{prop}.label_values_or_threshold' must hold at least one value, got none")
        _validate_finite(errors, f"{prop}.label_values_or_threshold", self.label_values_or_threshold)
        if not self.facets:
            errors.add(f"'{prop}.facets' must hold at least one facet, got none")
        for facet in self.facets:
            if facet.name not in self.headers:
                errors.add(f"'{prop}.facets' name must be one of the headers, got {facet.name!r}")
            if facet.name == self.label:
                errors.add(f"'{prop}.facets' must not include the label {self.label!r}")
            if facet.values_or_threshold is not None and len(facet.values_or_threshold) == 0:
                # The SDK's BiasConfig would render "value_or_threshold": [], which names no group at all.
                errors.add(
                    f"'{prop}.facets' values_or_threshold of {facet.name!r} must hold at least one value, or be "
                    "None for every value, got []"
                )
            _validate_finite(errors, f"{prop}.facets", facet.values_or_threshold or ())
        if self.group_variable is not None and self.group_variable not in self.headers:
            errors.add(f"'{prop}.group_variable' must be one of the headers, got {self.group_variable!r}")
        if self.probability_threshold is not None:
            errors.check_range(f"{prop}.probability_threshold", self.probability_threshold, 0, 1)

    def to_json(self) -> dict[str, Any]:
        """The documented ``analysis_config.json`` content."""
        config: dict[str, Any] = {
            "version": "1.0",
            "dataset_type": "text/csv",
            "headers": list(self.headers),
            "label": self.label,
            "label_values_or_threshold": list(self.label_values_or_threshold),
            "facet": [
                {
                    "name_or_index": f.name,
                    **({"value_or_threshold": list(f.values_or_threshold)} if f.values_or_threshold else {}),
                }
                for f in self.facets
            ],
            "methods": {"post_training_bias": {"methods": self.post_training_methods}},
        }
        if self.group_variable is not None:
            config["group_variable"] = self.group_variable
        if self.probability_threshold is not None:
            config["probability_threshold"] = self.probability_threshold
        return config


class ShapAggregation(enum.Enum):
    """How per-record SHAP values are aggregated into global attributions."""

    MEAN_ABS = "mean_abs"
    MEDIAN = "median"
    MEAN_SQ = "mean_sq"


@dataclass(frozen=True, kw_only=True)
class ExplainabilityAnalysisConfig:
    """The Clarify config of a feature attribution drift monitor (``analysis_config.json``)."""

    headers: Sequence[str]
    """The model's input features, in order (lowercase letters, digits and ``_``); no label."""
    shap_baseline: Sequence[Sequence[float | int | str]] | str
    """Baseline records for Kernel SHAP, each with one value per header (e.g. the training means), or the
    ``s3://`` URI of a baseline file in the dataset's format (features only, no header); the monitor's role may
    read that object."""
    num_samples: int = 100
    """Samples per record for Kernel SHAP. Default: 100"""
    agg_method: ShapAggregation = ShapAggregation.MEAN_ABS
    """Aggregation of SHAP values. Default: ShapAggregation.MEAN_ABS"""
    use_logit: bool = False
    """Apply the logit function to predictions. Default: False"""
    save_local_shap_values: bool = True
    """Save per-record SHAP values in the reports. Default: True"""
    seed: int | None = 1
    """Random seed of Kernel SHAP, for repeatable runs. Default: 1"""
    label_headers: Sequence[str] = field(default_factory=lambda: ["label0"])
    """Names of the model's outputs, used as the ``Label`` metric dimension. Default: ["label0"]"""
    content_type: str = "text/csv"
    """Content type of requests to the predictor. Default: "text/csv\""""
    accept_type: str = "text/csv"
    """Content type of predictor responses. Default: "text/csv\""""
    probability: int | str | None = 0
    """Where the probability is in the response (index or JSON path). Default: 0"""

    def validate(self, errors: ValidationErrors, prop: str = "analysis_config") -> None:
        """Record every problem under ``prop``."""
        _validate_headers(errors, f"{prop}.headers", self.headers)
        if isinstance(self.shap_baseline, str):
            if is_token(self.shap_baseline) or not S3_OBJECT_URI.fullmatch(self.shap_baseline):
                errors.add(
                    f"'{prop}.shap_baseline' must be rows or a literal s3://bucket/key URI (the config is a static "
                    f"file), got {self.shap_baseline!r}"
                )
        elif not self.shap_baseline:
            errors.add(f"'{prop}.shap_baseline' must hold at least one record, got none")
        for i, row in enumerate(() if isinstance(self.shap_baseline, str) else self.shap_baseline):
            if len(row) != len(self.headers):
                errors.add(
                    f"'{prop}.shap_baseline[{i}]' must hold one value per header ({len(self.headers)}), got {len(row)}"
                )
            _validate_finite(errors, f"{prop}.shap_baseline[{i}]", row)
        errors.check_range(f"{prop}.num_samples", self.num_samples, 1, None, integer=True)
        if not self.label_headers:
            errors.add(f"'{prop}.label_headers' must name at least one output, got none")

    def to_json(self, predictor: dict[str, Any]) -> dict[str, Any]:
        """The documented ``analysis_config.json`` content, with ``predictor`` (endpoint or model name)."""
        shap: dict[str, Any] = {
            "baseline": (
                self.shap_baseline
                if isinstance(self.shap_baseline, str)
                else [list(row) for row in self.shap_baseline]
            ),
            "num_samples": self.num_samples,
            "agg_method": self.agg_method.value,
            "use_logit": self.use_logit,
            "save_local_shap_values": self.save_local_shap_values,
        }
        if self.seed is not None:
            shap["seed"] = self.seed
        full_predictor = {
            **predictor,
            "content_type": self.content_type,
            "accept_type": self.accept_type,
            "label_headers": list(self.label_headers),
        }
        if self.probability is not None:
            full_predictor["probability"] = self.probability
        return {
            "version": "1.0",
            "dataset_type": self.content_type,
            "headers": list(self.headers),
            "methods": {"shap": shap},
            "predictor": full_predictor,
        }


def _validate_finite(errors: ValidationErrors, prop: str, values: Sequence[str | int | float]) -> None:
    # The config is JSON: NaN and infinities would be written as the non-JSON tokens NaN and Infinity.
    bad = [v for v in values if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        errors.add(f"'{prop}' must hold finite numbers (the config is JSON), got {bad}")


def _validate_headers(errors: ValidationErrors, prop: str, headers: Sequence[str]) -> None:
    if isinstance(headers, str):
        errors.add(f"'{prop}' must be a list of column names, got the string {headers!r}")
        return
    if not headers:
        errors.add(f"'{prop}' must name at least one column, got none")
    bad = [h for h in headers if not COLUMN_NAME.fullmatch(h)]
    if bad:
        errors.add(
            f"'{prop}' must be Spark-compliant (lowercase letters, digits and '_', starting with a letter), got {bad}"
        )
    duplicates = sorted({h for h in headers if list(headers).count(h) > 1})
    if duplicates:
        errors.add(f"'{prop}' must be unique, got duplicates {duplicates}")


def write_config_file(config: dict[str, Any], *, file_name: str = "analysis_config.json") -> str:
    """Write ``config`` to a content-addressed file (deterministic asset hash) and return its path."""
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    directory = os.path.join(tempfile.gettempdir(), "sagemaker-constructs-clarify", digest)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, file_name)
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return path
