"""Servers for the end-to-end tests: gunicorn started with the shipped config as a subprocess on a free loopback
port, alone or behind nginx with the chart's configuration (scripts/proxied.py renders it, as `make run-proxied`
does). conftest.py makes fixtures of them; tests import what else they need from here (a module name of its
own: `conftest` is another module in another test directory)."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 30
sys.path.insert(0, str(ROOT / "scripts"))

import proxied  # noqa: E402  (scripts/proxied.py: the chart's nginx.conf, rendered for a run)


@contextlib.contextmanager
def other_origins(handler: type[http.server.BaseHTTPRequestHandler], count: int = 2) -> Iterator[list[str]]:
    """``count`` origins other than the service's, on loopback, each serving ``handler`` (a portal's pages for the
    browser tests); their base URLs, shut down on exit."""
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(count)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield [f"http://127.0.0.1:{server.server_address[1]}" for server in servers]
    finally:
        for server in servers:
            server.shutdown()


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


def _start_gunicorn(workdir: Path, bind: str, settings: dict[str, str]) -> tuple[subprocess.Popen, Path, Path, Path]:
    """gunicorn with the shipped config; the caller's own FOOTPRINT_* variables are dropped (shipped defaults)."""
    metrics_dir = workdir / "metrics"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
    env.update({"FOOTPRINT_BIND": bind, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), **settings})
    stdout, stderr = workdir / "stdout.log", workdir / "stderr.log"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(proxied.gunicorn_command(), cwd=ROOT, env=env, stdout=out, stderr=err)
    return process, stdout, stderr, metrics_dir


def _wait_ready(server: Server, *processes: tuple[str, subprocess.Popen, Path]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        for name, process, log in processes:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if server.get("/readyz").status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            logs = "\n".join(log.read_text()[-2000:] for _, _, log in processes)
            pytest.fail(f"not ready in {READY_TIMEOUT_S} s:\n{logs}")
        time.sleep(0.1)


@contextlib.contextmanager
def running_gunicorn(workdir: Path, **settings: str) -> Iterator[Server]:
    """gunicorn alone on a free loopback port; ``settings`` are extra environment variables (FOOTPRINT_*...)."""
    port = free_port()
    process, stdout, stderr, metrics_dir = _start_gunicorn(workdir, f"127.0.0.1:{port}", settings)
    server = Server(process, port, stdout, stderr, metrics_dir)
    try:
        _wait_ready(server, ("gunicorn", process, stderr))
        yield server
    finally:
        proxied.stop_process(process, signal.SIGTERM)


class ProxiedServer(Server):
    """nginx on a free loopback port in front of gunicorn on a unix socket: ``process`` is gunicorn."""

    def __init__(self, server: Server, nginx: subprocess.Popen, paths: proxied.Paths, nginx_log: Path, nginx_err: Path):
        super().__init__(server.process, server.port, server.stdout, server.stderr, server.metrics_dir)
        self.nginx, self.paths, self.nginx_log, self.nginx_err = nginx, paths, nginx_log, nginx_err

    def nginx_lines(self) -> list[dict]:
        """nginx's JSON access lines (it logs only what it answered itself, or could not pass on)."""
        return [json.loads(line) for line in self.nginx_log.read_text(encoding="utf-8").splitlines() if line]


def nginx_or_skip() -> str:
    nginx = proxied.nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (make test-tools installs Debian's nginx with apt-get)")
    return nginx


@contextlib.contextmanager
def running_proxied(workdir: Path, proxy: dict | None = None, **settings: str) -> Iterator[ProxiedServer]:
    """The chart's pod shape on loopback: ``proxy`` overrides chart values (``{"proxy.sendTimeout": 2}``);
    ``config.maxBodyBytes`` there is also given to gunicorn as FOOTPRINT_MAX_BODY_BYTES, as the chart does."""
    nginx = nginx_or_skip()
    proxy = dict(proxy or {})
    if "config.maxBodyBytes" in proxy:
        settings.setdefault("FOOTPRINT_MAX_BODY_BYTES", str(proxy["config.maxBodyBytes"]))
    port = free_port()
    # Not under pytest's own (0700) directory: nginx started as root serves from workers running as nobody,
    # which must reach the socket and the temporary files.
    proxy_dir = Path(tempfile.mkdtemp(prefix="footprint-proxied-"))
    paths = proxied.write_config(proxy_dir, f"127.0.0.1:{port}", proxy)
    proxied.check_config(nginx, paths)
    process, stdout, stderr, metrics_dir = _start_gunicorn(workdir, f"unix:{paths.socket}", settings)
    nginx_log, nginx_err = workdir / "nginx.log", workdir / "nginx.err"
    with open(nginx_log, "wb") as out, open(nginx_err, "wb") as err:
        nginx_process = proxied.start_nginx(nginx, paths, stdout=out, stderr=err)
    server = ProxiedServer(
        Server(process, port, stdout, stderr, metrics_dir), nginx_process, paths, nginx_log, nginx_err
    )
    try:
        _wait_ready(server, ("gunicorn", process, stderr), ("nginx", nginx_process, nginx_err))
        yield server
    finally:
        proxied.stop([nginx_process, process])
        shutil.rmtree(proxy_dir, ignore_errors=True)
