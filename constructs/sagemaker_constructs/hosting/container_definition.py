"""``ContainerDefinition``: one container of a ``Model`` (an image with artifacts, or a model package), and the
checks every definition passes before a model renders it."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import CfnCondition

from sagemaker_constructs._internal.validation import (
    ENV_KEY_PATTERN,
    MODEL_NAME_PATTERN,
    ValidationErrors,
    is_token,
)
from sagemaker_constructs.common.container_image import ContainerImage

from .model_data import ModelData

# SageMaker's VersionedArnOrName for model packages: <name> or <name>/<version>, of a model package ARN.
_MODEL_PACKAGE_PATTERN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package/[a-zA-Z0-9]([a-zA-Z0-9-]){0,62}(?<!-)"
    r"(/[0-9]{1,9})?$|^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
)
MAX_CONTAINERS = 15


class InferenceExecutionMode(enum.Enum):
    """How the containers of a multi-container model are invoked."""

    SERIAL = "Serial"
    """An inference pipeline: each container's output is the next one's input."""
    DIRECT = "Direct"
    """Each request names the container to run (``TargetContainerHostname``)."""


@dataclass(frozen=True, kw_only=True)
class ContainerDefinition:
    """One container of a model.

    Give ``image`` (with optional ``model_data``), or ``model_package_arn`` for a versioned package of the
    SageMaker Model Registry.
    """

    image: ContainerImage | None = None
    """The container image. Default: - none; ``model_package_arn`` is required instead."""
    model_data: ModelData | None = None
    """Model artifacts: a ``.tar.gz``, or a prefix for multi-model containers. Default: - no artifacts."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Environment variables (at most 100). Default: - none."""
    hostname: str | None = None
    """The container's DNS host name; required for ``InferenceExecutionMode.DIRECT``. Default: - none."""
    multi_model: bool = False
    """Serve many models from one container (``Mode: MultiModel``); ``model_data`` must be a prefix ending in
    ``/``. Default: False"""
    model_cache: bool | None = None
    """Multi-model only: cache loaded models (``MultiModelConfig.ModelCacheSetting``). Default: - SageMaker's
    default (enabled)."""
    model_package_arn: str | None = None
    """A versioned model package ARN (or name) from the Model Registry. Default: - none; ``image`` is used."""
    condition: CfnCondition | None = None
    """Choose the container at deploy time: this definition while the CloudFormation condition is true,
    ``otherwise`` while it is false (each property becomes an ``Fn::If``). Both definitions are validated and
    their images and artifacts are granted to the model's role. Not for multi-model containers.
    Default: - no condition; this definition is always used."""
    otherwise: ContainerDefinition | None = None
    """The container while ``condition`` is false (itself without a condition); required with ``condition``.
    Default: - none."""


def resolve_containers(
    errors: ValidationErrors,
    image: ContainerImage | None,
    model_data: ModelData | None,
    environment: Mapping[str, str] | None,
    containers: Sequence[ContainerDefinition] | None,
) -> list[ContainerDefinition]:
    if containers is not None:
        if image is not None or model_data is not None or environment is not None:
            errors.add(
                "'image', 'model_data' and 'environment' describe a single container and cannot be combined "
                "with 'containers'; put them in a ContainerDefinition"
            )
        return list(containers)
    if image is None:
        errors.add("one of 'image' or 'containers' is required, got neither")
        return []
    return [ContainerDefinition(image=image, model_data=model_data, environment=dict(environment or {}))]


def validate_containers(
    errors: ValidationErrors, containers: Sequence[ContainerDefinition], mode: InferenceExecutionMode | None
) -> None:
    if not containers:
        if not errors.problems:
            errors.add("'containers' must hold 1-15 containers, got 0")
        return
    if len(containers) > MAX_CONTAINERS:
        errors.add(f"'containers' must hold 1-{MAX_CONTAINERS} containers, got {len(containers)}")
    if len(containers) == 1 and mode is not None:
        errors.add(
            f"'inference_execution_mode' applies to 2 or more containers, got {mode.name} for 1 container"
        )
    hostnames: list[str] = []
    for index, c in enumerate(containers):
        where = f"containers[{index}]"
        _check_container(errors, where, c, len(containers))
        if c.condition is not None or c.otherwise is not None:
            _check_choice(errors, where, c)
        if c.hostname is not None:
            hostnames.append(c.hostname)
    if len(set(hostnames)) != len(hostnames):
        errors.add(f"container 'hostname's must be unique, got {hostnames}")
    if mode is InferenceExecutionMode.DIRECT and len(hostnames) != len(containers):
        errors.add("every container needs a 'hostname' with InferenceExecutionMode.DIRECT")


def _check_container(errors: ValidationErrors, where: str, c: ContainerDefinition, count: int) -> None:
    if (c.image is None) == (c.model_package_arn is None):
        errors.add(f"'{where}' needs exactly one of 'image' or 'model_package_arn'")
    if c.model_package_arn is not None and c.model_data is not None:
        errors.add(f"'{where}.model_data' cannot be combined with 'model_package_arn' (the package has it)")
    arn = c.model_package_arn
    if (
        arn is not None
        and not is_token(arn)
        and (len(arn) > 176 or not _MODEL_PACKAGE_PATTERN.fullmatch(arn))
    ):
        errors.add(
            f"'{where}.model_package_arn' must be a model package ARN "
            f"(arn:aws:sagemaker:<region>:<account>:model-package/<name>/<version>) of at most 176 "
            f"characters, got {c.model_package_arn!r}"
        )
    if c.multi_model:
        if count > 1:
            errors.add(f"'{where}.multi_model' is only allowed on a model with one container")
        if c.model_data is None or not c.model_data.is_prefix:
            errors.add(
                f"'{where}.model_data' of a multi-model container must be an S3 prefix ending in '/' "
                "(ModelData.from_bucket(bucket, 'models/'))"
            )
    elif c.model_cache is not None:
        errors.add(f"'{where}.model_cache' applies only to multi_model containers")
    elif c.model_data is not None and c.model_data.is_prefix:
        errors.add(f"'{where}.model_data' is a prefix; a single-model container needs one .tar.gz object")
    _validate_environment(errors, f"{where}.environment", c.environment)
    if c.hostname is not None:
        errors.check_name(f"{where}.hostname", c.hostname, MODEL_NAME_PATTERN, 63)


def _check_choice(errors: ValidationErrors, where: str, c: ContainerDefinition) -> None:
    other = c.otherwise
    if c.condition is None or other is None:
        errors.add(
            f"'{where}.condition' and '{where}.otherwise' go together, got "
            f"condition={'set' if c.condition is not None else None} and "
            f"otherwise={'set' if other is not None else None}"
        )
        return
    if other.condition is not None or other.otherwise is not None:
        errors.add(f"'{where}.otherwise' cannot choose again: it must have no 'condition' or 'otherwise'")
    if c.multi_model or other.multi_model:
        errors.add(f"'{where}' with a 'condition' cannot be a multi_model container")
    if other.hostname != c.hostname:
        errors.add(
            f"'{where}.otherwise.hostname' must equal '{where}.hostname' ({c.hostname!r}), got {other.hostname!r}"
        )
    _check_container(errors, f"{where}.otherwise", other, 1)


def _validate_environment(errors: ValidationErrors, prop: str, environment: Mapping[str, object]) -> None:
    # Typed as object: callers without a type checker pass numbers, which CloudFormation would reject.
    if len(environment) > 100:
        errors.add(f"'{prop}' must hold at most 100 variables, got {len(environment)}")
    for key, value in environment.items():
        if not is_token(key) and (len(key) > 1024 or not ENV_KEY_PATTERN.fullmatch(key)):
            errors.add(
                f"'{prop}' key must match {ENV_KEY_PATTERN.pattern} (at most 1024 characters), got {key!r}"
            )
        if not isinstance(value, str):
            errors.add(f"'{prop}[{key!r}]' must be a string, got {type(value).__name__}")
        elif not is_token(value) and len(value) > 1024:
            errors.add(f"'{prop}[{key!r}]' must be at most 1024 characters, got {len(value)}")


__all__ = [
    "MAX_CONTAINERS",
    "ContainerDefinition",
    "InferenceExecutionMode",
    "resolve_containers",
    "validate_containers",
]
