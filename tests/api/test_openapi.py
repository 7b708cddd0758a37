"""openapi.yaml is generated from the schemas: the committed file must match, and cover every route."""

from __future__ import annotations

from pathlib import Path

import yaml

from service.api.openapi import spec_yaml

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_schemas():
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == spec_yaml(), "openapi.yaml is stale: run `make openapi` and commit the result"


def test_every_route_is_documented(app):
    documented = yaml.safe_load(spec_yaml())["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
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
