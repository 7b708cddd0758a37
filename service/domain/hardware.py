"""Which model and which accelerators: resolved from the catalog, with every default recorded."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..reference import Accelerator, Catalog, Instance, ModelPreset
from .assumptions import DEFAULT, DERIVED, INPUT, Ledger
from .defaults import (
    ACCELERATOR_EMBODIED_KG,
    COMPUTE_PRECISION_FALLBACK,
    HARDWARE_LIFETIME_HOURS,
    HOST_OVERHEAD_FRACTION,
    SERVER_EMBODIED_KG_PER_ACCELERATOR,
    Default,
)
from .errors import EstimationError, MissingReferenceFigureError, UnknownReferenceError
from .formulas.emissions import embodied_kgco2e_per_accelerator_hour
from .inputs import HardwareSpec, ModelSpec
from .ranges import Range

BILLION = 1e9
TERA = 1e12
GIGA = 1e9


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    preset: ModelPreset | None
    parameters: float
    active_parameters: float

    @property
    def is_moe(self) -> bool:
        return self.active_parameters < self.parameters


@dataclass(frozen=True, slots=True)
class ResolvedHardware:
    accelerator: Accelerator
    instance: Instance | None
    #: Accelerators in total, or None when the request leaves the count open.
    count: int | None
    precision: str
    peak_flops_per_second: float
    bandwidth_bytes_per_second: float
    host_overhead_fraction: Range


def whole_instances(hardware: ResolvedHardware, accelerators: int) -> int:
    """``accelerators`` rounded up to whole instances when the hardware is an instance type."""
    if hardware.instance is None:
        return accelerators
    per_instance = hardware.instance.accelerator_count
    return per_instance * math.ceil(accelerators / per_instance)


def resolve_model(catalog: Catalog, spec: ModelSpec, ledger: Ledger) -> ResolvedModel:
    preset = None
    if spec.preset is not None:
        preset = catalog.models.get(spec.preset.lower())
        if preset is None:
            raise UnknownReferenceError(
                "model.preset", "model preset", spec.preset, catalog.suggest("model", spec.preset), "/v1/models"
            )
    if spec.parameters_billion is not None:
        parameters = spec.parameters_billion * BILLION
        ledger.assume("parameters", spec.parameters_billion, "billion", INPUT, "request")
    elif preset is not None:
        parameters = preset.parameters_billion * BILLION
        ledger.assume(
            "parameters", preset.parameters_billion, "billion", DEFAULT, f"preset {preset.id}: {preset.source}"
        )
    else:
        raise EstimationError("model", "Give model.preset (see /v1/models) or model.parameters_billion.")

    if spec.active_parameters_billion is not None:
        active = spec.active_parameters_billion * BILLION
        ledger.assume("active_parameters", spec.active_parameters_billion, "billion", INPUT, "request")
    elif preset is not None and spec.parameters_billion is None:
        active = preset.active_parameters_billion * BILLION
        if preset.active_parameters_billion != preset.parameters_billion:
            ledger.assume(
                "active_parameters",
                preset.active_parameters_billion,
                "billion",
                DEFAULT,
                f"preset {preset.id}: {preset.source}",
            )
    else:
        active = parameters
    if active > parameters * (1 + 1e-12):
        raise EstimationError(
            "model.active_parameters_billion",
            # 12 significant digits: with :g, 400.00001 against 400 read "(400) cannot exceed (400)".
            f"active_parameters_billion ({active / BILLION:.12g}) cannot exceed parameters_billion "
            f"({parameters / BILLION:.12g}).",
        )
    return ResolvedModel(preset, parameters, active)


def resolve_hardware(
    catalog: Catalog, spec: HardwareSpec, ledger: Ledger, default_accelerator: str | None = None
) -> ResolvedHardware:
    instance = None
    if spec.instance_type is not None:
        instance = catalog.instances.get(spec.instance_type.lower())
        if instance is None:
            raise UnknownReferenceError(
                "hardware.instance_type",
                "instance type",
                spec.instance_type,
                catalog.suggest("instance", spec.instance_type),
                "/v1/instances",
            )
        accelerator = catalog.accelerators[instance.accelerator_id]
        count = None if spec.count is None else spec.count * instance.accelerator_count
        ledger.assume(
            "accelerator",
            accelerator.id,
            "",
            DERIVED,
            f"instance {instance.id}: {instance.accelerator_count} per instance",
        )
    else:
        accelerator_id = spec.accelerator or default_accelerator
        if accelerator_id is None:
            raise EstimationError("hardware", "Give hardware.accelerator or hardware.instance_type.")
        found = catalog.accelerators.get(accelerator_id.lower())
        if found is None:
            raise UnknownReferenceError(
                "hardware.accelerator",
                "accelerator",
                accelerator_id,
                catalog.suggest("accelerator", accelerator_id),
                "/v1/accelerators",
            )
        accelerator = found
        count = spec.count
    if count is not None:
        ledger.assume("accelerator_count", count, "accelerators", INPUT, "request")

    precision = spec.precision or "bf16"
    if spec.precision is None:
        ledger.assume(
            "precision",
            "bf16",
            "",
            DEFAULT,
            "mixed-precision bf16 is the default of current training and serving stacks",
        )
    peak_tflops, used = _peak_tflops(accelerator, precision)
    if used != precision and precision != "int4":
        ledger.warn(
            "precision-peak-unavailable",
            f"{accelerator.name} has no published dense {precision} peak; its {used} peak is used.",
        )
    ledger.assume("peak_tflops", peak_tflops, f"dense {used} TFLOP/s per accelerator", DEFAULT, accelerator.source)

    if spec.host_overhead_fraction is not None:
        host = Range.exact(spec.host_overhead_fraction)
        ledger.assume(
            "host_overhead_fraction", spec.host_overhead_fraction, "fraction of accelerator power", INPUT, "request"
        )
    else:
        host = assume_default(ledger, HOST_OVERHEAD_FRACTION)

    return ResolvedHardware(
        accelerator=accelerator,
        instance=instance,
        count=count,
        precision=precision,
        peak_flops_per_second=peak_tflops * TERA,
        bandwidth_bytes_per_second=accelerator.memory_bandwidth_gb_per_s * GIGA,
        host_overhead_fraction=host,
    )


def _peak_tflops(accelerator: Accelerator, precision: str) -> tuple[float, str]:
    for candidate in COMPUTE_PRECISION_FALLBACK[precision]:
        value = accelerator.peak_tflops.get(candidate)
        if value:
            return value, candidate
    raise MissingReferenceFigureError(
        "hardware.precision",
        f"{accelerator.name} has no published peak throughput at {precision} or a fallback precision.",
    )


def accelerator_power_w(
    accelerator: Accelerator, power_w: float | None, fraction_of_tdp: Default, ledger: Ledger, name: str = "power_w"
) -> Range:
    """Average power per accelerator (W): the caller's figure, else a sourced fraction of TDP.

    Accelerators without a published TDP but with a measured mean (Google TPU v3/v4) use the measured
    power as their reference; without either, the caller has to give ``hardware.power_w``.
    """
    if power_w is not None:
        ledger.assume(name, power_w, "W per accelerator", INPUT, "request")
        return Range.exact(power_w)
    reference = accelerator.tdp_w
    reference_source = f"TDP {accelerator.tdp_w} W ({accelerator.tdp_basis})"
    if reference is None and accelerator.measured_power_max_w is not None:
        reference = accelerator.measured_power_max_w
        reference_source = f"measured maximum {reference} W ({accelerator.tdp_basis})"
    if reference is None:
        raise MissingReferenceFigureError(
            "hardware.power_w",
            f"{accelerator.name}: {accelerator.tdp_basis or 'no power figure is published'}. "
            "Give hardware.power_w (average W per accelerator) to estimate energy.",
        )
    power = fraction_of_tdp.range.scale(reference)
    ledger.assume(name, power, "W per accelerator", DEFAULT, f"{reference_source} x {fraction_of_tdp.source}")
    return power


def embodied_rate_kg_per_accelerator_hour(accelerator: Accelerator, ledger: Ledger) -> Range:
    """Embodied kgCO2e per accelerator-hour: accelerator + server share, over the hardware lifetime."""
    if accelerator.embodied_kgco2e_vendor is not None:
        vendor = accelerator.embodied_kgco2e_vendor
        high = max(vendor, accelerator.embodied_kgco2e_estimate or ACCELERATOR_EMBODIED_KG.range.high)
        accelerator_kg = Range.spread(vendor, vendor * 0.8, high)
        source = f"vendor product carbon footprint {vendor} kg; high: BoaviztAPI bottom-up estimate"
    elif accelerator.embodied_kgco2e_estimate is not None:
        estimate = accelerator.embodied_kgco2e_estimate
        base = ACCELERATOR_EMBODIED_KG.range
        accelerator_kg = Range.spread(base.value, base.low, max(estimate, base.value))
        source = ACCELERATOR_EMBODIED_KG.source + f"; high: BoaviztAPI estimate for this accelerator {estimate} kg"
    else:
        accelerator_kg = ACCELERATOR_EMBODIED_KG.range
        source = ACCELERATOR_EMBODIED_KG.source
    ledger.assume("accelerator_embodied", accelerator_kg, "kgCO2e per accelerator", DEFAULT, source)
    server = assume_default(ledger, SERVER_EMBODIED_KG_PER_ACCELERATOR)
    lifetime = assume_default(ledger, HARDWARE_LIFETIME_HOURS)
    return embodied_kgco2e_per_accelerator_hour(accelerator_kg, server, lifetime)


def assume_default(ledger: Ledger, default: Default) -> Range:
    ledger.assume(default.name, default.range, default.unit, DEFAULT, default.source)
    return default.range


def given_or_default(
    ledger: Ledger, name: str, given: float | None, unit: str, default: Default | Callable[[], Range]
) -> Range:
    """The caller's figure (exact), else the default: a sourced ``Default`` or a function that records its own."""
    if given is not None:
        ledger.assume(name, given, unit, INPUT, "request")
        return Range.exact(given)
    if isinstance(default, Default):
        return assume_default(ledger, default)
    return default()
