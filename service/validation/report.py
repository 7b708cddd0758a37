"""Run every published case through the HTTP API and summarise how close the service comes.

``python -m service.validation`` prints the table and summary; ``--write docs/validation.md`` also writes
them as Markdown (the file says it is generated). ``make validate`` does both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cases import BENCHMARK, CONVENTION, INFERENCE, PREDICTIVE, Check, build_checks, load_cases, not_modelled
from .crossval import cross_validated

ENDPOINTS = {
    "training": "/v1/estimates/training",
    "fine-tuning": "/v1/estimates/fine-tuning",
    "inference": "/v1/estimates/inference",
}

#: What the figures must reach (tests/validation asserts them on the cross-validated figures).
TARGETS = {
    "convention_within_2pct": 1.0,
    "training_coverage": 0.80,
    "training_median_abs_error": 0.25,
    "training_median_width": 3.0,
    "inference_coverage": 0.80,
    "inference_median_abs_error": 0.35,
    "inference_median_width": 4.0,
}


@dataclass(frozen=True)
class Row:
    check: Check
    value: float
    low: float
    high: float

    @property
    def error(self) -> float:
        """Signed relative error of the central value: estimate / published - 1."""
        return self.value / self.check.published - 1.0

    @property
    def inside(self) -> bool:
        return self.low * (1 - 1e-9) <= self.check.published <= self.high * (1 + 1e-9)

    @property
    def width(self) -> float:
        return self.high / self.low if self.low > 0 else float("inf")

    @property
    def passed(self) -> bool:
        if self.check.tolerance is not None:
            return abs(self.error) <= self.check.tolerance
        return self.inside


def _client():
    from service import create_app

    return create_app({"access_log": False, "log_level": "ERROR"}).test_client()


def run(checks: list[Check] | None = None, client=None) -> list[Row]:
    """POST each check's request to the API (Flask test client) and read the compared figure."""
    client = client or _client()
    rows = []
    for check in checks if checks is not None else build_checks():
        response = client.post(ENDPOINTS[check.endpoint], json=check.body)
        if response.status_code != 200:
            raise RuntimeError(f"{check.id}: HTTP {response.status_code}: {response.get_data(as_text=True)[:500]}")
        figure = check.read(response.get_json())
        rows.append(Row(check, figure["value"], figure["low"], figure["high"]))
    return rows


def run_cross_validated(checks: list[Check], cases: list[dict[str, Any]], client=None) -> list[Row]:
    """The predictive, benchmark and inference checks answered by services fitted without each check's
    organisation (inference: campaign)."""
    client = client or _client()
    return cross_validated(checks, cases, lambda check: run([check], client)[0])


# -- figures ------------------------------------------------------------------------------------------------

#: Families of checks whose figures the summary reports, by group and the start of the compared quantity.
FAMILIES = {
    "hours from size x tokens": (PREDICTIVE, "accelerator-hours (from size x tokens)"),
    "hours from published FLOPs": (PREDICTIVE, "accelerator-hours (from FLOPs)"),
    "energy, measured power withheld": (PREDICTIVE, ""),
    "MLPerf timed runs (hours)": (BENCHMARK, "accelerator-hours"),
}


#: Inference families: campaigns the serving model is fitted to (GPU energy), a GPU-measured campaign on an
#: older engine it only predicts, and node-level measurements it never sees (IT energy with the host modelled).
INFERENCE_FAMILIES = {
    "fitted campaigns (GPU energy per request)": "fitted",
    "older engine, predicted, not fitted (GPU energy per request)": "predicted",
    "whole servers and nodes, never fitted (IT energy per request)": "node",
}


def _inference_kind(check: Check) -> str:
    if check.extra.get("fit_scope") != "accelerators":
        return "node"
    return "fitted" if check.extra.get("fitted") else "predicted"


def inference_family(rows: list[Row], name: str) -> list[Row]:
    kind = INFERENCE_FAMILIES[name]
    return [r for r in rows if r.check.group == INFERENCE and _inference_kind(r.check) == kind]


def family(rows: list[Row], name: str) -> list[Row]:
    group, prefix = FAMILIES[name]
    selected = [r for r in rows if r.check.group == group]
    if prefix:
        return [r for r in selected if r.check.quantity.startswith(prefix)]
    return [r for r in selected if not r.check.quantity.startswith("accelerator-hours")]


@dataclass(frozen=True)
class Figures:
    checks: int
    coverage: float
    median_abs_error: float
    median_width: float

    @classmethod
    def of(cls, rows: list[Row]) -> Figures:
        nan = float("nan")
        return cls(
            checks=len(rows),
            coverage=sum(r.inside for r in rows) / len(rows) if rows else nan,
            median_abs_error=statistics.median(abs(r.error) for r in rows) if rows else nan,
            median_width=statistics.median(r.width for r in rows) if rows else nan,
        )

    def meets(self, coverage: float, error: float, width: float) -> bool:
        return self.coverage >= coverage and self.median_abs_error <= error and self.median_width <= width


def summary(rows: list[Row], cv_rows: list[Row] | None = None) -> dict[str, Any]:
    conv = [r for r in rows if r.check.group == CONVENTION]
    predictive = [r for r in rows if r.check.group == PREDICTIVE]
    out: dict[str, Any] = {
        "convention_checks": len(conv),
        "convention_within_2pct": sum(r.passed for r in conv) / len(conv) if conv else float("nan"),
        "convention_max_abs_error": max((abs(r.error) for r in conv), default=float("nan")),
        "predictive": Figures.of(predictive),
        "inference": Figures.of([r for r in rows if r.check.group == INFERENCE]),
        "families": {name: Figures.of(family(rows, name)) for name in FAMILIES},
        "inference_families": {name: Figures.of(inference_family(rows, name)) for name in INFERENCE_FAMILIES},
    }
    if cv_rows is not None:
        out["cv_predictive"] = Figures.of([r for r in cv_rows if r.check.group == PREDICTIVE])
        out["cv_families"] = {name: Figures.of(family(cv_rows, name)) for name in FAMILIES}
        out["cv_inference"] = Figures.of([r for r in cv_rows if r.check.group == INFERENCE])
        out["cv_inference_families"] = {
            name: Figures.of(inference_family(cv_rows, name)) for name in INFERENCE_FAMILIES
        }
    return out


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e6 or a < 1e-3:
        return f"{x:.3e}"
    if a >= 100:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _inside_cell(r: Row) -> str:
    if r.check.tolerance is not None:
        return "within 2%" if r.passed else "OFF by > 2%"
    return "yes" if r.inside else "no"


HEADER = ("case", "compared", "published", "estimate", "low", "high", "error %", "inside")
CV_HEADER = (*HEADER, "held out: estimate", "low", "high", "error %", "inside")


def table_rows(rows: list[Row], cv: dict[str, Row] | None = None) -> list[tuple[str, ...]]:
    out = []
    for r in rows:
        cells: tuple[str, ...] = (
            r.check.case_id,
            r.check.quantity,
            _fmt(r.check.published),
            _fmt(r.value),
            _fmt(r.low),
            _fmt(r.high),
            f"{100 * r.error:+.1f}",
            _inside_cell(r),
        )
        if cv is not None:
            h = cv[r.check.id]
            cells += (_fmt(h.value), _fmt(h.low), _fmt(h.high), f"{100 * h.error:+.1f}", _inside_cell(h))
        out.append(cells)
    return out


def _figures_line(name: str, f: Figures, targets: tuple[float, float, float] | None) -> str:
    text = (
        f"{name}: {f.checks} checks, coverage {100 * f.coverage:.0f}%, median absolute error "
        f"{100 * f.median_abs_error:.1f}%, median high/low {f.median_width:.2f}"
    )
    if targets is not None:
        coverage, error, width = targets
        verdict = "met" if f.meets(coverage, error, width) else "NOT met"
        text += f" (targets >= {100 * coverage:.0f}%, <= {100 * error:.0f}%, <= {width:g}: {verdict})"
    return text + "."


def summary_lines(s: dict[str, Any]) -> list[str]:
    t = TARGETS
    lines = [
        f"Convention cases: {s['convention_checks']} checks, {100 * s['convention_within_2pct']:.0f}% within 2% "
        f"(largest error {100 * s['convention_max_abs_error']:.2f}%); target 100%: "
        f"{'met' if s['convention_within_2pct'] >= t['convention_within_2pct'] else 'NOT met'}."
    ]
    training_targets = (t["training_coverage"], t["training_median_abs_error"], t["training_median_width"])
    if "cv_predictive" in s:
        lines.append(
            _figures_line(
                "Predictive training and fine-tuning checks, cross-validated (each organisation held out)",
                s["cv_predictive"],
                training_targets,
            )
        )
        lines += ["  " + _figures_line(f"cross-validated, {name}", f, None) for name, f in s["cv_families"].items()]
    lines.append(
        _figures_line("Predictive training and fine-tuning checks, in sample", s["predictive"], training_targets)
    )
    lines += ["  " + _figures_line(f"in sample, {name}", f, None) for name, f in s["families"].items()]
    inference_targets = (t["inference_coverage"], t["inference_median_abs_error"], t["inference_median_width"])
    if "cv_inference" in s:
        lines.append(
            _figures_line(
                "Inference checks, cross-validated (each campaign held out)", s["cv_inference"], inference_targets
            )
        )
        lines += [
            "  " + _figures_line(f"cross-validated, {name}", f, None) for name, f in s["cv_inference_families"].items()
        ]
    lines.append(_figures_line("Inference checks, in sample", s["inference"], inference_targets))
    lines += ["  " + _figures_line(f"in sample, {name}", f, None) for name, f in s["inference_families"].items()]
    return lines


GROUP_TITLES = {
    CONVENTION: "Convention cases (all inputs published; target: within 2%)",
    PREDICTIVE: "Predictive training and fine-tuning cases (measured power or hours withheld)",
    BENCHMARK: "MLPerf Training timed runs (steady state; not whole jobs: reported, not a target)",
    INFERENCE: "Inference: measured energy per request (GPU, server or node)",
}


def render_text(rows: list[Row], cv_rows: list[Row] | None = None) -> str:
    out = []
    cv = {r.check.id: r for r in cv_rows} if cv_rows is not None else None
    for group in (CONVENTION, PREDICTIVE, BENCHMARK, INFERENCE):
        chosen = [r for r in rows if r.check.group == group]
        with_cv = cv if group in (PREDICTIVE, BENCHMARK, INFERENCE) else None
        body = table_rows(chosen, with_cv)
        header = CV_HEADER if with_cv is not None else HEADER
        widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
        out.append(GROUP_TITLES[group])
        out.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        out.extend("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body)
        out.append("")
    out.append("Summary")
    out.extend("- " + line for line in summary_lines(summary(rows, cv_rows)))
    return "\n".join(out) + "\n"


def _organisation_rows(
    cv_rows: list[Row], cases: list[dict[str, Any]], group: str = PREDICTIVE, label: str = "organisation"
) -> list[str]:
    by_id = {c["id"]: c for c in cases}
    groups: dict[str, list[Row]] = {}
    for r in cv_rows:
        if r.check.group == group:
            groups.setdefault(by_id[r.check.case_id]["cv_group"], []).append(r)
    lines = [f"| {label} | checks | coverage | median abs. error | median high/low |", "|---|---|---|---|---|"]
    for name, selected in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        f = Figures.of(selected)
        cells = (
            name,
            str(f.checks),
            f"{100 * f.coverage:.0f}%",
            f"{100 * f.median_abs_error:.1f}%",
            f"{f.median_width:.2f}",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_markdown(rows: list[Row], cv_rows: list[Row], cases: list[dict[str, Any]], skipped: dict[str, str]) -> str:
    out = [
        "# Validation against published measurements",
        "",
        "<!-- Generated by `make validate` (python -m service.validation --write docs/validation.md). "
        "Do not edit by hand: tests/validation checks that this file matches a fresh run. -->",
        "",
        "_This document is generated by `make validate`; every number below comes from the service's HTTP API "
        "called with the inputs each source publishes (cases and sources: `tests/validation/published-cases.json`; "
        "mapping of each case to a request: `service/validation/cases.py`). Methodology and calibration: "
        "[methodology.md](methodology.md)._",
        "",
        "Error % is estimate / published - 1 for the central value; *inside* says whether the published figure "
        "lies in the estimate's [low, high]. *In sample* answers come from the shipped service, fitted to every "
        "case; *held out* answers come from the same service fitted without the case's organisation (inference: "
        "its measurement campaign; campaigns the serving model is never fitted to are answered by the shipped "
        "service) (`service/validation/crossval.py`): they are what the service would say about measurements it "
        "has never seen.",
        "",
        "## Summary",
        "",
    ]
    out.extend("- " + line for line in summary_lines(summary(rows, cv_rows)))
    out += ["", "## Cross-validated, per organisation (predictive checks, organisation held out)", ""]
    out += _organisation_rows(cv_rows, cases)
    out += ["", "## Cross-validated, per campaign (inference checks, campaign held out)", ""]
    out += _organisation_rows(cv_rows, cases, INFERENCE, "campaign")
    out.append("")
    cv = {r.check.id: r for r in cv_rows}
    for group in (CONVENTION, PREDICTIVE, BENCHMARK, INFERENCE):
        chosen = [r for r in rows if r.check.group == group]
        with_cv = cv if group in (PREDICTIVE, BENCHMARK, INFERENCE) else None
        header = CV_HEADER if with_cv is not None else HEADER
        out.append(f"## {GROUP_TITLES[group]}")
        out.append("")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---" for _ in header) + "|")
        for cells in table_rows(chosen, with_cv):
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        out.append("Scope of each comparison:")
        out.append("")
        scopes: dict[str, list[str]] = {}
        for r in chosen:
            ids = scopes.setdefault(r.check.scope, [])
            if r.check.case_id not in ids:
                ids.append(r.check.case_id)
        for scope, ids in scopes.items():
            out.append(f"- {scope}: {', '.join(ids)}")
        out.append("")
    out += ["## Published cases not checked", ""]
    out += [f"- {case_id}: {reason}" for case_id, reason in skipped.items()]
    out += ["", "## Sources", ""]
    sources: dict[str, list[str]] = {}
    for r in rows:
        ids = sources.setdefault(r.check.source, [])
        if r.check.case_id not in ids:
            ids.append(r.check.case_id)
    for source, ids in sources.items():
        out.append(f"- {', '.join(ids)}: {source}")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="also write the Markdown report to this path")
    args = parser.parse_args(argv)
    cases = load_cases()
    checks = build_checks(cases)
    client = _client()
    rows = run(checks, client)
    cv_rows = run_cross_validated(checks, cases, client)
    sys.stdout.write(render_text(rows, cv_rows))
    if args.write is not None:
        args.write.write_text(render_markdown(rows, cv_rows, cases, not_modelled(cases)), encoding="utf-8")
        sys.stdout.write(f"\nwrote {args.write}\n")
    return 0
