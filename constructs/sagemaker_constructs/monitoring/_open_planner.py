"""The planner Lambda function of the open monitoring backend: one per stack, shared by every open monitor
(design14 §3). Built as ``retraining/_trigger_function.py`` builds the retraining trigger's function."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.dependencies import depend_on_role_policy_only
from sagemaker_constructs._internal.handlers import handler_root, open_monitor_contract

PLANNER_ID = "OpenMonitorPlanner"
"""The per-stack construct holding the planner function, its role and its log group."""
PLANNER_HANDLER: str = open_monitor_contract.HANDLER
"""``sagemaker_constructs._handlers.open_monitor.planner.handler`` inside the handler asset."""
POWERTOOLS_VERSION = "3.37.0"
"""The Powertools layer release (the retraining trigger's default)."""


class OpenMonitorPlanner(Construct):
    """The stack's planner function: lists a window's captured data and writes the run's manifests and
    ``monitor.json``. Each monitor grants its role what it reads and writes."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(self, "FunctionLogs", retention=logs.RetentionDays.ONE_YEAR)
        self.role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Open monitoring planner function (sagemaker-constructs)",
        )
        log_group.grant_write(self.role)
        layer_arn = (
            "{{resolve:ssm:/aws/service/powertools/python/x86_64/python3.13/" + POWERTOOLS_VERSION + "}}"
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.X86_64,
            handler=PLANNER_HANDLER,
            code=lambda_.Code.from_asset(handler_root(), exclude=["__pycache__", "*.pyc", "README.md"]),
            layers=[lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", layer_arn)],
            role=self.role,
            timeout=Duration.minutes(5),
            memory_size=512,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            description="Plans the runs of the open monitoring backend (sagemaker-constructs)",
        )
        depend_on_role_policy_only(self.function, self.role)
        _nag.acknowledge(
            self.role,
            "IAM5[Resource::*]",
            "X-Ray tracing (PutTraceSegments) has no resource-level permissions.",
        )
        _nag.acknowledge(
            self.function,
            "L1",
            "Pinned to python3.13, the runtime Powertools publishes its pinned public layer for "
            "(/aws/service/powertools/python/x86_64/python3.13/<version>).",
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` invoke the function (its ARN only, no version wildcard)."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["lambda:InvokeFunction"], resource_arns=[self.function.function_arn]
        )


def planner_of(scope: Construct) -> OpenMonitorPlanner:
    """The planner of ``scope``'s stack, created on first use."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(PLANNER_ID)
    if isinstance(existing, OpenMonitorPlanner):
        return existing
    return OpenMonitorPlanner(stack, PLANNER_ID)
