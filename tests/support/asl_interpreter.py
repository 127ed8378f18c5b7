"""A small Amazon States Language interpreter (JSONata query language) for offline workflow tests.

It executes a synthesized state machine definition, one execution at a time, against moto: AWS SDK and
optimized service integrations are dispatched to handlers that call boto3; every request is first checked
against botocore's service model, strictly (lengths, patterns, enums: ``service_model_problems`` of
tests/conftest.py). Nothing sleeps: Wait states and Retry back-offs advance a simulated clock, which also
drives ``$millis()`` and ``$now()``. The ``run_state_machine`` fixture (tests/unit/conftest.py) runs one.

It must not be kinder than Step Functions. It refuses definitions Step Functions refuses at creation: a
Retry or Catch list where ``States.ALL`` is not alone in its ErrorEquals or not in the last retrier or catcher
(Amazon States Language specification, "Error names" and "Retrying after an error":
https://states-language.net/spec.html#error-names), transitions to undefined states, JSONPath states.

Assumptions, each with its source, and what the tests would miss if one is wrong:

- AWS SDK integrations (``arn:aws:states:::aws-sdk:<service>:<action>``) name an error
  ``<Service>.<Name>Exception``, the name suffixed with "Exception" even where the API reference omits it
  (S3's ``NoSuchBucket`` is ``S3.NoSuchBucketException``): Step Functions developer guide, "Learning to use
  AWS service SDK integrations" (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
  Errors that the operation's botocore model does not list (``SlowDown``, ``InternalError``, ``AccessDenied``
  for S3; throttling for SageMaker) surface as the service's base exception of the AWS SDK for Java 2.x,
  which Step Functions runs: ``S3.S3Exception``, ``SageMaker.SageMakerException`` (an assumption, seen in
  Step Functions execution histories; no AWS page lists them).
- The optimized SageMaker integration (``arn:aws:states:::sagemaker:createTransformJob.sync``): whether it
  reports API errors as ``SageMaker.AmazonSageMakerException`` with the code in the cause ("... (Service:
  AmazonSageMaker; Status Code: 400; Error Code: ValidationException; ...)"), or as
  ``SageMaker.<Code>Exception``, is not documented; ``sagemaker_error_style`` chooses ("catch-all", the
  default, or "specific"), and the workflow's tests run both.
- A name already in use: CreateTransformJob fails with ``ResourceInUse`` (the errors botocore's
  ``sagemaker/2017-07-24/service-2.json`` lists for it: ResourceInUse, ResourceLimitExceeded,
  ResourceNotFound); DescribeTransformJob of an unknown job with ``ResourceNotFound`` (its only listed error).
- A ``.sync`` job that ends Failed or Stopped fails the task with ``States.TaskFailed`` and, as the cause,
  DescribeTransformJob's response as JSON (Step Functions developer guide, "Run a Job (.sync)": the task
  fails when the job fails; the cause's content is an assumption, which the workflow only reads through
  DescribeTransformJob).
- A create whose response is lost (``CREATED_RESPONSE_LOST``): the job exists, and the task fails with a
  transient error (``InternalFailure``, HTTP 500): the client cannot tell that the job was created.

Where it departs from Step Functions: the clock only moves on waits, retry back-offs and jobs (a job runs
JOB_RUN_SECONDS; a timed-out one its Task's TimeoutSeconds); JitterStrategy FULL uses the un-jittered
upper bound; the state machine's own TimeoutSeconds is not enforced; an error while evaluating a
Catcher's Assign or Output fails the execution; a Task timeout's error output has an empty Cause.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
import jsonata
from jsonata import utils as jsonata_utils

ACCOUNT = "123456789012"
MAX_TRANSITIONS = 500

# Errors a Catcher or Retrier with States.ALL does not match (terminal errors).
_TERMINAL_ERRORS = frozenset({"States.Runtime", "States.DataLimitExceeded"})


class StatesError(Exception):
    """A state failure with an error name and an optional cause (``$states.errorOutput``)."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause

    def error_output(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Error": self.error}
        if self.cause is not None:
            out["Cause"] = self.cause
        return out


class _ExecutionFailedError(Exception):
    def __init__(self, error: StatesError) -> None:
        super().__init__(str(error))
        self.error = error


# ------------------------------------------------------------------------------------------------ clock


class SimulatedClock:
    """Execution time: starts at the execution's StartTime, advances only when told (waits, jobs)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def millis(self) -> int:
        return int(self.now.timestamp() * 1000)

    def iso(self) -> str:
        return _iso(self.now)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------------------------- JSONata


def _to_jsonata(value: Any) -> Any:
    """JSON value -> jsonata-python value (JSON null is NULL_VALUE; Python None means undefined)."""
    if value is None:
        return jsonata_utils.Utils.NULL_VALUE
    if isinstance(value, Mapping):
        return {k: _to_jsonata(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_jsonata(v) for v in value]
    return value


def _from_jsonata(value: Any) -> Any:
    """jsonata-python result -> JSON value (integral numbers become ints, as JSON serialization does)."""
    if value is jsonata_utils.Utils.NULL_VALUE:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): _from_jsonata(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_from_jsonata(v) for v in value if v is not None]
    raise StatesError("States.QueryEvaluationError", f"not a JSON value: {value!r}")


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


# ------------------------------------------------------------------------------------------- the result


@dataclass
class ExecutionResult:
    """What one execution did."""

    status: str  # SUCCEEDED | FAILED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    visited: list[str] = field(default_factory=list)
    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # resource -> Arguments, per attempt
    waits: list[tuple[str, float]] = field(default_factory=list)  # (Wait state, seconds)
    retries: list[tuple[str, str, int, float]] = field(default_factory=list)  # (state, error, attempt, delay)
    variables: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)

    def calls_to(self, resource: str) -> list[dict[str, Any]]:
        return self.calls.get(resource, [])

    def describe(self) -> str:
        """A readable account of the execution, for assertion messages."""
        return (
            f"status={self.status} error={self.error} cause={self.cause}\n"
            f"visited={self.visited}\nwaits={self.waits}\nretries={self.retries}\n" + "\n".join(self.history)
        )


@dataclass
class TaskContext:
    """What a task handler may use: the state, its timeout, the clock."""

    state_name: str
    state: Mapping[str, Any]
    clock: SimulatedClock

    @property
    def timeout_seconds(self) -> float | None:
        value = self.state.get("TimeoutSeconds")
        return float(value) if isinstance(value, int | float) else None


Handler = Callable[[dict[str, Any], TaskContext], Any]
# service, operation, request -> what botocore's service model forbids in it (tests/conftest.py service_model)
ModelCheck = Callable[[str, str, dict[str, Any]], list[str]]


# -------------------------------------------------------------------------------------------- interpreter


class AslInterpreter:
    """Runs a JSONata-mode state machine: Pass, Task, Choice, Wait, Succeed, Fail, inline Map; Assign, Output,
    Arguments, Condition, Retry, Catch, TimeoutSeconds (where a handler raises States.Timeout)."""

    def __init__(self, definition: Mapping[str, Any], handlers: Mapping[str, Handler], clock: SimulatedClock):
        if definition.get("QueryLanguage") != "JSONata":
            raise ValueError("only QueryLanguage JSONata state machines are supported")
        self.definition = definition
        self.states: Mapping[str, Mapping[str, Any]] = definition["States"]
        self.handlers = handlers
        self.clock = clock
        self._expressions: dict[str, jsonata.Jsonata] = {}
        self._check_transitions()

    def _check_transitions(self) -> None:
        targets = [self.definition["StartAt"]]
        for name, state in self.states.items():
            for field_name in ("Retry", "Catch"):
                rules = state.get(field_name, [])
                for index, rule in enumerate(rules):
                    errors = rule["ErrorEquals"]
                    if "States.ALL" in errors and (len(errors) > 1 or index != len(rules) - 1):
                        raise ValueError(
                            f"{name}.{field_name}[{index}]: States.ALL must appear alone, in the last "
                            f"{'retrier' if field_name == 'Retry' else 'catcher'}; got {errors}"
                        )
            if state.get("QueryLanguage", "JSONata") != "JSONata":
                raise ValueError("JSONPath states are not supported")
            targets += [state[k] for k in ("Next", "Default") if k in state]
            targets += [c["Next"] for c in state.get("Choices", [])]
            targets += [c["Next"] for c in state.get("Catch", [])]
        missing = sorted({t for t in targets if t not in self.states})
        if missing:
            raise ValueError(f"transitions to undefined states: {missing}")

    # -- JSONata evaluation

    def _compiled(self, expression: str) -> jsonata.Jsonata:
        if expression in self._expressions:
            return self._expressions[expression]
        compiled = jsonata.Jsonata(expression)
        compiled.set_output_convert_nulls(False)
        # Step Functions' own functions, and the clock of this (simulated) execution.
        compiled.register_lambda("uuid", lambda: str(uuid.uuid4()))
        compiled.register_lambda("millis", lambda: self.clock.millis())
        compiled.register_lambda("now", lambda: self.clock.iso())
        compiled.register_lambda("hash", _hash)
        # $parse(json): Step Functions' JSONata function that parses a JSON string ("Transforming data with
        # JSONata in Step Functions", https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
        compiled.register_lambda("parse", lambda text: _to_jsonata(json.loads(text)))
        self._expressions[expression] = compiled
        return compiled

    def evaluate(
        self, template: Any, states: Mapping[str, Any], variables: Mapping[str, Any], where: str
    ) -> Any:
        """Evaluate "{% ... %}" strings anywhere in ``template``; other values pass through."""
        if _is_expression(template):
            expression = template[2:-2].strip()
            bindings = {name: _to_jsonata(value) for name, value in variables.items()}
            bindings["states"] = _to_jsonata(states)
            try:
                value = self._compiled(expression).evaluate(None, bindings)
            except Exception as exc:  # jsonata errors
                raise StatesError(
                    "States.QueryEvaluationError",
                    f"The JSONata expression '{expression}' specified for the field '{where}' failed: {exc}",
                ) from exc
            if value is None:
                raise StatesError(
                    "States.QueryEvaluationError",
                    f"The JSONata expression '{expression}' specified for the field '{where}' returned nothing "
                    "(undefined).",
                )
            return _from_jsonata(value)
        if isinstance(template, Mapping):
            return {k: self.evaluate(v, states, variables, f"{where}/{k}") for k, v in template.items()}
        if isinstance(template, list):
            return [self.evaluate(v, states, variables, f"{where}[{i}]") for i, v in enumerate(template)]
        return template

    # -- execution

    def run(self, execution_input: Any, *, name: str, state_machine_arn: str) -> ExecutionResult:
        execution_arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        context = {
            "Execution": {
                "Id": execution_arn,
                "Input": execution_input,
                "Name": name,
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/StateMachineRole",
                "StartTime": self.clock.iso(),
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": state_machine_arn, "Name": state_machine_arn.rsplit(":", 1)[-1]},
        }
        result = ExecutionResult(status="RUNNING")
        variables: dict[str, Any] = {}
        state_name: str | None = self.definition["StartAt"]
        state_input = execution_input
        try:
            while state_name is not None:
                if len(result.visited) >= MAX_TRANSITIONS:
                    raise RuntimeError(f"more than {MAX_TRANSITIONS} transitions: {result.visited[-20:]}")
                result.visited.append(state_name)
                state = self.states[state_name]
                context["State"] = {"Name": state_name, "EnteredTime": self.clock.iso(), "RetryCount": 0}
                result.history.append(
                    f"{self.clock.iso()} enter {state_name} input={json.dumps(state_input)}"
                )
                state_input, state_name = self._run_state(
                    state_name, state, state_input, context, variables, result
                )
        except _ExecutionFailedError as failed:
            result.status = "FAILED"
            result.error = failed.error.error
            result.cause = failed.error.cause
            result.history.append(f"{self.clock.iso()} execution failed: {failed.error}")
        else:
            result.status = "SUCCEEDED"
            result.output = state_input
        result.variables = dict(variables)
        return result

    def _run_state(
        self,
        name: str,
        state: Mapping[str, Any],
        state_input: Any,
        context: dict[str, Any],
        variables: dict[str, Any],
        result: ExecutionResult,
    ) -> tuple[Any, str | None]:
        kind = state["Type"]
        states: dict[str, Any] = {"input": state_input, "context": context}
        try:
            if kind == "Task":
                return self._run_task(name, state, states, variables, result)
            if kind == "Map":
                return self._run_map(name, state, states, variables, result)
            if kind == "Choice":
                return self._run_choice(name, state, states, variables)
            if kind == "Fail":
                error = self.evaluate(state.get("Error"), states, variables, "Error")
                cause = self.evaluate(state.get("Cause"), states, variables, "Cause")
                raise _ExecutionFailedError(StatesError(error, cause))
            if kind == "Wait":
                if "Seconds" in state:
                    seconds = self.evaluate(state["Seconds"], states, variables, "Seconds")
                    if (
                        isinstance(seconds, bool)
                        or not isinstance(seconds, int)
                        or not 0 <= seconds <= 99999999
                    ):
                        raise StatesError(
                            "States.Runtime", f"Wait Seconds must be a whole number, got {seconds!r}"
                        )
                else:
                    timestamp = self.evaluate(state["Timestamp"], states, variables, "Timestamp")
                    seconds = max(0.0, (parse_time(timestamp) - self.clock.now).total_seconds())
                result.waits.append((name, seconds))
                self.clock.advance(seconds)
            elif kind not in ("Pass", "Succeed"):
                raise StatesError("States.Runtime", f"state type {kind} is not supported by this interpreter")
            output = (
                self.evaluate(state["Output"], states, variables, "Output")
                if "Output" in state
                else state_input
            )
            assigned = self.evaluate(state.get("Assign", {}), states, variables, "Assign")
        except StatesError as error:
            # Errors outside a Task (no Catch there) fail the execution.
            raise _ExecutionFailedError(error) from error
        variables.update(assigned)
        if kind == "Succeed" or state.get("End"):
            return output, None
        return output, state["Next"]

    def _run_choice(
        self, name: str, state: Mapping[str, Any], states: dict[str, Any], variables: dict[str, Any]
    ) -> tuple[Any, str | None]:
        for index, rule in enumerate(state.get("Choices", [])):
            matched = self.evaluate(rule["Condition"], states, variables, f"Choices[{index}]/Condition")
            if not isinstance(matched, bool):
                raise StatesError(
                    "States.QueryEvaluationError", f"Condition of {name} returned a non-boolean: {matched!r}"
                )
            if matched:
                return self._choose(rule, state, states, variables)
        if "Default" not in state:
            raise StatesError("States.NoChoiceMatched", f"no choice rule matched in {name}")
        return self._choose({"Next": state["Default"]}, state, states, variables)

    def _choose(
        self,
        rule: Mapping[str, Any],
        state: Mapping[str, Any],
        states: dict[str, Any],
        variables: dict[str, Any],
    ) -> tuple[Any, str]:
        output_template = rule.get("Output", state.get("Output"))
        output = (
            states["input"]
            if output_template is None
            else self.evaluate(output_template, states, variables, "Output")
        )
        assigned = {
            **self.evaluate(state.get("Assign", {}), states, variables, "Assign"),
            **self.evaluate(rule.get("Assign", {}), states, variables, "Assign"),
        }
        variables.update(assigned)
        return output, rule["Next"]

    def _run_task(
        self,
        name: str,
        state: Mapping[str, Any],
        states: dict[str, Any],
        variables: dict[str, Any],
        result: ExecutionResult,
    ) -> tuple[Any, str | None]:
        resource = state["Resource"]
        handler = self.handlers.get(resource)
        if handler is None:
            raise StatesError("States.Runtime", f"no handler for resource {resource}")
        retriers = state.get("Retry", [])
        attempts = [0] * len(retriers)
        retry_count = 0
        while True:
            states["context"]["State"]["RetryCount"] = retry_count
            try:
                arguments = (
                    self.evaluate(state["Arguments"], states, variables, "Arguments")
                    if "Arguments" in state
                    else states["input"]
                )
                result.calls.setdefault(resource, []).append(arguments)
                task_result = handler(arguments, TaskContext(name, state, self.clock))
                result.history.append(f"{self.clock.iso()} {name} result={json.dumps(task_result)}")
                task_states = {**states, "result": task_result}
                output = (
                    self.evaluate(state["Output"], task_states, variables, "Output")
                    if "Output" in state
                    else task_result
                )
                assigned = self.evaluate(state.get("Assign", {}), task_states, variables, "Assign")
            except StatesError as error:
                result.history.append(f"{self.clock.iso()} {name} failed: {error.error_output()}")
                index = _first_match(error.error, (r["ErrorEquals"] for r in retriers))
                if index is not None and attempts[index] < retriers[index].get("MaxAttempts", 3):
                    delay = _backoff(retriers[index], attempts[index])
                    attempts[index] += 1
                    retry_count += 1
                    result.retries.append((name, error.error, attempts[index], delay))
                    self.clock.advance(delay)
                    continue
                return self._catch(name, state, states, variables, error)
            variables.update(assigned)
            return output, (None if state.get("End") else state["Next"])

    def _run_map(
        self,
        name: str,
        state: Mapping[str, Any],
        states: dict[str, Any],
        variables: dict[str, Any],
        result: ExecutionResult,
    ) -> tuple[Any, str | None]:
        """An inline Map, its iterations one after the other: each runs ``ItemProcessor`` on its item (or on
        ``ItemSelector``), reading the outer variables; what an iteration assigns stays in it (Step Functions,
        "Variable scope": https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html). An
        iteration's failure is the Map's, for its Catch."""
        processor = state["ItemProcessor"]
        if processor.get("ProcessorConfig", {}).get("Mode", "INLINE") != "INLINE":
            raise StatesError("States.Runtime", f"{name}: only INLINE Map states are supported")
        inner = AslInterpreter(
            {"QueryLanguage": "JSONata", "StartAt": processor["StartAt"], "States": processor["States"]},
            self.handlers,
            self.clock,
        )
        try:
            items = (
                self.evaluate(state["Items"], states, variables, "Items")
                if "Items" in state
                else states["input"]
            )
            if not isinstance(items, list):
                raise StatesError("States.QueryEvaluationError", f"{name}: Items is not an array: {items!r}")
            outputs = []
            for index, item in enumerate(items):
                context = {**states["context"], "Map": {"Item": {"Index": index, "Value": item}}}
                item_input = (
                    self.evaluate(
                        state["ItemSelector"], {**states, "context": context}, variables, "ItemSelector"
                    )
                    if "ItemSelector" in state
                    else item
                )
                scope = dict(variables)
                state_name: str | None = processor["StartAt"]
                while state_name is not None:
                    result.visited.append(f"{name}/{state_name}")
                    item_input, state_name = inner._run_state(
                        state_name, inner.states[state_name], item_input, context, scope, result
                    )
                outputs.append(item_input)
            task_states = {**states, "result": outputs}
            output = (
                self.evaluate(state["Output"], task_states, variables, "Output")
                if "Output" in state
                else outputs
            )
            assigned = self.evaluate(state.get("Assign", {}), task_states, variables, "Assign")
        except _ExecutionFailedError as failed:
            return self._catch(name, state, states, variables, failed.error)
        except StatesError as error:
            return self._catch(name, state, states, variables, error)
        variables.update(assigned)
        return output, (None if state.get("End") else state["Next"])

    def _catch(
        self,
        name: str,
        state: Mapping[str, Any],
        states: dict[str, Any],
        variables: dict[str, Any],
        error: StatesError,
    ) -> tuple[Any, str]:
        catchers = state.get("Catch", [])
        index = _first_match(error.error, (c["ErrorEquals"] for c in catchers))
        if index is None:
            raise _ExecutionFailedError(error)
        catcher = catchers[index]
        error_states = {**states, "errorOutput": error.error_output()}
        try:
            output = (
                self.evaluate(catcher["Output"], error_states, variables, "Catch/Output")
                if "Output" in catcher
                else error.error_output()
            )
            assigned = self.evaluate(catcher.get("Assign", {}), error_states, variables, "Catch/Assign")
        except StatesError as catch_error:
            raise _ExecutionFailedError(catch_error) from catch_error
        variables.update(assigned)
        return output, catcher["Next"]


def _hash(value: Any, algorithm: Any) -> str:
    """Step Functions' JSONata ``$hash(value, algorithm)``: the hex digest (Step Functions developer guide,
    "Transforming data with JSONata", Step Functions-provided functions)."""
    algorithms = {
        "MD5": "md5",
        "SHA-1": "sha1",
        "SHA-256": "sha256",
        "SHA-384": "sha384",
        "SHA-512": "sha512",
    }
    if not isinstance(value, str) or algorithm not in algorithms:
        raise ValueError(
            f"$hash needs a string and one of {sorted(algorithms)}, got {value!r}, {algorithm!r}"
        )
    return hashlib.new(algorithms[algorithm], value.encode()).hexdigest()


def _matches(error: str, names: Iterable[str]) -> bool:
    for name in names:
        if name == error:
            return True
        if name == "States.ALL" and error not in _TERMINAL_ERRORS:
            return True
        # States.TaskFailed matches any error except States.Timeout (and the terminal ones).
        if name == "States.TaskFailed" and error not in _TERMINAL_ERRORS and error != "States.Timeout":
            return True
    return False


def _first_match(error: str, lists: Iterable[Iterable[str]]) -> int | None:
    for index, names in enumerate(lists):
        if _matches(error, names):
            return index
    return None


def _backoff(retrier: Mapping[str, Any], attempt: int) -> float:
    """The back-off before retry ``attempt + 1`` (no jitter: JitterStrategy FULL's upper bound)."""
    delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** attempt
    if "MaxDelaySeconds" in retrier:
        delay = min(delay, float(retrier["MaxDelaySeconds"]))
    return delay


# ------------------------------------------------------------------------------------------ boto3 results


def _jsonable(value: Any) -> Any:
    """A boto3 response as Step Functions passes it on: JSON, timestamps as ISO strings, no metadata."""
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return _iso(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    if isinstance(value, bytes):
        return value.decode()
    return value


# ---------------------------------------------------------------------------------- integrations (moto)

S3_LIST_OBJECTS = "arn:aws:states:::aws-sdk:s3:listObjectsV2"
S3_PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject"
TRANSFORM_SYNC = "arn:aws:states:::sagemaker:createTransformJob.sync"
DESCRIBE_TRANSFORM = "arn:aws:states:::aws-sdk:sagemaker:describeTransformJob"
STOP_TRANSFORM = "arn:aws:states:::aws-sdk:sagemaker:stopTransformJob"
SNS_PUBLISH = "arn:aws:states:::sns:publish"

# Outcomes of successive createTransformJob.sync calls (``transform_outcomes``); any other string is the
# FailureReason of a job that fails.
COMPLETED = "Completed"
THROTTLED = "Throttled"  # CreateTransformJob is throttled (no job is created)
# The job is created (and completes after JOB_RUN_SECONDS), but the task fails with HTTP 500.
CREATED_RESPONSE_LOST = "CreatedResponseLost"
# As CREATED_RESPONSE_LOST, but the job stays InProgress until someone stops it.
CREATED_RESPONSE_LOST_NEVER_ENDS = "CreatedResponseLostNeverEnds"
QUOTA_EXCEEDED = "QuotaExceeded"  # ResourceLimitExceeded (no job is created)
ACCESS_DENIED = "AccessDenied"  # AccessDeniedException (no job is created)
INVALID = "Invalid"  # ValidationException (no job is created)
RUNS_PAST_TIMEOUT = "RunsPastTimeout"  # the job is still InProgress when the Task's TimeoutSeconds elapse
JOB_RUN_SECONDS = 600

# API errors of CreateTransformJob that create no job: (error code, HTTP status, message).
_CREATE_ERRORS = {
    THROTTLED: ("ThrottlingException", 400, "Rate exceeded"),
    QUOTA_EXCEEDED: (
        "ResourceLimitExceeded",
        400,
        "The account-level service limit 'ml.m5.large for transform job usage' is 0 Instances",
    ),
    ACCESS_DENIED: (
        "AccessDeniedException",
        400,
        "User is not authorized to perform: sagemaker:CreateTransformJob",
    ),
    INVALID: ("ValidationException", 400, "Could not find model"),
}

SAGEMAKER_ERROR_STYLES = ("catch-all", "specific")


class AwsIntegrations:
    """Handlers of the resources the BatchTransform workflow uses, backed by moto.

    ``s3_faults``: error codes that successive S3 calls fail with before S3 answers (``SlowDown``,
    ``InternalError``: unmodeled, so ``S3.S3Exception``; ``NoSuchBucket``: ``S3.NoSuchBucketException``).
    """

    def __init__(
        self,
        region: str,
        transform_outcomes: Iterable[str],
        model_problems: ModelCheck,
        *,
        s3_faults: Iterable[str] = (),
        sagemaker_error_style: str = "catch-all",
    ) -> None:
        if sagemaker_error_style not in SAGEMAKER_ERROR_STYLES:
            raise ValueError(f"sagemaker_error_style must be one of {SAGEMAKER_ERROR_STYLES}")
        self.region = region
        self.model_problems = model_problems
        self.outcomes = list(transform_outcomes)
        self.s3_faults = list(s3_faults)
        self.error_style = sagemaker_error_style
        self.s3 = boto3.client("s3", region_name=region)
        self.sagemaker = boto3.client("sagemaker", region_name=region)
        self.sns = boto3.client("sns", region_name=region)

    def handlers(self) -> dict[str, Handler]:
        return {
            S3_LIST_OBJECTS: self.list_objects_v2,
            S3_PUT_OBJECT: self.put_object,
            TRANSFORM_SYNC: self.create_transform_job_sync,
            DESCRIBE_TRANSFORM: self.describe_transform_job,
            STOP_TRANSFORM: self.stop_transform_job,
            SNS_PUBLISH: self.publish,
        }

    # -- errors, named as Step Functions names them (module docstring)

    @staticmethod
    def _sdk_error(service: str, operation: str, code: str, message: str) -> StatesError:
        """An AWS SDK integration error: modeled errors by name, the others as the service's base exception."""
        import botocore.session

        model = botocore.session.get_session().get_service_model(service.lower())
        modeled = {shape.name for shape in model.operation_model(operation).error_shapes}
        bare = code.removesuffix("Exception")
        name = f"{bare}Exception" if bare in modeled or code in modeled else f"{service}Exception"
        return StatesError(f"{service}.{name}", f"{message} (Service: {service}, Status Code: 400)")

    def _sagemaker_api_error(self, code: str, message: str, status: int = 400) -> StatesError:
        if self.error_style == "specific":
            return StatesError(f"SageMaker.{code.removesuffix('Exception')}Exception", message)
        return StatesError(
            "SageMaker.AmazonSageMakerException",
            f"{message} (Service: AmazonSageMaker; Status Code: {status}; Error Code: {code}; "
            f"Request ID: {uuid.uuid4()}; Proxy: null)",
        )

    def _s3_fault(self, operation: str) -> None:
        if self.s3_faults:
            code = self.s3_faults.pop(0)
            raise self._sdk_error("S3", operation, code, f"{code} (injected)")

    # aws-sdk:s3:listObjectsV2
    def list_objects_v2(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        problems = self.model_problems("s3", "ListObjectsV2", args)
        if problems:
            raise self._sdk_error("S3", "ListObjectsV2", "InvalidArgument", "; ".join(problems))
        self._s3_fault("ListObjectsV2")
        try:
            return _jsonable(self.s3.list_objects_v2(**args))
        except botocore.exceptions.ClientError as exc:
            raise self._sdk_error("S3", "ListObjectsV2", exc.response["Error"]["Code"], str(exc)) from exc

    # aws-sdk:s3:putObject
    def put_object(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        problems = self.model_problems("s3", "PutObject", args)
        if problems:
            raise self._sdk_error("S3", "PutObject", "InvalidArgument", "; ".join(problems))
        self._s3_fault("PutObject")
        try:
            return _jsonable(self.s3.put_object(**args))
        except botocore.exceptions.ClientError as exc:
            raise self._sdk_error("S3", "PutObject", exc.response["Error"]["Code"], str(exc)) from exc

    # sagemaker:createTransformJob.sync
    def create_transform_job_sync(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        problems = self.model_problems("sagemaker", "CreateTransformJob", args)
        if problems:
            raise self._sagemaker_api_error("ValidationException", "; ".join(problems))
        outcome = self.outcomes.pop(0) if self.outcomes else COMPLETED
        if outcome in _CREATE_ERRORS:
            code, status, message = _CREATE_ERRORS[outcome]
            raise self._sagemaker_api_error(code, message, status)
        name = args["TransformJobName"]
        if self._job(name) is not None:
            raise self._sagemaker_api_error("ResourceInUse", f"Job name {name} is already in use")
        try:
            self.sagemaker.describe_model(ModelName=args["ModelName"])
        except botocore.exceptions.ClientError as exc:
            raise self._sagemaker_api_error(
                "ValidationException", f"Could not find model {args['ModelName']}"
            ) from exc
        try:
            self.sagemaker.create_transform_job(**args)
        except (botocore.exceptions.ClientError, botocore.exceptions.ParamValidationError) as exc:
            raise self._sagemaker_api_error("ValidationException", str(exc)) from exc
        job = self._job(name)
        assert job is not None
        # The job runs JOB_RUN_SECONDS, then ends as the outcome says (read by DescribeTransformJob too).
        job.transform_job_status = "InProgress"
        never_ends = outcome in (RUNS_PAST_TIMEOUT, CREATED_RESPONSE_LOST_NEVER_ENDS)
        job._test_ends_at = None if never_ends else ctx.clock.now + dt.timedelta(seconds=JOB_RUN_SECONDS)
        lost = outcome in (CREATED_RESPONSE_LOST, CREATED_RESPONSE_LOST_NEVER_ENDS)
        job._test_outcome = COMPLETED if lost else outcome
        if lost:
            raise self._sagemaker_api_error("InternalFailure", "Internal Server Error", 500)
        # The .sync integration polls DescribeTransformJob until the job ends.
        if outcome == RUNS_PAST_TIMEOUT:
            if ctx.timeout_seconds is None:
                raise RuntimeError(f"{ctx.state_name}: the job never ends and the Task has no TimeoutSeconds")
            ctx.clock.advance(ctx.timeout_seconds)
            # A Task timeout's error output: {"Error": "States.Timeout", "Cause": ""}.
            raise StatesError("States.Timeout", "")
        ctx.clock.advance(JOB_RUN_SECONDS)
        described = self._describe(name)
        if described["TransformJobStatus"] in ("Failed", "Stopped"):
            raise StatesError("States.TaskFailed", json.dumps(described, separators=(",", ":")))
        return described

    # aws-sdk:sagemaker:describeTransformJob
    def describe_transform_job(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        problems = self.model_problems("sagemaker", "DescribeTransformJob", args)
        if problems:
            raise self._sdk_error(
                "SageMaker", "DescribeTransformJob", "ValidationException", "; ".join(problems)
            )
        if self._job(args["TransformJobName"]) is None:
            raise self._sdk_error(
                "SageMaker",
                "DescribeTransformJob",
                "ResourceNotFound",
                f"{args['TransformJobName']} not found",
            )
        return self._describe(args["TransformJobName"], now=ctx.clock.now)

    def _describe(self, name: str, now: dt.datetime | None = None) -> Any:
        job = self._job(name)
        ends_at = getattr(job, "_test_ends_at", None)
        if (
            job.transform_job_status == "InProgress"
            and ends_at is not None
            and (now is None or now >= ends_at)
        ):
            outcome = job._test_outcome
            if outcome == COMPLETED:
                job.transform_job_status = "Completed"
            else:
                job.transform_job_status = "Failed"
                job.failure_reason = outcome
        return _jsonable(self.sagemaker.describe_transform_job(TransformJobName=name))

    # aws-sdk:sagemaker:stopTransformJob (moto has no StopTransformJob: the job's status is changed here)
    def stop_transform_job(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        problems = self.model_problems("sagemaker", "StopTransformJob", args)
        if problems:
            raise self._sdk_error("SageMaker", "StopTransformJob", "ValidationException", "; ".join(problems))
        job = self._job(args["TransformJobName"])
        if job is None:
            raise self._sdk_error(
                "SageMaker", "StopTransformJob", "ResourceNotFound", f"{args['TransformJobName']} not found"
            )
        if job.transform_job_status == "InProgress":
            job.transform_job_status = "Stopped"
        return {}

    # sns:publish
    def publish(self, args: dict[str, Any], ctx: TaskContext) -> Any:
        problems = self.model_problems("sns", "Publish", args)
        if problems:
            raise StatesError("SNS.InvalidParameterException", "; ".join(problems))
        try:
            return _jsonable(self.sns.publish(**args))
        except botocore.exceptions.ClientError as exc:
            code = exc.response["Error"]["Code"]
            raise StatesError(f"SNS.{code.removesuffix('Exception')}Exception", str(exc)) from exc

    def _job(self, name: str) -> Any:
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[ACCOUNT][self.region].transform_jobs.get(name)


def run_execution(
    model_problems: ModelCheck,
    definition: Mapping[str, Any],
    execution_input: Any,
    *,
    start_time: str,
    transform_outcomes: Iterable[str] = (),
    s3_faults: Iterable[str] = (),
    sagemaker_error_style: str = "catch-all",
    region: str = "us-east-1",
    execution_name: str = "run-1",
    state_machine_name: str = "BatchTransform",
) -> ExecutionResult:
    """Run one execution of a JSONata state machine definition against moto (call inside ``mock_aws``).

    ``transform_outcomes`` decides what happens to successive createTransformJob.sync calls: "Completed" (the
    default once exhausted), "Throttled", "QuotaExceeded", "AccessDenied", "Invalid", "CreatedResponseLost",
    "CreatedResponseLostNeverEnds", "RunsPastTimeout", or the FailureReason of a job that fails.
    """
    clock = SimulatedClock(parse_time(start_time))
    integrations = AwsIntegrations(
        region,
        transform_outcomes,
        model_problems,
        s3_faults=s3_faults,
        sagemaker_error_style=sagemaker_error_style,
    )
    interpreter = AslInterpreter(definition, integrations.handlers(), clock)
    arn = f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:{state_machine_name}"
    return interpreter.run(execution_input, name=execution_name, state_machine_arn=arn)
