"""FootprintClient against the real gunicorn, and against stub servers for retries, keys and query options."""

from __future__ import annotations

import json
import logging
import time
from email.utils import formatdate

import pytest
import requests
from clientsupport import API_KEY, FINE_TUNING, INFERENCE, TRAINING, WORKLOADS, failing, forward, free_port, problem
from genai_footprint_client import (
    FootprintClient,
    ProblemError,
    Range,
    ServiceUnreachableError,
    get_range,
    headline,
)
from genai_footprint_client.client import _retry_after, _segment

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(server):
    with FootprintClient(server.base, retries=0) as c:
        yield c


def direct(server, path: str, body=None) -> dict:
    """The service's own answer, fetched with plain requests, to compare the client's with."""
    if body is None:
        return requests.get(server.base + path, timeout=30).json()
    return requests.post(server.base + path, json=body, timeout=30).json()


@pytest.mark.parametrize("kind", list(WORKLOADS))
def test_estimates_are_the_service_answer_untouched(client, server, kind):
    method = getattr(client, "estimate_" + kind.replace("-", "_"))
    answer = method(WORKLOADS[kind])
    assert answer == direct(server, f"/v1/estimates/{kind}", WORKLOADS[kind])
    assert answer == client.estimate(kind, WORKLOADS[kind])
    emissions = get_range(answer, "emissions_kgco2e")
    assert isinstance(emissions, Range)
    assert emissions.low <= emissions.value <= emissions.high
    assert emissions.value == answer["emissions_kgco2e"]["value"]


@pytest.mark.parametrize("kind", list(WORKLOADS))
def test_a_summary_is_the_service_compact_answer(client, server, kind):
    answer = client.estimate(kind, WORKLOADS[kind], detail="summary")
    assert answer == direct(server, f"/v1/estimates/{kind}?detail=summary", WORKLOADS[kind])
    full = client.estimate(kind, WORKLOADS[kind])
    assert "assumptions" not in answer and answer == {k: v for k, v in full.items() if k != "assumptions"}


def test_headline_figures_of_an_inference_answer(client):
    answer = client.estimate_inference(INFERENCE)
    paths = [fv.figure.path for fv in headline(answer)]
    assert paths[:2] == ["energy_kwh", "emissions_kgco2e"]
    assert "per_request.emissions_gco2e" in paths
    assert "memory.required_gb" not in paths
    per_request = next(fv for fv in headline(answer) if fv.figure.path == "per_request.energy_wh")
    # Wh per request = kWh / requests x 1000.
    assert per_request.value.value == pytest.approx(answer["energy_kwh"]["value"] / 1e6 * 1000, rel=1e-9)


def test_batch_recommend_compare(client, server):
    items = [
        {"id": "t", "kind": "training", "workload": TRAINING},
        {
            "id": "bad",
            "kind": "training",
            "workload": {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 0}},
        },
    ]
    batch = client.estimate_batch(items)
    assert batch == direct(server, "/v1/estimates/batch", {"items": items})
    assert [i["status"] for i in batch["items"]] == [200, 422]
    assert "workload.hardware.count" in batch["items"][1]["problem"]["errors"]

    recommendations = client.recommend("inference", INFERENCE, constraints={"providers": ["aws"]})
    assert recommendations == direct(
        server,
        "/v1/recommendations",
        {"kind": "inference", "workload": INFERENCE, "constraints": {"providers": ["aws"]}},
    )
    assert recommendations["recommendations"], "a us-east-1 H100 workload has greener options"

    stockholm = {**INFERENCE, "datacenter": {"provider": "aws", "region": "eu-north-1"}}
    as_list = client.compare("inference", [{"name": "a", "workload": INFERENCE}, {"name": "b", "workload": stockholm}])
    as_mapping = client.compare("inference", {"a": INFERENCE, "b": stockholm})
    assert as_list == as_mapping
    assert as_list["baseline"] == "a"
    assert as_list["scenarios"][1]["delta"]["emissions_kgco2e"]["percent"] < 0


def test_catalog_and_operations(client, server):
    accelerators = client.accelerators()
    assert accelerators == direct(server, "/v1/accelerators")
    assert client.accelerator("nvidia-h100-sxm5-80gb")["id"] == "nvidia-h100-sxm5-80gb"
    gcp = client.instances(provider="gcp")
    assert gcp["count"] > 0 and {i["provider"] for i in gcp["items"]} == {"gcp"}
    h100 = client.instances(accelerator="nvidia-h100-sxm5-80gb")
    assert {i["accelerator_id"] for i in h100["items"]} == {"nvidia-h100-sxm5-80gb"}
    assert {r["provider"] for r in client.regions(provider="aws")["items"]} == {"aws"}
    assert client.models() == direct(server, "/v1/models")
    assert client.model("mixtral-8x7b")["id"] == "mixtral-8x7b"
    assert client.health() == {"status": "ok"}
    assert client.ready()["status"] == "ready"
    assert "# TYPE" in client.metrics()
    assert client.openapi().startswith("info:") or "openapi: 3" in client.openapi()


def test_a_422_carries_field_paths_and_suggestions(client):
    with pytest.raises(ProblemError) as caught:
        client.estimate_training({"hardware": {"accelerator": "nvidia-h100-sxm-80gb", "count": 8}, "duration_hours": 1})
    error = caught.value
    assert error.status == 422 and error.is_client_error
    assert error.type.startswith("urn:genai-footprint:problem:")
    assert "hardware.accelerator" in error.errors
    assert "nvidia-h100-sxm5-80gb" in error.suggestions
    assert error.detail and error.title
    assert error.problem["status"] == 422


def test_a_long_422_says_how_many_paths_were_left_out(client):
    workload = {**FINE_TUNING, **{f"unknown_{n:03}": 1 for n in range(70)}}
    with pytest.raises(ProblemError) as caught:
        client.estimate_fine_tuning(workload)
    assert caught.value.errors_omitted == 70 - 50
    assert len(caught.value.errors) == 50


def test_unknown_catalog_entry_and_unknown_filter(client):
    with pytest.raises(ProblemError) as caught:
        client.model("llama-3.1-8")
    assert caught.value.status == 404
    assert "llama-3.1-8b" in caught.value.suggestions
    with pytest.raises(ProblemError) as caught:
        client.accelerators(vendor="nvidia")  # the service takes no filter here and says so
    assert caught.value.status == 422


def test_nan_is_refused_before_sending(client):
    with pytest.raises(ValueError, match="NaN or Infinity"):
        client.estimate_training({**TRAINING, "training_tokens_billion": float("nan")})


def test_an_id_is_one_path_segment():
    assert _segment("a/b?c#d") == "a%2Fb%3Fc%23d"
    with pytest.raises(ValueError, match="empty"):
        _segment("")


def test_base_url_with_a_path_prefix(stub_server, server):
    stub = stub_server(forward(server.base, strip_prefix="/footprint"))
    answer = FootprintClient(stub.base + "/footprint/").estimate_training(TRAINING)
    assert stub.seen[0].path == "/footprint/v1/estimates/training"
    assert answer == direct(server, "/v1/estimates/training", TRAINING)


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://host", "http://", "http://host/?q=1"])
def test_bad_base_urls(url):
    with pytest.raises(ValueError, match="base_url"):
        FootprintClient(url)


# Query options


def test_detail_is_sent_only_when_given(stub_server):
    stub = stub_server(lambda seen: (200, {"Content-Type": "application/json"}, b'{"items": []}'))
    client = FootprintClient(stub.base)
    calls = {
        "/v1/estimates/training": lambda detail: client.estimate_training(TRAINING, detail=detail),
        "/v1/estimates/fine-tuning": lambda detail: client.estimate_fine_tuning(FINE_TUNING, detail=detail),
        "/v1/estimates/inference": lambda detail: client.estimate_inference(INFERENCE, detail=detail),
        "/v1/estimates/batch": lambda detail: client.estimate_batch([], detail=detail),
        "/v1/recommendations": lambda detail: client.recommend("inference", INFERENCE, detail=detail),
        "/v1/compare": lambda detail: client.compare("inference", {"a": INFERENCE}, detail=detail),
    }
    for path, call in calls.items():
        for detail, query in ((None, ""), ("summary", "detail=summary"), ("full", "detail=full")):
            call(detail)
            assert (stub.seen[-1].method, stub.seen[-1].path, stub.seen[-1].query) == ("POST", path, query)


def test_bodies_are_passed_through_untouched(stub_server):
    """Fields this client has never heard of (new API fields) reach the service as given, and back."""
    answer = {"kind": "inference", "serving": {"latency_seconds": {"value": 1, "low": 1, "high": 2}}, "new": [1]}
    stub = stub_server(lambda seen: (200, {"Content-Type": "application/json"}, json.dumps(answer).encode()))
    workload = {**INFERENCE, "traffic": {"requests_per_second": 5}, "slo": {"max_latency_seconds": 2}}
    assert FootprintClient(stub.base).estimate_inference(workload) == answer
    assert json.loads(stub.seen[0].body) == workload
    assert stub.seen[0].headers["Content-Type"] == "application/json"


# API keys


def test_api_key_is_sent_as_a_bearer_token(auth_server):
    assert FootprintClient(auth_server.base, API_KEY).estimate_training(TRAINING)["kind"] == "training"
    with pytest.raises(ProblemError) as caught:
        FootprintClient(auth_server.base).estimate_training(TRAINING)
    assert caught.value.status == 401
    with pytest.raises(ProblemError) as caught:
        FootprintClient(auth_server.base, "wrong-key").models()
    assert caught.value.status == 401
    # Health needs no key; the key does no harm there.
    assert FootprintClient(auth_server.base).health() == {"status": "ok"}


def test_from_env(monkeypatch, stub_server):
    stub = stub_server(lambda seen: (200, {"Content-Type": "application/json"}, b'{"status": "ok"}'))
    monkeypatch.setenv("FOOTPRINT_URL", stub.base)
    monkeypatch.setenv("FOOTPRINT_API_KEY", "k1")
    FootprintClient.from_env().health()
    assert stub.seen[0].headers["Authorization"] == "Bearer k1"
    monkeypatch.delenv("FOOTPRINT_URL")
    with pytest.raises(ValueError, match="FOOTPRINT_URL"):
        FootprintClient.from_env()


# Retries


def test_a_503_is_retried_honouring_retry_after(stub_server, server, caplog):
    stub = stub_server(failing(server.base, 503, headers={"Retry-After": "1"}))
    client = FootprintClient(stub.base, retries=2, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="genai_footprint_client"):
        answer = client.estimate_training(TRAINING)
    assert len(stub.seen) == 2
    assert answer == direct(server, "/v1/estimates/training", TRAINING)
    assert [r.getMessage() for r in caplog.records] == [
        f"POST {stub.base}/v1/estimates/training: 503; retry 1 of 2 in 1 s"
    ]


def test_a_500_is_retried_with_backoff(stub_server, server, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    stub = stub_server(failing(server.base, 500, times=3))
    answer = FootprintClient(stub.base, retries=3, backoff=0.25).models()
    assert answer == direct(server, "/v1/models")
    assert waits == [0.25, 0.5, 1.0]
    assert len(stub.seen) == 4


def test_backoff_is_capped_and_retries_run_out(stub_server, server, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    stub = stub_server(failing(server.base, 502, times=10, headers={"Retry-After": "3600"}))
    with pytest.raises(ProblemError) as caught:
        FootprintClient(stub.base, retries=4, backoff=1, backoff_max=5).estimate_inference(INFERENCE)
    assert caught.value.status == 502 and not caught.value.is_client_error
    assert waits == [5, 5, 5, 5]  # Retry-After asked for an hour; the cap wins
    assert len(stub.seen) == 5


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 429])
def test_a_4xx_is_never_retried(stub_server, server, status, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail("slept before a retry"))
    stub = stub_server(failing(server.base, status, headers={"Retry-After": "0"}))
    with pytest.raises(ProblemError) as caught:
        FootprintClient(stub.base, retries=3).estimate_training(TRAINING)
    assert caught.value.status == status
    assert len(stub.seen) == 1


def test_a_dropped_connection_is_retried(stub_server, server):
    stub = stub_server(forward(server.base), drop=1)
    answer = FootprintClient(stub.base, retries=1, backoff=0.01).estimate_fine_tuning(FINE_TUNING)
    assert answer == direct(server, "/v1/estimates/fine-tuning", FINE_TUNING)
    assert len(stub.seen) == 1  # the dropped connection never reached the WSGI app


def test_unreachable_service(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServiceUnreachableError) as caught:
        FootprintClient(url, retries=2, backoff=0.5).health()
    assert caught.value.attempts == 3
    assert waits == [0.5, 1.0]
    assert url in str(caught.value)


def test_an_error_page_that_is_not_a_problem(stub_server):
    stub = stub_server(lambda seen: (502, {"Content-Type": "text/html"}, b"<html><body>Bad gateway</body></html>"))
    with pytest.raises(ProblemError) as caught:
        FootprintClient(stub.base, retries=0).health()
    assert caught.value.status == 502
    assert caught.value.title == "Bad Gateway"
    assert "Bad gateway" in caught.value.detail


def test_a_problem_from_a_stub_keeps_every_field(stub_server):
    body = problem(422, "Invalid", errors={"a.b": ["bad"]}, suggestions=["x"], errors_omitted=3, request_id="r1")
    stub = stub_server(lambda seen: (422, {"Content-Type": "application/problem+json"}, body))
    with pytest.raises(ProblemError) as caught:
        FootprintClient(stub.base).models()
    error = caught.value
    assert (error.errors, error.suggestions, error.errors_omitted, error.request_id) == (
        {"a.b": ["bad"]},
        ["x"],
        3,
        "r1",
    )


def test_retry_after_forms():
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    later = _retry_after(formatdate(time.time() + 30, usegmt=True))
    assert later is not None and 25 <= later <= 30
    assert _retry_after(formatdate(time.time() - 30, usegmt=True)) == 0.0
