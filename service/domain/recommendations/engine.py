"""Quantified recommendations: each candidate change is re-estimated with the same engine as the baseline.

Changed requests are derived from the validated baseline with :func:`apply_patch` (``dataclasses.replace``),
never re-validated here. Candidates are ranked on their central figures (:meth:`Estimator.central`; regions
on the baseline's work priced at each site) and only those an answer shows are estimated in full. The caller
may pass ``refuse_change`` to keep out changes its own input bounds would refuse (the API does).

One generator per recommendation code (declared with its code in :mod:`.registry`), grouped by what they
change: :mod:`.location`, :mod:`.hardware`, :mod:`.training` and :mod:`.inference`. All share the
per-request :class:`~.run.RecommendationRun`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..assumptions import Ledger
from ..errors import EstimationError, UnknownReferenceError
from ..estimate import Estimate
from ..estimator import Estimator
from ..hardware import resolve_hardware
from . import hardware, inference, location, training
from .model import Constraints, RagComparison, RecommendationResult
from .registry import REGISTRY
from .run import RecommendationRun

#: The modules whose generators register themselves, in the order they run (location first: it is the
#: cheapest saving to act on).
GENERATOR_MODULES = (location, hardware, training, inference)

_MODULE_ORDER = {module.__name__: i for i, module in enumerate(GENERATOR_MODULES)}
#: Every recommendation code: by module in GENERATOR_MODULES order, then as declared within each module.
CODES: tuple[str, ...] = tuple(sorted(REGISTRY, key=lambda code: _MODULE_ORDER[REGISTRY[code].generate.__module__]))
#: The codes each workload kind can produce, in the order their generators run.
CODES_BY_KIND: dict[str, tuple[str, ...]] = {
    kind: tuple(code for code in CODES if kind in REGISTRY[code].kinds)
    for kind in ("training", "fine-tuning", "inference")
}


class Recommender:
    """Builds the recommendations for one validated workload of one kind."""

    def __init__(self, estimator: Estimator) -> None:
        self.estimator = estimator
        self.catalog = estimator.catalog

    def recommend(
        self,
        kind: str,
        request: Any,
        constraints: Constraints | None = None,
        rag_comparison: RagComparison | None = None,
        baseline: Estimate | None = None,
        refuse_change: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> RecommendationResult:
        """Every applicable saving, largest first. ``refuse_change(patch)`` says why the caller could not apply
        a change (the API's own validation of the changed workload); such candidates become notes."""
        constraints = constraints or Constraints()
        self._check_constraints(constraints)
        if rag_comparison is not None:
            self._check_rag_comparison(rag_comparison)
        if baseline is None:
            baseline = self.estimator.estimate(kind, request)
        run = RecommendationRun(self.estimator, kind, request, constraints, baseline, rag_comparison, refuse_change)
        for code in CODES_BY_KIND[kind]:
            REGISTRY[code].generate(run)
        ranked = sorted(run.found, key=lambda r: (-r.savings.emissions_kgco2e.value, r.code, r.variant))
        return RecommendationResult(baseline=baseline, recommendations=ranked, notes=run.notes)

    def _check_rag_comparison(self, rag: RagComparison) -> None:
        """An unknown id in rag_comparison.hardware is the caller's input error (422), not a skipped candidate.

        The ids are resolved as any estimate resolves them; other gaps (a figure the accelerator does not
        publish) stay notes of the retrieval candidate.
        """
        if rag.hardware is None:
            return
        try:
            resolve_hardware(self.catalog, rag.hardware, Ledger())
        except UnknownReferenceError as error:
            error.field = f"rag_comparison.{error.field}"
            raise
        except EstimationError:
            pass

    def _check_constraints(self, c: Constraints) -> None:
        for i, code in enumerate(c.countries or ()):
            if code.upper() not in self.catalog.countries:
                raise UnknownReferenceError(
                    f"constraints.countries.{i}",
                    "country",
                    code,
                    self.catalog.suggest("country", code),
                    "ISO 3166-1 alpha-2",
                )
        for i, entry in enumerate(c.regions or ()):
            provider, _, rid = entry.rpartition(":")
            known = (
                (provider.lower(), rid.lower()) in self.catalog.regions
                if provider
                else any(r == rid.lower() for (_, r) in self.catalog.regions)
            )
            if not known:
                raise UnknownReferenceError(
                    f"constraints.regions.{i}", "region", entry, self.catalog.suggest("region", entry), "/v1/regions"
                )
        for name, ids in (("accelerators", c.accelerators or ()), ("exclude_accelerators", c.exclude_accelerators)):
            for i, ident in enumerate(ids):
                if ident.lower() not in self.catalog.accelerators:
                    raise UnknownReferenceError(
                        f"constraints.{name}.{i}",
                        "accelerator",
                        ident,
                        self.catalog.suggest("accelerator", ident),
                        "/v1/accelerators",
                    )
