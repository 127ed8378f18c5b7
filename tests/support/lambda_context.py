"""A stand-in for the LambdaContext the Lambda runtime passes a handler: what Powertools reads from it.

It lives here, not in a ``conftest.py``: several test folders have a ``conftest`` module, and which one
``import conftest`` finds depends on what the worker imported first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
"""moto's default account (``moto.core.DEFAULT_ACCOUNT_ID``)."""


@dataclass
class FakeLambdaContext:
    """What Powertools reads from a LambdaContext."""

    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "retraining-trigger"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:retraining-trigger"
    memory_limit_in_mb: int = 256
    log_group_name: str = "/aws/lambda/retraining-trigger"
    log_stream_name: str = "2026/11/22/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000
