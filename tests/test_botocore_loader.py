"""The tests' shared botocore loader (``support.botocore_loader``): one loader per data path, the same models."""

from __future__ import annotations

from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
import pytest
from support.botocore_loader import loader_is_shared


def test_sessions_of_the_test_process_share_one_loader() -> None:
    assert loader_is_shared()
    first, second = botocore.session.Session(), boto3.session.Session()._session
    assert first.get_component("data_loader") is second.get_component("data_loader")


def test_the_shared_loader_reads_what_a_loader_of_its_own_reads() -> None:
    shared = botocore.session.Session().get_component("data_loader")
    own = botocore.loaders.create_loader()
    assert own is not shared
    for service in ("sagemaker", "stepfunctions", "events"):
        assert shared.load_service_model(service, "service-2") == own.load_service_model(service, "service-2")


def test_another_data_path_gets_a_loader_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    other = botocore.session.Session().get_component("data_loader")
    monkeypatch.delenv("AWS_DATA_PATH")
    assert other is not botocore.session.Session().get_component("data_loader")
    assert str(tmp_path) in other.search_paths
