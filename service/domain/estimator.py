"""The estimation engine the API calls: catalog plus derived defaults, built once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..reference import Catalog
from .assumptions import Ledger
from .estimate import Estimate
from .fine_tuning import estimate_fine_tuning
from .footprint import Footprint
from .inference import (
    CentralInference,
    SharedSteps,
    central_inference,
    estimate_inference,
    finish_inference,
    footprint_of_central,
)
from .inputs import DatacenterSpec, FineTuningRequest, InferenceRequest, TrainingRequest
from .site import Site, build_site_defaults, resolve_site
from .training import estimate_training


class Estimator:
    """Stateless after construction: every method is a pure function of its request."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.site_defaults = build_site_defaults(catalog)
        #: Each catalog region's factors with nothing overridden, for ranking regions without re-estimating.
        self.region_sites: dict[tuple[str, str], Site] = {
            key: resolve_site(catalog, self.site_defaults, DatacenterSpec(provider=key[0], region=key[1]), Ledger())
            for key in catalog.regions
        }

    def training(self, request: TrainingRequest) -> Estimate:
        return estimate_training(self.catalog, self.site_defaults, request)

    def fine_tuning(self, request: FineTuningRequest) -> Estimate:
        return estimate_fine_tuning(self.catalog, self.site_defaults, request)

    def inference(self, request: InferenceRequest) -> Estimate:
        return estimate_inference(self.catalog, self.site_defaults, request)

    def estimate(self, kind: str, request: Any) -> Estimate:
        """Dispatch by kind: ``training``, ``fine-tuning`` or ``inference``."""
        return _DISPATCH[kind](self, request)

    def central(self, kind: str, request: Any, shared: SharedSteps | None = None) -> Central:
        """The estimate's central emissions, to the bit, for ranking candidates: of an inference estimate only
        its central operating point is computed and priced (the points at the defaulted inputs' lows and highs,
        the ranges and the answer's figures are left out) and :meth:`finish` completes it; the other kinds are
        estimated in full. ``shared``: the steps of related inference requests ranked before (one per
        recommendation)."""
        if kind == "inference":
            partial = central_inference(self.catalog, self.site_defaults, request, shared)
            return Central(partial.emissions_kgco2e, partial.latency_seconds, None, partial)
        estimate = self.estimate(kind, request)
        return Central(estimate.footprint.emissions_kgco2e.value, None, estimate, None)

    def finish(self, central: Central) -> Estimate:
        """The full estimate of a workload :meth:`central` ranked (the same one when it was already full)."""
        if central.estimate is not None:
            return central.estimate
        assert central.inference is not None  # one of the two is always set
        return finish_inference(self.catalog, self.site_defaults, central.inference)

    def finished_footprint(self, central: Central) -> Footprint:
        """The footprint of :meth:`finish`'s estimate, without the rest of it (assumptions, warnings, serving
        figures): what an alternative listed beside a recommendation shows."""
        if central.estimate is not None:
            return central.estimate.footprint
        assert central.inference is not None  # one of the two is always set
        return footprint_of_central(self.catalog, self.site_defaults, central.inference)


@dataclass(frozen=True, slots=True)
class Central:
    """A workload's central emissions (kgCO2e) and, for inference, the central latency of a request (s), equal
    to the bit to its full estimate's; with the full estimate when it was made, else the inference estimate's
    central part."""

    emissions_kgco2e: float
    latency_seconds: float | None
    estimate: Estimate | None
    inference: CentralInference | None


_DISPATCH: dict[str, Callable[[Estimator, Any], Estimate]] = {
    "training": Estimator.training,
    "fine-tuning": Estimator.fine_tuning,
    "inference": Estimator.inference,
}
