"""One CloudWatch dashboard over the whole reference app: a leaf stack nothing else depends on."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from sagemaker_constructs import (
    ApprovedModelDeployer,
    BanditTrafficAllocation,
    BatchTransform,
    Endpoint,
    OperationsDashboard,
    RetrainingTrigger,
)

from .monitoring_stack import MonitoringStack


class OperationsStack(Stack):
    """The endpoint, the nightly batch scoring, the retraining trigger and, when given, the monitors."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Endpoint,
        batch_transform: BatchTransform,
        retraining: RetrainingTrigger,
        monitoring: MonitoringStack | None = None,
        bandit: BanditTrafficAllocation | None = None,
        deployer: ApprovedModelDeployer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.dashboard = OperationsDashboard(self, "Dashboard")
        self.dashboard.add_endpoint(endpoint, title="Real-time endpoint (champion / challenger)")
        self.dashboard.add_batch_transform(batch_transform, title="Nightly batch scoring")
        self.dashboard.add_retraining(retraining, title="Retraining")
        if bandit is not None:
            self.dashboard.add_bandit(bandit, title="Bandit traffic allocation (champion / challenger)")
        if deployer is not None:
            self.dashboard.add_model_deployment(deployer, title="Approved model deployment")
        if monitoring is None:
            return
        self.dashboard.add_data_quality_monitor(
            monitoring.data_quality, features=monitoring.features, title="Endpoint data quality"
        )
        self.dashboard.add_model_quality_monitor(monitoring.model_quality, title="Endpoint model quality")
        self.dashboard.add_model_bias_monitor(
            monitoring.bias,
            metrics=["DPPL", "DI"],
            facet="age",
            facet_value="40",
            label=monitoring.label,
            label_value="1",
            title="Endpoint bias (age 40+)",
        )
        self.dashboard.add_model_explainability_monitor(
            monitoring.explainability,
            features=monitoring.features,
            label="churn_probability",
            title="Endpoint feature attribution",
        )
        self.dashboard.add_data_quality_monitor(
            monitoring.batch_data_quality, features=monitoring.features, title="Batch data quality"
        )
        self.dashboard.add_model_quality_monitor(
            monitoring.batch_model_quality, metrics=["auc", "f1"], title="Batch model quality"
        )
