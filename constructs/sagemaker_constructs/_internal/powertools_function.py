"""A Python Lambda function on the Powertools layer, running handler code from ``sagemaker_constructs._handlers``:
the one shape every function of the library takes (retraining trigger, open-monitor planner, model deployer,
bandit allocator)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import nag as _nag
from .dependencies import depend_on_role_policy_only
from .handlers import handler_root

POWERTOOLS_VERSION = "3.37.0"
"""The Powertools for AWS Lambda (Python) release whose public layer the functions use by default."""


def powertools_layer_arn(version: str) -> str:
    """The dynamic reference to Powertools' public layer for python3.13 on x86_64, pinned to ``version``
    (SSM public parameter ``/aws/service/powertools/python/x86_64/python3.13/<version>``)."""
    return "{{resolve:ssm:/aws/service/powertools/python/x86_64/python3.13/" + version + "}}"


@dataclass(frozen=True)
class PowertoolsFunction:
    """What ``powertools_function`` built: the function, its role and its log group."""

    function: lambda_.Function
    role: iam.Role
    log_group: logs.LogGroup


def powertools_function(
    scope: Construct,
    *,
    handler: str,
    description: str,
    role_description: str,
    timeout: Duration,
    memory_size: int,
    environment: Mapping[str, str] | None = None,
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    powertools_version: str = POWERTOOLS_VERSION,
    star_resource_reason: str = "X-Ray tracing (PutTraceSegments) has no resource-level permissions.",
    **function_props: object,
) -> PowertoolsFunction:
    """Build ``FunctionLogs``, ``FunctionRole``, the ``Powertools`` layer reference and ``Function`` in ``scope``.

    The function runs python3.13 on x86_64 with X-Ray tracing and its own log group; the function waits only for
    its role's policy (not for every grant in the stack). ``star_resource_reason`` is the cdk-nag
    acknowledgement of the role's ``Resource: *`` statements (X-Ray at least). ``function_props`` go to
    ``lambda_.Function`` unchanged (destinations, retries, reserved concurrency, ...).
    """
    log_group = logs.LogGroup(scope, "FunctionLogs", retention=log_retention)
    role = iam.Role(
        scope,
        "FunctionRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=role_description,
    )
    log_group.grant_write(role)
    function = lambda_.Function(
        scope,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        architecture=lambda_.Architecture.X86_64,
        handler=handler,
        code=lambda_.Code.from_asset(handler_root(), exclude=["__pycache__", "*.pyc", "README.md"]),
        layers=[
            lambda_.LayerVersion.from_layer_version_arn(
                scope, "Powertools", powertools_layer_arn(powertools_version)
            )
        ],
        role=role,
        timeout=timeout,
        memory_size=memory_size,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        description=description,
        environment=dict(environment) if environment is not None else None,
        **function_props,  # type: ignore[arg-type]
    )
    depend_on_role_policy_only(function, role)
    _nag.acknowledge(role, "IAM5[Resource::*]", star_resource_reason)
    _nag.acknowledge(
        function,
        "L1",
        "Pinned to python3.13, the runtime Powertools publishes its pinned public layer for "
        "(/aws/service/powertools/python/x86_64/python3.13/<version>).",
    )
    return PowertoolsFunction(function=function, role=role, log_group=log_group)
