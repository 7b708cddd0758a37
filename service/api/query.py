"""Query parameters: one value each (werkzeug would otherwise keep whichever it meets first)."""

from __future__ import annotations

from collections.abc import Container

from flask import request
from marshmallow import ValidationError


def refuse_repeated(names: Container[str] | None = None) -> None:
    """A 422 naming each parameter (of ``names``, or any) given more than once, e.g. ``?provider=gcp&provider=aws``."""
    repeated = {
        name: ["Given more than once."]
        for name, values in request.args.lists()
        if len(values) > 1 and (names is None or name in names)
    }
    if repeated:
        raise ValidationError(repeated)
