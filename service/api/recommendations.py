"""POST /v1/recommendations (what would it save?) and POST /v1/compare (which of these options?)."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from marshmallow import ValidationError

from ..domain import EstimationError
from ..domain.recommendations import Recommender, ScenarioOutcome, compare
from ..schemas.recommendations import CompareRequestSchema, RecommendationRequestSchema, load_workload
from .body import json_object
from .problems import estimation_problem_body, validation_problem_body
from .responses import json_response

bp = Blueprint("recommendations", __name__)

_RECOMMENDATION_SCHEMA = RecommendationRequestSchema()
_COMPARE_SCHEMA = CompareRequestSchema()


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
            # load_workload already nests its messages under "workload".
            outcomes.append(ScenarioOutcome(scenario["name"], problem=validation_problem_body(error)))
        except EstimationError as error:
            outcomes.append(ScenarioOutcome(scenario["name"], problem=estimation_problem_body(error, "workload")))
    return json_response(compare(kind, outcomes))
