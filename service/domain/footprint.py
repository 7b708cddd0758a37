"""From accelerator energy to a complete estimate: host, facility, carbon, embodied and water."""

from __future__ import annotations

from dataclasses import dataclass

from .formulas.emissions import embodied_emissions_kgco2e, operational_emissions_kgco2e, water_l
from .formulas.energy import facility_energy_kwh, facility_overhead_kwh, host_energy_kwh
from .ranges import ZERO, Range
from .site import Site


@dataclass(frozen=True, slots=True)
class Footprint:
    energy_kwh: Range
    emissions_kgco2e: Range
    water_l: Range
    accelerators_kwh: Range
    host_kwh: Range
    facility_overhead_kwh: Range
    operational_kgco2e: Range
    embodied_kgco2e: Range
    market_based_emissions_kgco2e: Range | None


def footprint(
    accelerators_kwh: Range,
    accelerator_hours: Range,
    host_overhead_fraction: Range,
    site: Site,
    embodied_kg_per_accelerator_hour: Range | None,
) -> Footprint:
    """Combine accelerator energy with host, facility, grid, embodied and water factors.

    ``embodied_kg_per_accelerator_hour`` is None when the caller excluded embodied emissions.
    """
    host_kwh = host_energy_kwh(accelerators_kwh, host_overhead_fraction)
    it_kwh = accelerators_kwh + host_kwh
    energy = facility_energy_kwh(it_kwh, site.pue)
    operational = operational_emissions_kgco2e(energy, site.carbon_intensity_gco2e_per_kwh)
    embodied = (
        ZERO
        if embodied_kg_per_accelerator_hour is None
        else embodied_emissions_kgco2e(accelerator_hours, embodied_kg_per_accelerator_hour)
    )
    market = None
    if site.market_based_factor is not None:
        market = operational.scale(site.market_based_factor) + embodied
    return Footprint(
        energy_kwh=energy,
        emissions_kgco2e=operational + embodied,
        water_l=water_l(it_kwh, site.wue_l_per_kwh),
        accelerators_kwh=accelerators_kwh,
        host_kwh=host_kwh,
        facility_overhead_kwh=facility_overhead_kwh(it_kwh, site.pue),
        operational_kgco2e=operational,
        embodied_kgco2e=embodied,
        market_based_emissions_kgco2e=market,
    )
