"""From accelerator energy to a complete estimate: host, facility, carbon, embodied and water."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .assumptions import Ledger
from .defaults import METHODOLOGY_VERSION
from .formulas.emissions import embodied_emissions_kgco2e, operational_emissions_kgco2e, water_l
from .formulas.energy import facility_energy_kwh, facility_overhead_kwh, host_energy_kwh
from .ranges import ZERO, Range, finite
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


def _opt(r: Range | None) -> dict[str, float] | None:
    return None if r is None else r.as_dict()


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimate as the API returns it (``as_dict`` gives the JSON shape documented in openapi.yaml).

    Every number in ``as_dict`` is finite: Range bounds, assumption values and extra figures are all checked
    when they are made, and ``NonFiniteFigureError`` is raised instead.
    """

    kind: str
    footprint: Footprint
    flops: Range | None
    accelerator_id: str
    accelerator_count: int
    accelerator_hours: Range
    duration_hours: Range | None
    ledger: Ledger
    data_version: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        f = self.footprint
        body: dict[str, Any] = {
            "kind": self.kind,
            "energy_kwh": f.energy_kwh.as_dict(),
            "emissions_kgco2e": f.emissions_kgco2e.as_dict(),
            "water_l": f.water_l.as_dict(),
            "breakdown": {
                "accelerators_kwh": f.accelerators_kwh.as_dict(),
                "host_kwh": f.host_kwh.as_dict(),
                "facility_overhead_kwh": f.facility_overhead_kwh.as_dict(),
                "operational_kgco2e": f.operational_kgco2e.as_dict(),
                "embodied_kgco2e": f.embodied_kgco2e.as_dict(),
            },
            "market_based_emissions_kgco2e": _opt(f.market_based_emissions_kgco2e),
            "compute": {
                "flops": _opt(self.flops),
                "accelerator": self.accelerator_id,
                "accelerator_count": self.accelerator_count,
                "accelerator_hours": self.accelerator_hours.as_dict(),
                "duration_hours": _opt(self.duration_hours),
            },
            "assumptions": self.ledger.assumption_dicts(),
            "warnings": [w.as_dict() for w in self.ledger.warnings],
            "versions": {"methodology": METHODOLOGY_VERSION, "data": self.data_version},
        }
        for key, value in self.extra.items():
            body[key] = {k: _plain(v) for k, v in value.items()}
        return body


def _plain(value: Any) -> Any:
    """A Range as its dict (its bounds are checked at construction); a float checked for finiteness."""
    if isinstance(value, Range):
        return value.as_dict()
    if type(value) is float:
        return finite(value)
    return value
