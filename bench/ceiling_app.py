"""A diagnostic for the HTTP benchmark: the service with estimating made free.

``create_app()`` builds the real service (``service.create_app``, every setting read as usual) and replaces
its estimator with one that estimates each distinct validated request once and then answers from memory.
The benchmark posts the same few documented examples over and over, so after the warm-up every request
does everything the service does (read the body, validate it with the compiled loader, record the estimate
metric, turn the estimate into JSON, the serving layer) except the estimate itself.

Its throughput against the trivial endpoint is the ceiling that no speed-up of the domain can pass:
``bench/run.py --service ceiling`` (bench/README.md, "The ceiling"). It is never the service: the real
service does not cache answers, and a response cache would measure the cache on a benchmark that repeats
its bodies.

``gunicorn --config python:service.gunicorn_conf --pythonpath bench 'ceiling_app:create_app()'``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Flask

from service import create_app as create_service
from service.api.services import EXTENSION_KEY, services_of
from service.domain.estimate import Estimate
from service.domain.estimator import Estimator
from service.domain.recommendations import Recommender


class RememberingEstimator:
    """The service's estimator, asked once per distinct (kind, request); the requests are frozen dataclasses."""

    def __init__(self, estimator: Estimator) -> None:
        self.estimator = estimator
        self.remembered: dict[tuple[str, Any], Estimate] = {}
        self.computed = 0

    def estimate(self, kind: str, request: Any) -> Estimate:
        key = (kind, request)
        found = self.remembered.get(key)
        if found is None:
            found = self.remembered[key] = self.estimator.estimate(kind, request)
            self.computed += 1
        return found

    def __getattr__(self, name: str) -> Any:  # catalog, site_defaults, training(), ...: the real estimator's
        return getattr(self.estimator, name)


def create_app(config: dict | None = None) -> Flask:
    app = create_service(config)
    real = services_of(app)
    remembering = RememberingEstimator(real.estimator)
    app.extensions[EXTENSION_KEY] = dataclasses.replace(
        real,
        estimator=remembering,
        recommender=Recommender(remembering),  # type: ignore[arg-type]
    )
    return app
