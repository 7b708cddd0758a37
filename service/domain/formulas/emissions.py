"""Emissions (kgCO2e) and water (L)."""

from __future__ import annotations

from ..ranges import Range

GRAMS_PER_KILOGRAM = 1000.0


def operational_emissions_kgco2e(facility_kwh: Range, carbon_intensity_gco2e_per_kwh: Range) -> Range:
    """Location-based operational emissions: facility energy x grid carbon intensity (GHG Protocol Scope 2)."""
    return facility_kwh.times(carbon_intensity_gco2e_per_kwh).scale(1.0 / GRAMS_PER_KILOGRAM)


def embodied_kgco2e_per_accelerator_hour(
    accelerator_kg: Range, server_kg_per_accelerator: Range, lifetime_hours: Range
) -> Range:
    """Manufacturing emissions of one accelerator and its server share, amortised per hour of use."""
    return (accelerator_kg + server_kg_per_accelerator).divided_by(lifetime_hours)


def embodied_emissions_kgco2e(accelerator_hours: Range, kgco2e_per_accelerator_hour: Range) -> Range:
    """Embodied emissions allocated to a workload by the accelerator-hours it occupies."""
    return accelerator_hours.times(kgco2e_per_accelerator_hour)


def water_l(it_kwh: Range, wue_l_per_kwh: Range) -> Range:
    """On-site water: IT energy x WUE (water usage effectiveness, litres per kWh of IT energy, The Green Grid)."""
    return it_kwh.times(wue_l_per_kwh)


def offsite_water_l(facility_kwh: Range, water_l_per_kwh_generated: Range) -> Range:
    """Off-site water: electricity consumed (facility energy) x the water consumed to generate each kWh
    (Li et al. 2023, 'Making AI Less Thirsty', arXiv:2304.03271: the water footprint of electricity)."""
    return facility_kwh.times(water_l_per_kwh_generated)
