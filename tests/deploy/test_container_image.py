"""Build and run the image with podman (scripts/container-smoke.sh): /readyz, an estimate, /metrics.

Runs only where podman is installed and FOOTPRINT_CONTAINER_TEST=1 (building takes minutes: `make
image-test` runs the same script); otherwise it is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_container_builds_runs_and_answers():
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    if os.environ.get("FOOTPRINT_CONTAINER_TEST") != "1":
        pytest.skip("set FOOTPRINT_CONTAINER_TEST=1 (or run `make image-test`) to build and run the image")
    result = subprocess.run(
        [str(ROOT / "scripts" / "container-smoke.sh"), "test"], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    if result.stdout.startswith("skip:"):
        pytest.skip(result.stdout.strip())
    assert "OK: container answered /readyz, an estimate and /metrics" in output
