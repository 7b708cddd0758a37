"""Plain data for recommendations and comparisons: what the caller allows, what the engine found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..defaults import ACCELERATORS_PER_SERVER
from ..estimate import Estimate
from ..inputs import HardwareSpec
from ..ranges import Range, finite

#: Every saving this service reports is computed by its own estimation engine.
ENGINE = "engine"
#: Reserved for a saving that rests only on a vendor's claim (never mixed into engine figures; none today).
VENDOR_CLAIM = "vendor-claim"

#: Mean utilisation that right-sized dedicated capacity is planned for, leaving headroom for peaks.
#: A planning policy, not a measured fact: callers set ``constraints.target_utilisation``.
DEFAULT_TARGET_UTILISATION = 0.6

#: Training and fine-tuning changes may lengthen a run's wall-clock time by at most this factor unless the caller
#: allows more: a change that turns a three-month run into five is not one a team can act on.
DEFAULT_MAX_DURATION_FACTOR = 1.5
#: Jobs on more accelerators than one server span several nodes and need a scale-out interconnect.
ONE_SERVER_ACCELERATORS = ACCELERATORS_PER_SERVER


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a recommendation may change. ``None`` lists mean "no restriction"."""

    providers: tuple[str, ...] | None = None
    countries: tuple[str, ...] | None = None
    #: "provider:region" or a bare region id (any provider).
    regions: tuple[str, ...] | None = None
    accelerators: tuple[str, ...] | None = None
    exclude_accelerators: tuple[str, ...] = ()
    keep_model: bool = False
    keep_precision: bool = False
    #: Inference: ceiling on ``serving.latency_seconds`` (central value: arrival to last token), seconds.
    max_latency_seconds_per_request: float | None = None
    target_utilisation: float = DEFAULT_TARGET_UTILISATION
    #: Training and fine-tuning: longest accepted wall-clock duration of a changed run, as a multiple of today's.
    max_duration_factor: float = DEFAULT_MAX_DURATION_FACTOR


#: Retrieved tokens per request when not given: Lewis et al. 2020 (RAG, arXiv:2005.11401) retrieve
#: 5-10 passages of 100 words, about 650-1,300 tokens; 1,000 is used.
DEFAULT_RETRIEVED_TOKENS = 1000.0


@dataclass(frozen=True, slots=True)
class RagComparison:
    """How the fine-tuned model would be used, so that RAG on the base model can be compared with it."""

    expected_requests: float
    input_tokens_per_request: float | None = None
    output_tokens_per_request: float | None = None
    retrieved_tokens_per_request: float = DEFAULT_RETRIEVED_TOKENS
    embedding_parameters_billion: float | None = None
    corpus_tokens_billion: float | None = None
    hardware: HardwareSpec | None = None


def finite_json(value: Any) -> None:
    """Check every float in a small JSON value (a change, a comparison): ``NonFiniteFigureError`` if one is not
    finite. With the estimates and ranges checked where they are made, a recommendations answer is finite by
    construction and is encoded without a second pass."""
    if type(value) is float:
        finite(value)
    elif isinstance(value, dict):
        for item in value.values():
            finite_json(item)
    elif isinstance(value, list | tuple):
        for item in value:
            finite_json(item)


@dataclass(frozen=True, slots=True)
class Savings:
    emissions_kgco2e: Range
    energy_kwh: Range
    water_l: Range
    emissions_percent: float

    def __post_init__(self) -> None:
        finite(self.emissions_percent)

    def as_dict(self) -> dict[str, Any]:
        return {
            "emissions_kgco2e": self.emissions_kgco2e.as_dict(),
            "energy_kwh": self.energy_kwh.as_dict(),
            "water_l": self.water_l.as_dict(),
            "emissions_percent": self.emissions_percent,
        }


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another acceptable option of the same code (e.g. the next-cleanest regions)."""

    label: str
    change: dict[str, Any]
    emissions_kgco2e: Range
    energy_kwh: Range

    def __post_init__(self) -> None:
        finite_json(self.change)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "change": self.change,
            "emissions_kgco2e": self.emissions_kgco2e.as_dict(),
            "energy_kwh": self.energy_kwh.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    code: str
    variant: str
    title: str
    rationale: str
    change: dict[str, Any]
    estimate: Estimate
    savings: Savings
    tradeoffs: list[str]
    sources: list[str]
    evidence: str = ENGINE
    alternatives: list[Alternative] = field(default_factory=list)
    comparison: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        finite_json(self.change)
        finite_json(self.comparison)

    def as_dict(self, summary: bool = False) -> dict[str, Any]:
        """The JSON shape; ``summary`` leaves out the sources and the estimate's assumptions."""
        body: dict[str, Any] = {
            "code": self.code,
            "variant": self.variant,
            "title": self.title,
            "rationale": self.rationale,
            "change": self.change,
            "estimate": self.estimate.as_dict(summary),
            "savings": self.savings.as_dict(),
            "evidence": self.evidence,
            "tradeoffs": list(self.tradeoffs),
            **({} if summary else {"sources": list(self.sources)}),
            "alternatives": [a.as_dict() for a in self.alternatives],
        }
        if self.comparison is not None:
            body["comparison"] = self.comparison
        return body


@dataclass(frozen=True, slots=True)
class Note:
    """A candidate that was not proposed, and why (missing figure, does not fit, constraint...)."""

    code: str
    subject: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "subject": self.subject, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class RecommendationResult:
    baseline: Estimate
    recommendations: list[Recommendation]
    notes: list[Note]

    def as_dict(self, summary: bool = False) -> dict[str, Any]:
        """The JSON shape; ``summary`` leaves out assumptions and sources throughout."""
        return {
            "baseline": self.baseline.as_dict(summary),
            "recommendations": [r.as_dict(summary) for r in self.recommendations],
            "notes": [n.as_dict() for n in self.notes],
        }
