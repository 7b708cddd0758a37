"""Request ids: the caller's ``X-Request-ID`` when valid, else a fresh random one, kept in the WSGI environ.

Both the middleware (which sets the response header) and the log formatter (which adds the id to every line
of a request) read ids from here.
"""

from __future__ import annotations

import os
import re
from typing import Any

from flask import has_request_context, request

#: ``environ`` key holding the request's id.
REQUEST_ID_KEY = "footprint.request_id"

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def new_request_id() -> str:
    """A random (version 4) UUID as 32 hex digits: what ``uuid.uuid4().hex`` gives, in a third of the time."""
    octets = bytearray(os.urandom(16))
    octets[6] = (octets[6] & 0x0F) | 0x40  # version 4 (RFC 9562, section 5.4)
    octets[8] = (octets[8] & 0x3F) | 0x80  # variant 10xx
    return octets.hex()


def _request_id_from(header: str | None) -> str:
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


def request_id_of(environ: dict[str, Any]) -> str:
    """The request's id: the caller's valid ``X-Request-ID`` or a fresh one, fixed on first use."""
    request_id = environ.get(REQUEST_ID_KEY)
    if request_id is None:
        request_id = environ[REQUEST_ID_KEY] = _request_id_from(environ.get("HTTP_X_REQUEST_ID"))
    return request_id


def get_request_id() -> str | None:
    """The current request's id (None outside a request)."""
    if not has_request_context():
        return None
    return request_id_of(request.environ)
