"""JSON responses: compact, unsorted, encoded by orjson (the hot path of every estimate and batch item).

Estimates are finite by construction: the domain checks every float it puts in an answer (``Range``
bounds, assumption values, extra figures) and raises ``NonFiniteFigureError`` otherwise, which the API
answers with 422 out-of-range (tests/api/test_limits.py). Other bodies (recommendations, comparisons,
catalog) are not built that way: orjson would write a NaN or infinity there as ``null``, so any such output
containing ``null`` is re-encoded by the standard library with ``allow_nan=False``, which raises.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response

from ..domain.ranges import NonFiniteFigureError

_strict = json.JSONEncoder(allow_nan=False, check_circular=False)


def encode_json(body: Any, finite_by_construction: bool = False) -> bytes:
    """Compact UTF-8 JSON of ``body``; ``NonFiniteFigureError`` if it holds a non-finite float.

    ``finite_by_construction``: the body is an ``Estimate.as_dict()``, whose numbers the domain has checked
    already, so the re-check is skipped (it would cost more than the estimate for answers with a null).
    """
    data = orjson.dumps(body)
    if not finite_by_construction and b"null" in data:
        try:
            _strict.encode(body)
        except ValueError as error:
            raise NonFiniteFigureError(str(error)) from error
    return data


def json_response(body: Any, status: int = 200, finite_by_construction: bool = False) -> Response:
    return Response(encode_json(body, finite_by_construction), status=status, mimetype="application/json")
