# make run  — create .venv, install, start the gateway on http://127.0.0.1:8000 with the embedded default
# make test — install what the tests need and run them all
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# llama-cpp-python compiles from source (~5 min on 2 cores); pip's wheel cache keeps the result.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: run test install install-test browser lint fmt bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip wheel setuptools

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0 -e '.[embedded,embeddings,privacy,scale,lab]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[embedded,embeddings,privacy,scale,lab,test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test browser

# The report's rendering test drives Debian's chromium (never a downloaded browser).
browser:
	@test -x /usr/bin/chromium || apt-get install -y -q chromium || \
		echo "crossroads: install Debian's chromium (apt-get install -y chromium) for the report's browser test"

run: install
	$(BIN)/crossroads serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check --fix src tests $(wildcard benchmarks)
	$(BIN)/ruff format src tests $(wildcard benchmarks)

bench: install-test
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/gateway_overhead.py
	$(BIN)/python benchmarks/embedded_throughput.py

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .mypy_cache
