# make run  — create .venv, install, start the gateway on http://127.0.0.1:8000 with the embedded default
# make test — install what the tests need and run them all
# Both install from lock files (requirements/run.txt, test.txt): exact versions, each file checked by sha256.
# make lock — re-lock after changing pyproject.toml (make lock UPGRADE=1: newest allowed versions)
# make sbom — CycloneDX SBOM of what make run installs; make audit — known advisories of the locked versions
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# llama-cpp-python compiles from source (~5 min on 2 cores); pip's wheel cache keeps the result.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK = 1

TOOLS ?= .venv-tools
LOCK_RUN := requirements/run.txt
LOCK_TEST := requirements/test.txt

.PHONY: run test test-deploy install install-test browser lint fmt bench clean lock sbom audit tools train-names bench-privacy \
	demo-tune

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# the locked packages (hash-checked), then the project itself, built with the locked setuptools
$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCK_RUN)
	$(BIN)/pip install -q --require-hashes -r $(LOCK_RUN)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(LOCK_TEST)
	$(BIN)/pip install -q --require-hashes -r $(LOCK_TEST)
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test browser

# The report's rendering test and the dashboard's browser tests (Playwright, tests/ui) drive Debian's chromium
# (never a downloaded browser: Playwright is pointed at /usr/bin/chromium).
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

# The Docker, Compose and Kubernetes recipes, checked by docker-compose (config), kubernetes-validate (the
# Kubernetes JSON schemas) and the Dockerfile's build steps run in a fresh virtual environment (~3-5 minutes).
# The tools get virtual environments of their own under build/ (docker-compose 1.29 needs PyYAML 5).
DEPLOY_TOOLS := build/deploy-tools
$(DEPLOY_TOOLS)/.installed:
	$(PYTHON) -m venv $(DEPLOY_TOOLS)/compose
	$(DEPLOY_TOOLS)/compose/bin/pip install -q 'cython<3' wheel setuptools
	$(DEPLOY_TOOLS)/compose/bin/pip install -q --no-build-isolation 'pyyaml==5.4.1'
	$(DEPLOY_TOOLS)/compose/bin/pip install -q docker-compose==1.29.2
	$(PYTHON) -m venv $(DEPLOY_TOOLS)/k8s
	$(DEPLOY_TOOLS)/k8s/bin/pip install -q kubernetes-validate==1.37.0
	touch $@

test-deploy: install-test $(DEPLOY_TOOLS)/.installed
	CROSSROADS_DEPLOY_TOOLS=$(abspath $(DEPLOY_TOOLS)) $(BIN)/python -m pytest -q -m deploy tests/deploy

lint: install-test
	$(BIN)/ruff check --fix src tests $(wildcard benchmarks)
	$(BIN)/ruff format src tests $(wildcard benchmarks)

bench: install-test
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/gateway_overhead.py
	$(BIN)/python benchmarks/embedded_throughput.py

lock: install
	$(BIN)/python requirements/lock.py $(if $(UPGRADE),--upgrade,)

# tools for the supply chain (their own venv and lock, so they never change the project's packages)
$(TOOLS)/.installed: requirements/tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --require-hashes -r requirements/tools.txt
	touch $@

tools: $(TOOLS)/.installed

sbom: $(TOOLS)/.installed
	$(TOOLS)/bin/cyclonedx-py requirements $(LOCK_RUN) --pyproject pyproject.toml --output-reproducible \
		--output-format JSON -o sbom.cdx.json
	@echo "wrote sbom.cdx.json (CycloneDX: what make run installs, with versions and sha256 hashes)"

audit: $(TOOLS)/.installed
	$(TOOLS)/bin/python requirements/audit.py $(LOCK_TEST)

# the privacy benchmark and the name model read public corpora from git mirrors: DIR/owner+name/repo
MIRRORS ?= $(abspath ../.mirror)

bench-privacy: install-test
	$(BIN)/python benchmarks/privacy_accuracy.py --mirrors $(MIRRORS)

# retrains src/crossroads/privacy/models/names (not part of make test; a few minutes on 2 cores)
train-names: install-test
	$(BIN)/pip install -q -e '.[train-names]'
	PYTHONHASHSEED=0 $(BIN)/python scripts/train_names.py --mirrors $(MIRRORS)

# the tuning loop end to end on shipped support tickets: traffic, collect, LoRA, eval, report (docs/tune.md)
demo-tune: install-test
	$(BIN)/python scripts/demo_tune.py --out build/demo-tune

clean:
	rm -rf $(VENV) $(TOOLS) build .pytest_cache .ruff_cache .mypy_cache
