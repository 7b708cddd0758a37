"""HTTP layer: blueprints, request parsing and problem+json errors. Imports schemas and domain only."""

from __future__ import annotations

from flask import Flask

from ..config import Settings
from ..domain import Estimator
from ..domain.recommendations import Recommender
from . import batch, catalog, estimates, health, recommendations
from .problems import problem, register_error_handlers
from .security import init_security
from .services import EXTENSION_KEY, Services


def register_api(app: Flask, settings: Settings, estimator: Estimator) -> None:
    app.extensions[EXTENSION_KEY] = Services(
        settings=settings,
        estimator=estimator,
        recommender=Recommender(estimator),
        catalog_views=catalog.CatalogViews(estimator.catalog),
    )
    register_error_handlers(app)
    init_security(app, settings)

    @app.errorhandler(catalog.CatalogItemNotFound)
    def _catalog_not_found(error: catalog.CatalogItemNotFound):
        return problem(404, "not-found", "Not found", error.message, suggestions=error.suggestions)

    for blueprint in (health.bp, catalog.bp, estimates.bp, batch.bp, recommendations.bp):
        app.register_blueprint(blueprint)
