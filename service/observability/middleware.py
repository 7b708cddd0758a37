"""Per-request observability as WSGI middleware: request id, timing, metrics and the JSON access line.

It wraps ``app.wsgi_app`` rather than hooking ``before_request``/``after_request``: at the WSGI level the
request id, the status and the response length are plain values in ``environ`` and the header list, so
every request pays a few dictionary lookups instead of a dozen context-local proxy lookups and werkzeug
header operations (bench/README.md), and the timing covers Flask's own routing and
error handling too. The one thing only Flask knows, the matched URL rule (the ``endpoint`` label, bounded
by the routes, unlike the raw path), is noted in ``environ`` by a one-line ``before_request`` hook.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request

from .logs import write_access_line
from .metrics import get_metrics, observe_request
from .request_ids import request_id_of

REQUEST_ID_HEADER = "X-Request-ID"
PAYLOAD_LOG_LIMIT = 4096  # bytes of a request body logged when settings.log_payloads is on

#: ``environ`` key of the matched endpoint, noted by a ``before_request`` hook.
ENDPOINT_KEY = "footprint.endpoint"
UNMATCHED = "unmatched"
_BODILESS = frozenset({204, 304})  # statuses answered without a body (and without Content-Length)

access_log = logging.getLogger("service.access")
_log = logging.getLogger("service.observability")


def routed_path(environ: dict[str, Any]) -> str:
    """``request.path`` as werkzeug routes it: PEP 3333's latin-1 code points decoded as UTF-8, one leading slash."""
    return "/" + environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace").lstrip("/")


class _Outcome:
    """What the app answered: status code (500 until it starts a response) and Content-Length (None: unknown)."""

    __slots__ = ("status", "length")

    def __init__(self) -> None:
        self.status: int = 500
        self.length: int | None = None


class RequestObservability:
    """WSGI middleware: ``app.wsgi_app = RequestObservability(app.wsgi_app, ...)``."""

    def __init__(
        self,
        wsgi_app: Callable,
        *,
        log_access: bool = True,
        log_payloads: bool = False,
        max_body_bytes: int | None = None,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.log_access = log_access
        self.log_payloads = log_payloads
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_of(environ)
        payload = self._read_payload(environ) if self.log_payloads else None
        outcome = _Outcome()

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            code = outcome.status = int(status[:3])
            for name, value in headers:
                if name == "Content-Length":
                    outcome.length = int(value)
                    break
            else:
                if code in _BODILESS or code < 200:  # werkzeug sends no Content-Length: there is no body
                    outcome.length = 0
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start_with_id)
        finally:
            self._record(environ, request_id, outcome.status, outcome.length, time.perf_counter() - started, payload)

    def _record(
        self,
        environ: dict[str, Any],
        request_id: str,
        status: int,
        length: int | None,
        seconds: float,
        payload: str | None,
    ) -> None:
        endpoint = environ.get(ENDPOINT_KEY, UNMATCHED)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            observe_request(endpoint, method, status, seconds)
        except Exception:  # metrics must never fail a request
            _log.exception("recording request metrics failed", extra={"request_id": request_id})
        if not (self.log_access and access_log.isEnabledFor(logging.INFO)):
            return
        try:
            fields: dict[str, Any] = {
                "request_id": request_id,
                "method": method,
                "path": routed_path(environ),
                "endpoint": endpoint,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "bytes": length,
            }
            if payload is not None:
                fields["payload"] = payload
            write_access_line(fields)
        except Exception:  # nor must the access log (a closed stdout, say): the answer is already made
            _log.exception("writing the access line failed", extra={"request_id": request_id})

    def _read_payload(self, environ: dict[str, Any]) -> str | None:
        """The request body for the access line, read ahead and put back for the app (log_payloads only).

        Only bodies with a Content-Length within the size limit are read; anything else is left for the
        app to refuse.
        """
        if "HTTP_TRANSFER_ENCODING" in environ:  # the declared length does not apply (left to the app)
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length <= 0 or (self.max_body_bytes is not None and length > self.max_body_bytes):
            return None
        try:
            body = environ["wsgi.input"].read(length)
        except Exception:
            return None
        environ["wsgi.input"] = io.BytesIO(body)
        text = body[:PAYLOAD_LOG_LIMIT].decode("utf-8", errors="replace")
        return text + ("...(truncated)" if len(body) > PAYLOAD_LOG_LIMIT else "")


def _note_endpoint() -> None:
    rule = request.url_rule
    if rule is not None:
        request.environ[ENDPOINT_KEY] = rule.rule


def install_request_hooks(app: Flask, settings: Any) -> None:
    get_metrics()
    # First among before_request hooks, so a request an auth hook rejects is still labelled by its route.
    app.before_request_funcs.setdefault(None, []).insert(0, _note_endpoint)
    app.wsgi_app = RequestObservability(  # type: ignore[method-assign]  # Flask's documented middleware idiom
        app.wsgi_app,
        log_access=bool(getattr(settings, "access_log", True)),
        log_payloads=bool(getattr(settings, "log_payloads", False)),
        max_body_bytes=getattr(settings, "max_body_bytes", None),
    )
