"""POST /v1/recommendations (what would it save?) and POST /v1/compare (which of these options?)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from marshmallow import ValidationError

from ..domain import EstimationError, UnknownReferenceError
from ..domain.recommendations import Recommender, ScenarioOutcome, compare
from ..schemas.recommendations import CompareRequestSchema, RecommendationRequestSchema, load_workload
from .body import json_object
from .problems import flatten_messages
from .responses import json_response

bp = Blueprint("recommendations", __name__)

_RECOMMENDATION_SCHEMA = RecommendationRequestSchema()
_COMPARE_SCHEMA = CompareRequestSchema()
_PROBLEM_TYPE = "urn:genai-footprint:problem:"
_TITLES = {
    "unknown-reference": "Unknown catalog id",
    "underdetermined": "Inputs do not determine the estimate",
    "figure-not-published": "A needed figure is not published",
}


def _estimator():
    return current_app.extensions["footprint.estimator"]


def _recommender() -> Recommender:
    recommender = current_app.extensions.get("footprint.recommender")
    if recommender is None:
        recommender = current_app.extensions["footprint.recommender"] = Recommender(_estimator())
    return recommender


def _in_workload(error: EstimationError) -> EstimationError:
    """The same error with its field path under ``workload.`` (the request nests the estimate payload)."""
    error.field = f"workload.{error.field}" if error.field else "workload"
    return error


@bp.post("/v1/recommendations")
def recommendations():
    data = _RECOMMENDATION_SCHEMA.load(json_object(request))
    kind, workload = data["kind"], data["workload"]
    try:
        baseline = _estimator().estimate(kind, workload)
    except EstimationError as error:
        raise _in_workload(error) from None
    result = _recommender().recommend(kind, workload, data["constraints"], data.get("rag_comparison"), baseline=baseline)
    return json_response(result.as_dict())


def _validation_problem(error: ValidationError) -> dict[str, Any]:
    errors = flatten_messages(error.messages)
    return {
        "type": _PROBLEM_TYPE + "validation-error",
        "title": "Invalid request",
        "status": 422,
        "detail": f"The scenario failed validation at: {', '.join(sorted(errors))}.",
        "errors": errors,
    }


def _estimation_problem(error: EstimationError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": _PROBLEM_TYPE + error.code,
        "title": _TITLES.get(error.code, "Cannot estimate"),
        "status": 422,
        "detail": error.message,
        "errors": {f"workload.{error.field}": [error.message]},
    }
    if isinstance(error, UnknownReferenceError):
        body["suggestions"] = error.suggestions
    return body


@bp.post("/v1/compare")
def compare_scenarios():
    data = _COMPARE_SCHEMA.load(json_object(request))
    kind = data["kind"]
    estimator = _estimator()
    outcomes = []
    for scenario in data["scenarios"]:
        try:
            workload = load_workload(kind, scenario["workload"])
            outcomes.append(ScenarioOutcome(scenario["name"], estimate=estimator.estimate(kind, workload)))
        except ValidationError as error:
            outcomes.append(ScenarioOutcome(scenario["name"], problem=_validation_problem(error)))
        except EstimationError as error:
            outcomes.append(ScenarioOutcome(scenario["name"], problem=_estimation_problem(error)))
    return json_response(compare(kind, outcomes))
