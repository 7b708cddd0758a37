"""Serving a language model: the work of a prompt and of a decoding step, how long a replica takes for them, and
what it draws meanwhile.

A serving engine (vLLM: Kwon et al. 2023, arXiv:2309.06180; Orca: Yu et al. 2022, OSDI) adds and retires
sequences at every decoding step, so a replica decodes one token for each of ``b`` concurrent sequences per
step. A step does 2 x N_active FLOPs plus attention per sequence and reads the weights the batch touches plus
every sequence's KV cache; its time is a fixed overhead plus the larger of compute time and memory time (the
roofline of Williams et al. 2009; applied to transformer inference by Pope et al. 2022, arXiv:2211.05102 §2).
All functions take plain floats (seconds, bytes, FLOPs); ranges are made by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..defaults import INFERENCE_FLOPS_PER_PARAMETER_TOKEN

#: Bytes per activation value exchanged between accelerators (bf16).
ACTIVATION_BYTES = 2.0
#: Experts per token when a mixture-of-experts' routing is not given: DeepSeek-V3 and Qwen3 route each token to
#: 8 (DeepSeek-AI 2024, arXiv:2412.19437 §2.1.2; Qwen Team 2025, arXiv:2505.09388 Table 2).
DEFAULT_EXPERTS_PER_TOKEN = 8.0

#: Attention FLOPs per token per token of context, per layer and unit of attention width: the logits (q.k) and
#: the weighted sum of values, 2 FLOPs per multiply-add each (Hoffmann et al. 2022, arXiv:2203.15556 App. F).
ATTENTION_FLOPS_PER_LAYER_WIDTH = 4.0


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: int, head_dim: int, bytes_per_element: float) -> float:
    """Bytes of keys and values stored per token: 2 (K and V) x layers x KV heads x head size x bytes (vLLM
    paper, Kwon et al. 2023 §2)."""
    return 2.0 * num_layers * num_kv_heads * head_dim * bytes_per_element


def attention_flops_per_context_token(num_layers: float, attention_width: float) -> float:
    """FLOPs one token spends attending to one token of context: 4 x layers x attention width."""
    return ATTENTION_FLOPS_PER_LAYER_WIDTH * num_layers * attention_width


def distinct_experts(experts: float, experts_per_token: float, tokens: float) -> float:
    """Expected distinct experts ``tokens`` tokens touch when each picks ``experts_per_token`` of ``experts``
    with equal chance: E x (1 - (1 - k/E)^tokens). One token touches k; a large batch touches nearly all E.
    Load-balanced routers (Fedus et al. 2022, arXiv:2101.03961 §2.2) aim at that equal use."""
    return experts * (1.0 - (1.0 - experts_per_token / experts) ** max(tokens, 1.0))


@dataclass(frozen=True, slots=True)
class Architecture:
    """What serving needs to know of a model (parameters in units, bytes per stored value)."""

    parameters: float
    active_parameters: float
    #: Routed experts and experts per token; None for a dense model or an MoE whose routing is not known.
    experts: float | None
    experts_per_token: float | None
    bytes_per_parameter: float
    kv_bytes_per_token: float
    attention_flops_per_context_token: float
    #: Width of the residual stream (d_model), what tokens carry between layers and accelerators.
    hidden_size: float

    @property
    def is_moe(self) -> bool:
        return self.active_parameters < self.parameters

    @property
    def weight_bytes(self) -> float:
        return self.parameters * self.bytes_per_parameter

    @property
    def exchange_bytes_per_token_layer(self) -> float:
        """Bytes a token sends to the accelerators holding its experts and receives back, per MoE layer:
        dispatch and combine of its hidden state to each of its k experts (Rajbhandari et al. 2022,
        DeepSpeed-MoE, arXiv:2201.05596 §5). 0 for a dense model."""
        if not self.is_moe:
            return 0.0
        k = self.experts_per_token if self.experts_per_token is not None else DEFAULT_EXPERTS_PER_TOKEN
        return 2.0 * k * self.hidden_size * ACTIVATION_BYTES

    def weight_bytes_per_step(self, batch: float) -> float:
        """Weight bytes one decoding step of ``batch`` sequences reads: all of a dense model; of a
        mixture-of-experts, the shared weights plus the experts the batch's tokens touch.

        With E experts of X parameters each and k per token, N = S + E X and N_active = S + k X, so
        X = (N - N_active) / (E - k). When E and k are not known, k/E = N_active / N and S = 0 (one token reads
        the active parameters, a large batch all of them)."""
        return self.weight_bytes_per_step_function()(batch)

    def weight_bytes_per_step_function(self) -> Callable[[float], float]:
        """:meth:`weight_bytes_per_step` as a function of the batch, what does not depend on it computed once."""
        bytes_per_parameter = self.bytes_per_parameter
        if not self.is_moe:
            weight_bytes = self.weight_bytes
            return lambda batch: weight_bytes
        experts, per_token, parameters = self.experts, self.experts_per_token, self.parameters
        if experts is not None and per_token is not None:
            expert = (parameters - self.active_parameters) / (experts - per_token)
            shared = max(0.0, self.active_parameters - per_token * expert)

            def routed(batch: float) -> float:
                return (shared + distinct_experts(experts, per_token, batch) * expert) * bytes_per_parameter

            return routed
        unrouted = 1.0 - self.active_parameters / parameters

        def unknown(batch: float) -> float:
            return parameters * (1.0 - unrouted ** max(batch, 1.0)) * bytes_per_parameter

        return unknown


def prefill_flops(architecture: Architecture, prompt_tokens: float) -> float:
    """FLOPs to process a prompt of P tokens: 2 x N_active per token (Kaplan et al. 2020, arXiv:2001.08361
    Table 1), plus causal attention, token i attending to i earlier ones: attention x P^2 / 2."""
    return (
        INFERENCE_FLOPS_PER_PARAMETER_TOKEN * architecture.active_parameters * prompt_tokens
        + architecture.attention_flops_per_context_token * prompt_tokens * prompt_tokens / 2.0
    )


@dataclass(frozen=True, slots=True)
class StepTime:
    """One forward step of a replica: its fixed overhead, then its operators one after another, each lasting
    the longer of its compute time and its memory time (the roofline per operator: Yuan et al. 2024,
    arXiv:2402.16363). Seconds."""

    fixed_seconds: float
    #: (compute seconds, memory seconds) of each operator group: the weight matrices, then attention.
    parts: tuple[tuple[float, float], ...]
    #: The step's duration: the fixed part, then each operator's longer side (set from the above).
    seconds: float = field(init=False)

    def __post_init__(self) -> None:
        # Computed once: the serving model reads a step's duration several times per operating point.
        object.__setattr__(
            self, "seconds", self.fixed_seconds + sum(max(compute, memory) for compute, memory in self.parts)
        )

    @property
    def compute_seconds(self) -> float:
        return sum(compute for compute, _ in self.parts)


def decode_step(
    architecture: Architecture,
    batch: float,
    mean_context_tokens: float,
    peak_flops_per_second: float,
    bandwidth_bytes_per_second: float,
    compute_efficiency: float,
    bandwidth_efficiency: float,
    fixed_seconds: float,
    expert_slowdown: float = 1.0,
) -> StepTime:
    """One decoding step of ``batch`` sequences at ``mean_context_tokens`` each, on a replica of the given peak
    and bandwidth, at the achieved shares of them: the weight matrices (2 x N_active FLOPs per sequence against
    the weights the batch touches), then attention (its FLOPs against each sequence's KV cache)."""
    parts = _decode_parts_function(
        architecture,
        mean_context_tokens,
        peak_flops_per_second * compute_efficiency,
        bandwidth_bytes_per_second * bandwidth_efficiency,
        expert_slowdown,
    )
    linear_compute, linear_memory, attention_compute, attention_memory = parts(batch)
    return StepTime(fixed_seconds, ((linear_compute, linear_memory), (attention_compute, attention_memory)))


def decode_step_seconds(
    architecture: Architecture,
    batch: float,
    mean_context_tokens: float,
    flops_per_second: float,
    bytes_per_second: float,
    fixed_seconds: float,
    expert_slowdown: float = 1.0,
) -> float:
    """``decode_step(...).seconds`` for the achieved ``flops_per_second`` (peak x compute efficiency) and
    ``bytes_per_second``, to the bit, without building the step."""
    seconds = decode_seconds_function(
        architecture, mean_context_tokens, flops_per_second, bytes_per_second, expert_slowdown
    )
    return seconds(batch, fixed_seconds)


def decode_seconds_function(
    architecture: Architecture,
    mean_context_tokens: float,
    flops_per_second: float,
    bytes_per_second: float,
    expert_slowdown: float = 1.0,
) -> Callable[[float, float], float]:
    """:func:`decode_step_seconds` as a function of the batch and the fixed seconds, for one replica and context:
    what solving for the batch evaluates many times. What does not depend on the batch is computed once, as the
    step computes it, so every value is the step's to the bit."""
    parts = _decode_parts_function(
        architecture, mean_context_tokens, flops_per_second, bytes_per_second, expert_slowdown
    )

    def seconds(batch: float, fixed_seconds: float) -> float:
        linear_compute, linear_memory, attention_compute, attention_memory = parts(batch)
        # StepTime.seconds: the fixed part plus each operator's longer side, summed in order from 0.
        return fixed_seconds + (max(linear_compute, linear_memory) + max(attention_compute, attention_memory))

    return seconds


def _decode_parts_function(
    architecture: Architecture,
    mean_context_tokens: float,
    flops_per_second: float,
    bytes_per_second: float,
    expert_slowdown: float,
) -> Callable[[float], tuple[float, float, float, float]]:
    """Compute and memory seconds of the weight matrices, then of attention, in one decoding step of a batch,
    what does not depend on the batch taken once."""
    flops_per_token = INFERENCE_FLOPS_PER_PARAMETER_TOKEN
    active = architecture.active_parameters
    attention = architecture.attention_flops_per_context_token
    kv = architecture.kv_bytes_per_token
    weight_bytes = architecture.weight_bytes_per_step_function()

    def parts(batch: float) -> tuple[float, float, float, float]:
        return (
            expert_slowdown * batch * flops_per_token * active / flops_per_second,
            expert_slowdown * weight_bytes(batch) / bytes_per_second,
            batch * attention * mean_context_tokens / flops_per_second,
            batch * mean_context_tokens * kv / bytes_per_second,
        )

    return parts


def prefill_step(
    architecture: Architecture,
    prompt_tokens: float,
    peak_flops_per_second: float,
    bandwidth_bytes_per_second: float,
    compute_efficiency: float,
    bandwidth_efficiency: float,
    fixed_seconds: float,
    batched: bool,
) -> StepTime:
    """The replica time one prompt's prefill adds. In a continuously batched engine prompts ride along the
    decoding steps, which read the weights anyway (chunked prefill: Agrawal et al. 2024, Sarathi-Serve,
    arXiv:2403.02310), so a prompt adds its FLOPs only; alone, it is a forward step of its own."""
    compute = prefill_flops(architecture, prompt_tokens) / (peak_flops_per_second * compute_efficiency)
    if batched:
        return StepTime(0.0, ((compute, 0.0),))
    weights = architecture.weight_bytes_per_step(prompt_tokens) / (bandwidth_bytes_per_second * bandwidth_efficiency)
    return StepTime(fixed_seconds, ((compute, weights),))


def power_fraction(step: StepTime, overhead: float, memory_bound: float, compute_bound: float) -> float:
    """Mean accelerator power over a step as a fraction of its reference power: ``overhead`` during the fixed
    time (kernel launches, scheduling: the chip mostly waits), and during each operator ``memory_bound`` when it
    only streams memory, rising with the share of its time the compute units are busy to ``compute_bound``
    (Patel et al. 2024, Splitwise, arXiv:2311.18677: prompt phases draw near TDP, token phases less)."""
    energy = overhead * step.fixed_seconds
    for compute, memory in step.parts:
        longer = max(compute, memory)
        if longer > 0:
            energy += longer * (memory_bound + (compute_bound - memory_bound) * compute / longer)
    total = step.seconds
    return energy / total if total > 0 else overhead


def concurrency(arrivals_per_second: float, latency_at: Callable[[float], float], cap: float) -> float:
    """Mean sequences in service on one replica by Little's law (Little 1961, Operations Research 9(3)):
    C = arrival rate x latency(C), bounded by ``cap``. Below 1 the replica serves one sequence at a time, a share
    C of the time.

    Latency grows with C, so the gap rate x latency(C) - C is positive at 0 and changes sign once below the cap.
    The answer is that of ``BISECTION_STEPS`` halvings of [0, cap]. A bracket found first (below 1 the gap is a
    straight line; above, the Anderson-Bjorck variant of regula falsi, Anderson & Bjorck 1973, BIT 13, takes
    about ten latency evaluations) decides the sign at the midpoints well outside it, so only the few halvings
    near the root evaluate the latency: the same answer, to the bit, for a fraction of the work."""
    if arrivals_per_second <= 0.0:
        return 0.0
    at_one = latency_at(1.0)

    def gap(c: float) -> float:
        return arrivals_per_second * (at_one if c <= 1.0 else latency_at(c)) - c

    gap_cap = gap(cap)
    if gap_cap >= 0.0:
        return cap  # the replica cannot keep up below its cap: it runs full
    gap_one = gap(1.0)
    if cap <= 1.0 or gap_one <= 0.0:
        # Below one sequence the gap is K - C exactly: positive below K, not above.
        root = arrivals_per_second * at_one
        positive_below, not_positive_above = math.nextafter(root, 0.0), root
    else:
        low, high = _regula_falsi_bracket(gap, 1.0, gap_one, cap, gap_cap)
        # Rounding makes the gap's sign noisy within a few ulps of the root: evaluate there as bisection does.
        margin = BRACKET_MARGIN * high
        positive_below, not_positive_above = low - margin, high + margin
    low, high = 0.0, cap
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2.0
        if middle < positive_below:
            positive = True
        elif middle > not_positive_above:
            positive = False
        else:
            positive = gap(middle) > 0.0
        if positive:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


#: Halvings of [0, cap] that define the concurrency (a bracket of cap / 2**50).
BISECTION_STEPS = 50
#: Relative width at which the regula falsi bracket stops, and the most steps it takes.
BRACKET_TOLERANCE = 1e-14
BRACKET_MAX_STEPS = 40
#: Relative distance from the bracket beyond which a midpoint's sign is taken from it (a hundred times the
#: rounding of one latency evaluation; tests/domain/test_serving.py checks the answer against plain bisection).
BRACKET_MARGIN = 1e-13


def _regula_falsi_bracket(
    gap: Callable[[float], float], low: float, gap_low: float, high: float, gap_high: float
) -> tuple[float, float]:
    """(low, high) with gap(low) > 0 >= gap(high), given at both ends, narrowed to ``BRACKET_TOLERANCE``
    relative to ``high``."""
    moved = 0  # which end the last step moved: -1 low, +1 high
    for _ in range(BRACKET_MAX_STEPS):
        if high - low <= BRACKET_TOLERANCE * high:
            break
        middle = (low * gap_high - high * gap_low) / (gap_high - gap_low)
        # The line through the ends lands on an end when that end is the root (a straight gap): probe just
        # inside it, which closes the bracket if it is.
        if middle >= high:
            middle = high * (1.0 - BRACKET_TOLERANCE / 2.0)
        elif middle <= low:
            middle = low * (1.0 + BRACKET_TOLERANCE / 2.0)
        if not low < middle < high:
            middle = (low + high) / 2.0
        value = gap(middle)
        if value > 0.0:
            if moved == -1:
                # The high end stays a second time: weight it down (Anderson & Bjorck 1973).
                m = 1.0 - value / gap_low
                gap_high *= m if m > 0.0 else 0.5
            low, gap_low = middle, value
            moved = -1
        else:
            if moved == 1:
                m = 1.0 - value / gap_high if gap_high != 0.0 else 0.5
                gap_low *= m if m > 0.0 else 0.5
            high, gap_high = middle, value
            moved = 1
    return low, high


def replicas_for(arrivals_per_second: float, requests_per_second_per_replica: float) -> int:
    """Replicas needed to serve an arrival rate at the given throughput per replica."""
    if requests_per_second_per_replica <= 0.0 or math.isinf(arrivals_per_second):
        return 1
    return max(1, math.ceil(arrivals_per_second / requests_per_second_per_replica - 1e-9))
