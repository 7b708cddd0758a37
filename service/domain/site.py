"""Where a workload runs: grid carbon intensity, PUE, WUE and the market-based share."""

from __future__ import annotations

import difflib
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..reference import Catalog
from ..reference.records import FacilityFigure
from .assumptions import DEFAULT, INPUT, Assumption, Ledger, Warning
from .defaults import INDUSTRY_PUE, INDUSTRY_WUE_L_PER_KWH, INDUSTRY_WUE_SOURCE
from .errors import UnknownReferenceError
from .inputs import DatacenterSpec
from .ranges import Range


@dataclass(frozen=True, slots=True)
class SiteDefaults:
    """Fallbacks derived once from the catalog, so their ranges follow the shipped data."""

    world_intensity: Range
    world_intensity_source: str
    provider_pue: Mapping[str, tuple[Range, str]]
    provider_wue: Mapping[str, tuple[Range, str]]
    any_wue: Range
    #: Sites already resolved, by datacenter description, with the assumptions and warnings they recorded:
    #: ``resolve_site`` is a pure function of the description, which repeats across a batch and across a
    #: recommendation's candidates. Bounded by ``MAX_REMEMBERED_SITES``.
    resolved: dict[DatacenterSpec, tuple[Site, tuple[Assumption, ...], tuple[Warning, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )


#: Distinct datacenter descriptions remembered (each a few hundred bytes); beyond it sites are resolved anew.
MAX_REMEMBERED_SITES = 4096


@dataclass(frozen=True, slots=True)
class Site:
    label: str
    carbon_intensity_gco2e_per_kwh: Range
    pue: Range
    wue_l_per_kwh: Range
    #: Water consumed to generate the electricity, litres per kWh of facility energy.
    offsite_water_l_per_kwh: Range
    #: Multiply location-based operational emissions by this to get market-based ones; None if unknown.
    market_based_factor: float | None
    market_based_source: str


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def build_site_defaults(catalog: Catalog) -> SiteDefaults:
    """Derive the location fallbacks from the catalog (runs once at start-up)."""
    region_ci = [r.grid_ci_gco2e_per_kwh for r in catalog.regions.values()]
    world = catalog.world.grid_ci_gco2e_per_kwh
    world_range = Range.spread(world, _percentile(region_ci, 5), _percentile(region_ci, 95))

    providers = ("aws", "gcp", "azure")
    regional_pue = {p: [r.pue.value for r in catalog.regions.values() if r.provider == p and r.pue] for p in providers}
    regional_wue = {p: [r.wue.value for r in catalog.regions.values() if r.provider == p and r.wue] for p in providers}
    all_pue = [v for values in regional_pue.values() for v in values]
    all_wue = [v for values in regional_wue.values() for v in values]
    provider_pue = {
        p: _fleet_default("PUE", "", catalog.fleet_pue[p], regional_pue[p], all_pue)
        for p in providers
        if p in catalog.fleet_pue
    }
    provider_wue = {
        p: _fleet_default("WUE", " L/kWh", catalog.fleet_wue[p], regional_wue[p], all_wue)
        for p in providers
        if p in catalog.fleet_wue
    }
    any_wue = Range.spread(
        INDUSTRY_WUE_L_PER_KWH, min(all_wue, default=0.0), max(all_wue, default=INDUSTRY_WUE_L_PER_KWH)
    )
    return SiteDefaults(
        world_intensity=world_range,
        world_intensity_source=(
            f"{catalog.world.name} average {world} gCO2e/kWh ({catalog.world.year}): {catalog.world.source}; "
            "range: 5th-95th percentile of the shipped cloud regions"
        ),
        provider_pue=provider_pue,
        provider_wue=provider_wue,
        any_wue=any_wue,
    )


def _fleet_default(
    quantity: str, unit: str, fleet: FacilityFigure, regional: list[float], all_regional: list[float]
) -> tuple[Range, str]:
    """A provider's fleet figure, ranged by its published regional figures (all providers' when it has none)."""
    spread = (regional or all_regional) + [fleet.value]
    basis = (
        "its published regional figures"
        if regional
        else "published regional figures of all providers (none for this one)"
    )
    return (
        Range.spread(fleet.value, min(spread), max(spread)),
        f"fleet {quantity} {fleet.value}{unit} ({fleet.year}): {fleet.source}; range: {basis}",
    )


def resolve_site(catalog: Catalog, defaults: SiteDefaults, spec: DatacenterSpec, ledger: Ledger) -> Site:
    """Turn a datacenter description into the factors an estimate needs, recording each choice (resolved once per
    description, then replayed)."""
    known = defaults.resolved.get(spec)
    if known is None:
        record = Ledger()
        site = _resolve_site(catalog, defaults, spec, record)
        known = (site, tuple(record.assumptions), tuple(record.warnings))
        if len(defaults.resolved) < MAX_REMEMBERED_SITES:
            defaults.resolved[spec] = known
    site, assumptions, warnings = known
    ledger.replay(assumptions, warnings)
    return site


def _resolve_site(catalog: Catalog, defaults: SiteDefaults, spec: DatacenterSpec, ledger: Ledger) -> Site:
    region = None
    country = None
    if spec.region is not None and spec.provider is not None:
        region = catalog.regions.get((spec.provider, spec.region.lower()))
        if region is None:
            known = [rid for (provider, rid) in catalog.regions if provider == spec.provider]
            raise UnknownReferenceError(
                "datacenter.region",
                f"{spec.provider} region",
                spec.region,
                difflib.get_close_matches(spec.region.lower(), known, n=3, cutoff=0.6),
                f"/v1/regions?provider={spec.provider}",
            )
    elif spec.country is not None:
        country = catalog.countries.get(spec.country.upper())
        if country is None:
            raise UnknownReferenceError(
                "datacenter.country",
                "country",
                spec.country,
                catalog.suggest("country", spec.country),
                "ISO 3166-1 alpha-2",
            )

    # Grid carbon intensity.
    if spec.carbon_intensity_gco2e_per_kwh is not None:
        intensity = Range.exact(spec.carbon_intensity_gco2e_per_kwh)
        ledger.assume("carbon_intensity", spec.carbon_intensity_gco2e_per_kwh, "gCO2e/kWh", INPUT, "request")
    elif region is not None:
        intensity = Range.exact(region.grid_ci_gco2e_per_kwh)
        ledger.assume(
            "carbon_intensity",
            region.grid_ci_gco2e_per_kwh,
            "gCO2e/kWh",
            DEFAULT,
            f"{region.grid_ci_basis}, {region.grid_ci_year}, zone {region.grid_zone} "
            f"({region.grid_zone_mapping_source}): {_cited(region.source, 'electricity-maps/yearly')}",
        )
    elif country is not None:
        intensity = Range.exact(country.grid_ci_gco2e_per_kwh)
        ledger.assume(
            "carbon_intensity",
            country.grid_ci_gco2e_per_kwh,
            "gCO2e/kWh",
            DEFAULT,
            f"{country.name} {country.year}, {country.basis}: {country.source}",
        )
    else:
        intensity = defaults.world_intensity
        ledger.assume("carbon_intensity", intensity, "gCO2e/kWh", DEFAULT, defaults.world_intensity_source)
        ledger.warn(
            "no-location",
            "No datacenter location was given: the world-average grid intensity is used and the range covers "
            "most cloud regions. Give datacenter.provider and datacenter.region, or datacenter.country.",
        )

    provider = spec.provider
    pue = _facility_factor(
        ledger,
        "pue",
        "ratio",
        spec.pue,
        region.pue if region is not None else None,
        defaults.provider_pue.get(provider) if provider is not None else None,
        (INDUSTRY_PUE.range, INDUSTRY_PUE.source),
    )
    wue = _facility_factor(
        ledger,
        "wue",
        "L/kWh",
        spec.wue_l_per_kwh,
        region.wue if region is not None else None,
        defaults.provider_wue.get(provider) if provider is not None else None,
        (defaults.any_wue, INDUSTRY_WUE_SOURCE + "; range: published regional WUEs"),
    )

    if spec.provider is not None and region is None:
        ledger.warn(
            "provider-without-region",
            f"datacenter.provider '{spec.provider}' was given without a region: fleet PUE/WUE are used and the grid "
            "intensity is not region-specific. Add datacenter.region.",
        )

    market_factor: float | None = None
    market_source = ""
    if region is not None:
        if region.renewable_matched:
            market_factor = 0.0
            listed = _cited(region.source, "real-time-cloud")
            market_source = (
                "AWS lists this region as 100% matched with renewable electricity, an annual match (2023 list: "
                f"https://sustainability.aboutamazon.com/products-services/the-cloud; {listed})"
            )
        elif region.provider_cfe_pct is not None:
            market_factor = max(0.0, 1.0 - region.provider_cfe_pct / 100.0)
            where = "region-carbon-info" if region.provider == "gcp" else "real-time-cloud"
            market_source = (
                f"{region.provider_cfe_pct}% carbon-free energy ({region.provider_cfe_basis}): "
                f"{_cited(region.source, where)}"
            )
    if market_factor is not None:
        ledger.assume("market_based_factor", market_factor, "fraction of location-based", DEFAULT, market_source)

    iso2 = region.country_iso2 if region is not None else country.iso2 if country is not None else None
    offsite = _offsite_water(catalog, spec.offsite_water_l_per_kwh, iso2, ledger)
    label = f"{region.provider}:{region.id}" if region is not None else country.iso2 if country is not None else "world"
    return Site(label, intensity, pue, wue, offsite, market_factor, market_source)


def _cited(source: str, needle: str) -> str:
    """The part of a row's source (parts separated by " | ") that the figure comes from; the whole if none."""
    parts = [part.strip() for part in source.split(" | ") if needle in part]
    return "; ".join(parts) if parts else source


def _offsite_water(catalog: Catalog, given: float | None, iso2: str | None, ledger: Ledger) -> Range:
    """Water consumed at power plants per kWh: the caller's figure, else the country's generation mix, else the
    world's (both as a range spanning hydropower allocation and cooling technology)."""
    if given is not None:
        ledger.assume("offsite_water_l_per_kwh", given, "L/kWh", INPUT, "request")
        return Range.exact(given)
    figure = catalog.grid_water.get(iso2) if iso2 is not None else None
    where = figure.name if figure is not None else "world average (no country known)"
    if figure is None:
        figure = catalog.world_grid_water
    water = Range(figure.l_per_kwh, figure.l_per_kwh_low, figure.l_per_kwh_high)
    ledger.assume(
        "offsite_water_l_per_kwh",
        water,
        "L per kWh generated",
        DEFAULT,
        f"{where}, generation mix {figure.mix_year}: {figure.basis}. {figure.source}",
    )
    return water


def _facility_factor(
    ledger: Ledger,
    name: str,
    unit: str,
    given: float | None,
    regional: FacilityFigure | None,
    provider_default: tuple[Range, str] | None,
    fallback: tuple[Range, str],
) -> Range:
    """PUE or WUE: the caller's value, else the region's published figure, else the provider's fleet
    figure with its regional spread, else the industry fallback."""
    if given is not None:
        ledger.assume(name, given, unit, INPUT, "request")
        return Range.exact(given)
    if regional is not None:
        ledger.assume(name, regional.value, unit, DEFAULT, f"{regional.scope} {regional.year}: {regional.source}")
        return Range.exact(regional.value)
    value, source = provider_default if provider_default is not None else fallback
    ledger.assume(name, value, unit, DEFAULT, source)
    return value
