# Two entry points, both self-contained on a fresh machine: `make synth` and `make test`.
# Setup is idempotent: the venv and node_modules are rebuilt only when their requirement files change.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
NODE_BIN := $(CURDIR)/node_modules/.bin
# jsii starts the first `node` on PATH: put the pinned Node 22 and the CDK CLI ahead of the machine's.
export PATH := $(NODE_BIN):$(CURDIR)/$(VENV)/bin:$(PATH)
# Synthesis needs no AWS account: never let the SDKs wait on instance metadata for credentials.
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
# Python keeps each module it compiles as bytecode (__pycache__/, ignored by git and by the assets, which leave
# caches out): a machine that sets PYTHONDONTWRITEBYTECODE makes every process compile every module it imports
# from source again, about 12 CPU-seconds per test process for aws-cdk-lib's large generated modules alone.
# Empty is unset for Python (docs/benchmarks.md#bytecode).
export PYTHONDONTWRITEBYTECODE :=

# uv creates the venvs and installs into them: a pinned copy under .tools/, bootstrapped with the machine's pip, so
# nothing needs installing by hand. uv reads neither pip's configuration nor its certificate option: it takes the
# system's trust store (where a proxy's CA is installed) and never downloads a Python of its own. Its cache lives
# outside the clone (~/.cache/uv, or $$UV_CACHE_DIR), so a second clone installs from it without the network.
UV_VERSION := 0.13.9
UV := .tools/uv-$(UV_VERSION)/bin/uv
export UV_SYSTEM_CERTS ?= 1
export UV_PYTHON_DOWNLOADS := never
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
NODE_STAMP := node_modules/.installed
CHECKOV_VENV := .venv-checkov
# Wheels of the runtime dependencies: the wheel test installs the built package into a fresh venv from here,
# without an index (tests/packaging/test_wheel_user_app.py).
WHEELHOUSE := .wheelhouse
WHEELHOUSE_STAMP := $(WHEELHOUSE)/.downloaded
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# The drift benchmark's oracle, Evidently, in a venv of its own: it never enters the project's venvs.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: help setup setup-dev lock synth cost diagram test lint typecheck docs unit bench bench-venv bench-drift bandit-sim simulate images enums clean

# `make` with no target prints what each target does: the `## target: text` comments above the targets.
.DEFAULT_GOAL := help

## help: print this list of targets (what `make` with no target does)
help:
	@awk '/^## [a-z-]+: / { sub(/^## /, ""); name = $$1; sub(/:$$/, "", name); sub(/^[a-z-]+: /, ""); printf "\n  %-13s%s", name, $$0; next } \
		/^## / { sub(/^## /, ""); printf "\n  %-13s%s", "", $$0; next }' $(firstword $(MAKEFILE_LIST)); echo
	@echo; echo "  A fresh machine needs only 'make synth' and 'make test'; both set up what they need."

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(dir $(@D)) uv==$(UV_VERSION)

# --seed puts pip into .venv as `python -m venv` did: `python -m build` (the packaging test) and a user's
# `.venv/bin/pip install` use it.
$(VENV)/bin/python: | $(UV)
	$(UV) venv --quiet --seed --python $(PYTHON) $(VENV)

$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(VENV)/bin/python
	$(UV) pip install --quiet --python $(VENV)/bin/python -r requirements.txt
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	touch $@

# From the lock: every transitive pin resolved once by `make lock`. Resolving requirements-dev.txt afresh walks
# back through dozens of old aiobotocore sdists (the SageMaker SDK's s3fs against the pinned botocore), building
# each for its metadata: minutes, where installing the lock takes seconds.
$(DEV_STAMP): requirements-dev.lock $(RUNTIME_STAMP)
	$(UV) pip install --quiet --python $(VENV)/bin/python -r requirements-dev.lock
	touch $@

## lock: re-resolve requirements-dev.txt into requirements-dev.lock (after changing a pin in requirements*.txt)
lock: | $(UV)
	$(UV) pip compile --quiet --universal --python-version 3.11 --custom-compile-command "make lock" \
		requirements-dev.txt -o requirements-dev.lock

# checkov's pins conflict with the project's (boto3): it gets a venv of its own.
$(CHECKOV_STAMP): requirements-checkov.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt
	touch $@

$(BENCH_STAMP): requirements-bench.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(BENCH_VENV)
	$(UV) pip install --quiet --python $(BENCH_VENV)/bin/python -r requirements-bench.txt
	touch $@

# uv has no `pip download` and keeps no wheel files in its cache: the seeded pip fetches them (through pip's own
# configuration and cache).
$(WHEELHOUSE_STAMP): requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/python -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
		--dest $(WHEELHOUSE) -r requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## setup: the runtime venv (.venv) and Node 22 with the CDK CLI (node_modules); reruns only when their pins change
setup:
	@$(MAKE) --no-print-directory -j2 $(RUNTIME_STAMP) $(NODE_STAMP)

## setup-dev: setup, plus the test tools, checkov's own venv and the wheelhouse the packaging test installs from
# The independent pieces install side by side (a sub-make with jobs): npm and the downloads wait on the network,
# not on each other.
setup-dev:
	@$(MAKE) --no-print-directory -j4 $(RUNTIME_STAMP) $(NODE_STAMP) $(DEV_STAMP) $(CHECKOV_STAMP) $(WHEELHOUSE_STAMP)

## synth: synthesize the reference app into cdk.out/ with cdk-nag (no AWS account needed)
synth: setup
	cdk synth --quiet --output cdk.out

## cost: synthesize the reference app (as make synth does), then write its running cost per day into docs/cost.md
## from the templates and the cited prices in scripts/data/prices.json (scripts/cost_report.py)
cost: synth
	python scripts/cost_report.py cdk.out --write docs/cost.md

## diagram: synthesize the reference app (as make synth does), then regenerate the architecture diagram in
## docs/architecture.md from the cloud assembly (scripts/architecture_diagram.py)
diagram: synth
	python scripts/architecture_diagram.py --assembly cdk.out --write docs/architecture.md

## test: lint, type-check, build the docs strictly and run the whole test suite
# The suite starts at once; mypy (a single process, about 12 CPU-seconds on a cold cache: it reads only the
# aws-cdk-lib modules the code imports, pyproject.toml), ruff and the docs build run beside its first pass, the
# property tests (one process), on the core it leaves idle. Their few lines may land amid pytest's progress. More
# side by side is slower: the three passes at once took 20% more CPU time
# (docs/benchmarks.md#three-passes-side-by-side-tried-not-kept).
test: setup-dev
	@$(MAKE) --no-print-directory -j3 unit typecheck lint docs

## lint: ruff check and ruff format --check
lint:
	ruff check .
	ruff format --check .

## typecheck: mypy (strict) on the library and the Lambda handlers
typecheck:
	mypy

# --strict turns every warning into an error: a broken link or anchor between pages, and an API reference that no
# longer resolves (mkdocs.yml's validation; tests/test_docs_build.py shows each one fails the build).
# NO_MKDOCS_2_WARNING quiets mkdocs-material's banner about mkdocs 2.0, which says nothing about this site.
## docs: build the documentation site and its API reference (mkdocs.yml) into build/site, strictly
docs: setup-dev
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir build/site

# The suite runs on every CPU, a file per worker. The property tests run on their own, first: Hypothesis also
# draws constants from the modules already imported, so they draw the same cases only when what ran before them
# in their process is the same every time (docs/benchmarks.md#property-based-tests). Being a single process, they
# share the machine with mypy under `make test`.
# The construct tests run twice: on cdk.json's flags (the full set `cdk init` writes) and on a plain App() with no
# context, as a user's first app and the unit test `cdk init` generates (tests/support/cdk_flags.py). The second
# pass is the tests that build library constructs on apps of their own flags; the reference app has its cdk.json.
## unit: the test suite only (no setup, lint or type check): cdk.json's flags, the property tests, a plain App()
unit:
	pytest tests/unit/test_properties.py
	pytest -n auto --dist loadfile --ignore=tests/unit/test_properties.py
	# The construct tests and the examples of README.md and docs/ again on a plain App(). Left out: the property
	# tests, the tests that build their own apps under both flag sets (feature flags), the batch workflow's
	# interpreter scenarios, whose state machine test_the_workflow_is_the_same_under_both_flag_sets shows is
	# flag-independent, and the modules marked flag_independent (the monitoring script's own tests, the layering
	# and data checks), which build no app: the first pass fails any of them that reads the flag set.
	SMC_CDK_FLAGS=none pytest -n auto --dist loadfile -m "not flag_independent" tests/unit tests/test_docs_snippets.py \
		--ignore=tests/unit/test_properties.py --ignore=tests/unit/test_feature_flags.py \
		--ignore=tests/unit/batch/test_batch_transform_workflow.py

## bench: print synth-time numbers (see docs/benchmarks.md)
bench: setup-dev
	python benchmarks/synth.py

## simulate: the drift -> retrain loop of the open monitoring backend, locally on moto (scripts/simulate_loop.py);
## writes build/simulate/drift_report.html
simulate: setup-dev
	python scripts/simulate_loop.py

## bench-venv: the venv with the pinned Evidently that benchmarks/drift_vs_evidently.py compares against
bench-venv: $(BENCH_STAMP)

## bench-drift: drift computation against Evidently: time, peak memory, verdicts (see docs/benchmarks.md)
bench-drift: setup-dev bench-venv
	python benchmarks/drift_vs_evidently.py

## bandit-sim: regret of the bandit allocator (Thompson sampling, epsilon-greedy) against a fixed split on a seeded
## conversion stream that changes midway (benchmarks/bandit_regret.py); writes build/bandit/ (see docs/benchmarks.md)
bandit-sim: setup-dev
	python benchmarks/bandit_regret.py

## images: regenerate the container image registry from the installed SageMaker SDK
images: setup-dev
	python scripts/generate_image_registry.py

## enums: regenerate the SageMaker enums (instance types) from the installed botocore
enums: setup-dev
	python scripts/generate_sagemaker_enums.py

## clean: remove cdk.out, the tool caches and the wheelhouse (the venvs, node_modules and .tools stay)
clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build/cfn-lint-cache $(WHEELHOUSE)
