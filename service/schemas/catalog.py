"""Schemas of the catalog endpoints: the reference records as the API shows them, built from the records' own
field declarations (service/reference/records.py), so a column is declared in one place."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from ..domain.inputs import PROVIDERS
from ..reference import Accelerator, Instance, ModelPreset, Region
from ..reference.records import doc_of


def _field_for(annotation: Any, description: str) -> fields.Field:
    """The marshmallow field of a record field typed ``annotation`` (str, int, float, bool, a nested record,
    a mapping of precision to peak, each optionally ``| None``)."""
    metadata = {"description": description} if description else {}
    args = typing.get_args(annotation)
    optional = type(None) in args
    if optional:
        (annotation,) = [a for a in args if a is not type(None)]
    if typing.get_origin(annotation) is Mapping:
        return fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), required=True, metadata=metadata)
    if dataclasses.is_dataclass(annotation):
        return fields.Nested(
            record_schema(typing.cast(type, annotation)), required=True, allow_none=optional, metadata=metadata
        )
    kind = {str: fields.String, int: fields.Integer, float: fields.Float, bool: fields.Boolean}[annotation]
    return kind(required=True, allow_none=optional, metadata=metadata)


@functools.cache
def record_schema(record: type) -> type[Schema]:
    """The schema of a reference record as the API shows it, built from the record's field declarations."""
    hints = typing.get_type_hints(record)
    declared = {f.name: _field_for(hints[f.name], doc_of(f)) for f in dataclasses.fields(record)}
    return Schema.from_dict(declared, name=f"{record.__name__}Schema")


AcceleratorSchema = record_schema(Accelerator)
InstanceSchema = record_schema(Instance)
RegionSchema = record_schema(Region)
ModelPresetSchema = record_schema(ModelPreset)


def listing(item_schema: type[Schema], name: str) -> type[Schema]:
    """A ``{"count": n, "items": [...]}`` envelope around ``item_schema``."""
    return Schema.from_dict(
        {"count": fields.Integer(required=True), "items": fields.List(fields.Nested(item_schema), required=True)},
        name=name,
    )


AcceleratorListSchema = listing(AcceleratorSchema, "AcceleratorList")
InstanceListSchema = listing(InstanceSchema, "InstanceList")
RegionListSchema = listing(RegionSchema, "RegionList")
ModelPresetListSchema = listing(ModelPresetSchema, "ModelPresetList")


class NoQuerySchema(Schema):
    """Listings without filters: any query parameter is an error."""


class RegionQuerySchema(Schema):
    provider = fields.String(
        validate=validate.OneOf(PROVIDERS), metadata={"description": "Filter by provider.", "example": "aws"}
    )


class InstanceQuerySchema(Schema):
    provider = fields.String(
        validate=validate.OneOf(PROVIDERS), metadata={"description": "Filter by provider.", "example": "gcp"}
    )
    accelerator = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Filter by accelerator id.", "example": "nvidia-h100-sxm5-80gb"},
    )
