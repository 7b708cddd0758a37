"""Load and validate the shipped reference data (the only module that knows the file names).

Each CSV file has one table spec, built from its record's field declarations (``records.py``). A row that fails
a parser or a cross-row check stops loading with a :class:`ReferenceDataError` naming the file, the line and the
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

from .parsers import WORLD
from .records import (
    PEAK_COLUMNS,
    PROVIDERS,
    Accelerator,
    Column,
    Country,
    EmbodiedFigure,
    FacilityFigure,
    FacilityRow,
    GridWater,
    Instance,
    ModelPreset,
    Region,
    columns_of,
)

__all__ = ["DATA_FILES", "DATA_RELEASE", "Catalog", "ReferenceDataError", "load_catalog"]

#: Release label of the shipped data set; the full version adds a hash of the file bytes.
DATA_RELEASE = "2026.11"

ACCELERATORS = "accelerators.csv"
INSTANCES = "cloud_instances.csv"
REGIONS = "cloud_regions.csv"
FACILITY = "facility.csv"
EMBODIED = "embodied.csv"
COUNTRIES = "countries.csv"
MODELS = "models.csv"
GRID_WATER = "grid_water.csv"
#: Every data file, in the order they are hashed for :attr:`Catalog.data_version`.
DATA_FILES: tuple[str, ...] = (ACCELERATORS, INSTANCES, REGIONS, FACILITY, EMBODIED, COUNTRIES, MODELS, GRID_WATER)


class ReferenceDataError(Exception):
    """The reference data is missing or malformed. The message names the file and line, e.g.
    ``cloud_regions.csv line 17: column 'grid_ci_gco2e_per_kwh': expected a number >= 0, got 'abc'``."""


Check = Callable[[dict[str, Any]], "tuple[str, str] | None"]


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    record: type
    #: Field names forming the unique key.
    key: tuple[str, ...]
    checks: tuple[Check, ...] = ()
    #: Columns read besides the record's own, keyed by the name the builder reads them under.
    extra: Mapping[str, Column] = field(default_factory=dict)

    @property
    def columns(self) -> dict[str, Column]:
        return {**columns_of(self.record), **self.extra}


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, Any]


# ------------------------------------------------ row checks (return (field, reason) or None) ----


def _active_le_total(v: dict[str, Any]) -> tuple[str, str] | None:
    total, active = v["parameters_billion"], v["active_parameters_billion"]
    experts, per_token = v["experts"], v["experts_per_token"]
    if (experts is None) != (per_token is None):
        return "experts_per_token", "experts and experts_per_token are given together or not at all"
    if experts is not None and per_token is not None and per_token >= experts:
        return "experts_per_token", f"must be < experts ({experts}), got {per_token}"
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


def _water_low_le_value_le_high(v: dict[str, Any]) -> tuple[str, str] | None:
    lo, val, hi = v["l_per_kwh_low"], v["l_per_kwh"], v["l_per_kwh_high"]
    if lo > val:
        return "l_per_kwh_low", f"must be <= l_per_kwh ({val:g}), got {lo:g}"
    if hi < val:
        return "l_per_kwh_high", f"must be >= l_per_kwh ({val:g}), got {hi:g}"
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


TABLES: dict[str, Table] = {
    ACCELERATORS: Table(
        ACCELERATORS, Accelerator, key=("id",), extra={f"peak.{p}": c for p, c in PEAK_COLUMNS.items()}
    ),
    INSTANCES: Table(INSTANCES, Instance, key=("id",)),
    REGIONS: Table(REGIONS, Region, key=("provider", "id")),
    FACILITY: Table(FACILITY, FacilityRow, key=(), checks=(_pue_or_wue, _region_id_when_regional)),
    EMBODIED: Table(EMBODIED, EmbodiedFigure, key=("id",), checks=(_min_le_value_le_max,)),
    COUNTRIES: Table(COUNTRIES, Country, key=("iso2",)),
    MODELS: Table(MODELS, ModelPreset, key=("id",), checks=(_active_le_total,)),
    GRID_WATER: Table(GRID_WATER, GridWater, key=("iso2",), checks=(_water_low_le_value_le_high,)),
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
    columns = table.columns
    index: list[tuple[str, Column, int]] = []
    for attr, col in columns.items():
        if col.csv not in seen_cols:
            raise ReferenceDataError(f"{name} line 1: missing column {col.csv!r}")
        index.append((attr, col, header.index(col.csv)))

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
        for attr, col, i in index:
            try:
                values[attr] = col.parse(cells[i].strip())
            except ValueError as exc:
                raise ReferenceDataError(f"{name} line {start}: column {col.csv!r}: {exc}") from None
        for check in table.checks:
            problem = check(values)
            if problem is not None:
                raise ReferenceDataError(f"{name} line {start}: column {columns[problem[0]].csv!r}: {problem[1]}")
        if table.key:
            key = tuple(values[k].lower() if isinstance(values[k], str) else values[k] for k in table.key)
            if key in keys:
                shown = ":".join(str(k) for k in key)
                raise ReferenceDataError(
                    f"{name} line {start}: column {columns[table.key[-1]].csv!r}: duplicate id {shown!r} "
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


def _accelerator(v: dict[str, Any]) -> Accelerator:
    plain = {k: x for k, x in v.items() if not k.startswith("peak.")}
    peaks = MappingProxyType({p: v[f"peak.{p}"] for p in PEAK_COLUMNS})
    return Accelerator(**plain, peak_tflops=peaks)


_YEAR_IN_TEXT = re.compile(r"(19|20)\d\d")


def _year_rank(label: str) -> int:
    """Numeric year found in a facility ``year`` label ("FY2024 ..." -> 2024); 0 when none."""
    m = _YEAR_IN_TEXT.search(label)
    return int(m.group(0)) if m else 0


def _newest(rows: Iterable[FacilityRow], column: str) -> FacilityFigure | None:
    best: FacilityRow | None = None
    for row in rows:
        if getattr(row, column) is None:
            continue
        if best is None or _year_rank(row.year) > _year_rank(best.year):
            best = row  # ties keep the earlier row in the file
    if best is None:
        return None
    return FacilityFigure(value=getattr(best, column), year=best.year, scope=best.scope, source=best.source)


def _facility_for(rows: list[FacilityRow], column: str, scopes: tuple[str, ...]) -> FacilityFigure | None:
    """Newest figure in the first scope (in preference order) that has one."""
    for scope in scopes:
        fig = _newest((r for r in rows if r.scope == scope), column)
        if fig is not None:
            return fig
    return None


def _region(v: dict[str, Any], facility_rows: list[FacilityRow]) -> Region:
    return Region(
        **v,
        pue=_facility_for(facility_rows, "pue", ("region", "tool_default_region")),
        wue=_facility_for(facility_rows, "wue_l_per_kwh", ("region", "tool_default_region")),
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
    #: Water consumed per kWh generated, by ISO2 country code.
    grid_water: Mapping[str, GridWater]
    #: The generation-weighted world figure, for sites without a known country.
    world_grid_water: GridWater
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

    instances = _index(parsed[INSTANCES], lambda v: Instance(**v), lambda i: i.id)
    for row in parsed[INSTANCES]:
        acc_id = row.values["accelerator_id"]
        if acc_id not in accelerators:
            raise ReferenceDataError(
                f"{INSTANCES} line {row.line}: column 'accelerator_id': unknown accelerator {acc_id!r} "
                f"(not an id in {ACCELERATORS})"
            )

    facility = [FacilityRow(**row.values) for row in parsed[FACILITY]]
    by_region: dict[tuple[str, str], list[FacilityRow]] = {}
    for figure in facility:
        if figure.region_id:
            by_region.setdefault((figure.provider, figure.region_id.lower()), []).append(figure)
    regions = MappingProxyType(
        {
            (r.values["provider"], r.values["id"]): _region(
                r.values, by_region.get((r.values["provider"], r.values["id"]), [])
            )
            for r in parsed[REGIONS]
        }
    )

    fleet_pue: dict[str, FacilityFigure] = {}
    fleet_wue: dict[str, FacilityFigure] = {}
    for provider in PROVIDERS:
        rows = [r for r in facility if r.provider == provider]
        pue = _facility_for(rows, "pue", ("fleet", "design"))
        if pue is not None:
            fleet_pue[provider] = pue
        wue = _facility_for(rows, "wue_l_per_kwh", ("fleet",))
        if wue is not None:
            fleet_wue[provider] = wue
    industry = _newest((r for r in facility if r.provider == "industry"), "pue")
    if industry is None:
        raise ReferenceDataError(f"{FACILITY}: no row with provider 'industry' and a pue value")
    fleet_pue["industry"] = industry

    countries: dict[str, Country] = {}
    world: Country | None = None
    for row in parsed[COUNTRIES]:
        c = Country(**row.values)
        if c.iso2 == WORLD:
            world = c
        else:
            countries[c.iso2] = c
    if world is None:
        raise ReferenceDataError(f"{COUNTRIES}: no row with iso2 'WORLD' (the global default)")

    models = _index(parsed[MODELS], lambda v: ModelPreset(**v), lambda m: m.id)
    embodied = _index(parsed[EMBODIED], lambda v: EmbodiedFigure(**v), lambda e: e.id)

    grid_water = {row.values["iso2"]: GridWater(**row.values) for row in parsed[GRID_WATER]}
    world_grid_water = grid_water.pop(WORLD, None)
    if world_grid_water is None:
        raise ReferenceDataError(f"{GRID_WATER}: no row with iso2 'WORLD' (the global default)")

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
        grid_water=MappingProxyType(grid_water),
        world_grid_water=world_grid_water,
        data_version=f"{DATA_RELEASE}-{digest.hexdigest()[:8]}",
    )
