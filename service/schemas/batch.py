"""Batch envelope: ``{"items": [{"id", "kind", "workload"}, ...]}``.

Only the envelope is validated here; each ``workload`` is validated by the request schema of its
``kind`` when the item is estimated, so one bad workload fails only its own item.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

BATCH_KINDS = ("training", "fine-tuning", "inference")
MAX_ITEM_ID_LENGTH = 100
#: Default of FOOTPRINT_MAX_BATCH_ITEMS, documented as the list's maximum in openapi.yaml.
DEFAULT_MAX_BATCH_ITEMS = 1000


class BatchItemSchema(Schema):
    id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEM_ID_LENGTH),
        metadata={"description": "Caller's id, echoed in the result. Not interpreted; duplicates are allowed."},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(BATCH_KINDS),
        metadata={"description": "Which estimate: the body of POST /v1/estimates/{kind}."},
    )
    workload = fields.Dict(
        required=True,
        metadata={
            "description": "The request body of POST /v1/estimates/{kind} (TrainingRequest, FineTuningRequest or "
            "InferenceRequest); validated per item."
        },
    )


class BatchRequestSchema(Schema):
    items = fields.List(
        fields.Nested(BatchItemSchema),
        required=True,
        # The maximum is the setting, checked by the view before the envelope is loaded.
        validate=validate.Length(min=1),
        metadata={
            "description": "1 to FOOTPRINT_MAX_BATCH_ITEMS (default 1,000) workloads, answered in order.",
            "maxItems": DEFAULT_MAX_BATCH_ITEMS,
        },
    )
