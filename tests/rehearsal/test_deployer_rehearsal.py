"""The approved-model path's actors (``deployer_actors.py``) make their calls against the synthesized policies."""

from __future__ import annotations

from typing import Any

import pytest
from deployer_actors import model_deployer_calls, package_model_calls
from support.aws_calls import denials, report
from support.cfn_resolve import World


@pytest.fixture(scope="module")
def world(reference_templates: dict[str, dict[str, Any]]) -> World:
    return World.from_templates(reference_templates)


def test_the_deployer_can_read_the_registry_and_update_the_serving_stack(world: World) -> None:
    actors = list(model_deployer_calls(world))
    assert len(actors) == 1
    calls = [c for _actor, cs in actors for c in cs]
    assert report(denials(world, calls)) == ""


def test_the_challengers_role_can_read_a_registered_version(world: World) -> None:
    actors = list(package_model_calls(world))
    assert len(actors) == 1
    calls = [c for _actor, cs in actors for c in cs]
    assert {c.request.action for c in calls} >= {"s3:GetObject", "kms:Decrypt"}
    assert report(denials(world, calls)) == ""
