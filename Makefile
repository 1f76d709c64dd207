# saas-exporter: every entry point a developer or CI needs.
# `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
LISTEN ?= 127.0.0.1:9879
# Generated Prometheus rule files (rules/thresholds.yaml is their source, not a rule file).
RULE_FILES := rules/*.rules.yaml

.PHONY: demo test lint pytest setup system-deps bench bench-scale generate generated-check rules-check drill soak lock

setup:
	@scripts/bootstrap.sh

system-deps:
	@scripts/system-deps.sh

demo: setup
	$(VENV)/bin/saas-exporter demo --web.listen-address=$(LISTEN)

# Render rules, the PrometheusRule manifest, runbooks and promtool tests from
# rules/thresholds.yaml.
generate: setup
	$(PY) -m saas_pack generate

# Fails (with a diff) when a generated file differs from a fresh render; renders in
# memory, so unrelated changes in the working tree do not matter.
generated-check: setup
	$(PY) -m saas_pack check

rules-check: system-deps
	promtool check rules $(RULE_FILES)
	@# One promtool per file, in parallel: each file is independent.
	printf '%s\n' promtool-tests/*.yaml | xargs -P 4 -n 1 promtool test rules

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Parallel workers (pytest-xdist; grouping and order in tests/conftest.py): most tests
# wait on real servers and processes, so more workers than cores.
PYTEST_WORKERS ?= 4
pytest: setup system-deps
	$(PY) -m pytest -q -n $(PYTEST_WORKERS)

# Every check at once: promtool needs no virtualenv, so it runs while `setup` builds
# one; pytest's workers mostly wait on servers and processes, and lint and promtool use
# the CPU they leave. -O prints each step's output whole when it ends.
test:
	@$(MAKE) --no-print-directory -j 4 -O lint generated-check rules-check pytest

# The incident drill: break the simulated vendor scenario by scenario and watch the
# pages arrive at captured Slack/PagerDuty/ticket receivers through real Prometheus and
# Alertmanager; prints time-to-detect against the pipeline's floor (docs/alerting.md).
drill: setup system-deps
	$(PY) -m saas_tools.drill

bench: setup
	$(PY) bench/run.py

# The scale table alone: 1, 1,000 and 10,000 accounts (10,000 over 4 shard processes),
# CPU per probe against a bare client, the shard check (docs/scaling.md). ~10 minutes.
bench-scale: setup
	$(PY) bench/scale.py

# Regenerates the lock files from pyproject.toml (uv, pinned in the dev lock), keeping
# every current pin that still satisfies it; `make lock UPGRADE=1` moves every pin to
# the newest release. The dev lock is constrained by the runtime lock, so the image and
# the tests run the same runtime versions.
lock: setup
	$(VENV)/bin/uv pip compile pyproject.toml --quiet --python-version 3.11 \
		--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) \
		--output-file requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --quiet --python-version 3.11 --extra dev \
		--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) \
		--constraint requirements.lock --output-file requirements-dev.lock

# The soak: the exporter against the hostile vendor for 10 minutes, its fault mode flipped
# every 10 s, /metrics scraped 5 times a second beside 200 idle connections; reports
# tracebacks, non-200 scrapes and RSS flatness (exit 1 if any fails). Then a long fuzz
# of every parser. A shorter smoke run: make soak SOAK_ARGS="--duration 2m".
SOAK_ARGS ?=
FUZZ_EXAMPLES ?= 3000
soak: setup
	$(PY) -m saas_tools.soak $(SOAK_ARGS)
	SAAS_HYPOTHESIS_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider tests/test_parser_properties.py
