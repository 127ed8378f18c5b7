"""Write the run's inputs (SageMaker manifest files and monitor.json) and describe them as CreateProcessingJob
``ProcessingInputs``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .contract import RUN_INPUT_FOLDER
from .listing import S3Object
from .payload import Location


class Writer:
    """Writes the run's input objects under ``<run prefix>/input/``, encrypted with the output's KMS key if any."""

    def __init__(self, s3: Any, output: Location, run_prefix: str, kms_key_arn: str | None) -> None:
        self._s3 = s3
        self._bucket = output.bucket
        self._input_prefix = f"{run_prefix}/{RUN_INPUT_FOLDER}"
        self._kms_key_arn = kms_key_arn

    def put_json(self, name: str, value: Any) -> str:
        """Write ``value`` as ``<run prefix>/input/<name>``; its ``s3://`` URI. The same run writes the same key
        again, so a retried execution overwrites rather than adds."""
        key = f"{self._input_prefix}/{name}"
        request: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "Body": json.dumps(value, separators=(",", ":")).encode(),
            "ContentType": "application/json",
        }
        if self._kms_key_arn:
            request.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=self._kms_key_arn)
        self._s3.put_object(**request)
        return f"s3://{self._bucket}/{key}"

    def manifests(
        self, channel: str, local_path: str, objects: Sequence[S3Object], *, sharded: bool = False
    ) -> list[dict[str, Any]]:
        """One manifest per bucket of ``objects`` and its ProcessingInput (none for no objects).

        A manifest's first element is its prefix, and "the prefix must be a valid non-empty S3Uri that precludes
        users from specifying a manifest whose individual S3Uri is sourced from different S3 buckets" (SageMaker
        API Reference, ``S3DataSource.S3Uri``): hence ``{"prefix": "s3://<bucket>/"}`` followed by whole keys, one
        manifest per bucket. With several buckets the channels are ``<channel>``, ``<channel>-2``..., read from
        ``<local_path>/1``, ``<local_path>/2``... (the script reads every file under its data folder).
        """
        by_bucket: dict[str, set[str]] = {}
        for bucket, key in objects:
            by_bucket.setdefault(bucket, set()).add(key)
        inputs = []
        several = len(by_bucket) > 1
        for number, bucket in enumerate(sorted(by_bucket), start=1):
            name = channel if number == 1 else f"{channel}-{number}"
            uri = self.put_json(
                f"{name}.manifest", [{"prefix": f"s3://{bucket}/"}, *sorted(by_bucket[bucket])]
            )
            path = f"{local_path}/{number}" if several else local_path
            inputs.append(processing_input(name, uri, path, "ManifestFile", sharded=sharded))
        return inputs


def processing_input(
    name: str, uri: str, local_path: str, data_type: str, *, sharded: bool = False
) -> dict[str, Any]:
    """A CreateProcessingJob ``ProcessingInput`` reading ``uri`` in File mode.

    ``ShardedByS3Key`` gives each instance its share of the objects; ``FullyReplicated`` gives every instance all
    (SageMaker API Reference, ``ProcessingS3Input.S3DataDistributionType``).
    """
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local_path,
            "S3DataType": data_type,
            "S3InputMode": "File",
            "S3DataDistributionType": "ShardedByS3Key" if sharded else "FullyReplicated",
            "S3CompressionType": "None",
        },
    }
