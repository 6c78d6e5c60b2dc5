# Two commands do everything on a fresh machine: `make local` and `make test`.
# Every target sets up what it needs (venv + pip, npm) first; set-up is skipped when up to date.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk --no-notices

# Offline and quiet: no CLI telemetry, no jsii Node-20 banner, no 1,300 default AMIs per moto Region.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export MOTO_EC2_LOAD_DEFAULT_AMIS := false
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup local local-aws test lint typecheck unit synth bootstrap deploy deploy-moto bench fuzz models clean

setup: $(VENV)/.installed node_modules/.installed

# setuptools prints an "Editable installation" box for every editable install: informational only here
# (no folder is named like the package), so it is filtered out by its message.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages (1-2 min)..."
	$(PY) -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -c constraints.txt -e '.[cdk,dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make: npm not found: install Node.js 22 or 24 (LTS)" >&2; exit 1; }
	@echo "Installing the pinned CDK CLI (npm ci, under a minute)..."
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Command 1: the endpoint on 127.0.0.1, backed by emulated AWS seeded with sample images.
local: setup
	$(PY) -m local $(ARGS)

## The same local API Gateway, but backed by real AWS with your ambient credentials.
local-aws: setup
	$(PY) -m local --real-aws $(ARGS)

## Command 2: lint, type check and every test (what CI runs).
test: setup lint typecheck unit

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	@echo "mypy --strict (about 1 min)..."
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest $(PYTEST_ARGS)

synth: setup
	@echo "Synthesizing (about 20 s)..."
	$(CDK) synth --quiet $(ARGS)

## Command 3 (needs an AWS account and credentials): deploy with cdk-nag enforced.
# Credentials are checked first (seconds), not after a 15 s synth.
deploy: setup
	@$(PY) scripts/check_deploy_credentials.py $(ARGS)
	@echo "Synthesizing (about 20 s), then deploying with CloudFormation..."
	$(CDK) deploy $(ARGS)

## Once per account and Region before the first deploy (the stack ships its code as a CDK asset). The CLI
## runs app.py even to bootstrap, so it runs here, where .venv/bin is on the PATH.
bootstrap: setup
	@$(PY) scripts/check_deploy_credentials.py --make-target bootstrap $(ARGS)
	$(CDK) bootstrap $(ARGS)

## The deploy proof without an AWS account: bootstrap, deploy, update, destroy on moto (also in `make test`).
deploy-moto: setup
	$(PY) -m pytest tests/deploy -q $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py

## The long hostile-input fuzz (20,000 signed requests through the local gateway, 20,000 events into the
## handler), with a new seed each run: ARGS="--seed N" repeats one. CI runs a bounded one (tests/e2e).
fuzz: setup
	$(PY) -m fuzz $(ARGS)

## Regenerate the trimmed botocore models of the Lambda asset (after upgrading botocore; a test says when).
models: setup
	$(PY) -m tools.botocore_models

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
