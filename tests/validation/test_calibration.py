"""The calibrated defaults behave as docs/methodology.md §10 says (expectations derived from the defaults)."""

from __future__ import annotations

import pytest

from service.domain import defaults as d
from service.domain.formulas.compute import size_adjusted_mfu
from service.domain.formulas.inference import inference_power_fraction_of_tdp
from service.domain.ranges import Range


def _h100_mfu(active_billion: float) -> float:
    return size_adjusted_mfu(d.MFU_TRAINING.range, active_billion * 1e9, d.MFU_HALF_PARAMETERS_HOPPER).value


@pytest.mark.parametrize(
    ("active_billion", "gpu_hours", "tokens"),
    [(8, 1.46e6, 15e12), (405, 30.84e6, 15e12), (70, 7.0e6, 15e12)],
    ids=["llama31-8b", "llama31-405b", "llama31-70b"],
)
def test_h100_mfu_curve_matches_meta_gpu_hours(active_billion, gpu_hours, tokens):
    implied = 6 * active_billion * 1e9 * tokens / (989e12 * 3600 * gpu_hours)
    assert _h100_mfu(active_billion) == pytest.approx(implied, rel=0.15)


def test_small_models_reach_less_mfu_on_h100_only():
    assert _h100_mfu(8) < _h100_mfu(70) < _h100_mfu(405) < d.MFU_TRAINING.range.value
    earlier = size_adjusted_mfu(d.MFU_TRAINING.range, 7e9, d.MFU_HALF_PARAMETERS_EARLIER)
    assert earlier.value == pytest.approx(d.MFU_TRAINING.range.value)


def test_inference_power_rises_with_batch_from_unbatched_to_saturated():
    unbatched, saturated = d.INFERENCE_POWER_FRACTION_UNBATCHED.range, d.INFERENCE_POWER_FRACTION_SATURATED.range
    fractions = [
        inference_power_fraction_of_tdp(Range.exact(b), unbatched, saturated, d.INFERENCE_POWER_HALF_BATCH).value
        for b in (1, 4, 16, 64, 512)
    ]
    assert fractions[0] == pytest.approx(unbatched.value)
    assert fractions == sorted(fractions)
    assert fractions[-1] < saturated.value


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
