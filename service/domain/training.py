"""Training from scratch: accelerator-hours from what the caller knows, then the footprint."""

from __future__ import annotations

from ..reference import Catalog
from .assumptions import DEFAULT, DERIVED, INPUT, Ledger
from .defaults import (
    MFU_GENERATION_YEAR,
    MFU_HALF_PARAMETERS_EARLIER,
    MFU_HALF_PARAMETERS_HOPPER,
    MFU_HOPPER_CLASS_TFLOPS,
    MFU_TRAINING,
    MFU_TRAINING_BEFORE_2019,
    TRAINING_POWER_FRACTION_OF_TDP,
)
from .errors import UnderdeterminedError
from .estimate import Estimate
from .footprint import footprint
from .formulas.compute import accelerator_hours_from_flops, size_adjusted_mfu, training_flops
from .formulas.energy import accelerator_energy_kwh
from .hardware import (
    BILLION,
    TERA,
    accelerator_power_w,
    assume_default,
    embodied_rate_kg_per_accelerator_hour,
    given_or_default,
    resolve_hardware,
    resolve_model,
)
from .inputs import TrainingRequest
from .ranges import Range
from .site import SiteDefaults, resolve_site


def estimate_training(catalog: Catalog, site_defaults: SiteDefaults, request: TrainingRequest) -> Estimate:
    ledger = Ledger()
    hardware = resolve_hardware(catalog, request.hardware, ledger)
    model = resolve_model(catalog, request.model, ledger) if request.model is not None else None

    flops = _training_flops(request, model, ledger)
    if request.accelerator_hours is not None:
        per_run_hours = Range.exact(request.accelerator_hours)
        ledger.assume("accelerator_hours", request.accelerator_hours, "accelerator-hours per run", INPUT, "request")
    elif hardware.count is not None and request.duration_hours is not None:
        per_run_hours = Range.exact(hardware.count * request.duration_hours)
        ledger.assume("duration_hours", request.duration_hours, "hours per run", INPUT, "request")
    elif flops is not None:
        mfu = given_or_default(
            ledger,
            "mfu",
            request.hardware.mfu,
            "fraction of peak",
            lambda: default_training_mfu(hardware, model, ledger),
        )
        per_run_hours = accelerator_hours_from_flops(flops, hardware.peak_flops_per_second, mfu)
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

    count = hardware.count
    duration = None
    if count is not None:
        duration = per_run_hours.scale(1.0 / count)
    elif request.duration_hours is not None:
        duration = Range.exact(request.duration_hours)
        count = max(1, round(per_run_hours.value / request.duration_hours))
        ledger.assume("accelerator_count", count, "accelerators", DERIVED, "accelerator_hours / duration_hours")
    else:
        count = 1
        ledger.assume(
            "accelerator_count", 1, "accelerators", DEFAULT, "no count or duration given; hours are per accelerator"
        )

    power = _training_power_w(hardware.accelerator, request.hardware.power_w, ledger)
    accelerators_kwh = accelerator_energy_kwh(accelerator_hours, power)
    embodied_rate = (
        embodied_rate_kg_per_accelerator_hour(hardware.accelerator, ledger) if request.include_embodied else None
    )
    site = resolve_site(catalog, site_defaults, request.datacenter, ledger)
    return Estimate(
        kind="training",
        footprint=footprint(accelerators_kwh, accelerator_hours, hardware.host_overhead_fraction, site, embodied_rate),
        flops=total_flops,
        accelerator_id=hardware.accelerator.id,
        accelerator_count=count,
        accelerator_hours=accelerator_hours,
        duration_hours=duration,
        ledger=ledger,
        data_version=catalog.data_version,
    )


def _training_flops(request: TrainingRequest, model, ledger: Ledger) -> Range | None:
    """FLOPs per run: given, else 6 x active parameters x tokens (tokens given, or the preset's published)."""
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
    flops = training_flops(Range.exact(model.active_parameters), Range.exact(tokens))
    ledger.assume("flops", flops.value, "FLOPs per run", DERIVED, "6 x active parameters x tokens (Kaplan et al. 2020)")
    return flops


def _training_power_w(accelerator, power_w: float | None, ledger: Ledger) -> Range:
    """Training power: the caller's, else a measured chip mean (TPU v3/v4), else a fraction of TDP."""
    if power_w is None and accelerator.measured_power_mean_w is not None:
        mean = accelerator.measured_power_mean_w
        high = accelerator.measured_power_max_w or mean
        power = Range.spread(
            mean, mean * TRAINING_POWER_FRACTION_OF_TDP.range.low / TRAINING_POWER_FRACTION_OF_TDP.range.value, high
        )
        ledger.assume(
            "power_w", power, "W per accelerator", DEFAULT, f"measured mean chip power: {accelerator.tdp_basis}"
        )
        return power
    return accelerator_power_w(accelerator, power_w, TRAINING_POWER_FRACTION_OF_TDP, ledger)


def default_training_mfu(hardware, model, ledger: Ledger) -> Range:
    """MFU by accelerator generation and model size (defaults.MFU_*): asymptote / (1 + sqrt(half / N))."""
    accelerator = hardware.accelerator
    older = accelerator.launch_year is not None and accelerator.launch_year < MFU_GENERATION_YEAR
    asymptote = MFU_TRAINING_BEFORE_2019 if older else MFU_TRAINING
    if model is None:
        return assume_default(ledger, asymptote)
    hopper_class = hardware.peak_flops_per_second >= MFU_HOPPER_CLASS_TFLOPS * TERA
    half = MFU_HALF_PARAMETERS_HOPPER if hopper_class else MFU_HALF_PARAMETERS_EARLIER
    mfu = size_adjusted_mfu(asymptote.range, model.active_parameters, half)
    ledger.assume(
        "mfu",
        mfu,
        "fraction of peak",
        DEFAULT,
        f"{asymptote.range.value:g} / (1 + sqrt({half / BILLION:g}B / {model.active_parameters / BILLION:g}B active "
        f"parameters)) for {'H100-class' if hopper_class else 'earlier'} accelerators: {asymptote.source}",
    )
    return mfu
