"""POST /v1/estimates/batch: per-item answers in order, envelope validation, limits."""

from __future__ import annotations

import pytest

from service import create_app
from service.api.examples import FINE_TUNING_EXAMPLES, INFERENCE_EXAMPLES, TRAINING_EXAMPLES
from service.schemas.responses import (
    FineTuningEstimateSchema,
    InferenceEstimateSchema,
    ProblemSchema,
    TrainingEstimateSchema,
)

URL = "/v1/estimates/batch"
RESULT_SCHEMAS = {
    "training": TrainingEstimateSchema(),
    "fine-tuning": FineTuningEstimateSchema(),
    "inference": InferenceEstimateSchema(),
}
EXAMPLES = (
    [("training", e["value"]) for e in TRAINING_EXAMPLES.values()]
    + [("fine-tuning", e["value"]) for e in FINE_TUNING_EXAMPLES.values()]
    + [("inference", e["value"]) for e in INFERENCE_EXAMPLES.values()]
)


def _items(n: int) -> list[dict]:
    return [
        {"id": f"item-{i}", "kind": EXAMPLES[i % len(EXAMPLES)][0], "workload": EXAMPLES[i % len(EXAMPLES)][1]}
        for i in range(n)
    ]


def test_every_example_in_a_batch_matches_the_single_endpoint(client):
    items = _items(len(EXAMPLES))
    response = client.post(URL, json={"items": items})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answers = response.get_json()["items"]
    assert [a["id"] for a in answers] == [i["id"] for i in items]
    for item, answer in zip(items, answers, strict=True):
        assert answer["status"] == 200, answer
        assert set(answer) == {"id", "status", "result"}
        RESULT_SCHEMAS[item["kind"]].load(answer["result"])
        single = client.post(f"/v1/estimates/{item['kind']}", json=item["workload"]).get_json()
        assert answer["result"] == single


def test_one_bad_item_never_fails_the_others(client):
    items = _items(3)
    items.insert(1, {"id": "bad-count", "kind": "training", "workload": {"hardware": {"count": 0}}})
    items.insert(
        2,
        {
            "id": "unknown-gpu",
            "kind": "training",
            "workload": {"hardware": {"accelerator": "nvidia-h1000"}, "accelerator_hours": 10},
        },
    )
    items.insert(
        3,
        {
            "id": "underdetermined",
            "kind": "training",
            "workload": {"hardware": {"accelerator": "nvidia-h100-sxm5-80gb"}},
        },
    )
    items.insert(4, {"id": "unknown-field", "kind": "inference", "workload": {"bogus": 1}})
    answers = client.post(URL, json={"items": items}).get_json()["items"]
    assert [a["id"] for a in answers] == [i["id"] for i in items]
    by_id = {a["id"]: a for a in answers}
    for good in ("item-0", "item-1", "item-2"):
        assert by_id[good]["status"] == 200
    for bad in ("bad-count", "unknown-gpu", "underdetermined", "unknown-field"):
        answer = by_id[bad]
        assert answer["status"] == 422 and "result" not in answer
        body = ProblemSchema().load(answer["problem"])
        assert body["status"] == 422
        assert all(path.startswith("workload") for path in body["errors"]), body
    assert "workload.hardware.count" in by_id["bad-count"]["problem"]["errors"]
    assert by_id["unknown-gpu"]["problem"]["type"].endswith(":unknown-reference")
    assert "workload.hardware.accelerator" in by_id["unknown-gpu"]["problem"]["errors"]
    assert by_id["underdetermined"]["problem"]["type"].endswith(":underdetermined")
    assert "workload.bogus" in by_id["unknown-field"]["problem"]["errors"]
    assert "workload.hardware" in by_id["unknown-field"]["problem"]["errors"]


def test_duplicate_ids_are_allowed_and_echoed(client):
    kind, workload = EXAMPLES[0]
    items = [{"id": "same", "kind": kind, "workload": workload}] * 2
    answers = client.post(URL, json={"items": items}).get_json()["items"]
    assert [(a["id"], a["status"]) for a in answers] == [("same", 200), ("same", 200)]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "x"}, "items"),
        ({"items": [], "extra": 1}, "extra"),
        ({"items": [{"kind": "training", "workload": {}}]}, "items.0.id"),
        ({"items": [{"id": "", "kind": "training", "workload": {}}]}, "items.0.id"),
        ({"items": [{"id": "x" * 101, "kind": "training", "workload": {}}]}, "items.0.id"),
        ({"items": [{"id": 7, "kind": "training", "workload": {}}]}, "items.0.id"),
        ({"items": [{"id": "a", "kind": "pretraining", "workload": {}}]}, "items.0.kind"),
        ({"items": [{"id": "a", "kind": "training", "workload": []}]}, "items.0.workload"),
        ({"items": [{"id": "a", "kind": "training"}]}, "items.0.workload"),
        ({"items": [{"id": "a", "kind": "training", "workload": {}, "x": 1}]}, "items.0.x"),
        ({"items": [None]}, "items.0"),
    ],
)
def test_a_malformed_envelope_is_one_422(client, body, path):
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert any(p == path or p.startswith(path + ".") for p in problem["errors"]), problem["errors"]


def test_id_of_100_characters_is_accepted(client):
    kind, workload = EXAMPLES[0]
    answers = client.post(URL, json={"items": [{"id": "x" * 100, "kind": kind, "workload": workload}]}).get_json()[
        "items"
    ]
    assert answers[0]["status"] == 200


def test_more_items_than_the_limit_is_refused_with_a_clear_problem():
    app = create_app({"max_batch_items": 5, "access_log": False})
    client = app.test_client()
    assert client.post(URL, json={"items": _items(5)}).status_code == 200
    response = client.post(URL, json={"items": _items(6)})
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"].endswith(":batch-too-large")
    assert "limit is 5" in problem["detail"]
    assert "items" in problem["errors"]


def test_default_limit_is_1000_items(client):
    kind, workload = EXAMPLES[1]
    item = {"id": "i", "kind": kind, "workload": workload}
    response = client.post(URL, json={"items": [item] * 1001})
    assert response.status_code == 422
    assert response.get_json()["type"].endswith(":batch-too-large")


def test_batch_needs_json(client):
    assert client.post(URL, data="items", content_type="text/plain").status_code == 415
    assert client.post(URL, data='{"items": [', content_type="application/json").status_code == 400


def test_successful_items_are_counted_in_metrics(client):
    before = _estimates_total(client, "training")
    client.post(URL, json={"items": _items(3) + [{"id": "bad", "kind": "training", "workload": {}}]})
    assert _estimates_total(client, "training") == before + 3  # three training examples, the bad one not counted


def _estimates_total(client, kind: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    for line in text.splitlines():
        if line.startswith("genai_footprint_estimates_total{") and f'kind="{kind}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_the_documented_examples_are_what_the_service_answers(client):
    from service.api.openapi import _BATCH_EXAMPLE, _BATCH_RESPONSE_EXAMPLE

    request = _BATCH_EXAMPLE["two-items"]["value"]
    answers = client.post(URL, json=request).get_json()["items"]
    assert [a["status"] for a in answers] == [200, 422]
    assert answers[1:] == _BATCH_RESPONSE_EXAMPLE["invalid-item"]["value"]["items"]
