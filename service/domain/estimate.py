"""One estimate as the API returns it: the footprint, the compute behind it and each kind's own figures.

Every intermediate result is a typed record; ``Estimate.as_dict`` gives the JSON shape documented in
openapi.yaml (tests load every answer through the response schemas, so the two cannot drift apart).
Every number an answer carries is finite: ``Range`` checks its bounds when it is made, and each record
checks its plain floats when it is made; ``NonFiniteFigureError`` is raised instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..reference import Accelerator
from .assumptions import Ledger
from .defaults import METHODOLOGY_VERSION
from .footprint import Footprint
from .ranges import Range, finite


def _opt(r: Range | None) -> dict[str, float] | None:
    return None if r is None else r.as_dict()


@dataclass(frozen=True, slots=True)
class MemoryFigures:
    """Fine-tuning: the memory the job needs and the accelerators that imposes."""

    required_gb: float
    minimum_accelerators: int
    accelerator_memory_gb: float
    trainable_parameters: float

    def __post_init__(self) -> None:
        finite(self.required_gb)
        finite(self.trainable_parameters)

    def as_dict(self) -> dict[str, Any]:
        return {
            "required_gb": self.required_gb,
            "minimum_accelerators": self.minimum_accelerators,
            "accelerator_memory_gb": self.accelerator_memory_gb,
            "trainable_parameters": self.trainable_parameters,
        }


@dataclass(frozen=True, slots=True)
class ServingFigures:
    """Inference: how the replicas serve the requests (replica-seconds are one replica's time)."""

    mode: str
    accelerators_per_replica: int
    minimum_accelerators_per_replica: int
    memory_required_gb: float
    busy_seconds_per_request: Range
    prefill_seconds_per_request: Range
    decode_seconds_per_token: Range
    #: Mean sequences a replica decodes together, its latency from arrival to last token and to first token.
    effective_batch_size: Range
    latency_seconds: Range
    time_to_first_token_seconds: Range
    #: Dedicated mode only.
    replicas: int | None = None
    utilisation: float | None = None
    #: Replicas the arrival rate needs at the largest batch within memory and latency targets (dedicated).
    replicas_needed: int | None = None

    def __post_init__(self) -> None:
        finite(self.memory_required_gb)
        if self.utilisation is not None:
            finite(self.utilisation)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "mode": self.mode,
            "accelerators_per_replica": self.accelerators_per_replica,
            "minimum_accelerators_per_replica": self.minimum_accelerators_per_replica,
            "memory_required_gb": self.memory_required_gb,
            "busy_seconds_per_request": self.busy_seconds_per_request.as_dict(),
            "prefill_seconds_per_request": self.prefill_seconds_per_request.as_dict(),
            "decode_seconds_per_token": self.decode_seconds_per_token.as_dict(),
            "effective_batch_size": self.effective_batch_size.as_dict(),
            "latency_seconds": self.latency_seconds.as_dict(),
            "time_to_first_token_seconds": self.time_to_first_token_seconds.as_dict(),
        }
        if self.replicas is not None:
            body["replicas"] = self.replicas
        if self.utilisation is not None:
            body["utilisation"] = self.utilisation
        if self.replicas_needed is not None:
            body["replicas_needed"] = self.replicas_needed
        return body


@dataclass(frozen=True, slots=True)
class PerRequestFigures:
    """Inference totals divided by the requests; None when there are no requests."""

    energy_wh: Range | None
    emissions_gco2e: Range | None
    water_ml: Range | None
    offsite_water_ml: Range | None

    @classmethod
    def of(cls, footprint: Footprint, requests: float) -> PerRequestFigures:
        if requests <= 0:
            return cls(None, None, None, None)
        share = 1000.0 / requests
        return cls(
            energy_wh=footprint.energy_kwh.scale(share),
            emissions_gco2e=footprint.emissions_kgco2e.scale(share),
            water_ml=footprint.water_l.scale(share),
            offsite_water_ml=footprint.offsite_water_l.scale(share),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "energy_wh": _opt(self.energy_wh),
            "emissions_gco2e": _opt(self.emissions_gco2e),
            "water_ml": _opt(self.water_ml),
            "offsite_water_ml": _opt(self.offsite_water_ml),
        }


@dataclass(frozen=True, slots=True)
class RagIndexFigures:
    """Building a RAG index: the corpus embedded once."""

    index_flops: Range
    index_accelerator_hours: Range

    def as_dict(self) -> dict[str, Any]:
        return {
            "index_flops": self.index_flops.as_dict(),
            "index_accelerator_hours": self.index_accelerator_hours.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimate. ``memory`` is set for fine-tuning; ``serving`` and ``per_request`` for inference, and
    ``rag`` when an inference request builds an index."""

    kind: str
    footprint: Footprint
    flops: Range | None
    #: The accelerator estimated (a catalog record, or the caller's ``hardware.spec``).
    accelerator: Accelerator
    accelerator_count: int
    accelerator_hours: Range
    duration_hours: Range | None
    ledger: Ledger
    data_version: str
    #: Identical runs the figures cover (training and fine-tuning).
    runs: int = 1
    memory: MemoryFigures | None = None
    serving: ServingFigures | None = None
    per_request: PerRequestFigures | None = None
    rag: RagIndexFigures | None = None

    def as_dict(self, summary: bool = False) -> dict[str, Any]:
        """The answer's JSON shape; ``summary`` leaves out the assumptions (figures, warnings and versions stay)."""
        f = self.footprint
        body: dict[str, Any] = {
            "kind": self.kind,
            "energy_kwh": f.energy_kwh.as_dict(),
            "emissions_kgco2e": f.emissions_kgco2e.as_dict(),
            "water_l": f.water_l.as_dict(),
            "breakdown": {
                "accelerators_kwh": f.accelerators_kwh.as_dict(),
                "host_kwh": f.host_kwh.as_dict(),
                "facility_overhead_kwh": f.facility_overhead_kwh.as_dict(),
                "operational_kgco2e": f.operational_kgco2e.as_dict(),
                "embodied_kgco2e": f.embodied_kgco2e.as_dict(),
                "market_based_operational_kgco2e": _opt(f.market_based_operational_kgco2e),
                "offsite_water_l": f.offsite_water_l.as_dict(),
            },
            "market_based_emissions_kgco2e": _opt(f.market_based_emissions_kgco2e),
            "compute": {
                "flops": _opt(self.flops),
                "accelerator": self.accelerator.id,
                "accelerator_count": self.accelerator_count,
                "accelerator_hours": self.accelerator_hours.as_dict(),
                "duration_hours": _opt(self.duration_hours),
            },
            **({} if summary else {"assumptions": self.ledger.assumption_dicts()}),
            "warnings": [w.as_dict() for w in self.ledger.warnings],
            "versions": {"methodology": METHODOLOGY_VERSION, "data": self.data_version},
        }
        if self.memory is not None:
            body["memory"] = self.memory.as_dict()
        if self.per_request is not None:
            body["per_request"] = self.per_request.as_dict()
        if self.serving is not None:
            body["serving"] = self.serving.as_dict()
        if self.rag is not None:
            body["rag"] = self.rag.as_dict()
        return body
