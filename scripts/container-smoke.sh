#!/usr/bin/env bash
# Build the genai-footprint image with podman, run it read-only as a non-root user, wait for /readyz,
# POST one estimate, scrape /metrics, print the image size, and clean up.
#
#   scripts/container-smoke.sh            # build + run + check (what `make image-test` does)
#   scripts/container-smoke.sh build      # build only (what `make image` does)
#
# Exits 0 with a "skip:" message when podman is not installed.
#
# Base image: the Dockerfile says FROM python:3.11-slim (ARG BASE_IMAGE). When that image is not in local
# storage and no registry can be reached, this script makes a stand-in base once: Debian bookworm from the
# Debian archive via debootstrap (python3, venv, pip, and the headers the official image has), imported with
# `podman import`, tagged $LOCAL_BASE, and passes it as --build-arg BASE_IMAGE. Set BASE_IMAGE to force a base.
#
# Environment:
#   IMAGE         image name to build (default localhost/genai-footprint:dev)
#   BASE_IMAGE    base image for both stages (default: python:3.11-slim if present locally, else $LOCAL_BASE)
#   LOCAL_BASE    tag of the debootstrapped stand-in base (default localhost/footprint-base:bookworm-py311-dev)
#   DEBIAN_MIRROR archive debootstrap uses (default http://deb.debian.org/debian)
#   EXTRA_CA_DIR  *.crt files added to the stand-in base's trust store (default /usr/local/share/ca-certificates)
#   PODMAN_OPTS   global podman options (default: --storage-driver vfs --runtime runc)
#   SMOKE_PORT    host port for the container (default: a free loopback port)
#   BUILD_OPTS    extra `podman build` options (the test passes --layers=false: no build cache left on disk)
#   KEEP=1        leave the container running (printed) instead of removing it
#   CLEAN=1       also remove the image once checked (the stand-in base stays, for the next run)
set -euo pipefail

cd "$(dirname "$0")/.."
MODE=${1:-test}
IMAGE=${IMAGE:-localhost/genai-footprint:dev}
LOCAL_BASE=${LOCAL_BASE:-localhost/footprint-base:bookworm-py311-dev}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
read -r -a PODMAN_GLOBAL <<<"${PODMAN_OPTS:---storage-driver vfs --runtime runc}"

log() { printf '[container-smoke] %s\n' "$*" >&2; }

if ! command -v podman >/dev/null 2>&1; then
    echo "skip: podman is not installed (apt-get install podman runc debootstrap to run the container test)"
    exit 0
fi

pm() { podman "${PODMAN_GLOBAL[@]}" "$@"; }

make_local_base() {
    if pm image exists "$LOCAL_BASE"; then
        log "stand-in base $LOCAL_BASE already in local storage"
        return 0
    fi
    if ! command -v debootstrap >/dev/null 2>&1; then
        echo "skip: no python:3.11-slim image locally and debootstrap is not installed to make a stand-in base"
        exit 0
    fi
    [ "$(id -u)" = 0 ] || { echo "skip: making the stand-in base with debootstrap needs root"; exit 0; }
    local rootfs
    rootfs=$(mktemp -d /var/tmp/footprint-base.XXXXXX)
    chmod 0755 "$rootfs"  # mktemp makes it 0700, which would become the image's / and lock out uid 10001
    log "debootstrap bookworm into $rootfs (a few minutes, once)"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,python3-dev,ca-certificates \
        bookworm "$rootfs" "$DEBIAN_MIRROR" >"$rootfs.log" 2>&1 || {
        tail -20 "$rootfs.log" >&2; rm -rf "$rootfs"; log "debootstrap failed"; exit 1; }
    # Make it look like the official image where the Dockerfile relies on it: `python` on PATH.
    ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
    # Trust the same extra CAs as this machine (a TLS-inspecting egress proxy in front of the package
    # registries, for instance), so `pip install` in the build stage reaches PyPI as the host does.
    if compgen -G "${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}/*.crt" >/dev/null; then
        cp "${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"/*.crt "$rootfs/usr/local/share/ca-certificates/"
        chroot "$rootfs" update-ca-certificates >/dev/null 2>&1 || log "update-ca-certificates failed in base"
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | pm import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' - "$LOCAL_BASE" >/dev/null
    rm -rf "$rootfs" "$rootfs.log"
    log "imported stand-in base as $LOCAL_BASE"
}

pick_base() {
    if [ -n "${BASE_IMAGE:-}" ]; then
        echo "$BASE_IMAGE"
    elif pm image exists docker.io/library/python:3.11-slim; then
        echo docker.io/library/python:3.11-slim
    else
        make_local_base
        echo "$LOCAL_BASE"
    fi
}

build() {
    local base
    base=$(pick_base)
    log "building $IMAGE from base $base"
    read -r -a build_opts <<<"${BUILD_OPTS:-}"
    pm build --pull=never --format docker "${build_opts[@]}" --build-arg "BASE_IMAGE=$base" \
        --build-arg "VCS_REF=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        --build-arg "BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        -t "$IMAGE" -f Dockerfile . >&2
    local size
    size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
    log "image $IMAGE size: $size bytes ($(( size / 1024 / 1024 )) MiB)"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

smoke() {
    local port ok=0
    port=${SMOKE_PORT:-$(free_port)}
    name="footprint-smoke-$$"  # global: the EXIT trap uses it after this function returns
    log "running $IMAGE as $name on 127.0.0.1:$port (read-only root, tmpfs /tmp, all caps dropped)"
    # Explicit, modest rlimits: podman's defaults exceed what a root without CAP_SYS_RESOURCE (some CI
    # sandboxes) may set, and the OCI runtime then refuses to start the container.
    local run_opts=(--read-only --tmpfs /tmp:rw,size=64m,mode=1777 --cap-drop ALL
                    --security-opt no-new-privileges ${SMOKE_ULIMITS:---ulimit nofile=4096:4096 --ulimit nproc=4096:4096})
    if ! pm run -d --name "$name" "${run_opts[@]}" -p "127.0.0.1:$port:8080" "$IMAGE" \
            >/dev/null 2>/tmp/footprint-smoke-$$-run.err; then
        log "run with a published port failed ($(grep -v level= /tmp/footprint-smoke-$$-run.err | tail -1));" \
            "retrying on the host network"
        pm rm -f "$name" >/dev/null 2>&1 || true
        pm run -d --name "$name" "${run_opts[@]}" --network host -e "FOOTPRINT_BIND=127.0.0.1:$port" \
            "$IMAGE" >/dev/null
    fi
    cleanup() {
        if [ "${KEEP:-0}" = 1 ]; then log "KEEP=1: container $name left running"; return; fi
        pm logs "$name" >/tmp/footprint-smoke-$$-container.log 2>&1 || true
        pm rm -f -t 5 "$name" >/dev/null 2>&1 || true
        log "removed container $name (its log: /tmp/footprint-smoke-$$-container.log)"
        if [ "${CLEAN:-0}" = 1 ]; then
            pm rmi -f "$IMAGE" >/dev/null 2>&1 || true
            log "removed image $IMAGE"
        fi
    }
    trap cleanup EXIT
    local base="http://127.0.0.1:$port"
    for _ in $(seq 1 60); do
        if python3 - "$base/readyz" <<'PY' 2>/dev/null; then ok=1; break; fi
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
PY
        sleep 1
    done
    if [ "$ok" != 1 ]; then
        log "container did not become ready; its log:"; pm logs "$name" >&2 || true; exit 1
    fi
    log "ready: $base/readyz answered 200"
    python3 - "$base" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
body = json.dumps({"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10,
                   "datacenter": {"provider": "aws", "region": "us-east-1"}}).encode()
req = urllib.request.Request(base + "/v1/estimates/training", data=body, method="POST",
                             headers={"Content-Type": "application/json", "X-Request-ID": "smoke-1"})
with urllib.request.urlopen(req, timeout=10) as resp:
    assert resp.status == 200, resp.status
    assert resp.headers["X-Request-ID"] == "smoke-1", resp.headers
    print("[container-smoke] estimate:", resp.read()[:300].decode(), file=sys.stderr)
metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
lines = [l for l in metrics.splitlines() if l.startswith("genai_footprint_estimates_total{")]
assert any('kind="training"' in l for l in lines), metrics[:2000]
print("[container-smoke] metrics:", *lines, sep="\n  ", file=sys.stderr)
# The pages and their files come from the installed package (package data, and swagger-ui-bundle for /docs).
for path, media_type in (("/", "text/html"), ("/embed.js", "text/javascript"), ("/docs", "text/html"),
                         ("/assets/swagger-ui/swagger-ui-bundle.js", "text/javascript")):
    with urllib.request.urlopen(base + path, timeout=5) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith(media_type), (path, resp.headers)
print("[container-smoke] pages: /, /embed.js, /docs and Swagger UI served", file=sys.stderr)
PY
    if pm healthcheck run "$name" >/dev/null 2>&1; then
        log "image HEALTHCHECK ran in the container: healthy"
    else
        log "image HEALTHCHECK did not pass"; exit 1
    fi
    if pm exec "$name" sh -c 'touch /opt/venv/x 2>/dev/null || touch /x 2>/dev/null'; then
        log "root filesystem is writable"; exit 1
    fi
    log "root filesystem is read-only; the service wrote only to /tmp: $(pm exec "$name" ls /tmp | tr '\n' ' ')"
    log "user in container: $(pm exec "$name" id -u)"
    if ! pm exec "$name" python -c \
        'import sys, service.domain.serving as s; sys.exit(not s.__spec__.origin.endswith(".so"))'; then
        log "the estimation domain is not compiled in the image (setup.py)"; exit 1
    fi
    log "the estimation domain runs compiled (mypyc)"
    log "OK: container answered /readyz, an estimate and /metrics"
}

case "$MODE" in
    build) build ;;
    test) build; smoke ;;
    base) make_local_base ;;
    *) echo "usage: $0 [test|build|base]" >&2; exit 2 ;;
esac
