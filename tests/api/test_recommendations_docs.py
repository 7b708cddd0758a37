"""The curl examples of docs/recommendations.md and the OpenAPI examples answer 200 and match the schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service import create_app
from service.api.examples import COMPARE_EXAMPLES, RECOMMENDATION_EXAMPLES
from service.schemas.recommendations import CompareResponseSchema, RecommendationResponseSchema

DOC = Path(__file__).resolve().parents[2] / "docs" / "recommendations.md"
_CURL = re.compile(
    r"curl -s localhost:8080(?P<path>/v1/\S+) -H 'Content-Type: application/json' -d '(?P<body>.*?)'", re.S
)
_SCHEMAS = {"/v1/recommendations": RecommendationResponseSchema, "/v1/compare": CompareResponseSchema}


def _doc_examples():
    return [(m["path"], json.loads(m["body"])) for m in _CURL.finditer(DOC.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def client():
    return create_app().test_client()


def test_doc_has_examples_for_both_endpoints():
    paths = {path for path, _ in _doc_examples()}
    assert paths == {"/v1/recommendations", "/v1/compare"}


@pytest.mark.parametrize(
    ("path", "body"),
    _doc_examples()
    + [("/v1/recommendations", e["value"]) for e in RECOMMENDATION_EXAMPLES.values()]
    + [("/v1/compare", e["value"]) for e in COMPARE_EXAMPLES.values()],
)
def test_examples_answer_and_conform(client, path, body):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    payload = response.get_json()
    _SCHEMAS[path]().load(payload)
    if path == "/v1/recommendations":
        assert payload["recommendations"]
    else:
        assert all(s["error"] is None for s in payload["scenarios"])
