"""RFC 7807 problem+json: the one error shape of the service, and the handlers that produce it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from ..domain import EstimationError, UnknownReferenceError
from ..domain.ranges import NonFiniteFigureError

PROBLEM_MIMETYPE = "application/problem+json"
_TYPE_PREFIX = "urn:genai-footprint:problem:"
_log = logging.getLogger("service.api")


class BadRequestBody(Exception):
    """The body is not usable JSON (malformed, NaN literal, duplicate key...): 400."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnsupportedMediaType(Exception):
    """The body is not declared as JSON: 415."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def slug_of(title: str) -> str:
    """The ``type`` slug of a problem named after an HTTP status phrase: "Request Timeout" -> "request-timeout"."""
    return title.lower().replace(" ", "-")


def problem_body(status: int, slug: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem+json document as a dict (batch items embed it)."""
    body: dict[str, Any] = {"type": _TYPE_PREFIX + slug, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    return problem_response(problem_body(status, slug, title, detail, **extra))


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages -> ``{"hardware.count": ["..."]}``; schema-level errors keep the parent path."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = (prefix or "body") if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for sub_path, texts in flatten_messages(value, path).items():
                flat.setdefault(sub_path, []).extend(texts)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for sub_path, texts in flatten_messages(item, prefix).items():
                flat.setdefault(sub_path, []).extend(texts)
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


#: A body can hold thousands of unknown keys, or one key of half a megabyte, and each is named back in a 422:
#: the answer names at most this many field paths (the first in sorted order), each cut to MAX_PATH_CHARS, so
#: that it stays small whatever was sent (60,000 unknown keys gave a 2.3 MB answer).
MAX_REPORTED_FIELDS = 50
MAX_PATH_CHARS = 200


def _shown_path(path: str) -> str:
    return path if len(path) <= MAX_PATH_CHARS else path[:MAX_PATH_CHARS] + "..."


def validation_problem_body(error: ValidationError, prefix: str = "") -> dict[str, Any]:
    """422 body; ``prefix`` (e.g. ``workload``) is put in front of every field path."""
    flat = flatten_messages(error.messages, prefix)
    errors: dict[str, list[str]] = {}
    for path in sorted(flat):
        if len(errors) == MAX_REPORTED_FIELDS:
            break
        # Paths that read alike once cut are shown once; the others are counted in errors_omitted.
        errors.setdefault(_shown_path(path), flat[path])
    omitted = len(flat) - len(errors)
    fields_list = ", ".join(errors) + (f" and {omitted} more" if omitted else "")
    return problem_body(
        422,
        "validation-error",
        "Invalid request",
        f"The request failed validation at: {fields_list}.",
        errors=errors,
        errors_omitted=omitted or None,
    )


def validation_problem(error: ValidationError) -> Response:
    return problem_response(validation_problem_body(error))


def estimation_problem_body(error: EstimationError, prefix: str = "") -> dict[str, Any]:
    suggestions = error.suggestions if isinstance(error, UnknownReferenceError) else None
    title = {
        "unknown-reference": "Unknown catalog id",
        "underdetermined": "Inputs do not determine the estimate",
        "figure-not-published": "A needed figure is not published",
    }.get(error.code, "Cannot estimate")
    field = f"{prefix}.{error.field}" if prefix and error.field else (error.field or prefix or "body")
    return problem_body(422, error.code, title, error.message, errors={field: [error.message]}, suggestions=suggestions)


def estimation_problem(error: EstimationError) -> Response:
    return problem_response(estimation_problem_body(error))


#: A figure too large to represent: bounds on every input should make it impossible; this is the guard.
OUT_OF_RANGE = (
    422,
    "out-of-range",
    "Result out of range",
    "The inputs lead to a figure too large to represent. Reduce the largest inputs.",
)


def is_non_finite_error(error: BaseException) -> bool:
    """An overflow, or a non-finite figure refused by ``Range`` or by the JSON encoder."""
    return isinstance(error, (OverflowError, FloatingPointError, NonFiniteFigureError))


def problem_response(body: dict[str, Any]) -> Response:
    """A response from a ``problem_body`` dict."""
    return Response(json.dumps(body), status=body["status"], mimetype=PROBLEM_MIMETYPE)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError):
        return validation_problem(error)

    @app.errorhandler(EstimationError)
    def _estimation(error: EstimationError):
        return estimation_problem(error)

    @app.errorhandler(BadRequestBody)
    def _bad_body(error: BadRequestBody):
        return problem(400, "malformed-json", "Malformed JSON body", error.detail)

    @app.errorhandler(UnsupportedMediaType)
    def _media(error: UnsupportedMediaType):
        return problem(415, "unsupported-media-type", "Unsupported media type", error.detail)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        slug = slug_of(error.name or "error")
        detail = {
            404: "No endpoint at this path. GET /openapi.yaml lists the endpoints.",
            413: f"The request body is larger than the limit of {app.config.get('MAX_CONTENT_LENGTH')} bytes.",
        }.get(status, error.description or error.name)
        response = problem(status, slug, error.name, detail)
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if is_non_finite_error(error):
            _log.warning("non-finite figure turned into a 422: %s", type(error).__name__)
            return problem(*OUT_OF_RANGE)
        # Never show internals to a client; the log keeps the trace.
        _log.exception("unhandled error")
        return problem(500, "internal-error", "Internal error", "The service failed to answer this request.")
