"""Property-based tests of every public construct with adversarial props (issue 6).

Each test draws type-correct but arbitrary props: edge values (0, negatives, huge numbers, NaN), empty, long
and unicode strings, names with underscores, leading hyphens or a trailing newline, durations that are not whole
seconds, sizes in odd units, and CDK tokens (``Lazy`` values and ``CfnParameter`` references). The strategies
know which props they drew badly (by AWS's rules, not the library's). The property, for every draw:

- either the construct synthesizes, cfn-lint finds nothing in the template, and the drawn values appear in it
  as given (nothing clamped, rounded or dropped); the draw had no bad prop;
- or it raises ``ValueError("Invalid props for ...")`` that names every prop drawn badly (the constructs
  collect all problems of one call), and the draw had a bad prop.

Bad props include wrong types (``WrongType``: a string for a number, an int for a Duration or a Size, a bool
for a count). Types are checked before values: an error that reports a wrong type must come from a draw with
one, and name at least one prop drawn badly (the value rules of that call do not run).

A draw that makes several calls (an Endpoint, then ``variant(...).auto_scale(...)``, then a scaling policy)
expects the error of the first call that has a bad prop. Anything else (a jsii/JavaScript error, another
exception, an invalid template) fails. The BatchTransform request inside the state machine is also checked
against botocore's model of CreateTransformJob, and the named constructors (``ContainerImage.from_image_uri``,
``ModelData.from_bucket``, ``TransformSchedule.daily`` ...) get a property of their own.

``DRAWS`` counts the draws per construct and ``total_draws()`` their sum; ``OUTCOMES`` splits them into
synthesized and rejected draws.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsii
import pytest
from aws_cdk import (
    App,
    CfnParameter,
    Duration,
    IStableNumberProducer,
    IStableStringProducer,
    Lazy,
    Size,
    Stack,
)
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cdk_flags import app_context

from sagemaker_constructs import (
    AssembleWith,
    AsyncInference,
    AutoRollback,
    Baseline,
    BatchDataCapture,
    BatchStrategy,
    BatchTransform,
    BiasAnalysisConfig,
    CapacitySize,
    CompressionType,
    ContainerDefinition,
    ContainerImage,
    DataCapture,
    DataProcessing,
    DataQualityMonitor,
    DeploymentGuardrails,
    Endpoint,
    ExplainabilityAnalysisConfig,
    Facet,
    GroundTruth,
    IncidentField,
    IncludeInferenceResponseIn,
    InferenceExecutionMode,
    JoinSource,
    Model,
    ModelBiasMonitor,
    ModelClientOptions,
    ModelData,
    ModelExplainabilityMonitor,
    ModelQualityMonitor,
    MonitoringJob,
    MonitoringOutput,
    MonitoringSchedule,
    MonitorSource,
    NotificationTopic,
    OperationsDashboard,
    ProblemType,
    ProductionVariant,
    RetrainingTrigger,
    RoutingStrategy,
    S3Source,
    SageMakerPipeline,
    ServerlessVariant,
    ShapAggregation,
    SplitType,
    TransformInput,
    TransformOutput,
    TransformSchedule,
)

DRAWS: Counter[str] = Counter()
"""Draws run so far, per construct."""
OUTCOMES: Counter[tuple[str, str]] = Counter()
"""Draws per construct and outcome: ``synthesized`` or ``rejected``."""
WRONG_TYPES: Counter[str] = Counter()
"""Rejected draws per construct whose error reported a prop of the wrong type."""


def total_draws() -> int:
    """Every draw run so far (for a closing note: "N draws")."""
    return sum(DRAWS.values())


PROPERTY = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
INT32_MAX = 2**31 - 1
BAD_ODDS = 6  # in a draw that is not clean, each prop is bad with probability 1 / (BAD_ODDS + 1)
SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"

Lint = Callable[[dict[str, Any]], list[str]]
ServiceModel = Callable[[str, str, dict[str, Any]], list[str]]

# ----------------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Dur:
    """A Duration by unit and amount (readable in failure reports; exact arithmetic on this side)."""

    amount: int
    unit: str = "seconds"

    def make(self) -> Duration:
        return getattr(Duration, self.unit)(self.amount)

    @property
    def millis(self) -> int:
        factor = {"millis": 1, "seconds": 1000, "minutes": 60_000, "hours": 3_600_000, "days": 86_400_000}
        return self.amount * factor[self.unit]

    @property
    def whole_seconds(self) -> bool:
        return self.millis % 1000 == 0

    @property
    def seconds(self) -> float:
        return self.millis / 1000


def made(value: Any) -> Any:
    """A drawn ``Dur``/``Sz`` made into its CDK value; a wrong-typed value unwrapped by ``pick`` as it is."""
    return value.make() if isinstance(value, Dur | Sz) else value


@dataclass(frozen=True)
class Sz:
    """A Size by unit and amount."""

    amount: int
    unit: str = "gibibytes"

    def make(self) -> Size:
        return getattr(Size, self.unit)(self.amount)

    @property
    def kib(self) -> int:
        factor = {"kibibytes": 1, "mebibytes": 1024, "gibibytes": 1024**2, "tebibytes": 1024**3}
        return self.amount * factor[self.unit]


@dataclass(frozen=True, eq=False)
class Tok:
    """A token standing for ``value``: ``lazy`` resolves to it at synth (``Lazy.string``/``Lazy.number``),
    ``param`` is a ``CfnParameter`` defaulting to it (unknown until deploy)."""

    value: str | int | float
    kind: str = "lazy"


@jsii.implements(IStableStringProducer)
class _StringProducer:
    def __init__(self, value: str) -> None:
        self._value = value

    def produce(self) -> str:
        return self._value


@jsii.implements(IStableNumberProducer)
class _NumberProducer:
    def __init__(self, value: float) -> None:
        self._value = value

    def produce(self) -> float:
        return self._value


class Realize:
    """Turns drawn markers into CDK values inside one stack, and tells what the template should hold."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._params: dict[int, str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Tok):
            if value.kind == "lazy":
                if isinstance(value.value, str):
                    return Lazy.string(_StringProducer(value.value))
                return Lazy.number(_NumberProducer(value.value))
            logical_id = f"Param{len(self._params)}"
            self._params[id(value)] = logical_id
            if isinstance(value.value, str):
                return CfnParameter(self.stack, logical_id, default=value.value).value_as_string
            return CfnParameter(self.stack, logical_id, type="Number", default=value.value).value_as_number
        if isinstance(value, Dur | Sz):
            return value.make()
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        return value

    def rendered(self, value: Any) -> Any:
        """What the template holds for a drawn value used as a whole property."""
        if isinstance(value, Tok):
            return {"Ref": self._params[id(value)]} if value.kind == "param" else value.value
        return value


# --------------------------------------------------------------------------------------------- the property


@dataclass
class Case:
    """One draw: how to build it, the bad props of each call it makes (in order), and what to check."""

    construct: str
    build: Callable[[Stack, Realize], Any] = field(repr=False)
    phases: list[list[str]]
    verify: Callable[[dict[str, Any], Realize, Any], None] = field(repr=False, default=lambda t, r, b: None)
    drawn: dict[str, Any] = field(default_factory=dict)
    tools: dict[str, Any] = field(default_factory=dict, repr=False)
    """Session fixtures that ``verify`` uses (the ``service_model`` check)."""
    wrong_typed: bool = False
    """Whether some prop was drawn with the wrong type (see ``WrongType``)."""
    clean: bool = False
    """A clean draw has no bad prop: each property test runs half its draws clean, so that synthesis gets its
    share whatever Hypothesis makes of the other half."""

    def add(self, phase: int, *fragments: str) -> None:
        while len(self.phases) <= phase:
            self.phases.append([])
        self.phases[phase].extend(fragments)


@dataclass(frozen=True)
class WrongType:
    """A bad value of the wrong type for its prop; ``pick`` unwraps it and marks the draw."""

    value: Any


TYPE_PROBLEM = re.compile(r"must be [^\n]*, got (?:a single )?(?:str|int|float|bool|list|tuple|dict|bytes)\b")
"""A line of a ValidationError that reports a wrong type."""


def q(prop: str) -> str:
    """The fragment naming a prop in an error message."""
    return f"'{prop}"


def check(case: Case, lint: Lint) -> None:
    DRAWS[case.construct] += 1
    stack = Stack(App(context=app_context()), "Props")
    realize = Realize(stack)
    expected = next((phase for phase in case.phases if phase), [])
    try:
        built = case.build(stack, realize)
    except ValueError as error:
        message = str(error)
        assert expected, f"{case.construct}: a valid draw was rejected:\n{message}"
        assert message.startswith("Invalid props for "), message
        if TYPE_PROBLEM.search(message):
            assert case.wrong_typed, (
                f"{case.construct}: a type problem without a wrongly typed prop:\n{message}"
            )
            # A named constructor (DeploymentGuardrails.canary(wait=60)) refuses its own wrongly typed argument
            # before the construct sees it: its error names the argument as the user passed it ('wait', not
            # 'deployment.wait').
            named = [
                fragment
                for fragment in expected
                if fragment in message or f"'{fragment.rsplit('.', 1)[-1]}'" in message
            ]
            assert named, f"{case.construct}: the error names none of {expected}:\n{message}"
            WRONG_TYPES[case.construct] += 1
        else:
            missing = [fragment for fragment in expected if fragment not in message]
            assert not missing, f"{case.construct}: the error does not name {missing}:\n{message}"
        OUTCOMES[case.construct, "rejected"] += 1
        return
    assert not expected, f"{case.construct}: bad props {expected} were accepted"
    template = Template.from_stack(stack).to_json()
    findings = lint(template)
    assert findings == [], f"{case.construct}: cfn-lint findings:\n" + "\n".join(findings)
    case.verify(template, realize, built)
    OUTCOMES[case.construct, "synthesized"] += 1


def resources(template: Mapping[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == resource_type]


def only(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    (properties,) = resources(template, resource_type)
    return properties


# -------------------------------------------------------------------------------------------- strategies


def pick(draw: st.DrawFn, case: Case, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
    """``(value, is_bad)``: a good value or, in a draw that is not ``clean``, now and then a bad one."""
    if not case.clean and draw(st.sampled_from((False,) * BAD_ODDS + (True,))):
        value = draw(bad)
        if isinstance(value, WrongType):
            case.wrong_typed = True
            return value.value, True
        return value, True
    return draw(good), False


def chance(draw: st.DrawFn, case: Case, odds: int) -> bool:
    """Whether to draw something bad (1 in ``odds``), never in a ``clean`` draw."""
    return not case.clean and draw(st.sampled_from((True,) + (False,) * (odds - 1)))


NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"  # SageMaker names (endpoint, variant, model, hostname)
BAD_NAME_SAMPLES = [
    "", "-lead", "trail-", "under_score", "dot.name", "spa ce", "ünïcode", "名前", "name\n", "a" * 64,
    "١٢٣", "\t",
]  # fmt: skip


def sagemaker_names() -> st.SearchStrategy[str]:
    return st.one_of(
        st.from_regex(r"[a-zA-Z0-9](-{0,2}[a-zA-Z0-9]){0,12}", fullmatch=True),
        st.sampled_from(["a" * 63, "Z9", "0--0"]),
    )


def bad_sagemaker_names() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(BAD_NAME_SAMPLES),
        st.text(max_size=70).filter(lambda s: re.fullmatch(NAME, s) is None),
    )


def whole_durations(low: int, high: int) -> st.SearchStrategy[Dur]:
    """Durations of ``low``-``high`` whole seconds, in any unit that expresses them exactly."""
    seconds = st.one_of(st.sampled_from([low, high]), st.integers(low, high))

    def units(n: int) -> st.SearchStrategy[Dur]:
        options = [Dur(n), Dur(n * 1000, "millis")]
        options += [Dur(n // 60, "minutes")] if n % 60 == 0 else []
        options += [Dur(n // 3600, "hours")] if n % 3600 == 0 else []
        options += [Dur(n // 86400, "days")] if n % 86400 == 0 else []
        return st.sampled_from(options)

    return seconds.flatmap(units)


def bad_durations(low: int, high: int | None) -> st.SearchStrategy[Dur]:
    """Durations outside ``low``-``high`` seconds, or not a whole number of seconds."""
    options = [st.integers(1, 999).map(lambda ms: Dur(low * 1000 + ms, "millis"))]
    if low > 0:
        options.append(st.integers(0, low - 1).map(Dur))
    if high is not None:
        options.append(st.integers(high + 1, high * 10 + 10).map(Dur))
        options.append(st.just(Dur(high // 60 + 1, "minutes")))
    options.append(st.sampled_from([WrongType(low or 60), WrongType("PT1M"), WrongType(1.5)]))
    return st.one_of(options)


def bad_counts(low: int, high: int | None = None) -> st.SearchStrategy[Any]:
    """Numbers a count must not be: below ``low``, above ``high`` (or a 32-bit integer), fractional, NaN."""
    values: list[Any] = [low - 1, -(2**31), 2**31, 2**53 + 1, 10**30, low + 0.5, math.nan, math.inf]
    if high is not None:
        values += [high + 1]
    values += [WrongType(str(low + 1)), WrongType(True), WrongType([low + 1])]
    return st.sampled_from(values)


def counts(low: int, high: int = INT32_MAX) -> st.SearchStrategy[int]:
    return st.one_of(
        st.sampled_from([low, high]), st.integers(low, min(high, low + 20)), st.integers(low, high)
    )


def texts(max_size: int = 24) -> st.SearchStrategy[str]:
    # Basic Multilingual Plane only: cfn-lint's YAML reader rejects the JSON escapes of surrogate pairs.
    return st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=max_size)


def environments(
    *, max_vars: int, key_max: int, value_max: int, value_min: int = 0, tokens: bool = True
) -> tuple[st.SearchStrategy[dict[Any, Any]], st.SearchStrategy[dict[Any, Any]]]:
    """Container environments: good ones, and bad ones."""
    # cfn-lint reads templates as YAML first, whose keys may not exceed 1024 characters with their quotes.
    longest = "K" * min(key_max, 1000)
    keys = st.one_of(st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,15}", fullmatch=True), st.just(longest))
    values: st.SearchStrategy[Any] = st.one_of(
        texts(), st.just(""), st.just("v" * value_max), st.just("ünï cödé\n\t")
    ).filter(lambda v: len(v) >= value_min)
    if tokens:
        token_values = texts(12).filter(lambda v: len(v) >= value_min)
        values = st.one_of(
            values, st.builds(Tok, token_values), st.builds(Tok, token_values, st.just("param"))
        )
    good = st.dictionaries(keys, values, max_size=4)
    bad_key = st.sampled_from(["1abc", "a-b", "", "é", "K" * (key_max + 1), "A\n", "a b"])
    bad = st.one_of(
        st.builds(lambda k: {k: "x"}, bad_key),
        st.just({"K": "v" * (value_max + 1)}),
        st.just({f"K{i}": "v" for i in range(max_vars + 1)}),
        *([st.just({"K": ""})] if value_min else []),
    )
    return good, bad


# -------------------------------------------------------------------------------------------------- Model

IMAGE_URIS = st.one_of(
    st.just("123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1.0"),
    st.text(
        st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
        min_size=1,
        max_size=40,
    ).filter(lambda s: re.fullmatch(r"\S+", s) is not None),
    st.just("x" * 255),
)
PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/{}/{}"
GOOD_PACKAGES = st.one_of(
    st.builds(
        PACKAGE_ARN.format,
        st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?", fullmatch=True),
        st.integers(1, 999_999_999),
    ),
    st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?", fullmatch=True),
)
BAD_PACKAGES = st.sampled_from(
    [
        PACKAGE_ARN.format("na_me", 1),
        PACKAGE_ARN.format("name", "1/2"),
        PACKAGE_ARN.format("name-", 1),
        PACKAGE_ARN.format("name", 1) + "\n",
        "arn:aws:sagemaker:us-east-1:12345:model-package/name/1",
        "arn:aws:s3:::bucket/model",
        "p" * 177,
        "",
    ]
)


@st.composite
def containers(draw: st.DrawFn, index: int, case: Case, count: int) -> dict[str, Any]:
    where = f"containers[{index}]"
    spec: dict[str, Any] = {}
    source = draw(st.sampled_from(["algorithm", "uri", "param", "package"]))
    if source == "package":
        arn, bad = pick(draw, case, GOOD_PACKAGES, BAD_PACKAGES)
        spec["model_package_arn"] = arn
        if bad:
            case.add(0, q(f"{where}.model_package_arn"))
    else:
        spec["image"] = {"algorithm": "algorithm", "uri": draw(IMAGE_URIS), "param": Tok("img:1", "param")}[
            source
        ]
        if count == 1 and draw(st.integers(0, 4)) == 0:
            spec["multi_model"] = True
            spec["model_cache"] = draw(st.none() | st.booleans())
            spec["model_data"] = ("models/", "bucket")
        else:
            spec["model_data"] = draw(
                st.sampled_from(
                    [None, ("asset", "asset"), ("model.tar.gz", "bucket"), ("a/é/m.tar.gz", "bucket")]
                )
            )
    environment, bad = pick(draw, case, *environments(max_vars=100, key_max=1024, value_max=1024))
    spec["environment"] = environment
    if bad:
        case.add(0, q(f"{where}.environment"))
    hostname, bad = pick(draw, case, st.none() | sagemaker_names(), bad_sagemaker_names())
    spec["hostname"] = hostname
    if bad:
        case.add(0, q(f"{where}.hostname"))
    return spec


@st.composite
def model_cases(draw: st.DrawFn, clean: bool) -> Case:
    case = Case("Model", lambda s, r: None, [[]], clean=clean)
    count = draw(st.sampled_from([1, 1, 2, 3]))
    specs = [draw(containers(i, case, count)) for i in range(count)]
    plain_container = "image" in specs[0] and not specs[0].get("multi_model") and specs[0]["hostname"] is None
    single = count == 1 and plain_container and draw(st.booleans())  # Model(image=..., model_data=...)
    mode = draw(st.sampled_from([None, InferenceExecutionMode.SERIAL, InferenceExecutionMode.DIRECT]))
    if count == 1 and mode is not None:
        case.add(0, q("inference_execution_mode"))
    hostnames = [s["hostname"] for s in specs if s["hostname"] is not None]
    if mode is InferenceExecutionMode.DIRECT and count > 1 and len(hostnames) < count:
        case.add(0, "every container needs a 'hostname'")
    if len(set(hostnames)) != len(hostnames):
        case.add(0, "container 'hostname's must be unique")
    model_name, bad = pick(
        draw, case, st.none() | sagemaker_names() | st.builds(Tok, sagemaker_names()), bad_sagemaker_names()
    )
    if bad:
        case.add(0, q("model_name"))
    isolation = draw(st.booleans())

    def build(stack: Stack, r: Realize) -> Model:
        bucket = s3.Bucket.from_bucket_name(stack, "Artifacts", "artifact-bucket")

        def image(value: Any) -> ContainerImage:
            if value == "algorithm":
                return ContainerImage.for_algorithm("xgboost", "3.0-5")
            return ContainerImage.from_image_uri(r(value))

        def data(value: Any) -> ModelData | None:
            if value is None:
                return None
            return (
                ModelData.from_asset(SAMPLE_MODEL)
                if value[1] == "asset"
                else ModelData.from_bucket(bucket, value[0])
            )

        definitions = [
            ContainerDefinition(
                image=image(spec["image"]) if "image" in spec else None,
                model_data=data(spec.get("model_data")),
                environment=r(spec["environment"]),
                hostname=spec["hostname"],
                multi_model=spec.get("multi_model", False),
                model_cache=spec.get("model_cache"),
                model_package_arn=spec.get("model_package_arn"),
            )
            for spec in specs
        ]
        common: dict[str, Any] = {
            "model_name": r(model_name),
            "network_isolation": isolation,
            "inference_execution_mode": mode,
        }
        if single:
            d = definitions[0]
            return Model(
                stack, "Model", image=d.image, model_data=d.model_data, environment=d.environment, **common
            )
        return Model(stack, "Model", containers=definitions, **common)

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        model = only(template, "AWS::SageMaker::Model")
        rendered = [model["PrimaryContainer"]] if count == 1 else model["Containers"]
        for spec, container in zip(specs, rendered, strict=True):
            expected_env = {k: r.rendered(v) for k, v in spec["environment"].items()}
            assert container.get("Environment", {}) == expected_env
            assert container.get("ContainerHostname") == spec["hostname"]
            assert container.get("ModelPackageName") == spec.get("model_package_arn")
            if spec.get("image") not in (None, "algorithm"):
                assert container["Image"] == r.rendered(spec["image"])
            assert container.get("Mode") == ("MultiModel" if spec.get("multi_model") else None)
        if model_name is not None:
            assert model["ModelName"] == r.rendered(model_name)
        assert model.get("EnableNetworkIsolation") == (True if isolation else None)
        if count > 1:
            assert model["InferenceExecutionConfig"]["Mode"] == (mode or InferenceExecutionMode.SERIAL).value

    case.drawn = {"containers": specs, "single": single, "mode": mode, "model_name": model_name,
                  "network_isolation": isolation}  # fmt: skip
    case.build, case.verify = build, verify
    return case


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=8)
@given(data=st.data())
def test_model(clean: bool, data: st.DataObject, lint_template: Lint) -> None:
    check(data.draw(model_cases(clean), label="case"), lint_template)


# ----------------------------------------------------------------------------------------------- Endpoint

INSTANCE_TYPES = [
    "ml.m5.large", "ml.m5.xlarge", "ml.c5.large", "ml.c5.2xlarge", "ml.g5.xlarge", "ml.r5.large",
    "ml.inf1.xlarge", "ml.m5d.large", "ml.c6i.large", "ml.p3.2xlarge", "ml.t2.medium",
]  # fmt: skip
BAD_INSTANCE_TYPES = [
    "ml.m5.huge",
    "ml.zz9.large",
    "m5.large",
    "ML.M5.LARGE",
    "ml.m5.large\n",
    "",
    "ml.m5.large ",
]
CONTENT_TYPE = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*/[a-zA-Z0-9](-*[a-zA-Z0-9.])*"


@st.composite
def production_variant(draw: st.DrawFn, prop: str, case: Case, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": "production", "name": name}
    spec["instance_type"], bad = pick(
        draw, case, st.sampled_from(INSTANCE_TYPES), st.sampled_from([*BAD_INSTANCE_TYPES, WrongType(5)])
    )
    if bad:
        case.add(0, q(f"{prop}.instance_type"))
    count = st.one_of(
        counts(1), st.builds(Tok, counts(1, 50)), st.builds(Tok, counts(1, 50), st.just("param"))
    )
    spec["instance_count"], bad = pick(draw, case, count, bad_counts(1))
    if bad:
        case.add(0, q(f"{prop}.instance_count"))
    weights = st.one_of(st.sampled_from([0.0, 1.0, 1e6]), st.floats(0, 1e6), st.integers(0, 1000))
    spec["weight"], bad = pick(
        draw, case, weights, st.sampled_from([-1.0, -1e-9, math.nan, math.inf, -math.inf, WrongType("80")])
    )
    if bad:
        case.add(0, q(f"{prop}.weight"))
    sizes = st.one_of(
        st.none(),
        st.integers(1, 512).map(Sz),
        st.integers(1, 512).map(lambda g: Sz(g * 1024, "mebibytes")),
        st.integers(1, 512).map(lambda g: Sz(g * 1024 * 1024, "kibibytes")),
    )
    bad_sizes = st.sampled_from(
        [Sz(0), Sz(513), Sz(1, "tebibytes"), Sz(1, "kibibytes"), Sz(1536, "mebibytes"), WrongType(30)]
    )
    spec["volume_size"], bad = pick(draw, case, sizes, bad_sizes)
    if bad:
        case.add(0, q(f"{prop}.volume_size"))
    for timeout in ("model_data_download_timeout", "container_startup_health_check_timeout"):
        spec[timeout], bad = pick(draw, case, st.none() | whole_durations(60, 3600), bad_durations(60, 3600))
        if bad:
            case.add(0, q(f"{prop}.{timeout}"))
    spec["routing_strategy"] = draw(st.none() | st.sampled_from(RoutingStrategy))
    spec["enable_ssm_access"] = draw(st.none() | st.booleans())
    return spec


@st.composite
def serverless_variant(draw: st.DrawFn, prop: str, case: Case, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": "serverless", "name": name}
    memory = st.one_of(
        st.integers(1, 6).map(Sz),
        st.integers(1, 6).map(lambda g: Sz(g * 1024, "mebibytes")),
        st.integers(1, 6).map(lambda g: Sz(g * 1024 * 1024, "kibibytes")),
    )
    bad_memory = st.sampled_from(
        [Sz(7), Sz(512, "mebibytes"), Sz(1500, "mebibytes"), Sz(1500, "kibibytes"), Sz(0)]
    )
    spec["memory_size"], bad = pick(draw, case, memory, bad_memory)
    if bad:
        case.add(0, q(f"{prop}.memory_size"))
    spec["max_concurrency"], bad = pick(draw, case, counts(1, 200), bad_counts(1, 200))
    if bad:
        case.add(0, q(f"{prop}.max_concurrency"))
    provisioned, bad = pick(draw, case, st.none() | counts(1, 200), bad_counts(1, 200))
    spec["provisioned_concurrency"] = provisioned
    if bad or (
        provisioned is not None
        and not bad_concurrency(spec["max_concurrency"])
        and provisioned > spec["max_concurrency"]
    ):
        case.add(0, q(f"{prop}.provisioned_concurrency"))
    spec["weight"], bad = pick(draw, case, st.floats(0.001, 1e6), st.sampled_from([-1.0, math.nan, math.inf]))
    if bad:
        case.add(0, q(f"{prop}.weight"))
    return spec


def bad_concurrency(value: Any) -> bool:
    """Whether a drawn max_concurrency is bad (then provisioned_concurrency is not compared with it)."""
    return not isinstance(value, int) or not 1 <= value <= 200


def render_variant(
    r: Realize, spec: Mapping[str, Any], model: Model
) -> ProductionVariant | ServerlessVariant:
    if spec["kind"] == "serverless":
        return ServerlessVariant(
            spec["name"], model=model, memory_size=made(spec["memory_size"]),
            max_concurrency=spec["max_concurrency"], provisioned_concurrency=spec["provisioned_concurrency"],
            weight=spec["weight"],
        )  # fmt: skip
    return ProductionVariant(
        spec["name"],
        model=model,
        instance_type=spec["instance_type"],
        instance_count=r(spec["instance_count"]),
        weight=spec["weight"],
        volume_size=r(spec["volume_size"]),
        model_data_download_timeout=r(spec["model_data_download_timeout"]),
        container_startup_health_check_timeout=r(spec["container_startup_health_check_timeout"]),
        routing_strategy=spec["routing_strategy"],
        enable_ssm_access=spec["enable_ssm_access"],
    )


def expected_variant(r: Realize, spec: Mapping[str, Any]) -> dict[str, Any]:
    if spec["kind"] == "serverless":
        config = {
            "MemorySizeInMB": spec["memory_size"].kib // 1024,
            "MaxConcurrency": spec["max_concurrency"],
        }
        if spec["provisioned_concurrency"] is not None:
            config["ProvisionedConcurrency"] = spec["provisioned_concurrency"]
        return {
            "VariantName": spec["name"],
            "InitialVariantWeight": spec["weight"],
            "ServerlessConfig": config,
        }
    expected: dict[str, Any] = {
        "VariantName": spec["name"],
        "InstanceType": spec["instance_type"],
        "InitialInstanceCount": r.rendered(spec["instance_count"]),
        "InitialVariantWeight": spec["weight"],
    }
    if spec["volume_size"] is not None:
        expected["VolumeSizeInGB"] = spec["volume_size"].kib // 1024**2
    if spec["model_data_download_timeout"] is not None:
        expected["ModelDataDownloadTimeoutInSeconds"] = int(spec["model_data_download_timeout"].seconds)
    if spec["container_startup_health_check_timeout"] is not None:
        seconds = int(spec["container_startup_health_check_timeout"].seconds)
        expected["ContainerStartupHealthCheckTimeoutInSeconds"] = seconds
    if spec["routing_strategy"] is not None:
        expected["RoutingConfig"] = {"RoutingStrategy": spec["routing_strategy"].value}
    if spec["enable_ssm_access"] is not None:
        expected["EnableSSMAccess"] = spec["enable_ssm_access"]
    return expected


@st.composite
def data_capture(draw: st.DrawFn, case: Case) -> dict[str, Any] | None:
    if draw(st.integers(0, 2)) == 0:
        return None
    spec: dict[str, Any] = {}
    spec["sampling_percentage"], bad = pick(draw, case, counts(0, 100), bad_counts(0, 100))
    if bad:
        case.add(0, q("data_capture.sampling_percentage"))
    spec["capture_input"], spec["capture_output"] = (
        (False, False)
        if chance(draw, case, 8)
        else draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    )
    if not spec["capture_input"] and not spec["capture_output"]:
        case.add(0, q("data_capture"))
    for prop in ("csv_content_types", "json_content_types"):
        good = st.lists(
            st.one_of(st.from_regex(CONTENT_TYPE, fullmatch=True).filter(lambda t: len(t) <= 256),
                      st.sampled_from(["text/csv", "application/x-npy", "a/" + "b" * 254])),
            max_size=10,
        )  # fmt: skip
        bad_types = st.one_of(
            st.sampled_from([["csv"], ["text/ csv"], [""], ["a/" + "b" * 255], ["text/csv\n"], ["ü/x"]]),
            st.just([f"text/x{i}" for i in range(11)]),
        )
        spec[prop], bad = pick(draw, case, good, bad_types)
        if bad:
            case.add(0, q(f"data_capture.{prop}"))
    prefixes = st.one_of(
        st.sampled_from(["data-capture", "a/b/c", "ünï", "x" * 200, "x" * 443]),
        texts().filter(lambda p: p != "" and p.strip("/") == p and not breaks(p)),
        st.builds(Tok, st.sampled_from(["captured", "a/b"])),
    )
    spec["prefix"], bad = pick(
        draw,
        case,
        prefixes,
        st.sampled_from(["/lead", "trail/", "/", "a\nb", "a\u2028b", "x" * 444, "s3://bucket/captures"]),
    )
    if bad:
        case.add(0, q("data_capture.prefix"))
    expirations = (
        st.none()
        | st.integers(1, 3650).map(lambda d: Dur(d, "days"))
        | st.integers(1, 100).map(lambda d: Dur(d * 24, "hours"))
    )
    spec["expiration"], bad = pick(
        draw, case, expirations, st.sampled_from([Dur(36, "hours"), Dur(0), Dur(1500, "millis"), Dur(90061)])
    )
    if bad:
        case.add(0, q("data_capture.expiration"))
    spec["enabled"] = draw(st.booleans())
    return spec


@st.composite
def deployment(
    draw: st.DrawFn, case: Case, instance_counts: list[Any], variant_count: int, serverless: bool
) -> dict[str, Any] | None:
    kinds = [None, "all_at_once", "canary", "linear"]
    kinds += ["rolling"] if (variant_count == 1 and not serverless) or not case.clean else []
    kind = draw(st.sampled_from(kinds))
    if kind is None:
        return None
    spec: dict[str, Any] = {"kind": kind}
    spec["wait"], bad = pick(draw, case, whole_durations(0, 3600), bad_durations(0, 3600))
    if bad:
        case.add(0, q("deployment.wait"))
    if kind != "rolling":
        spec["termination_wait"], bad = pick(
            draw, case, st.none() | whole_durations(0, 3600), bad_durations(0, 3600)
        )
        if bad:
            case.add(0, q("deployment.termination_wait"))
    else:
        spec["termination_wait"] = None
    spec["max_execution_timeout"], bad = pick(
        draw, case, st.none() | whole_durations(600, 28800), bad_durations(600, 28800)
    )
    if bad:
        case.add(0, q("deployment.max_execution_timeout"))
    elif spec["max_execution_timeout"] is not None:
        waits = [d for d in (spec["wait"], spec["termination_wait"]) if d is not None]
        # A wrong-typed wait is reported on its own prop; the sum is only checked on durations.
        if all(isinstance(d, Dur) and d.whole_seconds for d in waits) and spec[
            "max_execution_timeout"
        ].seconds <= sum(d.seconds for d in waits):
            case.add(0, q("deployment.max_execution_timeout"))
    known = [c for c in instance_counts if isinstance(c, int) and c >= 1]
    low_percent, high_percent, prop = {
        "canary": (1, 50, "size"), "linear": (10, 50, "step"), "rolling": (5, 50, "batch_size"),
        "all_at_once": (0, 0, ""),
    }[kind]  # fmt: skip
    if kind != "all_at_once":
        low = max([math.ceil(c * low_percent / 100) for c in known], default=1)
        high = min([math.floor(c * high_percent / 100) for c in known], default=INT32_MAX)
        unit = draw(st.sampled_from(["percent", "instances"] if low <= high else ["percent"]))
        if chance(draw, case, 4):
            value = draw(st.one_of(st.integers(-1, 101), st.sampled_from([2**31, 0])))
        else:
            value = draw(st.integers(low_percent, high_percent) if unit == "percent" else counts(low, high))
        spec["size"] = (unit, value)
        if unit == "percent":
            ok = low_percent <= value <= high_percent
        else:
            ok = 1 <= value <= INT32_MAX and all(
                math.ceil(c * low_percent / 100) <= value <= math.floor(c * high_percent / 100) for c in known
            )
        if not ok:
            case.add(0, q(f"deployment.{prop}"))
    if kind == "rolling":
        if draw(st.booleans()):
            value = draw(st.integers(0, 101) if chance(draw, case, 4) else st.integers(5, 100))
            spec["rollback_batch_size"] = ("percent", value)
            if not 5 <= value <= 100:
                case.add(0, q("deployment.rollback_batch_size"))
        if serverless:
            case.add(0, "'deployment' rolling updates are not supported for serverless")
        if variant_count > 1:
            case.add(0, "'deployment' rolling updates need exactly one production variant")
    rollback = draw(st.sampled_from(["default", "none", "custom"]))
    spec["rollback"] = (rollback,)
    if rollback == "custom":
        rate, bad_rate = pick(
            draw, case, st.floats(0, 100), st.sampled_from([-0.5, 100.5, math.nan, math.inf])
        )
        latency, bad_latency = pick(draw, case, whole_durations(1, 60), st.just(Dur(0)))
        spec["rollback"] = (rollback, rate, latency)
        if bad_rate:
            case.add(0, q("deployment.auto_rollback.error_rate_percent"))
        if bad_latency:
            case.add(0, q("deployment.auto_rollback.p99_model_latency"))
    return spec


def render_deployment(spec: Mapping[str, Any]) -> DeploymentGuardrails:
    rollback = {
        "default": lambda: AutoRollback.default(),
        "none": lambda: AutoRollback.none(),
        "custom": lambda: AutoRollback.default(
            error_rate_percent=spec["rollback"][1], p99_model_latency=made(spec["rollback"][2])
        ),
    }[spec["rollback"][0]]()
    timeout = made(spec["max_execution_timeout"]) if spec["max_execution_timeout"] is not None else None
    termination = made(spec["termination_wait"]) if spec["termination_wait"] is not None else None

    def size(value: tuple[str, int]) -> CapacitySize:
        return CapacitySize.percent(value[1]) if value[0] == "percent" else CapacitySize.instances(value[1])

    kind, wait = spec["kind"], made(spec["wait"])
    if kind == "all_at_once":
        return DeploymentGuardrails.all_at_once(wait=wait, termination_wait=termination, max_execution_timeout=timeout,
                                                auto_rollback=rollback)  # fmt: skip
    if kind == "canary":
        return DeploymentGuardrails.canary(size=size(spec["size"]), wait=wait, termination_wait=termination,
                                           max_execution_timeout=timeout, auto_rollback=rollback)  # fmt: skip
    if kind == "linear":
        return DeploymentGuardrails.linear(step=size(spec["size"]), wait=wait, termination_wait=termination,
                                           max_execution_timeout=timeout, auto_rollback=rollback)  # fmt: skip
    rollback_size = spec.get("rollback_batch_size")
    return DeploymentGuardrails.rolling(
        batch_size=size(spec["size"]), wait=wait, max_execution_timeout=timeout, auto_rollback=rollback,
        rollback_batch_size=size(rollback_size) if rollback_size else None,
    )  # fmt: skip


@st.composite
def scaling(draw: st.DrawFn, case: Case, variants: list[dict[str, Any]]) -> dict[str, Any] | None:
    candidates = [v for v in variants if v["kind"] == "production"]
    if not candidates or draw(st.integers(0, 2)) == 0:
        return None
    variant = draw(st.sampled_from(candidates))
    spec: dict[str, Any] = {"variant": variant["name"]}
    count = variant["instance_count"]
    known = count if isinstance(count, int) and 1 <= count <= INT32_MAX else None
    low, bad_low = pick(draw, case, counts(1, known or INT32_MAX), bad_counts(1))
    high, bad_high = pick(draw, case, counts(max(known or 1, low if not bad_low else 1)), bad_counts(1))
    spec["min_capacity"], spec["max_capacity"] = low, high
    if isinstance(variant["instance_type"], str) and variant["instance_type"].startswith("ml.t"):
        case.add(1, "burstable instance type")
    if bad_low:
        case.add(1, q("min_capacity"))
    if bad_high:
        case.add(1, q("max_capacity"))
    policy = draw(st.sampled_from(["invocations", "cpu"]))
    targets = st.one_of(st.floats(0.0001, 1e9), st.sampled_from([0.0001, 1, 70.5, 1e9]))
    target, bad = pick(draw, case, targets, st.sampled_from([0, -1, 0.00001, math.nan, math.inf]))
    spec["policy"] = (policy, target)
    if bad:
        case.add(2, q("target"))
    for cooldown in ("scale_in_cooldown", "scale_out_cooldown"):
        spec[cooldown], bad = pick(draw, case, st.none() | whole_durations(0, 86400), bad_durations(0, 86400))
        if bad:
            case.add(2, q(cooldown))
    return spec


@st.composite
def endpoint_cases(draw: st.DrawFn, clean: bool) -> Case:
    case = Case("Endpoint", lambda s, r: None, [[], [], []], clean=clean)
    serverless = draw(st.integers(0, 4)) == 0
    count = 1 if serverless else draw(st.integers(1, 3))
    names = draw(st.lists(sagemaker_names(), min_size=count + 1, max_size=count + 1, unique=True))
    if chance(draw, case, 8):
        names[0] = draw(bad_sagemaker_names())
        case.add(0, q("variants[0].name"))
    kind = serverless_variant if serverless else production_variant
    variants = [draw(kind(f"variants[{i}]", case, names[i])) for i in range(count)]
    if not serverless and all(v["weight"] == 0 for v in variants):
        case.add(0, "weights must add up to more than 0")
    shadow = None
    if count == 1 and not serverless and draw(st.integers(0, 3)) == 0:
        shadow = draw(production_variant("shadow_variant", case, names[-1]))
    capture = draw(data_capture(case))
    if capture is not None and serverless:
        case.add(0, "'data_capture' is not supported by Serverless Inference")
    instance_counts = [v["instance_count"] for v in variants if v["kind"] == "production"]
    guardrails = draw(deployment(case, instance_counts, count, serverless))
    endpoint_name, bad = pick(
        draw, case, st.none() | sagemaker_names() | st.builds(Tok, sagemaker_names(), st.just("param")),
        bad_sagemaker_names(),
    )  # fmt: skip
    if bad:
        case.add(0, q("endpoint_name"))
    scale = draw(scaling(case, variants))

    def build(stack: Stack, r: Realize) -> Endpoint:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        capture_props = None
        if capture is not None:
            capture_props = DataCapture(
                sampling_percentage=capture["sampling_percentage"], capture_input=capture["capture_input"],
                capture_output=capture["capture_output"], csv_content_types=capture["csv_content_types"],
                json_content_types=capture["json_content_types"], prefix=r(capture["prefix"]),
                expiration=r(capture["expiration"]), enabled=capture["enabled"],
            )  # fmt: skip
        endpoint = Endpoint(
            stack,
            "Endpoint",
            variants=[render_variant(r, v, model) for v in variants],
            shadow_variant=render_variant(r, shadow, model) if shadow else None,
            data_capture=capture_props,
            deployment=render_deployment(guardrails) if guardrails else None,
            endpoint_name=r(endpoint_name),
        )
        if scale is not None:
            scalable = endpoint.variant(scale["variant"]).auto_scale(
                min_capacity=scale["min_capacity"], max_capacity=scale["max_capacity"]
            )
            policy, target = scale["policy"]
            cooldowns = {k: r(scale[k]) for k in ("scale_in_cooldown", "scale_out_cooldown")}
            if policy == "cpu":
                scalable.on_cpu_utilization(target, **cooldowns)
            else:
                scalable.on_invocations_per_instance(target, **cooldowns)
        return endpoint

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        config = only(template, "AWS::SageMaker::EndpointConfig")

        def rendered(variant: Mapping[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in variant.items() if k != "ModelName"}

        assert [rendered(v) for v in config["ProductionVariants"]] == [
            expected_variant(r, v) for v in variants
        ]
        if shadow is not None:
            assert [rendered(v) for v in config["ShadowProductionVariants"]] == [expected_variant(r, shadow)]
        resource = only(template, "AWS::SageMaker::Endpoint")
        if endpoint_name is not None:
            assert resource["EndpointName"] == r.rendered(endpoint_name)
        if capture is not None:
            rendered = config["DataCaptureConfig"]
            assert rendered["InitialSamplingPercentage"] == capture["sampling_percentage"]
            assert rendered["EnableCapture"] == capture["enabled"]
            modes = [
                m
                for m, on in (("Input", capture["capture_input"]), ("Output", capture["capture_output"]))
                if on
            ]
            assert rendered["CaptureOptions"] == [{"CaptureMode": m} for m in modes]
            header = rendered.get("CaptureContentTypeHeader", {})
            assert header.get("CsvContentTypes", []) == list(capture["csv_content_types"])
            assert header.get("JsonContentTypes", []) == list(capture["json_content_types"])
            parts = rendered["DestinationS3Uri"]["Fn::Join"][1]
            assert parts[-1] == "/" + str(r.rendered(capture["prefix"]))
            if capture["expiration"] is not None:
                days = capture["expiration"].millis // 86_400_000
                assert {"ExpirationInDays": days, "Status": "Enabled"} in [
                    rule for b in resources(template, "AWS::S3::Bucket")
                    for rule in b.get("LifecycleConfiguration", {}).get("Rules", [])
                ]  # fmt: skip
        if guardrails is not None:
            verify_deployment(resource["DeploymentConfig"], guardrails)
        if scale is not None:
            target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")
            assert (target["MinCapacity"], target["MaxCapacity"]) == (
                scale["min_capacity"],
                scale["max_capacity"],
            )
            policy = only(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
            tracking = policy["TargetTrackingScalingPolicyConfiguration"]
            assert tracking["TargetValue"] == scale["policy"][1]
            for prop, key in (
                ("scale_in_cooldown", "ScaleInCooldown"),
                ("scale_out_cooldown", "ScaleOutCooldown"),
            ):
                if scale[prop] is not None:
                    assert tracking[key] == int(scale[prop].seconds)

    case.drawn = {"variants": variants, "shadow": shadow, "data_capture": capture, "deployment": guardrails,
                  "endpoint_name": endpoint_name, "scaling": scale}  # fmt: skip
    case.build, case.verify = build, verify
    return case


def verify_deployment(config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    def capacity(value: tuple[str, int]) -> dict[str, Any]:
        return {"Type": "CAPACITY_PERCENT" if value[0] == "percent" else "INSTANCE_COUNT", "Value": value[1]}

    timeout = spec["max_execution_timeout"]
    if spec["kind"] == "rolling":
        policy = config["RollingUpdatePolicy"]
        assert policy["MaximumBatchSize"] == capacity(spec["size"])
        assert policy["WaitIntervalInSeconds"] == int(spec["wait"].seconds)
        if spec.get("rollback_batch_size"):
            assert policy["RollbackMaximumBatchSize"] == capacity(spec["rollback_batch_size"])
    else:
        policy = config["BlueGreenUpdatePolicy"]
        routing = policy["TrafficRoutingConfiguration"]
        assert routing["Type"] == spec["kind"].upper()
        assert routing["WaitIntervalInSeconds"] == int(spec["wait"].seconds)
        if spec["kind"] == "canary":
            assert routing["CanarySize"] == capacity(spec["size"])
        if spec["kind"] == "linear":
            assert routing["LinearStepSize"] == capacity(spec["size"])
        if spec["termination_wait"] is not None:
            assert policy["TerminationWaitInSeconds"] == int(spec["termination_wait"].seconds)
    if timeout is not None:
        assert policy["MaximumExecutionTimeoutInSeconds"] == int(timeout.seconds)
    alarms = config.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    assert len(alarms) == (0 if spec["rollback"][0] == "none" else 2)


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=10)
@given(data=st.data())
def test_endpoint(clean: bool, data: st.DataObject, lint_template: Lint) -> None:
    check(data.draw(endpoint_cases(clean), label="case"), lint_template)


# ----------------------------------------------------------------------------------------- BatchTransform

TRANSFORM_TYPES = ["ml.m5.large", "ml.c5.xlarge", "ml.m4.xlarge", "ml.g4dn.xlarge", "ml.c5.18xlarge"]
BAD_TRANSFORM_TYPES = ["ml.t2.medium", "ml.zz9.large", "m5.large", "ml.m5.large\n", "", "ML.M5.LARGE"]
JOB_PREFIX = r"[a-z0-9](-*[a-z0-9]){0,37}"


def s3_prefixes(*, trailing_slash: bool) -> st.SearchStrategy[str]:
    """Key prefixes without a leading '/': plain, nested, unicode, with quotes and brackets, long."""
    tail = "/" if trailing_slash else ""
    return st.one_of(
        st.sampled_from(["input/", "a/b/", "ünï/", "it's/", "(x)/", "a)/", "x" * 200 + "/"]).map(
            lambda p: p.rstrip("/") + tail
        ),
        texts().filter(lambda p: p.strip() and p.strip("/") == p and not breaks(p)).map(lambda p: p + tail),
    )


def breaks(value: str) -> bool:
    """Whether a string has a line break, which SageMaker's S3 URI patterns (``(.*)``) do not match."""
    return any(c in value for c in "\n\r\x85\u2028\u2029")


def definition_of(template: Mapping[str, Any]) -> dict[str, Any]:
    """The state machine definition, with references replaced by plausible literals (parameters: defaults)."""
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine")
    body = machine["DefinitionString"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        elif "Ref" in part and part["Ref"] in template.get("Parameters", {}):
            default = template["Parameters"][part["Ref"]]["Default"]
            text += json.dumps(default)[1:-1] if isinstance(default, str) else json.dumps(default)
        elif "Ref" in part:
            text += f"ref-{part['Ref'].lower()[:40]}"
        elif "Fn::GetAtt" in part:
            logical, attribute = part["Fn::GetAtt"]
            arn = f"arn:aws:kms:us-east-1:123456789012:key/{logical.lower()[:30]}"
            text += arn if attribute == "Arn" else f"model-{logical.lower()[:30]}"
        else:
            raise AssertionError(f"unexpected token in the definition: {part}")
    result: dict[str, Any] = json.loads(text)
    return result


@st.composite
def batch_cases(draw: st.DrawFn, clean: bool) -> Case:
    case = Case("BatchTransform", lambda s, r: None, [[]], clean=clean)
    d: dict[str, Any] = {}

    def prop(
        name: str, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], fragment: str | None = None
    ) -> None:
        d[name], is_bad = pick(draw, case, good, bad)
        if is_bad:
            case.add(0, fragment or q(name))

    prop("input.prefix", s3_prefixes(trailing_slash=True) | st.just("") | st.builds(Tok, st.just("in/")),
         st.sampled_from(["/input/", "/", "in\nput/", "in\rput/"]))  # fmt: skip
    prop("input.date_format", st.sampled_from([None, "[Y0001]-[M01]-[D01]", "[Y0001]/[M01]/[D01]", "dt=[Y0001][M01][D01]", "[H01]", ""]),
         st.sampled_from(["%Y-%m-%d", "[Q]", "[Y0001] ", "[Y0001]\n", "[Y\u0661]"]))  # fmt: skip
    prop("input.date_offset", whole_durations(0, 86400 * 7),
         st.sampled_from([Dur(1500, "millis"), Dur(1, "millis")]))  # fmt: skip
    prop("input.content_type", st.sampled_from([None, "text/csv", "application/jsonlines", "x" * 256, "ünï"]),
         st.just("x" * 257))  # fmt: skip
    d["input.split_type"] = draw(st.sampled_from([None, *SplitType]))
    d["input.compression"] = draw(st.sampled_from([None, *CompressionType]))
    d["output.bucket"] = draw(st.booleans())
    prop(
        "output.prefix",
        s3_prefixes(trailing_slash=True) | st.just(""),
        st.sampled_from(["/out/", "/", "out\n/"]),
    )
    prop("output.accept", st.sampled_from([None, "text/csv", "a" * 256]), st.just("a" * 257))
    d["output.assemble_with"] = draw(st.sampled_from([None, *AssembleWith]))
    expirations = st.integers(1, 3650).map(lambda n: Dur(n, "days")) | st.just(Dur(48, "hours"))
    # An expiration applies to the created bucket only.
    keep = not d["output.bucket"] or chance(draw, case, 4)
    expirations = st.none() | expirations if keep else st.none()
    prop("output.expiration", expirations, st.sampled_from([Dur(36, "hours"), Dur(0), Dur(1500, "millis")]))
    if (
        d["output.bucket"]
        and d["output.expiration"] is not None
        and q("output.expiration") not in case.phases[0]
    ):
        case.add(0, q("output.expiration"))
    prop(
        "instance_type",
        st.sampled_from(TRANSFORM_TYPES),
        st.sampled_from([*BAD_TRANSFORM_TYPES, WrongType(5)]),
    )
    prop("instance_count", counts(1) | st.builds(Tok, counts(1, 9), st.just("param")), bad_counts(1))
    split = d["input.split_type"] not in (None, SplitType.NONE)
    d["batch_strategy"] = draw(
        st.sampled_from([None, *BatchStrategy] if split or chance(draw, case, 4) else [None])
    )
    if d["batch_strategy"] is not None and d["input.split_type"] in (None, SplitType.NONE):
        case.add(0, q("batch_strategy"))
    payloads = (
        st.none()
        | st.integers(0, 100).map(lambda n: Sz(n, "mebibytes"))
        | st.integers(0, 100).map(lambda n: Sz(n * 1024, "kibibytes"))
    )
    prop(
        "max_payload",
        payloads,
        st.sampled_from([Sz(101, "mebibytes"), Sz(1, "kibibytes"), Sz(1, "gibibytes")]),
    )
    payload_mb = d["max_payload"].kib // 1024 if isinstance(d["max_payload"], Sz) else 0
    most = 100 // payload_mb if payload_mb > 0 and not chance(draw, case, 4) else 100
    prop("max_concurrent_transforms", st.none() | counts(0, most), bad_counts(0))
    payload, concurrent = d["max_payload"], d["max_concurrent_transforms"]
    if (
        isinstance(payload, Sz) and isinstance(concurrent, int) and 0 <= concurrent <= INT32_MAX
        and payload.kib % 1024 == 0 and payload.kib // 1024 * concurrent > 100
    ):  # fmt: skip
        case.add(0, "'max_concurrent_transforms' x 'max_payload'")
    filters = st.one_of(st.none(), st.sampled_from(["$", "$[1:]", "$[0,-1]", "$.features", "$" + "x" * 62]))
    bad_filters = st.sampled_from(["[1:]", "", "$" + "x" * 63])
    prop("data_processing.input_filter", filters, bad_filters)
    prop("data_processing.output_filter", filters, bad_filters)
    d["data_processing.join_source"] = draw(st.sampled_from([None, *JoinSource]))
    prop("environment", *environments(max_vars=16, key_max=1024, value_max=10240))
    prop("model_client.invocations_timeout", st.none() | whole_durations(1, 3600), bad_durations(1, 3600))
    prop("model_client.invocations_max_retries", st.none() | st.integers(0, 3), bad_counts(0, 3))
    prop("data_capture.prefix", st.none() | s3_prefixes(trailing_slash=False),
         st.sampled_from(["", "/lead", "trail/", "cap\nture"]))  # fmt: skip
    prop("job_name_prefix", st.none() | st.from_regex(JOB_PREFIX, fullmatch=True).filter(lambda p: len(p) <= 38) | st.just("a" * 38),
         st.sampled_from(["", "Upper", "a" * 39, "a\n", "-a", "a_b", "ünï"]))  # fmt: skip
    schedules = st.one_of(
        st.none(),
        st.tuples(st.just("daily"), st.integers(0, 23), st.integers(0, 59)),
        st.tuples(st.just("rate"), st.sampled_from([Dur(1, "minutes"), Dur(90, "minutes"), Dur(2, "days"), Dur(60)])),
        st.tuples(st.just("cron"), st.sampled_from(["cron(0 6 ? * MON-FRI *)", "cron(15 2 * * ? *)", "rate(5 minutes)",
                                                    "cron(0/15 8-17 ? * 2-6 *)", "cron(0 2 L * ? *)",
                                                    "cron(30 1 ? JAN-MAR 3#2 2026-2199)"])),
    )  # fmt: skip
    bad_schedules = st.sampled_from(
        [("cron", "cron(0 6 * * * *)"), ("cron", "cron(0 6 ? * MON-FRI)"), ("cron", "rate(1 minutes)"),
         ("cron", "rate(\u0665 minutes)"), ("cron", "0 6 * * ?"), ("cron", "cron(0 6 ? * * *)\n"),
         ("cron", "cron(0 24 * * ? *)"), ("cron", "cron(60 2 * * ? *)"), ("cron", "cron(0 2 ? 13 MON *)"),
         ("cron", "cron(0 2 ? * 3#1,6#3 *)"), ("cron", "cron(0 2 * * ? 1969)")]
    )  # fmt: skip
    prop("schedule", schedules, bad_schedules)
    if d["schedule"] is not None:
        prop("schedule.flexible_window", st.none() | st.integers(1, 1440).map(lambda m: Dur(m, "minutes")),
             st.sampled_from([Dur(90), Dur(30), Dur(1441, "minutes")]))  # fmt: skip
    # With a schedule, input arrival is a bad prop (never in a clean draw).
    d["run_on_input_arrival"] = draw(st.booleans()) if d["schedule"] is None else chance(draw, case, 4)
    if d["run_on_input_arrival"] and d["schedule"] is not None:
        # The scheduled run would score the arrived objects again (issue 11, item 12).
        case.add(0, "'run_on_input_arrival' and 'schedule' must not both be set")
    prop("job_timeout", st.none() | whole_durations(60, 86400 * 4), bad_durations(60, 86400 * 4))
    prop("capacity_retries", st.none() | st.integers(0, 10), bad_counts(0, 10))
    prop("capacity_retry_wait", st.none() | whole_durations(1, 86400), bad_durations(1, 86400))

    def build(stack: Stack, r: Realize) -> BatchTransform:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        schedule = None
        if d["schedule"] is not None:
            kind, *args = d["schedule"]
            window = r(d.get("schedule.flexible_window"))
            if kind == "daily":
                schedule = TransformSchedule.daily(hour=args[0], minute=args[1], flexible_window=window)
            elif kind == "rate":
                schedule = TransformSchedule.rate(args[0].make(), flexible_window=window)
            else:
                schedule = TransformSchedule.cron(args[0], flexible_window=window)
        optional = {
            k: r(d[k])
            for k in ("max_concurrent_transforms", "job_name_prefix", "job_timeout", "capacity_retries",
                      "capacity_retry_wait", "batch_strategy", "max_payload")
            if d[k] is not None
        }  # fmt: skip
        capture = d["data_capture.prefix"]
        return BatchTransform(
            stack,
            "Batch",
            model=model,
            input=TransformInput(
                bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket"), prefix=r(d["input.prefix"]),
                date_format=d["input.date_format"], date_offset=r(d["input.date_offset"]),
                content_type=d["input.content_type"], split_type=d["input.split_type"],
                compression=d["input.compression"],
            ),
            output=TransformOutput(
                bucket=s3.Bucket.from_bucket_name(stack, "Out", "output-bucket") if d["output.bucket"] else None,
                prefix=d["output.prefix"], accept=d["output.accept"], assemble_with=d["output.assemble_with"],
                expiration=r(d["output.expiration"]),
            ),
            instance_type=d["instance_type"],
            instance_count=r(d["instance_count"]),
            data_processing=DataProcessing(
                input_filter=d["data_processing.input_filter"], output_filter=d["data_processing.output_filter"],
                join_source=d["data_processing.join_source"],
            ),
            environment=r(d["environment"]),
            model_client=ModelClientOptions(
                invocations_timeout=r(d["model_client.invocations_timeout"]),
                invocations_max_retries=d["model_client.invocations_max_retries"],
            ),
            data_capture=BatchDataCapture(prefix=capture) if capture is not None else None,
            schedule=schedule,
            run_on_input_arrival=d["run_on_input_arrival"],
            **optional,
        )  # fmt: skip

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        states = definition_of(template)["States"]
        arguments = states["Transform"]["Arguments"]
        run_id = states["PlanRun"]["Assign"]["runId"]
        prefix = re.match(r"\{% '(.*?)-' & \$substring\(\$hash\(", run_id)
        assert prefix is not None, run_id
        if d["job_name_prefix"] is not None:
            assert prefix.group(1) == d["job_name_prefix"]
        job_name = f"{prefix.group(1)}-0123456789abcdef01234-01"
        assert len(job_name) <= 63
        request = json.loads(json.dumps(arguments))
        request["TransformJobName"] = job_name
        request["TransformInput"]["DataSource"]["S3DataSource"]["S3DataType"] = "S3Prefix"
        input_prefix = d["input.prefix"].value if isinstance(d["input.prefix"], Tok) else d["input.prefix"]
        request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] = (
            f"s3://input-bucket/{input_prefix}x/"
        )
        request["TransformOutput"]["S3OutputPath"] = f"s3://output-bucket/{d['output.prefix']}{job_name}"
        assert re.findall(r"\{%.*?%\}", json.dumps(request)) == []
        problems = case.tools["service_model"]("sagemaker", "CreateTransformJob", request)
        assert problems == [], problems
        resources_ = request["TransformResources"]
        assert resources_["InstanceType"] == d["instance_type"]
        count = d["instance_count"]
        assert resources_["InstanceCount"] == (count.value if isinstance(count, Tok) else count)
        assert request.get("MaxConcurrentTransforms") == d["max_concurrent_transforms"]
        if d["max_payload"] is not None:
            assert request["MaxPayloadInMB"] == d["max_payload"].kib // 1024
        assert request.get("BatchStrategy") == (d["batch_strategy"].value if d["batch_strategy"] else None)
        env = {k: v.value if isinstance(v, Tok) else v for k, v in d["environment"].items()}
        assert request.get("Environment", {}) == env
        transform_input = request["TransformInput"]
        if d["input.content_type"]:
            assert transform_input["ContentType"] == d["input.content_type"]
        if d["input.split_type"] is not None:
            assert transform_input["SplitType"] == d["input.split_type"].value
        if d["output.accept"]:
            assert request["TransformOutput"]["Accept"] == d["output.accept"]
        client = request.get("ModelClientConfig", {})
        if d["model_client.invocations_timeout"] is not None:
            assert client["InvocationsTimeoutInSeconds"] == int(d["model_client.invocations_timeout"].seconds)
        assert client.get("InvocationsMaxRetries") == d["model_client.invocations_max_retries"]
        processing = request.get("DataProcessing", {})
        assert processing.get("InputFilter") == (d["data_processing.input_filter"] or None)
        assert processing.get("OutputFilter") == (d["data_processing.output_filter"] or None)
        if d["data_capture.prefix"] is not None:
            destination = request["DataCaptureConfig"]["DestinationS3Uri"]
            assert destination.endswith("/" + d["data_capture.prefix"])
        timeout = d["job_timeout"].seconds if d["job_timeout"] is not None else 6 * 3600
        assert states["Transform"]["TimeoutSeconds"] == timeout
        if d["output.expiration"] is not None:
            days = d["output.expiration"].millis // 86_400_000
            rules = [rule for b in resources(template, "AWS::S3::Bucket")
                     for rule in b.get("LifecycleConfiguration", {}).get("Rules", [])]  # fmt: skip
            assert {"ExpirationInDays": days, "Status": "Enabled"} in rules
        if d["schedule"] is not None:
            schedule = only(template, "AWS::Scheduler::Schedule")
            window = d.get("schedule.flexible_window")
            expected_window = (
                {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": window.millis // 60_000}
                if window
                else {"Mode": "OFF"}
            )
            assert schedule["FlexibleTimeWindow"] == expected_window
            if d["schedule"][0] == "cron":
                assert schedule["ScheduleExpression"] == d["schedule"][1]

    case.build, case.verify, case.drawn = build, verify, d
    return case


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=8)
@given(data=st.data())
def test_batch_transform(
    clean: bool, data: st.DataObject, lint_template: Lint, service_model: ServiceModel
) -> None:
    case = data.draw(batch_cases(clean), label="case")
    case.tools["service_model"] = service_model
    check(case, lint_template)


# ------------------------------------------------------------------------------------------------ monitors

PROCESSING_TYPES = ["ml.m5.xlarge", "ml.m5.large", "ml.c5.xlarge", "ml.r5.2xlarge"]
BAD_PROCESSING_TYPES = ["ml.zz9.large", "ml.c5.large", "m5.xlarge", "ml.m5.xlarge\n", ""]
OFFSETS = st.one_of(st.integers(0, 24).map(lambda h: f"-PT{h}H"), st.integers(1, 30).map(lambda n: f"-P{n}D"))
BAD_OFFSETS = st.sampled_from(["PT1H", "-PT1H\n", "-PT\u0661H", "-P1W", "", "-PT1.5H"])
COLUMNS = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
BAD_COLUMNS = st.sampled_from(["Age", "1st", "a-b", "a b", "ünï", "age\n", ""])
MONITOR_KINDS = ["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]


def hours_of(offset: str) -> int:
    days = re.search(r"([0-9]+)D", offset)
    hours = re.search(r"T([0-9]+)H", offset)
    return (int(days.group(1)) if days else 0) * 24 + (int(hours.group(1)) if hours else 0)


@st.composite
def schedules(draw: st.DrawFn, case: Case) -> tuple[Any, ...]:
    """``(kind, args...)`` of a MonitoringSchedule; records a bad one."""
    good = st.one_of(
        st.just(("hourly",)),
        st.tuples(st.just("daily"), st.integers(0, 23)),
        st.tuples(st.just("every_n_hours"), st.integers(1, 23), st.integers(0, 23)),
        st.tuples(st.just("expression"), st.sampled_from(["cron(0 * ? * * *)", "cron(0 5 ? * * *)", "cron(0 2/6 ? * * *)"])),
    )  # fmt: skip
    bad = st.one_of(
        st.tuples(st.just("daily"), st.sampled_from([24, -1, 100])),
        st.tuples(st.just("every_n_hours"), st.sampled_from([0, 24]), st.just(0)),
        st.tuples(st.just("expression"), st.sampled_from(
            ["cron(0 \u0663 ? * * *)", "cron(0 * * * * *)", "rate(1 hour)", "cron(0 5 ? * * *)\n", "", "NOW"])),
    )  # fmt: skip
    schedule, is_bad = pick(draw, case, good, bad)
    if is_bad:
        case.add(0, q("schedule"))
        return schedule  # type: ignore[no-any-return]
    if draw(st.integers(0, 4)) == 0:
        end, end_bad = pick(draw, case, OFFSETS, BAD_OFFSETS)
        # A clean window ends after it starts, and spans at most 24 hours.
        low = 0 if end_bad else hours_of(end)
        windows = st.integers(low, low + 24).map(lambda h: f"-PT{h}H") if case.clean else OFFSETS
        start, start_bad = pick(draw, case, windows, BAD_OFFSETS)
        if start_bad:
            case.add(0, q("schedule.start"))
        if end_bad:
            case.add(0, q("schedule.end"))
        if not start_bad and not end_bad:
            span = hours_of(start) - hours_of(end)
            if span < 0 or span > 24:
                case.add(0, q("schedule"))
        return ("now", start, end)
    return schedule  # type: ignore[no-any-return]


def render_schedule(spec: tuple[Any, ...]) -> MonitoringSchedule:
    kind, *args = spec
    if kind == "hourly":
        return MonitoringSchedule.hourly()
    if kind == "daily":
        return MonitoringSchedule.daily(hour=args[0])
    if kind == "every_n_hours":
        return MonitoringSchedule.every_n_hours(args[0], starting_hour=args[1])
    if kind == "now":
        return MonitoringSchedule.now(start=args[0], end=args[1])
    return MonitoringSchedule.from_expression(args[0])


def is_hourly(spec: tuple[Any, ...]) -> bool:
    return spec in (("hourly",), ("expression", "cron(0 * ? * * *)")) or (
        spec[0] == "every_n_hours" and spec[1] == 1
    )


def attributes(
    draw: st.DrawFn,
    case: Case,
    d: dict[str, Any],
    names: Sequence[str],
    *,
    required: Sequence[str] = (),
    absent: Sequence[str] = (),
) -> None:
    """Where a monitor finds data in records; a clean draw has the ``required`` ones and not the ``absent``."""
    for name in names:
        good = st.sampled_from(["0", "$.score", "a" * 256]) | texts(12).filter(bool)
        if case.clean and name in absent:
            good = st.none()
        elif not (case.clean and name in required):
            good = st.none() | good
        d[name], bad = pick(draw, case, good, st.just("a" * 257))
        if bad:
            case.add(0, q(name))


@st.composite
def bias_config(draw: st.DrawFn, case: Case) -> BiasAnalysisConfig:
    headers, bad = pick(
        draw, case, st.lists(COLUMNS, min_size=2, max_size=6, unique=True),
        st.lists(COLUMNS, min_size=2, max_size=4, unique=True).flatmap(
            lambda h: BAD_COLUMNS.map(lambda b: [*h, b])),
    )  # fmt: skip
    if bad:
        case.add(0, q("analysis_config.headers"))
    label = draw(st.sampled_from(headers[:2]))
    facets = []
    for h in [h for h in headers if h != label][:2]:
        # An empty list names no sensitive group (the SDK would render "value_or_threshold": []): rejected.
        facet_values, bad = pick(draw, case, st.none() | st.lists(st.integers(0, 99), min_size=1, max_size=2),
                                 st.just([]))  # fmt: skip
        if bad:
            case.add(0, "values_or_threshold of")
        facets.append(Facet(name=h, values_or_threshold=facet_values))
    values, bad = pick(
        draw, case, st.lists(st.one_of(st.integers(-10, 10), st.floats(-1e6, 1e6), texts(8)), min_size=1, max_size=3),
        st.sampled_from([[], [math.nan], [math.inf], [1, -math.inf]]),
    )  # fmt: skip
    if bad:
        case.add(0, q("analysis_config.label_values_or_threshold"))
    threshold, bad = pick(draw, case, st.none() | st.floats(0, 1), st.sampled_from([-0.1, 1.1, math.nan]))
    if bad:
        case.add(0, q("analysis_config.probability_threshold"))
    return BiasAnalysisConfig(
        headers=headers, label=label, label_values_or_threshold=values, facets=facets, probability_threshold=threshold,
        post_training_methods=draw(st.sampled_from(["all", ["DPPL", "DI"]])),
    )  # fmt: skip


@st.composite
def shap_config(draw: st.DrawFn, case: Case) -> ExplainabilityAnalysisConfig:
    headers, bad = pick(
        draw, case, st.lists(COLUMNS, min_size=1, max_size=5, unique=True),
        st.lists(COLUMNS, min_size=1, max_size=3, unique=True).flatmap(
            lambda h: BAD_COLUMNS.map(lambda b: [*h, b])),
    )  # fmt: skip
    if bad:
        case.add(0, q("analysis_config.headers"))
    row = st.one_of(st.integers(-100, 100), st.floats(-1e9, 1e9), texts(6))
    baseline, bad = pick(
        draw, case, st.lists(st.lists(row, min_size=len(headers), max_size=len(headers)), min_size=1, max_size=2),
        st.sampled_from([[], [[math.nan] * len(headers)], [[0] * (len(headers) + 1)]]),
    )  # fmt: skip
    if bad:
        case.add(0, q("analysis_config.shap_baseline"))
    samples, bad = pick(draw, case, counts(1, 100_000), bad_counts(1))
    if bad:
        case.add(0, q("analysis_config.num_samples"))
    return ExplainabilityAnalysisConfig(
        headers=headers, shap_baseline=baseline, num_samples=samples,
        agg_method=draw(st.sampled_from(ShapAggregation)), use_logit=draw(st.booleans()),
        seed=draw(st.none() | st.integers(0, 2**31 - 1)),
    )  # fmt: skip


@st.composite
def monitor_cases(draw: st.DrawFn, kind: str, clean: bool) -> Case:
    case = Case(f"{kind}Monitor", lambda s, r: None, [[]], clean=clean)
    d: dict[str, Any] = {"kind": kind, "target": draw(st.sampled_from(["endpoint", "batch"]))}

    def prop(name: str, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> None:
        d[name], is_bad = pick(draw, case, good, bad)
        if is_bad:
            case.add(0, q(name))

    d["schedule"] = draw(schedules(case))
    prop(
        "job.instance_type",
        st.sampled_from(PROCESSING_TYPES),
        st.sampled_from([*BAD_PROCESSING_TYPES, WrongType(["ml.m5.xlarge"])]),
    )
    prop(
        "job.instance_count",
        counts(1, 100) | st.builds(Tok, counts(1, 100), st.just("param")),
        bad_counts(1, 100),
    )
    volumes = st.one_of(st.integers(1, 16384).map(Sz), st.sampled_from([Sz(1, "tebibytes"), Sz(16, "tebibytes")]),
                        st.integers(1, 100).map(lambda g: Sz(g * 1024, "mebibytes")))  # fmt: skip
    prop(
        "job.volume_size",
        volumes,
        st.sampled_from([Sz(0), Sz(16385), Sz(1, "kibibytes"), Sz(1536, "mebibytes")]),
    )
    limited = kind in ("ModelQuality", "ModelBias") and is_hourly(d["schedule"])
    prop(
        "job.max_runtime",
        whole_durations(1, 1800 if limited and case.clean else 86400),
        bad_durations(1, 86400),
    )
    runtime = d["job.max_runtime"]
    if limited and q("job.max_runtime") not in case.phases[0] and runtime.seconds > 1800:
        case.add(0, q("job.max_runtime"))
    prop("job.environment", *environments(max_vars=50, key_max=256, value_max=256, value_min=1))
    d["output.bucket"] = draw(st.booleans())
    prop(
        "output.prefix",
        st.none() | s3_prefixes(trailing_slash=False) | st.just("o" * 443),
        st.sampled_from(["", "/x", "x/", "/", "x\ny", "o" * 444]),
    )
    d["output.publish_cloudwatch_metrics"] = draw(st.booleans())
    d["job.network_isolation"] = draw(st.booleans())
    d["job.inter_container_encryption"] = draw(st.booleans())
    if kind == "DataQuality":
        prop("exclude_features_attribute", st.none() | st.sampled_from(["a,b", "x" * 100]) | texts(10),
             st.just("x" * 101))  # fmt: skip
        d["baseline"] = draw(st.sampled_from([None, "both", "statistics", "constraints"]))
        if d["baseline"] == "constraints":
            case.add(0, q("baseline.statistics"))
    if kind in ("ModelQuality", "ModelBias"):
        prop(
            "ground_truth.prefix",
            s3_prefixes(trailing_slash=False) | st.just("g" * 443),
            st.sampled_from(["", "/x", "x/", "x\x85y", "g" * 444]),
        )
        prop("start_time_offset", st.none() | OFFSETS, BAD_OFFSETS)
        prop("end_time_offset", st.none() | OFFSETS, BAD_OFFSETS)
    if kind == "ModelQuality":
        d["problem_type"] = draw(st.sampled_from(ProblemType))
        regression = d["problem_type"] is ProblemType.REGRESSION
        absent = ["probability_attribute"] if regression else []
        attributes(draw, case, d, ["inference_attribute", "probability_attribute"], required=["inference_attribute"],
                   absent=absent)  # fmt: skip
        thresholds = st.none() | st.floats(0, 1)
        if case.clean and (regression or d["probability_attribute"] is None):
            thresholds = st.none()
        prop("probability_threshold_attribute", thresholds, st.sampled_from([-0.5, 1.5, math.nan]))
        inference, probability = d["inference_attribute"], d["probability_attribute"]
        threshold = d["probability_threshold_attribute"]
        if d["problem_type"] is ProblemType.REGRESSION:
            if inference is None:
                case.add(0, q("inference_attribute"))
            if probability is not None or threshold is not None:
                case.add(0, q("probability_attribute"))
        elif inference is None and probability is None:
            case.add(0, q("inference_attribute"))
        if threshold is not None and probability is None:
            case.add(0, q("probability_threshold_attribute"))
        binary = d["problem_type"] is ProblemType.BINARY_CLASSIFICATION
        if binary and probability is not None and inference is None and threshold is None:
            case.add(0, q("probability_threshold_attribute"))
    if kind in ("ModelBias", "ModelExplainability"):
        required = ["inference_attribute"] if kind == "ModelBias" else []
        names = ["features_attribute", "inference_attribute", "probability_attribute"]
        attributes(draw, case, d, names, required=required)
    if kind == "ModelBias":
        d["analysis_config"] = draw(bias_config(case))
        prop(
            "probability_threshold_attribute",
            st.none() | st.floats(0, 1),
            st.sampled_from([-0.5, 1.5, math.nan]),
        )
        if d["inference_attribute"] is None and d["probability_attribute"] is None:
            case.add(0, "needs 'inference_attribute' or 'probability_attribute'")
    if kind == "ModelExplainability":
        d["analysis_config"] = draw(shap_config(case))
        # The sample Model's name is generated at deploy time, so Clarify's shadow model must be named.
        needs_shadow = True
        names = sagemaker_names() if needs_shadow else st.none() | sagemaker_names()
        prop("shadow_model_name", names, bad_sagemaker_names())
        if needs_shadow and d["shadow_model_name"] is None:
            case.add(0, q("shadow_model_name"))

    def build(stack: Stack, r: Realize) -> Any:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        if d["target"] == "endpoint":
            endpoint = Endpoint(stack, "Endpoint", variants=[ProductionVariant("v", model=model)],
                                data_capture=DataCapture(), endpoint_name="churn")  # fmt: skip
            source = MonitorSource.endpoint(endpoint)
        else:
            bucket = s3.Bucket.from_bucket_name(stack, "In", "input-bucket")
            transform = BatchTransform(stack, "Batch", model=model, input=TransformInput(bucket=bucket),
                                       data_capture=BatchDataCapture())  # fmt: skip
            source = MonitorSource.batch_transform(transform)
        files = s3.Bucket.from_bucket_name(stack, "Files", "monitoring-files")
        job = MonitoringJob(
            instance_type=d["job.instance_type"],
            instance_count=r(d["job.instance_count"]),
            volume_size=made(d["job.volume_size"]),
            max_runtime=made(d["job.max_runtime"]),
            environment=r(d["job.environment"]),
            network_isolation=d["job.network_isolation"],
            inter_container_encryption=d["job.inter_container_encryption"],
        )
        output = MonitoringOutput(
            bucket=s3.Bucket.from_bucket_name(stack, "Reports", "reports-bucket")
            if d["output.bucket"]
            else None,
            prefix=d["output.prefix"],
            publish_cloudwatch_metrics=d["output.publish_cloudwatch_metrics"],
        )
        common = {"source": source, "schedule": render_schedule(d["schedule"]), "job": job, "output": output}
        ground_truth = (
            GroundTruth(
                s3.Bucket.from_bucket_name(stack, "Labels", "labels-bucket"), d["ground_truth.prefix"]
            )
            if "ground_truth.prefix" in d
            else None
        )
        offsets = {k: d[k] for k in ("start_time_offset", "end_time_offset") if k in d}
        attrs = {
            k: d[k] for k in ("features_attribute", "inference_attribute", "probability_attribute") if k in d
        }
        if kind == "DataQuality":
            baseline = None
            if d["baseline"] is not None:
                baseline = Baseline(
                    statistics=S3Source.from_bucket(files, "statistics.json") if d["baseline"] != "constraints" else None,
                    constraints=S3Source.from_bucket(files, "constraints.json") if d["baseline"] != "statistics" else None,
                )  # fmt: skip
            return DataQualityMonitor(stack, "Monitor", exclude_features_attribute=d["exclude_features_attribute"],
                                      baseline=baseline, **common)  # fmt: skip
        if kind == "ModelQuality":
            return ModelQualityMonitor(
                stack, "Monitor", problem_type=d["problem_type"], ground_truth=ground_truth,
                probability_threshold_attribute=d["probability_threshold_attribute"], **attrs, **offsets, **common,
            )  # fmt: skip
        if kind == "ModelBias":
            return ModelBiasMonitor(
                stack, "Monitor", analysis_config=d["analysis_config"], ground_truth=ground_truth,
                probability_threshold_attribute=d["probability_threshold_attribute"], **attrs, **offsets, **common,
            )  # fmt: skip
        return ModelExplainabilityMonitor(stack, "Monitor", analysis_config=d["analysis_config"],
                                          shadow_model_name=d["shadow_model_name"], **attrs, **common)  # fmt: skip

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        definition_type = f"AWS::SageMaker::{kind}JobDefinition"
        job = only(template, definition_type)
        cluster = job["JobResources"]["ClusterConfig"]
        assert cluster["InstanceType"] == d["job.instance_type"]
        assert cluster["InstanceCount"] == r.rendered(d["job.instance_count"])
        assert cluster["VolumeSizeInGB"] == d["job.volume_size"].kib // 1024**2
        assert job["StoppingCondition"]["MaxRuntimeInSeconds"] == int(d["job.max_runtime"].seconds)
        app = job[f"{kind}AppSpecification"]
        environment = {k: r.rendered(v) for k, v in d["job.environment"].items()}
        publish = "Enabled" if d["output.publish_cloudwatch_metrics"] else "Disabled"
        assert app["Environment"] == {"publish_cloudwatch_metrics": publish, **environment}
        job_input = job[f"{kind}JobInput"]
        source = job_input["EndpointInput" if d["target"] == "endpoint" else "BatchTransformInput"]
        for name, key in (("exclude_features_attribute", "ExcludeFeaturesAttribute"),
                          ("features_attribute", "FeaturesAttribute"), ("inference_attribute", "InferenceAttribute"),
                          ("probability_attribute", "ProbabilityAttribute"), ("start_time_offset", "StartTimeOffset"),
                          ("end_time_offset", "EndTimeOffset")):  # fmt: skip
            if name in d:
                assert source.get(key) == d[name], (name, source)
        if "ground_truth.prefix" in d:
            assert (
                job_input["GroundTruthS3Input"]["S3Uri"] == f"s3://labels-bucket/{d['ground_truth.prefix']}"
            )
        output = job[f"{kind}JobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"]
        if d["output.prefix"] is not None:
            uri = output if isinstance(output, str) else output["Fn::Join"][1][-1]
            assert uri.endswith("/" + d["output.prefix"])
        schedule = only(template, "AWS::SageMaker::MonitoringSchedule")["MonitoringScheduleConfig"]
        assert schedule["ScheduleConfig"]["ScheduleExpression"] == render_schedule(d["schedule"]).expression
        if kind in ("ModelBias", "ModelExplainability"):
            config = d["analysis_config"]
            rendered = config.to_json() if kind == "ModelBias" else config.to_json({"endpoint_name": "churn"})
            json.dumps(rendered, allow_nan=False)  # the uploaded config is JSON (no NaN or Infinity)

    case.build, case.verify, case.drawn = build, verify, d
    return case


@pytest.mark.parametrize("kind", MONITOR_KINDS)
@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=4)
@given(data=st.data())
def test_monitor(kind: str, clean: bool, data: st.DataObject, lint_template: Lint) -> None:
    check(data.draw(monitor_cases(kind, clean), label="case"), lint_template)


# ---------------------------------------------------------------------------------------------- pipelines

PIPELINE_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}"
PARAMETER_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,255}"


@st.composite
def pipeline_cases(draw: st.DrawFn, clean: bool) -> Case:
    case = Case("SageMakerPipeline", lambda s, r: None, [[]], clean=clean)
    d: dict[str, Any] = {}

    def prop(
        name: str, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], fragment: str | None = None
    ) -> None:
        d[name], is_bad = pick(draw, case, good, bad)
        if is_bad:
            case.add(0, fragment or q(name))

    names = st.from_regex(r"[a-zA-Z0-9](-{0,2}[a-zA-Z0-9]){0,20}", fullmatch=True) | st.just("p" * 256)
    prop("pipeline_name", st.none() | names | st.builds(Tok, names, st.just("param")),
         st.sampled_from(["", "a_b", "p" * 257, "a\n", "-a", "ünï"]))  # fmt: skip
    prop(
        "description", st.none() | texts(40) | st.just("d" * 3072) | st.just("ünï\nline"), st.just("d" * 3073)
    )
    prop("max_parallel_steps", st.none() | counts(1), bad_counts(1))
    parameters = st.lists(st.from_regex(PARAMETER_NAME, fullmatch=True).filter(lambda n: len(n) <= 40),
                          max_size=4, unique=True)  # fmt: skip
    parameter_names, bad = pick(draw, case, parameters, st.just(["A", "A"]))
    if bad:
        case.add(0, "'definition' parameter names must be unique")
    definition: dict[str, Any] = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": n, "Type": "String", "DefaultValue": ""} for n in parameter_names],
        "Steps": [],
    }
    if chance(draw, case, 10):
        del definition[draw(st.sampled_from(["Version", "Steps"]))]
        case.add(0, q("definition"))
    elif chance(draw, case, 10):
        definition["Parameters"] = [*definition["Parameters"], draw(st.sampled_from(["x", 1, None, ["y"]]))]
        case.add(0, q("definition"))
    d["definition"] = definition

    def build(stack: Stack, r: Realize) -> SageMakerPipeline:
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        return SageMakerPipeline(
            stack, "Pipeline", definition=definition, role=role, pipeline_name=r(d["pipeline_name"]),
            description=d["description"], max_parallel_steps=d["max_parallel_steps"],
        )  # fmt: skip

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        pipeline = only(template, "AWS::SageMaker::Pipeline")
        if d["pipeline_name"] is not None:
            assert pipeline["PipelineName"] == r.rendered(d["pipeline_name"])
        assert pipeline.get("PipelineDescription") == d["description"]
        steps = d["max_parallel_steps"]
        expected = {"MaxParallelExecutionSteps": steps} if steps is not None else None
        assert pipeline.get("ParallelismConfiguration") == expected
        assert json.loads(pipeline["PipelineDefinition"]["PipelineDefinitionBody"]) == definition

    case.build, case.verify, case.drawn = build, verify, d
    return case


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=6)
@given(data=st.data())
def test_sagemaker_pipeline(clean: bool, data: st.DataObject, lint_template: Lint) -> None:
    check(data.draw(pipeline_cases(clean), label="case"), lint_template)


@st.composite
def trigger_cases(draw: st.DrawFn, clean: bool) -> Case:
    case = Case("RetrainingTrigger", lambda s, r: None, [[]], clean=clean)
    d: dict[str, Any] = {}

    def prop(name: str, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> None:
        d[name], is_bad = pick(draw, case, good, bad)
        if is_bad:
            case.add(0, q(name))

    names = st.lists(st.from_regex(PARAMETER_NAME, fullmatch=True).filter(lambda n: len(n) <= 30) | st.just("P" * 256),
                     min_size=0, max_size=4, unique=True)  # fmt: skip
    declared = draw(names)
    split = draw(st.integers(0, len(declared)))
    values = st.one_of(texts(20), st.just(""), st.just("v" * 1024), st.builds(Tok, texts(10)))
    static = {n: draw(values) for n in declared[:split]}
    dynamic = {n: draw(st.sampled_from(IncidentField)) for n in declared[split:]}
    if chance(draw, case, 8):
        static[draw(st.sampled_from(["", "-x", "a b", "x\n", "P" * 257, "ünï"]))] = "v"
        case.add(0, "pipeline parameter names must match")
    if declared and chance(draw, case, 8):
        name = declared[-1]
        static[name], dynamic[name] = "v", IncidentField.REASON
        case.add(0, "a parameter is either static or from the event")
    if chance(draw, case, 8):
        static[draw(st.sampled_from(declared or ["Team"]))] = "v" * 1025
        case.add(0, "'static_parameters[")
    d["static_parameters"], d["event_parameters"] = static, dynamic
    # Lambda's 4 KB for all environment variables: 3072 bytes are left to the two parameter variables.
    known = {k: "" if isinstance(v, Tok) else v for k, v in static.items()}
    env_size = (
        len("STATIC_PIPELINE_PARAMETERS") + len("EVENT_PIPELINE_PARAMETERS")
        + len(json.dumps(known, sort_keys=True, ensure_ascii=False).encode())
        + len(json.dumps({k: v.value for k, v in dynamic.items()}, sort_keys=True).encode())
    )  # fmt: skip
    if env_size > 3072:
        case.add(0, "'static_parameters' and 'event_parameters' must fit in 3072 bytes")
    d["imported"] = draw(st.booleans())
    if not d["imported"] and (set(static) | set(dynamic)) - set(declared):
        case.add(0, "are not declared by the pipeline")
    prop("cooldown", st.none() | whole_durations(0, 86400 * 30), bad_durations(0, 86400 * 30))
    # Lambda retries asynchronous events for at most 6 hours; an incident is remembered at least that long.
    prop("max_event_age", st.none() | whole_durations(60, 21600), bad_durations(60, 21600))
    age = d["max_event_age"].seconds if d["max_event_age"] is not None else 21600
    shortest = 60 if not case.clean or q("max_event_age") in case.phases[0] else max(60, math.ceil(age))
    prop("idempotency_ttl", st.none() | whole_durations(shortest, 86400 * 30), bad_durations(60, 86400 * 30))
    ttl = d["idempotency_ttl"].seconds if d["idempotency_ttl"] is not None else 86400
    ages_known = all(x is None or x.whole_seconds for x in (d["max_event_age"], d["idempotency_ttl"]))
    if ages_known and ttl < age:
        case.add(0, "'idempotency_ttl' must be at least 'max_event_age'")
    prop("retry_attempts", st.none() | st.integers(0, 185), bad_counts(0, 185))
    prop("powertools_version", st.none() | st.sampled_from(["3.37.0", "10.0.12"]),
         st.sampled_from(["3.37", "v3.37.0", "\uff13.37.0", "3.37.0\n", ""]))  # fmt: skip
    d["schedule"] = draw(st.sampled_from([None, "rate", "cron"]))

    def build(stack: Stack, r: Realize) -> RetrainingTrigger:
        definition = {"Version": "2020-12-01", "Steps": [],
                      "Parameters": [{"Name": n, "Type": "String"} for n in declared]}  # fmt: skip
        if d["imported"]:
            pipeline: Any = SageMakerPipeline.from_pipeline_name(stack, "Pipeline", "churn-retraining")
        else:
            role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
            pipeline = SageMakerPipeline(stack, "Pipeline", definition=definition, role=role)
        schedule = {
            None: None,
            "rate": events.Schedule.rate(Duration.hours(12)),
            "cron": events.Schedule.cron(week_day="SUN", hour="2", minute="0"),
        }[d["schedule"]]
        optional = {k: r(d[k]) for k in ("cooldown", "idempotency_ttl", "max_event_age", "retry_attempts",
                                        "powertools_version") if d[k] is not None}  # fmt: skip
        return RetrainingTrigger(stack, "Trigger", pipeline=pipeline, static_parameters=r(static),
                                 event_parameters=dynamic, schedule=schedule, **optional)  # fmt: skip

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        (function,) = [f for f in resources(template, "AWS::Lambda::Function") if "Environment" in f]
        env = function["Environment"]["Variables"]
        cooldown = int(d["cooldown"].seconds) if d["cooldown"] is not None else 6 * 3600
        assert env["COOLDOWN_SECONDS"] == str(cooldown)
        ttl = int(d["idempotency_ttl"].seconds) if d["idempotency_ttl"] is not None else 86400
        assert env["IDEMPOTENCY_TTL_SECONDS"] == str(ttl)
        assert json.loads(env["EVENT_PIPELINE_PARAMETERS"]) == {k: v.value for k, v in dynamic.items()}
        statics = {k: v.value if isinstance(v, Tok) else v for k, v in static.items()}
        assert json.loads(env["STATIC_PIPELINE_PARAMETERS"]) == statics
        age = int(d["max_event_age"].seconds) if d["max_event_age"] is not None else 6 * 3600
        invoke = only(template, "AWS::Lambda::EventInvokeConfig")
        assert invoke["MaximumEventAgeInSeconds"] == age
        if d["schedule"] is not None:
            (rule,) = [
                rule for rule in resources(template, "AWS::Events::Rule") if "ScheduleExpression" in rule
            ]
            retry = rule["Targets"][0]["RetryPolicy"]
            attempts = d["retry_attempts"] if d["retry_attempts"] is not None else 10
            assert retry == {"MaximumEventAgeInSeconds": age, "MaximumRetryAttempts": attempts}

    case.build, case.verify, case.drawn = build, verify, d
    return case


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=5)
@given(data=st.data())
def test_retraining_trigger(clean: bool, data: st.DataObject, lint_template: Lint) -> None:
    check(data.draw(trigger_cases(clean), label="case"), lint_template)


# ------------------------------------------------------------------------------------ asynchronous endpoints

ASYNC_PREFIX = st.one_of(
    st.from_regex(r"[a-z0-9]{1,12}(/[a-z0-9._-]{1,12}){0,3}", fullmatch=True),
    st.sampled_from(["async-out", "ünï/x", "a" * 443, "(x)/y"]),
)
BAD_ASYNC_PREFIX = st.sampled_from(["", "/lead", "trail/", "a\nb", "a\u2028b", "a" * 444])


@st.composite
def async_cases(draw: st.DrawFn, clean: bool) -> Case:
    case = Case("Endpoint (asynchronous)", lambda s, r: None, [[]], clean=clean)
    d: dict[str, Any] = {}

    def prop(name: str, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> None:
        d[name], is_bad = pick(draw, case, good, bad)
        if is_bad:
            case.add(0, q(f"async_inference.{name}"))

    prop("max_concurrent_invocations_per_instance", st.none() | counts(1, 1000), bad_counts(1, 1000))
    prop("output_prefix", ASYNC_PREFIX, BAD_ASYNC_PREFIX)
    prop("failure_prefix", st.none() | ASYNC_PREFIX, BAD_ASYNC_PREFIX)
    prop("expiration", st.none() | st.integers(1, 3650).map(lambda n: Dur(n, "days")),
         st.sampled_from([Dur(36, "hours"), Dur(0), Dur(1500, "millis")]))  # fmt: skip
    d["topics"] = draw(st.sampled_from(["none", "success", "error", "both"]))
    responses = draw(st.lists(st.sampled_from(IncludeInferenceResponseIn), max_size=2, unique=True))
    d["include_inference_response_in"] = responses
    has = {"success": d["topics"] in ("success", "both"), "error": d["topics"] in ("error", "both")}
    for entry in responses:
        if not has["success" if entry is IncludeInferenceResponseIn.SUCCESS_NOTIFICATION_TOPIC else "error"]:
            case.add(0, q("async_inference.include_inference_response_in"))
    if chance(draw, case, 6):
        d["shadow"] = True  # asynchronous endpoints take no shadow variant
        case.add(0, "'shadow_variant'")
    else:
        d["shadow"] = False
    d["min_capacity"] = draw(st.sampled_from([None, 0, 1]))

    def build(stack: Stack, r: Realize) -> Endpoint:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
                      model_data=ModelData.from_asset(SAMPLE_MODEL))  # fmt: skip
        topics = {kind: NotificationTopic(stack, f"{kind}Topic", description=kind).topic
                  for kind in ("success", "error") if has[kind]}  # fmt: skip
        settings_ = {k: r(d[k]) for k in ("max_concurrent_invocations_per_instance", "expiration")
                     if d[k] is not None}  # fmt: skip
        config = AsyncInference(
            output_prefix=d["output_prefix"], failure_prefix=d["failure_prefix"],
            success_topic=topics.get("success"), error_topic=topics.get("error"),
            include_inference_response_in=d["include_inference_response_in"], **settings_,
        )  # fmt: skip
        endpoint = Endpoint(
            stack, "Endpoint", variants=[ProductionVariant("v", model=model)], async_inference=config,
            shadow_variant=ProductionVariant("shadow", model=model) if d["shadow"] else None,
        )  # fmt: skip
        if d["min_capacity"] is not None:
            scaling = endpoint.variant("v").auto_scale(min_capacity=d["min_capacity"], max_capacity=2)
            scaling.on_backlog_size_per_instance(5)
            if d["min_capacity"] == 0:
                scaling.scale_out_from_zero()
        return endpoint

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        config = only(template, "AWS::SageMaker::EndpointConfig")["AsyncInferenceConfig"]
        output = config["OutputConfig"]
        assert output["S3OutputPath"]["Fn::Join"][1][-1].endswith("/" + d["output_prefix"])
        assert ("S3FailurePath" in output) == (d["failure_prefix"] is not None)
        concurrency = d["max_concurrent_invocations_per_instance"]
        assert config.get("ClientConfig", {}).get("MaxConcurrentInvocationsPerInstance") == concurrency
        notification = output.get("NotificationConfig", {})
        assert ("SuccessTopic" in notification) == has["success"]
        assert ("ErrorTopic" in notification) == has["error"]
        included = notification.get("IncludeInferenceResponseIn", [])
        assert sorted(included) == sorted(e.value for e in d["include_inference_response_in"])
        if d["min_capacity"] is not None:
            target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")
            assert target["MinCapacity"] == d["min_capacity"]

    case.build, case.verify, case.drawn = build, verify, d
    return case


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=5)
@given(data=st.data())
def test_asynchronous_endpoint(clean: bool, data: st.DataObject, lint_template: Lint) -> None:
    check(data.draw(async_cases(clean), label="case"), lint_template)


# ----------------------------------------------------------------------------------------- OperationsDashboard

DASHBOARD_NAME = r"[A-Za-z0-9_-]{1,255}"


@st.composite
def dashboard_cases(draw: st.DrawFn, clean: bool) -> Case:
    case = Case("OperationsDashboard", lambda s, r: None, [[]], clean=clean)
    d: dict[str, Any] = {}
    good_names = st.one_of(
        st.none(),
        st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
        st.just("d" * 255),
        st.builds(Tok, st.from_regex(r"[a-z]{1,10}", fullmatch=True)),
    )
    bad_names = st.one_of(
        st.sampled_from(["", "a b", "ops!", "d" * 256, "ops\n", "ünï", "a/b"]),
        texts(40).filter(lambda n: re.fullmatch(DASHBOARD_NAME, n) is None),
    )
    d["dashboard_name"], bad = pick(draw, case, good_names, bad_names)
    if bad:
        case.add(0, q("dashboard_name"))
    minutes = st.one_of(st.sampled_from([5, 455 * 1440]), st.integers(5, 455 * 1440))
    good_ranges = st.none() | minutes.flatmap(
        lambda n: st.sampled_from(
            [Dur(n, "minutes"), Dur(n * 60)]
            + ([Dur(n // 60, "hours")] if n % 60 == 0 else [])
            + ([Dur(n // 1440, "days")] if n % 1440 == 0 else [])
        )
    )
    bad_ranges = st.one_of(
        bad_durations(300, 455 * 86400), st.integers(301, 10_000).filter(lambda n: n % 60).map(Dur)
    )
    d["time_range"], bad = pick(draw, case, good_ranges, bad_ranges)
    if bad:
        case.add(0, q("time_range"))
    features = st.lists(
        texts(20).filter(lambda f: f.strip() != "") | st.builds(Tok, st.just("age")), min_size=1, max_size=4,
        unique_by=lambda f: f.value if isinstance(f, Tok) else f,
    )  # fmt: skip
    bad_features = st.sampled_from([[], ["age", "age"], [""], [" "], ["age", "\t"]])
    d["features"], bad = pick(draw, case, features, bad_features)
    if bad:
        case.add(1, q("features"))
    metrics = st.none() | st.lists(st.sampled_from(["auc", "f1", "accuracy", "recall", "au_prc"]), min_size=1,
                                   max_size=3, unique=True)  # fmt: skip
    bad_metrics = st.sampled_from([[], ["rmse"], ["auc", "auc"], ["AUC"], [""]])
    d["metrics"], bad = pick(draw, case, metrics, bad_metrics)
    if bad:
        case.add(2, q("metrics"))

    def build(stack: Stack, r: Realize) -> OperationsDashboard:
        model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
                      model_data=ModelData.from_asset(SAMPLE_MODEL))  # fmt: skip
        endpoint = Endpoint(stack, "Endpoint", variants=[ProductionVariant("v", model=model)],
                            data_capture=DataCapture())  # fmt: skip
        data_quality = DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(endpoint))
        labels = s3.Bucket.from_bucket_name(stack, "Labels", "labels")
        quality = ModelQualityMonitor(stack, "Quality", source=MonitorSource.endpoint(endpoint), probability_attribute="0",
                                      problem_type=ProblemType.BINARY_CLASSIFICATION,
                                      probability_threshold_attribute=0.5,
                                      ground_truth=GroundTruth(labels, "labels"))  # fmt: skip
        optional = {k: r(d[k]) for k in ("dashboard_name", "time_range") if d[k] is not None}
        dashboard = OperationsDashboard(stack, "Dashboard", **optional)
        dashboard.add_endpoint(endpoint)
        dashboard.add_data_quality_monitor(data_quality, features=[r(f) for f in d["features"]])
        dashboard.add_model_quality_monitor(quality, metrics=d["metrics"])
        return dashboard

    def verify(template: dict[str, Any], r: Realize, built: Any) -> None:
        dashboard = only(template, "AWS::CloudWatch::Dashboard")
        name = d["dashboard_name"]
        expected = None if name is None else name.value if isinstance(name, Tok) else name
        assert dashboard.get("DashboardName") == expected
        text = json.dumps(dashboard["DashboardBody"])
        # One drift and one non-null metric per feature, names kept as given (escaping aside).
        assert text.count("feature_baseline_drift_") == len(d["features"])
        assert text.count("feature_non_null_") == len(d["features"])
        for metric in d["metrics"] or ["auc", "f1", "accuracy", "precision", "recall"]:
            assert f'\\"title\\":\\"{metric}\\"' in text

    case.build, case.verify, case.drawn = build, verify, d
    return case


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "adversarial"])
@settings(PROPERTY, max_examples=4)
@given(data=st.data())
def test_operations_dashboard(clean: bool, data: st.DataObject, lint_template: Lint) -> None:
    check(data.draw(dashboard_cases(clean), label="case"), lint_template)


# ----------------------------------------------------------------------------------------------- factories


@st.composite
def factory_cases(draw: st.DrawFn) -> tuple[str, Any, bool]:
    """``(factory, argument, is_bad)`` for the named constructors that check their arguments."""
    factory = draw(st.sampled_from(["image_uri", "model_data", "s3_source", "daily", "rate", "model_name",
                                    "endpoint_name", "pipeline_name"]))  # fmt: skip
    any_text = texts(80) | st.sampled_from(["", "x" * 255, "x" * 256, "a\n", "/a", "a/", "ünï", "a b"])
    if factory == "image_uri":
        value = draw(any_text)
        return factory, value, re.fullmatch(r"\S{1,255}", value) is None
    if factory == "model_data":
        value = draw(any_text | st.sampled_from(["m" * 955, "m" * 956]))  # ModelDataUrl: 1024 with any bucket
        return factory, value, value == "" or value.startswith("/") or breaks(value) or len(value) > 955
    if factory == "s3_source":
        value = draw(any_text)
        return factory, value, value == "" or value.startswith("/") or value.endswith("/") or breaks(value)
    if factory == "daily":
        hour, minute = draw(st.integers(-2, 26) | st.sampled_from([math.nan, 1.5])), draw(st.integers(-2, 62))
        ok = isinstance(hour, int) and 0 <= hour <= 23 and 0 <= minute <= 59
        return factory, (hour, minute), not ok
    if factory == "rate":
        value = draw(
            st.one_of(whole_durations(0, 86400 * 30), st.integers(1, 10**6).map(lambda n: Dur(n, "millis")))
        )
        return factory, value, value.millis < 60_000 or value.millis % 60_000 != 0
    value = draw(any_text | sagemaker_names())
    pattern = PIPELINE_NAME if factory == "pipeline_name" else NAME
    return factory, value, re.fullmatch(pattern, value) is None


@settings(PROPERTY, max_examples=60)
@given(case=factory_cases())
def test_named_constructors(case: tuple[str, Any, bool]) -> None:
    """Named constructors return, or raise ValueError naming their argument; never a jsii error."""
    factory, value, bad = case
    DRAWS[f"factory {factory}"] += 1
    stack = Stack(App(context=app_context()), "Props")
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "a-bucket")
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "image_uri": (lambda: ContainerImage.from_image_uri(value), "'image_uri'"),
        "model_data": (lambda: ModelData.from_bucket(bucket, value), "'key'"),
        "s3_source": (lambda: S3Source.from_bucket(bucket, value), "'key'"),
        "daily": (lambda: TransformSchedule.daily(hour=value[0], minute=value[1]), "'"),
        "rate": (lambda: TransformSchedule.rate(value.make()), "'interval'"),
        "model_name": (lambda: Model.from_model_name(stack, "Imported", value), "'model_name'"),
        "endpoint_name": (lambda: Endpoint.from_endpoint_name(stack, "Imported", value), "'endpoint_name'"),
        "pipeline_name": (
            lambda: SageMakerPipeline.from_pipeline_name(stack, "Imported", value),
            "'pipeline_name'",
        ),
    }
    call, fragment = calls[factory]
    try:
        call()
    except ValueError as error:
        message = str(error)
        assert bad, f"{factory}({value!r}) was rejected: {message}"
        assert fragment in message, message
        return
    assert not bad, f"{factory}({value!r}) was accepted"
