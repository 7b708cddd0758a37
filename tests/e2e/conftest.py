"""End-to-end fixtures: gunicorn started with the shipped config as a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running gunicorn: its process, base URL, log files and metrics directory."""

    def __init__(self, process: subprocess.Popen, port: int, stdout: Path, stderr: Path, metrics_dir: Path):
        self.process, self.port, self.stdout, self.stderr, self.metrics_dir = process, port, stdout, stderr, metrics_dir
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, headers=None) -> requests.Response:
        # A fresh connection per call (no Session), so successive calls can land on either worker.
        return requests.get(self.base + path, timeout=10, headers={"Connection": "close", **(headers or {})})

    def post(self, path: str, body, headers=None) -> requests.Response:
        return requests.post(
            self.base + path, json=body, timeout=10, headers={"Connection": "close", **(headers or {})}
        )

    def log_lines(self, which: str = "stdout") -> list[str]:
        path = self.stdout if which == "stdout" else self.stderr
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def access_lines(self) -> list[dict]:
        return [entry for entry in map(json.loads, self.log_lines()) if entry.get("logger") == "service.access"]

    def metric(self, name: str, **labels: str) -> float:
        """One sample from a /metrics scrape (all workers), e.g. ``metric("..._total", reason="x")``."""
        selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
        pattern = rf"^{re.escape(name)}" + (rf"\{{{re.escape(selector)}\}}" if selector else "") + r" (\S+)$"
        match = re.search(pattern, self.get("/metrics").text, re.M)
        assert match, f"no sample {name}{{{selector}}} in /metrics"
        return float(match.group(1))


@contextlib.contextmanager
def running_gunicorn(workdir: Path, **settings: str) -> Iterator[Server]:
    """gunicorn with the shipped config; ``settings`` are extra environment variables (FOOTPRINT_*...).

    The caller's own FOOTPRINT_* variables are dropped so that the test sees the shipped defaults.
    """
    port = free_port()
    metrics_dir = workdir / "metrics"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
    env.update({"FOOTPRINT_BIND": f"127.0.0.1:{port}", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), **settings})
    stdout, stderr = workdir / "stdout.log", workdir / "stderr.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            [str(gunicorn), "--config", "python:service.gunicorn_conf", "service:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    server = Server(process, port, stdout, stderr, metrics_dir)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}: {stderr.read_text()[-2000:]}")
            try:
                if server.get("/readyz").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not become ready in {READY_TIMEOUT_S} s:\n" + stderr.read_text()[-2000:])
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def start_gunicorn(tmp_path_factory):
    """Start gunicorn servers for a test module (``start_gunicorn(FOOTPRINT_WORKERS="2")``); all stop after it."""
    with contextlib.ExitStack() as stack:
        yield lambda **settings: stack.enter_context(running_gunicorn(tmp_path_factory.mktemp("gunicorn"), **settings))
