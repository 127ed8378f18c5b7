"""The planner Lambda function of the open monitoring backend: one per stack, shared by every open monitor
(design14 §3). Built as ``retraining/_trigger_function.py`` builds the retraining trigger's function."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_constructs._internal.handlers import open_monitor_contract
from sagemaker_constructs._internal.powertools_function import POWERTOOLS_VERSION, powertools_function

PLANNER_ID = "OpenMonitorPlanner"
"""The per-stack construct holding the planner function, its role and its log group."""
PLANNER_HANDLER: str = open_monitor_contract.HANDLER
"""``sagemaker_constructs._handlers.open_monitor.planner.handler`` inside the handler asset."""


class OpenMonitorPlanner(Construct):
    """The stack's planner function: lists a window's captured data and writes the run's manifests and
    ``monitor.json``. Each monitor grants its role what it reads and writes."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        built = powertools_function(
            self,
            handler=PLANNER_HANDLER,
            description="Plans the runs of the open monitoring backend (sagemaker-constructs)",
            role_description="Open monitoring planner function (sagemaker-constructs)",
            timeout=Duration.minutes(5),
            memory_size=512,
            powertools_version=POWERTOOLS_VERSION,
        )
        self.role = built.role
        self.function = built.function

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
