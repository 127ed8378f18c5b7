"""SageMaker's own container images, resolved for every region inside one environment-agnostic template.

The registry data (``data/image_registry.json``) is generated from the SageMaker Python SDK by
``scripts/generate_image_registry.py`` and checked against the installed SDK in the test suite. A stack with an
unresolved region gets one CloudFormation mapping per registry (region -> account) and an ``Fn::FindInMap`` on
``AWS::Region``; a stack with a known region gets the literal account, or a synth-time error if SageMaker has no
image there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from aws_cdk import Aws, CfnMapping, Stack, Token
from constructs import IConstruct

from .validation import ValidationError

_MAPPING_ID_PREFIX = "SageMakerImageAccounts"


@dataclass(frozen=True)
class RegistryImage:
    """One image of SageMaker's registry: its repository, tag and the registry (region -> account) it lives in."""

    framework: str
    version: str
    image_scope: str
    repository: str
    tag: str | None
    registry_id: str


@cache
def _registry() -> dict[str, Any]:
    text = resources.files("sagemaker_constructs").joinpath("data/image_registry.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def available_versions(framework: str) -> list[str]:
    """Versions known for a framework, in registry order."""
    return list(_registry()["images"].get(framework, {}))


def lookup(framework: str, version: str, image_scope: str | None) -> RegistryImage:
    """Find an image in the registry, or raise a ValueError that lists what exists."""
    images = _registry()["images"]
    if framework not in images:
        raise ValidationError(f"'framework' must be one of {sorted(images)}, got {framework!r}")
    versions = images[framework]
    if version not in versions:
        raise ValidationError(
            f"'version' for framework {framework!r} must be one of {list(versions)}, got {version!r}"
        )
    scopes = versions[version]
    if image_scope is None:
        image_scope = "inference" if "inference" in scopes else next(iter(scopes))
    if image_scope not in scopes:
        raise ValidationError(
            f"'image_scope' for {framework} {version} must be one of {sorted(scopes)}, got {image_scope!r}"
        )
    entry = scopes[image_scope]
    return RegistryImage(
        framework=framework,
        version=version,
        image_scope=image_scope,
        repository=entry["repository"],
        tag=entry["tag"],
        registry_id=entry["registry"],
    )


def regions_of(image: RegistryImage) -> list[str]:
    """Regions in which SageMaker publishes this image."""
    return sorted(_registry()["registries"][image.registry_id])


def image_uri(scope: IConstruct, image: RegistryImage) -> str:
    """Render the image URI for the stack that holds ``scope``.

    Raises ValueError when the stack's region is known and SageMaker publishes no such image there.
    """
    stack = Stack.of(scope)
    accounts: dict[str, str] = _registry()["registries"][image.registry_id]
    region = stack.region
    if Token.is_unresolved(region):
        account = _mapping(stack, image.registry_id, accounts).find_in_map(Aws.REGION, "account")
    else:
        if region not in accounts:
            raise ValidationError(
                f"SageMaker publishes no {image.framework} {image.version or ''} image in region {region!r} "
                f"(known regions: {', '.join(sorted(accounts))}); use ContainerImage.from_image_uri() instead"
            )
        account = accounts[region]
    region_part = Aws.REGION if Token.is_unresolved(region) else region
    uri = f"{account}.dkr.ecr.{region_part}.{Aws.URL_SUFFIX}/{image.repository}"
    return f"{uri}:{image.tag}" if image.tag else uri


def _mapping(stack: Stack, registry_id: str, accounts: dict[str, str]) -> CfnMapping:
    mapping_id = f"{_MAPPING_ID_PREFIX}{registry_id}"
    existing = stack.node.try_find_child(mapping_id)
    if isinstance(existing, CfnMapping):
        return existing
    return CfnMapping(
        stack,
        mapping_id,
        mapping={region: {"account": account} for region, account in sorted(accounts.items())},
    )
