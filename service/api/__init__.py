"""HTTP layer: blueprints, request parsing and problem+json errors. Imports schemas and domain only."""

from __future__ import annotations

from flask import Flask

from . import catalog, estimates, health
from .problems import problem, register_error_handlers


def register_api(app: Flask) -> None:
    register_error_handlers(app)

    @app.errorhandler(catalog.CatalogItemNotFound)
    def _catalog_not_found(error: catalog.CatalogItemNotFound):
        return problem(404, "not-found", "Not found", error.message, suggestions=error.suggestions)

    for blueprint in (health.bp, catalog.bp, estimates.bp):
        app.register_blueprint(blueprint)
