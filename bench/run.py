"""Run every benchmark and write bench/results/latest.json and the README performance section.

``make bench`` runs ``.venv/bin/python bench/run.py``. Phases, in order:

1. in-process estimates per second, and recommendations against estimates of the same workload
   (bench/inprocess.py, its own process);
2. cold start: gunicorn start to the first ``/readyz`` 200, median of 5;
3. HTTP: the service and the trivial app (bench/trivial_app.py) served at the same time by the shipped
   gunicorn config (only FOOTPRINT_BIND changed), each both directly and behind nginx with the chart's
   configuration (scripts/proxied.py, as `make run-proxied` and the Helm chart serve it); wrk at 16 and 64
   connections, the trivial endpoint and the three estimate endpoints interleaved, ``--rounds`` times; each
   path's ratio is against the trivial endpoint served the same way; worker RSS after warm-up;
   a run where one worker sat idle (the accept race, see ``worker_cpu_figures``) is measured again;
4. batch: a 1,000-item mixed batch through one worker (FOOTPRINT_WORKERS=1), items per second;
5. soak: 60 s at 64 connections over all three endpoints; non-2xx and worker RSS growth.

The machine's load average (/proc/loadavg) is recorded with every measurement: the host has 2 cores, wrk
runs on the same cores as gunicorn, and other jobs may be running.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import proxied  # noqa: E402  (the chart's nginx.conf, rendered for a run)
from workloads import EXAMPLES, PATHS, batch_body, bodies  # noqa: E402

PY = sys.executable
GUNICORN = str(Path(PY).with_name("gunicorn"))
SERVICE_TARGET = "service:create_app()"
TRIVIAL_TARGET = "trivial_app:create_app()"
#: Diagnostic baseline: the trivial endpoint behind the service's serving layer (bench/trivial_app.py).
TRIVIAL_STACK_TARGET = "trivial_app:create_app(stack=True)"
#: Diagnostic service: estimates remembered per distinct request, so estimating costs nothing (bench/ceiling_app.py).
CEILING_TARGET = "ceiling_app:create_app()"
#: Rows of the ceiling diagnostic are named CEILING_PREFIX + kind; they are shown but are not the service.
CEILING_PREFIX = "ceiling:"
#: The kind the full run measures the ceiling of: the costliest estimate (bench/README.md, "The ceiling").
CEILING_KINDS = ("inference",)
#: Rows of the proxied path (nginx in front of gunicorn) are named PROXIED_PREFIX + endpoint; their ratio is
#: against the trivial endpoint behind the same nginx.
PROXIED_PREFIX = "proxied:"
#: Targets whose module lives in bench/ (gunicorn gets ``--pythonpath bench``).
BENCH_MODULES = ("trivial_app:", "ceiling_app:")
RESULTS = BENCH / "results"
README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

TARGETS = {
    "ratio_vs_trivial": 0.6,
    "p99_ms_at_16": 25.0,
    "batch_items_per_s": 5000.0,
    "cold_start_s": 1.0,
    "rss_mb_per_worker": 80.0,
    "soak_rss_growth": 0.10,
    "recommendation_cost_in_estimates": 10.0,
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- tools --------------------------------------------------------------------------------------------------
def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found: installing the Debian package (apt-get update; apt-get install wrk)")
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        raise SystemExit("wrk is missing and this user cannot run apt-get: install the 'wrk' package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get install wrk did not provide a wrk binary")
    return found


def ensure_nginx() -> str:
    """Debian's nginx, installed with apt-get when missing (as `make run-proxied` and `make test` do)."""
    found = proxied.nginx_binary()
    if found is None:
        subprocess.run([str(ROOT / "scripts" / "apt-install.sh"), "nginx:nginx"], check=False)
        found = proxied.nginx_binary()
    if found is None:
        raise SystemExit("nginx is missing and could not be installed: install Debian's 'nginx' package")
    return found


def nginx_version() -> str:
    result = subprocess.run([ensure_nginx(), "-v"], capture_output=True, text=True, check=False)
    return (result.stderr or result.stdout).strip().removeprefix("nginx version: ")


# -- gunicorn processes ---------------------------------------------------------------------------------------
class Server:
    """One gunicorn master started with the shipped config; only FOOTPRINT_BIND (and ``env``) changed.

    ``proxied``: gunicorn on a unix socket behind nginx with the chart's configuration (scripts/proxied.py);
    ``port`` is then nginx's and ``nginx`` its process.
    """

    def __init__(
        self, target: str, workdir: Path, name: str, env: dict[str, str] | None = None, proxied_: bool = False
    ) -> None:
        self.port = free_port()
        self.name = name
        self.stderr_path = workdir / f"{name}-{self.port}.log"
        self.nginx: subprocess.Popen | None = None
        self.proxy_dir: Path | None = None
        environ = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
        environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        environ.update(env or {})
        environ["FOOTPRINT_BIND"] = f"127.0.0.1:{self.port}"
        if proxied_:
            nginx = ensure_nginx()
            # nginx started as root serves from workers running as nobody: a directory they can reach.
            self.proxy_dir = Path(tempfile.mkdtemp(prefix=f"footprint-bench-{name}-"))
            paths = proxied.write_config(self.proxy_dir, f"127.0.0.1:{self.port}")
            proxied.check_config(nginx, paths)
            environ["FOOTPRINT_BIND"] = f"unix:{paths.socket}"
        cmd = [GUNICORN, "--config", "python:service.gunicorn_conf"]
        if target.startswith(BENCH_MODULES):
            cmd += ["--pythonpath", str(BENCH)]
        cmd.append(target)
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - held for the server's life, closed in stop()
        self.started = time.perf_counter()
        # stdout carries the service's JSON access log (one line per request): discarded, as a log shipper would.
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=self._stderr)
        if proxied_:
            self.nginx = proxied.start_nginx(nginx, paths, stdout=subprocess.DEVNULL, stderr=self._stderr)

    def cpu_pids(self) -> list[int]:
        """nginx's worker processes (their CPU counts as the server's on the proxied path)."""
        return worker_pids(self.nginx.pid) if self.nginx is not None else []

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Seconds from process start to the first 200 from /readyz."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.stderr_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/readyz")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.stderr_path}")

    def wait_workers(self, count: int, timeout: float = 30.0) -> list[int]:
        """Wait until ``count`` workers answer, return their pids."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            pids = worker_pids(self.proc.pid)
            if len(pids) >= count and all(rss_kb(p) for p in pids):
                return pids
            time.sleep(0.05)
        return worker_pids(self.proc.pid)

    def workers_booted(self) -> int:
        """How many workers the master has booted so far (recycling after max_requests boots new ones)."""
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace").count("Booting worker")

    def stop(self) -> None:
        # Quick shutdown, waited for longer than gunicorn's graceful_timeout: a worker that does not quit in
        # time is killed by its master, which a master killed earlier would leave running.
        for process in (self.nginx, self.proc):
            if process is not None:
                proxied.stop_process(process, signal.SIGINT)
        self._stderr.close()
        if self.proxy_dir is not None:
            shutil.rmtree(self.proxy_dir, ignore_errors=True)


def _stat_fields(stat: Path) -> list[str] | None:
    """The fields of a ``/proc/<pid>/stat`` after the command name (state first), or None if it is gone."""
    try:
        text = stat.read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields is not None and int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 if it is gone)."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- wrk ----------------------------------------------------------------------------------------------------------
def write_bodies(workdir: Path, name: str, lines: list[str]) -> Path:
    path = workdir / f"{name}.bodies"
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk(port: int, path: str, bodies_file: Path, connections: int, seconds: int, threads: int = 2) -> dict:
    load_before = loadavg()
    env = dict(os.environ, BENCH_PATH=path, BENCH_BODIES=str(bodies_file))
    cmd = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(BENCH / "lua" / "post.lua"),
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
    res = json.loads(line[len("BENCH_JSON ") :])
    secs = res["duration_us"] / 1e6
    lat = res["latency_us"]
    sock = res["socket_errors"]
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    return {
        "connections": connections,
        "seconds": round(secs, 2),
        "requests": res["requests"],
        "rps": round(res["requests"] / secs, 1),
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "non_2xx_3xx": int(m.group(1)) if m else res["non_2xx_3xx"],
        "socket_errors": sum(sock.values()),
        "load_before": load_before,
        "load_after": loadavg(),
    }


# -- phases -----------------------------------------------------------------------------------------------------
def phase_inprocess(seconds: float) -> dict:
    log("in-process estimates per second")
    out = subprocess.run(
        [PY, str(BENCH / "inprocess.py"), "--seconds", str(seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    load_before = loadavg()
    result = json.loads(out)
    result["load"] = load_before
    return result


def phase_cold_start(workdir: Path, runs: int) -> dict:
    log(f"cold start x{runs}")
    times = []
    loads = []
    for i in range(runs):
        loads.append(loadavg())
        server = Server(SERVICE_TARGET, workdir, f"cold{i}")
        try:
            times.append(server.wait_ready())
        finally:
            server.stop()
    return {"runs_s": [round(t, 3) for t in times], "median_s": round(statistics.median(times), 3), "loads": loads}


def phase_http(
    workdir: Path,
    rounds: int,
    seconds: int,
    conns: list[int],
    env: dict[str, str],
    trivial_target: str = TRIVIAL_TARGET,
    service_target: str = SERVICE_TARGET,
    ceiling_kinds: tuple[str, ...] = (),
    with_proxied: bool = True,
) -> dict:
    """The HTTP matrix; ``ceiling_kinds`` adds those endpoints served by bench/ceiling_app.py (a third server),
    as rows named ``ceiling:<kind>``: the same request path with the estimate remembered. ``with_proxied`` adds
    the trivial and estimate endpoints behind nginx (rows named ``proxied:<endpoint>``)."""
    service = Server(service_target, workdir, "service", env=env)
    trivial = Server(trivial_target, workdir, "trivial", env=env)
    ceiling = Server(CEILING_TARGET, workdir, "ceiling", env=env) if ceiling_kinds else None
    behind_nginx = (
        {
            "service": Server(service_target, workdir, "proxied-service", env=env, proxied_=True),
            "trivial": Server(trivial_target, workdir, "proxied-trivial", env=env, proxied_=True),
        }
        if with_proxied
        else {}
    )
    try:
        service.wait_ready()
        trivial.wait_ready()
        svc_workers = service.wait_workers(2)
        triv_workers = trivial.wait_workers(2)
        if ceiling is not None:
            ceiling.wait_ready()
            ceiling.wait_workers(2)
        for server in behind_nginx.values():
            server.wait_ready()
            server.wait_workers(2)
        rss_idle = {"service": [rss_kb(p) for p in svc_workers], "trivial": [rss_kb(p) for p in triv_workers]}
        from trivial_app import EXAMPLE

        files = {"trivial": write_bodies(workdir, "trivial", [json.dumps(EXAMPLE, separators=(",", ":"))])}
        for kind in EXAMPLES:
            files[kind] = write_bodies(workdir, kind, bodies(kind))
        endpoints = {"trivial": (trivial, "/echo", files["trivial"])}
        endpoints |= {k: (service, PATHS[k], files[k]) for k in EXAMPLES}
        if ceiling is not None:
            endpoints |= {CEILING_PREFIX + k: (ceiling, PATHS[k], files[k]) for k in ceiling_kinds}
        if behind_nginx:
            endpoints[PROXIED_PREFIX + "trivial"] = (behind_nginx["trivial"], "/echo", files["trivial"])
            endpoints |= {PROXIED_PREFIX + k: (behind_nginx["service"], PATHS[k], files[k]) for k in EXAMPLES}

        log("HTTP warm-up (2 s per endpoint, 16 connections)")
        for srv, path, body_file in endpoints.values():
            wrk(srv.port, path, body_file, 16, 2)
        # Workers may recycle after max_requests, so sample the workers alive now.
        rss_warm = {
            "service": [rss_kb(p) for p in worker_pids(service.proc.pid)],
            "trivial": [rss_kb(p) for p in worker_pids(trivial.proc.pid)],
        }
        booted0 = {"service": service.workers_booted(), "trivial": trivial.workers_booted()}

        runs, discarded = [], []
        for rnd in range(1, rounds + 1):
            for c in conns:
                for name, (srv, path, body_file) in endpoints.items():
                    log(f"round {rnd}: wrk {name} -c{c} -d{seconds}s")
                    run, idle_worker_runs = until_balanced(partial(measure, srv, path, body_file, c, seconds))
                    run.update(round=rnd, endpoint=name)
                    runs.append(run)
                    discarded += idle_worker_runs
        booted = {
            "service": service.workers_booted() - booted0["service"],
            "trivial": trivial.workers_booted() - booted0["trivial"],
        }
        return {
            "runs": runs,
            "discarded_runs": discarded,
            "rss_idle_kb": rss_idle,
            "rss_warm_kb": rss_warm,
            "worker_restarts_during_runs": booted,
        }
    finally:
        service.stop()
        trivial.stop()
        if ceiling is not None:
            ceiling.stop()
        for server in behind_nginx.values():
            server.stop()


def measure(server: Server, path: str, bodies_file: Path, connections: int, seconds: int) -> dict:
    """One wrk run, with the servers' CPU per request and how it fell on the workers."""
    pids = worker_pids(server.proc.pid)
    proxy_pids = server.cpu_pids()
    cpu_before = [cpu_seconds(p) for p in pids]
    proxy_before = [cpu_seconds(p) for p in proxy_pids]
    r = wrk(server.port, path, bodies_file, connections, seconds)
    used = [cpu_seconds(p) - b for p, b in zip(pids, cpu_before, strict=True)]
    proxy_used = sum(cpu_seconds(p) - b for p, b in zip(proxy_pids, proxy_before, strict=True))
    r.update(path=path, **worker_cpu_figures(used, r["requests"], proxy_used))
    return r


#: A wrk run in which one worker sat (almost) idle measured the accept race, not the code (worker_cpu_figures):
#: it is run again, up to this many attempts in all. The last attempt counts whatever its split, and the
#: discarded ones stay in the results (``discarded_runs``), so the report can say how often it happened.
ATTEMPTS_PER_RUN = 3


def until_balanced(run_once: Callable[[], dict], attempts: int = ATTEMPTS_PER_RUN) -> tuple[dict, list[dict]]:
    """``run_once()`` until a run is balanced (or attempts run out): that run, and the runs set aside."""
    discarded: list[dict] = []
    while True:
        run = run_once()
        run["attempt"] = len(discarded) + 1
        if run["balanced"] or run["attempt"] >= attempts:
            return run, discarded
        log(f"  one worker idle (CPU split {run['worker_cpu_share']}): measuring again")
        discarded.append(run)


def worker_cpu_figures(cpu_s: list[float], requests: int, proxy_cpu_s: float = 0.0) -> dict:
    """How the run's CPU fell on the gunicorn workers, and the server's CPU per request.

    With few keep-alive connections the kernel can hand most of them to one worker (the accept queue is
    shared and epoll wakes the most recent waiter first), and then one core idles: the run measures the
    accept race rather than the code. ``balanced`` is false when a worker did less than two thirds of its
    even share (under a third of the CPU with two workers).
    CPU per request (all workers, and nginx's on the proxied path: ``proxy_cpu_s``) does not depend on that split.
    """
    total = sum(cpu_s)
    shares = [x / total if total else 0.0 for x in cpu_s]
    return {
        "worker_cpu_share": [round(share, 3) for share in shares],
        "balanced": bool(shares) and min(shares) >= 2 / (3 * len(shares)),
        "server_cpu_us_per_request": round((total + proxy_cpu_s) / requests * 1e6, 1) if requests else None,
        "proxy_cpu_us_per_request": round(proxy_cpu_s / requests * 1e6, 1) if requests else None,
    }


def phase_batch(workdir: Path, repeats: int) -> dict:
    log(f"batch: 1,000 mixed items through one worker x{repeats}")
    body = batch_body(1000).encode()
    server = Server(SERVICE_TARGET, workdir, "batch", env={"FOOTPRINT_WORKERS": "1"})
    try:
        server.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Content-Type": "application/json"}

        def post() -> tuple[int, bytes]:
            conn.request("POST", "/v1/estimates/batch", body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()

        status, data = post()  # warm-up, and check every item got an estimate
        if status != 200:
            raise RuntimeError(f"batch answered {status}: {data[:300]!r}")
        parsed = json.loads(data)
        results = parsed.get("results", parsed.get("items", []))
        problems = sum(1 for r in results if "problem" in r)
        times = []
        load_before = loadavg()
        for _ in range(repeats):
            t0 = time.perf_counter()
            status, data = post()
            times.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"batch answered {status}")
        conn.close()
        med = statistics.median(times)
        return {
            "items": 1000,
            "body_bytes": len(body),
            "item_problems": problems,
            "results": len(results),
            "repeats": repeats,
            "median_request_s": round(med, 4),
            "best_request_s": round(min(times), 4),
            "items_per_s": round(1000 / med, 1),
            "items_per_s_best": round(1000 / min(times), 1),
            "load": load_before,
        }
    finally:
        server.stop()


def phase_soak(workdir: Path, seconds: int, connections: int) -> dict:
    log(f"soak: {seconds} s at {connections} connections, all three endpoints")
    # max_requests=0 for the soak only: recycling workers every ~1,000 requests would hide any growth.
    server = Server(SERVICE_TARGET, workdir, "soak", env={"FOOTPRINT_MAX_REQUESTS": "0"})
    try:
        server.wait_ready()
        pids = server.wait_workers(2)
        lines = [f"{PATHS[k]}\t{b}" for k in EXAMPLES for b in bodies(k)]
        mixed = write_bodies(workdir, "soak", lines)
        wrk(server.port, "/", mixed, 16, 5)  # warm-up
        before = {p: rss_kb(p) for p in pids}
        r = wrk(server.port, "/", mixed, connections, seconds)
        after = {p: rss_kb(p) for p in pids}
        growth = {str(p): (after[p] / before[p] - 1) if before[p] and after[p] else None for p in pids}
        valid = [g for g in growth.values() if g is not None]
        r.update(
            rss_before_kb={str(p): v for p, v in before.items()},
            rss_after_kb={str(p): v for p, v in after.items()},
            rss_growth=growth,
            max_rss_growth=max(valid) if len(valid) == len(pids) else None,
            workers_replaced=sorted(worker_pids(server.proc.pid)) != sorted(pids),
        )
        return r
    finally:
        server.stop()


# -- report -------------------------------------------------------------------------------------------------------
def summarize(results: dict) -> dict:
    http = results["http"]
    table = {}
    for run in http["runs"]:
        table.setdefault((run["endpoint"], run["connections"]), []).append(run)
    rows = []
    for (name, c), runs in table.items():
        rows.append(
            {
                "endpoint": name,
                "connections": c,
                "rps": round(statistics.mean(r["rps"] for r in runs), 1),
                "p50_ms": round(statistics.mean(r["p50_ms"] for r in runs), 2),
                "p99_ms": round(statistics.mean(r["p99_ms"] for r in runs), 2),
                "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in runs),
                "socket_errors": sum(r["socket_errors"] for r in runs),
                "load": [r["load_before"][0] for r in runs],
                "balanced_runs": sum(1 for r in runs if r.get("balanced", True)),
                "runs": len(runs),
                "cpu_us_per_request": _median_or_none([r.get("server_cpu_us_per_request") for r in runs]),
            }
        )
    # Ratio per round (the trivial endpoint and the estimate measured a minute apart in the same run), then
    # the median over rounds: a run where the accept race left one worker idle is an outlier either way
    # (see worker_cpu_figures), and the median of three is not moved by one.
    for row in rows:
        if row["endpoint"] in ("trivial", PROXIED_PREFIX + "trivial"):
            row["ratio"] = 1.0
            row["cpu_ratio"] = 1.0
            continue
        ratios, cpu_ratios = [], []
        for r in table[(row["endpoint"], row["connections"])]:
            t = next(x for x in table[(baseline_of(row["endpoint"]), row["connections"])] if x["round"] == r["round"])
            ratios.append(r["rps"] / t["rps"])
            if r.get("server_cpu_us_per_request") and t.get("server_cpu_us_per_request"):
                cpu_ratios.append(t["server_cpu_us_per_request"] / r["server_cpu_us_per_request"])
        row["ratio"] = round(statistics.median(ratios), 3)
        row["ratio_per_round"] = [round(x, 3) for x in ratios]
        row["cpu_ratio"] = round(statistics.median(cpu_ratios), 3) if cpu_ratios else None
    # The service's own rows, direct and behind nginx: both are shipped (the image alone, and the chart).
    est = [r for r in rows if not r["endpoint"].endswith("trivial") and not r["endpoint"].startswith(CEILING_PREFIX)]
    rss_warm = http["rss_warm_kb"]["service"]
    soak = results["soak"]
    checks = {
        "ratio_vs_trivial": (min(r["ratio"] for r in est), ">=", TARGETS["ratio_vs_trivial"]),
        "p99_ms_at_16": (max(r["p99_ms"] for r in est if r["connections"] == 16), "<", TARGETS["p99_ms_at_16"]),
        "batch_items_per_s": (results["batch"]["items_per_s"], ">=", TARGETS["batch_items_per_s"]),
        "cold_start_s": (results["cold_start"]["median_s"], "<", TARGETS["cold_start_s"]),
        "rss_mb_per_worker": (round(max(rss_warm) / 1024, 1), "<", TARGETS["rss_mb_per_worker"]),
        "soak_errors": (soak["non_2xx_3xx"] + soak["socket_errors"], "==", 0),
        "recommendation_cost_in_estimates": (
            round(max(r["estimates_per_recommendation"] for r in results["inprocess"]["recommendations"].values()), 1),
            "<=",
            TARGETS["recommendation_cost_in_estimates"],
        ),
        "soak_rss_growth": (
            soak["max_rss_growth"] if soak["max_rss_growth"] is not None else float("inf"),
            "<",
            TARGETS["soak_rss_growth"],
        ),
    }
    ops = {">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b}
    return {
        "rows": rows,
        "targets": {
            k: {"measured": v, "op": op, "target": t, "met": ops[op](v, t)} for k, (v, op, t) in checks.items()
        },
    }


def baseline_of(endpoint: str) -> str:
    """The trivial endpoint served the same way as ``endpoint`` (directly, or behind nginx)."""
    return PROXIED_PREFIX + "trivial" if endpoint.startswith(PROXIED_PREFIX) else "trivial"


def _median_or_none(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def endpoint_label(endpoint: str) -> str:
    """How the report names a row: the trivial endpoint, an estimate path, or the ceiling of one."""
    if endpoint.startswith(PROXIED_PREFIX):
        return "nginx + " + endpoint_label(endpoint[len(PROXIED_PREFIX) :])
    if endpoint == "trivial":
        return "trivial `/echo`"
    if endpoint.startswith(CEILING_PREFIX):
        return f"ceiling: `{PATHS[endpoint[len(CEILING_PREFIX) :]]}`, estimate remembered"
    return f"`{PATHS[endpoint]}`"


def ceiling_lines(rows: list[dict]) -> list[str]:
    """The sentence under the HTTP table that says what the ceiling rows are (none when they were not run)."""
    ceilings = [r for r in rows if r["endpoint"].startswith(CEILING_PREFIX)]
    if not ceilings:
        return []
    worst = min(ceilings, key=lambda r: r["ratio"])
    return [
        "",
        '"Ceiling" rows: the same service with each distinct estimate remembered (`bench/ceiling_app.py`), so '
        "a request does everything but the estimate: read and validate the body, serialise the answer, the "
        "serving layer (security headers, request id, metrics, access line). No speed-up of the estimate can "
        f"pass it: its worst ratio here is {worst['ratio']:.2f}x. It is a diagnostic, not the service, and not a "
        f"target.",
    ]


def markdown(results: dict) -> str:
    s = results["summary"]
    t = s["targets"]
    ip = results["inprocess"]
    http = results["http"]

    def mark(k: str) -> str:
        return "met" if t[k]["met"] else "**missed**"

    env = results["environment"]
    proxied_rows = any(r["endpoint"].startswith(PROXIED_PREFIX) for r in s["rows"])
    lines = [
        START,
        f"Measured by `make bench` (bench/README.md) on {results['finished'][:10]}: {env['cpus']} CPUs, "
        f"Python {env['python']} ({env.get('domain', 'domain: not recorded')}), gunicorn with the shipped "
        "`service/gunicorn_conf.py` defaults "
        f"({env['gunicorn']})"
        + (f", alone and behind {env['nginx']} with the Helm chart's configuration" if "nginx" in env else "")
        + "; wrk runs on the same cores. Load average (1 min) at the start: "
        f"{results['load_start'][0]:.2f}. Raw figures: `bench/results/latest.json`.",
        "",
        "| Target | Measured | Goal | |",
        "|---|---|---|---|",
        f"| Estimate throughput vs trivial endpoint (worst endpoint) | {t['ratio_vs_trivial']['measured']:.2f}x "
        f"| >= {TARGETS['ratio_vs_trivial']}x | {mark('ratio_vs_trivial')} |",
        f"| p99 latency at 16 connections (worst endpoint) | {t['p99_ms_at_16']['measured']:.1f} ms | < 25 ms "
        f"| {mark('p99_ms_at_16')} |",
        f"| Batch, 1,000 mixed items, one worker | {t['batch_items_per_s']['measured']:,.0f} items/s "
        f"| >= 5,000 items/s | {mark('batch_items_per_s')} |",
        f"| Cold start (start to `/readyz` 200, median of {len(results['cold_start']['runs_s'])}) "
        f"| {t['cold_start_s']['measured']:.2f} s | < 1 s | {mark('cold_start_s')} |",
        f"| Resident memory per worker after warm-up (max) | {t['rss_mb_per_worker']['measured']:.1f} MB | < 80 MB "
        f"| {mark('rss_mb_per_worker')} |",
        f"| Soak {results['soak']['seconds']:.0f} s at 64 connections: errors | {t['soak_errors']['measured']} "
        f"of {results['soak']['requests']:,} | 0 | {mark('soak_errors')} |",
        f"| Soak: worker RSS growth (max) | {100 * t['soak_rss_growth']['measured']:.1f} % | < 10 % "
        f"| {mark('soak_rss_growth')} |",
        f"| One recommendation in estimates of the same workload (worst documented workload, in process) "
        f"| {t['recommendation_cost_in_estimates']['measured']:.1f} | <= 10 "
        f"| {mark('recommendation_cost_in_estimates')} |",
        "",
        "HTTP, one wrk run per row per round (the trivial endpoint and the estimate endpoints interleaved; "
        f"{http['rounds']} round(s) of {http['seconds']} s). Requests/s and latencies are means over the rounds; "
        '"vs trivial" is the median of the per-round throughput ratios (each round\'s ratio in brackets), against '
        "the trivial endpoint served the same way"
        + (' ("nginx +" rows: behind nginx, as the chart serves it)' if proxied_rows else "")
        + '. "Server CPU" is the workers\' CPU time per request (median'
        + ("; nginx's included on its rows" if proxied_rows else "")
        + "), and \"CPU vs trivial\" the trivial endpoint's CPU per request divided by this one's: unlike "
        "throughput, it does not depend on how the "
        'connections fell on the workers. "Balanced" counts the runs where each worker did at least a third '
        "of the work; a run where one worker sat idle is measured again, up to "
        f"{ATTEMPTS_PER_RUN} attempts ({len(http.get('discarded_runs', []))} run(s) set aside this time, "
        "kept in the raw figures).",
        "",
        "| Endpoint | Connections | Requests/s | p50 ms | p99 ms | vs trivial | Server CPU us/request "
        "| CPU vs trivial | Balanced | non-2xx | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def order(r):
        return (
            r["connections"],
            r["endpoint"].startswith(PROXIED_PREFIX),
            not r["endpoint"].endswith("trivial"),
            r["endpoint"].startswith(CEILING_PREFIX),
            r["endpoint"],
        )

    for r in sorted(s["rows"], key=order):
        path = endpoint_label(r["endpoint"])
        per_round = f" ({', '.join(f'{x:.2f}' for x in r['ratio_per_round'])})" if "ratio_per_round" in r else ""
        cpu = f"{r['cpu_us_per_request']:,.0f}" if r.get("cpu_us_per_request") is not None else "n/a"
        cpu_ratio = f"{r['cpu_ratio']:.2f}x" if r.get("cpu_ratio") is not None else "n/a"
        lines.append(
            f"| {path} | {r['connections']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['ratio']:.2f}x{per_round} | {cpu} | {cpu_ratio} | {r.get('balanced_runs', r.get('runs', 0))} of "
            f"{r.get('runs', 0)} | {r['non_2xx_3xx'] + r['socket_errors']} | "
            f"{', '.join(f'{x:.2f}' for x in r['load'])} |"
        )
    lines += ceiling_lines(s["rows"])
    lines += [
        "",
        "In-process, one core (best of 3):",
        "",
        "| Kind | Domain only /s | Validate + estimate + as_dict /s | Compiled load /s | marshmallow load /s "
        "| Validate + estimate + as_dict vs 10-field schema load |",
        "|---|---|---|---|---|---|",
    ]
    for kind, row in ip["kinds"].items():
        lines.append(
            f"| {kind} | {row['domain_per_s']:,.0f} | {row['estimate_payload_per_s']:,.0f} "
            f"| {row.get('compiled_load_per_s', 0):,.0f} | {row['schema_load_only_per_s']:,.0f} "
            f"| {row['estimate_payload_vs_trivial']:.2f}x |"
        )
    lines += [
        f"| trivial 10-field schema load | | | | {ip['trivial_schema_load_per_s']:,.0f} | 1.00x |",
        "",
        f"Batch in-process (`estimate_items`, envelope already validated): "
        f"{ip['batch_estimate_items_items_per_s']:,.0f} items/s. Over HTTP: median "
        f"{results['batch']['median_request_s'] * 1000:.0f} ms per 1,000-item request "
        f"({results['batch']['body_bytes'] / 1024:.0f} KiB body).",
        "",
        "Recommendations, in process through the Flask test client (request handling, validation and JSON "
        "encoding included on both sides; best of 3): each documented workload posted to `/v1/recommendations` "
        "and to its estimate endpoint.",
        "",
        "| Workload | Estimates/s | Recommendations/s | `?detail=summary` /s | Cost in estimates |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {r['estimate_per_s']:,.0f} | {r['recommendations_per_s']:,.0f} | {r['summary_per_s']:,.0f} "
            f"| {r['estimates_per_recommendation']:.1f} |"
            for name, r in ip["recommendations"].items()
        ),
        "",
        f"Cold start runs: {', '.join(f'{x:.2f}' for x in results['cold_start']['runs_s'])} s. Worker RSS after "
        f"warm-up: service {', '.join(f'{x / 1024:.1f}' for x in http['rss_warm_kb']['service'])} MB, trivial app "
        f"{', '.join(f'{x / 1024:.1f}' for x in http['rss_warm_kb']['trivial'])} MB. Workers recycled during the "
        f"HTTP runs ({results['environment']['gunicorn'].split('defaults: ')[-1]}): service "
        f"{http['worker_restarts_during_runs']['service']}, "
        f"trivial {http['worker_restarts_during_runs']['trivial']}. The soak sets FOOTPRINT_MAX_REQUESTS=0 so "
        f"that recycling cannot hide memory growth.",
        "",
        'Where the time goes, and what would close the gaps: bench/README.md, "Findings".',
        END,
    ]
    return "\n".join(lines) + "\n"


def write_report(results: dict) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    section = markdown(results)
    (RESULTS / "performance.md").write_text(section)
    if README.exists():
        text = README.read_text()
        if START in text and END in text:
            before, rest = text.split(START, 1)
            _, after = rest.split(END, 1)
            README.write_text(before + section.rstrip("\n") + after)
            return "README.md"
    return "bench/results/performance.md (README.md has no bench markers)"


def domain_build() -> str:
    """Whether the estimation domain runs compiled (setup.py) or as plain Python, in the measured checkout."""
    import importlib.metadata

    import service.domain.serving as serving

    if (serving.__spec__.origin or "").endswith(".so"):
        return f"domain compiled with mypyc {importlib.metadata.version('mypy')}"
    return "domain as plain Python"


def shipped_gunicorn_defaults() -> str:
    """The gunicorn settings service/gunicorn_conf.py gives with no FOOTPRINT_* variable set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
    code = (
        "import service.gunicorn_conf as c; "
        "print(f'{c.workers} {c.worker_class} workers x {c.threads} threads, max_requests {c.max_requests} + "
        "{c.max_requests_jitter} jitter')"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the HTTP matrix")
    parser.add_argument("--soak-seconds", type=int, default=60)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--batch-repeats", type=int, default=20)
    parser.add_argument("--inprocess-seconds", type=float, default=3.0)
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from results/latest.json")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="FOOTPRINT_X=V",
        help="experiment: extra setting for both HTTP-phase servers (results go to results/experiment-*.json)",
    )
    parser.add_argument("--http-only", action="store_true", help="experiment: run only the HTTP phase")
    parser.add_argument(
        "--no-proxied", action="store_true", help="leave out the rows behind nginx (quicker experiments)"
    )
    parser.add_argument(
        "--baseline",
        choices=["bare", "stack"],
        default="bare",
        help="experiment: 'stack' serves the trivial endpoint behind the service's serving layer (implies --http-only)",
    )
    parser.add_argument(
        "--service",
        choices=["real", "ceiling"],
        default="real",
        help="experiment: 'ceiling' remembers each estimate, so estimating costs nothing (implies --http-only)",
    )
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)

    if args.report_only:
        results = json.loads((RESULTS / "latest.json").read_text())
        results["summary"] = summarize(results)
        log(f"wrote {write_report(results)}")
        return

    ensure_wrk()
    import gunicorn

    results: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_start": loadavg(),
        "environment": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "domain": domain_build(),
            "gunicorn": f"gunicorn {gunicorn.__version__}, shipped defaults: {shipped_gunicorn_defaults()}",
            "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip(),
        },
    }
    if not args.no_proxied:
        results["environment"]["nginx"] = nginx_version()
    if args.http_only or extra_env or args.baseline != "bare" or args.service != "real":
        target = TRIVIAL_STACK_TARGET if args.baseline == "stack" else TRIVIAL_TARGET
        service_target = CEILING_TARGET if args.service == "ceiling" else SERVICE_TARGET
        with tempfile.TemporaryDirectory(prefix="footprint-bench-") as tmp:
            results["env"] = extra_env
            results["baseline"] = target
            results["service"] = service_target
            results["http"] = phase_http(
                Path(tmp),
                args.rounds,
                args.seconds,
                [16, 64],
                extra_env,
                target,
                service_target,
                with_proxied=not args.no_proxied,
            )
        results["loads_end"] = loadavg()
        parts = [f"{k}={v}" for k, v in extra_env.items()]
        parts += (["baseline=stack"] if args.baseline == "stack" else []) + (
            ["service=ceiling"] if args.service == "ceiling" else []
        )
        name = "experiment-" + ("-".join(parts) or "http") + ".json"
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
        for r in results["http"]["runs"]:
            log(
                f"{r['endpoint']:>12} -c{r['connections']}: {r['rps']:8.1f} req/s p50 {r['p50_ms']} ms "
                f"p99 {r['p99_ms']} ms cpu {r['server_cpu_us_per_request']} us/req split {r['worker_cpu_share']} "
                f"non-2xx {r['non_2xx_3xx']} load {r['load_before'][0]}"
            )
        log(f"worker restarts: {results['http']['worker_restarts_during_runs']}; wrote bench/results/{name}")
        return
    with tempfile.TemporaryDirectory(prefix="footprint-bench-") as tmp:
        workdir = Path(tmp)
        results["inprocess"] = phase_inprocess(args.inprocess_seconds)
        results["cold_start"] = phase_cold_start(workdir, args.cold_runs)
        results["http"] = phase_http(
            workdir,
            args.rounds,
            args.seconds,
            [16, 64],
            {},
            ceiling_kinds=CEILING_KINDS,
            with_proxied=not args.no_proxied,
        )
        results["http"].update(rounds=args.rounds, seconds=args.seconds)
        results["batch"] = phase_batch(workdir, args.batch_repeats)
        results["soak"] = phase_soak(workdir, args.soak_seconds, 64)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["load_end"] = loadavg()
    results["summary"] = summarize(results)
    where = write_report(results)
    log(f"wrote bench/results/latest.json and {where}")
    for name, t in results["summary"]["targets"].items():
        log(f"{name}: {t['measured']} {t['op']} {t['target']}: {'met' if t['met'] else 'MISSED'}")


if __name__ == "__main__":
    main()
