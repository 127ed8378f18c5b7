"""Fixtures of the library tests: ``run_state_machine`` runs a state machine definition in the ASL interpreter
of tests/support/asl_interpreter.py against moto."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# tests/ is no package (a site-packages "tests" would shadow it): its support modules are imported from there.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.asl_interpreter import ExecutionResult, ModelCheck, run_execution


@pytest.fixture
def run_state_machine(service_model: ModelCheck) -> Callable[..., ExecutionResult]:
    """``run_state_machine(definition, execution_input, start_time=..., transform_outcomes=[...], s3_faults=[...],
    sagemaker_error_style="catch-all" | "specific")``: one execution, inside ``mock_aws`` (see
    ``support.asl_interpreter.run_execution``)."""
    return functools.partial(run_execution, service_model)
