"""Observability: Prometheus metrics, structured JSON logs and request ids.

``init_observability(app, settings)`` (called at the end of ``create_app``) wires three things into an app:

* **Request ids.** Every request gets an id: the caller's ``X-Request-ID`` when it is 1-128 characters of
  ``[A-Za-z0-9._-]``, else a fresh random UUID (version 4) as 32 hex digits. It is returned in the
  ``X-Request-ID`` response header, kept in the WSGI environ (see ``get_request_id()``) and added to every
  log line of the request.
* **Logs.** The ``service`` logger writes one JSON object per line to stdout. Each request produces exactly
  one access line (``ts, level, logger, message="request", request_id, method, path, endpoint, status,
  duration_ms, bytes``) unless ``settings.access_log`` is off; request bodies appear only when
  ``settings.log_payloads`` is on (as ``payload``, truncated).
* **Metrics.** ``GET /metrics`` in the Prometheus text format. Under gunicorn (``PROMETHEUS_MULTIPROC_DIR``
  set by ``service.gunicorn_conf``) it aggregates every worker; without it (Flask test client, a single
  process) it serves the default registry.

``record_estimate(kind, count)`` counts successful estimates by kind.
"""

from __future__ import annotations

from typing import Any

from .logs import configure_logging
from .metrics import ESTIMATE_KINDS, metrics_response, record_estimate
from .middleware import install_request_hooks
from .request_ids import get_request_id

__all__ = ["init_observability", "record_estimate", "get_request_id", "ESTIMATE_KINDS"]


def init_observability(app: Any, settings: Any) -> None:
    """Install logging, request-id/timing hooks and the ``/metrics`` endpoint on ``app``. Idempotent."""
    configure_logging(getattr(settings, "log_level", "INFO"))
    if "metrics" in app.view_functions:  # installed already
        return
    install_request_hooks(app, settings)
    app.add_url_rule("/metrics", endpoint="metrics", view_func=metrics_response, methods=["GET"])
