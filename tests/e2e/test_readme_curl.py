"""The README's curl examples, run verbatim with curl against a real gunicorn started with the shipped config."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")]


@pytest.fixture(scope="module")
def server(start_gunicorn):
    return start_gunicorn(FOOTPRINT_WORKERS="2").port


def _readme_curl_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        # Join continuation lines and multi-line quoted bodies into one command each.
        current = ""
        for line in block.splitlines():
            if not current and not line.startswith("curl "):
                continue
            current += line + "\n"
            if current.count("'") % 2 == 0 and not line.rstrip().endswith("\\"):
                commands.append(current)
                current = ""
    return commands


COMMANDS = _readme_curl_commands()


def test_readme_has_curl_examples_for_every_endpoint():
    joined = "\n".join(COMMANDS)
    for path in (
        "/v1/estimates/training",
        "/v1/estimates/fine-tuning",
        "/v1/estimates/inference",
        "/v1/accelerators",
        "/v1/instances",
        "/v1/regions",
        "/v1/models",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/recommendations",
        "/v1/compare",
        "/v1/estimates/batch",
    ):
        assert path in joined, f"README has no curl example for {path}"


@pytest.mark.parametrize(
    "command",
    COMMANDS,
    ids=[
        re.sub(r"\W+", "-", c.split("localhost:8080")[1].split()[0]).strip("-")[:60] + f"-{i}"
        for i, c in enumerate(COMMANDS)
    ],
)
def test_readme_curl_example_works(server, command):
    command = re.sub(r"#[^\n']*$", "", command.strip(), flags=re.M).replace("localhost:8080", f"127.0.0.1:{server}")
    result = subprocess.run(
        ["bash", "-c", command.replace("curl -s", "curl -s -w '\\n%{http_code}'", 1)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    body, _, status = result.stdout.rpartition("\n")
    expected = 422 if "nvidia-h100-sxm-80gb" in command else 200
    assert int(status) == expected, (command, result.stdout[-500:], result.stderr[-500:])
    if "/metrics" not in command and expected == 200:
        json.loads(body)
