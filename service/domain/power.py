"""Power: the accelerators' average draw and the host's around them, each with its source recorded."""

from __future__ import annotations

from ..reference import Accelerator, Instance
from .assumptions import DEFAULT, INPUT, Ledger, assume_default
from .defaults import HOST_OVERHEAD_FRACTION, Default
from .errors import MissingReferenceFigureError
from .formulas.energy import host_energy_kwh, instance_host_energy_kwh, instance_host_power_w, mean_power_w
from .hardware import ResolvedHardware
from .ranges import Range


def reference_power(accelerator: Accelerator, ledger: Ledger) -> tuple[Range, str]:
    """The power an accelerator's defaults are fractions of, W, and what it is.

    The TDP where published; else a vendor-measured maximum (Google TPU v3/v4); else the catalog's sourced
    default range for a chip whose power is unpublished (with the warning ``power-not-published``).
    """
    if accelerator.tdp_w is not None:
        return (
            Range.exact(accelerator.tdp_w),
            f"TDP {accelerator.tdp_w:g} W ({accelerator.tdp_basis}: {accelerator.power_source or accelerator.source})",
        )
    if accelerator.measured_power_max_w is not None:
        w = accelerator.measured_power_max_w
        return Range.exact(w), f"measured maximum {w:g} W ({accelerator.tdp_basis}: {accelerator.power_source})"
    default = accelerator.default_power_w
    if default is not None:
        low = accelerator.default_power_low_w or default
        high = accelerator.default_power_high_w or default
        ledger.warn(
            "power-not-published",
            f"{accelerator.name}: no power figure is published; a sourced default range is used "
            f"({low:g}-{high:g} W, {accelerator.default_power_basis}). Give hardware.power_w if you know it.",
        )
        return Range.spread(default, low, high), f"default {default:g} W ({accelerator.default_power_basis})"
    raise MissingReferenceFigureError(
        "hardware.power_w",
        f"{accelerator.name}: {accelerator.tdp_basis or 'no power figure is published'}. "
        "Give hardware.power_w (average W per accelerator) to estimate energy.",
    )


def accelerator_power_w(
    accelerator: Accelerator, power_w: float | None, fraction_of_tdp: Default, ledger: Ledger, name: str = "power_w"
) -> Range:
    """Average power per accelerator (W): the caller's figure, else a sourced fraction of the reference power."""
    if power_w is not None:
        ledger.assume(name, power_w, "W per accelerator", INPUT, "request")
        return Range.exact(power_w)
    reference, what = reference_power(accelerator, ledger)
    power = reference.times(fraction_of_tdp.range)
    ledger.assume(name, power, "W per accelerator", DEFAULT, f"{what} x {fraction_of_tdp.source}")
    return power


def host_energy(hardware: ResolvedHardware, accelerators_kwh: Range, accelerator_hours: Range, ledger: Ledger) -> Range:
    """Host CPU, memory and network energy (kWh) beside the accelerators.

    The caller's ``host_overhead_fraction`` when given; else, on an instance type whose host power the catalog
    lists, the instance's own power at the accelerators' load; else a sourced fraction of accelerator energy.
    """
    given = hardware.host_overhead_fraction
    if given is not None:
        ledger.assume("host_overhead_fraction", given, "fraction of accelerator power", INPUT, "request")
        return host_energy_kwh(accelerators_kwh, Range.exact(given))
    instance = hardware.instance
    if instance is not None and _lists_host_power(instance) and accelerator_hours.value > 0:
        return _instance_host_energy(instance, hardware.accelerator, accelerators_kwh, accelerator_hours, ledger)
    return host_energy_kwh(accelerators_kwh, assume_default(ledger, HOST_OVERHEAD_FRACTION))


def _lists_host_power(instance: Instance) -> bool:
    return None not in (instance.host_power_w_idle, instance.host_power_w_half, instance.host_power_w_full)


def _instance_host_energy(
    instance: Instance, accelerator: Accelerator, accelerators_kwh: Range, accelerator_hours: Range, ledger: Ledger
) -> Range:
    """The instance's host power interpolated at the load its accelerators run at, over its hours."""
    reference, _ = reference_power(accelerator, Ledger())
    # Load: the accelerators' mean draw as a share of their reference power; the host is taken to work as hard.
    load = mean_power_w(accelerators_kwh, accelerator_hours).divided_by(reference)
    idle, half, full = instance.host_power_w_idle, instance.host_power_w_half, instance.host_power_w_full
    assert idle is not None and half is not None and full is not None  # _lists_host_power checked them
    power = instance_host_power_w(idle, half, full, load)
    ledger.assume(
        "host_power_w",
        power,
        "W per instance",
        DEFAULT,
        f"instance {instance.name}: CPU, memory and platform power at idle, 50% and 100% load "
        f"({idle:g}, {half:g}, {full:g} W, "
        f"accelerators excluded), interpolated at the accelerators' mean load ({load.value:.0%} of reference "
        f"power): {instance.source}",
    )
    return instance_host_energy_kwh(accelerator_hours.scale(1.0 / instance.accelerator_count), power)
