"""POST /v1/recommendations (what would it save?) and POST /v1/compare (which of these options?)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, request
from marshmallow import ValidationError

from ..domain import EstimationError, Estimator
from ..domain.recommendations import Recommender, ScenarioOutcome, compare
from ..domain.recommendations.patch import merge_patch
from ..schemas.fastload import compile_loader
from ..schemas.recommendations import CompareRequestSchema, RecommendationRequestSchema, load_workload
from .body import json_object
from .detail import summary_requested
from .estimates import REQUEST_LOADERS
from .problems import estimation_problem_body, flatten_messages, validation_problem_body
from .responses import json_response
from .services import services

bp = Blueprint("recommendations", __name__)

#: Compiled for valid payloads (service/schemas/fastload.py): what ``schema.load`` gives, and its errors.
RECOMMENDATION_LOADER = compile_loader(RecommendationRequestSchema())
COMPARE_LOADER = compile_loader(CompareRequestSchema())


def _estimator() -> Estimator:
    return services().estimator


def _recommender() -> Recommender:
    return services().recommender


def _in_workload(error: EstimationError) -> EstimationError:
    """The same error with its field path under ``workload.`` (the request nests the estimate payload)."""
    error.field = f"workload.{error.field}" if error.field else "workload"
    return error


def _change_refuser(kind: str, workload_payload: dict[str, Any]) -> Callable[[dict[str, Any]], str | None]:
    """Why the estimate endpoint would refuse ``workload_payload`` with a change merged in (None: it would not).

    A recommendation's ``change`` is a merge patch the caller applies and re-estimates, so it must stay within
    the request's bounds (a scaled ``accelerator_hours`` past its maximum, say, would be a 422).
    """
    # Every change is a patch of the same payload: the parts it leaves alone are loaded once.
    load = REQUEST_LOADERS[kind].reusing()

    def refuse(patch: dict[str, Any]) -> str | None:
        try:
            load(merge_patch(workload_payload, patch))
        except ValidationError as error:
            path, messages = next(iter(flatten_messages(error.messages).items()))
            return f"the changed workload would be refused at {path}: {' '.join(messages)}"
        return None

    return refuse


@bp.post("/v1/recommendations")
def recommendations():
    summary = summary_requested()
    payload = json_object(request)
    data = RECOMMENDATION_LOADER.load(payload)
    kind, workload = data["kind"], data["workload"]
    try:
        baseline = _estimator().estimate(kind, workload)
    except EstimationError as error:
        raise _in_workload(error) from None
    result = _recommender().recommend(
        kind,
        workload,
        data["constraints"],
        data.get("rag_comparison"),
        baseline=baseline,
        refuse_change=_change_refuser(kind, payload["workload"]),
    )
    return json_response(result.as_dict(summary), finite_by_construction=True)


@bp.post("/v1/compare")
def compare_scenarios():
    summary = summary_requested()
    data = COMPARE_LOADER.load(json_object(request))
    kind = data["kind"]
    estimator = _estimator()
    outcomes = []
    for scenario in data["scenarios"]:
        try:
            workload = load_workload(kind, scenario["workload"])
            outcomes.append(ScenarioOutcome(scenario["name"], estimate=estimator.estimate(kind, workload)))
        except ValidationError as error:
            # load_workload already nests its messages under "workload".
            outcomes.append(ScenarioOutcome(scenario["name"], problem=validation_problem_body(error)))
        except EstimationError as error:
            outcomes.append(ScenarioOutcome(scenario["name"], problem=estimation_problem_body(error, "workload")))
    return json_response(compare(kind, outcomes, summary))
