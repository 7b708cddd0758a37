# genai-footprint: `make run` starts the service, `make test` sets up and runs every test.
# Everything installs into .venv (Python packages) and .tools (helm); nothing is installed system-wide.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
export FOOTPRINT_BIND ?= 127.0.0.1:8080

.PHONY: help setup run test openapi validate bench clean
.DEFAULT_GOAL := help

help:
	@echo "make run       set up and start the service on $(FOOTPRINT_BIND) (gunicorn, bundled data)"
	@echo "make run-proxied  the same behind nginx, as the Helm chart runs it (nginx on $(FOOTPRINT_BIND))"
	@echo "make test      set up and run all tests"
	@echo "make openapi   regenerate openapi.yaml from the marshmallow schemas"
	@echo "make validate  run the published-case validation report (writes docs/validation.md)"
	@echo "make calibrate fit the training model to the published cases (writes service/domain/calibration.py)"
	@echo "make bench     run the benchmarks (writes the README performance section)"
	@echo "make image-test  build the container with podman, run it, call /readyz and an estimate"
	@echo "make helm-lint   lint and render the Helm chart"

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip 'setuptools>=77'
	FOOTPRINT_COMPILE=0 $(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

# The estimation domain compiled in place with mypyc (setup.py), again whenever one of its sources changes, so
# that no compiled module outlives the source it was built from (tests/conftest.py checks).
# FOOTPRINT_COMPILE=0 asks for plain Python; the stamp names the choice, so that changing it acts at once.
DOMAIN_SOURCES := $(shell find service/domain -name '*.py')
COMPILED := $(VENV)/.compiled-$(or $(FOOTPRINT_COMPILE),1)
$(COMPILED): $(STAMP) setup.py scripts/compile-domain.sh $(DOMAIN_SOURCES)
	@scripts/compile-domain.sh $(PY)
	@rm -f $(VENV)/.compiled-* && touch $@

setup: $(STAMP) $(COMPILED)

run: setup
	$(VENV)/bin/gunicorn --config python:service.gunicorn_conf 'service:create_app()'

test: setup test-tools
	$(PY) -m pytest -q

openapi: setup
	$(PY) -m service.api.openapi > openapi.yaml

clean:
	rm -rf $(VENV) .tools build dist *.egg-info .pytest_cache
	find service -name '*.so' -delete

# Deployment, benchmark and validation targets live beside this file.
-include make/*.mk

# test-tools installs the tools the tests use (helm, linters, Debian's nginx, chromium, podman...); each .mk file
# adds its prerequisites. A tool that cannot be installed is reported; its tests then skip, or fail under CI=true.
.PHONY: test-tools debian-tools
test-tools: debian-tools

# The Debian packages the tests use, with one `apt-get update` for all that are missing (scripts/apt-install.sh).
DEBIAN_TOOLS := chromium:chromium nginx:nginx curl:curl podman:podman runc:runc debootstrap:debootstrap
debian-tools:
	@scripts/apt-install.sh $(DEBIAN_TOOLS)
