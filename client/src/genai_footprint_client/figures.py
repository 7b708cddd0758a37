"""Typed views of an estimate's headline figures, for code and for the command line's tables.

The service answers ranges as ``{"value", "low", "high"}``. ``HEADLINE_FIGURES`` declares which figures a
person is shown, by their path in the answer; a figure the answer lacks (an older service, another kind of
workload, a compact answer) is left out, and one the answer holds as null (a market-based figure where no
market factor is known) is shown as unknown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeGuard

Side = Literal["value", "low", "high"]

_ABSENT: Final = object()


@dataclass(frozen=True)
class Range:
    """A figure with its uncertainty: the central ``value`` and the ``low``-``high`` interval around it."""

    value: float
    low: float
    high: float

    @classmethod
    def from_json(cls, data: Any) -> Range | None:
        """The range in ``data``, or None when ``data`` is null or not a range."""
        if not isinstance(data, Mapping):
            return None
        value, low, high = (data.get(side) for side in ("value", "low", "high"))
        if not (_is_number(value) and _is_number(low) and _is_number(high)):
            return None
        return cls(float(value), float(low), float(high))

    def side(self, side: Side) -> float:
        return {"value": self.value, "low": self.low, "high": self.high}[side]

    @property
    def collapsed(self) -> bool:
        """True when every input was known and the range is one number."""
        return self.low == self.value == self.high


@dataclass(frozen=True)
class Figure:
    """One figure of an answer: its dotted ``path``, a human ``label`` and its ``unit``."""

    path: str
    label: str
    unit: str


ENERGY: Final = Figure("energy_kwh", "Energy (facility)", "kWh")
EMISSIONS: Final = Figure("emissions_kgco2e", "Emissions, location-based", "kgCO2e")
WATER: Final = Figure("water_l", "Water, on-site", "L")

#: What the table output shows for an estimate, in order. Paths that an answer lacks are skipped.
HEADLINE_FIGURES: Final[tuple[Figure, ...]] = (
    ENERGY,
    EMISSIONS,
    Figure("breakdown.operational_kgco2e", "  operational", "kgCO2e"),
    Figure("breakdown.embodied_kgco2e", "  embodied", "kgCO2e"),
    Figure("market_based_emissions_kgco2e", "Emissions, market-based", "kgCO2e"),
    Figure("breakdown.market_based_operational_kgco2e", "  operational (Scope 2 market-based)", "kgCO2e"),
    WATER,
    Figure("breakdown.offsite_water_l", "Water, off-site (electricity)", "L"),
    Figure("compute.accelerator_hours", "Accelerator-hours", "h"),
    Figure("compute.duration_hours", "Duration per run", "h"),
    Figure("per_request.energy_wh", "Energy per request", "Wh"),
    Figure("per_request.emissions_gco2e", "Emissions per request", "gCO2e"),
    Figure("per_request.water_ml", "Water per request", "mL"),
    Figure("serving.latency_seconds", "Latency per request", "s"),
    Figure("serving.time_to_first_token_seconds", "Time to first token", "s"),
)

#: The figures a budget can be set on (``genai-footprint check --max-...``) and the option that sets each.
BUDGET_FIGURES: Final[tuple[tuple[str, Figure], ...]] = (
    ("max_kgco2e", EMISSIONS),
    ("max_kwh", ENERGY),
    ("max_water_l", WATER),
)


@dataclass(frozen=True)
class FigureValue:
    """A headline figure as found in one answer: a Range, a plain number, or None (the answer says null)."""

    figure: Figure
    value: Range | float | None


def lookup(answer: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` in ``answer``; raises KeyError when a step is missing."""
    node: Any = answer
    for step in path.split("."):
        if not isinstance(node, Mapping) or step not in node:
            raise KeyError(path)
        node = node[step]
    return node


def get_range(answer: Mapping[str, Any], path: str) -> Range | None:
    """The range at ``path`` (e.g. ``"emissions_kgco2e"``), or None when it is absent, null or not a range."""
    try:
        return Range.from_json(lookup(answer, path))
    except KeyError:
        return None


def headline(answer: Mapping[str, Any], figures: tuple[Figure, ...] = HEADLINE_FIGURES) -> list[FigureValue]:
    """The declared figures present in ``answer``, in order (absent ones skipped, null ones kept as None)."""
    found: list[FigureValue] = []
    for figure in figures:
        try:
            raw = lookup(answer, figure.path)
        except KeyError:
            continue
        if raw is None:
            found.append(FigureValue(figure, None))
        elif (as_range := Range.from_json(raw)) is not None:
            found.append(FigureValue(figure, as_range))
        elif _is_number(raw):
            found.append(FigureValue(figure, float(raw)))
    return found


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
