"""GET /healthz (process alive), GET /readyz (reference data loaded), GET /openapi.yaml and /openapi.json."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, Response, current_app

from ..domain.defaults import METHODOLOGY_VERSION
from .responses import encode_json, json_response
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


#: A type browsers display instead of saving: YAML is plain text (application/yaml, the registered type, makes
#: every browser download the file). Content-Disposition keeps the file name for "save as" and for tools.
OPENAPI_YAML_TYPE = "text/plain; charset=utf-8"


@lru_cache(maxsize=1)
def _openapi_yaml() -> str:
    from .openapi import spec_yaml

    return spec_yaml()


@lru_cache(maxsize=1)
def _openapi_json() -> bytes:
    from .openapi import build_spec

    return encode_json(build_spec().to_dict())


@bp.get("/openapi.yaml")
def openapi_yaml():
    response = Response(_openapi_yaml(), content_type=OPENAPI_YAML_TYPE)
    response.headers["Content-Disposition"] = 'inline; filename="openapi.yaml"'
    return response


@bp.get("/openapi.json")
def openapi_json():
    """The same document as JSON: what Swagger UI (/docs) and the calculator's form read."""
    return Response(_openapi_json(), mimetype="application/json")
