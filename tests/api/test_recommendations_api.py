"""POST /v1/recommendations and POST /v1/compare: contract, conformance to the response schemas, errors."""

from __future__ import annotations

import pytest

from service import create_app
from service.api.examples import TRAINING_EXAMPLES
from service.domain.recommendations import merge_patch
from service.schemas.recommendations import CompareResponseSchema, RecommendationResponseSchema
from service.schemas.responses import InferenceEstimateSchema, ProblemSchema

H100 = "nvidia-h100-sxm5-80gb"

INFERENCE = {
    "model": {"preset": "llama-3.1-70b"},
    "hardware": {"accelerator": H100, "count": 4},
    "requests": 1_000_000,
    "input_tokens_per_request": 1000,
    "output_tokens_per_request": 300,
    "deployment": {"mode": "dedicated", "replicas": 2, "hours": 720},
    "datacenter": {"provider": "aws", "region": "ap-south-1"},
}
FINE_TUNING = {
    "model": {"preset": "llama-3.1-8b"},
    "method": "full",
    "dataset_tokens_million": 100,
    "epochs": 3,
    "hardware": {"instance_type": "p4de.24xlarge", "count": 1},
    "runs": 2,
    "datacenter": {"provider": "aws", "region": "us-east-1"},
}
TRAINING = {
    "model": {"preset": "llama-3.1-8b"},
    "training_tokens_billion": 15000,
    "hardware": {"accelerator": H100, "count": 1024},
    "runs": 3,
    "datacenter": {"provider": "azure", "region": "eastus"},
}
BODIES = {
    "inference": {"kind": "inference", "workload": INFERENCE, "constraints": {"providers": ["aws", "gcp"]}},
    "fine-tuning": {"kind": "fine-tuning", "workload": FINE_TUNING, "rag_comparison": {"expected_requests": 20000}},
    "training": {"kind": "training", "workload": TRAINING},
}
EXPECTED_CODES = {
    "inference": {
        "greener_region",
        "efficient_hardware",
        "smaller_model",
        "quantization",
        "right_size_capacity",
        "shorter_prompts",
    },
    "fine-tuning": {
        "greener_region",
        "parameter_efficient_fine_tuning",
        "retrieval_instead_of_fine_tuning",
        "fewer_runs",
    },
    "training": {"greener_region", "efficient_hardware", "fewer_runs"},
}


@pytest.fixture(scope="module")
def client():
    return create_app().test_client()


def _post(client, path, body):
    return client.post(path, json=body)


@pytest.mark.parametrize("kind", ["inference", "fine-tuning", "training"])
def test_recommendations_conform_and_changes_reproduce(client, kind):
    response = _post(client, "/v1/recommendations", BODIES[kind])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    RecommendationResponseSchema().load(body)
    codes = {r["code"] for r in body["recommendations"]}
    assert EXPECTED_CODES[kind] <= codes
    saved = [r["savings"]["emissions_kgco2e"]["value"] for r in body["recommendations"]]
    assert saved == sorted(saved, reverse=True) and all(s > 0 for s in saved)
    baseline = _post(client, f"/v1/estimates/{kind}", BODIES[kind]["workload"]).get_json()
    assert body["baseline"]["emissions_kgco2e"] == pytest.approx(baseline["emissions_kgco2e"], rel=1e-12)
    for rec in body["recommendations"]:
        assert rec["evidence"] == "engine"
        if rec["code"] == "retrieval_instead_of_fine_tuning":
            path, payload = "/v1/estimates/inference", rec["change"]["workload"]
        else:
            path, payload = f"/v1/estimates/{kind}", merge_patch(BODIES[kind]["workload"], rec["change"])
        again = _post(client, path, payload)
        assert again.status_code == 200, (rec["code"], again.get_json())
        assert again.get_json()["emissions_kgco2e"]["value"] == pytest.approx(
            rec["estimate"]["emissions_kgco2e"]["value"], rel=1e-12
        )


def test_instance_type_hardware_change_is_explicit(client):
    body = _post(client, "/v1/recommendations", BODIES["fine-tuning"]).get_json()
    peft = next(r for r in body["recommendations"] if r["code"] == "parameter_efficient_fine_tuning")
    # p4de.24xlarge holds 8 x A100 80GB: LoRA of 8B still needs one instance, so only the method changes.
    assert peft["change"] == {"method": "lora"}
    hardware = [r for r in body["recommendations"] if r["code"] == "efficient_hardware"]
    for rec in hardware:
        assert rec["change"]["hardware"]["instance_type"] is None
        assert "accelerator" in rec["change"]["hardware"]
    # Instance types bind the region search to their provider.
    region = next(r for r in body["recommendations"] if r["code"] == "greener_region")
    assert region["variant"].startswith("aws:")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({**BODIES["training"], "surprise": 1}, "surprise"),
        ({**BODIES["training"], "constraints": {"keep_modle": True}}, "constraints.keep_modle"),
        ({**BODIES["training"], "constraints": {"providers": ["ibm"]}}, "constraints.providers.0"),
        (
            {"kind": "training", "workload": {**TRAINING, "hardware": {"accelerator": H100, "count": 0}}},
            "workload.hardware.count",
        ),
        ({"kind": "inference", "workload": {**INFERENCE, "extra": 1}}, "workload.extra"),
        ({"kind": "inference", "workload": INFERENCE, "rag_comparison": {"expected_requests": 5}}, "rag_comparison"),
        ({"kind": "chat", "workload": INFERENCE}, "kind"),
        ({"kind": "inference"}, "workload"),
    ],
)
def test_validation_errors_are_problems_with_field_paths(client, body, path):
    response = _post(client, "/v1/recommendations", body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    ProblemSchema().load(problem)
    assert path in problem["errors"], problem


def test_estimation_errors_carry_the_workload_prefix(client):
    bad_model = {"kind": "inference", "workload": {**INFERENCE, "model": {"preset": "llama-3.1-7b"}}}
    problem = _post(client, "/v1/recommendations", bad_model).get_json()
    assert problem["status"] == 422 and "workload.model.preset" in problem["errors"]
    assert "llama-3.1-70b" in problem["suggestions"]
    bad_region = {**BODIES["inference"], "constraints": {"regions": ["aws:eu-nort-1"]}}
    problem = _post(client, "/v1/recommendations", bad_region).get_json()
    assert "constraints.regions.0" in problem["errors"]


# -- compare ------------------------------------------------------------------------------------------------

_EXACT = {
    "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "power_w": 400, "host_overhead_fraction": 0},
    "accelerator_hours": 1000,
    "include_embodied": False,
}


def test_compare_deltas_by_hand(client):
    first = {**_EXACT, "datacenter": {"pue": 1.0, "carbon_intensity_gco2e_per_kwh": 500, "wue_l_per_kwh": 0.2}}
    second = {**_EXACT, "datacenter": {"pue": 1.5, "carbon_intensity_gco2e_per_kwh": 100, "wue_l_per_kwh": 0.2}}
    response = _post(
        client,
        "/v1/compare",
        {"kind": "training", "scenarios": [{"name": "coal", "workload": first}, {"name": "hydro", "workload": second}]},
    )
    assert response.status_code == 200
    body = response.get_json()
    CompareResponseSchema().load(body)
    a, b = body["scenarios"]
    # 1,000 h x 400 W = 400 kWh IT; x PUE 1.0 / 1.5 = 400 / 600 kWh; x 500 / 100 g = 200 / 60 kg;
    # water 400 kWh IT x 0.2 = 80 L.
    assert a["estimate"]["energy_kwh"]["value"] == pytest.approx(400, rel=1e-12)
    assert b["estimate"]["energy_kwh"]["value"] == pytest.approx(600, rel=1e-12)
    assert a["delta"] == {
        "energy_kwh": {"absolute": 0.0, "percent": 0.0},
        "emissions_kgco2e": {"absolute": 0.0, "percent": 0.0},
        "water_l": {"absolute": 0.0, "percent": 0.0},
    }
    assert b["delta"]["energy_kwh"]["absolute"] == pytest.approx(200, rel=1e-12)
    assert b["delta"]["energy_kwh"]["percent"] == pytest.approx(50, rel=1e-12)
    assert b["delta"]["emissions_kgco2e"]["absolute"] == pytest.approx(-140, rel=1e-12)
    assert b["delta"]["emissions_kgco2e"]["percent"] == pytest.approx(-70, rel=1e-12)
    assert b["delta"]["water_l"]["absolute"] == pytest.approx(0, abs=1e-9)
    assert body["baseline"] == "coal"


def test_compare_failing_scenario_gets_its_own_problem(client):
    scenarios = [
        {"name": "ok", "workload": INFERENCE},
        {"name": "typo", "workload": {**INFERENCE, "hardware": {"accelerator": "h100"}}},
        {"name": "invalid", "workload": {**INFERENCE, "requests": -1}},
    ]
    body = _post(client, "/v1/compare", {"kind": "inference", "scenarios": scenarios}).get_json()
    CompareResponseSchema().load(body)
    ok, typo, invalid = body["scenarios"]
    InferenceEstimateSchema().load(ok["estimate"])
    assert typo["estimate"] is None and typo["delta"] is None
    assert (
        typo["error"]["type"].endswith("unknown-reference")
        and "workload.hardware.accelerator" in typo["error"]["errors"]
    )
    assert invalid["error"]["status"] == 422 and "workload.requests" in invalid["error"]["errors"]

    first_fails = _post(client, "/v1/compare", {"kind": "inference", "scenarios": scenarios[::-1]}).get_json()
    assert all(s["delta"] is None for s in first_fails["scenarios"])


@pytest.mark.parametrize(
    ("scenarios", "path"),
    [
        ([], "scenarios"),
        ([{"name": f"s{i}", "workload": INFERENCE} for i in range(21)], "scenarios"),
        ([{"name": "same", "workload": INFERENCE}, {"name": "same", "workload": INFERENCE}], "scenarios"),
        ([{"name": "x", "workload": INFERENCE, "note": "?"}], "scenarios.0.note"),
    ],
)
def test_compare_envelope_validation(client, scenarios, path):
    response = _post(client, "/v1/compare", {"kind": "inference", "scenarios": scenarios})
    assert response.status_code == 422
    assert path in response.get_json()["errors"]


def test_twenty_scenarios_are_accepted(client):
    scenarios = [{"name": f"s{i}", "workload": {**INFERENCE, "requests": 1000 * (i + 1)}} for i in range(20)]
    body = _post(client, "/v1/compare", {"kind": "inference", "scenarios": scenarios}).get_json()
    assert len(body["scenarios"]) == 20
    assert body["scenarios"][1]["delta"]["energy_kwh"]["absolute"] >= 0


#: Workloads at the edge of the input bounds, where a scaled change would step past one (found by an
#: adversarial run: each offered a change the estimate endpoint then refused with a 422).
EDGE_WORKLOADS = {
    "accelerator-hours-at-maximum": (
        "training",
        {"hardware": {"accelerator": "nvidia-gb200"}, "accelerator_hours": 1e11},
    ),
    "duration-at-minimum": ("training", {"hardware": {"accelerator": "nvidia-t4", "count": 1}, "duration_hours": 1e-6}),
    "count-at-maximum": (
        "training",
        {"hardware": {"accelerator": "nvidia-b200", "count": 10_000_000}, "duration_hours": 1},
    ),
}


@pytest.mark.parametrize("name", EDGE_WORKLOADS)
def test_every_change_offered_can_be_applied_and_re_estimated(client, name):
    kind, workload = EDGE_WORKLOADS[name]
    body = _post(client, "/v1/recommendations", {"kind": kind, "workload": workload}).get_json()
    for rec in body["recommendations"]:
        again = _post(client, f"/v1/estimates/{kind}", merge_patch(workload, rec["change"]))
        assert again.status_code == 200, (rec["code"], rec["change"], again.get_json())
        assert again.get_json()["emissions_kgco2e"]["value"] == pytest.approx(
            rec["estimate"]["emissions_kgco2e"]["value"], rel=1e-12
        )


def test_a_change_past_an_input_bound_becomes_a_note(client):
    kind, workload = EDGE_WORKLOADS["accelerator-hours-at-maximum"]
    body = _post(client, "/v1/recommendations", {"kind": kind, "workload": workload}).get_json()
    refused = [n for n in body["notes"] if "would be refused at accelerator_hours" in n["reason"]]
    assert refused and all(n["code"] == "efficient_hardware" for n in refused)


@pytest.mark.parametrize(
    ("hardware", "path", "suggestion"),
    [
        ({"accelerator": "nvidia-h100"}, "rag_comparison.hardware.accelerator", "nvidia-h100-sxm5-80gb"),
        ({"instance_type": "p4d"}, "rag_comparison.hardware.instance_type", "p4d.24xlarge"),
    ],
    ids=["accelerator", "instance-type"],
)
def test_an_unknown_id_in_rag_comparison_hardware_is_a_422_with_its_path(client, hardware, path, suggestion):
    # It was a 200 with a note whose path lacked the rag_comparison prefix.
    body = {**BODIES["fine-tuning"], "rag_comparison": {"expected_requests": 20000, "hardware": hardware}}
    response = _post(client, "/v1/recommendations", body)
    assert response.status_code == 422
    problem = response.get_json()
    assert list(problem["errors"]) == [path] and suggestion in problem["suggestions"]


@pytest.mark.parametrize(("countries", "suggestion"), [(["UK"], "GB"), (["gb", "ZZ"], None)], ids=["uk", "zz-second"])
def test_an_unknown_country_constraint_is_a_422_with_its_path(client, countries, suggestion):
    body = {**BODIES["fine-tuning"], "constraints": {"countries": countries}}
    problem = _post(client, "/v1/recommendations", body).get_json()
    assert problem["status"] == 422 and list(problem["errors"]) == [f"constraints.countries.{len(countries) - 1}"]
    assert (suggestion in problem["suggestions"]) if suggestion else problem["suggestions"] == []


def test_a_known_country_without_cloud_regions_is_a_note_not_an_error(client):
    body = {**BODIES["fine-tuning"], "constraints": {"countries": ["ZW"]}}
    response = _post(client, "/v1/recommendations", body)
    assert response.status_code == 200


def test_an_own_accelerator_can_move_to_a_catalog_one(client):
    # The change must drop hardware.spec: a request naming both spec and accelerator is refused.
    workload = TRAINING_EXAMPLES["own-accelerator"]["value"]
    body = _post(client, "/v1/recommendations", {"kind": "training", "workload": workload}).get_json()
    moves = [r for r in body["recommendations"] if r["code"] == "efficient_hardware"]
    assert moves and moves[0]["change"]["hardware"]["spec"] is None
    again = _post(client, "/v1/estimates/training", merge_patch(workload, moves[0]["change"]))
    assert again.status_code == 200, again.get_json()
