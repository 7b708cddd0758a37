"""Immutable records for the shipped reference data, each field declared once.

A field declared with ``column(parser, doc)`` is read from the CSV column of the same name (or ``csv=``), with
that parser; the loader builds each table's spec, and the API builds each listing's schema, from these
declarations. A ``derived(doc)`` field is built by the loader from other columns or tables.

Every record carries the ``source`` cell of the row it came from. Units are in the field names (W, GB, GB/s,
TFLOPS, gCO2e/kWh, kgCO2e, L/kWh) or their docs. ``None`` means the figure is not published (for example AWS
publishes no TDP for Trainium or Inferentia); it is never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any

from .parsers import (
    NONNEG,
    NONNEG_OPT,
    OPTIONAL_TEXT,
    POS,
    POS_OPT,
    REQUIRED_TEXT,
    YEAR,
    YEAR_OPT,
    Parser,
    enum,
    ident,
    integer,
    iso2,
    number,
    optional_yes_no,
)

#: Precisions for which accelerators list a dense peak (``int8`` is in TOPS, the others in TFLOPS).
PRECISIONS: tuple[str, ...] = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8")
PROVIDERS: tuple[str, ...] = ("aws", "gcp", "azure")

_COLUMN = "column"
_DOC = "doc"


@dataclass(frozen=True, slots=True)
class Column:
    """How one CSV column is read: its header (``csv``) and parser."""

    csv: str
    parse: Parser


def column(parse: Parser, doc: str = "", *, csv: str | None = None) -> Any:
    """A record field read from the CSV column ``csv`` (default: the field's own name)."""
    return field(metadata={_COLUMN: (csv, parse), _DOC: doc})


def derived(doc: str) -> Any:
    """A record field the loader builds from other columns or tables."""
    return field(metadata={_DOC: doc})


def columns_of(record: type) -> dict[str, Column]:
    """The CSV columns of ``record``'s fields, keyed by field name."""
    out = {}
    for f in fields(record):
        if _COLUMN in f.metadata:
            csv, parse = f.metadata[_COLUMN]
            out[f.name] = Column(csv or f.name, parse)
    return out


def doc_of(f: Field[Any]) -> str:
    """The documentation of a record field ("" when it has none)."""
    doc: str = f.metadata.get(_DOC, "")
    return doc


_ID = "Catalog id (lower case)."
_SOURCE = "Citations for the row's figures, separated by ' ; ' or ' | '."
_NOTES = "Caveats and derivations."

#: Dense peak columns of accelerators.csv, by precision (int8 in TOPS).
PEAK_COLUMNS: dict[str, Column] = {
    "fp32": Column("fp32_tflops", POS_OPT),
    "tf32": Column("tf32_tflops_dense", POS_OPT),
    "bf16": Column("bf16_tflops_dense", POS_OPT),
    "fp16": Column("fp16_tflops_dense", POS_OPT),
    "fp8": Column("fp8_tflops_dense", POS_OPT),
    "int8": Column("int8_tops_dense", POS_OPT),
}
assert tuple(PEAK_COLUMNS) == PRECISIONS


@dataclass(frozen=True, slots=True, kw_only=True)
class Accelerator:
    """One GPU/TPU/ASIC. ``peak_tflops`` is dense (no sparsity), keyed by :data:`PRECISIONS`; ``fp32`` is the
    non-tensor (vector) FP32 peak; ``int8`` is in TOPS; ``None`` = unpublished."""

    id: str = column(ident, _ID)
    name: str = column(REQUIRED_TEXT)
    vendor: str = column(REQUIRED_TEXT)
    form_factor: str = column(REQUIRED_TEXT)
    memory_gb: float = column(POS, "Accelerator memory, GB.")
    memory_type: str = column(OPTIONAL_TEXT)
    memory_bandwidth_gb_per_s: float = column(POS, "Peak memory bandwidth, GB/s.")
    tdp_w: float | None = column(POS_OPT, "Thermal design power, W; null where the vendor publishes none.")
    tdp_basis: str = column(REQUIRED_TEXT, "What the TDP figure is, or why it is missing.")
    measured_power_mean_w: float | None = column(POS_OPT, "Vendor-measured mean chip power, W (Google TPU v3/v4).")
    measured_power_max_w: float | None = column(POS_OPT, "Vendor-measured maximum chip power, W.")
    peak_tflops: Mapping[str, float | None] = derived(
        "Dense peak per precision (int8 in TOPS); null where unpublished."
    )
    launch_year: int | None = column(YEAR, "Year of launch (null for an accelerator a caller describes).")
    embodied_kgco2e_vendor: float | None = column(
        POS_OPT, "Vendor product carbon footprint, kgCO2e per accelerator.", csv="embodied_kgco2e_vendor_pcf"
    )
    embodied_kgco2e_estimate: float | None = column(
        POS_OPT,
        "BoaviztAPI bottom-up estimate, kgCO2e per accelerator (model output).",
        csv="embodied_kgco2e_boavizta_estimate",
    )
    successor_id: str = column(
        OPTIONAL_TEXT, "Catalog id of the next generation of the same product line; empty for the newest."
    )
    scale_out_interconnect: str = column(
        OPTIONAL_TEXT,
        "How the accelerator connects to many others for multi-node training (the vendor's interconnect, as its "
        "spec sheet in spec_source gives it); empty for cards built for one server (PCIe, inference parts).",
    )
    default_power_w: float | None = column(
        POS_OPT, "Where no power figure is published: a sourced default mean power, W (see default_power_basis)."
    )
    default_power_low_w: float | None = column(POS_OPT, "Low end of that default, W.")
    default_power_high_w: float | None = column(POS_OPT, "High end of that default, W.")
    default_power_basis: str = column(OPTIONAL_TEXT, "How the default power was derived.")
    spec_source: str = column(OPTIONAL_TEXT, "Citation(s) for memory, bandwidth and peak throughput.")
    power_source: str = column(OPTIONAL_TEXT, "Citation(s) for the power figures.")
    embodied_source: str = column(OPTIONAL_TEXT, "Citation(s) for the embodied figures.")
    notes: str = column(OPTIONAL_TEXT, _NOTES)
    source: str = column(REQUIRED_TEXT, _SOURCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """A cloud instance type. ``host_power_w_*``: BoaviztAPI CPU+RAM+platform power at 0/50/100 % workload,
    *excluding* accelerators (None where BoaviztAPI has no archetype)."""

    id: str = column(ident, "Instance type, lower case.")
    provider: str = column(enum(*PROVIDERS))
    name: str = column(REQUIRED_TEXT, "Instance type as the provider spells it.")
    accelerator_id: str = column(ident, "Accelerator id (see /v1/accelerators).")
    accelerator_count: int = column(integer(1, 1024))
    vcpus: int | None = column(integer(1, 100_000, required=False))
    memory_gib: float | None = column(POS_OPT, "Host memory as the provider lists it (GCP lists GB).")
    host_power_w_idle: float | None = column(
        NONNEG_OPT, "CPU-side power at idle, W (BoaviztAPI, accelerators excluded).", csv="boavizta_cpu_side_w_0"
    )
    host_power_w_half: float | None = column(NONNEG_OPT, "CPU-side power at 50% load, W.", csv="boavizta_cpu_side_w_50")
    host_power_w_full: float | None = column(
        NONNEG_OPT, "CPU-side power at 100% load, W.", csv="boavizta_cpu_side_w_100"
    )
    embodied_kgco2e_platform: float | None = column(
        NONNEG_OPT,
        "BoaviztAPI estimate of the instance's share of platform manufacturing.",
        csv="boavizta_instance_embodied_kgco2e",
    )
    notes: str = column(OPTIONAL_TEXT, _NOTES)
    source: str = column(REQUIRED_TEXT, _SOURCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityRow:
    """One PUE (dimensionless) and/or WUE (L/kWh) figure of facility.csv. ``year`` is the source's own label
    (e.g. ``"2024"``, ``"FY2024 ..."``)."""

    provider: str = column(enum(*PROVIDERS, "industry"))
    scope: str = column(
        enum("fleet", "best_site", "design", "region", "region_doubtful", "tool_default", "tool_default_region")
    )
    region_id: str = column(OPTIONAL_TEXT)
    site_or_label: str = column(OPTIONAL_TEXT)
    year: str = column(OPTIONAL_TEXT)
    pue: float | None = column(number(1, hi=5, required=False))
    wue_l_per_kwh: float | None = column(number(0, hi=20, required=False))
    basis: str = column(OPTIONAL_TEXT)
    notes: str = column(OPTIONAL_TEXT)
    source: str = column(REQUIRED_TEXT)


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityFigure:
    """A PUE (dimensionless) or WUE (L/kWh) figure as an estimate uses it."""

    value: float = derived("PUE, or WUE in L per kWh of IT energy.")
    year: str = derived("The source's year label.")
    scope: str = derived("fleet, design, region, tool_default, ...")
    source: str = derived(_SOURCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Region:
    """A cloud region with its grid zone and location-based grid carbon intensity (gCO2e/kWh)."""

    provider: str = column(enum(*PROVIDERS))
    id: str = column(ident, "The provider's region id.", csv="region_id")
    name: str = column(REQUIRED_TEXT, "Where the region is.", csv="location")
    country_iso2: str = column(iso2)
    grid_zone: str = column(REQUIRED_TEXT, "Electricity Maps grid zone serving the region.")
    grid_zone_mapping_source: str = column(REQUIRED_TEXT)
    grid_ci_gco2e_per_kwh: float = column(
        NONNEG, "Grid carbon intensity (Electricity Maps annual average, lifecycle, consumption-based), gCO2e/kWh."
    )
    grid_ci_year: int = column(YEAR)
    grid_ci_basis: str = column(REQUIRED_TEXT)
    grid_ci_2024_gco2e_per_kwh: float | None = column(number(0, hi=5000, required=False), "Same series, 2024.")
    grid_ci_2023_gco2e_per_kwh: float | None = column(number(0, hi=5000, required=False), "Same series, 2023.")
    ember_country_ci_gco2e_per_kwh: float | None = column(
        number(0, hi=5000, required=False),
        "Ember country average (production-based), for comparison.",
        csv="ember_country_ci_gco2_per_kwh",
    )
    ember_country_ci_year: int | None = column(YEAR_OPT)
    provider_cfe_pct: float | None = column(
        number(0, hi=100, required=False), "Provider-reported carbon-free / renewable share, %."
    )
    provider_cfe_basis: str = column(OPTIONAL_TEXT)
    renewable_matched: bool | None = column(
        optional_yes_no, "AWS 100% renewable-matched list (2023).", csv="aws_100pct_renewable_matched"
    )
    pue: FacilityFigure | None = derived("Newest region-level PUE, else null.")
    wue: FacilityFigure | None = derived("Newest region-level WUE, else null.")
    notes: str = column(OPTIONAL_TEXT, _NOTES)
    source: str = column(REQUIRED_TEXT, _SOURCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Country:
    """Country-level (or ``WORLD``) average grid carbon intensity in gCO2/kWh, for on-premises use."""

    iso2: str = column(iso2)
    name: str = column(REQUIRED_TEXT)
    grid_ci_gco2e_per_kwh: float = column(NONNEG)
    year: int = column(YEAR)
    basis: str = column(REQUIRED_TEXT)
    source: str = column(REQUIRED_TEXT, _SOURCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class GridWater:
    """Water consumed to generate electricity in a country (or ``WORLD``), litres per kWh generated."""

    iso2: str = column(iso2)
    name: str = column(REQUIRED_TEXT)
    l_per_kwh: float = column(NONNEG, "Central value: hydropower reservoir evaporation counted.")
    l_per_kwh_low: float = column(NONNEG, "No hydropower evaporation allocated, once-through cooling.")
    l_per_kwh_high: float = column(NONNEG, "Highest wet-cooling medians, hydropower evaporation counted.")
    l_per_kwh_excl_hydro: float = column(NONNEG, "Central value with no hydropower evaporation allocated.")
    share_hydro: float = column(number(0, hi=1), "Hydropower share of generation.")
    mix_year: str = column(REQUIRED_TEXT, "Year of the generation mix.")
    basis: str = column(REQUIRED_TEXT)
    source: str = column(REQUIRED_TEXT, _SOURCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelPreset:
    """A published model. Parameters and tokens in billions; ``active_parameters_billion`` equals the total for
    dense models. Architecture fields are None where not published or not comparable (e.g. MLA)."""

    id: str = column(ident, _ID)
    name: str = column(REQUIRED_TEXT)
    family: str = column(REQUIRED_TEXT)
    developer: str = column(REQUIRED_TEXT)
    architecture: str = column(enum("dense", "moe"), "dense or moe")
    parameters_billion: float = column(POS)
    active_parameters_billion: float = column(POS)
    training_tokens_billion: float | None = column(POS_OPT, "Published training tokens, billions.")
    num_layers: int | None = column(integer(1, 10_000, required=False))
    num_kv_heads: int | None = column(integer(1, 10_000, required=False))
    head_dim: int | None = column(integer(1, 100_000, required=False))
    experts: int | None = column(integer(2, 100_000, required=False), "Routed experts per MoE layer.")
    experts_per_token: int | None = column(integer(1, 100_000, required=False), "Routed experts each token uses.")
    weight_precision: str = column(
        enum("fp32", "bf16", "fp16", "fp8", "int8", "int4", "mxfp4"), "Precision the weights are released in."
    )
    kv_cache_bytes_per_token: float | None = column(
        POS_OPT,
        "KV-cache bytes per token where layers x KV heads x head dim does not give it (multi-head latent attention).",
    )
    release_year: int | None = column(YEAR_OPT)
    notes: str = column(OPTIONAL_TEXT, _NOTES)
    source: str = column(REQUIRED_TEXT, _SOURCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbodiedFigure:
    """A manufacturing-emissions figure. Always read ``unit`` and ``scope``: rows are not on one boundary."""

    id: str = column(ident, _ID)
    item: str = column(REQUIRED_TEXT)
    item_type: str = column(enum("gpu", "server", "component_factor", "chip_die", "intensity"))
    value: float = column(NONNEG)
    value_min: float | None = column(NONNEG_OPT)
    value_max: float | None = column(NONNEG_OPT)
    unit: str = column(REQUIRED_TEXT)
    scope: str = column(REQUIRED_TEXT, csv="scope_or_boundary")
    method: str = column(REQUIRED_TEXT)
    notes: str = column(OPTIONAL_TEXT, _NOTES)
    source: str = column(REQUIRED_TEXT, _SOURCE)
