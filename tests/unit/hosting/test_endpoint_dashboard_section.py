"""The endpoint's dashboard section reads only ``EndpointBase``'s public interface: an imported endpoint, or any
``EndpointBase`` that describes its variants, gets the section a created endpoint with the same name gets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from sagemaker_constructs import (
    ContainerImage,
    Endpoint,
    EndpointBase,
    Model,
    ModelData,
    ProductionVariant,
    ServerlessVariant,
    Variant,
)
from sagemaker_constructs.common.dashboard_section import DashboardSection
from sagemaker_constructs.hosting.dashboard import endpoint_section
from sagemaker_constructs.hosting.endpoint_metrics import EndpointKind

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"
INSTANCE_GRAPHS = ["CPU utilization (%, summed over cores)", "Memory utilization (%)", "Disk utilization (%)"]


def model(stack: Stack) -> Model:
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


class DescribedEndpoint(EndpointBase):
    """An endpoint made elsewhere that says what its variants are, through the public members only."""

    def __init__(self, scope: Construct, construct_id: str, name: str, variants: Sequence[Variant]) -> None:
        super().__init__(scope, construct_id)
        self._name = name
        self._variants = tuple(variants)

    @property
    def endpoint_name(self) -> str:
        return self._name

    @property
    def endpoint_arn(self) -> str:
        return Stack.of(self).format_arn(service="sagemaker", resource="endpoint", resource_name=self._name)

    @property
    def data_capture_enabled(self) -> bool | None:
        return None

    @property
    def variants(self) -> Sequence[Variant]:
        return self._variants

    def variant_kind(self, variant_name: str) -> EndpointKind:
        (variant,) = [v for v in self._variants if v.name == variant_name]
        return EndpointKind.SERVERLESS if isinstance(variant, ServerlessVariant) else EndpointKind.REAL_TIME


def rendered(stack: Stack, section: DashboardSection) -> list[Any]:
    """The section's widgets as the dashboard body holds them."""
    return [w for row in section.rows() for widget in row for w in stack.resolve(widget.to_json())]


def graph_titles(stack: Stack, section: DashboardSection) -> list[str]:
    return [w["properties"]["title"] for w in rendered(stack, section) if w["type"] == "metric"]


@pytest.mark.parametrize("serverless", [False, True], ids=["instances", "serverless"])
def test_an_endpoint_that_describes_its_variants_gets_the_created_endpoints_section(
    stack: Stack, serverless: bool
) -> None:
    m = model(stack)
    variants: list[Variant] = (
        [ServerlessVariant("cheap", model=m)]
        if serverless
        else [ProductionVariant("champion", model=m, weight=9), ProductionVariant("challenger", model=m)]
    )
    created = Endpoint(stack, "Endpoint", variants=variants, endpoint_name="churn")
    described = DescribedEndpoint(stack, "Described", "churn", variants)
    assert rendered(stack, endpoint_section(described)) == rendered(stack, endpoint_section(created))


def test_an_imported_endpoint_gets_the_created_endpoints_invocation_graphs(stack: Stack) -> None:
    m = model(stack)
    variants = [ProductionVariant("champion", model=m, weight=9), ProductionVariant("challenger", model=m)]
    created = endpoint_section(Endpoint(stack, "Endpoint", variants=variants, endpoint_name="churn"))
    imported = endpoint_section(
        Endpoint.from_endpoint_name(stack, "Imported", "churn"), variant_names=["champion", "challenger"]
    )
    # The import API cannot say whether a variant runs on instances: the instance graphs are all that differ.
    assert graph_titles(stack, created) == [*graph_titles(stack, imported), *INSTANCE_GRAPHS]
    assert rendered(stack, imported) == [
        w
        for w in rendered(stack, created)
        if w["type"] != "metric" or w["properties"]["title"] not in INSTANCE_GRAPHS
    ]


def test_the_section_shows_the_endpoints_alarms_as_they_are_when_it_is_built(stack: Stack) -> None:
    created = Endpoint(stack, "Endpoint", variants=[ProductionVariant("v", model=model(stack))])
    alarms = created.add_operational_alarms()
    section = endpoint_section(created)
    assert list(section.alarms) == alarms
    created.alarms.append(
        created.metric_invocations("v").create_alarm(stack, "Later", threshold=1, evaluation_periods=1)
    )
    assert list(section.alarms) == alarms  # a frozen value: later alarms need a new section
    assert len(endpoint_section(created).alarms) == len(alarms) + 1
    assert Endpoint.from_endpoint_name(stack, "Imported", "churn").alarms == ()


def test_an_imported_endpoint_describes_itself_as_unknown(stack: Stack) -> None:
    imported = Endpoint.from_endpoint_name(stack, "Imported", "churn")
    assert isinstance(imported, EndpointBase)
    assert (imported.variants, imported.shadow_variant, imported.kind) == ((), None, EndpointKind.REAL_TIME)
    assert imported.variant_kind("any") is EndpointKind.REAL_TIME


def test_section_arguments_are_checked(stack: Stack) -> None:
    created = Endpoint(stack, "Endpoint", variants=[ProductionVariant("v", model=model(stack))])
    imported = Endpoint.from_endpoint_name(stack, "Imported", "churn")
    with pytest.raises(ValueError, match=re.escape("'variant_names' must hold at least one name, got none")):
        endpoint_section(imported)
    with pytest.raises(
        ValueError, match=re.escape("'variant_names' must be variants of the endpoint (['v'])")
    ):
        endpoint_section(created, variant_names=["w"])
    with pytest.raises(
        ValueError, match=re.escape("'latency_statistics' must hold at least one name, got none")
    ):
        endpoint_section(created, latency_statistics=[])
    assert isinstance(endpoint_section(created, title="Mine").graphs[0], cloudwatch.GraphWidget)
