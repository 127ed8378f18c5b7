#!/usr/bin/env python3
"""Generate the region -> image registry data for SageMaker's own container images.

The construct library needs the ECR URI of a few SageMaker-owned images (built-in XGBoost,
scikit-learn, the Model Monitor analyzer and Clarify) in *every* region, inside a single
environment-agnostic CloudFormation template. The template resolves the image through a
``Mappings`` section keyed by region, so the data has to be known at synth time. This script
extracts it from the SageMaker Python SDK's image registry (``sagemaker.core.image_uris``),
which works offline, and writes it to
``constructs/sagemaker_constructs/data/image_registry.json``.

Every URI is obtained through the SDK's public ``image_uris.retrieve`` and then parsed into
``{account}.dkr.ecr.{region}.{dns_suffix}/{repository}[:{tag}]``. The host part is checked
against the partition DNS suffix from botocore's bundled partition data (in the template, that
part becomes ``AWS::URLSuffix``); any URI that does not fit the pattern aborts the run, so a
wrong URI is never emitted silently.

Output format (sorted keys, 2-space indent, trailing newline)::

    {
      "generated_from": {"package": "sagemaker", "version": "...", "core_version": "..."},
      "registries": {"<RegistryId>": {"<region>": "<12-digit account>"}},
      "images": {
        "<framework>": {
          "<version or ''>": {"<scope>": {"repository": "...", "tag": "<tag or null>",
                                          "registry": "<RegistryId>"}}
        }
      }
    }

For frameworks with several candidate scopes (``inference`` then ``training``), only the first
scope the SDK defines for a version is recorded, plus any later scope whose images differ from
every scope already recorded. A missing ``training`` entry therefore means "same image as
``inference``".

Usage::

    python scripts/generate_image_registry.py          # (re)write the data file
    python scripts/generate_image_registry.py --check  # exit 1 if the file is stale
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import _data_file
import botocore.loaders
import botocore.regions
from _data_file import GenerationError
from sagemaker.core import common_utils, image_uris  # type: ignore[import-untyped]

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_PATH = REPO_ROOT / "constructs" / "sagemaker_constructs" / "data" / "image_registry.json"

# Instance type used for the CPU-only framework images (selects the "cpu" processor tag part).
CPU_INSTANCE_TYPE = "ml.m5.xlarge"

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_MODERN_XGBOOST_RE = re.compile(r"^(\d+)\.(\d+)-(\d+)$")

RegionUris = dict[str, str]
ImageEntry = dict[str, str | None]


def _is_modern_xgboost(version: str) -> bool:
    """Return True for XGBoost versions ``1.0-1`` and later (``1``, ``0.90-x`` are legacy)."""
    match = _MODERN_XGBOOST_RE.match(version)
    if match is None:
        return False
    return tuple(int(part) for part in match.groups()) >= (1, 0, 1)


def _any_version(_version: str) -> bool:
    """Accept every version."""
    return True


@dataclass(frozen=True)
class ImageSpec:
    """Which SDK image to extract and how to call ``image_uris.retrieve`` for it."""

    framework: str
    # Candidate scopes in priority order; later ones are recorded only when they differ.
    scopes: tuple[str, ...]
    version_filter: Callable[[str], bool] = _any_version
    retrieve_kwargs: Mapping[str, str] = field(default_factory=dict)


IMAGES: tuple[ImageSpec, ...] = (
    ImageSpec(
        "xgboost",
        ("inference", "training"),
        _is_modern_xgboost,
        {"instance_type": CPU_INSTANCE_TYPE, "py_version": "py3"},
    ),
    ImageSpec(
        "sklearn",
        ("inference", "training"),
        _any_version,
        {"instance_type": CPU_INSTANCE_TYPE, "py_version": "py3"},
    ),
    ImageSpec("model-monitor", ("monitoring",)),
    ImageSpec("clarify", ("processing",)),
)


class PartitionData:
    """Region -> partition DNS suffix lookup backed by botocore's bundled data.

    The suffix is resolved from ``endpoints.json`` (``EndpointResolver``, the same data the SDK
    uses to build the ECR hostname) and cross-checked against ``partitions.json`` (the data
    used by botocore's endpoint rulesets); the two must agree.
    """

    def __init__(self) -> None:
        """Load both partition data files from the installed botocore."""
        loader = botocore.loaders.create_loader()
        self._resolver = botocore.regions.EndpointResolver(loader.load_data("endpoints"))
        self._partitions: list[dict[str, Any]] = loader.load_data("partitions")["partitions"]
        self._cache: dict[str, str] = {}

    def _suffix_from_partitions_json(self, region: str) -> str | None:
        for partition in self._partitions:
            if region in partition.get("regions", {}) or re.match(partition["regionRegex"], region):
                return str(partition["outputs"]["dnsSuffix"])
        return None

    def dns_suffix(self, region: str) -> str:
        """Return the DNS suffix (e.g. ``amazonaws.com.cn``) of the partition of ``region``."""
        if region not in self._cache:
            self._cache[region] = self._lookup(region)
        return self._cache[region]

    def _lookup(self, region: str) -> str:
        try:
            partition = self._resolver.get_partition_for_region(region)
        except Exception as exc:  # botocore raises UnknownRegionError
            raise GenerationError(f"botocore knows no partition for region {region!r}") from exc
        suffix = self._resolver.get_partition_dns_suffix(partition)
        if not suffix:
            raise GenerationError(f"botocore has no DNS suffix for partition {partition!r}")
        other = self._suffix_from_partitions_json(region)
        if other != suffix:
            raise GenerationError(
                f"botocore partition data disagree for {region!r}: endpoints.json says {suffix!r}, "
                f"partitions.json says {other!r}"
            )
        return suffix


def parse_image_uri(uri: str, region: str, dns_suffix: str) -> tuple[str, str, str | None]:
    """Split ``{account}.dkr.ecr.{region}.{dns_suffix}/{repository}[:{tag}]``.

    Returns ``(account, repository, tag)``; raises ``GenerationError`` if the URI does not
    follow that exact template for the given region and DNS suffix.
    """
    host, sep, path = uri.partition("/")
    account, _, host_rest = host.partition(".")
    expected_host_rest = f"dkr.ecr.{region}.{dns_suffix}"
    if not sep or not path or not _ACCOUNT_RE.match(account) or host_rest != expected_host_rest:
        raise GenerationError(
            f"URI {uri!r} for region {region!r} does not match "
            f"'<12-digit account>.{expected_host_rest}/<repository>[:<tag>]'"
        )
    repository, colon, tag = path.partition(":")
    if not repository or (colon and not tag) or ":" in tag or "@" in path:
        raise GenerationError(f"URI {uri!r} has an unexpected repository/tag part")
    rebuilt = build_image_uri(account, region, dns_suffix, repository, tag or None)
    if rebuilt != uri:  # pragma: no cover - defensive round-trip check
        raise GenerationError(f"URI {uri!r} does not round-trip (rebuilt {rebuilt!r})")
    return account, repository, tag or None


def build_image_uri(account: str, region: str, dns_suffix: str, repository: str, tag: str | None) -> str:
    """Inverse of :func:`parse_image_uri`."""
    uri = f"{account}.dkr.ecr.{region}.{dns_suffix}/{repository}"
    return f"{uri}:{tag}" if tag else uri


@contextmanager
def _cached_endpoint_resolver() -> Iterator[None]:
    """Memoise the SDK's botocore endpoint resolver for the duration of the run.

    ``image_uris.retrieve`` re-parses botocore's ``endpoints.json`` on every call (~35 ms);
    the data is immutable within a process, so caching it only changes speed, not results.
    """
    cached = functools.cache(common_utils._botocore_resolver)
    with mock.patch.object(common_utils, "_botocore_resolver", cached):
        yield


def _scope_versions(config: Mapping[str, Any], scope: str) -> Mapping[str, Any]:
    """Return the ``versions`` mapping of a framework config for one scope ({} if absent)."""
    if "versions" in config:
        declared = config.get("scope")
        versions: Mapping[str, Any] = config["versions"] if not declared or scope in declared else {}
        return versions
    scope_config = config.get(scope)
    if not isinstance(scope_config, Mapping):
        return {}
    scope_versions: Mapping[str, Any] = scope_config.get("versions", {})
    return scope_versions


def sdk_regions(framework: str, version: str, scope: str) -> list[str] | None:
    """Regions the SDK lists for an image, or None if the SDK has no such version/scope."""
    versions = _scope_versions(image_uris.config_for_framework(framework), scope)
    if version not in versions:
        return None
    version_config = versions[version]
    if "registries" not in version_config:
        raise GenerationError(f"{framework} {version} ({scope}): unexpected config layout (no registries)")
    return sorted(version_config["registries"])


def sdk_versions(spec: ImageSpec) -> tuple[list[str], list[str]]:
    """Concrete versions the SDK defines for ``spec`` (union over scopes): (kept, skipped)."""
    config = image_uris.config_for_framework(spec.framework)
    found: set[str] = set()
    for scope in spec.scopes:
        found.update(_scope_versions(config, scope))
    ordered = [v for v in image_uris.list_versions(spec.framework) if v in found]
    ordered += sorted(found - set(ordered))  # e.g. the "" version of model-monitor
    kept = [v for v in ordered if spec.version_filter(v)]
    return kept, [v for v in ordered if v not in kept]


def retrieve_uris(spec: ImageSpec, version: str, scope: str, regions: list[str]) -> RegionUris:
    """Call ``image_uris.retrieve`` for every region."""
    return {
        region: image_uris.retrieve(
            spec.framework, region=region, version=version, image_scope=scope, **spec.retrieve_kwargs
        )
        for region in regions
    }


class RegistryNamer:
    """Assign deterministic alphanumeric ids to distinct region -> account maps."""

    def __init__(self) -> None:
        """Start with no registries."""
        self.registries: dict[str, dict[str, str]] = {}
        self._ids: dict[tuple[tuple[str, str], ...], str] = {}

    def id_for(self, framework: str, accounts: Mapping[str, str]) -> str:
        """Return the id of ``accounts``, creating ``<Framework>[N]`` on first sight."""
        key = tuple(sorted(accounts.items()))
        if key not in self._ids:
            base = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", framework) if part)
            candidate, number = base, 1
            while candidate in self.registries:
                number += 1
                candidate = f"{base}{number}"
            self._ids[key] = candidate
            self.registries[candidate] = dict(sorted(accounts.items()))
        return self._ids[key]


def _image_entry(
    uris: RegionUris, partitions: PartitionData, label: str
) -> tuple[dict[str, str], str, str | None]:
    """Parse per-region URIs of one image into (region->account, repository, tag)."""
    accounts: dict[str, str] = {}
    repos_tags: set[tuple[str, str | None]] = set()
    errors: list[str] = []
    for region, uri in uris.items():
        try:
            account, repository, tag = parse_image_uri(uri, region, partitions.dns_suffix(region))
        except GenerationError as exc:
            errors.append(f"{label}: {exc}")
            continue
        accounts[region] = account
        repos_tags.add((repository, tag))
    if errors:
        raise GenerationError("\n".join(errors))
    if len(repos_tags) != 1:
        raise GenerationError(
            f"{label}: repository/tag differ between regions: {sorted(map(str, repos_tags))}"
        )
    repository, tag = repos_tags.pop()
    return accounts, repository, tag


def generate() -> dict[str, Any]:
    """Build the registry document from the installed SDK."""
    partitions = PartitionData()
    namer = RegistryNamer()
    images: dict[str, dict[str, dict[str, ImageEntry]]] = {}
    errors: list[str] = []
    with _cached_endpoint_resolver():
        for spec in IMAGES:
            versions, skipped = sdk_versions(spec)
            if skipped:
                print(f"{spec.framework}: skipping legacy versions {', '.join(skipped)}", file=sys.stderr)
            if not versions:
                raise GenerationError(f"the SDK lists no usable version of {spec.framework}")
            for version in versions:
                recorded: list[RegionUris] = []
                for scope in spec.scopes:
                    regions = sdk_regions(spec.framework, version, scope)
                    if regions is None:
                        continue
                    uris = retrieve_uris(spec, version, scope, regions)
                    if uris in recorded:
                        continue  # same images as an already recorded scope
                    label = f"{spec.framework} {version or '<none>'} ({scope})"
                    try:
                        accounts, repository, tag = _image_entry(uris, partitions, label)
                    except GenerationError as exc:
                        errors.append(str(exc))
                        continue
                    recorded.append(uris)
                    images.setdefault(spec.framework, {}).setdefault(version, {})[scope] = {
                        "registry": namer.id_for(spec.framework, accounts),
                        "repository": repository,
                        "tag": tag,
                    }
    if errors:
        raise GenerationError("refusing to write image registry data:\n" + "\n".join(errors))
    return {
        "generated_from": {
            "package": "sagemaker",
            "version": importlib.metadata.version("sagemaker"),
            "core_version": importlib.metadata.version("sagemaker-core"),
        },
        "registries": namer.registries,
        "images": images,
    }


def _summarise_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Human-readable summary of what differs between two documents."""
    lines: list[str] = []
    if old.get("generated_from") != new.get("generated_from"):
        lines.append(f"generated_from: {old.get('generated_from')} -> {new.get('generated_from')}")
    old_regs, new_regs = old.get("registries", {}), new.get("registries", {})
    for reg_id in sorted(set(old_regs) | set(new_regs)):
        before, after = old_regs.get(reg_id, {}), new_regs.get(reg_id, {})
        if before == after:
            continue
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(r for r in set(before) & set(after) if before[r] != after[r])
        lines.append(f"registry {reg_id}: added {added}, removed {removed}, account changed {changed}")
    old_imgs, new_imgs = old.get("images", {}), new.get("images", {})
    for framework in sorted(set(old_imgs) | set(new_imgs)):
        before, after = old_imgs.get(framework, {}), new_imgs.get(framework, {})
        for version in sorted(set(before) | set(after)):
            if before.get(version) != after.get(version):
                lines.append(f"image {framework} {version!r}: {before.get(version)} -> {after.get(version)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    return _data_file.main(
        argv,
        generate=generate,
        summarise=_summarise_changes,
        output_path=OUTPUT_PATH,
        script=Path(__file__).name,
        description=__doc__.splitlines()[0] if __doc__ else None,
    )


if __name__ == "__main__":
    sys.exit(main())
