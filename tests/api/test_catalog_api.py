"""Catalog endpoints: listings, filters, single items, 404 with suggestions."""

from __future__ import annotations

import pytest

from service.schemas.catalog import (
    AcceleratorListSchema,
    AcceleratorSchema,
    InstanceListSchema,
    ModelPresetListSchema,
    ModelPresetSchema,
    RegionListSchema,
)


@pytest.mark.parametrize(
    ("path", "schema", "minimum"),
    [
        pytest.param("/v1/accelerators", AcceleratorListSchema, 32, id="accelerators"),
        pytest.param("/v1/instances", InstanceListSchema, 100, id="instances"),
        pytest.param("/v1/regions", RegionListSchema, 144, id="regions"),
        pytest.param("/v1/models", ModelPresetListSchema, 25, id="models"),
    ],
)
def test_listings(client, path, schema, minimum):
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_json()
    assert schema().validate(body) == {}
    assert body["count"] == len(body["items"]) >= minimum
    assert all(item["source"] for item in body["items"])


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_regions_filter_by_provider(client, provider):
    body = client.get(f"/v1/regions?provider={provider}").get_json()
    assert body["count"] > 0 and {r["provider"] for r in body["items"]} == {provider}


def test_instances_filter_by_accelerator(client):
    body = client.get("/v1/instances?accelerator=nvidia-h100-sxm5-80gb").get_json()
    assert body["count"] > 0 and {i["accelerator_id"] for i in body["items"]} == {"nvidia-h100-sxm5-80gb"}


def test_bad_filter_is_422(client):
    response = client.get("/v1/regions?provider=oracle")
    assert response.status_code == 422 and "provider" in response.get_json()["errors"]
    assert client.get("/v1/models?colour=blue").status_code == 422


def test_one_accelerator(client):
    body = client.get("/v1/accelerators/nvidia-h100-sxm5-80gb").get_json()
    assert AcceleratorSchema().validate(body) == {}
    assert body["tdp_w"] == 700 and body["peak_tflops"]["bf16"] == 989


def test_unpublished_tdp_is_null_with_reason(client):
    body = client.get("/v1/accelerators/aws-trainium2").get_json()
    assert body["tdp_w"] is None and "NOT PUBLISHED" in body["tdp_basis"].upper()


def test_one_model(client):
    body = client.get("/v1/models/mixtral-8x7b").get_json()
    assert ModelPresetSchema().validate(body) == {}
    assert body["architecture"] == "moe" and body["active_parameters_billion"] < body["parameters_billion"]


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        pytest.param("/v1/accelerators/nvidia-a100-80gb", "nvidia-a100-sxm4-80gb", id="accelerator"),
        pytest.param("/v1/models/llama-3.1-8c", "llama-3.1-8b", id="model"),
    ],
)
def test_unknown_item_is_404_with_suggestions(client, path, suggestion):
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert suggestion in response.get_json()["suggestions"]


def test_health_and_ready(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["counts"]["regions"] == 144


@pytest.mark.parametrize("path", ["/v1/accelerators/nvidia-h100-sxm5-80gb?provider=aws", "/v1/models/llama-3.1-8b?x=1"])
def test_an_item_refuses_query_parameters_as_listings_do(client, path):
    response = client.get(path)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [path.split("?")[1].split("=")[0]]


def test_a_repeated_query_parameter_is_422_not_first_wins(client):
    # ?provider=gcp&provider=aws listed the GCP instances alone.
    response = client.get("/v1/instances?provider=gcp&provider=aws")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"provider": ["Given more than once."]}


def test_an_unknown_accelerator_filter_is_a_422_with_suggestions(client):
    # It was a 200 with no items: a typo looked like "no such instances".
    response = client.get("/v1/instances?accelerator=nvidia-h100")
    assert response.status_code == 422
    problem = response.get_json()
    assert list(problem["errors"]) == ["accelerator"] and "nvidia-h100-sxm5-80gb" in problem["suggestions"]
