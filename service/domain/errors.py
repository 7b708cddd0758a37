"""Errors the estimators raise for inputs that pass validation but cannot be estimated."""

from __future__ import annotations


class EstimationError(Exception):
    """An input that is well-formed but cannot be used; carries the field path it concerns."""

    code = "estimation-error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class UnknownReferenceError(EstimationError):
    """An id that is not in the catalog; ``suggestions`` lists close ids."""

    code = "unknown-reference"

    def __init__(self, field: str, kind: str, value: str, suggestions: list[str], listing: str) -> None:
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(field, f"Unknown {kind} '{value}'.{hint} See {listing} for the list.")
        self.suggestions = suggestions


class UnderdeterminedError(EstimationError):
    """The inputs do not determine a quantity; the message names inputs that would."""

    code = "underdetermined"


class MissingReferenceFigureError(EstimationError):
    """The catalog has no published figure the estimate needs (e.g. no TDP for Trainium)."""

    code = "figure-not-published"
