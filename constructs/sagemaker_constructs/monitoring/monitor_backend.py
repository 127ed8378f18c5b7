"""``MonitorBackend``: where a monitor's executions run. Model Monitor (a ``MonitoringSchedule``) or the open
backend (an EventBridge Scheduler schedule that starts a Step Functions workflow of SageMaker Processing jobs
running the library's monitoring script), which every account can use."""

from __future__ import annotations

from dataclasses import dataclass

from sagemaker_constructs._internal.validation import ValidationErrors, checked_arguments

MODEL_MONITOR = "model-monitor"
PROCESSING = "processing"
DEFAULT_FRAMEWORK_VERSION = "1.2-1"
"""The scikit-learn framework container the open backend runs in (``sagemaker.image_uris`` key ``sklearn``)."""
DEFAULT_MIN_SAMPLES = 100
DEFAULT_SIGNIFICANCE = 0.01
"""The monitoring script's own default; benchmarks/false_alarms.py measures the rule's false alarms at it."""


@dataclass(frozen=True, kw_only=True)
class MonitorBackend:
    """Where a monitor runs: ``MonitorBackend.model_monitor()`` (the default) or ``MonitorBackend.processing()``.

    AWS documents that Amazon SageMaker Model Monitor no longer accepts new customers: an account that cannot
    create monitoring schedules uses the processing backend. Both read the same baselines and captured data,
    write the same report formats and publish metrics with the same names and dimensions (in their own
    namespaces), so switching is this one prop.
    """

    kind: str = MODEL_MONITOR
    """``model-monitor`` or ``processing``. Set by the named constructors."""
    framework_version: str = DEFAULT_FRAMEWORK_VERSION
    """Processing backend: the scikit-learn container version the script runs in."""
    min_samples: int = DEFAULT_MIN_SAMPLES
    """Processing backend: fewer usable records than this in a window is reported as insufficient data, never
    as drift."""
    significance: float = DEFAULT_SIGNIFICANCE
    """Processing backend: the significance level of the drift test that guards small windows."""

    @staticmethod
    def model_monitor() -> MonitorBackend:
        """Amazon SageMaker Model Monitor: a ``MonitoringSchedule`` and its job definition."""
        return MonitorBackend(kind=MODEL_MONITOR)

    @staticmethod
    @checked_arguments
    def processing(
        *,
        framework_version: str = DEFAULT_FRAMEWORK_VERSION,
        min_samples: int = DEFAULT_MIN_SAMPLES,
        significance: float = DEFAULT_SIGNIFICANCE,
    ) -> MonitorBackend:
        """The open backend: SageMaker Processing jobs run the library's monitoring script on a schedule.

        :param framework_version: the scikit-learn framework container version. Default: ``1.2-1``
        :param min_samples: the fewest usable records a window needs to be judged. Default: 100
        :param significance: the drift test's significance level, in (0, 0.5]. Default: 0.01
        """
        return MonitorBackend(
            kind=PROCESSING,
            framework_version=framework_version,
            min_samples=min_samples,
            significance=significance,
        )

    @property
    def is_processing(self) -> bool:
        """Whether this is the open (processing) backend."""
        return self.kind == PROCESSING

    def validate(self, errors: ValidationErrors) -> None:
        """Add what is wrong with these options to ``errors``."""
        if self.kind not in (MODEL_MONITOR, PROCESSING):
            errors.add(f"'backend.kind' must be '{MODEL_MONITOR}' or '{PROCESSING}', got {self.kind!r}")
        if self.min_samples < 1:
            errors.add(f"'backend.min_samples' must be at least 1, got {self.min_samples}")
        if not 0 < self.significance <= 0.5:
            errors.add(f"'backend.significance' must be in (0, 0.5], got {self.significance}")
