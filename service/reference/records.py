"""Immutable records for the shipped reference data.

Every record carries the ``source`` cell of the row it came from. Units are in the field names
(W, GB, GB/s, TFLOPS, gCO2e/kWh, kgCO2e, L/kWh) or documented below. ``None`` means the figure is
not published (for example AWS publishes no TDP for Trainium or Inferentia); it is never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Precisions for which accelerators list a dense peak (``int8`` is in TOPS, the others in TFLOPS).
PRECISIONS: tuple[str, ...] = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8")


@dataclass(frozen=True, slots=True)
class Accelerator:
    """One GPU/TPU/ASIC. ``peak_tflops`` is dense (no sparsity), keyed by :data:`PRECISIONS`;
    ``fp32`` is the non-tensor (vector) FP32 peak; ``int8`` is in TOPS; ``None`` = unpublished."""

    id: str
    name: str
    vendor: str
    form_factor: str
    memory_gb: float
    memory_bandwidth_gb_per_s: float
    tdp_w: float | None
    tdp_basis: str
    measured_power_mean_w: float | None
    measured_power_max_w: float | None
    peak_tflops: Mapping[str, float | None]
    launch_year: int
    embodied_kgco2e_vendor: float | None
    embodied_kgco2e_estimate: float | None
    notes: str
    source: str
    memory_type: str = ""


@dataclass(frozen=True, slots=True)
class Instance:
    """A cloud instance type. ``host_power_w_*``: BoaviztAPI CPU+RAM+platform power at 0/50/100 %
    workload, *excluding* accelerators (None where BoaviztAPI has no archetype).
    ``embodied_kgco2e_platform``: BoaviztAPI estimate of the instance's share of platform manufacturing."""

    id: str
    provider: str
    name: str
    accelerator_id: str
    accelerator_count: int
    vcpus: int | None
    memory_gib: float | None
    host_power_w_idle: float | None
    host_power_w_half: float | None
    host_power_w_full: float | None
    embodied_kgco2e_platform: float | None
    notes: str
    source: str


@dataclass(frozen=True, slots=True)
class FacilityFigure:
    """A PUE (dimensionless) or WUE (L/kWh) figure. ``year`` is the source's own label
    (e.g. ``"2024"``, ``"FY2024 ..."``); ``scope`` is fleet/design/region/tool_default/...."""

    value: float
    year: str
    scope: str
    source: str


@dataclass(frozen=True, slots=True)
class Region:
    """A cloud region with its grid zone and location-based grid carbon intensity (gCO2e/kWh).

    ``renewable_matched``: AWS 100 %-renewable-matched list (2023), None where unknown/not AWS.
    ``pue``/``wue``: newest region-level figure from facility.csv, else None."""

    provider: str
    id: str
    name: str
    country_iso2: str
    grid_zone: str
    grid_zone_mapping_source: str
    grid_ci_gco2e_per_kwh: float
    grid_ci_year: int
    grid_ci_basis: str
    ember_country_ci_gco2e_per_kwh: float | None
    provider_cfe_pct: float | None
    provider_cfe_basis: str
    renewable_matched: bool | None
    pue: FacilityFigure | None
    wue: FacilityFigure | None
    notes: str
    source: str
    grid_ci_2024_gco2e_per_kwh: float | None = None
    grid_ci_2023_gco2e_per_kwh: float | None = None
    ember_country_ci_year: int | None = None


@dataclass(frozen=True, slots=True)
class Country:
    """Country-level (or ``WORLD``) average grid carbon intensity in gCO2/kWh, for on-premises use."""

    iso2: str
    name: str
    grid_ci_gco2e_per_kwh: float
    year: int
    basis: str
    source: str


@dataclass(frozen=True, slots=True)
class ModelPreset:
    """A published model. Parameters and tokens in billions; ``active_parameters_billion`` equals the
    total for dense models. Architecture fields are None where not published/not comparable (e.g. MLA)."""

    id: str
    name: str
    family: str
    developer: str
    architecture: str
    parameters_billion: float
    active_parameters_billion: float
    training_tokens_billion: float | None
    num_layers: int | None
    num_kv_heads: int | None
    head_dim: int | None
    release_year: int | None
    source: str
    notes: str = ""


@dataclass(frozen=True, slots=True)
class EmbodiedFigure:
    """A manufacturing-emissions figure. Always read ``unit`` and ``scope``: rows are not on one boundary."""

    id: str
    item: str
    item_type: str
    value: float
    value_min: float | None
    value_max: float | None
    unit: str
    scope: str
    method: str
    source: str
    notes: str = ""
