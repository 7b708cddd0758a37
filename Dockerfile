# syntax=docker/dockerfile:1
# genai-footprint: REST service estimating energy, emissions and water of generative-AI workloads.
#
#   docker build -t genai-footprint:1.0.0 .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp genai-footprint:1.0.0
#
# Two stages on the official Python base: "build" makes the wheel (the domain compiled with mypyc) and a
# virtualenv from it; "runtime" gets only that virtualenv (no compilers, no source tree, no pip), runs as uid
# 10001 and writes only to /tmp.
# BASE_IMAGE exists so an air-gapped builder can point at a mirror of the same image.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# mypyc compiles the estimation domain into the wheel (setup.py): a C compiler, in this stage only (the base
# image has the Python headers). Versions follow the base image's Debian release and its security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md* LICENSE* ./
COPY service ./service
# Build the project's wheel (compiling the domain), then install it and its dependencies into /opt/venv.
RUN python -m venv /opt/build-tools \
    && /opt/build-tools/bin/pip install "build>=1.2,<2" \
    && /opt/build-tools/bin/python -m build --wheel --outdir /wheels . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install /wheels/*.whl \
    && /opt/venv/bin/pip uninstall --yes pip

FROM ${BASE_IMAGE} AS runtime
ARG VERSION=1.0.0
ARG VCS_REF=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.title="genai-footprint" \
      org.opencontainers.image.description="REST service estimating energy, emissions and water of generative-AI training, fine-tuning and inference" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim"

RUN groupadd --gid 10001 footprint \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp \
       --shell /usr/sbin/nologin footprint

COPY --from=build /opt/venv /opt/venv

# Everything the service writes goes to /tmp (metrics files, worker heartbeats when /dev/shm is absent).
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    FOOTPRINT_BIND=0.0.0.0:8080

USER 10001:10001
WORKDIR /tmp
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request; port=os.environ.get('FOOTPRINT_BIND','0.0.0.0:8080').split(',')[0].rsplit(':',1)[1]; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % port, timeout=4).status == 200 else 1)"]

# Exec form: gunicorn is PID 1 and gets SIGTERM directly (graceful shutdown, FOOTPRINT_GRACEFUL_TIMEOUT).
CMD ["gunicorn", "--config", "python:service.gunicorn_conf", "service:create_app()"]
