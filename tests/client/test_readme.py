"""The README's client section, run: its Python example, its command lines, and the CI gate's one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from clientsupport import FINE_TUNING, INFERENCE, ROOT, TRAINING

pytestmark = pytest.mark.e2e

TEXT = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = TEXT.split("\n## Python client and command line\n", 1)[1].split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", SECTION, flags=re.S)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The files the README's commands name."""
    files = {
        "plan.json": json.dumps(TRAINING),
        "tune.yaml": yaml.safe_dump(FINE_TUNING),
        "items.json": json.dumps([{"id": "a", "kind": "training", "workload": TRAINING}]),
        "request.json": json.dumps({"kind": "inference", "workload": INFERENCE, "constraints": {"providers": ["aws"]}}),
        "virginia.json": json.dumps(INFERENCE),
        "stockholm.json": json.dumps({**INFERENCE, "datacenter": {"provider": "aws", "region": "eu-north-1"}}),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def shell(command: str, cwd: Path, url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
    # The command the README names, from this test environment's install.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["FOOTPRINT_URL"] = url
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_python_example_runs(server, tmp_path):
    (code,) = blocks("python")
    script = code.replace("http://127.0.0.1:8080", server.base)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith("Range(value=")
    assert second.startswith("404 {} ['llama-3.1-8b'")


def test_every_command_line_runs(server, workdir):
    (commands,) = blocks("sh")
    lines = [line.split("  #")[0].strip() for line in commands.splitlines()]
    lines = [line for line in lines if line and not line.startswith("export ")]
    assert len(lines) >= 9
    for line in lines:
        result = shell(line, workdir, server.base)
        assert result.returncode == 0, (line, result.stderr)
        assert result.stdout.strip(), line


def test_the_documented_check_output(server, workdir):
    example = next(block for block in blocks("text") if block.startswith("$ genai-footprint check"))
    command, output = example.strip().split("\n")
    result = shell(command.removeprefix("$ "), workdir, server.base)
    assert result.returncode == 1, result.stderr
    # The shape, and the budget; not the estimate's figures, which move with the reference data.
    parts = re.split(r"(\d[\d,.]*)", output)
    pattern = "".join(re.escape(p) if i % 2 == 0 or p == "500" else r"[\d,.]+" for i, p in enumerate(parts))
    assert re.fullmatch(pattern, result.stdout.strip()), (output, result.stdout)


def test_the_ci_examples_gate_with_one_line(server, workdir):
    github, gitlab = (yaml.safe_load(block) for block in blocks("yaml"))
    github_lines = github[0]["run"].strip().splitlines()
    gitlab_lines = gitlab["carbon-budget"]["script"]
    assert github_lines[-1] == gitlab_lines[-1]
    gate = github_lines[-1]
    assert gate.startswith("genai-footprint check training -f plan.json --max-kgco2e ")
    assert set(github[0]["env"]) == {"FOOTPRINT_URL", "FOOTPRINT_API_KEY"}
    assert "FOOTPRINT_URL" in gitlab["carbon-budget"]["variables"]
    for install in (github_lines[0], gitlab_lines[0]):
        assert install.startswith('pip install "genai-footprint-client @ git+') and install.endswith(
            '#subdirectory=client"'
        )

    over = shell(gate, workdir, server.base)  # 1,024 H100 for Llama 3.1 8B: far over 500 kg
    assert over.returncode == 1 and over.stdout.startswith("OVER BUDGET: ") and over.stdout.count("\n") == 1
    small = {"hardware": {"accelerator": "nvidia-l4", "count": 1}, "duration_hours": 2, "datacenter": {"country": "SE"}}
    (workdir / "plan.json").write_text(json.dumps(small), encoding="utf-8")
    within = shell(gate, workdir, server.base)
    assert within.returncode == 0 and within.stdout.startswith("OK: ") and within.stdout.count("\n") == 1
