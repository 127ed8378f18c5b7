"""``EndpointVariant``: the handle ``endpoint.variant(name)`` returns, through which a variant is scaled."""

from __future__ import annotations

from typing import Protocol

from constructs import Node

from sagemaker_constructs._internal.validation import ValidationErrors, check_argument_types, is_token

from .async_inference import AsyncInference
from .autoscaling import PROVISIONED_CONCURRENCY_DIMENSION, ScalableVariant
from .variants import ProductionVariant, ServerlessVariant, Variant


class _ScaledEndpoint(Protocol):
    """What a variant handle needs of its endpoint (``Endpoint``): its place in the tree, whether it is
    asynchronous, and the registration of a variant's scaling (so the handle never imports the endpoint)."""

    @property
    def node(self) -> Node: ...

    @property
    def async_inference(self) -> AsyncInference | None: ...

    def _add_scaling(
        self, variant_name: str, min_capacity: int, max_capacity: int, *, dimension: str = ...
    ) -> ScalableVariant: ...


class EndpointVariant:
    """One variant of an ``Endpoint``: returned by ``endpoint.variant(name)``."""

    def __init__(self, endpoint: _ScaledEndpoint, variant: Variant) -> None:
        self.endpoint = endpoint
        self.variant = variant
        self._scaling: ScalableVariant | None = None

    @property
    def name(self) -> str:
        """The variant name."""
        return self.variant.name

    def auto_scale(self, *, min_capacity: int, max_capacity: int) -> ScalableVariant:
        """Scale the variant's instance count between ``min_capacity`` and ``max_capacity``; for a serverless
        variant with ``provisioned_concurrency``, its provisioned concurrency instead (dimension
        ``sagemaker:variant:DesiredProvisionedConcurrency``).

        Add policies to the result: ``on_invocations_per_instance(...)``, ``on_cpu_utilization(...)``,
        ``on_metric(...)``; for asynchronous endpoints ``on_backlog_size_per_instance(...)`` and
        ``scale_out_from_zero()``; for serverless variants ``on_provisioned_concurrency_utilization(...)``.
        Rejected for burstable ``ml.t*`` instances and serverless variants without provisioned concurrency.

        :param min_capacity: at least 1; 0 (scale to zero) only for an asynchronous endpoint.
        :param max_capacity: at least 1 and at least ``min_capacity``; for a serverless variant at most its
            ``max_concurrency``.
        """
        description = f"auto scaling of variant '{self.name}' of Endpoint '{self.endpoint.node.path}'"
        check_argument_types(description, EndpointVariant.auto_scale, locals())
        errors = ValidationErrors(description)
        if self._scaling is not None:
            errors.add(f"'auto_scale' was already called for variant {self.name!r}")
        if isinstance(self.variant, ServerlessVariant):
            self._validate_provisioned_concurrency_scaling(errors, min_capacity, max_capacity)
            errors.raise_if_any()
            self._scaling = self.endpoint._add_scaling(
                self.name, min_capacity, max_capacity, dimension=PROVISIONED_CONCURRENCY_DIMENSION
            )
            return self._scaling
        # Application Auto Scaling does not support burstable instances ("Prerequisites" of endpoint auto
        # scaling, https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-prerequisites.html).
        if self.variant.resolved_instance_type.is_burstable:
            errors.add(
                f"variant {self.name!r} uses burstable instance type "
                f"{self.variant.resolved_instance_type.name!r}; auto scaling needs a non-burstable type (not ml.t*)"
            )
        is_async = self.endpoint.async_inference is not None
        if min_capacity == 0 and not is_async and not isinstance(min_capacity, bool):
            errors.add(
                "'min_capacity' 0 (scale to zero) needs an asynchronous endpoint (async_inference=AsyncInference"
                "(...)); a real-time variant keeps at least 1 instance, got 0"
            )
        else:
            errors.check_range("min_capacity", min_capacity, 0 if is_async else 1, None, integer=True)
        errors.check_range("max_capacity", max_capacity, 1, None, integer=True)
        if not is_token(min_capacity) and not is_token(max_capacity) and min_capacity > max_capacity:
            errors.add(f"'min_capacity' ({min_capacity}) must be at most 'max_capacity', got {max_capacity}")
        if isinstance(self.variant, ProductionVariant) and not is_token(self.variant.instance_count):
            count = self.variant.instance_count
            if (
                not is_token(min_capacity)
                and not is_token(max_capacity)
                and not min_capacity <= count <= max_capacity
            ):
                errors.add(
                    f"the variant's instance_count ({count}) must lie between 'min_capacity' and 'max_capacity', "
                    f"got {min_capacity}-{max_capacity}"
                )
        errors.raise_if_any()
        self._scaling = self.endpoint._add_scaling(self.name, min_capacity, max_capacity)
        return self._scaling

    def _validate_provisioned_concurrency_scaling(
        self, errors: ValidationErrors, min_capacity: int, max_capacity: int
    ) -> None:
        # Serverless variants scale their provisioned concurrency, dimension
        # sagemaker:variant:DesiredProvisionedConcurrency, metric SageMakerVariantProvisionedConcurrencyUtilization
        # (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-autoscale.html).
        variant = self.variant
        assert isinstance(variant, ServerlessVariant)
        if variant.provisioned_concurrency is None:
            errors.add(
                f"variant {self.name!r} is serverless without 'provisioned_concurrency': SageMaker scales its "
                "on-demand concurrency itself, and Application Auto Scaling scales only provisioned concurrency "
                "(serverless-endpoints-autoscale); set provisioned_concurrency or drop auto_scale"
            )
        limit = variant.max_concurrency
        errors.check_range("min_capacity", min_capacity, 1, None, integer=True)
        errors.check_range("max_capacity", max_capacity, 1, None if is_token(limit) else limit, integer=True)
        if not is_token(min_capacity) and not is_token(max_capacity) and min_capacity > max_capacity:
            errors.add(f"'min_capacity' ({min_capacity}) must be at most 'max_capacity', got {max_capacity}")
        wanted = variant.provisioned_concurrency
        tokens = any(is_token(v) for v in (wanted, min_capacity, max_capacity))
        if wanted is not None and not tokens and not min_capacity <= wanted <= max_capacity:
            errors.add(
                f"the variant's provisioned_concurrency ({wanted}) must lie between 'min_capacity' and "
                f"'max_capacity', got {min_capacity}-{max_capacity}"
            )
