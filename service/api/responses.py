"""JSON responses without Flask's key sorting or pretty-printing (the hot path of every estimate)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

_encoder = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(_encoder.encode(body), status=status, mimetype="application/json")
