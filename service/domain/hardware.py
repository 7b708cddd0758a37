"""Which model and which accelerators: resolved from the catalog or the caller's description, every default
recorded."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from types import MappingProxyType

from ..reference import PRECISIONS, Accelerator, Catalog, Instance, ModelPreset
from .assumptions import DEFAULT, DERIVED, INPUT, Ledger
from .defaults import COMPUTE_PRECISION_FALLBACK, WEIGHT_ONLY_PRECISIONS
from .errors import EstimationError, MissingReferenceFigureError, UnknownReferenceError
from .inputs import AcceleratorSpec, HardwareSpec, ModelSpec

BILLION = 1e9
TERA = 1e12
GIGA = 1e9

#: ``compute.accelerator`` of an accelerator the caller describes with ``hardware.spec``.
CUSTOM_ACCELERATOR_PREFIX = "custom:"


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
    #: The dense peak used at ``precision`` and the precision it was published for.
    peak_flops_per_second: float
    peak_precision: str
    bandwidth_bytes_per_second: float
    #: The caller's host share (None: the estimate chooses, see ``power.host_energy``).
    host_overhead_fraction: float | None


DEFAULT_PRECISION = "bf16"


def precision_of(spec: HardwareSpec, native: str | None = None) -> str:
    """The precision a request runs at: the one given, else the model's native one (inference), else bf16."""
    return spec.precision or native or DEFAULT_PRECISION


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


def custom_accelerator(spec: AcceleratorSpec) -> Accelerator:
    """An ``Accelerator`` record for hardware the caller describes (``hardware.spec``)."""
    given = dict(spec.peak_tflops)
    return Accelerator(
        id=CUSTOM_ACCELERATOR_PREFIX + spec.name,
        name=spec.name,
        vendor="",
        form_factor="",
        memory_gb=spec.memory_gb,
        memory_type="",
        memory_bandwidth_gb_per_s=spec.memory_bandwidth_gb_per_s,
        tdp_w=spec.tdp_w,
        tdp_basis="given by the caller (hardware.spec.tdp_w)",
        measured_power_mean_w=None,
        measured_power_max_w=None,
        peak_tflops=MappingProxyType({p: given.get(p) for p in PRECISIONS}),
        launch_year=None,
        embodied_kgco2e_vendor=spec.embodied_kgco2e,
        embodied_kgco2e_estimate=None,
        successor_id="",
        scale_out_interconnect="",
        default_power_w=None,
        default_power_low_w=None,
        default_power_high_w=None,
        default_power_basis="",
        spec_source="request (hardware.spec)",
        power_source="request (hardware.spec)",
        embodied_source="request (hardware.spec)" if spec.embodied_kgco2e is not None else "",
        notes="",
        source="request (hardware.spec)",
    )


def resolve_hardware(
    catalog: Catalog,
    spec: HardwareSpec,
    ledger: Ledger,
    default_accelerator: str | None = None,
    native_precision: tuple[str, str] | None = None,
) -> ResolvedHardware:
    """The accelerators, their count and precision. ``native_precision`` is (precision, source) of the weights
    as the model ships them, the default when the request gives none (inference)."""
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
    elif spec.spec is not None:
        accelerator = custom_accelerator(spec.spec)
        count = spec.count
        ledger.assume("accelerator", accelerator.name, "", INPUT, "request (hardware.spec)")
    else:
        accelerator_id = spec.accelerator or default_accelerator
        if accelerator_id is None:
            raise EstimationError("hardware", "Give hardware.accelerator, hardware.instance_type or hardware.spec.")
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
    if spec.peak_tflops:
        accelerator = replace(
            accelerator, peak_tflops=MappingProxyType({**accelerator.peak_tflops, **dict(spec.peak_tflops)})
        )
    if count is not None:
        ledger.assume("accelerator_count", count, "accelerators", INPUT, "request")

    precision = precision_of(spec, native_precision[0] if native_precision is not None else None)
    if spec.precision is None and native_precision is not None:
        ledger.assume(
            "precision", precision, "", DEFAULT, f"the weights as the model ships them: {native_precision[1]}"
        )
    elif spec.precision is None:
        ledger.assume(
            "precision",
            DEFAULT_PRECISION,
            "",
            DEFAULT,
            "bf16 mixed precision, the default of current training and serving stacks (Kalamkar et al. 2019, "
            "arXiv:1905.12322; Micikevicius et al. 2018, arXiv:1710.03740)",
        )
    peak_tflops, used = peak_at(accelerator, precision)
    if used != precision and precision not in WEIGHT_ONLY_PRECISIONS:
        ledger.warn(
            "precision-peak-unavailable",
            f"{accelerator.name} has no published dense {precision} peak; its {used} peak is used.",
        )
    overridden = (spec.peak_tflops is not None and used in dict(spec.peak_tflops)) or spec.spec is not None
    ledger.assume(
        "peak_tflops",
        peak_tflops,
        f"dense {used} TFLOP/s per accelerator",
        INPUT if overridden else DEFAULT,
        ("request (hardware.spec)" if spec.spec is not None else "request (hardware.peak_tflops)")
        if overridden
        else accelerator.spec_source or accelerator.source,
    )
    return ResolvedHardware(
        accelerator=accelerator,
        instance=instance,
        count=count,
        precision=precision,
        peak_flops_per_second=peak_tflops * TERA,
        peak_precision=used,
        bandwidth_bytes_per_second=accelerator.memory_bandwidth_gb_per_s * GIGA,
        host_overhead_fraction=spec.host_overhead_fraction,
    )


def peak_at(accelerator: Accelerator, precision: str) -> tuple[float, str]:
    """The dense peak (TFLOP/s) used at ``precision`` and the precision it belongs to (the first published one
    in ``COMPUTE_PRECISION_FALLBACK`` order)."""
    for candidate in COMPUTE_PRECISION_FALLBACK[precision]:
        value = accelerator.peak_tflops.get(candidate)
        if value:
            return value, candidate
    raise MissingReferenceFigureError(
        "hardware.precision",
        f"{accelerator.name} has no published peak throughput at {precision} or a fallback precision.",
    )
