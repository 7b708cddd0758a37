"""The production shape on one machine: nginx (Debian's) in front of gunicorn on a unix socket.

    make run-proxied                   # nginx on $FOOTPRINT_BIND (127.0.0.1:8080); Ctrl-C stops both
    python scripts/proxied.py --print  # the nginx configuration such a run uses, and nothing else

The nginx configuration is the chart's (helm/genai-footprint/files/nginx.conf), rendered the way the chart
renders it: each ``@path@`` placeholder takes the chart value of that path (values.yaml) and each ``@run.*@``
placeholder a place of this run. FOOTPRINT_MAX_BODY_BYTES, when set, is the body limit of both nginx and the
service, as config.maxBodyBytes sets both in the chart. tests/deploy/test_proxy_config.py checks that this
rendering and the chart's are the same text; the tests (tests/e2e/conftest.py) and the benchmarks start the
proxy through ``write_config`` and ``start_nginx`` below.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "genai-footprint"
TEMPLATE = CHART / "files" / "nginx.conf"
VALUES = CHART / "values.yaml"
#: ``@a.b.c@``: at least one dot, so that nginx's own ``@name`` locations can never be taken for one.
PLACEHOLDER = re.compile(r"@([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+)@")
#: The run's places: what the chart fills in with the pod's paths (templates/_helpers.tpl).
RUN_KEYS = frozenset({"listen", "socket", "pidFile", "tempDir"})


class RenderError(ValueError):
    """The template names a value that does not exist, or one that is not a number or a string."""


def chart_values(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The chart's default values, with ``overrides`` (dotted paths, as ``helm --set`` takes them) applied."""
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    for path, value in (overrides or {}).items():
        node = values
        *parents, last = path.split(".")
        for key in parents:
            node = node[key]
        if last not in node:
            raise RenderError(f"no chart value {path!r} to override")
        node[last] = value
    return values


def render(template: str, values: Mapping[str, Any], run: Mapping[str, str]) -> str:
    """``template`` with every placeholder replaced, as templates/_helpers.tpl (genai-footprint.nginxConf) does."""

    def value_of(match: re.Match[str]) -> str:
        path = match.group(1)
        head, _, rest = path.partition(".")
        if head == "run":
            if rest not in run:
                raise RenderError(f"nginx.conf: no run value {path!r} (known: {', '.join(sorted(run))})")
            return str(run[rest])
        node: Any = values
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                raise RenderError(f"nginx.conf: no chart value {path!r}")
            node = node[key]
        if isinstance(node, bool) or not isinstance(node, (int, str)):
            raise RenderError(f"nginx.conf: chart value {path!r} is {type(node).__name__}, not a number or a string")
        return str(node)

    return PLACEHOLDER.sub(value_of, template)


@dataclass(frozen=True)
class Paths:
    """Where one proxied run keeps its files (all under ``workdir``)."""

    workdir: Path
    listen: str

    @property
    def socket(self) -> Path:
        return self.workdir / "gunicorn.sock"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "nginx.pid"

    @property
    def temp_dir(self) -> Path:
        return self.workdir / "tmp"

    @property
    def config(self) -> Path:
        return self.workdir / "nginx.conf"

    def run_values(self) -> dict[str, str]:
        return {
            "listen": self.listen,
            "socket": str(self.socket),
            "pidFile": str(self.pid_file),
            "tempDir": str(self.temp_dir),
        }


def write_config(workdir: Path, listen: str, overrides: Mapping[str, Any] | None = None) -> Paths:
    """Render the chart's nginx.conf for a run in ``workdir`` (created if needed) listening on ``listen``."""
    paths = Paths(workdir, listen)
    paths.temp_dir.mkdir(parents=True, exist_ok=True)
    # nginx started as root runs its workers as nobody: they must reach the socket and the temporary files.
    os.chmod(workdir, 0o755)
    text = render(TEMPLATE.read_text(encoding="utf-8"), chart_values(overrides), paths.run_values())
    paths.config.write_text(text, encoding="utf-8")
    return paths


def nginx_binary() -> str | None:
    """Debian puts nginx in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def check_config(nginx: str, paths: Paths) -> None:
    result = subprocess.run(
        [nginx, "-t", "-q", "-e", "stderr", "-c", str(paths.config)], capture_output=True, text=True, timeout=30
    )
    if result.returncode != 0:
        raise RenderError(f"nginx -t refused {paths.config}:\n{result.stderr}")


def start_nginx(nginx: str, paths: Paths, **popen: Any) -> subprocess.Popen:
    """nginx in the foreground (the configuration says ``daemon off``) with the rendered configuration."""
    return subprocess.Popen([nginx, "-e", "stderr", "-c", str(paths.config)], **popen)


def gunicorn_command() -> list[str]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return [str(gunicorn), "--config", "python:service.gunicorn_conf", "service:create_app()"]


def wait_for(condition, timeout: float, what: str, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"{what}: a process exited with {process.returncode} first")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def stop(processes: list[subprocess.Popen]) -> None:
    """nginx finishes what it is serving (QUIT), then gunicorn its requests (TERM), as a pod stops."""
    nginx, gunicorn = processes
    stop_process(nginx, signal.SIGQUIT)
    stop_process(gunicorn, signal.SIGTERM)


def stop_process(process: subprocess.Popen, sig: int) -> None:
    """Ask ``process`` to finish with ``sig``; killed if it has not within 40 s."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Stopped(Exception):
    """SIGTERM or SIGINT: stop both servers and leave."""


def _stopped(signum, frame) -> None:
    raise Stopped(signal.Signals(signum).name)


def main() -> int:
    signal.signal(signal.SIGTERM, _stopped)
    signal.signal(signal.SIGINT, _stopped)  # Ctrl-C; the terminal sends it to nginx and gunicorn too
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--print", action="store_true", help="print the rendered nginx.conf and exit")
    args = parser.parse_args()

    listen = os.environ.get("FOOTPRINT_BIND", "").strip() or "127.0.0.1:8080"
    if "," in listen or listen.startswith(("unix:", "fd://")):
        raise SystemExit(f"FOOTPRINT_BIND: make run-proxied listens on one HOST:PORT, got {listen!r}")
    overrides = {}
    if os.environ.get("FOOTPRINT_MAX_BODY_BYTES", "").strip():
        raw = os.environ["FOOTPRINT_MAX_BODY_BYTES"].strip()
        if not raw.isdigit() or int(raw) < 1:
            raise SystemExit(f"FOOTPRINT_MAX_BODY_BYTES: expected an integer >= 1, got {raw!r}")
        overrides["config.maxBodyBytes"] = int(raw)

    workdir = Path(tempfile.mkdtemp(prefix="footprint-proxied-"))
    try:
        paths = write_config(workdir, listen, overrides)
        if args.print:
            sys.stdout.write(paths.config.read_text(encoding="utf-8"))
            return 0
        nginx = nginx_binary()
        if nginx is None:
            raise SystemExit("nginx is not installed: `make run-proxied` installs Debian's nginx (apt-get, as root)")
        check_config(nginx, paths)
        env = dict(os.environ, FOOTPRINT_BIND=f"unix:{paths.socket}")
        processes = [subprocess.Popen(gunicorn_command(), cwd=ROOT, env=env)]
        try:
            wait_for(paths.socket.exists, 60, "gunicorn's socket", processes)
            processes.insert(0, start_nginx(nginx, paths))
            wait_for(paths.pid_file.exists, 30, "nginx", processes)
            print(
                f"genai-footprint on http://{listen} (nginx; gunicorn on unix:{paths.socket}). Ctrl-C stops both.",
                file=sys.stderr,
                flush=True,
            )
            while all(process.poll() is None for process in processes):
                time.sleep(0.2)
            exited = next(process for process in processes if process.poll() is not None)
            return exited.returncode or 1
        except Stopped:
            return 0
        finally:
            if len(processes) == 2:
                stop(processes)
            elif processes[0].poll() is None:
                processes[0].terminate()
                processes[0].wait()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
