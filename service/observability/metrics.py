"""Prometheus metrics, aggregated over gunicorn workers when ``PROMETHEUS_MULTIPROC_DIR`` is set.

prometheus_client chooses between in-process and file-backed (multiprocess) values when it is imported,
from ``PROMETHEUS_MULTIPROC_DIR``. ``service.gunicorn_conf`` sets that variable before anything imports
prometheus_client, and the metrics here are created lazily (first ``init_observability``), in the worker.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from importlib import metadata

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

PREFIX = "genai_footprint"
ESTIMATE_KINDS = ("training", "fine-tuning", "inference")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_log = logging.getLogger("service.observability")
_lock = threading.Lock()


@dataclass(frozen=True)
class _Metrics:
    requests: Counter
    latency: Histogram
    estimates: Counter
    build_info: Gauge
    #: Labelled children by label values. prometheus_client's ``labels()`` validates the values and takes a
    #: lock on every call; the label sets here are bounded (routes x methods x statuses, kinds), so
    #: each child is looked up once and reused. Concurrent first look-ups get the same child.
    request_children: dict = field(default_factory=dict)
    estimate_children: dict = field(default_factory=dict)


_metrics: _Metrics | None = None


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def get_metrics() -> _Metrics:
    """Create the service's metrics once per process (in a gunicorn worker: after the fork)."""
    global _metrics
    if _metrics is not None:
        return _metrics
    with _lock:
        if _metrics is None:
            if multiprocess_dir() and values.ValueClass is values.MutexValue:
                # prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set; switch to
                # file-backed values now, before our first metric exists, so workers aggregate.
                values.ValueClass = values.get_value_class()
            _metrics = _create()
    return _metrics


def _create() -> _Metrics:
    requests = Counter(
        f"{PREFIX}_http_requests",
        "HTTP requests served, by endpoint (Flask URL rule), method and status.",
        ["endpoint", "method", "status"],
    )
    latency = Histogram(
        f"{PREFIX}_http_request_duration_seconds",
        "Time to serve an HTTP request, by endpoint (Flask URL rule), method and status.",
        ["endpoint", "method", "status"],
        buckets=LATENCY_BUCKETS,
    )
    estimates = Counter(
        f"{PREFIX}_estimates",
        "Successful estimates, by kind (training, fine-tuning, inference).",
        ["kind"],
    )
    build_info = Gauge(
        f"{PREFIX}_build_info",
        "Always 1; labels give the service version, methodology version and Python version.",
        ["version", "methodology_version", "python_version"],
        multiprocess_mode="max",
    )
    build_info.labels(
        version=_service_version(),
        methodology_version=_methodology_version(),
        python_version="{}.{}.{}".format(*sys.version_info[:3]),
    ).set(1)
    for kind in ESTIMATE_KINDS:  # export zeros so rate() works from the first scrape
        estimates.labels(kind=kind)
    return _Metrics(requests, latency, estimates, build_info)


def _service_version() -> str:
    try:
        return metadata.version("genai-footprint")
    except metadata.PackageNotFoundError:
        return "unknown"


def _methodology_version() -> str:
    try:
        from ..domain.defaults import METHODOLOGY_VERSION
    except ImportError:
        return "unknown"
    return str(METHODOLOGY_VERSION)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    m = get_metrics()
    method = method if method in HTTP_METHODS else "other"
    key = (endpoint, method, status)
    children = m.request_children.get(key)
    if children is None:
        labels = (endpoint, method, str(status))
        children = m.request_children[key] = (m.requests.labels(*labels), m.latency.labels(*labels))
    counter, histogram = children
    counter.inc()
    histogram.observe(seconds)


def record_estimate(kind: str, count: int = 1) -> None:
    """Count ``count`` successful estimates of ``kind`` (training, fine-tuning or inference)."""
    if count <= 0:
        return
    if kind not in ESTIMATE_KINDS:
        _log.warning("record_estimate: unknown kind %r counted as 'other'", kind)
        kind = "other"
    m = get_metrics()
    child = m.estimate_children.get(kind)
    if child is None:
        child = m.estimate_children[kind] = m.estimates.labels(kind=kind)
    child.inc(count)


def render() -> bytes:
    """The exposition text: every worker's values under gunicorn, this process's otherwise."""
    get_metrics()
    path = multiprocess_dir()
    if path and values.ValueClass is not values.MutexValue:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_response():
    from flask import Response

    return Response(render(), status=200, content_type=CONTENT_TYPE_LATEST)


def mark_process_dead(pid: int) -> None:
    """gunicorn ``child_exit`` hook helper: drop a dead worker's live gauges."""
    path = multiprocess_dir()
    if path:
        multiprocess.mark_process_dead(pid, path)
