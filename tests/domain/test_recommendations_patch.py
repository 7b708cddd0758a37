"""Merge patches (the ``change`` of a recommendation) and comparison deltas."""

from __future__ import annotations

import pytest

from service.domain.inputs import DatacenterSpec, HardwareSpec, InferenceRequest, ModelSpec
from service.domain.recommendations import apply_patch, merge_patch, prune_patch, to_payload
from service.domain.recommendations.compare import ScenarioOutcome, compare

REQUEST = InferenceRequest(
    model=ModelSpec(preset="llama-3.1-8b"),
    hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", power_w=500.0),
    requests=10.0,
    datacenter=DatacenterSpec(provider="aws", region="us-east-1", pue=1.2),
)


def test_apply_patch_replaces_nested_fields_and_null_restores_defaults():
    changed = apply_patch(
        REQUEST, {"hardware": {"accelerator": "nvidia-l4", "power_w": None}, "datacenter": {"pue": None}}
    )
    assert changed.hardware == HardwareSpec(accelerator="nvidia-l4")
    assert changed.datacenter == DatacenterSpec(provider="aws", region="us-east-1")
    assert changed.model is REQUEST.model and REQUEST.hardware.power_w == 500.0


def test_prune_patch_keeps_only_what_differs():
    patch = {"hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": None, "power_w": None}, "requests": 10.0}
    assert prune_patch(REQUEST, patch) == {"hardware": {"power_w": None}}
    assert prune_patch(REQUEST, {"datacenter": {"region": "us-east-1"}}) == {}


def test_payload_merge_patch_matches_the_domain_patch():
    patch = {"hardware": {"accelerator": "nvidia-l4", "power_w": None}, "input_tokens_per_request": 350.0}
    payload = merge_patch(to_payload(REQUEST), patch)
    assert payload["hardware"] == {"accelerator": "nvidia-l4"}
    assert payload["input_tokens_per_request"] == 350.0
    assert to_payload(apply_patch(REQUEST, patch)) == payload


def test_compare_deltas_and_failed_scenarios(estimator_for_compare):
    est = estimator_for_compare
    a = est.inference(REQUEST)
    b = est.inference(apply_patch(REQUEST, {"requests": 20.0}))
    body = compare(
        "inference", [ScenarioOutcome("a", a), ScenarioOutcome("b", b), ScenarioOutcome("c", problem={"status": 422})]
    )
    da = body["scenarios"][1]["delta"]["energy_kwh"]
    assert da["absolute"] == pytest.approx(b.footprint.energy_kwh.value - a.footprint.energy_kwh.value, rel=1e-12)
    assert da["percent"] == pytest.approx(100.0, rel=1e-9)  # on-demand energy is linear in requests
    assert body["scenarios"][2]["delta"] is None and body["scenarios"][2]["estimate"] is None
    assert body["baseline"] == "a"


@pytest.fixture(scope="module")
def estimator_for_compare():
    from service.domain.estimator import Estimator
    from service.reference import load_catalog

    return Estimator(load_catalog())
