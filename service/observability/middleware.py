"""Per-request hooks: request id, timing, metrics and the JSON access line."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

from .logs import write_access_line
from .metrics import get_metrics, observe_request

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
PAYLOAD_LOG_LIMIT = 4096  # bytes of a request body logged when settings.log_payloads is on

access_log = logging.getLogger("service.access")


def _request_id_from(header: str | None) -> str:
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def get_request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id")


def install_request_hooks(app: Flask, settings: Any) -> None:
    log_access = bool(getattr(settings, "access_log", True))
    log_payloads = bool(getattr(settings, "log_payloads", False))
    get_metrics()

    def start() -> None:
        g.request_id = _request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()
        if log_payloads:
            g.request_payload = _read_payload()

    def finish(response: Response) -> Response:
        if "request_id" not in g:  # another before_request hook short-circuited ahead of ours
            g.request_id = _request_id_from(request.headers.get(REQUEST_ID_HEADER))
        started = g.get("request_started")
        seconds = time.perf_counter() - started if started is not None else 0.0
        response.headers[REQUEST_ID_HEADER] = g.request_id
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        try:
            observe_request(endpoint, request.method, response.status_code, seconds)
        except Exception:  # metrics must never fail a request
            logging.getLogger("service.observability").exception("recording request metrics failed")
        if log_access and access_log.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {
                "request_id": g.request_id,
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 3),
                "bytes": response.calculate_content_length(),
            }
            if log_payloads and g.get("request_payload") is not None:
                fields["payload"] = g.request_payload
            write_access_line(fields)
        return response

    # Run first among before_request hooks (an auth hook that rejects still gets an id and timing) and
    # last among after_request hooks (Flask runs those in reverse order), so we see the final response.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request_funcs.setdefault(None, []).insert(0, finish)


def _read_payload() -> str | None:
    """The request body for the access line (settings.log_payloads only), read and cached before the view.

    Read here because views may consume the body uncached; only bodies with a Content-Length within the
    size limit are read (anything else is left for the view to refuse).
    """
    length = request.content_length
    if not length:
        return None
    limit = request.max_content_length
    if limit is not None and length > limit:
        return None
    try:
        body = request.get_data(cache=True)
    except Exception:
        return None
    text = body[:PAYLOAD_LOG_LIMIT].decode("utf-8", errors="replace")
    return text + ("...(truncated)" if len(body) > PAYLOAD_LOG_LIMIT else "")
