"""Security scanners on the reference app: checkov and cdk-nag (AwsSolutions and NIST 800-53 rev 5).

Every finding either fails the test or is listed in ``NOT_APPLICABLE`` below, the one place where a finding is
declared not applicable, for precisely the resources it does not apply to and with the reason. An entry that
no longer matches any finding fails too, so the list cannot go stale.

checkov pins dependencies the project's own pins exclude (``boto3==1.35.49`` among them), so it runs from
its own virtual environment, ``.venv-checkov`` (created by ``make setup-dev``), or from ``$CHECKOV``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sagemaker_constructs._internal.handlers import retraining_trigger_contract as trigger_contract

REPO_ROOT = Path(__file__).resolve().parents[2]

Template = dict[str, Any]
# Whether a finding on a resource (its template and logical ID) is one an entry declares not applicable.
Where = Callable[[Template, str], bool]


# ----------------------------------------------------------------------------------------- resource predicates


def _type(template: Template, logical_id: str) -> str:
    return str(template["Resources"][logical_id]["Type"])


def _refs(value: Any) -> set[str]:
    """Logical IDs that ``value`` references with ``Ref`` or ``Fn::GetAtt``."""
    return {r["Ref"] for r in _find(value, "Ref")} | {g["Fn::GetAtt"][0] for g in _find(value, "Fn::GetAtt")}


def _find(value: Any, key: str) -> list[dict[str, Any]]:
    """Every dict in ``value`` (recursively) that has ``key``."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        if key in value:
            found.append(value)
        for item in value.values():
            found.extend(_find(item, key))
    elif isinstance(value, list):
        for item in value:
            found.extend(_find(item, key))
    return found


def of_type(resource_type: str) -> Where:
    return lambda template, logical_id: _type(template, logical_id) == resource_type


def access_log_bucket(template: Template, logical_id: str) -> bool:
    """A bucket that receives another bucket's server access logs."""
    return any(
        logical_id in _refs(r["Properties"]["LoggingConfiguration"].get("DestinationBucketName"))
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket" and "LoggingConfiguration" in r.get("Properties", {})
    )


def dead_letter_queue(template: Template, logical_id: str) -> bool:
    """A queue that only receives what a rule, schedule or function could not deliver or process."""
    if _type(template, logical_id) != "AWS::SQS::Queue":
        return False
    holders = _find(template["Resources"], "DeadLetterConfig") + _find(template["Resources"], "OnFailure")
    return any(logical_id in _refs(h.get("DeadLetterConfig", h.get("OnFailure"))) for h in holders)


def sqs_managed_encryption(template: Template, logical_id: str) -> bool:
    return template["Resources"][logical_id]["Properties"].get("SqsManagedSseEnabled") is True


def rollback_alarm(template: Template, logical_id: str) -> bool:
    """An alarm that SageMaker watches during deployments (``AutoRollbackConfiguration``)."""
    configs = _find(template["Resources"], "AutoRollbackConfiguration")
    return any(logical_id in _refs(c["AutoRollbackConfiguration"]) for c in configs)


def policy_of_one_role(template: Template, logical_id: str) -> bool:
    """A policy attached to exactly one role: an AWS::IAM::Policy, or the inline policies of a role."""
    properties = template["Resources"][logical_id]["Properties"]
    if _type(template, logical_id) == "AWS::IAM::Role":
        return bool(properties.get("Policies"))
    return (
        _type(template, logical_id) == "AWS::IAM::Policy"
        and len(properties.get("Roles", [])) == 1
        and not (properties.get("Users") or properties.get("Groups"))
    )


def table_with_point_in_time_recovery(template: Template, logical_id: str) -> bool:
    properties = template["Resources"][logical_id]["Properties"]
    return (
        _type(template, logical_id) == "AWS::DynamoDB::Table"
        and properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True
    )


def function_with_failure_destination(template: Template, logical_id: str) -> bool:
    """A function whose failed asynchronous invocations go to an on-failure destination."""
    return _type(template, logical_id) == "AWS::Lambda::Function" and any(
        logical_id in _refs(r["Properties"].get("FunctionName"))
        and "OnFailure" in r["Properties"].get("DestinationConfig", {})
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    )


def _invoke_permitted(template: Template, logical_id: str) -> bool:
    """Whether a resource policy (AWS::Lambda::Permission) lets a service invoke the function ``logical_id``."""
    return any(
        logical_id in _refs(r["Properties"].get("FunctionName"))
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Permission"
    )


def function_invoked_by_state_machines_only(template: Template, logical_id: str) -> bool:
    """A function that only state machines of its stack invoke (a ``lambda:invoke`` task, which waits for the
    result): no resource policy (AWS::Lambda::Permission) lets any service invoke it asynchronously."""
    resources = template["Resources"]
    if _type(template, logical_id) != "AWS::Lambda::Function":
        return False
    permitted = _invoke_permitted(template, logical_id)
    invoked = any(
        logical_id in _refs(r["Properties"].get("DefinitionString"))
        and "arn:aws:states:::lambda:invoke" in json.dumps(r["Properties"]["DefinitionString"])
        for r in resources.values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    )
    return invoked and not permitted


def function_invoked_by_sqs_only(template: Template, logical_id: str) -> bool:
    """A function that only an SQS event source mapping invokes (no AWS::Lambda::Permission lets a service invoke
    it asynchronously), whose queue has a redrive policy: the queue's dead-letter queue takes what fails."""
    resources = template["Resources"]
    if _type(template, logical_id) != "AWS::Lambda::Function":
        return False
    permitted = _invoke_permitted(template, logical_id)
    queues = [
        _refs(r["Properties"].get("EventSourceArn"))
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and logical_id in _refs(r["Properties"].get("FunctionName"))
    ]
    redriven = bool(queues) and all(
        any("RedrivePolicy" in resources.get(q, {}).get("Properties", {}) for q in refs) for refs in queues
    )
    return redriven and not permitted


def environment_of_open_monitors(template: Template, logical_id: str) -> bool:
    """The retraining trigger's function, whose ``OPEN_MONITORS`` variable lists only monitoring schedule names
    and their S3 report prefixes."""
    if _type(template, logical_id) != "AWS::Lambda::Function":
        return False
    variables = template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    value = variables.get("OPEN_MONITORS")
    if not isinstance(value, str):
        return False
    entries = json.loads(value)
    # Only the construct's own variables: a variable added beside them (where a secret could hide) ends the exemption.
    own = {
        getattr(trigger_contract, name)
        for name in dir(trigger_contract)
        if name.startswith(("ENV_", "POWERTOOLS_")) and isinstance(getattr(trigger_contract, name), str)
    }
    return bool(entries) and all(set(e) <= {"name", "prefix"} for e in entries) and set(variables) <= own


def aws_custom_resource_function(template: Template, logical_id: str) -> bool:
    """CDK's singleton AwsCustomResource function (the scaling pause around instance type changes)."""
    return _type(template, logical_id) == "AWS::Lambda::Function" and logical_id.startswith(
        "AWS679f53fac002430cb0da5b7982bd2287"
    )


_SCALING_PAUSE_ACTIONS = {
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
}


def scaling_pause_policy(template: Template, logical_id: str) -> bool:
    """A policy (or a role's inline policies) whose only unconstrained writes are registering and deregistering
    scalable targets."""
    properties = template["Resources"][logical_id]["Properties"]
    if _type(template, logical_id) == "AWS::IAM::Policy":
        statements = properties["PolicyDocument"]["Statement"]
    elif _type(template, logical_id) == "AWS::IAM::Role" and properties.get("Policies"):
        statements = [st for inline in properties["Policies"] for st in inline["PolicyDocument"]["Statement"]]
    else:
        return False
    star = [st for st in statements if st.get("Resource") == "*"]
    actions = {a for st in star for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])}
    return bool(star) and actions <= _SCALING_PAUSE_ACTIONS


# ------------------------------------------------------------------------------------- the not-applicable list


@dataclass(frozen=True)
class NotApplicable:
    finding: str
    """A checkov check ID (``CKV_AWS_18``) or a cdk-nag rule (``NIST.800.53.R5-S3BucketReplicationEnabled``)."""
    where: Where
    reason: str


NOT_APPLICABLE = [
    # --- server access log buckets (SecureBucket.access_logs, one per stack)
    NotApplicable(
        "CKV_AWS_18", access_log_bucket,
        "The bucket receives the server access logs of its stack's SecureBuckets; logging it as well would loop (cdk-nag "
        "AwsSolutions-S1 is acknowledged in the library for the same reason).",
    ),
    NotApplicable(
        "NIST.800.53.R5-S3DefaultEncryptionKMS", access_log_bucket,
        "S3 server access logging delivers only to buckets whose default encryption is SSE-S3 (AES256); "
        "SSE-KMS is not supported on the destination bucket.",
    ),
    NotApplicable(
        "NIST.800.53.R5-S3BucketReplicationEnabled", of_type("AWS::S3::Bucket"),
        "Cross-region replication needs a second bucket in another region and is a disaster-recovery choice of "
        "the deployer; the buckets are versioned and retained, and users can add replication to their own.",
    ),
    # --- dead-letter queues (BatchTransform, RetrainingTrigger)
    NotApplicable(
        "CKV_AWS_27", sqs_managed_encryption,
        "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); checkov only accepts KmsMasterKeyId. "
        "The queues are dead-letter queues of EventBridge, Scheduler and Lambda, which need no key policy "
        "with SSE-SQS.",
    ),
    # --- log groups (BatchTransform execution logs, RetrainingTrigger function logs)
    NotApplicable(
        "CKV_AWS_158", of_type("AWS::Logs::LogGroup"),
        "CloudWatch Logs encrypts every log group at rest. These hold run metadata (job names, S3 URIs, event "
        "envelopes), never the scored or captured data; retention is set (test_data_safety).",
    ),
    NotApplicable(
        "NIST.800.53.R5-CloudWatchLogGroupEncrypted", of_type("AWS::Logs::LogGroup"),
        "As CKV_AWS_158: CloudWatch Logs encrypts them at rest; they hold run metadata, not data.",
    ),
    # --- IAM
    NotApplicable(
        "NIST.800.53.R5-IAMNoInlinePolicy", policy_of_one_role,
        "CDK grants write an AWS::IAM::Policy per role, scoped to that role's resources (the scaling pause role "
        "holds its statements inline, one role per stack); a managed policy would not be narrower. "
        "test_iam_audit checks every statement instead.",
    ),
    # --- alarms
    NotApplicable(
        "NIST.800.53.R5-CloudWatchAlarmAction", rollback_alarm,
        "Auto-rollback alarms: SageMaker acts on them during deployments. Outside deployments the operational "
        "alarms on the same metrics notify.",
    ),
    # --- DynamoDB (RetrainingTrigger state table)
    NotApplicable(
        "NIST.800.53.R5-DynamoDBInBackupPlan", table_with_point_in_time_recovery,
        "The table holds only short-lived idempotency and cooldown records (TTL); point-in-time recovery is on. "
        "Enrolling it in an AWS Backup plan is the account's choice.",
    ),
    # --- the retraining trigger function
    NotApplicable(
        "CKV_AWS_116", function_with_failure_destination,
        "Invoked asynchronously only (EventBridge); failed invocations go to an SQS on-failure destination "
        "(AWS::Lambda::EventInvokeConfig), the successor of DeadLetterConfig, and each rule has its own DLQ.",
    ),
    NotApplicable(
        "NIST.800.53.R5-LambdaDLQ", function_with_failure_destination,
        "As CKV_AWS_116: an SQS on-failure destination (EventInvokeConfig) replaces DeadLetterConfig.",
    ),
    NotApplicable(
        "CKV_AWS_115", of_type("AWS::Lambda::Function"),
        "Reserved concurrency fails deployment in accounts at the minimum unreserved concurrency (new accounts "
        "have 10); the handler is idempotent and rate-limited by its cooldown records instead.",
    ),
    NotApplicable(
        "NIST.800.53.R5-LambdaConcurrency", of_type("AWS::Lambda::Function"),
        "As CKV_AWS_115: a reservation can fail deployment; the handler is idempotent with a cooldown.",
    ),
    NotApplicable(
        "CKV_AWS_117", of_type("AWS::Lambda::Function"),
        "The function only calls AWS APIs (SageMaker, DynamoDB, SNS); a VPC would add NAT or endpoints and "
        "no protection. The reference app has no VPC.",
    ),
    NotApplicable(
        "NIST.800.53.R5-LambdaInsideVPC", of_type("AWS::Lambda::Function"),
        "As CKV_AWS_117: the function only calls AWS APIs; the reference app has no VPC.",
    ),
    NotApplicable(
        "CKV_AWS_45", environment_of_open_monitors,
        "The open monitors' S3 report prefixes (model-monitor/<type>/<schedule name>) are long strings of the "
        "base64 alphabet, which detect-secrets' high-entropy detector flags; the variable holds schedule names "
        "and prefixes only (no credential: the function's role grants its access).",
    ),
    # --- the open monitoring backend's planner function (MonitorBackend.processing())
    NotApplicable(
        "CKV_AWS_116", function_invoked_by_state_machines_only,
        "Invoked synchronously only, by the workflows' Plan state (lambda:invoke waits for the result), which "
        "retries Lambda's transient errors and sends any failure to the workflow's Failed event and topic. A "
        "dead-letter queue receives only failed asynchronous invocations "
        "(https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html).",
    ),
    NotApplicable(
        "NIST.800.53.R5-LambdaDLQ", function_invoked_by_state_machines_only,
        "As CKV_AWS_116: Step Functions invokes it synchronously and retries; failures reach the workflow's "
        "Failed path.",
    ),
    # --- the approved-model deployer's function (ApprovedModelDeployer)
    NotApplicable(
        "CKV_AWS_116", function_invoked_by_sqs_only,
        "Invoked only by an SQS event source mapping (synchronously); a function's dead-letter queue receives only "
        "failed asynchronous invocations (https://docs.aws.amazon.com/lambda/latest/dg/invocation-retries.html). "
        "The source queue's redrive policy moves a message that keeps failing to its dead-letter queue, which "
        "alarms.",
    ),
    NotApplicable(
        "NIST.800.53.R5-LambdaDLQ", function_invoked_by_sqs_only,
        "As CKV_AWS_116: the SQS source queue's redrive policy and dead-letter queue take what fails.",
    ),
    # --- the scaling pause around instance type changes of scaled variants (CDK's AwsCustomResource)
    NotApplicable(
        "CKV_AWS_116", aws_custom_resource_function,
        "CloudFormation invokes the custom resource function synchronously and reports its failure itself; a "
        "dead-letter queue only receives failed asynchronous invocations.",
    ),
    NotApplicable(
        "NIST.800.53.R5-LambdaDLQ", aws_custom_resource_function,
        "As CKV_AWS_116: CloudFormation invokes it synchronously and reports failures.",
    ),
    NotApplicable(
        "CKV_AWS_111", scaling_pause_policy,
        "Register/DeregisterScalableTarget on '*': a scalable target's ARN exists only once it is registered "
        "(endpoint-scaling-update procedure); test_iam_audit lists them too.",
    ),
    NotApplicable(
        "CKV_AWS_173", of_type("AWS::Lambda::Function"),
        "The environment holds names, ARNs and settings, no secrets; Lambda encrypts it at rest with an AWS "
        "managed key.",
    ),
]  # fmt: skip


@dataclass(frozen=True)
class Finding:
    scanner: str
    check: str
    stack: str
    logical_id: str
    text: str

    def __str__(self) -> str:
        return f"{self.stack}/{self.logical_id}: {self.check} {self.text}"


def triage(
    findings: list[Finding], templates: dict[str, Template], table: list[NotApplicable]
) -> tuple[list[Finding], set[int]]:
    """The findings no entry declares not applicable, and the indexes of the entries that matched any."""
    open_findings: list[Finding] = []
    used: set[int] = set()
    for finding in findings:
        matches = [
            i
            for i, entry in enumerate(table)
            if entry.finding == finding.check
            and finding.stack in templates
            and finding.logical_id in templates[finding.stack]["Resources"]
            and entry.where(templates[finding.stack], finding.logical_id)
        ]
        used.update(matches)
        if not matches:
            open_findings.append(finding)
    return open_findings, used


def report(title: str, findings: list[Finding]) -> str:
    return f"{len(findings)} {title} (fix them, or add a NotApplicable entry with the reason):\n" + "\n".join(
        f"  {f}" for f in sorted(findings, key=str)
    )


# ---------------------------------------------------------------------------------------------------- checkov


def checkov_executable() -> str:
    candidates = [os.environ.get("CHECKOV"), str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("checkov")
    if found:
        return found
    pytest.fail(
        "checkov is not installed: run `make setup-dev` (it creates .venv-checkov), or set CHECKOV to the path "
        "of a checkov executable",
        pytrace=False,
    )


def run_checkov(files: list[Path]) -> list[dict[str, Any]]:
    """checkov's failed checks on CloudFormation ``files`` (one run for all of them)."""
    command = [checkov_executable(), "--framework", "cloudformation", "--output", "json", "--quiet"]
    command += ["--soft-fail", "--skip-download", "--compact"]
    for file in files:
        command += ["--file", str(file)]
    # No network: no update check, no download of policies or guidelines.
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, f"checkov failed ({result.returncode}):\n{result.stderr[-4000:]}"
    output = json.loads(result.stdout)
    reports = output if isinstance(output, list) else [output]
    summary = [r.get("summary", r) for r in reports]
    assert all(s.get("parsing_errors", 0) == 0 for s in summary), summary
    assert sum(s.get("passed", 0) + s.get("failed", 0) for s in summary) > 0, (
        f"checkov ran no check: {summary}"
    )
    return [check for r in reports for check in r.get("results", {}).get("failed_checks", [])]


def checkov_findings(failed: list[dict[str, Any]]) -> list[Finding]:
    findings = []
    for check in failed:
        _, logical_id = check["resource"].rsplit(".", 1)
        stack = Path(check["file_path"]).name.removesuffix(".template.json")
        findings.append(Finding("checkov", check["check_id"], stack, logical_id, check["check_name"]))
    return findings


# A template with one bucket that breaks several checkov checks: proof that the scan can fail.
OFFENDER = {
    "Resources": {"Plain": {"Type": "AWS::S3::Bucket", "Properties": {}, "DeletionPolicy": "Delete"}},
}


@pytest.fixture(scope="module")
def checkov_runs(
    reference_app, model_monitor_app, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Finding]]:
    """One checkov run (its start-up is most of a scan) over the reference templates, the same app on Model
    Monitor and the offender, its findings split by the folder each template came from: ``reference`` (with the
    offender) and ``model_monitor``."""
    offender = tmp_path_factory.mktemp("offender") / "Offender.template.json"
    offender.write_text(json.dumps(OFFENDER))
    apps = {"reference": reference_app, "model_monitor": model_monitor_app}
    files = [app.outdir / f"{name}.template.json" for app in apps.values() for name in app.templates]
    failed = run_checkov([*files, offender])
    folders = {app.outdir.resolve(): key for key, app in apps.items()} | {
        offender.parent.resolve(): "reference"
    }
    runs: dict[str, list[Finding]] = {key: [] for key in apps}
    for check in failed:
        folder = Path(check.get("file_abs_path") or check["file_path"]).resolve().parent
        assert folder in folders, f"checkov reported a file outside the scanned folders: {check['file_path']}"
        runs[folders[folder]] += checkov_findings([check])
    return runs


@pytest.fixture(scope="module")
def checkov_results(checkov_runs: dict[str, list[Finding]]) -> list[Finding]:
    """checkov's findings on the reference templates and the offender."""
    return checkov_runs["reference"]


def test_checkov_reports_nothing_open(reference_app, checkov_results: list[Finding]) -> None:
    reference = [f for f in checkov_results if f.stack in reference_app.templates]
    open_findings, _ = triage(reference, reference_app.templates, NOT_APPLICABLE)
    assert open_findings == [], report("open checkov findings", open_findings)


def test_checkov_reports_nothing_open_on_model_monitor(
    model_monitor_app, checkov_runs: dict[str, list[Finding]]
) -> None:
    """The app with ``-c sagemaker-constructs:monitoring-backend=model-monitor``, judged by the same list."""
    open_findings, _ = triage(checkov_runs["model_monitor"], model_monitor_app.templates, NOT_APPLICABLE)
    assert open_findings == [], report("open checkov findings", open_findings)


def test_checkov_catches_an_offender(checkov_results: list[Finding]) -> None:
    caught = {f.check for f in checkov_results if f.stack == "Offender"}
    # Not encrypted with KMS, no access logging, no versioning, no public access block.
    assert {"CKV_AWS_18", "CKV_AWS_21", "CKV_AWS_53"} <= caught, caught
    # The not-applicable list does not excuse it: a plain bucket is not an access-log bucket.
    open_findings, _ = triage(checkov_results, {"Offender": OFFENDER}, NOT_APPLICABLE)
    assert {"CKV_AWS_18", "CKV_AWS_21"} <= {f.check for f in open_findings}


# ---------------------------------------------------------------------------------------------------- cdk-nag


def nag_findings(app: Any) -> list[Finding]:
    """The reference stacks' cdk-nag findings (not the offender's), by stack and logical ID."""
    findings = []
    for finding in app.nag_findings:
        stack, logical_id = app.logical_ids.get(finding.path, (finding.path.split("/")[0], finding.path))
        if stack in app.templates:
            findings.append(Finding("cdk-nag", finding.rule, stack, logical_id, finding.summary))
    return findings


@pytest.mark.parametrize("variant", ["default (open backend)", "model-monitor"])
def test_cdk_nag_nist_and_aws_solutions_report_nothing_open(
    reference_app, model_monitor_app, variant
) -> None:
    app = reference_app if variant.startswith("default") else model_monitor_app
    open_findings, _ = triage(nag_findings(app), app.templates, NOT_APPLICABLE)
    assert open_findings == [], report(
        "open cdk-nag findings (AwsSolutions, NIST 800-53 rev 5)", open_findings
    )


def test_both_cdk_nag_packs_catch_an_offender(reference_app) -> None:
    # Proof that both packs run in the session's synthesis and their findings reach the tests above: the
    # NagOffender stack (tests/conftest.py) holds an unlogged bucket and an unencrypted log group.
    caught = {(f.rule, f.path) for f in reference_app.nag_findings}
    assert ("AwsSolutions-S1", "NagOffender/Plain/Resource") in caught, sorted(caught)
    assert ("NIST.800.53.R5-CloudWatchLogGroupEncrypted", "NagOffender/Logs/Resource") in caught


# ------------------------------------------------------------------------------------------ the list itself


def test_every_not_applicable_entry_is_used(reference_app, checkov_results: list[Finding]) -> None:
    findings = [
        *[f for f in checkov_results if f.stack in reference_app.templates],
        *nag_findings(reference_app),
    ]
    _, used = triage(findings, reference_app.templates, NOT_APPLICABLE)
    stale = [f"{e.finding}: {e.reason}" for i, e in enumerate(NOT_APPLICABLE) if i not in used]
    assert stale == [], "entries that match no finding any more (remove them):\n" + "\n".join(stale)


def test_every_not_applicable_entry_has_a_reason() -> None:
    assert [e.finding for e in NOT_APPLICABLE if len(e.reason) < 40] == []
    assert len({(e.finding, e.where) for e in NOT_APPLICABLE}) == len(NOT_APPLICABLE)
