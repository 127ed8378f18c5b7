"""The enums of SageMaker's API, read from the package data ``data/sagemaker_enums.json``."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def _enum_data() -> dict[str, Any]:
    text = resources.files("sagemaker_constructs").joinpath("data/sagemaker_enums.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def sagemaker_enum(shape: str) -> frozenset[str]:
    """The values SageMaker's API allows for the enum ``shape``, e.g. ``ProductionVariantInstanceType``.

    Read from ``data/sagemaker_enums.json``, which ``scripts/generate_sagemaker_enums.py`` generates from
    botocore's SageMaker service model (``botocore/data/sagemaker/2017-07-24/service-2.json``; the botocore
    version is recorded in the file). The library does not import botocore: the check is the same in every
    environment. A KeyError names a shape the generator does not extract.
    """
    return frozenset(_enum_data()["enums"][shape])
