"""The serving model: formulas of a prompt and a decoding step, the operating point, and what an inference
estimate derives from them (traffic, memory, attention, mixture-of-experts, native precision)."""

from __future__ import annotations

import dataclasses
import math
import random
import statistics

import pytest

from service.domain.assumptions import Ledger
from service.domain.formulas.inference import (
    Architecture,
    StepTime,
    attention_flops_per_context_token,
    concurrency,
    decode_step,
    decode_step_seconds,
    distinct_experts,
    kv_cache_bytes_per_token,
    power_fraction,
    prefill_flops,
    replicas_for,
)
from service.domain.inference import prepare
from service.domain.serving import (
    Scenario,
    ServingConstants,
    latency_batch_cap,
    memory_batch_cap,
    minimum_replica_accelerators,
    operating_point,
)
from service.schemas.requests import InferenceRequestSchema

REL = 1e-9
H100_PEAK = 989e12
H100_BANDWIDTH = 3.35e12

#: Constants with round numbers so that every expected value below can be computed by hand.
UNIT = ServingConstants(
    compute_efficiency=0.5,
    prefill_compute_efficiency=0.5,
    bandwidth_efficiency=0.5,
    layer_seconds_continuous=1e-5,
    layer_seconds_eager=1e-4,
    layer_seconds_tensor_parallel=1e-5,
    sequence_seconds=0.0,
    moe_exchange_bytes_per_second=1e11,
    moe_slowdown=2.0,
    power_overhead=0.2,
    power_memory_bound=0.6,
    power_compute_bound=1.0,
    log_error_low=0.0,
    log_error_high=0.0,
    fitted_to="test",
)

#: Llama 3.1 8B at bf16: 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes = 131,072 bytes per token.
LLAMA_8B = Architecture(
    parameters=8e9,
    active_parameters=8e9,
    experts=None,
    experts_per_token=None,
    bytes_per_parameter=2.0,
    kv_bytes_per_token=131072.0,
    attention_flops_per_context_token=attention_flops_per_context_token(32, 4096),
    hidden_size=4096.0,
)


def scenario(**changes) -> Scenario:
    base = Scenario(
        architecture=LLAMA_8B,
        layers=32.0,
        accelerators_per_replica=1,
        peak_flops_per_second=H100_PEAK,
        bandwidth_bytes_per_second=H100_BANDWIDTH,
        memory_gb=80.0,
        reference_power_w=700.0,
        given_power_w=None,
        prompt_tokens=100.0,
        output_tokens=100.0,
        engine="continuous_batching",
        batch_size=None,
        shared_batch_per_accelerator=64.0,
        arrivals_per_second=None,
        replicas=1,
        max_latency_seconds=None,
        max_time_to_first_token_seconds=None,
    )
    return dataclasses.replace(base, **changes)


# -- formulas --------------------------------------------------------------------------------------------------


def test_kv_cache_of_llama3_8b():
    assert kv_cache_bytes_per_token(32, 8, 128, 2.0) == 131072.0


def test_attention_flops_count_logits_and_values():
    # 4 x 32 layers x 4096 = 524,288 FLOPs per token per token of context (Hoffmann et al. 2022 App. F).
    assert attention_flops_per_context_token(32, 4096) == 524288.0


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        pytest.param(1, 8.0, id="one-token-its-own-k"),
        pytest.param(2, 128 * (1 - (120 / 128) ** 2), id="two-tokens"),
        pytest.param(10_000, 128.0, id="large-batch-all"),
    ],
)
def test_distinct_experts_for_top_k_routing(tokens, expected):
    assert distinct_experts(128, 8, tokens) == pytest.approx(expected, rel=1e-9)


def test_moe_step_reads_shared_weights_plus_touched_experts():
    # 30B total, 3B active, 128 experts, top-8: expert = 27e9 / 120 = 0.225e9; shared = 3e9 - 8 x 0.225e9 = 1.2e9.
    moe = dataclasses.replace(LLAMA_8B, parameters=30e9, active_parameters=3e9, experts=128.0, experts_per_token=8.0)
    assert moe.weight_bytes_per_step(1) == pytest.approx(2 * 3e9, rel=REL)  # one token: the active weights
    assert moe.weight_bytes_per_step(1e6) == pytest.approx(2 * 30e9, rel=1e-6)  # every expert touched
    dense = dataclasses.replace(LLAMA_8B, parameters=32e9, active_parameters=32e9)
    assert dense.weight_bytes_per_step(1) == dense.weight_bytes_per_step(1000) == 64e9


def test_prefill_attention_is_quadratic():
    linear = 2 * 8e9 * 131072
    attention = LLAMA_8B.attention_flops_per_context_token * 131072**2 / 2
    assert prefill_flops(LLAMA_8B, 131072) == pytest.approx(linear + attention, rel=REL)
    # 128k tokens cost far more than 128 x 1k: the attention term grows with the square of the prompt.
    assert prefill_flops(LLAMA_8B, 128_000) / prefill_flops(LLAMA_8B, 1_000) > 180


def test_decode_step_is_a_roofline_per_operator():
    # Batch 1, 1,000 tokens of context, H100 at efficiency 1:
    # weights: compute 2 x 8e9 / 989e12 = 16.2 us, memory 16e9 / 3.35e12 = 4.776 ms -> 4.776 ms;
    # attention: compute 524,288 x 1,000 / 989e12 = 0.53 us, memory 1,000 x 131,072 / 3.35e12 = 39.1 us.
    step = decode_step(LLAMA_8B, 1, 1000, H100_PEAK, H100_BANDWIDTH, 1.0, 1.0, 0.001)
    expected = 0.001 + 16e9 / H100_BANDWIDTH + 1000 * 131072 / H100_BANDWIDTH
    assert step.seconds == pytest.approx(expected, rel=REL)


def test_power_fraction_weighs_each_part_of_a_step():
    # 1 ms fixed at 0.2, a memory-bound 3 ms (compute 1 ms of it) at 0.6 + 0.4 x 1/3, a compute-bound 1 ms at 1.
    step = StepTime(0.001, ((0.001, 0.003), (0.001, 0.0)))
    expected = (0.2 * 0.001 + (0.6 + 0.4 / 3) * 0.003 + 1.0 * 0.001) / 0.005
    assert power_fraction(step, 0.2, 0.6, 1.0) == pytest.approx(expected, rel=REL)


def _bisection(arrivals: float, latency_at, cap: float) -> float:
    """The definition the fast solve must reproduce: 50 halvings of [0, cap]."""

    def gap(c):
        return arrivals * latency_at(max(c, 1.0)) - c

    if gap(cap) >= 0.0:
        return cap
    low, high = 0.0, cap
    for _ in range(50):
        middle = (low + high) / 2.0
        low, high = (middle, high) if gap(middle) > 0.0 else (low, middle)
    return (low + high) / 2.0


@pytest.mark.parametrize("seed", range(8))
def test_concurrency_is_the_bisection_to_the_bit_with_fewer_evaluations(seed):
    rng = random.Random(seed)
    counts = []
    for _ in range(250):
        # Latency of a replica: prefill per sequence, decode steps with a fixed part and a roofline kink.
        prefill, fixed, per_sequence = rng.uniform(0, 0.05), rng.uniform(1e-3, 0.05), rng.uniform(1e-5, 1e-3)
        tokens, knee = rng.uniform(1, 4000), rng.uniform(1, 512)

        def latency_at(c, prefill=prefill, fixed=fixed, per_sequence=per_sequence, tokens=tokens, knee=knee):
            return c * prefill + tokens * (fixed + per_sequence * max(c, knee))

        arrivals, cap = 10 ** rng.uniform(-4, 3), float(rng.choice([1, 8, 64, 347, 4096]))
        calls = []

        def counted(c, latency_at=latency_at, calls=calls):
            calls.append(c)
            return latency_at(c)

        assert concurrency(arrivals, counted, cap) == _bisection(arrivals, latency_at, cap)
        counts.append(len(calls))
    # Bisection evaluates the latency 51 times whenever the replica is not full.
    assert max(counts) <= 32 and statistics.mean(counts) <= 12


def _halving(cap: float, within) -> float:
    """The definition the batch search must reproduce: halving [1, cap] on whole batches."""
    if not within(1.0):
        return 1.0
    if within(cap):
        return cap
    low, high = 1.0, cap
    while high - low > 1.0:
        middle = min(max(math.floor((low + high) / 2.0), low + 1.0), math.ceil(high) - 1.0)
        low, high = (middle, high) if within(middle) else (low, middle)
    return low


@pytest.mark.parametrize("seed", range(4))
def test_the_latency_cap_is_the_halving_search_with_fewer_evaluations(seed):
    rng = random.Random(seed)
    counts, halvings = [], []
    for _ in range(250):
        prefill, fixed, per_sequence = rng.uniform(1e-4, 0.05), rng.uniform(1e-3, 0.05), rng.uniform(1e-5, 1e-3)
        tokens, knee = rng.uniform(1, 4000), rng.uniform(1, 512)

        def step(c, fixed=fixed, per_sequence=per_sequence, knee=knee):
            return fixed + per_sequence * max(c, knee)

        def latency(c, prefill=prefill, tokens=tokens):
            return c * prefill + tokens * step(c)

        def first_token(c, prefill=prefill):
            return step(c) + prefill

        cap = rng.choice([1.0, 7.5, 64.0, 347.0, 4096.0, 100_000.0])
        # Targets anywhere from unreachable to loose, one or both given.
        latency_target = rng.choice([None, latency(1.0) * 10 ** rng.uniform(-0.2, 3)])
        first_token_target = rng.choice([None, first_token(1.0) * 10 ** rng.uniform(-0.2, 2)])
        calls = []

        def counted(c, calls=calls, latency=latency):
            calls.append(c)
            return latency(c)

        def within(c, latency=latency, first_token=first_token, lt=latency_target, ft=first_token_target):
            return (lt is None or latency(c) <= lt) and (ft is None or first_token(c) <= ft)

        expected = _halving(cap, within) if (latency_target, first_token_target) != (None, None) else cap
        batch, met = latency_batch_cap(cap, counted, first_token, latency_target, first_token_target)
        assert batch == expected
        assert met == within(1.0)
        assert batch == cap or not within(batch + 1.0)
        counts.append(len(set(calls)))
        halving_calls = []
        _halving(cap, lambda c, halving_calls=halving_calls, within=within: halving_calls.append(c) or within(c))
        halvings.append(len(halving_calls))
    assert statistics.mean(counts) < statistics.mean(halvings) / 2
    assert max(counts) <= 2 * max(halvings)


@pytest.mark.parametrize(
    "architecture",
    [
        LLAMA_8B,
        Architecture(30.5e9, 3.3e9, 128, 8, 2.0, 98304.0, attention_flops_per_context_token(48, 2048), 2048.0),
        Architecture(30.5e9, 3.3e9, None, None, 1.0, 98304.0, attention_flops_per_context_token(48, 2048), 2048.0),
    ],
    ids=["dense", "moe-routing-known", "moe-routing-unknown"],
)
def test_the_step_duration_shortcut_is_the_step_to_the_bit(architecture):
    rng = random.Random(7)
    for _ in range(500):
        batch, context = rng.uniform(1, 4096), rng.uniform(1, 130_000)
        peak, bandwidth = rng.uniform(1e13, 5e15), rng.uniform(5e11, 2e13)
        compute, memory = rng.uniform(0.05, 1), rng.uniform(0.05, 1)
        fixed, slowdown = rng.uniform(0, 0.05), rng.choice([1.0, rng.uniform(1, 3)])
        step = decode_step(architecture, batch, context, peak, bandwidth, compute, memory, fixed, slowdown)
        shortcut = decode_step_seconds(
            architecture, batch, context, peak * compute, bandwidth * memory, fixed, slowdown
        )
        assert shortcut == step.seconds


def test_littles_law_concurrency():
    # latency(c) = 10 s whatever c: c = 0.5 req/s x 10 s = 5.
    assert concurrency(0.5, lambda c: 10.0, 100.0) == pytest.approx(5.0, rel=1e-9)
    # More arrivals than the cap can serve: the replica runs full.
    assert concurrency(50.0, lambda c: 10.0, 100.0) == 100.0
    assert concurrency(0.0, lambda c: 10.0, 100.0) == 0.0


def test_replicas_for_an_arrival_rate():
    assert replicas_for(10.0, 4.0) == 3
    assert replicas_for(8.0, 4.0) == 2


# -- memory ------------------------------------------------------------------------------------------------------


def test_kv_cache_caps_the_batch():
    # 70B bf16 on 4 x 80 GB: 288 GB usable - 140 GB of weights = 148 GB; 8,500 tokens x 327,680 bytes
    # (80 layers x 8 KV heads x 128 x 2 x 2) = 2.785 GB per sequence -> 53 sequences.
    llama_70b = dataclasses.replace(LLAMA_8B, parameters=70e9, active_parameters=70e9, kv_bytes_per_token=327680.0)
    assert memory_batch_cap(llama_70b, 4, 80.0, 8500) == 53
    assert minimum_replica_accelerators(llama_70b, 80.0, 8500) == 2  # 142.8 GB / 72 GB usable per accelerator


# -- the operating point -----------------------------------------------------------------------------------------


def test_on_demand_runs_the_shared_batch_per_accelerator():
    point = operating_point(scenario(accelerators_per_replica=2), UNIT)
    assert point.batch == 128.0  # 64 per accelerator x 2


def test_latency_is_not_the_replicas_busy_time():
    # Each request holds a slot from arrival to its last token: latency = b x prefill + output x step(b),
    # busy = prefill + output x step(b) / b, so latency = b x busy.
    point = operating_point(scenario(batch_size=64.0), UNIT)
    assert point.latency_seconds == pytest.approx(64 * point.busy_seconds_per_request, rel=1e-9)
    assert point.latency_seconds == pytest.approx(64 * point.prefill_seconds + 100 * point.step.seconds, rel=1e-9)
    assert point.time_to_first_token_seconds == pytest.approx(point.step.seconds + point.prefill_seconds, rel=1e-9)


def test_traffic_sets_the_batch_by_littles_law():
    low = operating_point(scenario(arrivals_per_second=0.5), UNIT)
    high = operating_point(scenario(arrivals_per_second=20.0), UNIT)
    assert 1.0 <= low.batch < high.batch
    # Little's law at the operating point: concurrency = arrival rate x latency.
    assert high.batch == pytest.approx(20.0 * high.latency_seconds, rel=1e-6)


def test_a_latency_target_caps_the_batch_and_adds_replicas():
    free = operating_point(scenario(arrivals_per_second=400.0), UNIT)
    # One sequence alone takes about 100 x 9.6 ms: a 1.2 s target leaves room for a small batch only.
    capped = operating_point(scenario(arrivals_per_second=400.0, max_latency_seconds=1.2), UNIT)
    assert capped.latency_seconds <= 1.2 < free.latency_seconds
    assert capped.replicas_needed > free.replicas_needed
    assert capped.slo_met


def test_an_unreachable_latency_target_is_reported():
    point = operating_point(scenario(batch_size=8.0, max_latency_seconds=1e-4), UNIT)
    assert not point.slo_met
    assert point.batch == 1.0


def test_a_batch_that_does_not_fit_is_capped():
    point = operating_point(scenario(batch_size=100_000.0), UNIT)
    assert point.batch_limited_by_memory
    assert point.batch == point.memory_batch_cap < 100_000


def test_given_power_replaces_the_modelled_power():
    point = operating_point(scenario(batch_size=8.0, given_power_w=300.0), UNIT)
    assert point.busy_joules_per_request == pytest.approx(300.0 * point.busy_seconds_per_request, rel=REL)


def test_eager_engines_pay_a_step_of_their_own_per_layer():
    continuous = operating_point(scenario(batch_size=1.0), UNIT)
    eager = operating_point(scenario(batch_size=1.0, engine="eager"), UNIT)
    # 32 layers x (100 - 10) us more per step.
    assert eager.step.seconds - continuous.step.seconds == pytest.approx(32 * 9e-5, rel=1e-9)


def test_moe_spread_over_accelerators_exchanges_tokens():
    moe = dataclasses.replace(LLAMA_8B, parameters=30e9, active_parameters=3e9, experts=128.0, experts_per_token=8.0)
    one = operating_point(scenario(architecture=moe, batch_size=64.0), UNIT)
    two = operating_point(scenario(architecture=moe, batch_size=64.0, accelerators_per_replica=2), UNIT)
    # 64 tokens x 32 layers x (2 x 8 x 4096 x 2 bytes) / 1e11 B/s, plus the tensor-parallel 32 x 10 us.
    exchange = 64 * 32 * (2 * 8 * 4096 * 2) / 1e11
    roofline_one = one.step.seconds - one.step.fixed_seconds
    roofline_two = two.step.seconds - two.step.fixed_seconds
    assert two.step.fixed_seconds - one.step.fixed_seconds == pytest.approx(exchange + 32 * 1e-5, rel=1e-9)
    assert roofline_two == pytest.approx(roofline_one / 2, rel=1e-9)


# -- from a request ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    return InferenceRequestSchema()


def served(catalog, schema, body):
    return prepare(catalog, schema.load(body), Ledger())


def test_native_precision_lets_gpt_oss_120b_fit_one_h100(catalog, schema):
    made = served(
        catalog,
        schema,
        {"model": {"preset": "gpt-oss-120b"}, "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"}, "requests": 1},
    )
    assert made.hardware.precision == "mxfp4"
    assert made.replica.accelerators == 1
    # 117e9 x 4.25 bits / 8 = 62.2 GB of weights.
    assert made.scenario.architecture.weight_bytes == pytest.approx(117e9 * 4.25 / 8, rel=REL)


def test_presets_carry_routing_and_kv_size(catalog, schema):
    made = served(
        catalog,
        schema,
        {"model": {"preset": "qwen3-30b-a3b"}, "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"}, "requests": 1},
    )
    architecture = made.scenario.architecture
    assert (architecture.experts, architecture.experts_per_token) == (128.0, 8.0)
    assert architecture.kv_bytes_per_token == kv_cache_bytes_per_token(48, 4, 128, 2.0)


def test_traffic_gives_the_request_count(catalog, schema):
    body = {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
        "traffic": {"requests_per_second": 2.5},
        "deployment": {"mode": "dedicated", "hours": 2},
    }
    made = served(catalog, schema, body)
    assert made.requests == pytest.approx(2.5 * 7200, rel=REL)
    assert made.scenario.arrivals_per_second == 2.5


def test_unknown_routing_reads_a_growing_share_of_the_weights():
    moe = dataclasses.replace(LLAMA_8B, parameters=100e9, active_parameters=10e9)
    assert moe.weight_bytes_per_step(1) == pytest.approx(2 * 10e9, rel=REL)
    assert moe.weight_bytes_per_step(64) == pytest.approx(2 * 100e9 * (1 - 0.9**64), rel=REL)
    assert math.isclose(moe.weight_bytes_per_step(10_000), 200e9, rel_tol=1e-9)
