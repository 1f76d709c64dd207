# saas-exporter: every entry point a developer or CI needs.
# `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
LISTEN ?= 127.0.0.1:9879

.PHONY: demo test lint pytest setup system-deps bench

setup:
	@scripts/bootstrap.sh

system-deps:
	@scripts/system-deps.sh

demo: setup
	$(VENV)/bin/saas-exporter --demo --web.listen-address=$(LISTEN)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

pytest: setup system-deps
	$(PY) -m pytest -q

test: lint pytest

bench: setup
	$(PY) bench/run.py
