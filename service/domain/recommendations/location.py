"""greener_region: the same workload in every allowed catalog region, ranked by emissions."""

from __future__ import annotations

from typing import Any

from ..footprint import relocated, relocated_emissions_kgco2e
from .model import Alternative
from .registry import recommendation
from .run import CLOUD_ONLY, RecommendationRun, format_number
from .sources import S_AWS, S_AZURE, S_DODGE, S_GCP


def allowed_regions(run: RecommendationRun) -> list[tuple[str, str]]:
    """(provider, region) pairs of the catalog that the constraints and the hardware's cloud allow."""
    c = run.constraints
    providers = set(c.providers) if c.providers else None
    bound = _bound_provider(run)
    countries = {x.upper() for x in c.countries} if c.countries else None
    pairs = {tuple(x.lower().split(":", 1)) for x in c.regions or () if ":" in x}
    bare = {x.lower() for x in c.regions or () if ":" not in x}
    out = []
    for (provider, rid), region in run.catalog.regions.items():
        if providers is not None and provider not in providers:
            continue
        if bound is not None and provider != bound:
            continue
        if countries is not None and region.country_iso2.upper() not in countries:
            continue
        if c.regions is not None and (provider, rid) not in pairs and rid not in bare:
            continue
        out.append((provider, rid))
    return out


@recommendation("greener_region", ("training", "fine-tuning", "inference"))
def greener_region(run: RecommendationRun) -> None:
    code = "greener_region"
    regions = allowed_regions(run)
    if not regions:
        run.note(code, "regions", "no catalog region satisfies the provider/country/region constraints")
        return
    bound = _bound_provider(run)
    dc = run.request.datacenter
    here = (dc.provider, (dc.region or "").lower())
    # A move changes only the site: each region is ranked on the baseline's energy priced there (bit for bit
    # what a re-estimate gives, and the alternatives' figures are that footprint); only the region proposed is
    # re-estimated in full.
    work = run.baseline.footprint
    by_emissions = sorted(
        (relocated_emissions_kgco2e(work, run.estimator.region_sites[(provider, rid)]), provider, rid)
        for provider, rid in regions
        if not (
            (provider, rid) == here
            and dc.carbon_intensity_gco2e_per_kwh is None
            and dc.pue is None
            and dc.wue_l_per_kwh is None
        )
    )
    shown = [
        (provider, rid, change)
        for (_, provider, rid), change in run.shown(
            code, by_emissions, subject=lambda t: f"{t[1]}:{t[2]}", patch=lambda t: _move_to(t[1], t[2])
        )
    ]
    if not shown:
        return
    provider, rid, _ = shown[0]
    result = run.try_estimate(code, f"{provider}:{rid}", shown[0][2], check_bounds=False)
    if result is None:
        return
    patch, estimate = result
    region = run.catalog.regions[(provider, rid)]
    where = (
        f"{dc.provider}:{dc.region}"
        if dc.region
        else (f"country {dc.country}" if dc.country else "an unspecified location")
    )
    alternatives = []
    for p, r, change in shown[1:]:
        there = relocated(work, run.estimator.region_sites[(p, r)])
        alternatives.append(Alternative(f"{p}:{r}", change, there.emissions_kgco2e, there.energy_kwh))
    tradeoffs = [
        "Data residency and sovereignty: data and model move to another jurisdiction.",
        "Latency to users rises with distance (matters for interactive inference, not for batch jobs).",
        "Migration effort, price and capacity availability of the accelerator differ between regions.",
        "Grid intensity is an annual average; hourly intensity varies (carbon-aware scheduling can add savings).",
    ]
    if bound is not None:
        tradeoffs.append(f"Only {bound} regions were ranked: the hardware is specific to that provider.")
    run.add(
        code,
        f"{provider}:{rid}",
        f"Run in {region.name} ({provider}:{rid})",
        (
            f"Of {len(regions)} allowed regions, {provider}:{rid} ({region.name}, grid "
            f"{region.grid_ci_gco2e_per_kwh:g} "
            f"gCO2e/kWh, zone {region.grid_zone}) gives the lowest emissions for this workload: "
            f"{format_number(estimate.footprint.emissions_kgco2e.value)} kgCO2e instead of "
            f"{format_number(run.baseline.footprint.emissions_kgco2e.value)} in {where} ({run.percent_lower(estimate)} "
            f"less). Energy "
            "changes only through the site's PUE; the saving comes from the grid. Every region was ranked with the "
            "same estimate; the next ones are listed under alternatives."
        ),
        patch,
        estimate,
        tradeoffs,
        [
            S_AWS,
            S_GCP,
            S_AZURE,
            S_DODGE,
            "Grid intensity: Electricity Maps 2025 annual averages (lifecycle, consumption-based) for each region's "
            "grid zone, github:thegreenwebfoundation/co2.js/data/output/electricity-maps/yearly_2025.json@27cbe83",
        ],
        alternatives,
    )


def _move_to(provider: str, region: str) -> dict[str, Any]:
    """The change that runs the workload in a catalog region with its published factors."""
    return {
        "datacenter": {
            "provider": provider,
            "region": region,
            "country": None,
            "carbon_intensity_gco2e_per_kwh": None,
            "pue": None,
            "wue_l_per_kwh": None,
        }
    }


def _bound_provider(run: RecommendationRun) -> str | None:
    """The only cloud the hardware exists in (its instance type's, or a cloud-only accelerator's); None if any."""
    return run.instance_provider() or CLOUD_ONLY.get(run.accelerator.vendor.lower())
