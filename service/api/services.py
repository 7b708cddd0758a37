"""The objects a running app shares between requests, held in one typed record.

``register_api`` builds them once per app; handlers reach them with ``services()`` (inside a request) and
tests or tools with ``services_of(app)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

from ..config import Settings
from ..domain import Estimator
from ..domain.recommendations import Recommender

if TYPE_CHECKING:
    from .catalog import CatalogViews

#: The key of the app's ``Services`` in ``app.extensions`` (Flask's registry for extension state).
EXTENSION_KEY = "genai_footprint"


@dataclass(frozen=True, slots=True, eq=False)
class Services:
    settings: Settings
    estimator: Estimator
    recommender: Recommender
    #: The catalog listings, serialised once.
    catalog_views: CatalogViews


def services_of(app: Flask) -> Services:
    found: Services = app.extensions[EXTENSION_KEY]
    return found


def services() -> Services:
    """The current app's services (inside a request or an app context)."""
    return services_of(current_app)
