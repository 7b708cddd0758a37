"""The fitted models: shipped constants equal a fresh fit, and the training physics users know holds for every
accelerator in the catalog (docs/methodology.md, "Training throughput"; inference: test_inference_model.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from service.domain.calibration import TRAINING_POWER_FRACTION, TRAINING_THROUGHPUT
from service.reference import load_catalog
from service.validation.calibrate import TARGET, fitted, render

CATALOG = load_catalog()
#: Successive generations of one vendor's product line (accelerators.csv ``successor_id``).
GENERATIONS = [(a.id, a.successor_id) for a in CATALOG.accelerators.values() if a.successor_id]
SIZES_BILLION = (1, 8, 70, 400)
COUNTS = (8, 64, 512, 4096)


def _publishes_power(accelerator_id: str) -> bool:
    a = CATALOG.accelerators[accelerator_id]
    return a.tdp_w is not None or a.measured_power_mean_w is not None


def test_the_shipped_constants_are_a_fresh_fit():
    assert TARGET.read_text(encoding="utf-8") == render(*fitted()), (
        "service/domain/calibration.py is out of date: run `make calibrate`"
    )


def test_the_calibration_file_is_inside_the_package():
    assert TARGET.parent == Path(__file__).resolve().parents[2] / "service" / "domain"


def test_the_model_is_physical():
    # Utilisation is at most 1/a; the memory-bound share grows when peak outgrows bandwidth.
    assert 0.25 < 1 / TRAINING_THROUGHPUT.compute_seconds_per_flop_x_peak < 0.75
    assert TRAINING_THROUGHPUT.memory_bytes_per_flop > 0
    assert TRAINING_THROUGHPUT.moe_log_time > 0  # expert routing costs time, never saves it
    assert TRAINING_THROUGHPUT.log_error_low < 0 < TRAINING_THROUGHPUT.log_error_high
    assert TRAINING_POWER_FRACTION.low < TRAINING_POWER_FRACTION.value <= TRAINING_POWER_FRACTION.high <= 1.0


def _training(client, accelerator: str, size: float, count: int, **extra) -> dict:
    body = {
        "model": {"parameters_billion": size},
        "training_tokens_billion": 20 * size,
        "hardware": {"accelerator": accelerator, "count": count, "precision": "bf16"},
        "include_embodied": False,
        **extra,
    }
    response = client.post("/v1/estimates/training", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(("older", "newer"), GENERATIONS, ids=[f"{a}->{b}" for a, b in GENERATIONS])
def test_each_newer_generation_needs_fewer_hours_and_less_energy(client, older, newer):
    """For the same job in bf16, a newer generation of the same line needs fewer accelerator-hours and (where
    both publish their power) less accelerator energy, for 1B-400B models on 8-4,096 accelerators."""
    for size, count in itertools.product(SIZES_BILLION, COUNTS):
        old, new = _training(client, older, size, count), _training(client, newer, size, count)
        hours = (old["compute"]["accelerator_hours"]["value"], new["compute"]["accelerator_hours"]["value"])
        assert hours[1] < hours[0], (size, count, hours)
        if _publishes_power(older) and _publishes_power(newer):
            energy = (old["breakdown"]["accelerators_kwh"]["value"], new["breakdown"]["accelerators_kwh"]["value"])
            assert energy[1] < energy[0], (size, count, energy)


def test_the_v100_a100_h100_b200_chain_is_covered():
    successors = dict(GENERATIONS)
    chain = ["nvidia-v100-sxm2-32gb"]
    while chain[-1] in successors:
        chain.append(successors[chain[-1]])
    assert chain == ["nvidia-v100-sxm2-32gb", "nvidia-a100-sxm4-40gb", "nvidia-h100-sxm5-80gb", "nvidia-b200"]


@pytest.mark.parametrize("accelerator", ["nvidia-a100-sxm4-80gb", "nvidia-h100-sxm5-80gb", "google-tpu-v5p"])
@pytest.mark.parametrize(("size", "count"), [(1, 8), (8, 64), (70, 512)])
def test_training_and_full_fine_tuning_of_the_same_work_agree(client, accelerator, size, count):
    tokens_billion = 2.0
    train = client.post(
        "/v1/estimates/training",
        json={
            "model": {"parameters_billion": size},
            "training_tokens_billion": tokens_billion,
            "hardware": {"accelerator": accelerator, "count": count},
        },
    ).get_json()
    tune = client.post(
        "/v1/estimates/fine-tuning",
        json={
            "model": {"parameters_billion": size},
            "method": "full",
            "dataset_tokens_million": tokens_billion * 1000,
            "hardware": {"accelerator": accelerator, "count": count},
        },
    ).get_json()
    a, b = train["compute"]["accelerator_hours"]["value"], tune["compute"]["accelerator_hours"]["value"]
    assert b == pytest.approx(a, rel=0.10)


def test_mixture_of_experts_computes_with_active_parameters_plus_routing(client):
    dense = _training(client, "nvidia-h100-sxm5-80gb", 37, 1024)
    moe = _training(
        client, "nvidia-h100-sxm5-80gb", 671, 1024, model={"parameters_billion": 671, "active_parameters_billion": 37}
    )
    # Same active parameters and tokens per parameter: FLOPs of the active set, times the fitted routing time.
    ratio = moe["compute"]["accelerator_hours"]["value"] / dense["compute"]["accelerator_hours"]["value"]
    tokens_ratio = (20 * 671) / (20 * 37)  # the helper trains 20 tokens per total parameter
    assert ratio == pytest.approx(tokens_ratio * 2.718281828**TRAINING_THROUGHPUT.moe_log_time, rel=1e-9)


def test_fine_tuning_memory_sets_the_minimum_count(client):
    def count(method, accelerator):
        body = client.post(
            "/v1/estimates/fine-tuning",
            json={
                "model": {"preset": "llama-1-65b"},
                "method": method,
                "dataset_tokens_million": 10,
                "hardware": {"accelerator": accelerator},
            },
        ).get_json()
        return body["memory"]["minimum_accelerators"]

    assert count("qlora", "nvidia-l40s") == 1  # Dettmers et al. 2023: 65B on one 48 GB GPU
    assert count("full", "nvidia-a100-sxm4-80gb") >= 16
