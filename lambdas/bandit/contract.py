"""What the BanditTrafficAllocation construct and its handler agree on: the handler, environment variables, the
scheduled event's keys, the kill switch's values, metric names and decision names. Both import this module;
nothing here imports AWS SDKs."""

from __future__ import annotations

HANDLER = "bandit.handler.lambda_handler"
"""The allocator's Lambda handler, relative to the handler asset root (``sagemaker_constructs._handlers``)."""

# --- Environment variables the construct sets on the function -------------------------------------------
ENV_ENDPOINT_NAME = "ENDPOINT_NAME"
"""The endpoint whose variant weights the function sets."""
ENV_VARIANTS = "BANDIT_VARIANTS"
"""JSON list of the variant names the bandit allocates between (the reward's keys), in order."""
ENV_POLICY = "BANDIT_POLICY"
"""One of ``allocation.POLICIES``."""
ENV_EPSILON = "BANDIT_EPSILON"
"""Epsilon-greedy's exploration share (ignored by Thompson sampling)."""
ENV_REWARD_KIND = "BANDIT_REWARD_KIND"
"""``conversions`` or ``continuous`` (REWARD_* below)."""
ENV_QUERIES = "BANDIT_QUERIES"
"""JSON object ``{variant: {"reward": <MetricStat>, "trials": <MetricStat> | TRIALS_INVOCATIONS | absent}}``; each
MetricStat is GetMetricData's ``MetricStat`` shape (``Metric{Namespace, MetricName, Dimensions}``, ``Period``,
``Stat``). Lambda allows 4 KB of environment in all, hence the short form for the default trials."""
TRIALS_INVOCATIONS = "invocations"
"""The trials are the variant's ``AWS/SageMaker`` ``Invocations`` (dimensions ``EndpointName`` = ENV_ENDPOINT_NAME,
``VariantName``), per minute."""
ENV_WINDOW_SECONDS = "BANDIT_WINDOW_SECONDS"
"""The sliding window the reward is read over, ending at the scheduled time."""
ENV_MIN_WEIGHT = "BANDIT_MIN_WEIGHT"
ENV_MAX_STEP = "BANDIT_MAX_STEP"
ENV_MIN_TRIALS = "BANDIT_MIN_TRIALS"
"""The guardrails (``allocation.Guardrails``)."""
ENV_MIN_CHANGE = "BANDIT_MIN_CHANGE"
"""Weights are applied only when some variant's share moves by at least this much."""
ENV_KILL_SWITCH_PARAMETER = "BANDIT_KILL_SWITCH_PARAMETER"
"""Name of the SSM String parameter holding KILL_SWITCH_ENABLED or KILL_SWITCH_PAUSED."""
ENV_FREEZE_ALARMS = "BANDIT_FREEZE_ALARMS"
"""JSON list of alarm names: while any is in ALARM the weights are frozen."""
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"

SERVICE_NAME = "bandit-traffic-allocation"
"""The Powertools service name: every metric carries it as dimension ``service``."""
METRICS_NAMESPACE = "SageMakerConstructs/Bandit"
"""The CloudWatch namespace of the function's metrics."""

REWARD_CONVERSIONS = "conversions"
"""Successes and trials per variant, both read with statistic ``Sum``: a Beta-Bernoulli reward."""
REWARD_CONTINUOUS = "continuous"
"""One value per request, read with ``Sum`` and ``SampleCount`` per period: a Gaussian reward."""
REWARD_KINDS = (REWARD_CONVERSIONS, REWARD_CONTINUOUS)

# --- The scheduled event (EventBridge Scheduler's target input) ------------------------------------------
EVENT_SCHEDULED_TIME = "scheduledTime"
"""ISO 8601 time the tick was scheduled for (``<aws.scheduler.scheduled-time>``): the window's end and the seed."""
EVENT_EXECUTION_ID = "executionId"
"""Scheduler's id of the invocation (``<aws.scheduler.execution-id>``), logged."""

# --- The kill switch ------------------------------------------------------------------------------------
KILL_SWITCH_ENABLED = "enabled"
KILL_SWITCH_PAUSED = "paused"
KILL_SWITCH_VALUES = (KILL_SWITCH_ENABLED, KILL_SWITCH_PAUSED)
"""Any other value (or a missing parameter) pauses the bandit: it fails safe."""

# --- Decisions (one per invocation, dimension ``Decision`` of METRIC_DECISIONS) -------------------------
DECISION_APPLIED = "applied"
"""New weights were sent with UpdateEndpointWeightsAndCapacities."""
DECISION_HELD = "held"
"""Nothing changed: no share moved by ENV_MIN_CHANGE, a duplicate tick, or SageMaker throttled or refused the
update (the next tick decides again)."""
DECISION_FROZEN = "frozen"
"""A freeze alarm is in ALARM, the endpoint is not InService, or its variants differ from the bandit's."""
DECISION_PAUSED = "paused"
"""The kill switch is not ``enabled``."""
DECISION_INSUFFICIENT_DATA = "insufficient-data"
"""A variant had fewer than ``min_trials`` trials in the window."""
DECISION_MALFORMED = "malformed"
"""The event has no valid ``scheduledTime``: nothing is read or changed."""
DECISIONS = (
    DECISION_APPLIED,
    DECISION_HELD,
    DECISION_FROZEN,
    DECISION_PAUSED,
    DECISION_INSUFFICIENT_DATA,
    DECISION_MALFORMED,
)

# --- Metrics (Powertools EMF, namespace METRICS_NAMESPACE, dimension ``service`` = SERVICE_NAME) -------------
METRIC_DECISIONS = "Decisions"
"""Count, dimensions ``EndpointName`` and ``Decision``."""
METRIC_WEIGHT = "VariantWeight"
"""The variant's share after the decision (0-1), dimensions ``EndpointName`` and ``VariantName``."""
METRIC_PROBABILITY_BEST = "ProbabilityBest"
"""Thompson sampling: the posterior probability that the variant is best (0-1); epsilon-greedy: its target."""
METRIC_POSTERIOR_MEAN = "PosteriorMean"
"""The variant's posterior mean reward (Beta: conversion rate; Gaussian: mean reward per trial)."""
METRIC_TRIALS = "Trials"
"""The variant's trials in the window."""
DIMENSION_ENDPOINT = "EndpointName"
DIMENSION_VARIANT = "VariantName"
DIMENSION_DECISION = "Decision"
