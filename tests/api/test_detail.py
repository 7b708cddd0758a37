"""?detail=summary: the same figures, warnings and versions without assumptions and sources; full by default."""

from __future__ import annotations

import pytest

from service.api.examples import (
    COMPARE_EXAMPLES,
    FINE_TUNING_EXAMPLES,
    INFERENCE_EXAMPLES,
    RECOMMENDATION_EXAMPLES,
    TRAINING_EXAMPLES,
)
from service.schemas.recommendations import CompareResponseSchema, RecommendationResponseSchema
from service.schemas.responses import (
    FineTuningEstimateSchema,
    InferenceEstimateSchema,
    ProblemSchema,
    TrainingEstimateSchema,
)

ESTIMATES = {
    "training": (TRAINING_EXAMPLES, TrainingEstimateSchema()),
    "fine-tuning": (FINE_TUNING_EXAMPLES, FineTuningEstimateSchema()),
    "inference": (INFERENCE_EXAMPLES, InferenceEstimateSchema()),
}
CASES = [(kind, name, e["value"]) for kind, (examples, _) in ESTIMATES.items() for name, e in examples.items()]


def _without(body, *keys):
    """``body`` with ``keys`` removed at every depth: what the compact form must equal."""
    if isinstance(body, dict):
        return {k: _without(v, *keys) for k, v in body.items() if k not in keys}
    if isinstance(body, list):
        return [_without(v, *keys) for v in body]
    return body


@pytest.mark.parametrize(("kind", "name", "workload"), CASES, ids=[f"{k}-{n}" for k, n, _ in CASES])
def test_an_estimate_summary_is_the_full_answer_without_assumptions(client, kind, name, workload):
    full = client.post(f"/v1/estimates/{kind}", json=workload)
    summary = client.post(f"/v1/estimates/{kind}?detail=summary", json=workload)
    assert full.status_code == summary.status_code == 200
    assert "assumptions" in full.get_json()
    assert summary.get_json() == _without(full.get_json(), "assumptions")
    assert ESTIMATES[kind][1].validate(summary.get_json()) == {}
    assert client.post(f"/v1/estimates/{kind}?detail=full", json=workload).get_json() == full.get_json()


@pytest.mark.parametrize("name", list(RECOMMENDATION_EXAMPLES))
def test_a_recommendation_summary_drops_assumptions_and_sources_everywhere(client, name):
    body = RECOMMENDATION_EXAMPLES[name]["value"]
    full = client.post("/v1/recommendations", json=body).get_json()
    summary = client.post("/v1/recommendations?detail=summary", json=body).get_json()
    assert summary == _without(full, "assumptions", "sources")
    assert full["recommendations"] and all("sources" in r for r in full["recommendations"])
    assert RecommendationResponseSchema().validate(summary) == {}


@pytest.mark.parametrize("name", list(COMPARE_EXAMPLES))
def test_a_comparison_summary_drops_the_assumptions(client, name):
    body = COMPARE_EXAMPLES[name]["value"]
    full = client.post("/v1/compare", json=body).get_json()
    summary = client.post("/v1/compare?detail=summary", json=body).get_json()
    assert summary == _without(full, "assumptions")
    assert CompareResponseSchema().validate(summary) == {}


def test_a_summary_batch_of_100_items_is_at_most_a_quarter_of_the_full_one(client):
    items = [
        {"id": f"{kind}-{name}-{i}", "kind": kind, "workload": workload}
        for i in range(100)
        for kind, name, workload in [CASES[i % len(CASES)]]
    ]
    full = client.post("/v1/estimates/batch", json={"items": items})
    summary = client.post("/v1/estimates/batch?detail=summary", json={"items": items})
    assert full.status_code == summary.status_code == 200
    assert summary.get_json() == _without(full.get_json(), "assumptions")
    assert len(summary.data) <= len(full.data) / 4, (len(summary.data), len(full.data))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("detail=brief", "Must be one of: full, summary."),
        ("detail=", "Must be one of: full, summary."),
        ("detail=summary&detail=full", "Given more than once."),
    ],
    ids=["unknown-value", "empty", "repeated"],
)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/estimates/training", TRAINING_EXAMPLES["from-model-and-tokens"]["value"]),
        ("/v1/estimates/batch", {"items": []}),
        ("/v1/recommendations", RECOMMENDATION_EXAMPLES["training-search"]["value"]),
        ("/v1/compare", next(iter(COMPARE_EXAMPLES.values()))["value"]),
    ],
    ids=["estimate", "batch", "recommendations", "compare"],
)
def test_a_bad_detail_is_a_422_naming_the_parameter(client, path, body, query, message):
    response = client.post(f"{path}?{query}", json=body)
    assert response.status_code == 422
    problem = response.get_json()
    assert ProblemSchema().validate(problem) == {}
    assert problem["errors"] == {"detail": [message]}


def test_other_query_parameters_are_still_ignored(client):
    workload = TRAINING_EXAMPLES["from-model-and-tokens"]["value"]
    plain = client.post("/v1/estimates/training", json=workload).get_json()
    assert client.post("/v1/estimates/training?source=portal", json=workload).get_json() == plain
