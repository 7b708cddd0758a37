"""Rendering answers for people (aligned tables) and machines (CSV rows), driven by the declared figures."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Final

from .errors import ProblemError
from .figures import EMISSIONS, ENERGY, WATER, FigureValue, Range, get_range, headline

Cell = str | float | int | None

#: Columns of the catalog tables, by catalog: (path in the item, heading). Missing fields show empty.
CATALOG_COLUMNS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "accelerators": (
        ("id", "id"),
        ("vendor", "vendor"),
        ("memory_gb", "memory GB"),
        ("tdp_w", "TDP W"),
        ("launch_year", "launched"),
    ),
    "instances": (
        ("id", "id"),
        ("provider", "provider"),
        ("accelerator_id", "accelerator"),
        ("accelerator_count", "count"),
        ("vcpus", "vCPUs"),
    ),
    "regions": (
        ("provider", "provider"),
        ("id", "id"),
        ("country_iso2", "country"),
        ("grid_ci_gco2e_per_kwh", "gCO2e/kWh"),
        ("pue.value", "PUE"),
        ("wue.value", "WUE L/kWh"),
    ),
    "models": (
        ("id", "id"),
        ("parameters_billion", "params B"),
        ("active_parameters_billion", "active B"),
        ("training_tokens_billion", "tokens B"),
    ),
}


def number(x: float) -> str:
    """A figure for people: thousands separated from 100 up, three significant digits below."""
    if x == 0:
        return "0"
    if 100 <= abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def range_text(value: Range | float | None) -> str:
    """``1,234 (1,000-1,500)``; one number when the range has collapsed; ``unknown`` for null."""
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return number(value)
    if value.collapsed:
        return number(value.value)
    return f"{number(value.value)} ({number(value.low)}-{number(value.high)})"


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """Columns padded to their widest cell; a column of figures right-aligned, any other left-aligned."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    right = [
        all(_figure_like(row[i]) for row in cells if row[i]) and any(row[i] for row in cells)
        for i in range(len(headers))
    ]
    lines = ["  ".join(_pad(h, w, r) for h, w, r in zip(headers, widths, right, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(_pad(c, w, r) for c, w, r in zip(row, widths, right, strict=True)).rstrip())
    return "\n".join(lines)


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if c is None else (repr(c) if isinstance(c, float) else c) for c in row])
    return out.getvalue()


def colour_enabled(stream: IO[str]) -> bool:
    """ANSI colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def warning_lines(warnings: Any, colour: bool) -> list[str]:
    lines = []
    for warning in warnings if isinstance(warnings, list) else []:
        if isinstance(warning, Mapping):
            text = f"! {warning.get('code', 'warning')}: {warning.get('message', '')}"
        else:
            text = f"! {warning}"
        lines.append(f"\033[1;33m{text}\033[0m" if colour else text)
    return lines


# Estimates


def estimate_table(answer: Mapping[str, Any], colour: bool = False) -> str:
    versions = _mapping(answer.get("versions"))
    title = f"{answer.get('kind', '')} estimate".strip()
    about = ", ".join(f"{k} {v}" for k, v in versions.items())
    rows = [(fv.figure.label, *_range_cells(fv.value), fv.figure.unit) for fv in headline(answer)]
    parts = [title + (f" ({about})" if about else ""), table(("figure", "value", "low", "high", "unit"), rows)]
    warnings = warning_lines(answer.get("warnings"), colour)
    if warnings:
        parts.append("warnings:\n" + "\n".join("  " + line for line in warnings))
    return "\n".join(parts)


def estimate_csv(answer: Mapping[str, Any]) -> str:
    return csv_text(("figure", "unit", "value", "low", "high"), (_figure_row(fv) for fv in headline(answer)))


def _figure_row(fv: FigureValue) -> tuple[Cell, ...]:
    return (fv.figure.path, fv.figure.unit, *_range_numbers(fv.value))


# Batches


def batch_table(answer: Mapping[str, Any], colour: bool = False) -> str:
    rows = []
    notes = []
    for item in _list(answer.get("items")):
        result = item.get("result") if isinstance(item.get("result"), Mapping) else None
        if result is None:
            rows.append((item.get("id"), "", item.get("status"), *([""] * 3)))
            notes.append(f"{item.get('id')}: {problem_text(item.get('problem'))}")
            continue
        rows.append(
            (
                item.get("id"),
                result.get("kind"),
                item.get("status"),
                *(range_text(get_range(result, f.path)) for f in (EMISSIONS, ENERGY, WATER)),
            )
        )
        notes.extend(f"{item.get('id')}: {line}" for line in warning_lines(result.get("warnings"), colour))
    headers = ("id", "kind", "status", *(f"{f.path.split('_')[0]} {f.unit}" for f in (EMISSIONS, ENERGY, WATER)))
    return "\n".join([table(headers, rows), *notes])


def batch_csv(answer: Mapping[str, Any]) -> str:
    rows: list[tuple[Cell, ...]] = []
    for item in _list(answer.get("items")):
        result = item.get("result")
        if not isinstance(result, Mapping):
            rows.append((item.get("id"), "", item.get("status"), "", "", "", "", "", problem_text(item.get("problem"))))
            continue
        for fv in headline(result):
            rows.append((item.get("id"), result.get("kind"), item.get("status"), *_figure_row(fv), ""))
    return csv_text(("id", "kind", "status", "figure", "unit", "value", "low", "high", "error"), rows)


# Comparisons


def compare_table(answer: Mapping[str, Any], colour: bool = False) -> str:
    rows: list[list[Cell]] = []
    notes = []
    for scenario in _list(answer.get("scenarios")):
        estimate = scenario.get("estimate") if isinstance(scenario.get("estimate"), Mapping) else None
        if estimate is None:
            rows.append([scenario.get("name"), *([""] * 6)])
            notes.append(f"{scenario.get('name')}: {problem_text(scenario.get('error'))}")
            continue
        delta = _mapping(scenario.get("delta"))
        cells: list[Cell] = [scenario.get("name")]
        for figure in (EMISSIONS, ENERGY, WATER):
            cells += [range_text(get_range(estimate, figure.path)), _percent(delta.get(figure.path))]
        rows.append(cells)
        notes.extend(f"{scenario.get('name')}: {line}" for line in warning_lines(estimate.get("warnings"), colour))
    headers = ["scenario"]
    for figure in (EMISSIONS, ENERGY, WATER):
        headers += [f"{figure.path.split('_')[0]} {figure.unit}", "vs first"]
    title = f"{answer.get('kind', '')} scenarios, deltas against {answer.get('baseline', 'the first')}"
    return "\n".join([title, table(headers, rows), *notes])


def compare_csv(answer: Mapping[str, Any]) -> str:
    rows: list[tuple[Cell, ...]] = []
    for scenario in _list(answer.get("scenarios")):
        estimate = scenario.get("estimate")
        if not isinstance(estimate, Mapping):
            rows.append((scenario.get("name"), "", "", "", "", "", "", "", problem_text(scenario.get("error"))))
            continue
        delta = _mapping(scenario.get("delta"))
        for fv in headline(estimate):
            change = _mapping(delta.get(fv.figure.path))
            rows.append((scenario.get("name"), *_figure_row(fv), change.get("absolute"), change.get("percent"), ""))
    headers = ("scenario", "figure", "unit", "value", "low", "high", "delta_absolute", "delta_percent", "error")
    return csv_text(headers, rows)


# Recommendations

_SAVINGS: Final = (
    ("emissions_kgco2e", "kgCO2e"),
    ("energy_kwh", "kWh"),
    ("water_l", "L"),
)


def recommend_table(answer: Mapping[str, Any], colour: bool = False) -> str:
    baseline = _mapping(answer.get("baseline"))
    parts = [
        f"baseline: {range_text(get_range(baseline, EMISSIONS.path))} kgCO2e, "
        f"{range_text(get_range(baseline, ENERGY.path))} kWh, {range_text(get_range(baseline, WATER.path))} L"
    ]
    parts += warning_lines(baseline.get("warnings"), colour)
    rows = []
    for rank, rec in enumerate(_list(answer.get("recommendations")), 1):
        savings = _mapping(rec.get("savings"))
        percent = savings.get("emissions_percent")
        rows.append(
            (
                rank,
                rec.get("code"),
                rec.get("variant"),
                range_text(get_range(savings, "emissions_kgco2e")),
                f"{number(percent)} %" if isinstance(percent, int | float) else "",
                rec.get("title"),
            )
        )
    if rows:
        parts.append(table(("#", "code", "variant", "saves kgCO2e", "saves", "change"), rows))
    else:
        parts.append("no change found that lowers emissions")
    notes = _list(answer.get("notes"))
    if notes:
        parts.append(f"{len(notes)} candidate(s) not proposed; --json shows each with its reason")
    return "\n".join(parts)


def recommend_csv(answer: Mapping[str, Any]) -> str:
    headers = ["code", "variant", "title", "evidence", "emissions_percent"]
    for key, _unit in _SAVINGS:
        headers += [f"saved_{key}", f"saved_{key}_low", f"saved_{key}_high"]
    rows = []
    for rec in _list(answer.get("recommendations")):
        savings = _mapping(rec.get("savings"))
        cells: list[Cell] = [
            rec.get("code"),
            rec.get("variant"),
            rec.get("title"),
            rec.get("evidence"),
            savings.get("emissions_percent"),
        ]
        for key, _unit in _SAVINGS:
            cells += _range_numbers(get_range(savings, key))
        rows.append(cells)
    return csv_text(headers, rows)


# Catalog


def catalog_table(name: str, answer: Mapping[str, Any]) -> str:
    if "items" not in answer:  # one entry: every scalar field, one per line
        return table(("field", "value"), [(k, _scalar_text(v)) for k, v in flatten(answer).items()])
    columns = CATALOG_COLUMNS.get(name, (("id", "id"),))
    rows = []
    for item in _list(answer.get("items")):
        flat = flatten(item)
        rows.append([_scalar_text(flat.get(path)) for path, _heading in columns])
    return "\n".join([table([heading for _path, heading in columns], rows), f"{len(rows)} {name}"])


def catalog_csv(answer: Mapping[str, Any]) -> str:
    items = _list(answer.get("items")) if "items" in answer else [answer]
    flats = [flatten(item) for item in items]
    headers = list(dict.fromkeys(key for flat in flats for key in flat))
    # A field that is null in some items and an object in others: keep only its dotted columns.
    headers = [
        h
        for h in headers
        if not (all(flat.get(h) is None for flat in flats) and any(k.startswith(h + ".") for k in headers))
    ]
    return csv_text(headers, ([flat.get(h) for h in headers] for flat in flats))


def flatten(node: Mapping[str, Any], prefix: str = "") -> dict[str, Cell]:
    """Nested objects as dotted keys; lists as compact JSON; so that one item fits one CSV row."""
    flat: dict[str, Cell] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, path + "."))
        elif isinstance(value, list | Mapping):
            flat[path] = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            flat[path] = "true" if value else "false"
        else:
            flat[path] = value
    return flat


# Problems


def problem_text(problem: Any) -> str:
    if not isinstance(problem, Mapping):
        return "failed"
    error = ProblemError(problem, status=int(problem.get("status") or 0))
    return "; ".join(line.strip() for line in problem_lines(error))


def problem_lines(error: ProblemError) -> list[str]:
    """The problem for a person: status and title, the detail, each field path, suggestions, the request id."""
    lines = [f"{error.status} {error.title}" + (f": {error.detail}" if error.detail else "")]
    for path, messages in error.errors.items():
        lines.extend(f"  {path}: {message}" for message in messages)
    if error.errors_omitted:
        lines.append(f"  ... and {error.errors_omitted} more field path(s) not listed by the service")
    if error.suggestions:
        lines.append("  did you mean: " + ", ".join(error.suggestions))
    if error.request_id:
        lines.append(f"  request id: {error.request_id}")
    return lines


# Helpers


def _range_cells(value: Range | float | None) -> tuple[str, str, str]:
    if value is None:
        return ("unknown", "", "")
    if isinstance(value, float):
        return (number(value), "", "")
    return (number(value.value), number(value.low), number(value.high))


def _range_numbers(value: Range | float | None) -> tuple[Cell, Cell, Cell]:
    if value is None:
        return (None, None, None)
    if isinstance(value, float):
        return (value, None, None)
    return (value.value, value.low, value.high)


def _percent(delta: Any) -> str:
    if not isinstance(delta, Mapping):
        return ""
    percent = delta.get("percent")
    if not isinstance(percent, int | float) or isinstance(percent, bool):
        return "n/a"
    return f"{'+' if percent > 0 else ''}{number(percent)} %"


def _scalar_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return number(float(value)) if isinstance(value, float) else str(value)
    return str(value)


def _cell(value: Cell) -> str:
    return _scalar_text(value) if not isinstance(value, str) else value


def _figure_like(text: str) -> bool:
    """A number as ``number`` and ``range_text`` write it (``1,234``, ``+5 %``, ``12 (10-15)``, ``unknown``)."""
    return text == "unknown" or text.lstrip("+-")[:1].isdigit()


def _pad(text: str, width: int, right: bool) -> str:
    return text.rjust(width) if right else text.ljust(width)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
