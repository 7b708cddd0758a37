"""POST /v1/estimates/batch: many workloads in one request, each answered on its own, in order.

Per item the cost is the workload's schema load plus the estimate: no request context, no problem
``Response`` objects, and each result is encoded to JSON once, straight into the response body.
An item whose workload fails validation or cannot be estimated gets a 422 problem with field paths
prefixed ``workload.``; the other items are unaffected. Duplicate ids are allowed (ids are echoed,
never interpreted).
"""

from __future__ import annotations

import logging
from collections import Counter

from flask import Blueprint, Response, request
from marshmallow import ValidationError

from ..domain import EstimationError
from ..observability import record_estimate
from ..schemas.batch import BatchRequestSchema
from .body import json_object
from .detail import summary_requested
from .estimates import REQUEST_LOADERS
from .problems import (
    OUT_OF_RANGE,
    estimation_problem_body,
    is_non_finite_error,
    problem,
    problem_body,
    validation_problem,
    validation_problem_body,
)
from .responses import encode_json as _encode
from .services import services

bp = Blueprint("batch", __name__)
_log = logging.getLogger("service.api")

_ENVELOPE = BatchRequestSchema()
_PREFIX = "workload"


def _too_many(count: int, limit: int) -> Response:
    return problem(
        422,
        "batch-too-large",
        "Too many items",
        f"The batch has {count} items; the limit is {limit} (FOOTPRINT_MAX_BATCH_ITEMS). Split it.",
        errors={"items": [f"Longer than maximum length {limit}."]},
    )


def _item_problem(item_id: str, body: dict) -> bytes:
    return (
        b'{"id":'
        + _encode(item_id)
        + b',"status":'
        + str(body["status"]).encode()
        + b',"problem":'
        + _encode(body)
        + b"}"
    )


def estimate_items(items: list[dict], estimator, summary: bool = False) -> tuple[list[bytes], Counter]:
    """Encoded result objects for validated envelope items, and successful estimates by kind (``summary``:
    without their assumptions)."""
    parts: list[bytes] = []
    done: Counter = Counter()
    append = parts.append
    for item in items:
        item_id = item["id"]
        kind = item["kind"]
        try:
            estimate = estimator.estimate(kind, REQUEST_LOADERS[kind].load(item["workload"]))
            encoded = _encode(estimate.as_dict(summary), finite_by_construction=True)
        except ValidationError as err:
            append(_item_problem(item_id, validation_problem_body(err, _PREFIX)))
            continue
        except EstimationError as err:
            append(_item_problem(item_id, estimation_problem_body(err, _PREFIX)))
            continue
        except Exception as err:  # one item never fails the others; never a trace to the client
            if is_non_finite_error(err):
                append(_item_problem(item_id, problem_body(*OUT_OF_RANGE)))
            else:
                _log.exception("batch item failed")
                append(
                    _item_problem(
                        item_id,
                        problem_body(
                            422, "cannot-estimate", "Cannot estimate", "This workload could not be estimated."
                        ),
                    )
                )
            continue
        done[kind] += 1
        append(b'{"id":' + _encode(item_id) + b',"status":200,"result":' + encoded + b"}")
    return parts, done


@bp.post("/v1/estimates/batch")
def batch():
    summary = summary_requested()
    body = json_object(request)
    limit = services().settings.max_batch_items
    items = body.get("items")
    # Count before validating the envelope: a huge list is refused without looking at its items.
    if isinstance(items, list) and len(items) > limit:
        return _too_many(len(items), limit)
    try:
        envelope = _ENVELOPE.load(body)
    except ValidationError as err:
        return validation_problem(err)
    parts, done = estimate_items(envelope["items"], services().estimator, summary)
    for kind, count in done.items():
        record_estimate(kind, count)
    return Response(b'{"items":[' + b",".join(parts) + b"]}", status=200, mimetype="application/json")
