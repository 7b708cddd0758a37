"""``?detail=summary`` on the estimate, batch, recommendation and compare endpoints (see DetailQuerySchema)."""

from __future__ import annotations

from flask import request

from ..schemas.detail import DetailQuerySchema
from .query import refuse_repeated

_QUERY = DetailQuerySchema()


def summary_requested() -> bool:
    """Whether the request asked for the compact form; a 422 naming ``detail`` for any other value."""
    if "detail" not in request.args:  # the usual request: no schema load
        return False
    refuse_repeated(("detail",))  # other parameters are ignored here, repeated or not
    return _QUERY.load(request.args.to_dict())["detail"] == "summary"
