"""The Dockerfile: hadolint, and the properties the deployment relies on (base, user, healthcheck, port)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def test_hadolint_passes(hadolint):
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_shape():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", text, re.M)
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", text, re.M)
    assert stages == [("${BASE_IMAGE}", "build"), ("${BASE_IMAGE}", "runtime")]
    runtime = text.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert not re.search(r"apt-get install|gcc|build-essential", runtime)  # no compilers in the runtime stage
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert re.search(r"^EXPOSE 8080$", runtime, re.M)
    assert "FOOTPRINT_BIND=0.0.0.0:8080" in runtime
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[\"python\", \"-c\", .*/healthz", runtime, re.M)
    for label in ("title", "description", "version", "revision", "created", "licenses", "base.name"):
        assert f"org.opencontainers.image.{label}=" in runtime, label
    assert 'CMD ["gunicorn", "--config", "python:service.gunicorn_conf", "service:create_app()"]' in runtime


def test_dockerignore_keeps_the_context_small():
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert lines[lines.index("*")] == "*"  # everything excluded, then the package re-included
    assert {"!pyproject.toml", "!service/"} <= set(lines)
