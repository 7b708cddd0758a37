"""The per-request context shared by every candidate generator, and the arithmetic they all use."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..assumptions import Ledger
from ..errors import EstimationError
from ..estimate import Estimate
from ..estimator import Central, Estimator
from ..hardware import ResolvedModel, precision_of, resolve_model
from ..inference import SharedSteps
from .model import Alternative, Constraints, Note, RagComparison, Recommendation, Savings
from .patch import apply_patch, prune_patch

#: Alternatives listed next to a region, hardware or model recommendation.
MAX_ALTERNATIVES = 5
#: Relative emissions change below which a candidate is considered to save nothing.
MIN_RELATIVE_SAVING = 1e-9

#: Accelerators sold only inside one cloud.
CLOUD_ONLY = {"google": "gcp", "aws": "aws"}

Candidate = TypeVar("Candidate")


def _savings(baseline: Estimate, changed: Estimate) -> Savings:
    b, c = baseline.footprint, changed.footprint
    percent = 0.0
    if b.emissions_kgco2e.value > 0:
        percent = 100.0 * (b.emissions_kgco2e.value - c.emissions_kgco2e.value) / b.emissions_kgco2e.value
    return Savings(
        emissions_kgco2e=b.emissions_kgco2e.minus_clamped(c.emissions_kgco2e),
        energy_kwh=b.energy_kwh.minus_clamped(c.energy_kwh),
        water_l=b.water_l.minus_clamped(c.water_l),
        emissions_percent=percent,
    )


def per_run_duration(estimate: Estimate) -> float:
    """Wall-clock hours of one run: its accelerator-hours over the accelerators it runs on."""
    if estimate.duration_hours is not None:
        return estimate.duration_hours.value
    return estimate.accelerator_hours.value / estimate.runs / max(1, estimate.accelerator_count)


def duration_factor(baseline: Estimate, changed: Estimate) -> float:
    """How many times longer one run of ``changed`` takes than one of ``baseline`` (wall clock)."""
    before = per_run_duration(baseline)
    return per_run_duration(changed) / before if before > 0 else 1.0


def duration_tradeoff(baseline: Estimate, changed: Estimate) -> str:
    """The wall-clock change of one run, as a number (every training and fine-tuning recommendation states it)."""
    factor = duration_factor(baseline, changed)
    before, after = per_run_duration(baseline), per_run_duration(changed)
    return (
        f"Wall-clock duration per run: x{factor:.2f} ({format_number(after)} h instead of {format_number(before)} h)."
    )


def _latency(estimate: Estimate) -> float | None:
    return estimate.serving.latency_seconds.value if estimate.serving else None


@dataclass(frozen=True, slots=True)
class Ranked:
    """A change estimated for ranking: its pruned patch and central figures (:meth:`RecommendationRun.rank`)."""

    patch: dict[str, Any]
    central: Central

    @property
    def emissions_kgco2e(self) -> float:
        return self.central.emissions_kgco2e


def emissions_kg(estimate: Estimate) -> float:
    return estimate.footprint.emissions_kgco2e.value


def saves(baseline_kg: float, changed_kg: float) -> bool:
    return changed_kg < baseline_kg * (1.0 - MIN_RELATIVE_SAVING)


def format_number(x: float) -> str:
    """Three significant digits below 1,000, whole numbers with thousands separators above."""
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


class RecommendationRun:
    """State of one recommendation request: baseline, constraints, findings and notes.

    Every candidate generator receives the run, re-estimates changed workloads through :meth:`try_estimate`
    and reports through :meth:`add` (a saving) or :meth:`note` (why a candidate was skipped).
    """

    def __init__(
        self,
        estimator: Estimator,
        kind: str,
        request: Any,
        constraints: Constraints,
        baseline: Estimate,
        rag_comparison: RagComparison | None = None,
        refuse_change: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> None:
        self.estimator = estimator
        #: Why the caller could not apply a change (None: it can). The domain knows no input bounds; the API
        #: passes its own validation, so that every ``change`` offered can be applied and re-estimated.
        self.refuse_change = refuse_change
        self.catalog = estimator.catalog
        self.kind = kind
        self.request = request
        self.constraints = constraints
        self.baseline = baseline
        self.rag_comparison = rag_comparison
        self.found: list[Recommendation] = []
        self.notes: list[Note] = []
        self.accelerator = baseline.accelerator
        self._model: ResolvedModel | None | bool = False
        #: Candidates are the request with a part or two changed: what they share is prepared once.
        self.shared = SharedSteps()

    @property
    def model(self) -> ResolvedModel | None:
        if self._model is False:
            spec = getattr(self.request, "model", None)
            self._model = None if spec is None else resolve_model(self.catalog, spec, Ledger())
        return self._model  # type: ignore[return-value]

    @property
    def precision(self) -> str:
        """The precision the baseline runs at (inference: the model's native one unless given)."""
        model = self.model
        native = model.preset.weight_precision if self.kind == "inference" and model and model.preset else None
        return precision_of(self.request.hardware, native)

    def note(self, code: str, subject: str, reason: str) -> None:
        self.notes.append(Note(code, subject, reason))

    def applicable(self, code: str, subject: str, patch: dict[str, Any]) -> bool:
        """Whether the caller could apply ``patch`` (within the request's bounds); False with a note if not."""
        if self.refuse_change is None:
            return True
        reason = self.refuse_change(patch)
        if reason is None:
            return True
        self.note(code, subject, reason)
        return False

    def shown(
        self,
        code: str,
        ranked: Sequence[Candidate],
        subject: Callable[[Candidate], str],
        patch: Callable[[Candidate], dict[str, Any]],
        limit: int = 1 + MAX_ALTERNATIVES,
    ) -> list[tuple[Candidate, dict[str, Any]]]:
        """The first ``limit`` ranked candidates whose change (``patch``, pruned; an empty one is no change) the
        caller could apply, with that change; each refused one on the way is noted.

        Generators that rank many candidates (:meth:`rank`) check bounds only here, for the ones an answer
        shows: a bounds check is one schema load, dearer than ranking a candidate.
        """
        out: list[tuple[Candidate, dict[str, Any]]] = []
        for candidate in ranked:
            if len(out) == limit:
                break
            change = prune_patch(self.request, patch(candidate))
            if change and self.applicable(code, subject(candidate), change):
                out.append((candidate, change))
        return out

    def try_estimate(
        self, code: str, subject: str, patch: dict[str, Any], *, check_bounds: bool = True
    ) -> tuple[dict[str, Any], Estimate] | None:
        """Apply ``patch``, estimate; None (with a note) when the changed workload cannot be estimated, breaks a
        constraint or, with ``check_bounds``, the caller could not apply the change."""
        patch = prune_patch(self.request, patch)
        if not patch:
            return None
        if check_bounds and not self.applicable(code, subject, patch):
            return None
        try:
            estimate = self.estimator.estimate(self.kind, apply_patch(self.request, patch))
        except EstimationError as error:
            self.note(code, subject, error.message)
            return None
        if not self._within_constraints(code, subject, estimate, _latency(estimate)):
            return None
        return patch, estimate

    def rank(self, code: str, subject: str, patch: dict[str, Any]) -> Ranked | None:
        """Like :meth:`try_estimate` without the bounds check, for ranking many candidates: the central figures
        only (:meth:`Estimator.central`); what an answer shows is finished with :meth:`completed` and its bounds
        checked by :meth:`shown`."""
        patch = prune_patch(self.request, patch)
        if not patch:
            return None
        try:
            central = self.estimator.central(self.kind, apply_patch(self.request, patch), self.shared)
        except EstimationError as error:
            self.note(code, subject, error.message)
            return None
        if not self._within_constraints(code, subject, central.estimate, central.latency_seconds):
            return None
        return Ranked(patch, central)

    def completed(self, ranked: Ranked) -> Estimate:
        """The full estimate of a change :meth:`rank` ranked."""
        return self.estimator.finish(ranked.central)

    def alternative(self, label: str, change: dict[str, Any], ranked: Ranked) -> Alternative:
        """``change``, which :meth:`rank` ranked, listed beside a recommendation: its footprint only."""
        figures = self.estimator.finished_footprint(ranked.central)
        return Alternative(label, change, figures.emissions_kgco2e, figures.energy_kwh)

    def _within_constraints(self, code: str, subject: str, estimate: Estimate | None, latency: float | None) -> bool:
        """Whether a changed training job's ``estimate`` keeps each run within ``max_duration_factor`` and a
        changed service's ``latency`` (s) is within ``max_latency_seconds_per_request``; a note if not."""
        if self.kind in ("training", "fine-tuning"):
            assert estimate is not None  # ranking estimates these kinds in full
            factor = duration_factor(self.baseline, estimate)
            limit_factor = self.constraints.max_duration_factor
            if factor > limit_factor * (1 + 1e-9):
                self.note(
                    code,
                    subject,
                    f"it would make each run {factor:.2f} x as long ({format_number(per_run_duration(estimate))} h "
                    f"instead of {format_number(per_run_duration(self.baseline))} h), more than "
                    f"constraints.max_duration_factor {limit_factor:g}",
                )
                return False
        limit = self.constraints.max_latency_seconds_per_request
        if limit is not None and latency is not None and latency > limit * (1 + 1e-9):
            self.note(
                code,
                subject,
                f"a request would take {latency:.3g} s from arrival to last token, more than "
                f"constraints.max_latency_seconds_per_request {limit:g} s",
            )
            return False
        return True

    def add(
        self,
        code: str,
        variant: str,
        title: str,
        rationale: str,
        patch: dict[str, Any],
        estimate: Estimate,
        tradeoffs: list[str],
        sources: list[str],
        alternatives: Iterable[Alternative] = (),
    ) -> None:
        if not saves(self.baseline.footprint.emissions_kgco2e.value, estimate.footprint.emissions_kgco2e.value):
            return
        if self.kind in ("training", "fine-tuning"):
            tradeoffs = [*tradeoffs, duration_tradeoff(self.baseline, estimate)]
        self.found.append(
            Recommendation(
                code=code,
                variant=variant,
                title=title,
                rationale=rationale,
                change=patch,
                estimate=estimate,
                savings=_savings(self.baseline, estimate),
                tradeoffs=tradeoffs,
                sources=sources,
                alternatives=list(alternatives),
            )
        )

    def count_keeping_duration(self, patch: dict[str, Any], minimum: int) -> int:
        """Fewest accelerators, at least ``minimum``, on which the changed training job's run stays within
        ``max_duration_factor`` of today's duration (its accelerator-hours do not depend on the count)."""
        try:
            estimate = self.estimator.estimate(self.kind, apply_patch(self.request, prune_patch(self.request, patch)))
        except EstimationError:
            return minimum
        limit = self.constraints.max_duration_factor * per_run_duration(self.baseline)
        if limit <= 0:
            return minimum
        return max(minimum, math.ceil(estimate.accelerator_hours.value / estimate.runs / limit - 1e-9))

    def baseline_provider(self) -> str | None:
        return self.request.datacenter.provider

    def instance_provider(self) -> str | None:
        itype = self.request.hardware.instance_type
        return None if itype is None else self.catalog.instances[itype.lower()].provider

    def count_in_spec_units(self, accelerators: int) -> int:
        """An accelerator count expressed the way the baseline counts (instances when instance_type is used)."""
        itype = self.request.hardware.instance_type
        if itype is None:
            return accelerators
        per = self.catalog.instances[itype.lower()].accelerator_count
        return max(1, math.ceil(accelerators / per))

    def percent_lower(self, estimate: Estimate) -> str:
        """Emissions saved by ``estimate`` against the baseline, as text such as ``"42%"``."""
        b = self.baseline.footprint.emissions_kgco2e.value
        c = estimate.footprint.emissions_kgco2e.value
        return f"{100.0 * (b - c) / b:.0f}%" if b > 0 else "n/a"
