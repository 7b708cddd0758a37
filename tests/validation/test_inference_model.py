"""The calibrated serving model through the HTTP API: the physics users know, and the cases it must get right
(docs/methodology.md, "Inference")."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.domain.calibration import INFERENCE_SERVING as C
from service.reference import load_catalog
from service.validation.curves import moe_curve, rewrite

CATALOG = load_catalog()
H100 = "nvidia-h100-sxm5-80gb"


def _estimate(client, **body) -> dict:
    body.setdefault("include_embodied", False)
    response = client.post("/v1/estimates/inference", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _gpu_wh_per_request(answer: dict, requests: float) -> float:
    return answer["breakdown"]["accelerators_kwh"]["value"] * 1000.0 / requests


def _codes(answer: dict) -> set[str]:
    return {w["code"] for w in answer["warnings"]}


def test_the_constants_are_physical():
    assert 0 < C.compute_efficiency < 1 and 0 < C.prefill_compute_efficiency < 1 and 0 < C.bandwidth_efficiency < 1
    # A waiting chip draws less than a streaming one, which draws less than a computing one, at most its TDP.
    assert 0 < C.power_overhead < C.power_memory_bound < C.power_compute_bound <= 1
    assert C.layer_seconds_continuous < C.layer_seconds_eager  # eager PyTorch launches every kernel itself
    assert C.moe_slowdown >= 1  # expert kernels never beat dense ones of the same FLOPs and bytes
    assert C.log_error_low < 0 < C.log_error_high


MOE = {"parameters_billion": 30.5, "active_parameters_billion": 3.3, "experts": 128, "experts_per_token": 8}
DENSE = {"parameters_billion": 32.8}


@pytest.mark.parametrize(
    ("batch", "count", "tokens", "ceiling"),
    [
        pytest.param(1, 1, None, 0.3, id="batch-1-one-h100"),
        pytest.param(2048, 8, 100, 0.5, id="batch-2048-eight-h100"),
    ],
)
def test_mixture_of_experts_against_dense_of_the_same_size(client, batch, count, tokens, ceiling):
    """30B total / 3B active (128 experts, top-8) against a dense 32B: at batch 1 a step reads the routed experts
    only; at batch 2,048 the dense model is compute-bound while the MoE computes a tenth of the FLOPs."""
    extra = {"input_tokens_per_request": tokens, "output_tokens_per_request": tokens} if tokens else {}
    answers = [
        _estimate(
            client, model=m, hardware={"accelerator": H100, "count": count}, requests=1000, batch_size=batch, **extra
        )
        for m in (MOE, DENSE)
    ]
    moe, dense = (_gpu_wh_per_request(a, 1000) for a in answers)
    assert moe / dense <= ceiling


def test_the_moe_advantage_is_largest_where_a_step_reads_the_fewest_experts(client):
    ratios = []
    for batch in (1, 8, 64):
        moe, dense = (
            _gpu_wh_per_request(
                _estimate(client, model=m, hardware={"accelerator": H100, "count": 1}, requests=1000, batch_size=batch),
                1000,
            )
            for m in (MOE, DENSE)
        )
        ratios.append(moe / dense)
    assert ratios[0] < ratios[1]


def test_a_frontier_moe_on_demand_uses_a_fraction_of_a_watt_hour_to_a_few(client):
    """1.8T total / 280B active, 500 tokens in and out, on demand on H100 with every other default: published
    per-query figures for frontier models are 0.24-0.34 Wh (Google 2025, arXiv:2508.15734; OpenAI 2025)."""
    answer = _estimate(
        client,
        model={"parameters_billion": 1800, "active_parameters_billion": 280},
        hardware={"accelerator": H100},
        requests=1000,
        input_tokens_per_request=500,
        output_tokens_per_request=500,
        include_embodied=True,
    )
    assert 0.1 <= answer["per_request"]["energy_wh"]["value"] <= 3.0


def test_a_long_prompt_costs_more_than_proportionally(client):
    prefill = [
        _estimate(
            client,
            model={"preset": "llama-3.1-8b"},
            hardware={"accelerator": H100},
            requests=1,
            input_tokens_per_request=tokens,
            output_tokens_per_request=1,
        )["serving"]["prefill_seconds_per_request"]["value"]
        for tokens in (1_000, 128_000)
    ]
    assert prefill[1] / prefill[0] >= 180


def test_a_kv_cache_that_does_not_fit_caps_the_batch(client):
    """70B on 4 H100s, 8,000-token prompts and 500-token answers: 256 sequences need about 700 GB of KV cache
    where about 150 GB is free beside the weights."""
    answer = _estimate(
        client,
        model={"preset": "llama-3.1-70b"},
        hardware={"accelerator": H100, "count": 4},
        requests=1000,
        input_tokens_per_request=8000,
        output_tokens_per_request=500,
        batch_size=256,
    )
    assert "batch-limited-by-memory" in _codes(answer)
    assert answer["serving"]["effective_batch_size"]["value"] < 256
    assert answer["serving"]["memory_required_gb"] <= 4 * 80 * 0.9


def test_gpt_oss_120b_fits_one_h100_in_its_native_precision(client):
    answer = _estimate(client, model={"preset": "gpt-oss-120b"}, hardware={"accelerator": H100}, requests=1)
    assert answer["serving"]["accelerators_per_replica"] == 1
    precision = next(a for a in answer["assumptions"] if a["name"] == "precision")
    assert precision["value"] == "mxfp4"


def test_a_larger_batch_costs_less_energy_and_more_latency(client):
    answers = [
        _estimate(client, model={"preset": "llama-3.1-8b"}, hardware={"accelerator": H100}, requests=1000, batch_size=b)
        for b in (1, 8, 64)
    ]
    energy = [_gpu_wh_per_request(a, 1000) for a in answers]
    latency = [a["serving"]["latency_seconds"]["value"] for a in answers]
    assert energy == sorted(energy, reverse=True)
    assert latency == sorted(latency)


def test_more_traffic_fills_a_dedicated_replica(client):
    """A dedicated replica runs the batch its traffic fills: more requests per second, a larger batch and less
    energy per request (Little's law)."""
    answers = [
        _estimate(
            client,
            model={"preset": "llama-3.1-8b"},
            hardware={"accelerator": H100, "count": 1},
            traffic={"requests_per_second": rate},
            deployment={"mode": "dedicated", "hours": 1},
        )
        for rate in (0.05, 1.0, 10.0)
    ]
    batches = [a["serving"]["effective_batch_size"]["value"] for a in answers]
    energy = [a["per_request"]["energy_wh"]["value"] for a in answers]
    assert batches == sorted(batches) and batches[-1] > batches[0]
    assert energy == sorted(energy, reverse=True)


def test_a_latency_target_adds_replicas_and_an_unreachable_one_warns(client):
    base = {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": H100, "count": 1},
        "traffic": {"requests_per_second": 50.0},
        "output_tokens_per_request": 500,
        "deployment": {"mode": "dedicated", "hours": 1},
    }
    free = _estimate(client, **base)
    bound = _estimate(client, **base, slo={"max_latency_seconds": 8.0})
    assert bound["serving"]["latency_seconds"]["value"] <= 8.0
    assert bound["serving"]["replicas_needed"] >= free["serving"]["replicas_needed"]
    assert "slo-not-met" not in _codes(bound)
    unreachable = _estimate(client, **base, slo={"max_time_to_first_token_seconds": 1e-4})
    assert "slo-not-met" in _codes(unreachable)


GENERATIONS = [
    (a.id, a.successor_id)
    for a in CATALOG.accelerators.values()
    if a.successor_id and a.tdp_w and CATALOG.accelerators[a.successor_id].tdp_w
]


@pytest.mark.parametrize(("older", "newer"), GENERATIONS, ids=[f"{o}->{n}" for o, n in GENERATIONS])
def test_each_newer_generation_serves_a_request_with_less_energy(client, older, newer):
    def wh(accelerator):
        answer = _estimate(
            client, model={"parameters_billion": 7}, hardware={"accelerator": accelerator}, requests=1000
        )
        return _gpu_wh_per_request(answer, 1000)

    assert wh(newer) < wh(older)


def test_the_methodology_shows_the_current_moe_curve(client):
    document = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"
    text = document.read_text(encoding="utf-8")
    assert text == rewrite(text, moe_curve(client)), "docs/methodology.md is out of date: run `make validate`"
