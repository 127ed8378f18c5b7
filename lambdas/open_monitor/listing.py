"""Find the objects of a window in S3: captured endpoint data, batch transform capture manifests and the data
they name, ground truth. Every listing pages through all results (ListObjectsV2 returns at most 1,000 keys a
page)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .payload import Location
from .window import Window, hour_folder

S3Object = tuple[str, str]
"""(bucket, key)."""
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""A capture manifest is read no further than this."""


class CaptureManifestError(ValueError):
    """A batch transform capture manifest that is not SageMaker's manifest format."""


def list_keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    """Every object key under ``prefix`` (all pages), leaving out folder placeholders (keys ending in ``/``)."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            if not entry["Key"].endswith("/"):
                yield entry["Key"]


def list_folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    """The names of the folders right under ``prefix`` (ListObjectsV2 with ``Delimiter="/"``, all pages)."""
    names: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    for page in pages:
        for common in page.get("CommonPrefixes", []):
            name = common["Prefix"][len(prefix) :].rstrip("/")
            if name:
                names.append(name)
    return sorted(names)


def hourly_objects(s3: Any, location: Location, window: Window) -> list[S3Object]:
    """The objects in the ``yyyy/mm/dd/hh/`` folders under ``location`` of every hour in ``window``."""
    return [
        (location.bucket, key)
        for hour in window.hours()
        for key in list_keys(s3, location.bucket, location.key(hour_folder(hour)) + "/")
    ]


def endpoint_capture(
    s3: Any, capture: Location, endpoint: str, variants: Iterable[str] | None, window: Window
) -> list[S3Object]:
    """Captured files of ``endpoint`` in ``window``: ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/`` (developer
    guide, "Capture data from real-time endpoint"), of the given variants or of every variant folder there is."""
    base = capture.key(endpoint) + "/"
    names = list(variants) if variants is not None else list_folders(s3, capture.bucket, base)
    return [
        found
        for variant in names
        for found in hourly_objects(s3, Location(capture.bucket, capture.key(endpoint, variant)), window)
    ]


def batch_capture(s3: Any, capture: Location, manifests: str, window: Window) -> list[S3Object]:
    """The data objects that the batch transform capture manifests of ``window`` name.

    A transform job with data capture writes, under its ``DestinationS3Uri``, manifests in ``input/`` and
    ``output/`` folders labelled ``yyyy/mm/dd/hh`` by when they were captured; each lists the S3 locations of the
    job's input or output objects rather than copying them (developer guide, "Capture data from batch transform
    job", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-batch.html).
    """
    found: list[S3Object] = []
    for bucket, key in hourly_objects(s3, Location(capture.bucket, capture.key(manifests)), window):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read(MAX_MANIFEST_BYTES)
        found.extend(manifest_objects(body, f"s3://{bucket}/{key}"))
    return found


def manifest_objects(body: bytes, where: str) -> list[S3Object]:
    """The objects a SageMaker manifest names: a JSON array whose first element is ``{"prefix": "s3://..."}`` and
    the others are suffixes appended to it (SageMaker API Reference, ``S3DataSource.S3Uri``). The capture docs
    call the file JSONL, so a manifest of one array per line is read too.

    :raises CaptureManifestError: naming the manifest.
    """
    text = body.decode("utf-8", errors="strict")
    try:
        arrays = [json.loads(text)]
    except json.JSONDecodeError:
        try:
            arrays = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            raise CaptureManifestError(f"{where} is not a JSON manifest: {error}") from None
    objects: list[S3Object] = []
    for array in arrays:
        if not isinstance(array, list) or not array:
            raise CaptureManifestError(f"{where} must hold a JSON array, got {type(array).__name__}")
        head = array[0]
        prefix = head.get("prefix") if isinstance(head, dict) else None
        if not isinstance(prefix, str) or not prefix.startswith("s3://") or len(prefix) <= len("s3://"):
            raise CaptureManifestError(
                f'{where} must start with {{"prefix": "s3://<bucket>/..."}}, got {head!r}'
            )
        for suffix in array[1:]:
            if not isinstance(suffix, str) or not suffix:
                raise CaptureManifestError(f"{where} lists {suffix!r}, not an object key suffix")
            bucket, _, key = (prefix + suffix)[len("s3://") :].partition("/")
            objects.append((bucket, key))
    return objects
