"""Time an inference request keeps an accelerator busy: prefill and decoding.

Prefill processes the whole prompt at once and is compute-bound: ~2 x N_active x prompt tokens FLOPs.
Decoding produces one token per step for each of ``b`` sequences in the batch. A step costs
2 x N_active x b FLOPs but must also stream the weights and every sequence's KV cache from memory, so
at small batches it is limited by memory bandwidth: time per step ~= max(compute time, bytes / bandwidth),
shared by the ``b`` sequences (brief §3; Pope et al. 2022, arXiv:2211.05102 §2).
"""

from __future__ import annotations

from ..defaults import INFERENCE_FLOPS_PER_PARAMETER_TOKEN
from ..ranges import Range


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_element: float) -> float:
    """Bytes of keys and values stored per token: 2 (K and V) x layers x KV heads x head size x bytes."""
    return 2.0 * num_layers * num_kv_heads * head_dim * bytes_per_element


def prefill_seconds(
    active_parameters: Range,
    prompt_tokens: Range,
    weight_bytes_per_batch_member: Range,
    peak_flops_per_second: float,
    compute_efficiency: Range,
    bandwidth_bytes_per_second: float,
    bandwidth_efficiency: Range,
) -> Range:
    """Seconds of one replica's time to prefill one request's prompt (all its accelerators together).

    Compute-bound for any realistic prompt; the weights still have to be read once per batch, which
    dominates only for very short prompts.
    """
    compute = (
        active_parameters.times(prompt_tokens)
        .scale(INFERENCE_FLOPS_PER_PARAMETER_TOKEN / peak_flops_per_second)
        .divided_by(compute_efficiency)
    )
    memory = weight_bytes_per_batch_member.scale(1.0 / bandwidth_bytes_per_second).divided_by(bandwidth_efficiency)
    return compute.maximum(memory)


def decode_seconds_per_token(
    active_parameters: Range,
    weight_bytes_per_batch_member: Range,
    kv_bytes_per_sequence: Range,
    peak_flops_per_second: float,
    compute_efficiency: Range,
    bandwidth_bytes_per_second: float,
    bandwidth_efficiency: Range,
) -> Range:
    """Seconds of one replica's time per generated token, at the batch the weight share reflects.

    ``weight_bytes_per_batch_member``: weight bytes read per step divided by the batch size;
    ``kv_bytes_per_sequence``: KV-cache bytes read per step for one sequence (its mean context).
    Peak and bandwidth are those of the whole replica.
    """
    compute = active_parameters.scale(INFERENCE_FLOPS_PER_PARAMETER_TOKEN / peak_flops_per_second).divided_by(
        compute_efficiency
    )
    memory = (
        (weight_bytes_per_batch_member + kv_bytes_per_sequence)
        .scale(1.0 / bandwidth_bytes_per_second)
        .divided_by(bandwidth_efficiency)
    )
    return compute.maximum(memory)


def weight_bytes_per_batch_member(
    total_parameters: float, active_parameters: float, bytes_per_parameter: float, batch_size: Range
) -> Range:
    """Weight bytes read per decoding step, divided among the batch.

    A dense model reads all weights once per step. A mixture-of-experts reads the experts its batch
    touches: at most all of them, at least the active set for each sequence, i.e.
    min(N_total / b, N_active) per sequence.
    """
    per_member_total = Range(
        total_parameters / batch_size.value,
        total_parameters / batch_size.high,
        total_parameters / batch_size.low,
    )
    return per_member_total.minimum(Range.exact(active_parameters)).scale(bytes_per_parameter)


def inference_load(batch_size: float, half_batch: float) -> float:
    """How far the batch moves the accelerator from unbatched to saturated power: (b - 1) / (b - 1 + half)."""
    extra = max(0.0, batch_size - 1.0)
    return extra / (extra + half_batch)


def inference_power_fraction_of_tdp(batch_size: Range, unbatched: Range, saturated: Range, half_batch: float) -> Range:
    """Average accelerator power while serving, as a fraction of TDP, rising with the batch size.

    fraction = unbatched + (saturated - unbatched) x (b - 1) / (b - 1 + half_batch). Low and high use the
    low and high of every input (the fraction grows with each of them).
    """

    def at(u: float, s: float, b: float) -> float:
        return u + (max(s, u) - u) * inference_load(b, half_batch)

    return Range.spread(
        at(unbatched.value, saturated.value, batch_size.value),
        at(unbatched.low, saturated.low, batch_size.low),
        at(unbatched.high, saturated.high, batch_size.high),
    )


def step_overhead_seconds_per_member(step_overhead_s: Range, batch_size: Range) -> Range:
    """Fixed per-step time (launches, sampling, scheduling) shared by the ``b`` sequences of a step."""
    return Range.spread(
        step_overhead_s.value / batch_size.value,
        step_overhead_s.low / batch_size.high,
        step_overhead_s.high / batch_size.low,
    )
