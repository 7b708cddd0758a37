"""Access control, CORS and security headers.

* **API keys** (off by default; ``FOOTPRINT_AUTH_ENABLED=true``): ``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>`` on every path except ``OPEN_PATHS`` (default-deny). Keys are configured as SHA-256 hex digests
  (``FOOTPRINT_API_KEY_HASHES``); the presented key's digest is compared with *every* configured digest
  with ``hmac.compare_digest``, so timing reveals neither which digest nor how much of it matched.
  A missing or wrong key gets 401 problem+json with ``WWW-Authenticate: Bearer``. Health, readiness,
  metrics and the OpenAPI document stay open. Enabling auth without any digest is a start-up error.
* **CORS**: only origins in ``FOOTPRINT_CORS_ALLOWED_ORIGINS`` (exact match; none by default) get
  ``Access-Control-Allow-Origin``. Preflight ``OPTIONS`` requests are answered here (no key needed:
  browsers never send credentials on a preflight).
* **Security headers** on every response, ``Cache-Control: no-store`` on ``/v1`` answers.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import Flask, Response, request

from ..config import ConfigError
from ..observability.middleware import routed_path
from .problems import problem

PROTECTED_PREFIX = "/v1/"
#: The only paths answered without a key when auth is on (default-deny: any other path needs one).
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.yaml"})
REALM = "genai-footprint"
#: Longest key accepted (characters); longer values are refused without hashing them.
MAX_KEY_LENGTH = 512

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, X-API-Key, Content-Type, X-Request-ID"
EXPOSED_HEADERS = "X-Request-ID"
PREFLIGHT_MAX_AGE = "600"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_SECURITY_HEADER_ITEMS = tuple(SECURITY_HEADERS.items())  # no view sets these: appended, never replaced

_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def hash_key(key: str) -> str:
    """The SHA-256 hex digest configured for ``key`` (``printf %s "$KEY" | sha256sum``)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_key_hashes(enabled: bool, hashes: tuple[str, ...]) -> tuple[bytes, ...]:
    """Validated digests as bytes; ``ConfigError`` for a malformed digest or auth on with none."""
    digests = []
    for raw in hashes:
        digest = raw.strip().lower()
        if not _HEX_DIGEST.match(digest):
            # Never echo the value: it might be a key pasted by mistake.
            raise ConfigError("FOOTPRINT_API_KEY_HASHES: every entry must be a SHA-256 hex digest (64 hex characters).")
        digests.append(digest.encode("ascii"))
    if enabled and not digests:
        raise ConfigError(
            "FOOTPRINT_AUTH_ENABLED is true but FOOTPRINT_API_KEY_HASHES is empty: no key could ever be accepted. "
            "Configure at least one SHA-256 digest (see docs/security.md) or disable auth."
        )
    return tuple(digests)


def presented_key(headers) -> str | None:
    """The key from ``Authorization: Bearer`` (preferred) or ``X-API-Key``; None when absent."""
    authorization = headers.get("Authorization")
    if authorization:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    key = headers.get("X-API-Key")
    if key and key.strip():
        return key.strip()
    return None


def key_is_valid(key: str | None, digests: tuple[bytes, ...]) -> bool:
    if not key or len(key) > MAX_KEY_LENGTH:
        return False
    candidate = hash_key(key).encode("ascii")
    matched = False
    for digest in digests:  # every digest, no early exit
        matched |= hmac.compare_digest(candidate, digest)
    return matched


def _unauthorized(key_given: bool) -> Response:
    detail = (
        "The API key is not valid."
        if key_given
        else "An API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
    )
    response = problem(401, "unauthorized", "Unauthorized", detail)
    error = ', error="invalid_token"' if key_given else ""
    response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"{error}'
    return response


def _is_preflight() -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def init_security(app: Flask, settings) -> None:
    digests = parse_key_hashes(settings.auth_enabled, settings.api_key_hashes)
    auth_enabled = settings.auth_enabled
    allowed_origins = frozenset(o.rstrip("/") for o in settings.cors_allowed_origins)

    @app.before_request
    def _preflight_and_auth():
        if _is_preflight():
            response = app.response_class(status=204)
            if request.headers["Origin"] in allowed_origins:
                response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
            # A disallowed origin gets no CORS headers: the browser blocks the call.
            return response
        if auth_enabled and request.path not in OPEN_PATHS:
            key = presented_key(request.headers)
            if not key_is_valid(key, digests):
                return _unauthorized(key is not None)
        return None

    app.wsgi_app = SecurityHeaders(app.wsgi_app, allowed_origins)  # type: ignore[method-assign]  # Flask's middleware idiom


class SecurityHeaders:
    """WSGI middleware adding the security, cache and CORS headers to every response.

    At the WSGI level these are appends to the header list the app hands to ``start_response``; as a Flask
    ``after_request`` hook the same work cost about 15 us a request in werkzeug header operations and
    context-local lookups (bench/README.md).
    """

    def __init__(self, wsgi_app, allowed_origins: frozenset[str]) -> None:
        self.wsgi_app = wsgi_app
        self.allowed_origins = allowed_origins

    def __call__(self, environ, start_response):
        # "//v1/models" is answered as "/v1/models", so it is protected too.
        protected = routed_path(environ).startswith(PROTECTED_PREFIX)
        origin = environ.get("HTTP_ORIGIN")
        cors = origin is not None and origin in self.allowed_origins

        def start_with_headers(status, headers, exc_info=None):
            if protected:  # no view sets Cache-Control (tests/api/test_security.py checks there is one)
                headers.append(("Cache-Control", "no-store"))
            headers.extend(_SECURITY_HEADER_ITEMS)
            headers.append(("Vary", "Origin"))
            if cors:
                headers.append(("Access-Control-Allow-Origin", origin))
                headers.append(("Access-Control-Expose-Headers", EXPOSED_HEADERS))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_headers)
