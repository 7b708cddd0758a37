"""Load and validate the shipped reference data (the only module that knows the file names).

Each CSV file has one table spec: a list of column specs (name + parser). A row that fails a parser or a
cross-row check stops loading with a :class:`ReferenceDataError` naming the file, the line and the
column; nothing is skipped silently. Standard library only.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .records import (
    PRECISIONS,
    Accelerator,
    Country,
    EmbodiedFigure,
    FacilityFigure,
    Instance,
    ModelPreset,
    Region,
)

__all__ = ["Catalog", "ReferenceDataError", "load_catalog", "DATA_FILES", "DATA_RELEASE"]

#: Release label of the shipped data set; the full version adds a hash of the file bytes.
DATA_RELEASE = "2026.11"

ACCELERATORS = "accelerators.csv"
INSTANCES = "cloud_instances.csv"
REGIONS = "cloud_regions.csv"
FACILITY = "facility.csv"
EMBODIED = "embodied.csv"
COUNTRIES = "countries.csv"
MODELS = "models.csv"
#: Every data file, in the order they are hashed for :attr:`Catalog.data_version`.
DATA_FILES: tuple[str, ...] = (ACCELERATORS, INSTANCES, REGIONS, FACILITY, EMBODIED, COUNTRIES, MODELS)

PROVIDERS = ("aws", "gcp", "azure")
WORLD = "WORLD"


class ReferenceDataError(Exception):
    """The reference data is missing or malformed. The message names the file and line, e.g.
    ``cloud_regions.csv line 17: column 'grid_ci_gco2e_per_kwh': expected a number >= 0, got 'abc'``."""


# --------------------------------------------------------------------------------------------------
# Column parsers. Each takes the raw (stripped) cell and returns a value or raises ValueError(reason).
# --------------------------------------------------------------------------------------------------

Parser = Callable[[str], Any]


def _text(required: bool = True) -> Parser:
    def parse(raw: str) -> str:
        if required and not raw:
            raise ValueError("must not be empty")
        return raw

    return parse


_ID_RE = re.compile(r"[a-z0-9][a-z0-9._:-]*\Z")


def _ident(raw: str) -> str:
    if not _ID_RE.match(raw):
        raise ValueError(f"expected a lowercase id (a-z, 0-9, '.', '_', '-'), got {raw!r}")
    return raw


def _number(lo: float | None = None, *, gt: bool = False, hi: float | None = None, required: bool = True) -> Parser:
    what = "a number" if lo is None else f"a number {'>' if gt else '>='} {lo:g}"
    if hi is not None:
        what += f" and <= {hi:g}"

    def parse(raw: str) -> float | None:
        if not raw:
            if required:
                raise ValueError(f"expected {what}, got an empty cell")
            return None
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"expected {what}, got {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"expected {what}, got {raw!r}")
        if lo is not None and (value <= lo if gt else value < lo):
            raise ValueError(f"expected {what}, got {raw!r}")
        if hi is not None and value > hi:
            raise ValueError(f"expected {what}, got {raw!r}")
        return value

    return parse


def _integer(lo: int | None = None, hi: int | None = None, *, required: bool = True) -> Parser:
    what = "an integer" + (f" >= {lo}" if lo is not None else "") + (f" and <= {hi}" if hi is not None else "")

    def parse(raw: str) -> int | None:
        if not raw:
            if required:
                raise ValueError(f"expected {what}, got an empty cell")
            return None
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected {what}, got {raw!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {what}, got {raw!r}")
        return value

    return parse


def _enum(*allowed: str) -> Parser:
    def parse(raw: str) -> str:
        if raw not in allowed:
            shown = ", ".join(repr(a) for a in allowed)
            raise ValueError(f"expected one of {shown}, got {raw!r}")
        return raw

    return parse


def _iso2(raw: str) -> str:
    if raw == WORLD or (len(raw) == 2 and raw.isascii() and raw.isalpha() and raw.isupper()):
        return raw
    raise ValueError(f"expected an upper-case ISO 3166 alpha-2 code or 'WORLD', got {raw!r}")


_YEAR = _integer(1950, 2100)
_YEAR_OPT = _integer(1950, 2100, required=False)


@dataclass(frozen=True, slots=True)
class Col:
    name: str
    parse: Parser


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]  # columns forming the unique key
    checks: tuple[Callable[[dict[str, Any]], tuple[str, str] | None], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, Any]


# ------------------------------------------------ row checks (return (column, reason) or None) ----


def _active_le_total(v: dict[str, Any]) -> tuple[str, str] | None:
    total, active = v["parameters_billion"], v["active_parameters_billion"]
    if active > total:
        return "active_parameters_billion", f"must be <= parameters_billion ({total:g}), got {active:g}"
    if v["architecture"] == "dense" and active != total:
        return (
            "active_parameters_billion",
            f"must equal parameters_billion ({total:g}) for a dense model, got {active:g}",
        )
    return None


def _min_le_value_le_max(v: dict[str, Any]) -> tuple[str, str] | None:
    lo, val, hi = v["value_min"], v["value"], v["value_max"]
    if lo is not None and lo > val:
        return "value_min", f"must be <= value ({val:g}), got {lo:g}"
    if hi is not None and hi < val:
        return "value_max", f"must be >= value ({val:g}), got {hi:g}"
    return None


def _pue_or_wue(v: dict[str, Any]) -> tuple[str, str] | None:
    if v["pue"] is None and v["wue_l_per_kwh"] is None:
        return "pue", "a row needs a pue or a wue_l_per_kwh value, both are empty"
    return None


def _region_id_when_regional(v: dict[str, Any]) -> tuple[str, str] | None:
    regional = v["scope"].startswith("region") or v["scope"] == "tool_default_region"
    if regional and not v["region_id"]:
        return "region_id", f"must not be empty for scope {v['scope']!r}"
    return None


_POS = _number(0, gt=True)
_POS_OPT = _number(0, gt=True, required=False)
_NONNEG_OPT = _number(0, required=False)

TABLES: dict[str, Table] = {
    ACCELERATORS: Table(
        ACCELERATORS,
        (
            Col("id", _ident),
            Col("name", _text()),
            Col("vendor", _text()),
            Col("form_factor", _text()),
            Col("memory_gb", _POS),
            Col("memory_type", _text(False)),
            Col("memory_bandwidth_gb_per_s", _POS),
            Col("tdp_w", _POS_OPT),
            Col("tdp_basis", _text()),
            Col("measured_power_mean_w", _POS_OPT),
            Col("measured_power_max_w", _POS_OPT),
            Col("fp32_tflops", _POS_OPT),
            Col("tf32_tflops_dense", _POS_OPT),
            Col("bf16_tflops_dense", _POS_OPT),
            Col("fp16_tflops_dense", _POS_OPT),
            Col("fp8_tflops_dense", _POS_OPT),
            Col("int8_tops_dense", _POS_OPT),
            Col("launch_year", _YEAR),
            Col("embodied_kgco2e_vendor_pcf", _POS_OPT),
            Col("embodied_kgco2e_boavizta_estimate", _POS_OPT),
            Col("notes", _text(False)),
            Col("source", _text()),
        ),
        key=("id",),
    ),
    INSTANCES: Table(
        INSTANCES,
        (
            Col("id", _ident),
            Col("provider", _enum(*PROVIDERS)),
            Col("name", _text()),
            Col("accelerator_id", _ident),
            Col("accelerator_count", _integer(1, 1024)),
            Col("vcpus", _integer(1, 100_000, required=False)),
            Col("memory_gib", _POS_OPT),
            Col("boavizta_cpu_side_w_0", _NONNEG_OPT),
            Col("boavizta_cpu_side_w_50", _NONNEG_OPT),
            Col("boavizta_cpu_side_w_100", _NONNEG_OPT),
            Col("boavizta_instance_embodied_kgco2e", _NONNEG_OPT),
            Col("notes", _text(False)),
            Col("source", _text()),
        ),
        key=("id",),
    ),
    REGIONS: Table(
        REGIONS,
        (
            Col("provider", _enum(*PROVIDERS)),
            Col("region_id", _ident),
            Col("location", _text()),
            Col("country_iso2", _iso2),
            Col("grid_zone", _text()),
            Col("grid_zone_mapping_source", _text()),
            Col("grid_ci_gco2e_per_kwh", _number(0)),
            Col("grid_ci_year", _YEAR),
            Col("grid_ci_basis", _text()),
            Col("grid_ci_2024_gco2e_per_kwh", _number(0, hi=5000, required=False)),
            Col("grid_ci_2023_gco2e_per_kwh", _number(0, hi=5000, required=False)),
            Col("ember_country_ci_gco2_per_kwh", _number(0, hi=5000, required=False)),
            Col("ember_country_ci_year", _YEAR_OPT),
            Col("provider_cfe_pct", _number(0, hi=100, required=False)),
            Col("provider_cfe_basis", _text(False)),
            Col("aws_100pct_renewable_matched", _enum("yes", "no", "")),
            Col("notes", _text(False)),
            Col("source", _text()),
        ),
        key=("provider", "region_id"),
    ),
    FACILITY: Table(
        FACILITY,
        (
            Col("provider", _enum(*PROVIDERS, "industry")),
            Col(
                "scope",
                _enum(
                    "fleet", "best_site", "design", "region", "region_doubtful", "tool_default", "tool_default_region"
                ),
            ),
            Col("region_id", _text(False)),
            Col("site_or_label", _text(False)),
            Col("year", _text(False)),
            Col("pue", _number(1, hi=5, required=False)),
            Col("wue_l_per_kwh", _number(0, hi=20, required=False)),
            Col("basis", _text(False)),
            Col("notes", _text(False)),
            Col("source", _text()),
        ),
        key=(),
        checks=(_pue_or_wue, _region_id_when_regional),
    ),
    EMBODIED: Table(
        EMBODIED,
        (
            Col("id", _ident),
            Col("item", _text()),
            Col("item_type", _enum("gpu", "server", "component_factor", "chip_die", "intensity")),
            Col("value", _number(0)),
            Col("value_min", _NONNEG_OPT),
            Col("value_max", _NONNEG_OPT),
            Col("unit", _text()),
            Col("scope_or_boundary", _text()),
            Col("method", _text()),
            Col("notes", _text(False)),
            Col("source", _text()),
        ),
        key=("id",),
        checks=(_min_le_value_le_max,),
    ),
    COUNTRIES: Table(
        COUNTRIES,
        (
            Col("iso2", _iso2),
            Col("name", _text()),
            Col("grid_ci_gco2e_per_kwh", _number(0)),
            Col("year", _YEAR),
            Col("basis", _text()),
            Col("source", _text()),
        ),
        key=("iso2",),
    ),
    MODELS: Table(
        MODELS,
        (
            Col("id", _ident),
            Col("name", _text()),
            Col("family", _text()),
            Col("developer", _text()),
            Col("architecture", _enum("dense", "moe")),
            Col("parameters_billion", _POS),
            Col("active_parameters_billion", _POS),
            Col("training_tokens_billion", _POS_OPT),
            Col("num_layers", _integer(1, 10_000, required=False)),
            Col("num_kv_heads", _integer(1, 10_000, required=False)),
            Col("head_dim", _integer(1, 100_000, required=False)),
            Col("release_year", _YEAR_OPT),
            Col("notes", _text(False)),
            Col("source", _text()),
        ),
        key=("id",),
        checks=(_active_le_total,),
    ),
}


# --------------------------------------------------------------------------------------------------
# Generic table reader
# --------------------------------------------------------------------------------------------------


def _parse_table(table: Table, data: bytes) -> list[Row]:
    name = table.file
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{name}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ReferenceDataError(f"{name} line 1: missing header row (file is empty)") from None
    except csv.Error as exc:
        raise ReferenceDataError(f"{name} line 1: malformed CSV ({exc})") from None
    header = [h.strip() for h in header]
    seen_cols: set[str] = set()
    for h in header:
        if h in seen_cols:
            raise ReferenceDataError(f"{name} line 1: duplicate column {h!r}")
        seen_cols.add(h)
    index: list[tuple[Col, int]] = []
    for col in table.columns:
        if col.name not in seen_cols:
            raise ReferenceDataError(f"{name} line 1: missing column {col.name!r}")
        index.append((col, header.index(col.name)))

    rows: list[Row] = []
    keys: dict[tuple[Any, ...], int] = {}
    width = len(header)
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ReferenceDataError(f"{name} line {start}: malformed CSV ({exc})") from None
        end = reader.line_num
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue  # blank line: not a row
        if len(cells) != width:
            raise ReferenceDataError(f"{name} line {start}: expected {width} fields, got {len(cells)}")
        values: dict[str, Any] = {}
        for col, i in index:
            try:
                values[col.name] = col.parse(cells[i].strip())
            except ValueError as exc:
                raise ReferenceDataError(f"{name} line {start}: column {col.name!r}: {exc}") from None
        for check in table.checks:
            problem = check(values)
            if problem is not None:
                raise ReferenceDataError(f"{name} line {start}: column {problem[0]!r}: {problem[1]}")
        if table.key:
            key = tuple(values[k].lower() if isinstance(values[k], str) else values[k] for k in table.key)
            if key in keys:
                shown = ":".join(str(k) for k in key)
                raise ReferenceDataError(
                    f"{name} line {start}: column {table.key[-1]!r}: duplicate id {shown!r} "
                    f"(first defined on line {keys[key]})"
                )
            keys[key] = start
        rows.append(Row(start, values))
    if not rows:
        raise ReferenceDataError(f"{name}: no data rows")
    return rows


# --------------------------------------------------------------------------------------------------
# Record builders
# --------------------------------------------------------------------------------------------------

_PEAK_COLUMNS = {
    "fp32": "fp32_tflops",
    "tf32": "tf32_tflops_dense",
    "bf16": "bf16_tflops_dense",
    "fp16": "fp16_tflops_dense",
    "fp8": "fp8_tflops_dense",
    "int8": "int8_tops_dense",
}
assert tuple(_PEAK_COLUMNS) == PRECISIONS


def _accelerator(v: dict[str, Any]) -> Accelerator:
    return Accelerator(
        id=v["id"],
        name=v["name"],
        vendor=v["vendor"],
        form_factor=v["form_factor"],
        memory_gb=v["memory_gb"],
        memory_bandwidth_gb_per_s=v["memory_bandwidth_gb_per_s"],
        tdp_w=v["tdp_w"],
        tdp_basis=v["tdp_basis"],
        measured_power_mean_w=v["measured_power_mean_w"],
        measured_power_max_w=v["measured_power_max_w"],
        peak_tflops=MappingProxyType({p: v[c] for p, c in _PEAK_COLUMNS.items()}),
        launch_year=v["launch_year"],
        embodied_kgco2e_vendor=v["embodied_kgco2e_vendor_pcf"],
        embodied_kgco2e_estimate=v["embodied_kgco2e_boavizta_estimate"],
        notes=v["notes"],
        source=v["source"],
        memory_type=v["memory_type"],
    )


def _instance(v: dict[str, Any]) -> Instance:
    return Instance(
        id=v["id"],
        provider=v["provider"],
        name=v["name"],
        accelerator_id=v["accelerator_id"],
        accelerator_count=v["accelerator_count"],
        vcpus=v["vcpus"],
        memory_gib=v["memory_gib"],
        host_power_w_idle=v["boavizta_cpu_side_w_0"],
        host_power_w_half=v["boavizta_cpu_side_w_50"],
        host_power_w_full=v["boavizta_cpu_side_w_100"],
        embodied_kgco2e_platform=v["boavizta_instance_embodied_kgco2e"],
        notes=v["notes"],
        source=v["source"],
    )


_YEAR_IN_TEXT = re.compile(r"(19|20)\d\d")


def _year_rank(label: str) -> int:
    """Numeric year found in a facility ``year`` label ("FY2024 ..." -> 2024); 0 when none."""
    m = _YEAR_IN_TEXT.search(label)
    return int(m.group(0)) if m else 0


def _newest(rows: Iterable[Row], column: str) -> FacilityFigure | None:
    best: Row | None = None
    for row in rows:
        if row.values[column] is None:
            continue
        if best is None or _year_rank(row.values["year"]) > _year_rank(best.values["year"]):
            best = row  # ties keep the earlier row in the file
    if best is None:
        return None
    v = best.values
    return FacilityFigure(value=v[column], year=v["year"], scope=v["scope"], source=v["source"])


def _facility_for(rows: list[Row], column: str, scopes: tuple[str, ...]) -> FacilityFigure | None:
    """Newest figure in the first scope (in preference order) that has one."""
    for scope in scopes:
        fig = _newest((r for r in rows if r.values["scope"] == scope), column)
        if fig is not None:
            return fig
    return None


def _region(v: dict[str, Any], facility_rows: list[Row]) -> Region:
    renewable = {"yes": True, "no": False, "": None}[v["aws_100pct_renewable_matched"]]
    ember_year = v["ember_country_ci_year"]
    return Region(
        provider=v["provider"],
        id=v["region_id"],
        name=v["location"],
        country_iso2=v["country_iso2"],
        grid_zone=v["grid_zone"],
        grid_zone_mapping_source=v["grid_zone_mapping_source"],
        grid_ci_gco2e_per_kwh=v["grid_ci_gco2e_per_kwh"],
        grid_ci_year=v["grid_ci_year"],
        grid_ci_basis=v["grid_ci_basis"],
        ember_country_ci_gco2e_per_kwh=v["ember_country_ci_gco2_per_kwh"],
        provider_cfe_pct=v["provider_cfe_pct"],
        provider_cfe_basis=v["provider_cfe_basis"],
        renewable_matched=renewable,
        pue=_facility_for(facility_rows, "pue", ("region", "tool_default_region")),
        wue=_facility_for(facility_rows, "wue_l_per_kwh", ("region", "tool_default_region")),
        notes=v["notes"],
        source=v["source"],
        grid_ci_2024_gco2e_per_kwh=v["grid_ci_2024_gco2e_per_kwh"],
        grid_ci_2023_gco2e_per_kwh=v["grid_ci_2023_gco2e_per_kwh"],
        ember_country_ci_year=ember_year,
    )


def _country(v: dict[str, Any]) -> Country:
    return Country(
        iso2=v["iso2"],
        name=v["name"],
        grid_ci_gco2e_per_kwh=v["grid_ci_gco2e_per_kwh"],
        year=v["year"],
        basis=v["basis"],
        source=v["source"],
    )


def _model(v: dict[str, Any]) -> ModelPreset:
    return ModelPreset(
        id=v["id"],
        name=v["name"],
        family=v["family"],
        developer=v["developer"],
        architecture=v["architecture"],
        parameters_billion=v["parameters_billion"],
        active_parameters_billion=v["active_parameters_billion"],
        training_tokens_billion=v["training_tokens_billion"],
        num_layers=v["num_layers"],
        num_kv_heads=v["num_kv_heads"],
        head_dim=v["head_dim"],
        release_year=v["release_year"],
        source=v["source"],
        notes=v["notes"],
    )


def _embodied(v: dict[str, Any]) -> EmbodiedFigure:
    return EmbodiedFigure(
        id=v["id"],
        item=v["item"],
        item_type=v["item_type"],
        value=v["value"],
        value_min=v["value_min"],
        value_max=v["value_max"],
        unit=v["unit"],
        scope=v["scope_or_boundary"],
        method=v["method"],
        source=v["source"],
        notes=v["notes"],
    )


# --------------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------------

_SUGGEST_KINDS = ("accelerator", "instance", "model", "region", "country")


@dataclass(frozen=True, eq=False)
class Catalog:
    """All reference data, validated. Keys: accelerator/instance/model ids lower-case, country ISO2
    upper-case, regions ``(provider, region_id)``. All mappings are read-only."""

    accelerators: Mapping[str, Accelerator]
    instances: Mapping[str, Instance]
    regions: Mapping[tuple[str, str], Region]
    countries: Mapping[str, Country]
    world: Country
    models: Mapping[str, ModelPreset]
    embodied: Mapping[str, EmbodiedFigure]
    fleet_pue: Mapping[str, FacilityFigure]
    fleet_wue: Mapping[str, FacilityFigure]
    data_version: str

    def suggest(self, kind: str, unknown: str, limit: int = 3) -> list[str]:
        """Up to ``limit`` known ids of ``kind`` close to ``unknown`` (case-insensitive, best first).

        ``kind`` is one of accelerator, instance, model, region, country. Names are matched as well as
        ids (accelerators, models, countries), but ids are returned. For regions, a query of the form
        ``provider:region`` returns ``provider:region`` strings, otherwise bare region ids."""
        if kind not in _SUGGEST_KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(_SUGGEST_KINDS)}")
        if limit <= 0 or not unknown:
            return []
        query = unknown.strip().lower()
        candidates: dict[str, str] = {}  # lower-case matchable text -> id to return
        if kind == "accelerator":
            for a in self.accelerators.values():
                candidates.setdefault(a.name.lower(), a.id)
                candidates[a.id] = a.id
        elif kind == "instance":
            candidates = {i: i for i in self.instances}
        elif kind == "model":
            for m in self.models.values():
                candidates.setdefault(m.name.lower(), m.id)
                candidates[m.id] = m.id
        elif kind == "region":
            for provider, rid in self.regions:
                if ":" in query:
                    candidates[f"{provider}:{rid}"] = f"{provider}:{rid}"
                else:
                    candidates[rid.lower()] = rid
        else:  # country
            for c in self.countries.values():
                candidates.setdefault(c.name.lower(), c.iso2)
                candidates[c.iso2.lower()] = c.iso2
        if kind == "country" and query in _COUNTRY_ALIASES:
            candidates[query] = _COUNTRY_ALIASES[query]
        # First the ids that contain the query, ignoring punctuation ("h100" -> nvidia-h100-*, "p4d" ->
        # p4d.24xlarge, "gpt3" -> gpt-3-175b): a prefix of an id is how people abbreviate it, and difflib's
        # similarity ranks short unrelated ids higher (nvidia-h100 was closest to nvidia-a10). Shortest first,
        # then the most similar spellings.
        squashed = _squash(query)
        containing = (
            sorted((t for t in candidates if squashed in _squash(t)), key=lambda t: (len(t), t))
            if len(squashed) >= _MIN_CONTAINED_QUERY
            else []
        )
        similar = difflib.get_close_matches(query, list(candidates), n=max(limit * 3, 10), cutoff=0.6)
        out: list[str] = []
        for match in (*containing, *similar):
            ident = candidates[match]
            if ident not in out:
                out.append(ident)
            if len(out) == limit:
                break
        return out


#: Country codes people use that are not the ISO 3166-1 alpha-2 code (UK is reserved for the United Kingdom,
#: whose code is GB; EL is the EU's code for Greece).
_COUNTRY_ALIASES = {"uk": "GB", "el": "GR"}
#: Shorter queries would be contained in too many ids to be a useful suggestion.
_MIN_CONTAINED_QUERY = 2


def _squash(text: str) -> str:
    """Lower-case letters and digits only: how ids are compared when one may contain the other."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _read_files(data_dir: Path | None) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if data_dir is None:
        base = resources.files(__package__).joinpath("data")
        where = f"package data {__package__}/data"
        for name in DATA_FILES:
            try:
                out[name] = base.joinpath(name).read_bytes()
            except (FileNotFoundError, OSError):
                raise ReferenceDataError(f"{name}: file not found in {where}") from None
    else:
        base_path = Path(data_dir)
        for name in DATA_FILES:
            try:
                out[name] = (base_path / name).read_bytes()
            except OSError:
                raise ReferenceDataError(f"{name}: file not found in {base_path}") from None
    return out


def _index(rows: list[Row], build: Callable[[dict[str, Any]], Any], key: Callable[[Any], Any]) -> MappingProxyType:
    return MappingProxyType({key(rec): rec for rec in (build(r.values) for r in rows)})


def load_catalog(data_dir: Path | None = None) -> Catalog:
    """Load and validate every data file. ``data_dir=None`` reads the package's own data through
    :mod:`importlib.resources` (works from an installed wheel). Raises :class:`ReferenceDataError`."""
    files = _read_files(data_dir)
    parsed = {name: _parse_table(TABLES[name], data) for name, data in files.items()}

    accelerators = _index(parsed[ACCELERATORS], _accelerator, lambda a: a.id)

    instances = _index(parsed[INSTANCES], _instance, lambda i: i.id)
    for row in parsed[INSTANCES]:
        acc_id = row.values["accelerator_id"]
        if acc_id not in accelerators:
            raise ReferenceDataError(
                f"{INSTANCES} line {row.line}: column 'accelerator_id': unknown accelerator {acc_id!r} "
                f"(not an id in {ACCELERATORS})"
            )

    facility = parsed[FACILITY]
    by_region: dict[tuple[str, str], list[Row]] = {}
    for row in facility:
        if row.values["region_id"]:
            by_region.setdefault((row.values["provider"], row.values["region_id"].lower()), []).append(row)
    regions = MappingProxyType(
        {
            (r.values["provider"], r.values["region_id"]): _region(
                r.values, by_region.get((r.values["provider"], r.values["region_id"]), [])
            )
            for r in parsed[REGIONS]
        }
    )

    fleet_pue: dict[str, FacilityFigure] = {}
    fleet_wue: dict[str, FacilityFigure] = {}
    for provider in PROVIDERS:
        rows = [r for r in facility if r.values["provider"] == provider]
        pue = _facility_for(rows, "pue", ("fleet", "design"))
        if pue is not None:
            fleet_pue[provider] = pue
        wue = _facility_for(rows, "wue_l_per_kwh", ("fleet",))
        if wue is not None:
            fleet_wue[provider] = wue
    industry = _newest((r for r in facility if r.values["provider"] == "industry"), "pue")
    if industry is None:
        raise ReferenceDataError(f"{FACILITY}: no row with provider 'industry' and a pue value")
    fleet_pue["industry"] = industry

    countries: dict[str, Country] = {}
    world: Country | None = None
    for row in parsed[COUNTRIES]:
        c = _country(row.values)
        if c.iso2 == WORLD:
            world = c
        else:
            countries[c.iso2] = c
    if world is None:
        raise ReferenceDataError(f"{COUNTRIES}: no row with iso2 'WORLD' (the global default)")

    models = _index(parsed[MODELS], _model, lambda m: m.id)
    embodied = _index(parsed[EMBODIED], _embodied, lambda e: e.id)

    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name])
        digest.update(b"\0")

    return Catalog(
        accelerators=accelerators,
        instances=instances,
        regions=regions,
        countries=MappingProxyType(countries),
        world=world,
        models=models,
        embodied=embodied,
        fleet_pue=MappingProxyType(fleet_pue),
        fleet_wue=MappingProxyType(fleet_wue),
        data_version=f"{DATA_RELEASE}-{digest.hexdigest()[:8]}",
    )
