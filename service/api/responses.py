"""JSON responses: compact, unsorted, encoded by orjson (the hot path of every estimate and batch item).

Every float in an answer is finite by construction: ``Range`` refuses non-finite bounds and every request
number is bounded (service/schemas). orjson would write a NaN or infinity as ``null``; so that a bug can
never turn into a silent ``null``, any output containing ``null`` is re-encoded by the standard library
with ``allow_nan=False``, which raises (and the API answers 422 out-of-range, tests/api/test_limits.py).
Answers without ``null`` skip that check; the others pay it only for a legitimate null.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response

from ..domain.ranges import NonFiniteFigureError

_strict = json.JSONEncoder(allow_nan=False, check_circular=False)


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON of ``body``; ``NonFiniteFigureError`` if it holds a non-finite float."""
    data = orjson.dumps(body)
    if b"null" in data:
        try:
            _strict.encode(body)
        except ValueError as error:
            raise NonFiniteFigureError(str(error)) from error
    return data


def json_response(body: Any, status: int = 200) -> Response:
    return Response(encode_json(body), status=status, mimetype="application/json")
