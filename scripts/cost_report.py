"""What the reference app costs to run, from a synthesized cloud assembly and the prices in scripts/data/prices.json.

``python scripts/cost_report.py [cdk.out]`` prints the page's generated block; ``--write docs/cost.md`` writes it
between the page's markers (``make cost`` synthesizes the app first). The script reads the templates only: each
endpoint variant's instance type and count (and the autoscaling range), the scheduled jobs (schedule expression x
the jobs the target state machine starts x an assumed run time), the jobs that run per event (batch on arrival,
the retraining pipeline), and the resources billed by the month (KMS keys, alarms, dashboards). A price that the
data file does not have is shown as "price not found here", never guessed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _assembly
from _assembly import AssemblyError, GeneratedBlock, Template, load_dependencies
from _schedule_expressions import DAYS_PER_MONTH, ScheduleExpressionError, runs_per_day

REPO_ROOT = Path(__file__).resolve().parent.parent
PRICES_FILE = REPO_ROOT / "scripts" / "data" / "prices.json"
BEGIN_MARKER = "<!-- BEGIN GENERATED: make cost -->"
END_MARKER = "<!-- END GENERATED -->"
PAGE_BLOCK = GeneratedBlock(BEGIN_MARKER, END_MARKER)
HOURS_PER_DAY = 24
DEFAULT_JOB_MINUTES = 15.0
DEFAULT_TRAINING_MINUTES = 30.0
NOT_FOUND = "price not found here"
# The stack the README and getting started tell users to deploy: the headline prices it with its dependencies.
DEPLOY_STACK = "SageMakerRealtime"

# SageMaker job kinds: the Step Functions task (or pipeline step) that starts them, the resource block that holds
# their instances, and the price table they bill against.
_TASK_KINDS = {
    "createProcessingJob": "processing",
    "createTransformJob": "batch_transform",
    "createTrainingJob": "training",
}
_PIPELINE_STEP_KINDS = {"Processing": "processing", "Transform": "batch_transform", "Training": "training"}
_KIND_LABELS = {
    "processing": "Processing",
    "batch_transform": "Batch transform",
    "training": "Training",
    "realtime_inference": "Real-time inference",
}


_MONTHLY_LABELS = {
    "kms_key": ("KMS customer managed keys", "kms_key"),
    "cloudwatch_alarm_standard": ("CloudWatch alarms (standard resolution)", "cloudwatch_alarm_standard"),
    "cloudwatch_alarm_high_resolution": ("CloudWatch alarms (high resolution)", None),
    "cloudwatch_composite_alarm": ("CloudWatch composite alarms", None),
    "cloudwatch_dashboard": ("CloudWatch dashboards", "cloudwatch_dashboard"),
}
_MONTHLY_KEYS = {label: key for key, (label, _) in _MONTHLY_LABELS.items()}

# ---------------------------------------------------------------------------------------------------------------
# Reading the assembly
# ---------------------------------------------------------------------------------------------------------------


def load_assembly(outdir: Path, stacks: Iterable[str] | None = None) -> dict[str, Template]:
    """``{stack name: template}`` of the assembly's CloudFormation stacks (manifest.json), sorted by name."""
    return _assembly.load_assembly(outdir, stacks).templates


def deployed_with(stack: str, dependencies: Mapping[str, Iterable[str]]) -> list[str]:
    """The stacks ``cdk deploy STACK`` deploys: the stack and its dependencies, transitively, sorted."""
    seen: set[str] = set()
    pending = [stack]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(dependencies.get(name, []))
    return sorted(seen)


def _resources(template: Template, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in sorted(template.get("Resources", {}).items()):
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties", {})


def _flatten(value: Any) -> str:
    """A string property with its intrinsic functions as ``{LogicalId}`` placeholders (``Fn::Join`` joined)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(_flatten(part) for part in parts)
        if "Ref" in value:
            return "{" + str(value["Ref"]) + "}"
        if "Fn::GetAtt" in value:
            return "{" + str(value["Fn::GetAtt"][0]) + "}"
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            return str(sub if isinstance(sub, str) else sub[0])
    return "{token}"


def _referenced_id(value: Any) -> str | None:
    """The logical ID a ``Ref`` or ``Fn::GetAtt`` points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


@dataclass(frozen=True)
class Job:
    """A SageMaker job that a workflow starts: what it bills as, on which instances."""

    kind: str
    step: str
    instance_type: str
    count: int


def _state_machine_jobs(properties: Mapping[str, Any]) -> list[Job]:
    """The SageMaker jobs a Step Functions state machine starts, in state order (nested Map/Parallel included)."""
    document = properties.get("Definition")
    if not isinstance(document, dict):
        if "DefinitionString" not in properties:
            return []
        try:
            document = json.loads(_flatten(properties["DefinitionString"]))
        except json.JSONDecodeError:
            return []
    jobs: list[Job] = []

    def walk(states: Mapping[str, Any]) -> None:
        for name, state in states.items():
            resource = str(state.get("Resource", ""))
            kind = next((k for task, k in _TASK_KINDS.items() if f":sagemaker:{task}" in resource), None)
            if kind is not None and "aws-sdk:" not in resource:
                jobs.append(_job(kind, name, state.get("Parameters") or state.get("Arguments") or {}))
            for branch in state.get("Branches", []):
                walk(branch.get("States", {}))
            for key in ("Iterator", "ItemProcessor"):
                if key in state:
                    walk(state[key].get("States", {}))

    walk(document.get("States", {}))
    return jobs


def _job(
    kind: str, step: str, arguments: Mapping[str, Any], parameters: Mapping[str, Any] | None = None
) -> Job:
    if kind == "processing":
        resources = arguments.get("ProcessingResources", {}).get("ClusterConfig", {})
    elif kind == "batch_transform":
        resources = arguments.get("TransformResources", {})
    else:
        resources = arguments.get("ResourceConfig", {})
    instance_type = resources.get("InstanceType")
    if isinstance(instance_type, dict) and "Get" in instance_type and parameters is not None:
        # A pipeline parameter: its default value is what a run without overrides uses.
        instance_type = parameters.get(str(instance_type["Get"]).removeprefix("Parameters."))
    count = resources.get("InstanceCount", 1)
    return Job(
        kind,
        step,
        instance_type if isinstance(instance_type, str) else "(set at run time)",
        count if isinstance(count, int) else 1,
    )


_CLARIFY_INSTANCE = re.compile(r'"instance_type\\*"\s*:\s*\\*"(ml\.[a-z0-9]+\.[a-z0-9]+)')
_CLARIFY_COUNT = re.compile(r'"initial_instance_count\\*"\s*:\s*(\d+)')


def _clarify_shadow_endpoint(properties: Mapping[str, Any]) -> tuple[str, int] | None:
    """The shadow endpoint a SageMaker Clarify job in the workflow starts for its run (the analysis config's
    ``predictor``): (instance type, count), or None."""
    definition = properties.get("DefinitionString")
    text = _flatten(definition) if definition is not None else json.dumps(properties.get("Definition", {}))
    types = set(_CLARIFY_INSTANCE.findall(text))
    counts = {int(c) for c in _CLARIFY_COUNT.findall(text)}
    if len(types) != 1:
        return None
    return types.pop(), max(counts, default=1)


def _pipeline_jobs(properties: Mapping[str, Any]) -> list[Job]:
    """The jobs of a SageMaker pipeline's definition (its parameters' defaults filled in)."""
    body = properties.get("PipelineDefinition", {}).get("PipelineDefinitionBody")
    if body is None:
        return []
    try:
        document = json.loads(_flatten(body))
    except json.JSONDecodeError:
        return []
    defaults = {p["Name"]: p.get("DefaultValue") for p in document.get("Parameters", [])}
    return [
        _job(_PIPELINE_STEP_KINDS[step["Type"]], step["Name"], step.get("Arguments", {}), defaults)
        for step in document.get("Steps", [])
        if step.get("Type") in _PIPELINE_STEP_KINDS
    ]


# ---------------------------------------------------------------------------------------------------------------
# Prices
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    document: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path = PRICES_FILE) -> Prices:
        return cls(json.loads(path.read_text()))

    def instance_hour(self, kind: str, instance_type: str) -> float | None:
        entry = self.document["sagemaker_instance_hour"].get(kind, {}).get(instance_type)
        return None if entry is None else entry.get("price")

    def monthly(self, item: str) -> float | None:
        price: float | None = self.document["monthly"][item].get("price")
        return price

    def per_request(self, item: str) -> float | None:
        price: float | None = self.document["per_request"][item].get("price")
        return price


# ---------------------------------------------------------------------------------------------------------------
# Cost lines
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Line:
    """One row: what runs, how many instance-hours a day, and the price of an instance-hour (None: not found)."""

    stack: str
    item: str
    kind: str
    instance_type: str
    detail: str
    instance_hours_per_day: float
    price: float | None
    range_hours: tuple[float, float] | None = None
    source: str = ""
    """The logical ID of the resource that holds the instance type (the endpoint config, the state machine, the
    monitoring job definition)."""
    endpoint: bool = False
    """An endpoint variant's instances (running all day), not a job."""

    def __post_init__(self) -> None:
        self.source = self.source or self.item

    @property
    def per_day(self) -> float | None:
        return None if self.price is None else self.instance_hours_per_day * self.price


@dataclass
class PerRun:
    stack: str
    workflow: str
    trigger: str
    jobs: list[tuple[Job, float, float | None]]
    """(job, assumed hours, price of an instance-hour)."""

    @property
    def cost(self) -> float | None:
        costs = [job.count * hours * price for job, hours, price in self.jobs if price is not None]
        return None if len(costs) < len(self.jobs) else sum(costs)


@dataclass
class Report:
    prices: Prices
    job_minutes: float
    training_minutes: float
    stacks: list[str]
    lines: list[Line] = field(default_factory=list)
    per_run: list[PerRun] = field(default_factory=list)
    monthly_counts: dict[str, Counter[str]] = field(default_factory=dict)
    requests_per_day: dict[str, dict[str, float]] = field(default_factory=dict)
    requests_breakdown: dict[str, dict[str, list[tuple[str, float]]]] = field(default_factory=dict)
    """``{stack: {request kind: [(schedule expression, runs a day)]}}``: where each request count comes from."""
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    """``{stack: the stacks it depends on}`` (manifest.json); empty when not known."""


def _assumed_hours(kind: str, job_minutes: float, training_minutes: float) -> float:
    return (training_minutes if kind == "training" else job_minutes) / 60


def build_report(
    templates: Mapping[str, Template],
    prices: Prices,
    *,
    job_minutes: float = DEFAULT_JOB_MINUTES,
    training_minutes: float = DEFAULT_TRAINING_MINUTES,
    dependencies: Mapping[str, Iterable[str]] | None = None,
) -> Report:
    """Everything the page shows, from the templates and the prices (and the stacks' dependencies, for the
    headline)."""
    report = Report(prices, job_minutes, training_minutes, sorted(templates))
    report.dependencies = {k: sorted(v) for k, v in (dependencies or {}).items()}
    for stack in sorted(templates):
        template = templates[stack]
        report.lines.extend(_endpoint_lines(stack, template, prices))
        scheduled = _scheduled(stack, template, prices, report, job_minutes, training_minutes)
        report.per_run.extend(_per_run(stack, template, prices, scheduled, job_minutes, training_minutes))
        report.monthly_counts[stack] = Counter(
            {
                "kms_key": sum(1 for _ in _resources(template, "AWS::KMS::Key")),
                "kms_key_rotating": sum(
                    1 for _, p in _resources(template, "AWS::KMS::Key") if p.get("EnableKeyRotation") is True
                ),
                "retained_kms_key": _retained(template, "AWS::KMS::Key"),
                "retained_bucket": _retained(template, "AWS::S3::Bucket"),
                "cloudwatch_alarm_standard": sum(
                    1
                    for _, p in _resources(template, "AWS::CloudWatch::Alarm")
                    if int(p.get("Period", 60)) >= 60
                ),
                "cloudwatch_alarm_high_resolution": sum(
                    1
                    for _, p in _resources(template, "AWS::CloudWatch::Alarm")
                    if int(p.get("Period", 60)) < 60
                ),
                "cloudwatch_composite_alarm": sum(
                    1 for _ in _resources(template, "AWS::CloudWatch::CompositeAlarm")
                ),
                "cloudwatch_dashboard": sum(1 for _ in _resources(template, "AWS::CloudWatch::Dashboard")),
            }
        )
    return report


def _retained(template: Template, resource_type: str) -> int:
    """Resources of the type that ``cdk destroy`` leaves in the account (DeletionPolicy Retain or Snapshot)."""
    return sum(
        1
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == resource_type and resource.get("DeletionPolicy") in ("Retain", "Snapshot")
    )


def _endpoint_lines(stack: str, template: Template, prices: Prices) -> list[Line]:
    endpoints_by_config: dict[str, list[str]] = {}
    for endpoint_id, properties in _resources(template, "AWS::SageMaker::Endpoint"):
        config_id = _referenced_id(properties.get("EndpointConfigName"))
        if config_id is not None:
            endpoints_by_config.setdefault(config_id, []).append(endpoint_id)
    ranges: dict[tuple[str, str], tuple[int, int]] = {}
    for _, properties in _resources(template, "AWS::ApplicationAutoScaling::ScalableTarget"):
        if properties.get("ScalableDimension") != "sagemaker:variant:DesiredInstanceCount":
            continue
        match = re.match(r"^endpoint/\{(\w+)\}/variant/(.+)$", _flatten(properties.get("ResourceId")))
        if match:
            ranges[(match.group(1), match.group(2))] = (
                int(properties["MinCapacity"]),
                int(properties["MaxCapacity"]),
            )
    lines = []
    for config_id, properties in _resources(template, "AWS::SageMaker::EndpointConfig"):
        endpoints = endpoints_by_config.get(config_id, [])
        item = endpoints[0] if len(endpoints) == 1 else config_id
        variants = [(v, "") for v in properties.get("ProductionVariants", [])]
        variants += [(v, " (shadow)") for v in properties.get("ShadowProductionVariants", [])]
        for variant, role in variants:
            name = str(variant.get("VariantName", "?"))
            if "ServerlessConfig" in variant:
                serverless = variant["ServerlessConfig"]
                lines.append(
                    Line(
                        stack,
                        item,
                        "serverless",
                        f"serverless {serverless.get('MemorySizeInMB', '?')} MB",
                        f"variant {name}{role}: billed per request; provisioned concurrency "
                        f"{serverless.get('ProvisionedConcurrency', 0)}",
                        0.0,
                        None,
                    )
                )
                continue
            instance_type = str(variant.get("InstanceType", "?"))
            count = int(variant.get("InitialInstanceCount", 1))
            scaling = next((ranges[(e, name)] for e in endpoints if (e, name) in ranges), None)
            detail = f"variant {name}{role}: {count} x 24 h"
            if scaling is not None:
                detail += f"; autoscaling {scaling[0]}-{scaling[1]} instances"
            lines.append(
                Line(
                    stack,
                    item,
                    "realtime_inference",
                    instance_type,
                    detail,
                    count * HOURS_PER_DAY,
                    prices.instance_hour("realtime_inference", instance_type),
                    None if scaling is None else (scaling[0] * HOURS_PER_DAY, scaling[1] * HOURS_PER_DAY),
                    source=config_id,
                    endpoint=True,
                )
            )
    return lines


def _schedules(template: Template) -> Iterator[tuple[str, str, list[Any]]]:
    """(logical ID, schedule expression, target ARNs) of the Scheduler schedules and the scheduled rules."""
    for logical_id, properties in _resources(template, "AWS::Scheduler::Schedule"):
        if properties.get("State", "ENABLED") == "ENABLED":
            yield logical_id, str(properties["ScheduleExpression"]), [properties.get("Target", {}).get("Arn")]
    for logical_id, properties in _resources(template, "AWS::Events::Rule"):
        if "ScheduleExpression" in properties and properties.get("State", "ENABLED") == "ENABLED":
            targets = [t.get("Arn") for t in properties.get("Targets", [])]
            yield logical_id, str(properties["ScheduleExpression"]), targets


def _scheduled(
    stack: str,
    template: Template,
    prices: Prices,
    report: Report,
    job_minutes: float,
    training_minutes: float,
) -> set[str]:
    """Add the scheduled jobs' lines and the scheduled requests; return the state machines a schedule starts."""
    resources = template.get("Resources", {})
    requests = report.requests_per_day.setdefault(stack, defaultdict(float))
    breakdown = report.requests_breakdown.setdefault(stack, defaultdict(list))
    started: set[str] = set()
    for schedule_id, expression, targets in _schedules(template):
        runs = runs_per_day(expression)
        if resources[schedule_id]["Type"] == "AWS::Scheduler::Schedule":
            requests["scheduler_invocation"] += runs
            breakdown["scheduler_invocation"].append((expression, runs))
        for target in targets:
            target_id = _referenced_id(target)
            target_type = resources.get(target_id, {}).get("Type") if target_id else None
            if target_type == "AWS::Lambda::Function" or (target_id is None and target is not None):
                requests["lambda_request"] += runs
                breakdown["lambda_request"].append((expression, runs))
            if target_type != "AWS::StepFunctions::StateMachine" or target_id is None:
                continue
            started.add(target_id)
            requests["step_functions_execution"] += runs
            breakdown["step_functions_execution"].append((expression, runs))
            properties = resources[target_id].get("Properties", {})
            shadow = _clarify_shadow_endpoint(properties)
            if shadow is not None:
                hours = job_minutes / 60
                report.lines.append(
                    Line(
                        stack,
                        target_id,
                        "realtime_inference",
                        shadow[0],
                        f"`{expression}`: {_runs(runs)} x {shadow[1]} x {_number(job_minutes)} min "
                        "(the shadow endpoint SageMaker Clarify starts for its job)",
                        runs * shadow[1] * hours,
                        prices.instance_hour("realtime_inference", shadow[0]),
                    )
                )
            for job in _state_machine_jobs(properties):
                hours = _assumed_hours(job.kind, job_minutes, training_minutes)
                report.lines.append(
                    Line(
                        stack,
                        target_id,
                        job.kind,
                        job.instance_type,
                        f"`{expression}`: {_runs(runs)} x {job.count} x "
                        f"{_number(hours * 60)} min ({job.step})",
                        runs * job.count * hours,
                        prices.instance_hour(job.kind, job.instance_type),
                    )
                )
    for schedule_id, properties in _resources(template, "AWS::SageMaker::MonitoringSchedule"):
        config = properties.get("MonitoringScheduleConfig", {})
        expression = config.get("ScheduleConfig", {}).get("ScheduleExpression", "")
        definition_id = _referenced_id(config.get("MonitoringJobDefinitionName"))
        definition = resources.get(definition_id, {}).get("Properties", {}) if definition_id else {}
        cluster = definition.get("JobResources", {}).get("ClusterConfig", {})
        if not expression or not cluster:
            continue
        runs = runs_per_day(expression)
        hours = job_minutes / 60
        count = int(cluster.get("InstanceCount", 1))
        instance_type = str(cluster.get("InstanceType", "?"))
        report.lines.append(
            Line(
                stack,
                schedule_id,
                "processing",
                instance_type,
                f"`{expression}`: {_runs(runs)} x {count} x {_number(job_minutes)} min (Model Monitor)",
                runs * count * hours,
                prices.instance_hour("processing", instance_type),
                source=definition_id or schedule_id,
            )
        )
    return started


def _per_run(
    stack: str,
    template: Template,
    prices: Prices,
    scheduled: set[str],
    job_minutes: float,
    training_minutes: float,
) -> list[PerRun]:
    """Workflows that run per event rather than on a schedule: state machines with jobs, SageMaker pipelines."""
    found: list[PerRun] = []
    workflows: list[tuple[str, str, list[Job]]] = [
        (logical_id, "an event (no schedule in the template)", _state_machine_jobs(properties))
        for logical_id, properties in _resources(template, "AWS::StepFunctions::StateMachine")
        if logical_id not in scheduled
    ]
    workflows += [
        (logical_id, "a pipeline execution", _pipeline_jobs(properties))
        for logical_id, properties in _resources(template, "AWS::SageMaker::Pipeline")
    ]
    for logical_id, trigger, jobs in workflows:
        if not jobs:
            continue
        priced = [
            (
                job,
                _assumed_hours(job.kind, job_minutes, training_minutes),
                prices.instance_hour(job.kind, job.instance_type),
            )
            for job in jobs
        ]
        found.append(PerRun(stack, logical_id, trigger, priced))
    return found


# ---------------------------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------------------------


def _number(value: float) -> str:
    """A short, stable rendering: integers without decimals, others with up to 3."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _fraction(value: float) -> str:
    """``24``, ``1/7``, ``2 + 1/7``: a count a day as a whole number, or with a fraction of a week, a month or a
    year when it is one, else with up to 3 decimals."""
    if float(value).is_integer():
        return str(int(value))
    for denominator in (7, DAYS_PER_MONTH, 12):
        numerator = value * denominator
        if abs(numerator - round(numerator)) < 1e-9:
            whole, rest = divmod(round(numerator), denominator)
            return f"{whole} + {rest}/{denominator}" if whole else f"{rest}/{denominator}"
    return _number(round(value, 3))


def _runs(runs: float) -> str:
    """``1 run/day``, ``24 runs/day``, ``1/7 run/day``."""
    return f"{_fraction(runs)} {'run' if runs <= 1 else 'runs'}/day"


def _money(value: float | None) -> str:
    return NOT_FOUND if value is None else f"${value:,.2f}"


def _price(value: float | None, unit: str) -> str:
    """``$0.115/h``, ``$0.10/alarm-month``, ``$1.00/million invocations``: at least 2 decimals, at most 4."""
    if value is None:
        return NOT_FOUND
    text = f"{value:.4f}".rstrip("0")
    decimals = len(text.split(".")[1])
    return f"${value:.{max(decimals, 2)}f}/{unit}"


def _verify_cell(entry: Mapping[str, Any], offer: str | None) -> str:
    """Where a user checks the price: the AWS pricing page and, for SageMaker, the Price List API usage type."""
    cell = f"<{entry['verify_at']}>"
    if offer and entry.get("usage_type"):
        cell += f"; [Price List API offer]({offer}): usage type `{entry['usage_type']}`"
        if entry.get("sku"):
            cell += f", SKU `{entry['sku']}`"
    return cell


def _taken_from_cell(entry: Mapping[str, Any]) -> str:
    if entry.get("price") is None:
        return f"{NOT_FOUND}: look up {entry['look_up']}"
    return str(entry["taken_from"])


@dataclass
class StackCost:
    """What a stack bills a day: the running lines and the monthly items with a price, and what is left out."""

    per_day: float = 0.0
    endpoints_per_day: float = 0.0
    endpoints_max_per_day: float = 0.0
    left_out: list[str] = field(default_factory=list)


def _monthly_items(report: Report, stack: str) -> Iterator[tuple[str, int, float | None, str]]:
    """(label, count, monthly price or None, unit) of the stack's items billed by the month."""
    doc = report.prices.document
    for key, (label, price_key) in _MONTHLY_LABELS.items():
        count = report.monthly_counts[stack][key]
        if not count:
            continue
        price = report.prices.monthly(price_key) if price_key else None
        unit = doc["monthly"][price_key]["unit"] if price_key else "month"
        yield label, count, price, unit


def stack_costs(report: Report) -> dict[str, StackCost]:
    """``{stack: StackCost}`` for every stack of the report: what the totals and the headline add up."""
    costs = {stack: StackCost() for stack in report.stacks}
    for line in report.lines:
        cost = costs[line.stack]
        per_day = line.per_day
        if per_day is None or line.price is None:
            cost.left_out.append(
                f"`{line.item}` ({_KIND_LABELS.get(line.kind, line.kind).lower()}, {line.instance_type})"
            )
            continue
        cost.per_day += per_day
        if line.endpoint:
            cost.endpoints_per_day += per_day
            high = line.range_hours[1] if line.range_hours is not None else line.instance_hours_per_day
            cost.endpoints_max_per_day += high * line.price
    for stack in report.stacks:
        for label, _, price, _ in _monthly_items(report, stack):
            if price is None:
                costs[stack].left_out.append(label)
            else:
                costs[stack].per_day += (
                    report.monthly_counts[stack][_MONTHLY_KEYS[label]] * price / DAYS_PER_MONTH
                )
    return costs


def _left_out(items: list[str]) -> str:
    return f"excludes {', '.join(items)}: price not found" if items else "nothing left out"


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _headline(report: Report, costs: Mapping[str, StackCost]) -> list[str]:
    out: list[str] = [
        "**What it bills**, computed below from the templates and the prices under [Prices](#prices) (requests, "
        "per-run workflows and the items under [Not counted](#not-counted) come on top):",
        "",
    ]
    # (command, stacks it deploys, how they were chosen)
    commands: list[tuple[str, list[str], str]] = []
    if DEPLOY_STACK in costs:
        stacks = [s for s in deployed_with(DEPLOY_STACK, report.dependencies) if s in costs]
        others = [f"`{s}`" for s in stacks if s != DEPLOY_STACK]
        how = (
            f"deploys `{DEPLOY_STACK}` with the stacks it depends on in `manifest.json` ({', '.join(others)})"
            if others
            else f"deploys `{DEPLOY_STACK}` alone"
        )
        commands.append(
            (f"cdk deploy {DEPLOY_STACK}", stacks, f"(what the README and getting started run) {how}")
        )
    commands.append(("cdk deploy --all", list(costs), f"({len(costs)} stacks)"))
    for command, stacks, how in commands:
        day = sum(costs[s].per_day for s in stacks)
        left_out = [item for s in stacks for item in costs[s].left_out]
        out.append(
            f"- `{command}` {how}: **{_money(day)} a day, {_money(day * DAYS_PER_MONTH)} per {DAYS_PER_MONTH} "
            f"days** ({_left_out(left_out)})."
        )
    endpoints = sum(c.endpoints_per_day for c in costs.values())
    if endpoints:
        shares = ", ".join(
            f"{_percent(endpoints, sum(costs[s].per_day for s in stacks))} of `{command}`"
            for command, stacks, _ in commands
        )
        out.append(
            f"- The endpoint instances, running all day at their initial count, are {_money(endpoints)} a day "
            f"({shares})."
        )
        at_max = []
        for command, stacks, _ in commands:
            day = sum(
                costs[s].per_day - costs[s].endpoints_per_day + costs[s].endpoints_max_per_day for s in stacks
            )
            at_max.append(
                f"`{command}` {_money(day)} a day ({_money(day * DAYS_PER_MONTH)} per {DAYS_PER_MONTH} days)"
            )
        endpoints_max = sum(c.endpoints_max_per_day for c in costs.values())
        out.append(
            f"- At full autoscaling (every variant at its maximum capacity all day) the endpoints bill "
            f"{_money(endpoints_max)} a day: {' and '.join(at_max)}."
        )
    out.append("")
    return out


def render(report: Report) -> str:
    """The generated block of docs/cost.md (without the markers)."""
    prices = report.prices
    doc = prices.document
    out: list[str] = []
    add = out.append
    costs = stack_costs(report)

    out.extend(_headline(report, costs))
    add(
        "**These prices could not be checked live here** (no internet access, no AWS account): they were taken "
        "from stored copies of public pages and files, some of them third-party, and each says under "
        "[Prices](#prices) where to verify it and how sure it is. Confirm them on the AWS pricing pages before "
        "deploying."
    )
    add("")
    add(
        f"Region: {doc['region_name']} (`{doc['region']}`), public on-demand prices in {doc['currency']}. A day is "
        f"24 hours and a month {DAYS_PER_MONTH} days. Stacks: {', '.join(f'`{s}`' for s in report.stacks)}."
    )
    add("")
    add("## Assumptions")
    add("")
    add(
        f"- A scheduled job (a monitor's processing job, a batch transform) runs **{_number(report.job_minutes)} "
        f"minutes** per run (`--job-minutes`), and a training job **{_number(report.training_minutes)} minutes** "
        "(`--training-minutes`). These are assumptions, not measurements: the real time depends on the data."
    )
    add(
        "- Every scheduled run starts its jobs. The open backend's monitors skip the job when there is no new "
        "data, and the nightly batch transform when there is no input, so the monitoring and batch lines are an "
        "upper bound for these run times."
    )
    add(
        "- Endpoints run all day at their initial instance count; with autoscaling the table also shows the cost "
        "at the scalable target's minimum and maximum capacity."
    )
    add(
        "- Free tiers are not deducted (CloudWatch: 10 alarms and 3 dashboards a month; Step Functions: 4,000 "
        "state transitions a month; Scheduler: 14 million invocations a month)."
    )
    add("")
    add("## Running cost per day")
    add("")
    add(
        "| Stack | Resource | Billed as | Instance type | What runs | Instance-hours/day | $/instance-hour | Per day | Per 30 days |"
    )
    add("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |")
    for line in sorted(report.lines, key=lambda ln: (ln.stack, ln.kind != "realtime_inference")):
        per_day = line.per_day
        add(
            f"| {line.stack} | `{line.item}` | {_KIND_LABELS.get(line.kind, line.kind)} | {line.instance_type} | "
            f"{line.detail} | {_number(round(line.instance_hours_per_day, 3))} | "
            f"{_price(line.price, 'h')} | {_money(per_day)} | "
            f"{_money(None if per_day is None else per_day * DAYS_PER_MONTH)} |"
        )
    add("")

    scaling = [
        (line, line.range_hours, line.price)
        for line in report.lines
        if line.range_hours is not None and line.price is not None
    ]
    if scaling:
        add(
            "Autoscaling range of the endpoint variants (instance-hours at the minimum and maximum capacity):"
        )
        add("")
        add(
            "| Stack | Resource | Variant | Per day at minimum | Per day at maximum | Per 30 days at maximum |"
        )
        add("| --- | --- | --- | ---: | ---: | ---: |")
        for line, hours_range, hour_price in scaling:
            low, high = (hours * hour_price for hours in hours_range)
            add(
                f"| {line.stack} | `{line.item}` | {line.detail.split(':')[0].removeprefix('variant ')} | "
                f"{_money(low)} | {_money(high)} | {_money(high * DAYS_PER_MONTH)} |"
            )
        add("")

    add("## Billed by the month")
    add("")
    add("Counted from the templates; per day is the monthly price divided by 30.")
    add("")
    add("| Stack | Item | Count | Price | Per day | Per 30 days |")
    add("| --- | --- | ---: | ---: | ---: | ---: |")
    for stack in report.stacks:
        for label, count, unit_price, unit in _monthly_items(report, stack):
            month = None if unit_price is None else count * unit_price
            add(
                f"| {stack} | {label} | {count} | {_price(unit_price, unit)} | "
                f"{_money(None if month is None else month / DAYS_PER_MONTH)} | {_money(month)} |"
            )
    add("")
    out.extend(_rotation_and_retention(report))

    add("## Total per stack")
    add("")
    add(
        "The running lines and the monthly items above (KMS keys before their first rotation); per-run workflows "
        "and requests are not included."
    )
    add("")
    add("| Stack | Per day | Per 30 days | Left out |")
    add("| --- | ---: | ---: | --- |")
    grand = 0.0
    for stack in report.stacks:
        cost = costs[stack]
        grand += cost.per_day
        add(
            f"| {stack} | {_money(cost.per_day)} | {_money(cost.per_day * DAYS_PER_MONTH)} | "
            f"{_left_out(cost.left_out)} |"
        )
    all_left_out = [item for c in costs.values() for item in c.left_out]
    add(
        f"| **All stacks** | **{_money(grand)}** | **{_money(grand * DAYS_PER_MONTH)}** | {_left_out(all_left_out)} |"
    )
    add("")
    if all_left_out:
        add(
            f'The totals leave out the {len(all_left_out)} line(s) marked "{NOT_FOUND}": add their prices to '
            "`scripts/data/prices.json` (with where to verify them) and run `make cost`."
        )
        add("")

    add("## Per run")
    add("")
    add(
        "Workflows that run when something happens (input arrives, a monitor or an alarm starts retraining) "
        "cost per run, not per day:"
    )
    add("")
    add(
        "| Stack | Workflow | Runs on | Step | Billed as | Instances | Assumed time | $/instance-hour | Per run |"
    )
    add("| --- | --- | --- | --- | --- | --- | ---: | ---: | ---: |")
    for run in report.per_run:
        for job, hours, price in run.jobs:
            add(
                f"| {run.stack} | `{run.workflow}` | {run.trigger} | {job.step} | {_KIND_LABELS[job.kind]} | "
                f"{job.count} x {job.instance_type} | {_number(hours * 60)} min | {_price(price, 'h')} | "
                f"{_money(None if price is None else job.count * hours * price)} |"
            )
        add(f"| {run.stack} | `{run.workflow}` | | **whole run** | | | | | **{_money(run.cost)}** |")
    add("")

    add("## Requests (not added)")
    add("")
    add(
        "Priced per request, so they depend on traffic; the scheduled ones are counted here so that their size is "
        "visible. A count a day is the sum over the schedules that cause it: an hourly schedule adds 24, a weekly "
        "one 1/7. Step Functions bills each state transition: a run takes as many transitions as the states it "
        "passes through, more while it polls a job."
    )
    add("")
    add("| Stack | What | Per day from the schedules | Price |")
    add("| --- | --- | --- | ---: |")
    request_labels = {
        "scheduler_invocation": ("EventBridge Scheduler invocations", "scheduler_invocation"),
        "step_functions_execution": ("Step Functions executions started", "step_functions_state_transition"),
        "lambda_request": ("Lambda invocations", "lambda_request"),
    }
    for stack in report.stacks:
        for key, (label, price_key) in request_labels.items():
            per_day_count = report.requests_per_day.get(stack, {}).get(key, 0.0)
            if not per_day_count:
                continue
            entry = doc["per_request"][price_key]
            add(
                f"| {stack} | {label} | {_requests_cell(per_day_count, report.requests_breakdown.get(stack, {}).get(key, []))} | "
                f"{_price(entry.get('price'), entry['unit'])} |"
            )
    add("")

    add("## Not counted")
    add("")
    add(
        "- Data transfer, S3 storage and its growth (captured requests, reports, model artifacts), S3 and KMS "
        "requests, CloudWatch Logs ingestion and storage, custom metrics, SNS notifications, SQS requests, Lambda "
        "duration."
    )
    add(
        "- Requests to the endpoint (real-time endpoints bill instance time, not requests) and ML storage volumes."
    )
    add("- Savings Plans, reserved capacity and taxes.")
    add("")

    add("## Prices")
    add("")
    add(str(doc["note"]))
    add("")
    offer = doc.get("price_list_api", {}).get("AmazonSageMaker")
    if offer:
        add(
            f"SageMaker prices can be checked in the Price List API's offer file for us-east-1 ({offer}): search "
            "it for the usage type, then read the SKU's on-demand price."
        )
        add("")
    add("| Item | Price | Confidence | Verify at | Taken from here |")
    add("| --- | ---: | --- | --- | --- |")
    for kind, table in sorted(doc["sagemaker_instance_hour"].items()):
        for instance_type, entry in sorted(table.items()):
            add(
                f"| SageMaker {_KIND_LABELS[kind].lower()}, {instance_type} | {_price(entry.get('price'), 'h')} | "
                f"{entry.get('confidence', '-')} | {_verify_cell(entry, offer)} | {_taken_from_cell(entry)} |"
            )
    for section in ("monthly", "per_request"):
        for name, entry in sorted(doc[section].items()):
            add(
                f"| {name.replace('_', ' ')} | {_price(entry.get('price'), entry['unit'])} | "
                f"{entry.get('confidence', '-')} | {_verify_cell(entry, None)} | {_taken_from_cell(entry)} |"
            )
    used = {(line.kind, line.instance_type) for line in report.lines} | {
        (job.kind, job.instance_type) for run in report.per_run for job, _, _ in run.jobs
    }
    unknown = sorted(
        (kind, itype)
        for kind, itype in used
        if kind != "serverless" and itype not in doc["sagemaker_instance_hour"].get(kind, {})
    )
    for kind, instance_type in unknown:
        add(
            f"| SageMaker {_KIND_LABELS[kind].lower()}, {instance_type} | {NOT_FOUND} | - | "
            f"<https://aws.amazon.com/sagemaker/pricing/> | not in `scripts/data/prices.json` |"
        )
    return "\n".join(out).rstrip() + "\n"


def _requests_cell(total: float, sources: list[tuple[str, float]]) -> str:
    """``24``, or ``24.143 (24 from `rate(1 hour)` + 1/7 from `cron(0 2 ? * SUN *)`)`` when the count is not
    whole."""
    if float(total).is_integer():
        return _fraction(total)
    by_expression: dict[str, float] = defaultdict(float)
    for expression, runs in sources:
        by_expression[expression] += runs
    parts = " + ".join(f"{_fraction(runs)} from `{expression}`" for expression, runs in by_expression.items())
    return f"{_number(round(total, 3))} ({parts})"


def _rotation_and_retention(report: Report) -> list[str]:
    """What the rotating KMS keys add after their first and second yearly rotation, and what outlives a destroy."""
    out: list[str] = []
    doc = report.prices.document
    rotation = doc["monthly"].get("kms_key_rotation", {})
    key_price = report.prices.monthly("kms_key")
    rotation_price = rotation.get("price")
    rotating = {s: report.monthly_counts[s]["kms_key_rotating"] for s in report.stacks}
    keys = {s: report.monthly_counts[s]["kms_key"] for s in report.stacks}
    if sum(rotating.values()) and key_price is not None and rotation_price is not None:
        billed = int(rotation.get("billed_rotations", 2))
        out.append(
            f"**Key rotation.** {sum(rotating.values())} of the {sum(keys.values())} KMS keys rotate their key "
            f"material automatically once a year (`EnableKeyRotation: true`). Each of a key's first {billed} "
            f"rotations adds {_price(rotation_price, 'month')} to it, later rotations are free: a rotating key costs "
            f"{_money(key_price + rotation_price)}/month after its first rotation and "
            f"{_money(key_price + billed * rotation_price)}/month after its second. The tables above count the "
            "first year; later years:"
        )
        out.append("")
        out.append("| Stack | KMS keys | Rotating | Per 30 days, year 1 | Year 2 | Year 3 on |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for stack in [*report.stacks, None]:
            key_count = sum(keys.values()) if stack is None else keys[stack]
            rotating_count = sum(rotating.values()) if stack is None else rotating[stack]
            if not key_count:
                continue
            years = [key_count * key_price + rotating_count * n * rotation_price for n in (0, 1, billed)]
            name = "**All stacks**" if stack is None else stack
            out.append(
                f"| {name} | {key_count} | {rotating_count} | {' | '.join(_money(year) for year in years)} |"
            )
        out.append("")
    retained_keys = sum(report.monthly_counts[s]["retained_kms_key"] for s in report.stacks)
    retained_buckets = sum(report.monthly_counts[s]["retained_bucket"] for s in report.stacks)
    if retained_keys or retained_buckets:
        out.append(
            f"**After `cdk destroy`.** {retained_keys} KMS key(s) and {retained_buckets} S3 bucket(s) have a "
            "`Retain` removal policy and stay in the account: the keys keep billing by the month (with their "
            "rotations) until you schedule their deletion, the buckets their storage until you empty and delete "
            "them. See [Removal policies](operations/removal-policies.md)."
        )
        out.append("")
    return out


def generated_block(page: str) -> str:
    """The text between the page's markers, blank lines around it left out."""
    return PAGE_BLOCK.extract(page).strip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "assembly", nargs="?", default="cdk.out", type=Path, help="the cloud assembly (cdk.out)"
    )
    parser.add_argument("--write", type=Path, help="write the generated block into this page (docs/cost.md)")
    parser.add_argument(
        "--job-minutes",
        type=float,
        default=DEFAULT_JOB_MINUTES,
        help=f"assumed run time of a processing or batch transform job (default: {DEFAULT_JOB_MINUTES:g})",
    )
    parser.add_argument(
        "--training-minutes",
        type=float,
        default=DEFAULT_TRAINING_MINUTES,
        help=f"assumed run time of a training job (default: {DEFAULT_TRAINING_MINUTES:g})",
    )
    parser.add_argument("--stack", action="append", help="only these stacks (default: every stack)")
    parser.add_argument("--prices", type=Path, default=PRICES_FILE, help="the price file")
    args = parser.parse_args(argv)
    try:
        templates = load_assembly(args.assembly, args.stack)
        report = build_report(
            templates,
            Prices.load(args.prices),
            job_minutes=args.job_minutes,
            training_minutes=args.training_minutes,
            dependencies=load_dependencies(args.assembly),
        )
        block = render(report)
        if args.write:
            args.write.write_text(PAGE_BLOCK.replace(args.write.read_text(), block))
            print(f"wrote {args.write}")
        else:
            sys.stdout.write(block)
    except (AssemblyError, ScheduleExpressionError) as error:
        print(f"cost_report: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
