"""The service behind nginx, as the chart runs it and `make run-proxied` starts it: clients see the service's
answers unchanged, nginx's own answers in the service's format, and gunicorn's limits never meet a client."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from rawhttp import connect, read_response
from servers import ROOT, free_port, nginx_or_skip, proxied

from service.api.security import SECURITY_HEADERS

pytestmark = pytest.mark.e2e

TRAINING = {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10}
KEY = "proxy-test-key"


@pytest.fixture(scope="module")
def server(start_proxied):
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    return start_proxied(
        FOOTPRINT_AUTH_ENABLED="true",
        FOOTPRINT_API_KEY_HASHES=digest,
        FOOTPRINT_CORS_ALLOWED_ORIGINS="https://portal.example.org",
    )


@pytest.fixture(scope="module")
def direct(start_gunicorn):
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    return start_gunicorn(FOOTPRINT_AUTH_ENABLED="true", FOOTPRINT_API_KEY_HASHES=digest)


def post(base: str, body, **headers) -> requests.Response:
    return requests.post(base + "/v1/estimates/training", json=body, headers=headers, timeout=10)


def test_answers_through_the_proxy_are_the_services(server, direct):
    proxied_answer = post(server.base, TRAINING, **{"X-API-Key": KEY})
    direct_answer = post(direct.base, TRAINING, **{"X-API-Key": KEY})
    assert proxied_answer.status_code == direct_answer.status_code == 200
    assert proxied_answer.json() == direct_answer.json()
    assert proxied_answer.headers["Server"] == "nginx"
    for name, value in SECURITY_HEADERS.items():  # the service's, once: nginx adds none to its answers
        assert proxied_answer.raw.headers.getlist(name) == [value]
    assert proxied_answer.headers["Cache-Control"] == "no-store"


def test_the_headers_the_service_reads_reach_it(server):
    assert post(server.base, TRAINING).status_code == 401
    assert post(server.base, TRAINING, **{"X-API-Key": KEY}).status_code == 200
    assert post(server.base, TRAINING, Authorization=f"Bearer {KEY}").status_code == 200
    wrong = post(server.base, TRAINING, Authorization="Bearer nope")
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    preflight = requests.options(
        server.base + "/v1/estimates/training",
        headers={"Origin": "https://portal.example.org", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://portal.example.org"
    unsupported = requests.post(
        server.base + "/v1/estimates/training",
        data=b"{}",
        headers={"Content-Type": "text/plain", "X-API-Key": KEY},
        timeout=10,
    )
    assert unsupported.status_code == 415  # Content-Type reached the service


def test_request_ids_pass_both_ways(server):
    kept = post(server.base, TRAINING, **{"X-API-Key": KEY, "X-Request-ID": "portal-7f3a.retry_2"})
    assert kept.headers["X-Request-ID"] == "portal-7f3a.retry_2"
    replaced = post(server.base, TRAINING, **{"X-API-Key": KEY, "X-Request-ID": "has space"})
    generated = replaced.headers["X-Request-ID"]
    assert len(generated) == 32 and all(c in "0123456789abcdef" for c in generated)
    time.sleep(0.2)
    assert {"portal-7f3a.retry_2", generated} <= {e["request_id"] for e in server.access_lines()}


def test_a_head_of_many_fields_reaches_the_service(server):
    """gunicorn refuses more than 100 header fields; nginx passes on only the ones the service reads."""
    fields = b"".join(b"X-Field-%d: %d\r\n" % (i, i) for i in range(150))
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
        status, _, body = read_response(sock)
    assert status == "HTTP/1.1 200 OK" and json.loads(body) == {"status": "ok"}


def request_line(length: int) -> bytes:
    target = b"/" + b"a" * (length - len(b"GET / HTTP/1.1"))
    line = b"GET " + target + b" HTTP/1.1"
    assert len(line) == length
    return line + b"\r\nHost: x\r\nConnection: close\r\n\r\n"


def test_the_longest_request_line_is_gunicorns(server, direct):
    """4,094 bytes (gunicorn's limit_request_line) reach the service; one more is nginx's 414."""
    for target in (server, direct):
        with connect(target) as sock:
            sock.sendall(request_line(4094))
            assert read_response(sock)[0].split()[1] in ("401", "404")  # answered by the service
    with connect(server) as sock:
        sock.sendall(request_line(4095))
        status, headers, _ = read_response(sock)
    assert status.split()[1] == "414" and headers["content-type"] == "application/problem+json"
    with connect(direct) as sock:
        sock.sendall(request_line(4095))
        assert read_response(sock)[0].split()[1] == "414"  # gunicorn's own limit


def test_nginx_logs_what_it_answers_itself(server):
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/estimates/batch?x=1 HTTP/1.1\r\nHost: x\r\nX-Request-ID: too-big-1\r\n"
            b"Content-Length: 5000000\r\n\r\n"
        )
        status, headers, _ = read_response(sock)
    assert status.split()[1] == "413" and headers["x-request-id"] == "too-big-1"
    time.sleep(0.2)
    (line,) = [entry for entry in server.nginx_lines() if entry["request_id"] == "too-big-1"]
    assert (line["logger"], line["method"], line["path"], line["status"]) == (
        "nginx",
        "POST",
        "/v1/estimates/batch",
        413,
    )
    assert line["upstream_status"] == ""
    # A request the service answered is logged once, by the service.
    post(server.base, TRAINING, **{"X-API-Key": KEY, "X-Request-ID": "served-1"})
    time.sleep(0.2)
    assert not [entry for entry in server.nginx_lines() if entry["request_id"] == "served-1"]
    assert [entry for entry in server.access_lines() if entry["request_id"] == "served-1"]


def test_metrics_and_probes_through_the_proxy(server):
    assert requests.get(server.base + "/readyz", timeout=10).json()["status"] == "ready"
    metrics = requests.get(server.base + "/metrics", timeout=10)
    assert metrics.status_code == 200 and "genai_footprint_estimates_total" in metrics.text


def test_gunicorn_gone_or_silent_is_a_502_or_504_problem(start_proxied):
    pair = start_proxied({"proxy.upstreamTimeout": 1})
    workers = [int(p) for p in Path(f"/proc/{pair.process.pid}/task/{pair.process.pid}/children").read_text().split()]
    for pid in workers:  # a hung service: gunicorn accepts nothing and answers nothing
        os.kill(pid, signal.SIGSTOP)
    try:
        silent = requests.get(pair.base + "/readyz", timeout=10)
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    assert silent.status_code == 504 and silent.headers["Content-Type"] == "application/problem+json"
    assert silent.json()["detail"] == "The service did not answer within 1 seconds."
    pair.process.send_signal(signal.SIGTERM)
    pair.process.wait(timeout=40)
    gone = requests.get(pair.base + "/readyz", timeout=10)
    assert gone.status_code == 502 and gone.json()["type"] == "urn:genai-footprint:problem:bad-gateway"
    assert gone.headers["X-Content-Type-Options"] == "nosniff"


def test_make_run_proxied_serves_through_nginx_and_ctrl_c_stops_both(tmp_path):
    """What `make run-proxied` runs (the Makefile target calls scripts/proxied.py with the venv's python)."""
    nginx_or_skip()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "make").glob("*.mk")
    )
    assert "$(PY) scripts/proxied.py" in makefile
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTPRINT_")}
    env["FOOTPRINT_BIND"] = f"127.0.0.1:{port}"
    log = tmp_path / "run-proxied.log"
    with open(log, "wb") as out:
        run = subprocess.Popen([sys.executable, "scripts/proxied.py"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert run.poll() is None, log.read_text()
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert ready.headers["Server"] == "nginx"
        workdir = next(
            Path(line.split("unix:")[1].split(")")[0]).parent
            for line in log.read_text().splitlines()
            if "gunicorn on unix:" in line
        )
        assert (workdir / "gunicorn.sock").exists()
    finally:
        run.send_signal(signal.SIGINT)
        code = run.wait(timeout=60)
    assert code == 0, log.read_text()
    assert not workdir.exists()  # both servers stopped and the run's files removed
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    assert proxied.nginx_binary()
