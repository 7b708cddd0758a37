"""From accelerator and host energy to a complete footprint: facility, carbon (location- and market-based),
embodied, and water (on-site and off-site)."""

from __future__ import annotations

from dataclasses import dataclass

from .formulas.emissions import (
    GRAMS_PER_KILOGRAM,
    embodied_emissions_kgco2e,
    offsite_water_l,
    operational_emissions_kgco2e,
    water_l,
)
from .formulas.energy import facility_energy_kwh, facility_overhead_kwh
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
    #: Scope 2 market-based: operational emissions x the site's market-based factor; None where none is known.
    market_based_operational_kgco2e: Range | None
    #: Market-based operational + embodied; None where no market-based factor is known.
    market_based_emissions_kgco2e: Range | None
    offsite_water_l: Range
    #: What the site does not change, kept so that the same work can be priced at another site.
    accelerator_hours: Range
    embodied_kg_per_accelerator_hour: Range | None


def footprint(
    accelerators_kwh: Range,
    host_kwh: Range,
    accelerator_hours: Range,
    site: Site,
    embodied_kg_per_accelerator_hour: Range | None,
) -> Footprint:
    """Combine accelerator and host (IT) energy with facility, grid, embodied and water factors.

    ``embodied_kg_per_accelerator_hour`` is None when the caller excluded embodied emissions.
    """
    it_kwh = accelerators_kwh + host_kwh
    energy = facility_energy_kwh(it_kwh, site.pue)
    operational = operational_emissions_kgco2e(energy, site.carbon_intensity_gco2e_per_kwh)
    embodied = (
        ZERO
        if embodied_kg_per_accelerator_hour is None
        else embodied_emissions_kgco2e(accelerator_hours, embodied_kg_per_accelerator_hour)
    )
    market_operational = None if site.market_based_factor is None else operational.scale(site.market_based_factor)
    return Footprint(
        energy_kwh=energy,
        emissions_kgco2e=operational + embodied,
        water_l=water_l(it_kwh, site.wue_l_per_kwh),
        accelerators_kwh=accelerators_kwh,
        host_kwh=host_kwh,
        facility_overhead_kwh=facility_overhead_kwh(it_kwh, site.pue),
        operational_kgco2e=operational,
        embodied_kgco2e=embodied,
        market_based_operational_kgco2e=market_operational,
        market_based_emissions_kgco2e=None if market_operational is None else market_operational + embodied,
        offsite_water_l=offsite_water_l(energy, site.offsite_water_l_per_kwh),
        accelerator_hours=accelerator_hours,
        embodied_kg_per_accelerator_hour=embodied_kg_per_accelerator_hour,
    )


def relocated(work: Footprint, site: Site) -> Footprint:
    """The same accelerator and host energy at another site: what :func:`footprint` gives for the same work
    there, to the last bit (the site changes only facility, grid and water factors)."""
    return footprint(
        work.accelerators_kwh, work.host_kwh, work.accelerator_hours, site, work.embodied_kg_per_accelerator_hour
    )


def relocated_emissions_kgco2e(work: Footprint, site: Site) -> float:
    """The central value of ``relocated(work, site).emissions_kgco2e``: ranking every region this way costs a
    tenth of pricing each in full."""
    rate = work.embodied_kg_per_accelerator_hour
    return central_emissions_kgco2e(
        work.accelerators_kwh.value,
        work.host_kwh.value,
        work.accelerator_hours.value,
        site,
        None if rate is None else rate.value,
    )


def central_emissions_kgco2e(
    accelerators_kwh: float,
    host_kwh: float,
    accelerator_hours: float,
    site: Site,
    embodied_kg_per_accelerator_hour: float | None,
) -> float:
    """The central value of :func:`footprint`'s ``emissions_kgco2e`` for the centres of its inputs: the same
    float operations in the same order without the ranges' spreads (a range product's centre is the product of
    the centres)."""
    it_kwh = accelerators_kwh + host_kwh
    operational = it_kwh * site.pue.value * site.carbon_intensity_gco2e_per_kwh.value * (1.0 / GRAMS_PER_KILOGRAM)
    rate = embodied_kg_per_accelerator_hour
    return operational + (0.0 if rate is None else accelerator_hours * rate)
