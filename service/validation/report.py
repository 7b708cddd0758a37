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

from .cases import CONVENTION, INFERENCE, PREDICTIVE, Check, build_checks

ENDPOINTS = {
    "training": "/v1/estimates/training",
    "fine-tuning": "/v1/estimates/fine-tuning",
    "inference": "/v1/estimates/inference",
}

#: Targets of issue 3 on the project's own cases.
TARGETS = {
    "convention_within_2pct": 1.0,
    "predictive_coverage": 0.80,
    "predictive_median_abs_error": 0.30,
    "predictive_median_width": 4.0,
    "inference_median_abs_error": 0.50,
    "inference_coverage": 0.70,
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


def summary(rows: list[Row]) -> dict[str, Any]:
    def group(name):
        return [r for r in rows if r.check.group == name]

    conv, pred, inf = group(CONVENTION), group(PREDICTIVE), group(INFERENCE)

    def med(values):
        return statistics.median(values) if values else float("nan")

    def share(values):
        return sum(values) / len(values) if values else float("nan")

    return {
        "convention_checks": len(conv),
        "convention_within_2pct": share([r.passed for r in conv]),
        "convention_max_abs_error": max((abs(r.error) for r in conv), default=float("nan")),
        "predictive_checks": len(pred),
        "predictive_coverage": share([r.inside for r in pred]),
        "predictive_median_abs_error": med([abs(r.error) for r in pred]),
        "predictive_median_width": med([r.width for r in pred]),
        "inference_checks": len(inf),
        "inference_coverage": share([r.inside for r in inf]),
        "inference_median_abs_error": med([abs(r.error) for r in inf]),
        "inference_median_width": med([r.width for r in inf]),
    }


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


def table_rows(rows: list[Row]) -> list[tuple[str, ...]]:
    return [
        (
            r.check.case_id,
            r.check.quantity,
            _fmt(r.check.published),
            _fmt(r.value),
            _fmt(r.low),
            _fmt(r.high),
            f"{100 * r.error:+.1f}",
            _inside_cell(r),
        )
        for r in rows
    ]


def summary_lines(s: dict[str, Any]) -> list[str]:
    t = TARGETS

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    return [
        f"Convention cases: {s['convention_checks']} checks, {100 * s['convention_within_2pct']:.0f}% within 2% "
        f"(largest error {100 * s['convention_max_abs_error']:.2f}%); target 100%: "
        f"{met(s['convention_within_2pct'] >= t['convention_within_2pct'])}.",
        f"Predictive training cases: {s['predictive_checks']} checks, coverage {100 * s['predictive_coverage']:.0f}% "
        f"(target >= 80%: {met(s['predictive_coverage'] >= t['predictive_coverage'])}), median absolute error "
        f"{100 * s['predictive_median_abs_error']:.1f}% (target <= 30%: "
        f"{met(s['predictive_median_abs_error'] <= t['predictive_median_abs_error'])}), median high/low "
        f"{s['predictive_median_width']:.2f} (target <= 4: "
        f"{met(s['predictive_median_width'] <= t['predictive_median_width'])}).",
        f"Inference cases with measured energy: {s['inference_checks']} checks, coverage "
        f"{100 * s['inference_coverage']:.0f}% (target >= 70%: "
        f"{met(s['inference_coverage'] >= t['inference_coverage'])}), "
        f"median absolute error {100 * s['inference_median_abs_error']:.1f}% (target <= 50%: "
        f"{met(s['inference_median_abs_error'] <= t['inference_median_abs_error'])}), median high/low "
        f"{s['inference_median_width']:.2f}.",
    ]


GROUP_TITLES = {
    CONVENTION: "Convention cases (all inputs published; target: within 2%)",
    PREDICTIVE: "Predictive training and fine-tuning cases (measured power or hours withheld)",
    INFERENCE: "Inference cases with measured energy",
}


def render_text(rows: list[Row]) -> str:
    out = []
    for group in (CONVENTION, PREDICTIVE, INFERENCE):
        body = table_rows([r for r in rows if r.check.group == group])
        widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(HEADER)]
        out.append(GROUP_TITLES[group])
        out.append("  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)))
        out.extend("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body)
        out.append("")
    out.append("Summary")
    out.extend("- " + line for line in summary_lines(summary(rows)))
    return "\n".join(out) + "\n"


def render_markdown(rows: list[Row]) -> str:
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
        "lies in the estimate's [low, high].",
        "",
        "## Summary",
        "",
    ]
    out.extend("- " + line for line in summary_lines(summary(rows)))
    out.append("")
    for group in (CONVENTION, PREDICTIVE, INFERENCE):
        out.append(f"## {GROUP_TITLES[group]}")
        out.append("")
        out.append("| " + " | ".join(HEADER) + " |")
        out.append("|" + "|".join("---" for _ in HEADER) + "|")
        for cells in table_rows([r for r in rows if r.check.group == group]):
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        out.append("Scope of each comparison:")
        out.append("")
        seen = []
        for r in rows:
            if r.check.group == group and (r.check.case_id, r.check.scope) not in seen:
                seen.append((r.check.case_id, r.check.scope))
        scopes: dict[str, list[str]] = {}
        for case_id, scope in seen:
            scopes.setdefault(scope, []).append(case_id)
        for scope, ids in scopes.items():
            out.append(f"- {scope}: {', '.join(ids)}")
        out.append("")
    out.append("## Sources")
    out.append("")
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
    rows = run()
    sys.stdout.write(render_text(rows))
    if args.write is not None:
        args.write.write_text(render_markdown(rows), encoding="utf-8")
        sys.stdout.write(f"\nwrote {args.write}\n")
    return 0
