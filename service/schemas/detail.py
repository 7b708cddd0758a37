"""The ``detail`` query parameter of the estimate, batch, recommendation and compare endpoints."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

DETAIL_LEVELS = ("full", "summary")


class DetailQuerySchema(Schema):
    """``?detail=summary`` asks for an answer's figures, warnings and versions without its assumptions and
    sources (most of its bytes); ``full`` is the default. Other query parameters are ignored, as they always
    were on these endpoints."""

    class Meta:
        unknown = EXCLUDE

    detail = fields.String(
        validate=validate.OneOf(DETAIL_LEVELS),
        load_default="full",
        metadata={
            "description": "full (default): the complete answer. summary: the same figures, warnings and versions "
            "without assumptions and sources.",
            "example": "summary",
        },
    )
