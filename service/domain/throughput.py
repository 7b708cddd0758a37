"""How long a training job keeps its accelerators busy: FLOPs from what the caller knows, accelerator-hours from
the fitted throughput model (``calibration.TRAINING_THROUGHPUT``), and the plausibility checks on inputs that
imply a utilisation or a power no accelerator reaches. Shared by training and fine-tuning, so the same work on
the same hardware costs the same hours."""

from __future__ import annotations

import math

from .assumptions import DEFAULT, DERIVED, INPUT, Ledger
from .calibration import TRAINING_POWER_FRACTION, TRAINING_POWER_SOURCE, TRAINING_THROUGHPUT
from .defaults import Default
from .formulas.compute import SECONDS_PER_HOUR
from .formulas.throughput import DEFAULT_SEQUENCE_LENGTH, training_flops_per_token
from .hardware import BILLION, ResolvedHardware, ResolvedModel
from .ranges import Range

#: Utilisation outside this band is not reached by published runs (the highest full-job MFU published is about
#: 0.6: Phi-2 and MobileLLM on A100; the lowest about 0.05), so inputs implying it are probably inconsistent.
PLAUSIBLE_MFU = (0.02, 0.75)
#: A board's power limit bounds its mean draw; 20% above TDP leaves room for boost and measurement error.
PLAUSIBLE_POWER_OVER_TDP = 1.2

TRAINING_POWER_FRACTION_OF_TDP = Default(
    "power_fraction_of_tdp", TRAINING_POWER_FRACTION, "fraction of TDP", TRAINING_POWER_SOURCE
)


def sequence_length(given: float | None, ledger: Ledger) -> float:
    if given is not None:
        ledger.assume("sequence_length", given, "tokens", INPUT, "request")
        return given
    ledger.assume(
        "sequence_length",
        DEFAULT_SEQUENCE_LENGTH,
        "tokens",
        DEFAULT,
        "the pre-training context of Llama 2 and OLMo 2 (Touvron et al. 2023, arXiv:2307.09288; OLMo et al. "
        "2024, arXiv:2501.00656); its uncertainty is part of the cross-validated throughput range",
    )
    return DEFAULT_SEQUENCE_LENGTH


def flops_from_tokens(
    model: ResolvedModel, tokens: float, sequence: float, flops_per_parameter: float, ledger: Ledger, what: str
) -> Range:
    """FLOPs of ``tokens`` training tokens: per-parameter work plus attention (PaLM's 12 x layers x d x T)."""
    flops = tokens * training_flops_per_token(model.active_parameters, sequence, flops_per_parameter)
    ledger.assume(
        "flops",
        flops,
        "FLOPs per run",
        DERIVED,
        f"{what} x {model.active_parameters / BILLION:g}B active parameters x tokens (Kaplan et al. 2020, "
        "arXiv:2001.08361) plus attention, 12 x layers x d_model x sequence per token (Chowdhery et al. 2022, "
        "PaLM, arXiv:2204.02311 Appendix B)",
    )
    return Range.exact(flops)


def accelerator_hours_from_flops(
    flops: Range, hardware: ResolvedHardware, model: ResolvedModel | None, mfu: float | None, ledger: Ledger
) -> Range:
    """Accelerator-hours per run: FLOPs / (peak x the caller's MFU), else FLOPs x the fitted seconds per FLOP."""
    peak = hardware.peak_flops_per_second
    if mfu is not None:
        ledger.assume("mfu", mfu, "fraction of peak", INPUT, "request")
        if mfu > PLAUSIBLE_MFU[1]:
            ledger.warn(
                "implausible-utilisation",
                f"hardware.mfu {mfu:g} is above {PLAUSIBLE_MFU[1]:g}: no published training run keeps that share of "
                "peak over a whole job. The estimate uses it as given.",
            )
        return flops.scale(1.0 / (peak * mfu * SECONDS_PER_HOUR))
    model_ = TRAINING_THROUGHPUT
    is_moe = model is not None and model.is_moe
    seconds = model_.seconds_per_flop(peak, hardware.bandwidth_bytes_per_second, is_moe)
    value = flops.value * seconds / SECONDS_PER_HOUR
    low, high = math.exp(model_.log_error_low), math.exp(model_.log_error_high)
    hours = Range.spread(
        value, flops.low * seconds / SECONDS_PER_HOUR * low, flops.high * seconds / SECONDS_PER_HOUR * high
    )
    utilisation = 1.0 / (peak * seconds)
    moe = f" / {math.exp(model_.moe_log_time):.3g} for mixture-of-experts" if is_moe else ""
    ledger.assume(
        "mfu",
        Range.spread(utilisation, utilisation / high, utilisation / low),
        "fraction of peak",
        DEFAULT,
        f"1 / ({model_.compute_seconds_per_flop_x_peak:.4g} + {model_.memory_bytes_per_flop:.4g} x peak / memory "
        f"bandwidth){moe}: {model_.fitted_to}",
    )
    return hours


def check_implied_utilisation(
    flops: Range | None, accelerator_hours: float, hardware: ResolvedHardware, ledger: Ledger
) -> None:
    """Warn when given hours and known FLOPs imply a utilisation no published run reaches."""
    if flops is None or accelerator_hours <= 0:
        return
    implied = flops.value / (hardware.peak_flops_per_second * accelerator_hours * SECONDS_PER_HOUR)
    if not PLAUSIBLE_MFU[0] <= implied <= PLAUSIBLE_MFU[1]:
        ledger.warn(
            "implausible-utilisation",
            f"The FLOPs and the accelerator-hours given imply a model-FLOPs utilisation of {implied:.3g}, outside the "
            f"{PLAUSIBLE_MFU[0]:g}-{PLAUSIBLE_MFU[1]:g} published runs reach: check the tokens, the count and the "
            "duration. The estimate uses the hours as given.",
        )


def check_power(power_w: float | None, hardware: ResolvedHardware, ledger: Ledger) -> None:
    """Warn when a given mean power is above what the accelerator's board allows."""
    tdp = hardware.accelerator.tdp_w or hardware.accelerator.measured_power_max_w
    if power_w is None or tdp is None or power_w <= PLAUSIBLE_POWER_OVER_TDP * tdp:
        return
    ledger.warn(
        "power-above-tdp",
        f"hardware.power_w {power_w:g} W is more than {PLAUSIBLE_POWER_OVER_TDP:g} x the {tdp:g} W "
        f"{hardware.accelerator.name} board power: if it includes the host, set host_overhead_fraction to 0. "
        "The estimate uses it as given.",
    )
