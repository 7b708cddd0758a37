"""gunicorn started with the shipped config (service/gunicorn_conf.py) as a subprocess, 2 workers, loopback.

Checks health, readiness, an estimate, that /metrics counts estimates served by *both* workers whichever
worker answers the scrape, the X-Request-ID round trip, JSON log lines, and a clean SIGTERM shutdown.
"""

from __future__ import annotations

import json
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.e2e

TRAINING = {
    "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8},
    "duration_hours": 10,
    "datacenter": {"provider": "aws", "region": "us-east-1"},
}
ESTIMATE_LINE = re.compile(r'^genai_footprint_estimates_total\{kind="training"\} (\S+)$', re.M)


@pytest.fixture(scope="module")
def server(start_gunicorn):
    return start_gunicorn(FOOTPRINT_WORKERS="2", FOOTPRINT_MAX_REQUESTS="0")  # no worker restarts during the test


def _training_count(metrics_text: str) -> float:
    match = ESTIMATE_LINE.search(metrics_text)
    assert match, 'no genai_footprint_estimates_total{kind="training"} sample in /metrics'
    return float(match.group(1))


def test_health_and_readiness(server):
    health = server.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert server.get("/readyz").status_code == 200


def test_two_workers_are_running(server):
    # /readyz answered as soon as one worker was up: the other may still be starting (bounded wait).
    deadline = time.monotonic() + 10
    while True:
        booted = {json.loads(line).get("message") for line in server.log_lines("stderr")}
        count = sum(1 for message in booted if message.startswith("Booting worker"))
        if count >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert count == 2, booted


def test_estimates_on_both_workers_are_counted_by_every_scrape(server):
    baseline = _training_count(server.get("/metrics").text)
    already_logged = len(server.access_lines())
    sent, pids = 0, set()
    # Rounds of concurrent requests on fresh connections spread over the two workers; keep going (bounded)
    # until both workers have served at least one estimate.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(50):
            responses = list(pool.map(lambda _: server.post("/v1/estimates/training", TRAINING), range(4)))
            for response in responses:
                assert response.status_code == 200, response.text
                assert response.json()["kind"] == "training"
            sent += len(responses)
            time.sleep(0.05)
            pids = {e["pid"] for e in server.access_lines()[already_logged:] if e["path"] == "/v1/estimates/training"}
            if len(pids) >= 2:
                break
    assert len(pids) >= 2, f"all {sent} estimates landed on one worker; cannot check aggregation"

    logged_before_scrapes = len(server.access_lines())
    for _ in range(12):
        metrics = server.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["Content-Type"].startswith("text/plain")
        assert _training_count(metrics.text) == baseline + sent
    time.sleep(0.2)
    scrape_pids = {e["pid"] for e in server.access_lines()[logged_before_scrapes:] if e["path"] == "/metrics"}
    assert scrape_pids, "no access lines for the scrapes"


def test_request_metrics_are_labelled_by_url_rule_method_and_status(server):
    assert server.get("/v1/accelerators/nvidia-a100-sxm4-80gb").status_code == 200
    assert server.get("/no/such/path-12345").status_code == 404
    text = server.get("/metrics").text
    assert re.search(
        r'genai_footprint_http_requests_total\{endpoint="/v1/estimates/training",method="POST",'
        r'status="200"\} [1-9]',
        text,
    )
    assert 'endpoint="/v1/accelerators/<accelerator_id>"' in text
    assert "nvidia-a100-sxm4-80gb" not in text  # the raw path never becomes a label
    assert "path-12345" not in text
    assert 'endpoint="unmatched",method="GET",status="404"' in text
    assert "genai_footprint_http_request_duration_seconds_bucket{" in text
    assert re.search(
        r'genai_footprint_build_info\{methodology_version="[^"]+",python_version="[^"]+",'
        r'version="[^"]+"\} 1\.0',
        text,
    )


def test_request_id_round_trip(server):
    given = server.get("/healthz", headers={"X-Request-ID": "portal-7f3a.retry_2"})
    assert given.headers["X-Request-ID"] == "portal-7f3a.retry_2"
    for bad in ("has space", "x" * 129, "semi;colon"):
        replaced = server.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), replaced.headers
    generated = server.post("/v1/estimates/training", TRAINING)
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-ID"])
    time.sleep(0.2)
    ids = {e["request_id"] for e in server.access_lines()}
    assert "portal-7f3a.retry_2" in ids and generated.headers["X-Request-ID"] in ids


def test_logs_are_json_lines_without_payloads(server):
    server.post("/v1/estimates/training", TRAINING, headers={"X-Request-ID": "log-check-1"})
    time.sleep(0.2)
    stdout_lines = server.log_lines("stdout")
    assert stdout_lines
    entries = [json.loads(line) for line in stdout_lines]  # every stdout line is one JSON object
    mine = [e for e in entries if e.get("request_id") == "log-check-1"]
    assert len(mine) == 1, mine  # exactly one access line per request
    line = mine[0]
    for field in ("ts", "level", "request_id", "method", "path", "status", "duration_ms"):
        assert field in line, field
    assert (line["method"], line["path"], line["status"]) == ("POST", "/v1/estimates/training", 200)
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"])
    assert "payload" not in line
    assert "duration_hours" not in server.stdout.read_text()  # request bodies are not logged
    for error_line in server.log_lines("stderr"):  # gunicorn's own log is JSON too
        assert json.loads(error_line)["logger"].startswith("gunicorn")


def _chunks(data: bytes, size: int = 100):
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bodies_are_read_whole_and_refused_over_the_limit(server, chunked):
    """Through gunicorn's own wsgi.input: a sized body is read straight from it, a chunked one via werkzeug."""
    url = server.base + "/v1/estimates/training"
    headers = {"Content-Type": "application/json", "Connection": "close"}
    body = json.dumps(TRAINING).encode()
    answer = requests.post(url, data=_chunks(body) if chunked else body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    padded = json.dumps({**TRAINING, "padding": "x" * 1_100_000}).encode()  # over the 1 MiB default limit
    refused = requests.post(url, data=_chunks(padded, 65536) if chunked else padded, headers=headers, timeout=10)
    assert refused.status_code == 413
    assert refused.headers["Content-Type"] == "application/problem+json"


def test_sigterm_drains_and_exits_cleanly(server):
    # Last in the module: stops the shared server.
    assert list(server.metrics_dir.glob("*.db")), "workers wrote no metric files"
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=40) == 0
    messages = [json.loads(line)["message"] for line in server.log_lines("stderr")]
    assert any(m.startswith("Handling signal: term") for m in messages), messages
    assert messages[-1].startswith("Shutting down"), messages[-3:]
