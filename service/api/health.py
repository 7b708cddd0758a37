"""GET /healthz (process alive), GET /readyz (reference data loaded), GET /openapi.yaml."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, Response, current_app

from ..domain.defaults import METHODOLOGY_VERSION
from .responses import json_response
from .services import EXTENSION_KEY, services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz():
    found = current_app.extensions.get(EXTENSION_KEY)
    if found is None:
        return json_response({"status": "not-ready"}, status=503)
    catalog = services().estimator.catalog
    return json_response(
        {
            "status": "ready",
            "data_version": catalog.data_version,
            "methodology_version": METHODOLOGY_VERSION,
            "counts": {
                "accelerators": len(catalog.accelerators),
                "instances": len(catalog.instances),
                "regions": len(catalog.regions),
                "countries": len(catalog.countries),
                "models": len(catalog.models),
            },
        }
    )


@lru_cache(maxsize=1)
def _openapi_yaml() -> str:
    from .openapi import spec_yaml

    return spec_yaml()


@bp.get("/openapi.yaml")
def openapi_yaml():
    return Response(_openapi_yaml(), mimetype="application/yaml")
