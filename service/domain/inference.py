"""Inference: busy time per request from prefill and decoding, on-demand or dedicated capacity, RAG."""

from __future__ import annotations

import math

from ..reference import Catalog
from .assumptions import DEFAULT, DERIVED, INPUT, Ledger, assume_default, given_or_default
from .defaults import (
    BATCH_SIZE,
    BYTES_PER_PARAMETER,
    DECODE_BANDWIDTH_EFFICIENCY,
    DECODE_STEP_OVERHEAD_S,
    IDLE_POWER_FRACTION_OF_TDP,
    INFERENCE_POWER_FRACTION_SATURATED,
    INFERENCE_POWER_FRACTION_UNBATCHED,
    INFERENCE_POWER_HALF_BATCH,
    INPUT_TOKENS_PER_REQUEST,
    KV_CACHE_BYTES_PER_ELEMENT,
    OUTPUT_TOKENS_PER_REQUEST,
    PREFILL_COMPUTE_EFFICIENCY,
    UNBATCHED_STEP_OVERHEAD_S,
    Default,
)
from .embodied import embodied_rate_kg_per_accelerator_hour
from .errors import EstimationError
from .estimate import Estimate, PerRequestFigures, RagIndexFigures, ServingFigures
from .footprint import footprint
from .formulas.compute import SECONDS_PER_HOUR, forward_flops
from .formulas.energy import accelerator_energy_kwh
from .formulas.inference import (
    decode_seconds_per_token,
    inference_power_fraction_of_tdp,
    kv_cache_bytes_per_token,
    prefill_seconds,
    step_overhead_seconds_per_member,
    weight_bytes_per_batch_member,
)
from .formulas.memory import inference_memory_gb, serving_accelerators
from .hardware import BILLION, ResolvedModel, resolve_hardware, resolve_model, whole_instances
from .inputs import InferenceRequest
from .it_energy import it_energy_kwh
from .power import accelerator_power_w
from .ranges import ZERO, Range
from .site import SiteDefaults, resolve_site

#: KV cache per token when the model's architecture is unknown: Llama 3 8B's 128 KiB (32 layers x 8 KV
#: heads x 128 x K,V x 2 bytes; its config.json) scaled with sqrt(parameters / 8B), which tracks grouped-
#: query models from 1B to 405B within the range (multi-head models such as Llama 2 7B hold 4x more).
KV_REFERENCE_BYTES_PER_TOKEN = 131072.0
KV_REFERENCE_PARAMETERS = 8e9
KV_HEURISTIC_SPREAD = (0.4, 4.0)


def estimate_inference(catalog: Catalog, site_defaults: SiteDefaults, request: InferenceRequest) -> Estimate:
    ledger = Ledger()
    model = resolve_model(catalog, request.model, ledger)
    hardware = resolve_hardware(catalog, request.hardware, ledger)
    accelerator = hardware.accelerator
    bytes_per_parameter = BYTES_PER_PARAMETER[hardware.precision]

    required_gb = inference_memory_gb(model.parameters, bytes_per_parameter)
    minimum = whole_instances(hardware, serving_accelerators(required_gb, accelerator.memory_gb))
    per_replica = hardware.count
    if per_replica is None:
        per_replica = minimum
        ledger.assume(
            "accelerators_per_replica",
            per_replica,
            "accelerators",
            DERIVED,
            "smallest power-of-two count holding weights x 1.2 (EcoLogits)",
        )
    elif per_replica < minimum:
        ledger.warn(
            "insufficient-memory",
            f"Serving {model.parameters / 1e9:g}B parameters at {hardware.precision} needs about {required_gb:.0f} GB: "
            f"{minimum} x {accelerator.id} per replica, but {per_replica} were given.",
        )

    input_tokens = given_or_default(
        ledger, INPUT_TOKENS_PER_REQUEST.name, request.input_tokens_per_request, "tokens", INPUT_TOKENS_PER_REQUEST
    )
    output_tokens = given_or_default(
        ledger, OUTPUT_TOKENS_PER_REQUEST.name, request.output_tokens_per_request, "tokens", OUTPUT_TOKENS_PER_REQUEST
    )
    batch = given_or_default(ledger, BATCH_SIZE.name, request.batch_size, "concurrent sequences", BATCH_SIZE)
    rag = request.rag
    retrieved = Range.exact(rag.retrieved_tokens_per_request or 0.0) if rag is not None else ZERO
    if rag is not None and rag.retrieved_tokens_per_request:
        ledger.assume("retrieved_tokens_per_request", rag.retrieved_tokens_per_request, "tokens", INPUT, "request")
    prompt_tokens = input_tokens + retrieved

    compute_efficiency = assume_default(ledger, PREFILL_COMPUTE_EFFICIENCY)
    bandwidth_efficiency = assume_default(ledger, DECODE_BANDWIDTH_EFFICIENCY)
    replica_peak = hardware.peak_flops_per_second * per_replica
    replica_bandwidth = hardware.bandwidth_bytes_per_second * per_replica
    active = Range.exact(model.active_parameters)
    weights_per_member = weight_bytes_per_batch_member(
        model.parameters, model.active_parameters, bytes_per_parameter, batch
    )
    kv_per_token = _kv_bytes_per_token(model, ledger)
    mean_context = prompt_tokens + output_tokens.scale(0.5)
    kv_per_sequence = kv_per_token.times(mean_context)

    prefill = prefill_seconds(
        active,
        prompt_tokens,
        weights_per_member,
        replica_peak,
        compute_efficiency,
        replica_bandwidth,
        bandwidth_efficiency,
    )
    per_token = decode_seconds_per_token(
        active,
        weights_per_member,
        kv_per_sequence,
        replica_peak,
        compute_efficiency,
        replica_bandwidth,
        bandwidth_efficiency,
    )
    unbatched = batch.high <= 1.0
    step_overhead = assume_default(ledger, UNBATCHED_STEP_OVERHEAD_S if unbatched else DECODE_STEP_OVERHEAD_S)
    overhead = step_overhead_seconds_per_member(step_overhead, batch)
    prefill = prefill + overhead
    per_token = per_token + overhead
    busy_seconds = prefill + per_token.times(output_tokens)
    flops_per_request = forward_flops(active, prompt_tokens + output_tokens)

    index_accelerator_hours = ZERO
    index_flops = ZERO
    if rag is not None and rag.embedding_parameters_billion:
        embedding = Range.exact(rag.embedding_parameters_billion * BILLION)
        ledger.assume("embedding_parameters", rag.embedding_parameters_billion, "billion", INPUT, "request")
        query_flops = forward_flops(embedding, input_tokens)
        busy_seconds = busy_seconds + query_flops.scale(1.0 / replica_peak).divided_by(compute_efficiency)
        flops_per_request = flops_per_request + query_flops
        if rag.corpus_tokens_billion:
            ledger.assume("corpus_tokens", rag.corpus_tokens_billion, "billion", INPUT, "request")
            index_flops = forward_flops(embedding, Range.exact(rag.corpus_tokens_billion * BILLION))
            index_accelerator_hours = index_flops.scale(
                1.0 / (hardware.peak_flops_per_second * SECONDS_PER_HOUR)
            ).divided_by(compute_efficiency)

    requests = request.requests
    busy_accelerator_hours = busy_seconds.scale(requests * per_replica / SECONDS_PER_HOUR)
    serving_fraction = _serving_power_fraction(batch)
    active_power = accelerator_power_w(accelerator, request.hardware.power_w, serving_fraction, ledger)

    deployment = request.deployment
    replicas_kept: int | None = None
    utilisation: float | None = None
    if deployment.mode == "dedicated":
        replicas = deployment.replicas
        hours = deployment.hours
        if hours is None:  # the request schema refuses this; the domain does not rely on it
            raise EstimationError("deployment.hours", "Required when deployment.mode is dedicated.")
        ledger.assume("replicas", replicas, "replicas", INPUT, "request")
        ledger.assume("deployment_hours", hours, "hours", INPUT, "request")
        provisioned = Range.exact(replicas * per_replica * hours)
        idle_hours = provisioned.minus_clamped(busy_accelerator_hours)
        if busy_accelerator_hours.value > provisioned.value:
            ledger.warn(
                "capacity-exceeded",
                f"{requests:g} requests need about {busy_accelerator_hours.value:.3g} accelerator-hours of busy time "
                f"but "
                f"{replicas} replica(s) x {per_replica} x {hours:g} h provide {provisioned.value:.3g}: add "
                "replicas or hours. The busy time is counted in full.",
            )
        idle_power = _idle_power_w(accelerator, active_power, serving_fraction.range, ledger)
        accelerators_kwh = accelerator_energy_kwh(busy_accelerator_hours, active_power) + accelerator_energy_kwh(
            idle_hours, idle_power
        )
        accelerator_hours = provisioned.maximum(busy_accelerator_hours)
        duration = Range.exact(hours)
        replicas_kept = replicas
        utilisation = busy_accelerator_hours.value / provisioned.value
    else:
        accelerators_kwh = accelerator_energy_kwh(busy_accelerator_hours, active_power)
        accelerator_hours = busy_accelerator_hours
        duration = None

    if index_accelerator_hours.value > 0:
        accelerators_kwh = accelerators_kwh + accelerator_energy_kwh(index_accelerator_hours, active_power)
        accelerator_hours = accelerator_hours + index_accelerator_hours

    accelerators_kwh, host_kwh = it_energy_kwh(hardware, accelerators_kwh, accelerator_hours, request.measured, ledger)
    embodied_rate = embodied_rate_kg_per_accelerator_hour(hardware, ledger) if request.include_embodied else None
    site = resolve_site(catalog, site_defaults, request.datacenter, ledger)
    result = footprint(accelerators_kwh, host_kwh, accelerator_hours, site, embodied_rate)

    serving = ServingFigures(
        mode=deployment.mode,
        accelerators_per_replica=per_replica,
        minimum_accelerators_per_replica=minimum,
        memory_required_gb=required_gb,
        busy_seconds_per_request=busy_seconds,
        prefill_seconds_per_request=prefill,
        decode_seconds_per_token=per_token,
        replicas=replicas_kept,
        utilisation=utilisation,
    )
    per_request = PerRequestFigures.of(result, requests)
    if requests <= 0:
        ledger.warn("no-requests", "requests is 0: per-request figures are undefined.")
    rag_index = None
    if rag is not None and index_flops.value > 0:
        rag_index = RagIndexFigures(index_flops=index_flops, index_accelerator_hours=index_accelerator_hours)

    return Estimate(
        kind="inference",
        footprint=result,
        flops=flops_per_request.scale(requests) + index_flops,
        accelerator=accelerator,
        accelerator_count=per_replica * (deployment.replicas if deployment.mode == "dedicated" else 1),
        accelerator_hours=accelerator_hours,
        duration_hours=duration,
        ledger=ledger,
        data_version=catalog.data_version,
        serving=serving,
        per_request=per_request,
        rag=rag_index,
    )


#: Source of the serving power fraction: built from constants, so once rather than per estimate (~2 us).
SERVING_POWER_FRACTION_SOURCE = (
    f"rises with the batch from {INFERENCE_POWER_FRACTION_UNBATCHED.range.value:g} (unbatched) to "
    f"{INFERENCE_POWER_FRACTION_SATURATED.range.value:g} (saturated), half way at batch "
    f"{INFERENCE_POWER_HALF_BATCH:g}: "
    + INFERENCE_POWER_FRACTION_UNBATCHED.source
    + " "
    + INFERENCE_POWER_FRACTION_SATURATED.source
)


def _serving_power_fraction(batch: Range) -> Default:
    """Serving power as a fraction of TDP at this batch size (formulas.inference.inference_power_fraction_of_tdp)."""
    fraction = inference_power_fraction_of_tdp(
        batch,
        INFERENCE_POWER_FRACTION_UNBATCHED.range,
        INFERENCE_POWER_FRACTION_SATURATED.range,
        INFERENCE_POWER_HALF_BATCH,
    )
    return Default("power_fraction_of_tdp", fraction, "fraction of TDP", SERVING_POWER_FRACTION_SOURCE)


def _kv_bytes_per_token(model: ResolvedModel, ledger: Ledger) -> Range:
    preset = model.preset
    if preset is not None and preset.num_layers and preset.num_kv_heads and preset.head_dim:
        exact = kv_cache_bytes_per_token(
            preset.num_layers, preset.num_kv_heads, preset.head_dim, KV_CACHE_BYTES_PER_ELEMENT
        )
        ledger.assume(
            "kv_cache_bytes_per_token", exact, "bytes", DERIVED, f"architecture of preset {preset.id}: {preset.source}"
        )
        return Range.exact(exact)
    central = KV_REFERENCE_BYTES_PER_TOKEN * math.sqrt(model.parameters / KV_REFERENCE_PARAMETERS)
    low, high = KV_HEURISTIC_SPREAD
    estimate = Range(central, central * low, central * high)
    ledger.assume(
        "kv_cache_bytes_per_token",
        estimate,
        "bytes",
        DEFAULT,
        "Llama 3 8B's 128 KiB per token scaled by sqrt(parameters / 8B); architecture not known",
    )
    return estimate


def _idle_power_w(accelerator, active_power: Range, serving_fraction: Range, ledger: Ledger) -> Range:
    """Power of a provisioned but idle accelerator: a sourced fraction of TDP (or of the busy power)."""
    reference = accelerator.tdp_w or accelerator.measured_power_max_w
    fraction = IDLE_POWER_FRACTION_OF_TDP
    if reference is None:
        # No TDP: only the caller's busy power is known. Keep the defaults' idle-to-busy ratio at this batch.
        idle = fraction.range.scale(active_power.value / serving_fraction.value)
        ledger.assume(
            "idle_power_w",
            idle,
            "W per accelerator",
            DEFAULT,
            "power_w x idle/busy ratio of the defaults at this batch size; " + fraction.source,
        )
        return idle
    idle = fraction.range.scale(reference)
    ledger.assume("idle_power_w", idle, "W per accelerator", DEFAULT, f"TDP {reference} W x " + fraction.source)
    return idle
