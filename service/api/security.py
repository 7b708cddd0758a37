"""Access control, CORS and security headers.

* **API keys** (off by default; ``FOOTPRINT_AUTH_ENABLED=true``): ``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>`` on every path except ``OPEN_PATHS`` (default-deny). Keys are configured as SHA-256 hex digests
  (``FOOTPRINT_API_KEY_HASHES``); the presented key's digest is compared with *every* configured digest
  with ``hmac.compare_digest``, so timing reveals neither which digest nor how much of it matched.
  A missing or wrong key gets 401 problem+json with ``WWW-Authenticate: Bearer``. Health, readiness,
  metrics, the OpenAPI document (YAML and JSON) and the pages with their static files (service/web: they carry
  no data, and every API call they make needs the key like any other) stay open. Enabling auth without any
  digest is a start-up error.
* **CORS**: only origins in ``FOOTPRINT_CORS_ALLOWED_ORIGINS`` (exact match; none by default) get
  ``Access-Control-Allow-Origin``. Preflight ``OPTIONS`` requests are answered here (no key needed:
  browsers never send credentials on a preflight).
* **Security headers** on every response, ``Cache-Control: no-store`` on ``/v1`` answers. The
  Content-Security-Policy depends on the path: the API answers get ``default-src 'none'``; the pages get a
  policy that admits their own scripts, styles and API calls and nothing inline (``/docs`` adds what Swagger
  UI needs), and may be framed by the CORS origins only; static files may be loaded by other origins
  (``Cross-Origin-Resource-Policy: cross-origin``, so a portal can use the embeddable element).
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
#: Pages (service/web): HTML documents with their own Content-Security-Policy (PAGE_POLICIES, below).
PAGE_PATHS = frozenset({"/", "/docs"})
#: Static files of the pages: scripts, styles, images (the embeddable element is loaded from other origins).
STATIC_PATHS = frozenset({"/embed.js"})
STATIC_PREFIX = "/assets/"
#: The only paths answered without a key when auth is on (default-deny: any other path needs one), besides the
#: static files under STATIC_PREFIX.
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/openapi.yaml", "/openapi.json", *PAGE_PATHS, *STATIC_PATHS}
)
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

#: The pages' policy: their own scripts (ES modules), styles, icon and API calls; nothing inline, no plugin, no
#: form posted anywhere (the calculator's form is handled by its script), no <base> to re-point relative URLs.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
#: /docs runs Swagger UI, whose stylesheet draws its icons as data: URIs: that is all it needs beyond the pages'
#: policy (its React components set styles through the CSSOM, which style-src does not restrict), and only
#: that page gets it.
DOCS_CSP = PAGE_CSP.replace("img-src 'self'", "img-src 'self' data:")
PAGE_POLICIES = {"/": PAGE_CSP, "/docs": DOCS_CSP}

_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")
#: An origin as browsers send it (scheme://host[:port]); anything else in the CORS list is a start-up error,
#: since the list is also written into the pages' frame-ancestors directive.
_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")


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


def parse_origins(origins: tuple[str, ...]) -> frozenset[str]:
    """The CORS allow-list, each entry an origin; ``ConfigError`` naming the first entry that is not one."""
    parsed = set()
    for raw in origins:
        origin = raw.strip().rstrip("/")
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"FOOTPRINT_CORS_ALLOWED_ORIGINS: {raw!r} is not an origin (scheme://host or scheme://host:port)."
            )
        parsed.add(origin)
    return frozenset(parsed)


def is_open_path(path: str) -> bool:
    """Answered without a key when auth is on: health, metrics, the OpenAPI document, the pages and their files."""
    return path in OPEN_PATHS or path.startswith(STATIC_PREFIX)


def page_headers(csp: str, allowed_origins: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """Security headers of a page: framed by the CORS origins only (no one when the list is empty)."""
    ancestors = " ".join(sorted(allowed_origins)) or "'none'"
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Content-Security-Policy", f"{csp}; frame-ancestors {ancestors}"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
    if not allowed_origins:
        # X-Frame-Options cannot name origins; where some are allowed, frame-ancestors alone decides (browsers
        # that know it ignore X-Frame-Options).
        headers.append(("X-Frame-Options", "DENY"))
    return tuple(headers)


#: Static files carry no data and are meant to be loaded by the portals that embed the element.
STATIC_HEADERS = tuple(
    (name, "cross-origin" if name == "Cross-Origin-Resource-Policy" else value)
    for name, value in _SECURITY_HEADER_ITEMS
)


def init_security(app: Flask, settings) -> None:
    digests = parse_key_hashes(settings.auth_enabled, settings.api_key_hashes)
    auth_enabled = settings.auth_enabled
    allowed_origins = parse_origins(settings.cors_allowed_origins)

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
        if auth_enabled and not is_open_path(request.path):
            key = presented_key(request.headers)
            if not key_is_valid(key, digests):
                return _unauthorized(key is not None)
        return None

    app.wsgi_app = SecurityHeaders(app.wsgi_app, allowed_origins)  # type: ignore[method-assign]  # Flask's middleware idiom


class SecurityHeaders:
    """WSGI middleware adding the security, cache and CORS headers to every response.

    At the WSGI level these are appends to the header list the app hands to ``start_response``; as a Flask
    ``after_request`` hook the same work costs werkzeug header operations and context-local lookups on
    every request (bench/README.md).
    """

    def __init__(self, wsgi_app, allowed_origins: frozenset[str]) -> None:
        self.wsgi_app = wsgi_app
        self.allowed_origins = allowed_origins
        self.by_path = {path: page_headers(csp, allowed_origins) for path, csp in PAGE_POLICIES.items()}
        self.by_path.update(dict.fromkeys(STATIC_PATHS, STATIC_HEADERS))

    def _headers_for(self, path: str) -> tuple[tuple[str, str], ...]:
        headers = self.by_path.get(path)
        if headers is not None:
            return headers
        return STATIC_HEADERS if path.startswith(STATIC_PREFIX) else _SECURITY_HEADER_ITEMS

    def __call__(self, environ, start_response):
        # "//v1/models" is answered as "/v1/models", so it is protected too.
        path = routed_path(environ)
        protected = path.startswith(PROTECTED_PREFIX)
        security_headers = _SECURITY_HEADER_ITEMS if protected else self._headers_for(path)
        origin = environ.get("HTTP_ORIGIN")
        cors = origin is not None and origin in self.allowed_origins

        def start_with_headers(status, headers, exc_info=None):
            if protected:  # no view sets Cache-Control (tests/api/test_security.py checks there is one)
                headers.append(("Cache-Control", "no-store"))
            headers.extend(security_headers)
            headers.append(("Vary", "Origin"))
            if cors:
                headers.append(("Access-Control-Allow-Origin", origin))
                headers.append(("Access-Control-Expose-Headers", EXPOSED_HEADERS))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_headers)
