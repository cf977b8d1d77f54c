# copyflow — the two commands: `make demo` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXPORT_STAMP := $(VENV)/.installed-export

.PHONY: demo test setup setup-export broker-start broker-stop lint typecheck models eval bench profiles-eval clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

# torch and transformers: only for training, export and the parity tests.
$(EXPORT_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/pip install -q -e '.[dev,export]'
	@touch $@

setup: $(STAMP)
setup-export: $(EXPORT_STAMP)

demo: setup
	@scripts/require-java.sh
	$(BIN)/copyflow demo

test: setup-export
	@scripts/require-java.sh
	scripts/run-tests.sh

lint: setup
	$(BIN)/ruff check workers export tests bench
	$(BIN)/ruff format --check workers export tests bench

typecheck: setup
	$(BIN)/mypy

# Reproduce the committed models: corpus → tokenizer → training (CPU, deterministic) →
# ONNX export with past key/values → parity against torch → manifest. The default model
# (small, 9.9M parameters, float16 weights) took 55 min here, the tiny one 30-40 min.
models: setup-export
	$(BIN)/python -m export.build_models --recipe small --weights float16 --work .artifacts/small
	$(BIN)/python -m export.build_models --recipe tiny --work .artifacts

eval: setup-export
	$(BIN)/copyflow eval

# Benchmarks print ratios against a baseline measured in the same run. The profiles and
# delivery benchmarks need a broker: KAFKA_BOOTSTRAP, or `make broker-start` first.
bench: setup-export
	$(BIN)/copyflow bench generate

profiles-eval: setup
	$(BIN)/copyflow profiles eval

broker-start: setup
	$(BIN)/copyflow dev-broker start

broker-stop: setup
	$(BIN)/copyflow dev-broker stop

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
