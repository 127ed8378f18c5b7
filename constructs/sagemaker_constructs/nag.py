"""cdk-nag helpers for your own resources: the public home of ``sagemaker_constructs.common.nag``."""

from .common.nag import acknowledge_finding, acknowledge_wildcard_resource

__all__ = ["acknowledge_finding", "acknowledge_wildcard_resource"]
