"""The steady operating point of a serving replica: how many sequences it decodes together, how long a request
takes, what the replica draws, and how many replicas the traffic needs.

Pure arithmetic on plain floats: one call evaluates one scenario. ``inference.py`` evaluates the central
scenario and the scenarios at the low and high of each input left to a default, and makes ranges of them.

Timing of a continuously batched replica at batch b (each of b sequences holds a slot from arrival to its last
token; while it decodes, the b - 1 others are replaced about once each, and their prompts ride along the steps):

* replica time per request  busy = prefill + output x step(b) / b      (throughput = 1 / busy)
* latency, arrival to last  L    = b x prefill + output x step(b)      (= b x busy: Little's law, b = rate x L)
* time to first token       TTFT = step(b) + prefill                   (the step under way, then its prompt)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .defaults import ACCELERATORS_PER_SERVER, USABLE_MEMORY_FRACTION
from .formulas.inference import (
    Architecture,
    StepTime,
    concurrency,
    decode_seconds_function,
    decode_step,
    power_fraction,
    prefill_step,
    replicas_for,
)

GB = 1e9
EAGER = "eager"


@dataclass(frozen=True, slots=True)
class ServingConstants:
    """The fitted constants of the serving model (``calibration.INFERENCE_SERVING``): achieved shares of peak
    compute and bandwidth, the fixed time of a step per layer (by engine, and for the all-reduces of tensor
    parallelism) and per sequence (scheduling, sampling), the rate at which a replica exchanges tokens with
    experts on other accelerators (mixture-of-experts across accelerators), the power fractions during fixed,
    memory-bound and compute-bound time, and the range of the cross-validated errors of energy per request
    (natural log)."""

    compute_efficiency: float
    #: Share of peak compute a prompt's prefill reaches (large matrix products over many tokens).
    prefill_compute_efficiency: float
    bandwidth_efficiency: float
    layer_seconds_continuous: float
    layer_seconds_eager: float
    layer_seconds_tensor_parallel: float
    sequence_seconds: float
    #: Per server (all of a replica's accelerators within one server share it).
    moe_exchange_bytes_per_second: float
    #: How much longer a mixture-of-experts' weight matrices take than their FLOPs and bytes imply.
    moe_slowdown: float
    power_overhead: float
    power_memory_bound: float
    power_compute_bound: float
    log_error_low: float
    log_error_high: float
    fitted_to: str

    def fixed_seconds(
        self, engine: str, layers: float, accelerators: int, batch: float = 1.0, exchange_bytes: float = 0.0
    ) -> float:
        """Fixed time of one forward step: per layer, the engine's launches, plus the all-reduces of tensor
        parallelism when a replica spans more than one accelerator; per sequence, scheduling and sampling; and
        for a mixture-of-experts spread over accelerators, the exchange of ``exchange_bytes`` per token with the
        experts it is routed to, at every layer (all-to-all)."""
        return self.fixed_seconds_function(engine, layers, accelerators, exchange_bytes)(batch)

    def fixed_seconds_function(
        self, engine: str, layers: float, accelerators: int, exchange_bytes: float = 0.0
    ) -> Callable[[float], float]:
        """:meth:`fixed_seconds` as a function of the batch, what does not depend on it computed once."""
        per_layer = self.layer_seconds_eager if engine == EAGER else self.layer_seconds_continuous
        spread = accelerators > 1
        if spread:
            per_layer += self.layer_seconds_tensor_parallel
        launches = layers * per_layer
        sequence = self.sequence_seconds
        if not spread:
            return lambda batch: launches + batch * sequence + 0.0
        # Within a server the exchange shares one switch fabric; each further server adds its own.
        rate = self.moe_exchange_bytes_per_second * math.ceil(accelerators / ACCELERATORS_PER_SERVER)
        return lambda batch: launches + batch * sequence + batch * layers * exchange_bytes / rate


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything one evaluation needs. Peak, bandwidth, memory and power are per accelerator."""

    architecture: Architecture
    layers: float
    accelerators_per_replica: int
    peak_flops_per_second: float
    bandwidth_bytes_per_second: float
    memory_gb: float
    reference_power_w: float
    #: The caller's mean power per accelerator while busy, replacing the modelled one.
    given_power_w: float | None
    prompt_tokens: float
    output_tokens: float
    engine: str
    #: The caller's batch: the operating batch on demand, a ceiling on a dedicated replica.
    batch_size: float | None
    #: Sequences per accelerator shared (on-demand) capacity runs at when the caller gives no batch.
    shared_batch_per_accelerator: float
    #: Mean arrivals per second over all replicas (dedicated), None on demand.
    arrivals_per_second: float | None
    replicas: int
    max_latency_seconds: float | None
    max_time_to_first_token_seconds: float | None


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    #: Mean sequences decoded together (at least 1: below that, the replica serves one at a time).
    batch: float
    #: Largest batch the replica's free memory holds for the KV cache of full-length sequences.
    memory_batch_cap: float
    step: StepTime
    prefill: StepTime
    time_to_first_token_seconds: float
    latency_seconds: float
    #: Replica-seconds one request occupies: its prefill plus its share of the steps that decode it.
    busy_seconds_per_request: float
    #: Replica energy of one request (J, all its accelerators): prefill and decoding at their own power.
    busy_joules_per_request: float
    #: Mean power per accelerator while busy, W.
    busy_power_w: float
    replicas_needed: int
    batch_limited_by_memory: bool
    slo_met: bool

    @property
    def decode_seconds_per_token(self) -> float:
        """Replica-seconds per generated token: a step's time shared by the batch."""
        return self.step.seconds / self.batch

    @property
    def prefill_seconds(self) -> float:
        return self.prefill.seconds


def _power_of_two_holding(need_bytes: float, memory_gb: float) -> int:
    """Fewest accelerators, a power of two (tensor parallelism splits heads evenly), whose usable memory holds
    ``need_bytes``."""
    minimum = max(1, math.ceil(need_bytes / (memory_gb * GB * USABLE_MEMORY_FRACTION) - 1e-9))
    return 1 << (minimum - 1).bit_length()


def minimum_replica_accelerators(architecture: Architecture, memory_gb: float, context_tokens: float) -> int:
    """Fewest accelerators (a power of two) whose usable memory holds the weights and the KV cache of one
    full-length sequence."""
    return _power_of_two_holding(
        architecture.weight_bytes + architecture.kv_bytes_per_token * context_tokens, memory_gb
    )


def default_replica_accelerators(
    architecture: Architecture, memory_gb: float, context_tokens: float, sequences: float
) -> int:
    """Accelerators per replica when the caller gives none: the fewest (a power of two) that hold the weights and
    the KV cache of ``sequences`` full-length sequences, that cache counted up to the weights' own size (a
    deployment sized so that its replicas can batch; very long contexts are served in smaller batches)."""
    kv = architecture.kv_bytes_per_token * context_tokens
    reserve = max(kv, min(kv * sequences, architecture.weight_bytes))
    return _power_of_two_holding(architecture.weight_bytes + reserve, memory_gb)


def memory_batch_cap(architecture: Architecture, accelerators: int, memory_gb: float, context_tokens: float) -> float:
    """Full-length sequences whose KV cache fits beside the weights (serving engines give the usable memory
    left after the weights to the KV cache: vLLM's gpu_memory_utilization, 0.9 by default)."""
    free = accelerators * memory_gb * GB * USABLE_MEMORY_FRACTION - architecture.weight_bytes
    per_sequence = architecture.kv_bytes_per_token * max(context_tokens, 1.0)
    if per_sequence <= 0:
        return math.inf
    # A float like every batch (math.floor gives an int, which JSON would write without its ".0").
    return max(0.0, float(math.floor(free / per_sequence)))


def operating_point(s: Scenario, c: ServingConstants) -> OperatingPoint:
    """The steady operating point of one replica of ``s``."""
    accelerators = s.accelerators_per_replica
    peak = s.peak_flops_per_second * accelerators
    bandwidth = s.bandwidth_bytes_per_second * accelerators
    exchange = s.architecture.exchange_bytes_per_token_layer
    fixed_at = c.fixed_seconds_function(s.engine, s.layers, accelerators, exchange)
    fixed = fixed_at(1.0)
    mean_context = s.prompt_tokens + s.output_tokens / 2.0
    prefill = prefill_step(
        s.architecture,
        s.prompt_tokens,
        peak,
        bandwidth,
        c.prefill_compute_efficiency,
        c.bandwidth_efficiency,
        fixed,
        batched=s.engine != EAGER,
    )

    flops_per_second = peak * c.compute_efficiency
    bytes_per_second = bandwidth * c.bandwidth_efficiency
    slowdown = c.moe_slowdown if s.architecture.is_moe else 1.0

    def step(batch: float) -> StepTime:
        return decode_step(
            s.architecture,
            batch,
            mean_context,
            peak,
            bandwidth,
            c.compute_efficiency,
            c.bandwidth_efficiency,
            fixed_at(batch),
            slowdown,
        )

    decode_seconds = decode_seconds_function(s.architecture, mean_context, flops_per_second, bytes_per_second, slowdown)
    seconds: dict[float, float] = {}  # a step's duration by batch: the latency and first-token checks share it

    def step_seconds(batch: float) -> float:
        known = seconds.get(batch)
        if known is None:
            known = seconds[batch] = decode_seconds(batch, fixed_at(batch))
        return known

    def latency(batch: float) -> float:
        return batch * prefill.seconds + s.output_tokens * step_seconds(batch)

    def first_token(batch: float) -> float:
        return step_seconds(batch) + prefill.seconds

    memory_cap = max(
        1.0, memory_batch_cap(s.architecture, accelerators, s.memory_gb, s.prompt_tokens + s.output_tokens)
    )
    # Dedicated replicas run what the traffic fills; shared ones a busy endpoint's batch.
    wanted = s.batch_size
    if wanted is None and s.arrivals_per_second is None:
        wanted = s.shared_batch_per_accelerator * accelerators
    limited = s.batch_size is not None and s.batch_size > memory_cap
    cap = memory_cap if wanted is None else min(memory_cap, wanted)
    cap, slo_met = latency_batch_cap(
        cap, latency, first_token, s.max_latency_seconds, s.max_time_to_first_token_seconds
    )

    if s.arrivals_per_second is not None:
        per_replica = s.arrivals_per_second / max(1, s.replicas)
        batch = max(1.0, concurrency(per_replica, latency, cap))
        at_cap = cap / latency(cap)  # requests per second one replica serves at its largest batch
        needed = replicas_for(s.arrivals_per_second, at_cap)
    else:
        batch = cap
        needed = 1
    at = step(batch)
    decode = s.output_tokens * at.seconds / batch
    busy = prefill.seconds + decode
    joules, power = _energy(s, c, prefill, at, decode)
    return OperatingPoint(
        batch=batch,
        memory_batch_cap=memory_cap,
        step=at,
        prefill=prefill,
        # first_token(batch) and latency(batch), from the step already made
        time_to_first_token_seconds=at.seconds + prefill.seconds,
        latency_seconds=batch * prefill.seconds + s.output_tokens * at.seconds,
        busy_seconds_per_request=busy,
        busy_joules_per_request=joules,
        busy_power_w=power,
        replicas_needed=needed,
        batch_limited_by_memory=limited,
        slo_met=slo_met,
    )


def latency_batch_cap(
    cap: float,
    latency: Callable[[float], float],
    first_token: Callable[[float], float],
    latency_target: float | None,
    first_token_target: float | None,
) -> tuple[float, bool]:
    """The largest whole batch up to ``cap`` whose ``latency`` and ``first_token`` times (seconds, growing with
    the batch) are within their targets (None: no target), and whether even one sequence at a time meets them."""
    if latency_target is None and first_token_target is None:
        return cap, True

    def within(batch: float) -> bool:
        if latency_target is not None and latency(batch) > latency_target:
            return False
        return first_token_target is None or first_token(batch) <= first_token_target

    def excess(batch: float) -> float:
        """How far past the nearer-to-binding target ``batch`` is, relative to it (at most 0 within both)."""
        over = -math.inf
        if latency_target is not None:
            over = latency(batch) / latency_target - 1.0
        if first_token_target is not None:
            over = max(over, first_token(batch) / first_token_target - 1.0)
        return over

    if not within(1.0):
        return 1.0, False
    if within(cap):
        return cap, True
    # within(low) and not within(high) throughout, and the targets bind monotonically, so every search that keeps
    # that ends on the same batch. Both times grow about linearly with the batch: the whole batches either side
    # of where the excess interpolates to zero usually close the bracket at once (halving takes log2(cap) steps);
    # a guess that leaves more than half the bracket is followed by a halving.
    low, high = 1.0, cap
    excess_low, excess_high = excess(low), excess(high)

    def probe(batch: float) -> bool:
        """Narrow the bracket at ``batch`` (moved to a whole batch inside it); whether it was within."""
        nonlocal low, high, excess_low, excess_high
        middle = min(max(batch, low + 1.0), math.ceil(high) - 1.0)
        if within(middle):
            low, excess_low = middle, excess(middle)
            return True
        high, excess_high = middle, excess(middle)
        return False

    while high - low > 1.0:
        width = high - low
        guess = (
            math.floor(low + width * (-excess_low) / (excess_high - excess_low))
            if excess_high > excess_low
            else math.floor((low + high) / 2.0)
        )
        if probe(guess) and high - low > 1.0 and (-excess_low) * (high - low) < excess_high - excess_low:
            probe(low + 1.0)  # the crossing is within one batch of the guess: the next one ends the search
        if high - low > width / 2.0 and high - low > 1.0:
            probe(math.floor((low + high) / 2.0))
    return low, True


def _energy(s: Scenario, c: ServingConstants, prefill: StepTime, step: StepTime, decode: float) -> tuple[float, float]:
    """Replica energy of one request (J) and the mean power per accelerator while busy (W): prefill and the
    request's share of decoding, each at the power of its kind of step, or at the caller's power."""
    accelerators = s.accelerators_per_replica
    seconds = prefill.seconds + decode
    if s.given_power_w is not None:
        return accelerators * s.given_power_w * seconds, s.given_power_w

    def watts(of: StepTime) -> float:
        return s.reference_power_w * power_fraction(of, c.power_overhead, c.power_memory_bound, c.power_compute_bound)

    joules = accelerators * (watts(prefill) * prefill.seconds + watts(step) * decode)
    return joules, joules / (accelerators * seconds) if seconds > 0 else watts(step)
