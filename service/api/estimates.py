"""POST /v1/estimates/{training,fine-tuning,inference}: validate, estimate, answer."""

from __future__ import annotations

from flask import Blueprint, request

from ..observability import record_estimate
from ..schemas.recommendations import WORKLOAD_LOADERS, WORKLOAD_SCHEMAS
from .body import json_object
from .detail import summary_requested
from .responses import json_response
from .services import services

bp = Blueprint("estimates", __name__)

#: One schema instance per kind, reused (marshmallow schemas hold no per-request state on load), and the same
#: schemas compiled for valid payloads (service/schemas/fastload.py): the result of ``schema.load``, and
#: marshmallow's own errors for anything invalid. Shared with the recommendation and compare endpoints.
REQUEST_SCHEMAS = WORKLOAD_SCHEMAS
REQUEST_LOADERS = WORKLOAD_LOADERS


def estimate_payload(kind: str, payload: dict, summary: bool = False) -> dict:
    """Validate one workload of ``kind`` and return the estimate body (raises ValidationError/EstimationError);
    ``summary``: without its assumptions."""
    workload = REQUEST_LOADERS[kind].load(payload)
    estimate = services().estimator.estimate(kind, workload)
    record_estimate(kind)
    return estimate.as_dict(summary)


def _answer(kind: str):
    summary = summary_requested()
    return json_response(estimate_payload(kind, json_object(request), summary), finite_by_construction=True)


@bp.post("/v1/estimates/training")
def training():
    return _answer("training")


@bp.post("/v1/estimates/fine-tuning")
def fine_tuning():
    return _answer("fine-tuning")


@bp.post("/v1/estimates/inference")
def inference():
    return _answer("inference")
