"""service.observability in one process (Flask test client): /metrics, request ids, JSON access lines."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

import pytest
from prometheus_client import REGISTRY

from service import create_app
from service.api.services import services_of
from service.observability import get_request_id, init_observability, record_estimate

TRAINING = {
    "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8},
    "duration_hours": 10,
    "datacenter": {"provider": "aws", "region": "us-east-1"},
}


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def access_lines(captured: str) -> list[dict]:
    entries = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [e for e in entries if e.get("logger") == "service.access"]


@pytest.fixture
def client(app):
    return app.test_client()


def test_metrics_endpoint_single_process(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    assert "# TYPE genai_footprint_http_requests_total counter" in text
    assert "# TYPE genai_footprint_http_request_duration_seconds histogram" in text
    assert re.search(r'genai_footprint_build_info\{methodology_version="1\.0\.0",', text)
    for kind in ("training", "fine-tuning", "inference"):
        assert f'genai_footprint_estimates_total{{kind="{kind}"}}' in text
    # Clients refused before the service saw a request are nginx's to count (its log), not the service's.
    assert "genai_footprint_client_errors" not in text


def test_estimate_is_counted_by_kind(client):
    before = sample("genai_footprint_estimates_total", kind="training")
    assert client.post("/v1/estimates/training", json=TRAINING).status_code == 200
    assert sample("genai_footprint_estimates_total", kind="training") == before + 1


def test_record_estimate_counts_and_bounds_labels():
    before = sample("genai_footprint_estimates_total", kind="inference")
    record_estimate("inference", 3)
    record_estimate("inference", 0)
    assert sample("genai_footprint_estimates_total", kind="inference") == before + 3
    record_estimate("made-up-kind")
    assert sample("genai_footprint_estimates_total", kind="made-up-kind") == 0.0
    assert sample("genai_footprint_estimates_total", kind="other") >= 1


def test_request_metrics_use_the_url_rule(client):
    labels = {"endpoint": "/v1/accelerators/<accelerator_id>", "method": "GET", "status": "200"}
    before = sample("genai_footprint_http_requests_total", **labels)
    assert client.get("/v1/accelerators/nvidia-a100-sxm4-80gb").status_code == 200
    assert sample("genai_footprint_http_requests_total", **labels) == before + 1
    assert sample("genai_footprint_http_request_duration_seconds_count", **labels) == before + 1
    client.get("/definitely/not/here")
    assert sample("genai_footprint_http_requests_total", endpoint="unmatched", method="GET", status="404") >= 1
    client.open("/healthz", method="BREW")
    assert sample("genai_footprint_http_requests_total", endpoint="unmatched", method="other", status="405") >= 1


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123_X.y", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("no spaces", False),
        ("slash/no", False),
        ("ünï", False),
    ],
)
def test_request_id_validation(client, given, kept):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    returned = response.headers["X-Request-ID"]
    if kept:
        assert returned == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", returned)
        assert uuid.UUID(hex=returned).version == 4


def test_generated_request_ids_are_random_version_4_uuids():
    from service.observability.request_ids import new_request_id

    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(hex=text)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, text)


def test_request_id_also_on_error_responses(client):
    response = client.post("/v1/estimates/training", json={"nope": 1}, headers={"X-Request-ID": "err-1"})
    assert response.status_code >= 400
    assert response.headers["X-Request-ID"] == "err-1"


def test_one_json_access_line_per_request_without_payload(client, capsys):
    client.post("/v1/estimates/training", json=TRAINING, headers={"X-Request-ID": "line-1"})
    out = capsys.readouterr().out
    lines = [e for e in access_lines(out) if e["request_id"] == "line-1"]
    assert len(lines) == 1
    line = lines[0]
    assert {"ts", "level", "request_id", "method", "path", "status", "duration_ms"} <= set(line)
    assert (line["level"], line["method"], line["path"], line["status"]) == (
        "INFO",
        "POST",
        "/v1/estimates/training",
        200,
    )
    assert line["endpoint"] == "/v1/estimates/training"
    assert "payload" not in line and "duration_hours" not in out


def test_access_line_of_a_bodiless_answer_counts_zero_bytes(capsys):
    app = create_app({"cors_allowed_origins": ("https://portal.example.org",)})
    preflight = app.test_client().options(
        "/v1/estimates/training",
        headers={
            "Origin": "https://portal.example.org",
            "Access-Control-Request-Method": "POST",
            "X-Request-ID": "pre-1",
        },
    )
    assert preflight.status_code == 204
    (line,) = [e for e in access_lines(capsys.readouterr().out) if e["request_id"] == "pre-1"]
    assert (line["status"], line["bytes"]) == (204, 0)


def test_access_line_path_is_the_routed_path(client, capsys):
    client.get("/v1/models", environ_overrides={"PATH_INFO": "//v1/models"}, headers={"X-Request-ID": "slash-1"})
    (line,) = [e for e in access_lines(capsys.readouterr().out) if e["request_id"] == "slash-1"]
    assert (line["path"], line["endpoint"], line["status"]) == ("/v1/models", "/v1/models", 200)


def test_a_failing_access_log_never_fails_the_request(client, monkeypatch, caplog):
    import service.observability.middleware as middleware

    def broken(fields):
        raise OSError("stdout is closed")

    monkeypatch.setattr(middleware, "write_access_line", broken)
    response = client.post("/v1/estimates/training", json=TRAINING, headers={"X-Request-ID": "broken-1"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "broken-1"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_payloads_logged_only_when_enabled(capsys):
    app = create_app({"log_payloads": True})
    app.test_client().post("/v1/estimates/training", json=TRAINING, headers={"X-Request-ID": "payload-1"})
    (line,) = [e for e in access_lines(capsys.readouterr().out) if e["request_id"] == "payload-1"]
    assert json.loads(line["payload"]) == TRAINING


def test_access_log_can_be_turned_off(capsys):
    app = create_app({"access_log": False})
    app.test_client().get("/healthz", headers={"X-Request-ID": "quiet-1"})
    assert not [e for e in access_lines(capsys.readouterr().out) if e["request_id"] == "quiet-1"]


def test_app_log_records_carry_the_request_id(app, capsys):
    with app.test_request_context("/x", headers={"X-Request-ID": "ctx-1"}):
        app.preprocess_request()
        assert get_request_id() == "ctx-1"
        logging.getLogger("service.api").warning("something odd", extra={"detail": 3})
    (entry,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "something odd" in line]
    assert entry["request_id"] == "ctx-1" and entry["detail"] == 3 and entry["level"] == "WARNING"


def test_init_is_idempotent(app):
    rules_before = [r.rule for r in app.url_map.iter_rules()].count("/metrics")
    init_observability(app, services_of(app).settings)
    assert [r.rule for r in app.url_map.iter_rules()].count("/metrics") == rules_before == 1


@pytest.mark.parametrize(
    "instants",
    [(0.0, 0.0005, 0.9995, 1.0), (1_700_000_000.123, 1_700_000_000.9999, 1_700_000_001.0, 1_699_999_999.5)],
    ids=["epoch-second-boundaries", "cached-second-then-next-and-back"],
)
def test_access_line_timestamps_match_the_formatter_whatever_the_order(instants):
    from service.observability.logs import _timestamp

    for now in instants:  # each call may reuse or replace the cached second
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
        assert _timestamp(now) == expected


def test_access_lines_written_straight_to_the_stdout_descriptor_are_whole_lines(tmp_path):
    """The direct os.write path (stdout is the process's own): one JSON line per request, none torn."""
    import subprocess
    import sys

    script = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from service import create_app\n"
        "client = create_app().test_client()\n"
        "body = {'hardware': {'accelerator': 'nvidia-a100-sxm4-80gb'}, 'accelerator_hours': 100}\n"
        "with ThreadPoolExecutor(8) as pool:\n"
        "    list(pool.map(lambda i: client.post('/v1/estimates/training', json=body,"
        " headers={'X-Request-ID': f'fd-{i}'}), range(200)))\n"
    )
    out = tmp_path / "stdout.log"
    with out.open("wb") as stdout:
        subprocess.run([sys.executable, "-c", script], stdout=stdout, check=True, timeout=120)
    ids = [e["request_id"] for e in access_lines(out.read_text())]
    assert sorted(ids) == sorted(f"fd-{i}" for i in range(200))
