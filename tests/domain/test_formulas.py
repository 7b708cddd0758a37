"""Golden cases for each formula, computed by hand (the arithmetic is in each test's comment)."""

from __future__ import annotations

import pytest

from service.domain.formulas.compute import forward_flops, frozen_base_flops_per_parameter_token, training_flops
from service.domain.formulas.emissions import (
    embodied_emissions_kgco2e,
    embodied_kgco2e_per_accelerator_hour,
    operational_emissions_kgco2e,
    water_l,
)
from service.domain.formulas.energy import (
    accelerator_energy_kwh,
    facility_energy_kwh,
    facility_overhead_kwh,
    host_energy_kwh,
)
from service.domain.formulas.inference import (
    decode_seconds_per_token,
    inference_load,
    inference_power_fraction_of_tdp,
    kv_cache_bytes_per_token,
    prefill_seconds,
    step_overhead_seconds_per_member,
    weight_bytes_per_batch_member,
)
from service.domain.formulas.memory import inference_memory_gb, minimum_accelerators, serving_accelerators
from service.domain.formulas.throughput import (
    ThroughputModel,
    attention_share,
    d_model_from_parameters,
    training_flops_per_token,
)
from service.domain.ranges import Range

X = Range.exact
REL = 1e-9


def test_training_flops_llama1_65b():
    # LLaMA-65B: 6 x 65.2e9 parameters x 1.4e12 tokens = 5.4768e23 FLOPs (Touvron et al. 2023).
    assert training_flops(X(65.2e9), X(1.4e12)).value == pytest.approx(5.4768e23, rel=REL)


def test_forward_flops_is_two_per_parameter_token():
    # 2 x 8e9 x 1000 = 1.6e13
    assert forward_flops(X(8e9), X(1000)).value == pytest.approx(1.6e13, rel=REL)


@pytest.mark.parametrize(
    ("fraction", "checkpointing", "expected"),
    [
        pytest.param(0.01, False, 4.02, id="lora-1pct"),  # 4 + 2 x 0.01
        pytest.param(0.01, True, 6.02, id="qlora-1pct-checkpointed"),  # 4 + 2 + 2 x 0.01
        pytest.param(1.0, False, 6.0, id="all-trainable-equals-full"),
    ],
)
def test_frozen_base_flops_factor(fraction, checkpointing, expected):
    assert frozen_base_flops_per_parameter_token(X(fraction), checkpointing).value == pytest.approx(expected, rel=REL)


def test_d_model_from_parameters_follows_llama_aspect_ratio():
    # (128 / 12 x 8e9)^(1/3) = (8.5333e10)^(1/3) = 4402.6; Llama 3 8B's d_model is 4096.
    assert d_model_from_parameters(8e9) == pytest.approx((128 / 12 * 8e9) ** (1 / 3), rel=REL)
    assert d_model_from_parameters(8e9) == pytest.approx(4096, rel=0.08)
    assert d_model_from_parameters(405e9) == pytest.approx(16384, rel=0.02)


def test_attention_share_is_sequence_over_six_d():
    # T = 8192, d = 4096: 8192 / (6 x 4096) = 1/3 of 6N.
    assert attention_share(8192, 4096) == pytest.approx(1 / 3, rel=REL)


def test_training_flops_per_token_adds_attention_to_six_n():
    # N = 8e9, T = 4096, d = 4402.6: 6N (1 + 4096 / (6 x 4402.6)) = 4.8e10 x 1.155058 = 5.54428e10
    d = (128 / 12 * 8e9) ** (1 / 3)
    expected = 6 * 8e9 * (1 + 4096 / (6 * d))
    assert training_flops_per_token(8e9, 4096, 6.0) == pytest.approx(expected, rel=REL)
    # Frozen weights: 4.02 N plus the same attention work (forward and both backward passes).
    assert training_flops_per_token(8e9, 4096, 4.02) == pytest.approx(expected - 1.98 * 8e9, rel=REL)


def test_throughput_model_is_compute_plus_memory_time():
    # a = 2, r = 0.004: on an A100 (312e12, 2.039e12): 2/312e12 + 0.004/2.039e12 = 6.4103e-15 + 1.9618e-15 s per FLOP
    model = ThroughputModel(2.0, 0.004, 0.5, -0.5, 0.4, "test")
    seconds = 2 / 312e12 + 0.004 / 2.039e12
    assert model.seconds_per_flop(312e12, 2.039e12, False) == pytest.approx(seconds, rel=REL)
    assert model.seconds_per_flop(312e12, 2.039e12, True) == pytest.approx(seconds * 1.6487212707, rel=REL)
    assert model.mfu(312e12, 2.039e12, False) == pytest.approx(1 / (312e12 * seconds), rel=REL)
    # Utilisation never exceeds 1/a, however plentiful the bandwidth.
    assert model.mfu(1e12, 1e18, False) == pytest.approx(0.5, rel=1e-5)


def test_energy_chain_llama1_7b_table15():
    # LLaMA-1 Table 15: 82,432 GPU-h x 400 W = 32,972.8 kWh; x PUE 1.1 = 36,270.08 kWh;
    # x 0.385 kg/kWh = 13,963.98 kg (published: 36 MWh, 14 tCO2e).
    accelerators = accelerator_energy_kwh(X(82432), X(400))
    assert accelerators.value == pytest.approx(32972.8, rel=REL)
    facility = facility_energy_kwh(accelerators, X(1.1))
    assert facility.value == pytest.approx(36270.08, rel=REL)
    assert facility_overhead_kwh(accelerators, X(1.1)).value == pytest.approx(3297.28, rel=REL)
    assert operational_emissions_kgco2e(facility, X(385)).value == pytest.approx(13963.9808, rel=REL)


def test_host_energy_is_a_fraction_of_accelerator_energy():
    assert host_energy_kwh(X(100.0), X(0.3)).value == pytest.approx(30.0, rel=REL)


def test_embodied_rate_bloom_like():
    # (150 kg GPU + 2,500 kg / 8 server share) / (6 years x 8,760 h) = 462.5 / 52,560 = 0.0087995 kg/GPU-h
    rate = embodied_kgco2e_per_accelerator_hour(X(150.0), X(312.5), X(52560.0))
    assert rate.value == pytest.approx(462.5 / 52560, rel=REL)
    # BLOOM's 1,082,990 GPU-hours -> 9,529.7 kg (the paper's embodied estimate is 11.2 t including idle servers)
    assert embodied_emissions_kgco2e(X(1_082_990), rate).value == pytest.approx(1_082_990 * 462.5 / 52560, rel=REL)


def test_water_is_it_energy_times_wue():
    # 1,000 kWh x 0.15 L/kWh (AWS 2024 fleet WUE) = 150 L
    assert water_l(X(1000.0), X(0.15)).value == pytest.approx(150.0, rel=REL)


def test_kv_cache_llama3_8b():
    # 2 (K,V) x 32 layers x 8 KV heads x 128 head dim x 2 bytes = 131,072 bytes per token
    assert kv_cache_bytes_per_token(32, 8, 128, 2.0) == 131072.0


def test_memory_and_counts():
    # 70e9 x 2 bytes x 1.2 = 168 GB -> 168 / (80 x 0.9) = 2.33 -> 3 accelerators -> power of two: 4
    assert inference_memory_gb(70e9, 2.0) == pytest.approx(168.0, rel=REL)
    assert minimum_accelerators(168.0, 80.0) == 3
    assert serving_accelerators(168.0, 80.0) == 4
    assert serving_accelerators(10.0, 80.0) == 1
    assert minimum_accelerators(72.0, 80.0) == 1  # exactly the usable 90%


def test_weight_bytes_dense_and_moe():
    # Dense 8e9 at 2 bytes, batch 16: 8e9 x 2 / 16 = 1e9 bytes per sequence per step.
    assert weight_bytes_per_batch_member(8e9, 8e9, 2.0, X(16)).value == pytest.approx(1e9, rel=REL)
    # Mixtral-like 46.7e9 total, 12.9e9 active, batch 2: min(46.7e9/2, 12.9e9) = 12.9e9 params -> x2 bytes.
    assert weight_bytes_per_batch_member(46.7e9, 12.9e9, 2.0, X(2)).value == pytest.approx(25.8e9, rel=REL)


def test_decode_is_bandwidth_bound_at_small_batch():
    # 8e9 params, bf16, batch 1, H100 (3.35e12 B/s, 989e12 FLOP/s), efficiencies 1:
    # memory: (16e9 + 0) / 3.35e12 = 4.776 ms; compute: 2 x 8e9 / 989e12 = 0.0162 ms -> memory wins.
    per_token = decode_seconds_per_token(X(8e9), X(16e9), X(0.0), 989e12, X(1.0), 3.35e12, X(1.0))
    assert per_token.value == pytest.approx(16e9 / 3.35e12, rel=REL)


def test_prefill_is_compute_bound_for_long_prompts():
    # 2 x 8e9 x 4096 tokens / 989e12 = 66.27 ms; weights read once per batch of 64: 16e9/64/3.35e12 = 0.075 ms.
    seconds = prefill_seconds(X(8e9), X(4096), X(16e9 / 64), 989e12, X(1.0), 3.35e12, X(1.0))
    assert seconds.value == pytest.approx(2 * 8e9 * 4096 / 989e12, rel=REL)


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        pytest.param(1, 0.35, id="unbatched"),
        pytest.param(17, 0.575, id="half-way-at-17"),  # 0.35 + 0.45 x 16/32
        pytest.param(65, 0.35 + 0.45 * 64 / 80, id="batch-65"),  # 0.71
    ],
)
def test_inference_power_fraction_rises_with_batch(batch, expected):
    assert inference_load(1, 16) == 0.0
    fraction = inference_power_fraction_of_tdp(X(batch), X(0.35), X(0.80), 16.0)
    assert fraction.value == pytest.approx(expected, rel=REL)


def test_step_overhead_is_shared_by_the_batch():
    # 2 ms per step over 16 sequences = 0.125 ms each; low 0.5 ms / 64, high 6 ms / 4.
    shared = step_overhead_seconds_per_member(Range(0.002, 0.0005, 0.006), Range(16, 4, 64))
    assert (shared.value, shared.low, shared.high) == pytest.approx((0.002 / 16, 0.0005 / 64, 0.006 / 4), rel=REL)
