"""``?detail=summary`` on the estimate, batch, recommendation and compare endpoints (see DetailQuerySchema)."""

from __future__ import annotations

from flask import request
from marshmallow import ValidationError

from ..schemas.detail import DetailQuerySchema

_QUERY = DetailQuerySchema()


def summary_requested() -> bool:
    """Whether the request asked for the compact form; a 422 naming ``detail`` for any other value."""
    if "detail" not in request.args:  # the usual request: no schema load
        return False
    if len(request.args.getlist("detail")) > 1:
        raise ValidationError({"detail": ["Given more than once."]})
    return _QUERY.load(request.args.to_dict())["detail"] == "summary"
