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
from service.domain.formulas.memory import minimum_accelerators
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


def test_minimum_accelerators():
    # 168 GB / (80 x 0.9) = 2.33 -> 3 accelerators; exactly the usable 90% fits in one.
    assert minimum_accelerators(168.0, 80.0) == 3
    assert minimum_accelerators(72.0, 80.0) == 1
