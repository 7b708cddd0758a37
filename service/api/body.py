"""Strict JSON request bodies: no NaN/Infinity, no overflowing numbers, no duplicate keys, no lone surrogates."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from .problems import BadRequestBody, UnsupportedMediaType


def _reject_constant(name: str) -> Any:
    raise BadRequestBody(f"{name} is not valid JSON: numbers must be finite.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadRequestBody(f"The number {text[:40]} is out of range.")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # backslashreplace: the key may hold an unpaired surrogate, which the answer could not carry.
                shown = key[:60].encode("utf-8", "backslashreplace").decode("utf-8")
                raise BadRequestBody(f"Duplicate key '{shown}' in a JSON object.")
            seen.add(key)
    return result


#: A ``\\uD800``-``\\uDFFF`` escape: half of a UTF-16 surrogate pair, which JSON allows only in pairs.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(text: str, value: Any) -> None:
    """400 when a string holds an unpaired surrogate (``"\\ud800"``): it is not Unicode, cannot be written back
    as UTF-8, and would fail the answer that echoes it. Only bodies with such an escape are walked."""
    if "\\u" not in text or not _SURROGATE_ESCAPE.search(text):
        return
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequestBody(
                    "A string in the body holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff): not valid "
                    "Unicode."
                ) from None


_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys)


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400/415 problem."""
    if not is_json_mimetype(request.mimetype):
        raise UnsupportedMediaType(
            f"Send the body as application/json (got '{request.mimetype or 'no content type'}')."
        )
    raw = _read_body(request)
    try:
        text = raw.decode("utf-8")
        value, end = _decoder.raw_decode(text, _skip_ws(text, 0))
    except UnicodeDecodeError as exc:
        raise BadRequestBody("The body is not UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise BadRequestBody(f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from exc
    except RecursionError as exc:
        raise BadRequestBody("The JSON body is nested too deeply.") from exc
    except ValueError as exc:  # an integer past Python's 4,300-digit conversion limit
        raise BadRequestBody("A number in the body has too many digits.") from exc
    if _skip_ws(text, end) != len(text):
        raise BadRequestBody("Malformed JSON: extra data after the value.")
    if not isinstance(value, dict):
        raise BadRequestBody(
            f"The body must be a JSON object, got {type(value).__name__ if value is not None else 'null'}."
        )
    _refuse_lone_surrogates(text, value)
    return value


def _read_body(request: Request) -> bytes:
    """The body's bytes; 413 beyond ``max_content_length``.

    With a plain Content-Length (every ordinary client) the body is read straight from ``wsgi.input``, as
    PEP 3333 intends: werkzeug's stream wrapper would add a layer for the same bytes. Any
    other request (chunked, or a malformed length) goes through werkzeug, which reads up to the limit.
    """
    environ = request.environ
    declared = environ.get("CONTENT_LENGTH", "")
    try:
        if declared.isascii() and declared.isdigit() and "HTTP_TRANSFER_ENCODING" not in environ:
            length = int(declared)
            limit = request.max_content_length
            if limit is not None and length > limit:
                raise RequestEntityTooLarge()
            return environ["wsgi.input"].read(length) if length else b""
        raw = request.get_data(cache=False)
        _refuse_truncated(request, raw)
    except HTTPException:
        raise
    except Exception as exc:
        # The WSGI server's body reader gave up: malformed chunked framing (gunicorn raises its own parse
        # errors, InvalidChunkSize, ChunkMissingTerminator, from the stream), or a client that went away.
        # Reading client bytes failing is the client's fault whatever the server's exception types.
        raise BadRequest(f"The request body could not be read: {exc}") from exc
    return raw


def _refuse_truncated(request: Request, raw: bytes) -> None:
    """A body of unknown length (chunked) is read up to the limit only: if more follows, it is a 413.

    Werkzeug stops reading such a body at ``max_content_length`` without telling, which would parse a
    truncated document (a 400, or worse a different but valid one).
    """
    limit = request.max_content_length
    if (
        limit is not None
        and request.content_length is None
        and len(raw) >= limit
        and request.environ["wsgi.input"].read(1)
    ):
        raise RequestEntityTooLarge()


def _skip_ws(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index
