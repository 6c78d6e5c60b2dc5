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

.PHONY: setup local local-aws test lint typecheck unit synth deploy bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[cdk,dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
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
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest $(PYTEST_ARGS)

synth: setup
	$(CDK) synth --quiet $(ARGS)

## Command 3 (needs an AWS account and credentials): deploy with cdk-nag enforced.
deploy: setup
	$(CDK) deploy $(ARGS)

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
