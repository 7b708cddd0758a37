"""Energy (kWh) from accelerator-hours and power, and the facility around it."""

from __future__ import annotations

from ..ranges import Range

WATTS_PER_KILOWATT = 1000.0


def accelerator_energy_kwh(accelerator_hours: Range, power_w: Range) -> Range:
    """Energy drawn by the accelerators: accelerator-hours x average power per accelerator (W) / 1000."""
    return accelerator_hours.times(power_w).scale(1.0 / WATTS_PER_KILOWATT)


def host_energy_kwh(accelerator_kwh: Range, host_overhead_fraction: Range) -> Range:
    """Host CPU, memory and network energy, as a fraction of the accelerators' energy."""
    return accelerator_kwh.times(host_overhead_fraction)


def facility_energy_kwh(it_kwh: Range, pue: Range) -> Range:
    """Facility energy = IT energy x PUE (power usage effectiveness, The Green Grid 2012)."""
    return it_kwh.times(pue)


def facility_overhead_kwh(it_kwh: Range, pue: Range) -> Range:
    """Cooling and power-distribution energy: IT energy x (PUE - 1)."""
    overhead_ratio = Range(pue.value - 1.0, pue.low - 1.0, pue.high - 1.0)
    return it_kwh.times(overhead_ratio)
