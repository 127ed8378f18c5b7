"""One botocore data loader for every session of a test process.

botocore reads a service's model (JSON files of up to a few megabytes: SageMaker's is the largest) once per
*session*, and caches it on that session's loader. The tests make many sessions: moto, every reloaded handler module
and Powertools' idempotency layer each start a ``boto3.session.Session()``, so the same files were decoded again and
again: about a quarter of the CPU time of the handler tests (``tests/lambdas``).

Sharing the loader between sessions is what botocore already does between the clients of one session. The loader
only reads the packaged data files and keeps what it read; nothing a test asserts depends on which session read
them. Sessions with another data path (``AWS_DATA_PATH``) get a loader of their own.
"""

from __future__ import annotations

from functools import cache

import botocore.loaders
import botocore.session

_create_loader = botocore.loaders.create_loader


@cache
def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    return _create_loader(search_path_string)


def share_botocore_loader() -> None:
    """Make every botocore session of this process use one loader per data path (idempotent)."""
    botocore.session.create_loader = _shared_loader  # type: ignore[assignment]


def loader_is_shared() -> bool:
    """Whether ``share_botocore_loader`` is in effect."""
    return botocore.session.create_loader is _shared_loader
