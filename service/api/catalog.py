"""GET /v1/accelerators, /v1/instances, /v1/regions, /v1/models: the catalog payloads refer to.

The catalog never changes while the process runs, so every listing is serialised once, on first use.
"""

from __future__ import annotations

from functools import cached_property

from flask import Blueprint, request

from ..domain import UnknownReferenceError
from ..schemas.catalog import (
    AcceleratorSchema,
    InstanceQuerySchema,
    InstanceSchema,
    ModelPresetSchema,
    NoQuerySchema,
    RegionQuerySchema,
    RegionSchema,
)
from .query import refuse_repeated
from .responses import json_response
from .services import services

bp = Blueprint("catalog", __name__)


class CatalogViews:
    """Serialised catalog listings of one app, built lazily and kept."""

    def __init__(self, catalog) -> None:
        self.catalog = catalog

    @cached_property
    def accelerators(self) -> list[dict]:
        return AcceleratorSchema(many=True).dump(sorted(self.catalog.accelerators.values(), key=lambda a: a.id))

    @cached_property
    def instances(self) -> list[dict]:
        return InstanceSchema(many=True).dump(sorted(self.catalog.instances.values(), key=lambda i: (i.provider, i.id)))

    @cached_property
    def regions(self) -> list[dict]:
        return RegionSchema(many=True).dump(sorted(self.catalog.regions.values(), key=lambda r: (r.provider, r.id)))

    @cached_property
    def models(self) -> list[dict]:
        return ModelPresetSchema(many=True).dump(sorted(self.catalog.models.values(), key=lambda m: m.id))

    @cached_property
    def accelerators_by_id(self) -> dict[str, dict]:
        return {item["id"]: item for item in self.accelerators}

    @cached_property
    def models_by_id(self) -> dict[str, dict]:
        return {item["id"]: item for item in self.models}


def _views() -> CatalogViews:
    return services().catalog_views


def _listing(items: list[dict]):
    return json_response({"count": len(items), "items": items})


_NO_QUERY = NoQuerySchema()
_REGION_QUERY = RegionQuerySchema()
_INSTANCE_QUERY = InstanceQuerySchema()


def _query(schema) -> dict[str, str]:
    """The query parameters validated by ``schema`` (unknown or repeated ones rejected), values lower-cased."""
    refuse_repeated()
    return {name: value.lower() for name, value in schema.load(request.args.to_dict()).items()}


@bp.get("/v1/accelerators")
def list_accelerators():
    _query(_NO_QUERY)
    return _listing(_views().accelerators)


@bp.get("/v1/accelerators/<accelerator_id>")
def get_accelerator(accelerator_id: str):
    _query(_NO_QUERY)
    return _item(_views().accelerators_by_id, accelerator_id, "accelerator", "accelerator", "/v1/accelerators")


@bp.get("/v1/instances")
def list_instances():
    query = _query(_INSTANCE_QUERY)
    accelerator = query.get("accelerator")
    if accelerator is not None and accelerator not in _views().catalog.accelerators:
        # A filter naming no accelerator is a typo, not an empty answer.
        raise UnknownReferenceError(
            "accelerator",
            "accelerator",
            accelerator,
            _views().catalog.suggest("accelerator", accelerator),
            "/v1/accelerators",
        )
    items = [
        i
        for i in _views().instances
        if i["provider"] == query.get("provider", i["provider"])
        and i["accelerator_id"] == query.get("accelerator", i["accelerator_id"])
    ]
    return _listing(items)


@bp.get("/v1/regions")
def list_regions():
    provider = _query(_REGION_QUERY).get("provider")
    items = [r for r in _views().regions if provider is None or r["provider"] == provider]
    return _listing(items)


@bp.get("/v1/models")
def list_models():
    _query(_NO_QUERY)
    return _listing(_views().models)


@bp.get("/v1/models/<model_id>")
def get_model(model_id: str):
    _query(_NO_QUERY)
    return _item(_views().models_by_id, model_id, "model", "model preset", "/v1/models")


class CatalogItemNotFound(UnknownReferenceError):
    """An id in the URL path that the catalog does not hold: 404 with suggestions."""


def _item(by_id: dict[str, dict], item_id: str, catalog_kind: str, label: str, listing: str):
    """One catalog entry by id, or a 404 with close ids (computed only on a miss)."""
    item = by_id.get(item_id.lower())
    if item is None:
        suggestions = _views().catalog.suggest(catalog_kind, item_id)
        raise CatalogItemNotFound("path", label, item_id[:100], suggestions, listing)
    return json_response(item)
