"""openapi.yaml is generated from the schemas: the committed file must match, and cover every route."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from service.api.openapi import spec_yaml

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_schemas():
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == spec_yaml(), "openapi.yaml is stale: run `make openapi` and commit the result"


def test_every_route_is_documented(app):
    documented = yaml.safe_load(spec_yaml())["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("web."):  # the pages and their files (service/web) are not API operations
            continue
        path = str(rule).replace("<", "{").replace(">", "}")
        assert path in documented, f"{path} is served but not in openapi.yaml"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented[path], f"{method} {path} is not documented"


def test_served_document_is_the_committed_one(client):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == (ROOT / "openapi.yaml").read_text(encoding="utf-8")


def test_estimate_operations_have_examples():
    paths = yaml.safe_load(spec_yaml())["paths"]
    for kind in ("training", "fine-tuning", "inference"):
        content = paths[f"/v1/estimates/{kind}"]["post"]["requestBody"]["content"]["application/json"]
        assert content["examples"], kind


@pytest.mark.parametrize(
    ("kind", "variant", "workload_schema"),
    [
        ("training", "TrainingRecommendationRequest", "TrainingRequest"),
        ("fine-tuning", "FineTuningRecommendationRequest", "FineTuningRequest"),
        ("inference", "InferenceRecommendationRequest", "InferenceRequest"),
    ],
    ids=["training", "fine-tuning", "inference"],
)
def test_recommendation_request_is_documented_per_kind(kind, variant, workload_schema):
    schemas = yaml.safe_load(spec_yaml())["components"]["schemas"]
    request = schemas["RecommendationRequest"]
    assert request["discriminator"]["mapping"][kind] == f"#/components/schemas/{variant}"
    assert {"$ref": f"#/components/schemas/{variant}"} in request["oneOf"]
    properties = schemas[variant]["properties"]
    assert properties["kind"]["enum"] == [kind]
    assert properties["workload"]["allOf"] == [{"$ref": f"#/components/schemas/{workload_schema}"}]
    # the service refuses rag_comparison for any other kind (tests/api/test_recommendations_api.py)
    assert ("rag_comparison" in properties) == (kind == "fine-tuning")


def test_batch_items_and_scenarios_keep_free_form_workloads():
    # A bad workload there is answered per item (batch) or per scenario (compare), not refused: the document
    # must not call such a request invalid.
    schemas = yaml.safe_load(spec_yaml())["components"]["schemas"]
    for name in ("BatchItem", "Scenario"):
        assert schemas[name]["properties"]["workload"]["type"] == "object"
        assert schemas[name]["properties"]["workload"]["additionalProperties"] == {}
