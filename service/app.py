"""Application factory: settings, reference data, blueprints, error handling, observability."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response

from .config import Settings
from .domain import Estimator
from .reference import load_catalog


class _Response(Response):
    """No Content-Type unless a body says what it is: every body the service writes names its media type, so
    the only answers left without one are bodiless (Flask's automatic OPTIONS, a CORS preflight's 204), which
    were labelled text/html."""

    default_mimetype = None


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the service. ``config`` overrides ``FOOTPRINT_*`` settings (used by tests).

    Loading the reference data happens here, once: a malformed row raises ``ReferenceDataError``
    naming the file and line, and the service does not start.
    """
    from .api import register_api
    from .observability import init_observability
    from .web import register_web

    settings = Settings.from_env().merged(config)
    catalog = load_catalog(Path(settings.data_dir) if settings.data_dir else None)

    # No static folder: Flask's default /static/<path> route is left out; the pages' files are served by
    # service.web, each from a known folder with a known media type.
    app = Flask(__name__, static_folder=None)
    app.response_class = _Response
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    register_api(app, settings, Estimator(catalog))
    register_web(app)
    init_observability(app, settings)
    return app
