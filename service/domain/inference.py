"""Inference: the steady operating point of a serving replica, then the footprint of the requests.

``estimate_inference`` runs named steps: ``prepare`` resolves the model as serving sees it, the replica, the
shape of a request and the traffic into a ``Scenario``; ``serving.operating_point`` gives the replica's batch,
timing and energy at the central inputs and at the low and high of each input left to a default (their effects
combined in quadrature, as ``Range`` combines independent factors, with the calibrated model's
cross-validated error); then the energy of on-demand or dedicated capacity, RAG, and the shared footprint chain.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..reference import Accelerator, Catalog
from . import calibration
from .assumptions import DEFAULT, DERIVED, INPUT, Ledger, given_or_default
from .defaults import (
    BYTES_PER_PARAMETER,
    IDLE_POWER_FRACTION_OF_TDP,
    INPUT_TOKENS_PER_REQUEST,
    KV_CACHE_BYTES_PER_ELEMENT,
    OUTPUT_TOKENS_PER_REQUEST,
    SHARED_SEQUENCES_PER_ACCELERATOR,
    USABLE_MEMORY_FRACTION,
)
from .embodied import embodied_rate_kg_per_accelerator_hour
from .errors import EstimationError
from .estimate import Estimate, PerRequestFigures, RagIndexFigures, ServingFigures
from .footprint import Footprint, central_emissions_kgco2e, footprint
from .formulas.compute import SECONDS_PER_HOUR, forward_flops
from .formulas.inference import (
    Architecture,
    attention_flops_per_context_token,
    kv_cache_bytes_per_token,
    prefill_flops,
)
from .formulas.throughput import d_model_from_parameters
from .hardware import BILLION, ResolvedHardware, ResolvedModel, resolve_hardware, resolve_model, whole_instances
from .inputs import InferenceRequest
from .it_energy import it_energy_kwh
from .power import reference_power
from .ranges import ZERO, Range
from .serving import (
    OperatingPoint,
    Scenario,
    ServingConstants,
    default_replica_accelerators,
    minimum_replica_accelerators,
    operating_point,
)
from .site import Site, SiteDefaults, resolve_site

#: KV cache per token when the architecture is unknown: Llama 3 8B's 128 KiB (32 layers x 8 KV heads x 128 x K,V
#: x 2 bytes; its config.json) scaled with sqrt(parameters / 8B), which tracks grouped-query models from 1B to
#: 405B within the range (multi-head models such as Llama 2 7B hold 4x more).
KV_REFERENCE_BYTES_PER_TOKEN = 131072.0
KV_REFERENCE_PARAMETERS = 8e9
KV_HEURISTIC_SPREAD = (0.4, 4.0)
JOULES_PER_KWH = 3.6e6

T = TypeVar("T")


def estimate_inference(catalog: Catalog, site_defaults: SiteDefaults, request: InferenceRequest) -> Estimate:
    """The estimate of ``request``."""
    ledger = Ledger()
    served = prepare(catalog, request, ledger)
    point = operating_point(served.scenario, calibration.INFERENCE_SERVING)
    return _finish(catalog, site_defaults, request, served, point, ledger)


@dataclass(frozen=True, slots=True)
class CentralInference:
    """An inference estimate's central emissions and latency, equal to the bit to the full estimate's, and what
    was computed to get them: ranking candidates needs only these (the central operating point, no ranges and
    no other points); :func:`finish_inference` completes the estimate from here."""

    emissions_kgco2e: float
    latency_seconds: float
    request: InferenceRequest
    served: Served
    point: OperatingPoint
    #: What ``prepare`` recorded; the estimate records the rest in its own order when finished.
    ledger: Ledger


def central_inference(
    catalog: Catalog, site_defaults: SiteDefaults, request: InferenceRequest, shared: SharedSteps | None = None
) -> CentralInference:
    """The central figures of ``request``'s estimate, from the central operating point alone: every range
    arithmetic's centre is the same arithmetic on the centres (``Range``), so exact ranges give those centres.
    ``shared``: what :func:`prepare` may take from related requests ranked before."""
    ledger = Ledger()
    served = prepare(catalog, request, ledger, shared)
    constants = calibration.INFERENCE_SERVING
    point = operating_point(served.scenario, constants)
    busy_seconds, busy_joules = Range.exact(point.busy_seconds_per_request), Range.exact(point.busy_joules_per_request)
    # The finished estimate records these assumptions itself, in its own order.
    priced = _priced_work(
        catalog, site_defaults, request, served, point, busy_seconds, busy_joules, constants, Ledger()
    )
    rate = priced.embodied_kg_per_accelerator_hour
    emissions = central_emissions_kgco2e(
        priced.accelerators_kwh.value,
        priced.host_kwh.value,
        priced.work.accelerator_hours.value,
        priced.site,
        None if rate is None else rate.value,
    )
    return CentralInference(emissions, point.latency_seconds, request, served, point, ledger)


def finish_inference(catalog: Catalog, site_defaults: SiteDefaults, central: CentralInference) -> Estimate:
    """The full estimate :func:`central_inference` began: the same as :func:`estimate_inference` gives."""
    return _finish(catalog, site_defaults, central.request, central.served, central.point, central.ledger.copy())


def footprint_of_central(catalog: Catalog, site_defaults: SiteDefaults, central: CentralInference) -> Footprint:
    """The footprint of the estimate :func:`finish_inference` makes, without the rest of it (what an alternative
    listed beside a recommendation shows): the same ranges, priced the same way."""
    constants = calibration.INFERENCE_SERVING
    ledger = Ledger()  # only the figures are shown
    ranges = _operating_ranges(central.served, central.request, constants, ledger, central.point)
    _, result = _ranged_footprint(
        catalog, site_defaults, central.request, central.served, central.point, ranges, constants, ledger
    )
    return result


def _finish(
    catalog: Catalog,
    site_defaults: SiteDefaults,
    request: InferenceRequest,
    served: Served,
    point: OperatingPoint,
    ledger: Ledger,
) -> Estimate:
    """From the central operating point: the points at each defaulted input's low and high, the ranges, the
    warnings and the footprint."""
    constants = calibration.INFERENCE_SERVING
    ranges = _operating_ranges(served, request, constants, ledger, point)
    _warn_about(point, served.scenario, request, ledger)
    return _footprint(catalog, site_defaults, request, ledger, served, point, ranges, constants)


@dataclass(frozen=True, slots=True)
class RequestShape:
    input_tokens: Range
    output_tokens: Range
    retrieved_tokens: float


@dataclass(frozen=True, slots=True)
class Replica:
    accelerators: int
    minimum_accelerators: int


@dataclass(frozen=True, slots=True)
class Served:
    """What is served, on what, and how much: everything before the operating point."""

    model: ResolvedModel
    hardware: ResolvedHardware
    #: The KV size's relative low and high when it comes from a heuristic, else (1, 1).
    kv_spread: tuple[float, float]
    shape: RequestShape
    replica: Replica
    requests: float
    scenario: Scenario


class SharedSteps:
    """Steps of :func:`prepare` that related requests share: a recommendation's candidates each change one or
    two parts of the same workload (the accelerator, the model, the prompt) and keep the others as the very
    same objects (``apply_patch``). A step's result and what it recorded are kept by the identity of the parts
    it reads (held here, so that no other object can take their ``id``); a later request with those very parts
    gets the result and the record, replayed into its ledger where the step would have made it. The steps are
    pure functions of their parts, so the result is the one they would compute again."""

    __slots__ = ("_taken",)

    def __init__(self) -> None:
        self._taken: dict[tuple[object, ...], tuple[tuple[object, ...], Any, Ledger]] = {}

    def take(self, name: str, parts: tuple[object, ...], ledger: Ledger, step: Callable[[Ledger], T]) -> T:
        """``step(ledger)``, or what it gave and recorded when taken on the very same ``parts``."""
        key = (name, *map(id, parts))
        taken = self._taken.get(key)
        if taken is None or any(a is not b for a, b in zip(taken[0], parts, strict=True)):
            record = Ledger()
            taken = self._taken[key] = (parts, step(record), record)
        _, result, record = taken
        ledger.replay(record.assumptions, record.warnings)
        return result


class _NothingShared(SharedSteps):
    """Every step taken afresh, recording straight into the request's ledger (a lone estimate)."""

    __slots__ = ()

    def take(self, name: str, parts: tuple[object, ...], ledger: Ledger, step: Callable[[Ledger], T]) -> T:
        return step(ledger)


_NOTHING_SHARED = _NothingShared()


def prepare(catalog: Catalog, request: InferenceRequest, ledger: Ledger, shared: SharedSteps | None = None) -> Served:
    """Resolve a request into the scenario its replicas serve (the calibration builds its points with this too,
    so it fits exactly what the service answers). ``shared``: steps already taken for requests with the same
    parts."""
    steps = _NOTHING_SHARED if shared is None else shared
    model = steps.take("model", (request.model,), ledger, lambda record: resolve_model(catalog, request.model, record))
    preset = model.preset
    native = (preset.weight_precision, f"preset {preset.id}: {preset.source}") if preset is not None else None
    hardware = resolve_hardware(catalog, request.hardware, ledger, native_precision=native)
    architecture, layers, kv_spread = steps.take(
        "architecture",
        (request.model, model, hardware.precision),
        ledger,
        lambda record: _architecture(model, hardware, request, record),
    )
    shape = steps.take(
        "shape",
        (request.input_tokens_per_request, request.output_tokens_per_request, request.rag),
        ledger,
        lambda record: _request_shape(request, record),
    )
    replica = _replica(architecture, hardware, shape, ledger)
    requests, arrivals = steps.take(
        "traffic",
        (request.traffic, request.deployment, request.requests),
        ledger,
        lambda record: _traffic(request, record),
    )
    scenario = _scenario(request, hardware, architecture, layers, replica, shape, arrivals, ledger)
    return Served(model, hardware, kv_spread, shape, replica, requests, scenario)


@dataclass(frozen=True, slots=True)
class ReplicaNeed:
    """Memory one replica needs for the weights and one full-length sequence's KV cache, and the fewest
    accelerators (a power of two) that hold it."""

    memory_gb: float
    accelerators: int


def replica_need(model: ResolvedModel, precision: str, accelerator: Accelerator, context_tokens: float) -> ReplicaNeed:
    """What serving ``model`` at ``precision`` on ``accelerator`` needs per replica (the same rule as an estimate:
    recommendations use it to size the alternatives they try)."""
    return replica_sizing(model, precision, context_tokens)(accelerator)


def replica_sizing(model: ResolvedModel, precision: str, context_tokens: float) -> Callable[[Accelerator], ReplicaNeed]:
    """:func:`replica_need` on any accelerator, for trying many: the memory is the same on each."""
    kv, _ = _kv_bytes_per_token(model, Ledger())
    weights = model.parameters * BYTES_PER_PARAMETER[precision]
    need_gb = (weights + kv * context_tokens) / 1e9
    architecture = Architecture(
        model.parameters, model.active_parameters, None, None, BYTES_PER_PARAMETER[precision], kv, 0.0, 0.0
    )

    def on(accelerator: Accelerator) -> ReplicaNeed:
        return ReplicaNeed(need_gb, minimum_replica_accelerators(architecture, accelerator.memory_gb, context_tokens))

    return on


def context_tokens(request: InferenceRequest) -> float:
    """Prompt (with retrieved passages) plus answer tokens of a request, defaults where it gives none."""
    prompt = request.input_tokens_per_request
    output = request.output_tokens_per_request
    retrieved = request.rag.retrieved_tokens_per_request or 0.0 if request.rag is not None else 0.0
    return (
        (INPUT_TOKENS_PER_REQUEST.range.value if prompt is None else prompt)
        + retrieved
        + (OUTPUT_TOKENS_PER_REQUEST.range.value if output is None else output)
    )


# -- what is served -------------------------------------------------------------------------------------------


def _architecture(
    model: ResolvedModel, hardware: ResolvedHardware, request: InferenceRequest, ledger: Ledger
) -> tuple[Architecture, float, tuple[float, float]]:
    """The model as serving sees it, its layers, and the KV size's relative spread."""
    preset = model.preset
    d_model = d_model_from_parameters(model.active_parameters)
    if preset is not None and preset.num_layers:
        layers = float(preset.num_layers)
    else:
        # N ~= 12 x layers x d^2 (Kaplan et al. 2020, arXiv:2001.08361 §2.1), d from the shape of published models.
        layers = max(1.0, model.active_parameters / (12.0 * d_model * d_model))
        ledger.assume("layers", round(layers, 1), "layers", DEFAULT, "N_active / (12 d^2), Kaplan et al. 2020 §2.1")
    kv, spread = _kv_bytes_per_token(model, ledger)
    experts, per_token = _routing(model, request, ledger)
    architecture = Architecture(
        parameters=model.parameters,
        active_parameters=model.active_parameters,
        experts=experts,
        experts_per_token=per_token,
        bytes_per_parameter=BYTES_PER_PARAMETER[hardware.precision],
        kv_bytes_per_token=kv,
        attention_flops_per_context_token=attention_flops_per_context_token(layers, d_model),
        hidden_size=d_model,
    )
    return architecture, layers, spread


def _kv_bytes_per_token(model: ResolvedModel, ledger: Ledger) -> tuple[float, tuple[float, float]]:
    preset = model.preset
    if preset is not None and preset.kv_cache_bytes_per_token is not None:
        kv = preset.kv_cache_bytes_per_token
        ledger.assume("kv_cache_bytes_per_token", kv, "bytes", DERIVED, f"preset {preset.id}: {preset.source}")
        return kv, (1.0, 1.0)
    if preset is not None and preset.num_layers and preset.num_kv_heads and preset.head_dim:
        kv = kv_cache_bytes_per_token(
            preset.num_layers, preset.num_kv_heads, preset.head_dim, KV_CACHE_BYTES_PER_ELEMENT
        )
        ledger.assume(
            "kv_cache_bytes_per_token",
            kv,
            "bytes",
            DERIVED,
            f"2 x layers x KV heads x head size x {KV_CACHE_BYTES_PER_ELEMENT:g} bytes of preset {preset.id}: "
            f"{preset.source}",
        )
        return kv, (1.0, 1.0)
    kv = KV_REFERENCE_BYTES_PER_TOKEN * math.sqrt(model.parameters / KV_REFERENCE_PARAMETERS)
    ledger.assume(
        "kv_cache_bytes_per_token",
        Range(kv, kv * KV_HEURISTIC_SPREAD[0], kv * KV_HEURISTIC_SPREAD[1]),
        "bytes",
        DEFAULT,
        "Llama 3 8B's 128 KiB per token (32 layers x 8 KV heads x 128 x 2 x 2 bytes: meta-llama/Llama-3.1-8B "
        "config.json) scaled by sqrt(parameters / 8B); the architecture is not known",
    )
    return kv, KV_HEURISTIC_SPREAD


def _routing(model: ResolvedModel, request: InferenceRequest, ledger: Ledger) -> tuple[float | None, float | None]:
    """Experts and experts per token of a mixture-of-experts: the caller's, the preset's, or unknown."""
    spec, preset = request.model, model.preset
    if spec.experts is not None and spec.experts_per_token is not None:
        ledger.assume("experts", spec.experts, "experts", INPUT, "request")
        ledger.assume("experts_per_token", spec.experts_per_token, "experts", INPUT, "request")
        if not model.is_moe:
            return None, None  # every parameter is active: each step reads them all
        return float(spec.experts), float(spec.experts_per_token)
    if not model.is_moe:
        return None, None
    if preset is not None and preset.experts is not None and preset.experts_per_token is not None:
        ledger.assume("experts", preset.experts, "experts", DEFAULT, f"preset {preset.id}: {preset.source}")
        ledger.assume(
            "experts_per_token", preset.experts_per_token, "experts", DEFAULT, f"preset {preset.id}: {preset.source}"
        )
        return float(preset.experts), float(preset.experts_per_token)
    ledger.assume(
        "experts",
        "not known",
        "",
        DEFAULT,
        "routing not given: a step of b sequences reads N x (1 - (1 - N_active / N)^b) of the weights (one sequence "
        "the active parameters, a large batch all of them)",
    )
    return None, None


def _request_shape(request: InferenceRequest, ledger: Ledger) -> RequestShape:
    input_tokens = given_or_default(
        ledger, "input_tokens_per_request", request.input_tokens_per_request, "tokens", INPUT_TOKENS_PER_REQUEST
    )
    output_tokens = given_or_default(
        ledger, "output_tokens_per_request", request.output_tokens_per_request, "tokens", OUTPUT_TOKENS_PER_REQUEST
    )
    retrieved = 0.0
    if request.rag is not None and request.rag.retrieved_tokens_per_request:
        retrieved = request.rag.retrieved_tokens_per_request
        ledger.assume("retrieved_tokens_per_request", retrieved, "tokens", INPUT, "request")
    return RequestShape(input_tokens, output_tokens, retrieved)


def _replica(architecture: Architecture, hardware: ResolvedHardware, shape: RequestShape, ledger: Ledger) -> Replica:
    accelerator = hardware.accelerator
    context = shape.input_tokens.value + shape.retrieved_tokens + shape.output_tokens.value
    minimum = whole_instances(hardware, minimum_replica_accelerators(architecture, accelerator.memory_gb, context))
    count = hardware.count
    if count is None:
        sequences = SHARED_SEQUENCES_PER_ACCELERATOR.range.value
        default = whole_instances(
            hardware, default_replica_accelerators(architecture, accelerator.memory_gb, context, sequences)
        )
        ledger.assume(
            "accelerators_per_replica",
            default,
            "accelerators",
            DERIVED,
            f"smallest power-of-two count whose usable memory ({USABLE_MEMORY_FRACTION:.0%}: vLLM's "
            f"gpu_memory_utilization) holds the weights and the KV cache of {sequences:g} full-length sequences "
            "(one accelerator's share of a busy endpoint), that cache counted up to the weights' size",
        )
        return Replica(default, minimum)
    if count < minimum:
        ledger.warn(
            "insufficient-memory",
            f"Serving {architecture.parameters / BILLION:g}B parameters needs about "
            f"{architecture.weight_bytes / 1e9:.0f} GB of weights plus KV cache: {minimum} x {accelerator.id} per "
            f"replica, but {count} were given.",
        )
    return Replica(count, minimum)


def _traffic(request: InferenceRequest, ledger: Ledger) -> tuple[float, float | None]:
    """Requests in the period, and the mean arrival rate a dedicated deployment sees (None on demand)."""
    hours = request.deployment.hours
    if request.traffic is not None:
        if hours is None:  # the schema refuses this; the domain does not rely on it
            raise EstimationError("deployment.hours", "Required with traffic: the period the rate lasts.")
        rate = request.traffic.requests_per_second
        ledger.assume("requests_per_second", rate, "requests/s", INPUT, "request")
        requests = rate * hours * SECONDS_PER_HOUR
        ledger.assume("requests", requests, "requests", DERIVED, "traffic.requests_per_second x deployment.hours")
    elif request.requests is not None:
        requests = request.requests
        rate = requests / (hours * SECONDS_PER_HOUR) if hours else 0.0
    else:
        raise EstimationError("requests", "Give requests, or traffic.requests_per_second with deployment.hours.")
    return requests, (rate if request.deployment.mode == "dedicated" else None)


def _scenario(
    request: InferenceRequest,
    hardware: ResolvedHardware,
    architecture: Architecture,
    layers: float,
    replica: Replica,
    shape: RequestShape,
    arrivals: float | None,
    ledger: Ledger,
) -> Scenario:
    accelerator = hardware.accelerator
    given_power = request.hardware.power_w
    if given_power is not None:
        ledger.assume("power_w", given_power, "W per accelerator", INPUT, "request")
        reference = given_power
    else:
        power, what = reference_power(accelerator, ledger)
        reference = power.value
        ledger.assume("reference_power_w", power, "W per accelerator", DEFAULT, what)
    deployment = request.deployment
    if deployment.engine != "continuous_batching":
        ledger.assume("engine", deployment.engine, "", INPUT, "request")
    if request.batch_size is not None:
        ledger.assume("batch_size", request.batch_size, "concurrent sequences", INPUT, "request")
    slo = request.slo
    return Scenario(
        architecture=architecture,
        layers=layers,
        accelerators_per_replica=replica.accelerators,
        peak_flops_per_second=hardware.peak_flops_per_second,
        bandwidth_bytes_per_second=hardware.bandwidth_bytes_per_second,
        memory_gb=accelerator.memory_gb,
        reference_power_w=reference,
        given_power_w=given_power,
        prompt_tokens=shape.input_tokens.value + shape.retrieved_tokens,
        output_tokens=shape.output_tokens.value,
        engine=deployment.engine,
        batch_size=request.batch_size,
        shared_batch_per_accelerator=SHARED_SEQUENCES_PER_ACCELERATOR.range.value,
        arrivals_per_second=arrivals,
        replicas=deployment.replicas,
        max_latency_seconds=slo.max_latency_seconds if slo is not None else None,
        max_time_to_first_token_seconds=slo.max_time_to_first_token_seconds if slo is not None else None,
    )


# -- the operating point --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperatingRanges:
    batch: Range
    time_to_first_token_seconds: Range
    latency_seconds: Range
    busy_seconds_per_request: Range
    prefill_seconds_per_request: Range
    decode_seconds_per_token: Range
    busy_joules_per_request: Range


def _operating_ranges(
    served: Served, request: InferenceRequest, constants: ServingConstants, ledger: Ledger, point: OperatingPoint
) -> OperatingRanges:
    """Ranges around the central operating ``point`` from the points at each default's low and high (their
    effects combined in quadrature) with the calibrated model's held-out error."""
    central, shape = served.scenario, served.shape
    # Each defaulted input's low and high, as changes of the scenario.
    spreads: list[tuple[dict[str, object], dict[str, object]]] = []
    if request.input_tokens_per_request is None:
        low, high = (shape.input_tokens.low, shape.input_tokens.high)
        spreads.append(
            ({"prompt_tokens": low + shape.retrieved_tokens}, {"prompt_tokens": high + shape.retrieved_tokens})
        )
    if request.output_tokens_per_request is None:
        spreads.append(({"output_tokens": shape.output_tokens.low}, {"output_tokens": shape.output_tokens.high}))
    if central.arrivals_per_second is None and request.batch_size is None:
        default = SHARED_SEQUENCES_PER_ACCELERATOR
        ledger.assume(default.name, default.range, default.unit, DEFAULT, default.source)
        spreads.append(
            ({"shared_batch_per_accelerator": default.range.low}, {"shared_batch_per_accelerator": default.range.high})
        )
    if served.kv_spread != (1.0, 1.0):
        kv = central.architecture.kv_bytes_per_token
        spreads.append(
            tuple(  # type: ignore[arg-type]
                {"architecture": dataclasses.replace(central.architecture, kv_bytes_per_token=kv * f)}
                for f in served.kv_spread
            )
        )

    def vary(changes: dict[str, object]) -> OperatingPoint:
        return operating_point(dataclasses.replace(central, **changes), constants)  # type: ignore[arg-type]

    variants = [(vary(low), vary(high)) for low, high in spreads]
    fixed_ms = 1000 * constants.fixed_seconds(central.engine, central.layers, central.accelerators_per_replica)
    ledger.assume(
        "serving_model",
        f"{constants.compute_efficiency:.3g} of peak compute, {constants.bandwidth_efficiency:.3g} of peak "
        f"bandwidth, {fixed_ms:.3g} ms fixed per step; power {constants.power_memory_bound:.3g} (memory-bound) to "
        f"{constants.power_compute_bound:.3g} (compute-bound) of the reference",
        "",
        DEFAULT,
        constants.fitted_to,
    )
    band = (math.exp(constants.log_error_low), math.exp(constants.log_error_high))

    def ranged(read: Callable[[OperatingPoint], float], calibrated: bool = True) -> Range:
        return _spread(read(point), [(read(a), read(b)) for a, b in variants], band if calibrated else (1.0, 1.0))

    return OperatingRanges(
        batch=ranged(lambda p: p.batch, calibrated=False),
        time_to_first_token_seconds=ranged(lambda p: p.time_to_first_token_seconds),
        latency_seconds=ranged(lambda p: p.latency_seconds),
        busy_seconds_per_request=ranged(lambda p: p.busy_seconds_per_request),
        prefill_seconds_per_request=ranged(lambda p: p.prefill_seconds),
        decode_seconds_per_token=ranged(lambda p: p.decode_seconds_per_token),
        busy_joules_per_request=ranged(lambda p: p.busy_joules_per_request),
    )


def _spread(central: float, variants: list[tuple[float, float]], band: tuple[float, float]) -> Range:
    """``central`` with the relative effects of each input's low and high, and the model's band, combined in
    quadrature on a log scale."""
    if central <= 0:
        return Range(0.0, 0.0, 0.0)
    down, up, low_factor, high_factor = _band_terms(band)
    if not variants:
        return Range.spread(central, central * low_factor, central * high_factor)
    for a, b in variants:
        low, high = min(a, b, central), max(a, b, central)
        if low > 0:
            down += math.log(central / low) ** 2
        up += math.log(high / central) ** 2
    return Range.spread(central, central * math.exp(-math.sqrt(down)), central * math.exp(math.sqrt(up)))


@functools.lru_cache(maxsize=8)
def _band_terms(band: tuple[float, float]) -> tuple[float, float, float, float]:
    """The band's squared log spreads (down, up) and the factors they alone make (a range with no input spread)."""
    down = math.log(1.0 / band[0]) ** 2
    up = math.log(band[1]) ** 2
    return down, up, math.exp(-math.sqrt(down)), math.exp(math.sqrt(up))


def _warn_about(point: OperatingPoint, scenario: Scenario, request: InferenceRequest, ledger: Ledger) -> None:
    if point.batch_limited_by_memory:
        context = scenario.prompt_tokens + scenario.output_tokens
        ledger.warn(
            "batch-limited-by-memory",
            f"batch_size {request.batch_size:g} does not fit: the KV cache of that many sequences of {context:g} "
            f"tokens exceeds the memory left beside the weights; the batch is capped at {point.memory_batch_cap:g}.",
        )
    if not point.slo_met:
        ledger.warn(
            "slo-not-met",
            f"Even one sequence at a time takes {point.latency_seconds:.3g} s to its last token (first token after "
            f"{point.time_to_first_token_seconds:.3g} s) on this replica: the latency targets cannot be met. Use "
            "faster or more accelerators per replica, or a smaller model.",
        )


# -- energy and footprint -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServingWork:
    """Accelerator energy and time of the requests and of building a RAG index, before host, facility and grid."""

    accelerators_kwh: Range
    accelerator_hours: Range
    #: Replica time per request, with embedding the query.
    busy_seconds_per_request: Range
    flops_per_request: Range
    index_flops: Range
    index_hours: Range
    #: Dedicated capacity: the replicas kept, the share of their time busy, and the period.
    replicas: int | None
    utilisation: float | None
    duration_hours: Range | None


def _serving_work(
    request: InferenceRequest,
    served: Served,
    point: OperatingPoint,
    busy_seconds: Range,
    busy_joules: Range,
    constants: ServingConstants,
    ledger: Ledger,
) -> ServingWork:
    """The requests' busy time and energy (``busy_seconds`` and ``busy_joules`` per request, on a replica), the
    query embedding and index of RAG, and for dedicated capacity its idle time."""
    hardware, scenario, requests = served.hardware, served.scenario, served.requests
    per_replica = served.replica.accelerators
    flops_per_request = _flops_per_request(served)

    rag = request.rag
    index_flops = index_hours = ZERO
    compute_bound_w = _compute_bound_power_w(scenario, constants)
    if rag is not None and rag.embedding_parameters_billion:
        embedding = Range.exact(rag.embedding_parameters_billion * BILLION)
        ledger.assume("embedding_parameters", rag.embedding_parameters_billion, "billion", INPUT, "request")
        # The query is embedded, not the retrieved passages (they were embedded with the corpus).
        query = forward_flops(embedding, served.shape.input_tokens)
        replica_flops_per_second = hardware.peak_flops_per_second * per_replica * constants.prefill_compute_efficiency
        query_seconds = query.scale(1.0 / replica_flops_per_second)
        busy_seconds = busy_seconds + query_seconds
        busy_joules = busy_joules + query_seconds.scale(compute_bound_w * per_replica)
        flops_per_request = flops_per_request + query
        if rag.corpus_tokens_billion:
            ledger.assume("corpus_tokens", rag.corpus_tokens_billion, "billion", INPUT, "request")
            index_flops = forward_flops(embedding, Range.exact(rag.corpus_tokens_billion * BILLION))
            index_hours = index_flops.scale(
                1.0 / (hardware.peak_flops_per_second * constants.prefill_compute_efficiency * SECONDS_PER_HOUR)
            )

    busy_accelerator_hours = busy_seconds.scale(requests * per_replica / SECONDS_PER_HOUR)
    busy_kwh = busy_joules.scale(requests / JOULES_PER_KWH)
    deployment = request.deployment
    replicas_kept: int | None = None
    utilisation: float | None = None
    duration: Range | None = None
    if deployment.mode == "dedicated":
        hours = deployment.hours
        if hours is None:  # the request schema refuses this; the domain does not rely on it
            raise EstimationError("deployment.hours", "Required when deployment.mode is dedicated.")
        replicas = deployment.replicas
        ledger.assume("replicas", replicas, "replicas", INPUT, "request")
        ledger.assume("deployment_hours", hours, "hours", INPUT, "request")
        provisioned = Range.exact(replicas * per_replica * hours)
        if busy_accelerator_hours.value > provisioned.value * (1 + 1e-9):
            ledger.warn(
                "capacity-exceeded",
                f"{requests:g} requests need about {busy_accelerator_hours.value:.3g} accelerator-hours of busy time "
                f"but {replicas} replica(s) x {per_replica} x {hours:g} h provide {provisioned.value:.3g}: about "
                f"{point.replicas_needed} replica(s) are needed. The busy time is counted in full.",
            )
        idle_hours = provisioned.minus_clamped(busy_accelerator_hours)
        idle_w = _idle_power_w(hardware.accelerator, scenario, constants, ledger)
        accelerators_kwh = busy_kwh + idle_hours.times(idle_w).scale(1e-3)
        accelerator_hours = provisioned.maximum(busy_accelerator_hours)
        duration = Range.exact(hours)
        replicas_kept = replicas
        utilisation = busy_accelerator_hours.value / provisioned.value
    else:
        accelerators_kwh = busy_kwh
        accelerator_hours = busy_accelerator_hours
    if index_hours.value > 0:
        accelerators_kwh = accelerators_kwh + index_hours.scale(compute_bound_w / 1000.0)
        accelerator_hours = accelerator_hours + index_hours
    return ServingWork(
        accelerators_kwh=accelerators_kwh,
        accelerator_hours=accelerator_hours,
        busy_seconds_per_request=busy_seconds,
        flops_per_request=flops_per_request,
        index_flops=index_flops,
        index_hours=index_hours,
        replicas=replicas_kept,
        utilisation=utilisation,
        duration_hours=duration,
    )


@dataclass(frozen=True, slots=True)
class PricedWork:
    """The serving work with the host beside the accelerators, the embodied rate (None when excluded) and the
    site: every input of :func:`footprint`."""

    work: ServingWork
    accelerators_kwh: Range
    host_kwh: Range
    embodied_kg_per_accelerator_hour: Range | None
    site: Site


def _priced_work(
    catalog: Catalog,
    site_defaults: SiteDefaults,
    request: InferenceRequest,
    served: Served,
    point: OperatingPoint,
    busy_seconds: Range,
    busy_joules: Range,
    constants: ServingConstants,
    ledger: Ledger,
) -> PricedWork:
    """:func:`_serving_work`, then IT energy (a measurement replacing what it covers), embodied rate and site."""
    hardware = served.hardware
    work = _serving_work(request, served, point, busy_seconds, busy_joules, constants, ledger)
    accelerators_kwh, host_kwh = it_energy_kwh(
        hardware, work.accelerators_kwh, work.accelerator_hours, request.measured, ledger
    )
    rate = embodied_rate_kg_per_accelerator_hour(hardware, ledger) if request.include_embodied else None
    return PricedWork(
        work, accelerators_kwh, host_kwh, rate, resolve_site(catalog, site_defaults, request.datacenter, ledger)
    )


def _ranged_footprint(
    catalog: Catalog,
    site_defaults: SiteDefaults,
    request: InferenceRequest,
    served: Served,
    point: OperatingPoint,
    ranges: OperatingRanges,
    constants: ServingConstants,
    ledger: Ledger,
) -> tuple[PricedWork, Footprint]:
    """The work at the operating ``ranges``, priced, and its footprint."""
    priced = _priced_work(
        catalog,
        site_defaults,
        request,
        served,
        point,
        ranges.busy_seconds_per_request,
        ranges.busy_joules_per_request,
        constants,
        ledger,
    )
    result = footprint(
        priced.accelerators_kwh,
        priced.host_kwh,
        priced.work.accelerator_hours,
        priced.site,
        priced.embodied_kg_per_accelerator_hour,
    )
    return priced, result


def _footprint(
    catalog: Catalog,
    site_defaults: SiteDefaults,
    request: InferenceRequest,
    ledger: Ledger,
    served: Served,
    point: OperatingPoint,
    ranges: OperatingRanges,
    constants: ServingConstants,
) -> Estimate:
    hardware, scenario, requests = served.hardware, served.scenario, served.requests
    per_replica = served.replica.accelerators
    priced, result = _ranged_footprint(catalog, site_defaults, request, served, point, ranges, constants, ledger)
    work = priced.work
    if requests <= 0:
        ledger.warn("no-requests", "requests is 0: per-request figures are undefined.")
    deployment = request.deployment
    serving = ServingFigures(
        mode=deployment.mode,
        accelerators_per_replica=per_replica,
        minimum_accelerators_per_replica=served.replica.minimum_accelerators,
        memory_required_gb=_memory_required_gb(scenario, point),
        busy_seconds_per_request=work.busy_seconds_per_request,
        prefill_seconds_per_request=ranges.prefill_seconds_per_request,
        decode_seconds_per_token=ranges.decode_seconds_per_token,
        replicas=work.replicas,
        utilisation=work.utilisation,
        effective_batch_size=ranges.batch,
        latency_seconds=ranges.latency_seconds,
        time_to_first_token_seconds=ranges.time_to_first_token_seconds,
        replicas_needed=point.replicas_needed if scenario.arrivals_per_second is not None else None,
    )
    index_flops, index_hours = work.index_flops, work.index_hours
    return Estimate(
        kind="inference",
        footprint=result,
        flops=work.flops_per_request.scale(requests) + index_flops,
        accelerator=hardware.accelerator,
        accelerator_count=per_replica * (deployment.replicas if deployment.mode == "dedicated" else 1),
        accelerator_hours=work.accelerator_hours,
        duration_hours=work.duration_hours,
        ledger=ledger,
        data_version=catalog.data_version,
        serving=serving,
        per_request=PerRequestFigures.of(result, requests),
        rag=RagIndexFigures(index_flops, index_hours) if index_flops.value > 0 else None,
    )


def _flops_per_request(served: Served) -> Range:
    """Prefill (with causal attention) plus decoding, each generated token attending to its context."""
    architecture, shape = served.scenario.architecture, served.shape

    def flops(prompt: float, output: float) -> float:
        decode = output * (
            2.0 * architecture.active_parameters
            + architecture.attention_flops_per_context_token * (prompt + output / 2.0)
        )
        return prefill_flops(architecture, prompt) + decode

    retrieved = shape.retrieved_tokens
    return Range(
        flops(shape.input_tokens.value + retrieved, shape.output_tokens.value),
        flops(shape.input_tokens.low + retrieved, shape.output_tokens.low),
        flops(shape.input_tokens.high + retrieved, shape.output_tokens.high),
    )


def _compute_bound_power_w(scenario: Scenario, constants: ServingConstants) -> float:
    if scenario.given_power_w is not None:
        return scenario.given_power_w
    return scenario.reference_power_w * constants.power_compute_bound


def _memory_required_gb(scenario: Scenario, point: OperatingPoint) -> float:
    """Weights plus the KV cache of the operating batch at full length, GB."""
    architecture = scenario.architecture
    kv = architecture.kv_bytes_per_token * (scenario.prompt_tokens + scenario.output_tokens) * point.batch
    return (architecture.weight_bytes + kv) / 1e9


def _idle_power_w(accelerator: Accelerator, scenario: Scenario, constants: ServingConstants, ledger: Ledger) -> Range:
    """Power of a provisioned but idle accelerator: a sourced fraction of its reference power (or, when the
    caller gave the busy power, the same share of it that the defaults give)."""
    fraction = IDLE_POWER_FRACTION_OF_TDP
    if scenario.given_power_w is not None:
        idle = fraction.range.scale(scenario.given_power_w / constants.power_compute_bound)
        ledger.assume(
            "idle_power_w",
            idle,
            "W per accelerator",
            DEFAULT,
            "power_w x the defaults' idle/busy ratio; " + fraction.source,
        )
        return idle
    idle = fraction.range.scale(scenario.reference_power_w)
    ledger.assume(
        "idle_power_w", idle, "W per accelerator", DEFAULT, f"{accelerator.name}: reference power x {fraction.source}"
    )
    return idle
