"""HTTP layer: blueprints, request parsing and problem+json errors. Imports schemas and domain only."""

from __future__ import annotations

from flask import Flask

from . import batch, catalog, estimates, health, recommendations
from .problems import problem, register_error_handlers
from .security import init_security


def register_api(app: Flask) -> None:
    register_error_handlers(app)
    init_security(app, app.extensions["footprint.settings"])

    @app.errorhandler(catalog.CatalogItemNotFound)
    def _catalog_not_found(error: catalog.CatalogItemNotFound):
        return problem(404, "not-found", "Not found", error.message, suggestions=error.suggestions)

    for blueprint in (health.bp, catalog.bp, estimates.bp, batch.bp, recommendations.bp):
        app.register_blueprint(blueprint)
