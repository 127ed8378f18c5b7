"""Bound every AWS call's retries by the time the invocation has left.

botocore's retry handler sleeps between attempts (standard and adaptive modes: up to 20 s per sleep, plus up to
5 s more when the service sends x-amz-retry-after; botocore/retries/standard.py, ExponentialBackoff) and knows
nothing of Lambda's timeout. A call throttled long enough outlives the invocation: Lambda kills it mid-retry,
and nobody releases the lease or says why. CallBudget hooks each client's ``needs-retry`` event (emitted by
botocore/endpoint.py after every failed attempt) and stops retrying when a further backoff and attempt would
eat into the time kept to release the lease and notify. The error it raises is the last attempt's, so callers
handle it as they handle any ClientError.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from botocore.exceptions import ClientError

MAX_BACKOFF_SECONDS = 20
RETRY_AFTER_ADDITIONAL_SECONDS = 5
"""botocore's sleep before retry ``n`` (1-based) is at most min(base * 2 ** (n - 1), 20) s, base 1 s for throttling
and less for other errors, plus up to 5 s when the response has x-amz-retry-after (_MAX_BACKOFF,
_RETRY_AFTER_MAX_ADDITIONAL, ExponentialBackoff.delay_amount in botocore/retries/standard.py)."""
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
RATE_LIMITER_WAIT_SECONDS = 2
"""Adaptive mode's token bucket refills at 0.5 tokens per second at least (botocore/retries/bucket.py)."""
ATTEMPT_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS + RATE_LIMITER_WAIT_SECONDS
"""The longest one attempt can take (the clients' timeouts and the rate limiter's wait)."""
RESERVE_SECONDS = 10
"""Kept at the end of the invocation for releasing the lease and publishing the failure."""


class RetryBudgetExhausted(ClientError):  # noqa: N818 - a ClientError, named for why it ended
    """The last attempt's error, raised instead of a retry that would not finish in time."""


class CallBudget:
    """The retry deadline of the current invocation, shared by the clients attached to it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadline: float | None = None

    def start(self, remaining_millis: int, reserve_seconds: float = RESERVE_SECONDS) -> None:
        """Begin an invocation that has ``remaining_millis`` left (LambdaContext.get_remaining_time_in_millis)."""
        self._deadline = self._clock() + remaining_millis / 1000 - reserve_seconds

    def seconds_left(self) -> float | None:
        """Seconds until retries stop, or None outside an invocation."""
        return None if self._deadline is None else self._deadline - self._clock()

    def attach(self, client: Any) -> None:
        """Check every retry of ``client`` against the deadline (first, before botocore's own handler)."""
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"needs-retry.{service}", self._before_retry)

    def _before_retry(
        self,
        response: tuple[Any, dict[str, Any]] | None,
        attempts: int,
        caught_exception: Exception | None,
        operation: Any,
        **kwargs: Any,
    ) -> None:
        left = self.seconds_left()
        if left is None:
            return
        failed = caught_exception is not None or (
            response is not None and int(response[0].status_code) >= 300
        )
        if not failed or left >= _longest_backoff(response, attempts) + ATTEMPT_SECONDS:
            return
        note = (
            f" (not retried after {attempts} attempt(s): {max(0.0, left):.0f} s left before the time kept "
            "to release the lease and notify)"
        )
        if response is not None and "Error" in response[1]:
            error = dict(response[1])
            details = dict(error["Error"])
            details["Message"] = f"{details.get('Message', '')}{note}"
            error["Error"] = details
        else:
            error = {
                "Error": {"Code": type(caught_exception).__name__, "Message": f"{caught_exception}{note}"}
            }
        raise RetryBudgetExhausted(cast(Any, error), operation.name) from caught_exception


def _longest_backoff(response: tuple[Any, dict[str, Any]] | None, attempts: int) -> float:
    backoff = float(min(2 ** (attempts - 1), MAX_BACKOFF_SECONDS))
    headers = getattr(response[0], "headers", None) if response is not None else None
    if headers and "x-amz-retry-after" in headers:
        backoff += RETRY_AFTER_ADDITIONAL_SECONDS
    return backoff
