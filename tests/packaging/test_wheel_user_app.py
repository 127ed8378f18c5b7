"""The package as a user gets it: the sdist and the wheel built from this tree carry the license, the changelog,
the type marker, the package data and the Lambda handler code, and the wheel, installed into a fresh virtual
environment with nothing but its declared dependencies, synthesizes a user's app from a folder outside the
repository.

The user's app (``tests/packaging/user_app``) goes into a project that the pinned CDK CLI's ``cdk init app
--language=python`` generates, and is synthesized three ways:

- with the repository's feature flags, without the parts that compose the library with aws-cdk-lib's constructs;
- with the flags ``cdk init`` writes, by ``cdk synth`` of the pinned CLI, all parts;
- on a plain ``App()`` with no context at all, by ``python app.py``, all parts.

cdk-nag's AwsSolutions checks run in the app: a finding fails the synthesis.

The virtual environment installs from ``.wheelhouse/`` (``make wheelhouse``, part of ``make test``) without an
index when that folder exists, else from the configured index through pip's cache.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REPO_ROOT = Path(__file__).resolve().parents[2]
USER_APP = Path(__file__).resolve().parent / "user_app"
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
WHEELHOUSE = REPO_ROOT / ".wheelhouse"
PACKAGE_DATA = REPO_ROOT / "constructs" / "sagemaker_constructs" / "data"
HANDLERS = REPO_ROOT / "lambdas"
# What a source distribution is built from (pyproject.toml, MANIFEST.in); everything else stays behind.
SOURCE_FILES = ["pyproject.toml", "MANIFEST.in", "README.md", "CHANGELOG.md", "LICENSE"]
SYNTH_TIMEOUT = 300


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    return project


def _pinned(requirement: str) -> str:
    """``name==version`` of a runtime dependency as requirements.txt pins it."""
    for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.split("==")[0].strip() == requirement:
            return line.strip()
    raise AssertionError(f"{requirement} is not pinned in requirements.txt")


def _requirements(requirements: list[str]) -> dict[str, SpecifierSet]:
    parsed = [Requirement(requirement) for requirement in requirements]
    return {requirement.name: requirement.specifier for requirement in parsed}


def _handler_files() -> list[str]:
    """The handler modules as they sit in lambdas/, relative to it (``retraining_trigger/handler.py``, ...)."""
    return sorted(
        str(path.relative_to(HANDLERS)) for path in HANDLERS.rglob("*.py") if "__pycache__" not in path.parts
    )


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: int = SYNTH_TIMEOUT) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(command)} failed ({result.returncode}) in {cwd}:\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )
    return result.stdout


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """The sdist, and the wheel built from it (``python -m build``'s default), from a copy of this tree."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCE_FILES:
        if (REPO_ROOT / name).exists():  # a missing one is reported by the archive tests, not here
            shutil.copy2(REPO_ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    # pyproject.toml maps the package's handlers (sagemaker_constructs._handlers) onto lambdas/: copy both.
    shutil.copytree(REPO_ROOT / "constructs", source / "constructs", symlinks=True, ignore=ignore)
    shutil.copytree(HANDLERS, source / "lambdas", ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], cwd=source, env=dict(os.environ))
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dists(wheel=wheel, sdist=sdist)


def test_version_has_a_changelog_section() -> None:
    version = _project()["version"]
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{version}]" in changelog, f"CHANGELOG.md has no section for version {version}"


def test_license_file_is_the_declared_license() -> None:
    assert _project()["license"] == "Apache-2.0"
    # The oracle: the Apache License 2.0 as the constructs package (Apache-2.0, by AWS) ships it, with the
    # appendix's copyright placeholder filled in.
    (reference,) = [
        f for f in importlib.metadata.distribution("constructs").files or [] if f.name == "LICENSE"
    ]
    expected = reference.read_text(encoding="utf-8").replace(
        "Copyright [yyyy] [name of copyright owner]", "Copyright 2026 The sagemaker-constructs authors"
    )
    assert (REPO_ROOT / "LICENSE").read_text(encoding="utf-8") == expected


def test_wheel_carries_license_changelog_types_data_and_handlers(dists: Dists) -> None:
    version = _project()["version"]
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = set(wheel.namelist())
        dist_info = f"sagemaker_constructs-{version}.dist-info"
        metadata = wheel.read(f"{dist_info}/METADATA").decode("utf-8")
        assert f"{dist_info}/licenses/LICENSE" in names, f"the wheel carries no license: {sorted(names)}"
        license_text = wheel.read(f"{dist_info}/licenses/LICENSE").decode("utf-8")
    assert license_text == (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata
    # The description is the README followed by the changelog.
    assert (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8").strip() in metadata
    expected = {"sagemaker_constructs/py.typed"}
    expected |= {f"sagemaker_constructs/data/{path.name}" for path in PACKAGE_DATA.glob("*.json")}
    expected |= {f"sagemaker_constructs/_handlers/{path}" for path in _handler_files()}
    assert expected - names == set(), "missing from the wheel"


def test_sdist_carries_license_changelog_types_data_and_handlers(dists: Dists) -> None:
    version = _project()["version"]
    root = f"sagemaker_constructs-{version}"
    with tarfile.open(dists.sdist) as sdist:
        members = {member.name: member for member in sdist.getmembers()}
        assert f"{root}/LICENSE" in members, f"the sdist carries no license: {sorted(members)}"
        license_member = sdist.extractfile(members[f"{root}/LICENSE"])
        assert license_member is not None
        assert license_member.read().decode("utf-8") == (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    package = f"{root}/constructs/sagemaker_constructs"
    expected = {f"{root}/CHANGELOG.md", f"{package}/py.typed"}
    expected |= {f"{package}/data/{path.name}" for path in PACKAGE_DATA.glob("*.json")}
    # The sdist keeps the source layout: the handlers sit in lambdas/, which the wheel maps into the package.
    expected |= {f"{root}/lambdas/{path}" for path in _handler_files()}
    assert expected - set(members) == set(), "missing from the sdist"
    # Regular files, so that the wheel built from the sdist on another machine carries them too.
    assert all(members[name].isfile() for name in expected)


@dataclass(frozen=True)
class UserEnv:
    venv: Path
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def _outside_repo(path: Path) -> None:
    assert not path.resolve().is_relative_to(REPO_ROOT), f"{path} is inside the repository"


@pytest.fixture(scope="module")
def user_env(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> UserEnv:
    """A fresh virtual environment outside the repository with the wheel, its declared dependencies and cdk-nag
    (the user's own choice of checks), and the environment a user's shell would have: no PYTHONPATH, the venv
    and the pinned Node.js and CDK CLI first on PATH."""
    home = tmp_path_factory.mktemp("user")
    _outside_repo(home)
    target = home / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    path = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not Path(entry).resolve().is_relative_to(Path(sys.prefix).resolve())
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CDK_CONTEXT_JSON", "CDK_OUTDIR"}
    }
    env["PATH"] = os.pathsep.join([str(target / "bin"), str(NODE_BIN), *path])
    # No account and no network: no instance metadata, no version check, no CLI telemetry.
    env.update(
        AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_VERSION_CHECK="1", CDK_DISABLE_CLI_TELEMETRY="true"
    )
    env["JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION"] = "1"
    # Byte-compiling aws-cdk-lib's modules at install time takes most of a minute; Python compiles what the app
    # imports when it imports it.
    install = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile"]
    if WHEELHOUSE.is_dir():
        install += ["--no-index", "--find-links", str(WHEELHOUSE)]
    _run([*install, str(dists.wheel), _pinned("cdk-nag")], cwd=home, env=env)
    return UserEnv(venv=target, env=env)


def test_installed_package_comes_from_the_wheel(user_env: UserEnv) -> None:
    probe = (
        "import importlib.metadata as m, json, pathlib, sagemaker_constructs as s; "
        "d = m.distribution('sagemaker-constructs'); "
        "print(json.dumps({'file': s.__file__, 'version': d.version, "
        "'license': [str(f) for f in d.files if f.name == 'LICENSE'], "
        "'requires': d.requires, "
        "'handlers': sorted(str(p.relative_to(pathlib.Path(s.__file__).parent / '_handlers')) "
        "for p in (pathlib.Path(s.__file__).parent / '_handlers').rglob('*.py'))}))"
    )
    found = json.loads(_run([str(user_env.python), "-c", probe], cwd=user_env.venv.parent, env=user_env.env))
    assert Path(found["file"]).resolve().is_relative_to(user_env.venv.resolve())
    assert found["version"] == _project()["version"]
    assert found["license"], "the installed distribution has no LICENSE file"
    assert _requirements(found["requires"]) == _requirements(_project()["dependencies"])
    assert found["handlers"] == _handler_files()
    # Every declared dependency (and its own) is installed and consistent.
    _run([str(user_env.python), "-m", "pip", "check"], cwd=user_env.venv.parent, env=user_env.env)


@pytest.fixture(scope="module")
def user_project(user_env: UserEnv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``cdk init app --language=python`` by the pinned CLI, with the user's app in place of the sample stack."""
    parent = tmp_path_factory.mktemp("projects")
    project = parent / "churn-app"
    project.mkdir()
    _run(
        ["cdk", "init", "app", "--language=python", "--generate-only"],
        cwd=project,
        env=user_env.env,
        timeout=120,
    )
    assert (project / "churn_app").is_dir(), "cdk init did not lay out the churn_app package"
    shutil.copy2(USER_APP / "app.py", project / "app.py")
    shutil.copytree(USER_APP / "churn_app", project / "churn_app", dirs_exist_ok=True)
    baselines = REPO_ROOT / "model_artifacts" / "churn" / "baselines" / "data_quality"
    shutil.copytree(baselines, project / "baselines" / "data_quality")
    return project


@dataclass(frozen=True)
class Synthesized:
    outdir: Path

    def template(self, stack: str) -> dict[str, Any]:
        template: dict[str, Any] = json.loads(
            (self.outdir / f"{stack}.template.json").read_text(encoding="utf-8")
        )
        return template


def _resources(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template.get("Resources", {}).values() if r["Type"] == resource_type]


def _logical_ids(template: dict[str, Any], resource_type: str) -> list[str]:
    return [key for key, r in template.get("Resources", {}).items() if r["Type"] == resource_type]


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _python_app(
    user_env: UserEnv, project: Path, outdir: Path, context: dict[str, Any] | None
) -> Synthesized:
    """``python app.py`` with ``context`` handed over as the CLI hands it over (CDK_CONTEXT_JSON); none: a plain
    ``App()``."""
    env = dict(user_env.env, CDK_OUTDIR=str(outdir))
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    _run(["python", "app.py"], cwd=project, env=env)
    return Synthesized(outdir)


def _cdk_json_context(project: Path) -> dict[str, Any]:
    context: dict[str, Any] = json.loads((project / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def _repo_context() -> dict[str, Any]:
    return _cdk_json_context(REPO_ROOT)


def _cross_stack_reference(context: dict[str, Any]) -> str:
    """The intrinsic a reference to another stack renders as: weak references read the other stack's output
    without an export (the flag ``cdk init`` sets), strong ones import its export."""
    weak = context.get("@aws-cdk/core:defaultCrossStackReferences") == "weak"
    return "Fn::GetStackOutput" if weak else "Fn::ImportValue"


@pytest.fixture(scope="module")
def repo_flags_core(
    user_env: UserEnv,
    user_project: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Synthesized:
    """The app without composition on the repository's flags; when they are exactly ``cdk init``'s, the
    ``cdk init`` synthesis (a superset of this one) stands for it and saves a synthesis."""
    if _repo_context() == _cdk_json_context(user_project):
        synthesized: Synthesized = request.getfixturevalue("cdk_init_flags")
        return synthesized
    outdir = tmp_path_factory.mktemp("repo-flags") / "cdk.out"
    return _python_app(user_env, user_project, outdir, {**_repo_context(), "composition": False})


@pytest.fixture(scope="module")
def cdk_init_flags(
    user_env: UserEnv, user_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk-init-flags") / "cdk.out"
    _run(["cdk", "synth", "--quiet", "--output", str(outdir)], cwd=user_project, env=user_env.env)
    return Synthesized(outdir)


@pytest.fixture(scope="module")
def plain_app(user_env: UserEnv, user_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _python_app(user_env, user_project, tmp_path_factory.mktemp("plain-app") / "cdk.out", None)


def test_cdk_init_writes_the_flags_the_issue_is_about(user_project: Path) -> None:
    context = _cdk_json_context(user_project)
    assert context["@aws-cdk/core:defaultCrossStackReferences"] == "weak"
    assert len(context) > 50


def _check_core(synthesized: Synthesized, cross_stack_reference: str) -> None:
    hosting = synthesized.template("ChurnHosting")
    monitoring = synthesized.template("ChurnMonitoring")

    # The subclasses' defaults: two versions of the churn model, and data capture on the endpoint.
    versions = sorted(
        m["Properties"]["PrimaryContainer"]["Environment"]["MODEL_VERSION"]
        for m in _resources(hosting, "AWS::SageMaker::Model")
    )
    assert versions == ["v3", "v4"]
    (config,) = _resources(hosting, "AWS::SageMaker::EndpointConfig")
    weights = {
        v["VariantName"]: v["InitialVariantWeight"] for v in config["Properties"]["ProductionVariants"]
    }
    assert weights == {"champion": 90, "challenger": 10}
    assert config["Properties"]["DataCaptureConfig"]["EnableCapture"] is True

    # The monitor in the other stack reaches the endpoint through a cross-stack reference of the expected kind.
    (schedule,) = _resources(monitoring, "AWS::SageMaker::MonitoringSchedule")
    (job,) = _resources(monitoring, "AWS::SageMaker::DataQualityJobDefinition")
    endpoint_name = job["Properties"]["DataQualityJobInput"]["EndpointInput"]["EndpointName"]
    assert isinstance(endpoint_name, dict), endpoint_name
    assert cross_stack_reference in endpoint_name, endpoint_name
    assert schedule["Properties"]["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"]

    # The trigger's function runs the handler package shipped in the wheel, staged as an asset.
    functions = [
        f["Properties"]
        for f in _resources(monitoring, "AWS::Lambda::Function")
        if f["Properties"].get("Runtime", "").startswith("python")
    ]
    assert functions, "the retraining trigger's function is missing"
    for function in functions:
        module = function["Handler"].rpartition(".")[0]
        asset = synthesized.outdir / f"asset.{function['Code']['S3Key'].removesuffix('.zip')}"
        assert (asset / (module.replace(".", "/") + ".py")).is_file(), f"{module} is not in {asset}"


def _check_composition(synthesized: Synthesized) -> None:
    hosting = synthesized.template("ChurnHosting")
    monitoring = synthesized.template("ChurnMonitoring")

    # bucket.grant_read(model): the policy lands on the champion's execution role, for the granted prefix.
    policies = _resources(hosting, "AWS::IAM::Policy")
    reads = [
        p
        for p in policies
        if any(
            isinstance(node, dict) and node.get("Fn::Join") and "/reference-data/*" in json.dumps(node)
            for node in _walk(p["Properties"]["PolicyDocument"]["Statement"])
        )
    ]
    assert reads, "no policy grants the model the read on reference-data/*"
    (champion_role,) = [
        m["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
        for m in _resources(hosting, "AWS::SageMaker::Model")
        if m["Properties"]["PrimaryContainer"]["Environment"]["MODEL_VERSION"] == "v3"
    ]
    assert any({"Ref": champion_role} in p["Properties"]["Roles"] for p in reads)

    # SagemakerIntegration(endpoint): an AWS integration to the SageMaker runtime, with invoke on the endpoint.
    methods = [
        m for m in _resources(hosting, "AWS::ApiGateway::Method") if m["Properties"]["HttpMethod"] == "POST"
    ]
    (method,) = methods
    assert method["Properties"]["Integration"]["Type"] == "AWS"
    (endpoint_id,) = _logical_ids(hosting, "AWS::SageMaker::Endpoint")
    uri = json.dumps(method["Properties"]["Integration"]["Uri"])
    assert ":runtime.sagemaker:path/endpoints/" in uri
    assert json.dumps({"Fn::GetAtt": [endpoint_id, "EndpointName"]}) in uri
    api_role = method["Properties"]["Integration"]["Credentials"]["Fn::GetAtt"][0]
    invokes = [
        s
        for p in policies
        if {"Ref": api_role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:InvokeEndpoint" in json.dumps(s["Action"]) and endpoint_id in json.dumps(s["Resource"])
    ]
    assert invokes, "no policy lets API Gateway invoke the endpoint"

    # scheduler_targets.SageMakerStartPipelineExecution(pipeline): a schedule that starts the library's pipeline.
    (schedule,) = _resources(monitoring, "AWS::Scheduler::Schedule")
    target = schedule["Properties"]["Target"]
    (pipeline,) = _resources(monitoring, "AWS::SageMaker::Pipeline")
    # SageMaker lower-cases the name in a pipeline's ARN.
    assert f":pipeline/{pipeline['Properties']['PipelineName'].lower()}" in json.dumps(target["Arn"])
    assert target["SageMakerPipelineParameters"]["PipelineParameterList"] == [
        {"Name": "TriggerType", "Value": "schedule"}
    ]


def test_user_app_on_the_repo_flags(repo_flags_core: Synthesized) -> None:
    _check_core(repo_flags_core, _cross_stack_reference(_repo_context()))


def test_user_app_on_cdk_init_flags(cdk_init_flags: Synthesized, user_project: Path) -> None:
    _check_core(cdk_init_flags, _cross_stack_reference(_cdk_json_context(user_project)))
    _check_composition(cdk_init_flags)


def test_user_app_on_a_plain_app(plain_app: Synthesized) -> None:
    _check_core(plain_app, _cross_stack_reference({}))
    _check_composition(plain_app)
