"""Side-by-side comparison: each scenario's estimate with its delta against the first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..estimate import Estimate

MAX_SCENARIOS = 20

_METRICS = ("energy_kwh", "emissions_kgco2e", "water_l")


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    """One scenario: its estimate, or the problem that stopped it (a problem+json object)."""

    name: str
    estimate: Estimate | None = None
    problem: dict[str, Any] | None = None


def delta(first: Estimate, other: Estimate) -> dict[str, dict[str, float | None]]:
    """Central-value difference ``other - first`` per metric, absolute and in percent of ``first``.

    The percentage is None when ``first`` is 0, or so small beside ``other`` that the ratio is past the largest
    float (each scenario on its own is a valid estimate; their ratio need not be representable).
    """
    out: dict[str, dict[str, float | None]] = {}
    for metric in _METRICS:
        a = getattr(first.footprint, metric).value
        b = getattr(other.footprint, metric).value
        percent = 100.0 * (b - a) / a if a > 0 else None
        out[metric] = {
            "absolute": b - a,
            "percent": percent if percent is not None and math.isfinite(percent) else None,
        }
    return out


def compare(kind: str, outcomes: list[ScenarioOutcome], summary: bool = False) -> dict[str, Any]:
    """The compare body: scenarios in order, each with ``delta`` vs the first (null when either failed);
    ``summary`` leaves out the estimates' assumptions."""
    first = outcomes[0].estimate if outcomes else None
    scenarios = []
    for outcome in outcomes:
        scenarios.append(
            {
                "name": outcome.name,
                "estimate": None if outcome.estimate is None else outcome.estimate.as_dict(summary),
                "error": outcome.problem,
                "delta": None if first is None or outcome.estimate is None else delta(first, outcome.estimate),
            }
        )
    return {"kind": kind, "baseline": outcomes[0].name if outcomes else None, "scenarios": scenarios}
