"""``pip install ./client`` into a fresh virtual environment: no server dependency comes along, and the
``genai-footprint`` command it installs works against the real service.

pip downloads from the index (setuptools for the build, requests and what it needs) into a cache in .venv, so
that later runs take the wheels from disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clientsupport import ROOT, TRAINING

pytestmark = pytest.mark.e2e

SERVER_PACKAGES = {"flask", "gunicorn", "marshmallow", "werkzeug", "apispec", "genai-footprint"}


def run(*args: str | Path, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    workdir = tmp_path_factory.mktemp("client-venv")
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # The machine's pip settings (index, certificates) stay; nothing may point Python at this repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOOTPRINT_", "PYTHONPATH", "PYTHONHOME"))}
    env.update(
        {
            "PIP_CACHE_DIR": str(ROOT / ".venv" / "pip-cache-client-test"),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "NO_COLOR": "1",
        }
    )
    # A copy, so that the build writes nothing into the repository (build/, *.egg-info).
    source = workdir / "client"
    shutil.copytree(ROOT / "client", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    result = run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", source, cwd=workdir, env=env)
    assert result.returncode == 0, f"pip install ./client failed:\n{result.stdout}\n{result.stderr}"
    return venv, env


def test_no_server_dependency_is_installed(installed):
    venv, env = installed
    listed = run(venv / "bin" / "python", "-m", "pip", "list", "--format=json", cwd=venv, env=env)
    assert listed.returncode == 0, listed.stderr
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert "genai-footprint-client" in names and "requests" in names
    assert not names & SERVER_PACKAGES, f"server packages installed with the client: {names & SERVER_PACKAGES}"
    assert "pyyaml" not in names  # only with the yaml extra


def test_the_package_is_typed_and_licensed(installed):
    venv, env = installed
    script = (
        "import importlib.metadata as m, importlib.resources as r, json;"
        "d = m.distribution('genai-footprint-client');"
        "print(json.dumps({'typed': r.files('genai_footprint_client').joinpath('py.typed').is_file(),"
        " 'license': d.metadata['License-Expression'], 'requires': d.requires,"
        " 'files': [str(f) for f in d.files if 'LICENSE' in str(f)]}))"
    )
    result = run(venv / "bin" / "python", "-c", script, cwd=venv, env=env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["typed"] is True
    assert facts["license"] == "Apache-2.0"
    assert facts["files"], "the licence file is not in the installed distribution"
    assert [r for r in facts["requires"] if "extra" not in r] == ["requests<3,>=2.31"]


def test_the_command_works_from_the_fresh_install(installed, server, tmp_path):
    venv, env = installed
    command = venv / "bin" / "genai-footprint"
    help_text = run(command, "--help", cwd=tmp_path, env=env)
    assert help_text.returncode == 0, help_text.stderr
    assert help_text.stdout.startswith("usage: genai-footprint")

    (tmp_path / "plan.json").write_text(json.dumps(TRAINING))
    check = run(
        command,
        "check",
        "training",
        "-f",
        "plan.json",
        "--max-kgco2e",
        "500",
        "--url",
        server.base,
        cwd=tmp_path,
        env=env,
    )
    assert check.returncode == 1, check.stderr
    assert check.stdout.startswith("OVER BUDGET: training emissions_kgco2e ")

    # YAML needs the extra: without it, a clear message and exit code 2.
    (tmp_path / "plan.yaml").write_text("hardware: {count: 1}\n")
    yaml_plan = run(command, "estimate", "training", "-f", "plan.yaml", "--url", server.base, cwd=tmp_path, env=env)
    assert yaml_plan.returncode == 2
    assert "pip install 'genai-footprint-client[yaml]'" in yaml_plan.stderr
