"""Training from scratch: accelerator-hours from what the caller knows, then the footprint."""

from __future__ import annotations

from ..reference import Accelerator, Catalog
from .assumptions import DEFAULT, DERIVED, INPUT, Ledger
from .embodied import embodied_rate_kg_per_accelerator_hour
from .errors import UnderdeterminedError
from .estimate import Estimate
from .footprint import footprint
from .formulas.energy import accelerator_energy_kwh
from .hardware import BILLION, ResolvedHardware, ResolvedModel, resolve_hardware, resolve_model
from .inputs import TrainingRequest
from .it_energy import it_energy_kwh
from .power import accelerator_power_w, reference_power
from .ranges import Range
from .site import SiteDefaults, resolve_site
from .throughput import (
    TRAINING_POWER_FRACTION_OF_TDP,
    accelerator_hours_from_flops,
    check_implied_utilisation,
    check_power,
    flops_from_tokens,
    sequence_length,
)


def estimate_training(catalog: Catalog, site_defaults: SiteDefaults, request: TrainingRequest) -> Estimate:
    ledger = Ledger()
    hardware = resolve_hardware(catalog, request.hardware, ledger)
    model = resolve_model(catalog, request.model, ledger) if request.model is not None else None
    count = _accelerator_count(hardware, request, ledger)

    flops = _training_flops(request, model, ledger)
    if request.accelerator_hours is not None:
        per_run_hours = Range.exact(request.accelerator_hours)
        ledger.assume("accelerator_hours", request.accelerator_hours, "accelerator-hours per run", INPUT, "request")
        check_implied_utilisation(flops, request.accelerator_hours, hardware, ledger)
    elif count is not None and request.duration_hours is not None:
        per_run_hours = Range.exact(count * request.duration_hours)
        ledger.assume("duration_hours", request.duration_hours, "hours per run", INPUT, "request")
        check_implied_utilisation(flops, per_run_hours.value, hardware, ledger)
    elif flops is not None:
        per_run_hours = accelerator_hours_from_flops(flops, hardware, model, request.hardware.mfu, ledger)
    else:
        raise UnderdeterminedError(
            "accelerator_hours",
            "Accelerator-hours cannot be determined. Give one of: accelerator_hours; hardware.count with "
            "duration_hours; flops; or model (preset or parameters_billion) with training_tokens_billion.",
        )

    runs = request.runs
    if runs != 1:
        ledger.assume("runs", runs, "runs", INPUT, "request")
    accelerator_hours = per_run_hours.scale(runs)
    total_flops = None if flops is None else flops.scale(runs)

    if count is not None:
        duration = per_run_hours.scale(1.0 / count)
    elif request.duration_hours is not None:
        duration = Range.exact(request.duration_hours)
        count = max(1, round(per_run_hours.value / request.duration_hours))
        ledger.assume("accelerator_count", count, "accelerators", DERIVED, "accelerator_hours / duration_hours")
    else:
        duration = None
        count = 1
        ledger.assume(
            "accelerator_count", 1, "accelerators", DERIVED, "no count or duration given; hours are per accelerator"
        )

    check_power(request.hardware.power_w, hardware, ledger)
    power = training_power_w(hardware.accelerator, request.hardware.power_w, ledger)
    accelerators_kwh, host_kwh = it_energy_kwh(
        hardware, accelerator_energy_kwh(accelerator_hours, power), accelerator_hours, request.measured, ledger
    )
    embodied_rate = embodied_rate_kg_per_accelerator_hour(hardware, ledger) if request.include_embodied else None
    site = resolve_site(catalog, site_defaults, request.datacenter, ledger)
    return Estimate(
        kind="training",
        footprint=footprint(accelerators_kwh, host_kwh, accelerator_hours, site, embodied_rate),
        flops=total_flops,
        accelerator=hardware.accelerator,
        accelerator_count=count,
        accelerator_hours=accelerator_hours,
        duration_hours=duration,
        runs=runs,
        ledger=ledger,
        data_version=catalog.data_version,
    )


def _accelerator_count(hardware: ResolvedHardware, request: TrainingRequest, ledger: Ledger) -> int | None:
    """The caller's count; with an instance type and no count, one instance (as inference does)."""
    if hardware.count is not None or hardware.instance is None:
        return hardware.count
    count = hardware.instance.accelerator_count
    ledger.assume(
        "accelerator_count", count, "accelerators", DEFAULT, f"one {hardware.instance.name} instance (no count given)"
    )
    return count


def _training_flops(request: TrainingRequest, model: ResolvedModel | None, ledger: Ledger) -> Range | None:
    """FLOPs per run: given, else from active parameters, tokens (given, or the preset's published) and the
    sequence length."""
    if request.flops is not None:
        ledger.assume("flops", request.flops, "FLOPs per run", INPUT, "request")
        return Range.exact(request.flops)
    if model is None:
        return None
    if request.training_tokens_billion is not None:
        tokens = request.training_tokens_billion * BILLION
        ledger.assume("training_tokens", request.training_tokens_billion, "billion", INPUT, "request")
    elif model.preset is not None and model.preset.training_tokens_billion is not None:
        tokens = model.preset.training_tokens_billion * BILLION
        ledger.assume(
            "training_tokens",
            model.preset.training_tokens_billion,
            "billion",
            DEFAULT,
            f"published training tokens of preset {model.preset.id}: {model.preset.source}",
        )
    else:
        return None
    sequence = sequence_length(request.sequence_length, ledger)
    return flops_from_tokens(model, tokens, sequence, 6.0, ledger, "6")


def training_power_w(accelerator: Accelerator, power_w: float | None, ledger: Ledger) -> Range:
    """Training power: the caller's, else a measured chip mean (TPU v3/v4), else the fitted fraction of TDP."""
    if power_w is None and accelerator.measured_power_mean_w is not None:
        mean = accelerator.measured_power_mean_w
        high = accelerator.measured_power_max_w or mean
        fraction = TRAINING_POWER_FRACTION_OF_TDP.range
        power = Range.spread(mean, mean * fraction.low / fraction.value, high)
        ledger.assume(
            "power_w",
            power,
            "W per accelerator",
            DEFAULT,
            f"measured mean chip power {mean:g} W ({accelerator.tdp_basis}; {accelerator.power_source}); range: "
            f"down by the low end of the fitted training power, up to the measured maximum",
        )
        return power
    if power_w is None and accelerator.tdp_w is None and accelerator.default_power_w is not None:
        return _default_power_w(accelerator, ledger)
    return accelerator_power_w(accelerator, power_w, TRAINING_POWER_FRACTION_OF_TDP, ledger)


def _default_power_w(accelerator: Accelerator, ledger: Ledger) -> Range:
    """A chip that publishes no power: its catalog default is a mean draw under load, used as it is."""
    power, what = reference_power(accelerator, ledger)
    ledger.assume("power_w", power, "W per accelerator", DEFAULT, f"{what}: {accelerator.power_source}")
    return power
