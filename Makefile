# make synth: synthesize the example app (no AWS account needed).
# make test:  run the tests.
# make bench: measure detection latency, API budget, scale and synth time (docs/benchmark.png).
# make lint:  ruff, and mypy (strict on the construct library); make test runs them too.
# Both create .venv (Python packages and Node.js 24) and install what they need first.

SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
# The virtual environment's python, node and npx come first, so jsii and the CDK CLI run on Node 24.
export PATH := $(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(VENV)
PIP := python -m pip install --quiet --quiet --disable-pip-version-check

.PHONY: synth test bench lint clean

synth: $(VENV)/.runtime node_modules/.installed
	npx --loglevel=error cdk synth --quiet
	@echo "Wrote cdk.out/RunningModelExample.template.json"

# Four workers: the end-to-end scenarios mostly wait on (compressed) schedules.
test: $(VENV)/.dev
	python -m pytest -n 4

bench: $(VENV)/.dev
	python benchmarks/run.py

lint: $(VENV)/.dev
	python -m ruff check app.py benchmarks constructs lambda tests
	python -m ruff format --check app.py benchmarks constructs lambda tests
	python -m mypy

clean:
	rm -rf $(VENV) node_modules cdk.out

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.runtime
	npm ci --loglevel=error
	touch $@
