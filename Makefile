# make synth: synthesize the example app (no AWS account needed).
# make test:  run the tests.
# make bench: measure detection latency, API budget, scale and synth time (docs/benchmark.png).
# make mutation: mutate the handler package and print the score and every surviving mutant.
# make lint:  ruff, and mypy (strict on the construct library); make test runs them too.
# make test-busy: make test twice while four CPU-bound processes per core run beside it.
# Each creates .venv (Python packages and Node.js 24) and installs what it needs first.

SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
# The virtual environment's python, node and npx come first, so jsii and the CDK CLI run on Node 24.
export PATH := $(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(VENV)
PIP := python -m pip install --quiet --quiet --disable-pip-version-check

.PHONY: synth test test-busy bench lint clean integ integ-snapshot interleavings mutation

synth: $(VENV)/.runtime node_modules/.installed
	npx --loglevel=error cdk synth --quiet
	@echo "Wrote cdk.out/RunningModelExample.template.json"

# Four workers: the end-to-end scenarios mostly wait on (compressed) schedules.
test: $(VENV)/.dev
	python -m pytest -n 4

# The result may not change on a busy machine, only the wall time: the spinners die with the target.
test-busy: $(VENV)/.dev
	@spinners=$$(( 4 * $$(nproc) )); echo "make test twice beside $$spinners CPU-bound processes"; \
	for i in $$(seq $$spinners); do python3 -c 'while True: pass' & done; \
	trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	python -m pytest -n 4 -q && python -m pytest -n 4 -q

bench: $(VENV)/.dev
	python benchmarks/run.py

# Not part of make test: SEEDS seeded schedules (default 2,000) of every pair of the handler's paths,
# from each start the pair can meet; about 0.4 s of two cores per schedule (see README, Development).
interleavings: $(VENV)/.dev
	RUNNING_MODEL_INTERLEAVING_SEEDS=$(or $(SEEDS),2000) python -m pytest -n 4 -q tests/handler/test_interleavings.py -k every_pair

# Not part of make test: it takes about an hour and a half on two cores (see README, Development).
mutation: $(VENV)/.mutation
	python mutation/run.py $(if $(TARGET),--target $(TARGET))

lint: $(VENV)/.dev
	python -m ruff check app.py benchmarks constructs examples integ lambda mutation tests
	python -m ruff format --check app.py benchmarks constructs examples integ lambda mutation tests
	python -m mypy

# The integration test on a real account: deploys, asserts RUNNING, destroys, asserts STOPPED.
# Without RUNNING_MODEL_INTEG_ARN or AWS credentials it says what it needs and fails. Never part of make test.
integ: $(VENV)/.dev node_modules/.installed
	python integ/run.py deploy

# Rewrites integ/integ_running_model.py.snapshot from the integ app, offline (make test checks it).
integ-snapshot: $(VENV)/.dev
	python integ/run.py snapshot

clean:
	rm -rf $(VENV) node_modules cdk.out

# The library itself, editable: .venv/bin/running-model, and examples/*.py run without PYTHONPATH.
$(VENV)/.runtime: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps --editable .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	python -m venv $(VENV)/checkov && $(VENV)/checkov/bin/$(PIP) checkov==3.3.30  # its own: it pins another boto3
	touch $@

$(VENV)/.mutation: $(VENV)/.dev requirements-mutation.txt
	$(PIP) -r requirements-mutation.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.runtime
	npm ci --loglevel=error
	touch $@
