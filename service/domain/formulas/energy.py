"""Energy (kWh) from accelerator-hours and power, and the facility around it."""

from __future__ import annotations

import math

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


def _piecewise_linear(idle_w: float, half_w: float, full_w: float, load: float) -> float:
    """Power at ``load`` (clamped to 0..1) on straight lines idle -> half (0..0.5) -> full (0.5..1)."""
    u = min(1.0, max(0.0, load))
    if u <= 0.5:
        return idle_w + (half_w - idle_w) * u / 0.5
    return half_w + (full_w - half_w) * (u - 0.5) / 0.5


def instance_host_power_w(idle_w: float, half_w: float, full_w: float, load: Range) -> Range:
    """Host power of an instance (CPU, memory, platform; accelerators excluded) at a load between 0 and 1, W.

    Linear between the published idle, 50% and 100% figures, as BoaviztAPI and Cloud Carbon Footprint model
    server power; monotone, so the load's low and high give the power's.
    """
    return Range.spread(
        _piecewise_linear(idle_w, half_w, full_w, load.value),
        _piecewise_linear(idle_w, half_w, full_w, load.low),
        _piecewise_linear(idle_w, half_w, full_w, load.high),
    )


def instance_host_energy_kwh(instance_hours: Range, host_power_w: Range) -> Range:
    """Host energy of instances: instance-hours x host power (W) / 1000."""
    return instance_hours.times(host_power_w).scale(1.0 / WATTS_PER_KILOWATT)


def mean_power_w(energy_kwh: Range, hours: Range) -> Range:
    """Mean power (W) behind ``energy_kwh`` drawn over ``hours``, where the energy was made as hours x power.

    A product's spread combines its factors' in quadrature on a log scale (``Range.times``), so the power's own
    spread is what is left after taking the hours' out: ln(high/value)^2 = ln(energy)^2 - ln(hours)^2. Dividing
    the two ranges instead would count the hours' spread twice.
    """
    value = energy_kwh.value * WATTS_PER_KILOWATT / hours.value

    def spread(energy_ratio: float, hours_ratio: float) -> float:
        e, h = math.log(energy_ratio), math.log(hours_ratio)
        return math.exp(math.sqrt(max(0.0, e * e - h * h)))

    down = spread(energy_kwh.value / energy_kwh.low, hours.value / hours.low) if energy_kwh.low > 0 else math.inf
    up = spread(energy_kwh.high / energy_kwh.value, hours.high / hours.value)
    return Range.spread(value, 0.0 if down == math.inf else value / down, value * up)
