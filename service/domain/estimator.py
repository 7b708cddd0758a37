"""The estimation engine the API calls: catalog plus derived defaults, built once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..reference import Catalog
from .assumptions import Ledger
from .estimate import Estimate
from .fine_tuning import estimate_fine_tuning
from .inference import estimate_inference
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

    def central_estimate(self, kind: str, request: Any) -> Estimate:
        """The estimate's central values, to the bit, for ranking candidates: an inference estimate's ranges
        leave out its defaulted inputs' spreads (a third of the work); the other kinds' are complete."""
        if kind == "inference":
            return estimate_inference(self.catalog, self.site_defaults, request, input_spreads=False)
        return self.estimate(kind, request)


_DISPATCH: dict[str, Callable[[Estimator, Any], Estimate]] = {
    "training": Estimator.training,
    "fine-tuning": Estimator.fine_tuning,
    "inference": Estimator.inference,
}
