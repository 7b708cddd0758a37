"""Strict numeric fields with bounds: JSON numbers only (no strings, no booleans), always finite."""

from __future__ import annotations

from marshmallow import fields, validate


class StrictFloat(fields.Float):
    """A JSON number (int or float, never bool or string), finite."""

    default_error_messages = {"invalid": "Not a valid number."}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_nan", False)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictInteger(fields.Integer):
    """A JSON integer (never bool, string or a float)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON true or false only (marshmallow's Boolean also takes 0, 1, "yes", "on"...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


def positive(maximum: float, description: str, minimum: float | None = None, **kwargs) -> StrictFloat:
    """A number > 0 (or >= ``minimum`` for divisors) and <= maximum (bounds keep every derived figure finite)."""
    if minimum is not None:
        return StrictFloat(
            validate=validate.Range(min=minimum, max=maximum), metadata={"description": description}, **kwargs
        )
    return StrictFloat(
        validate=validate.Range(min=0, min_inclusive=False, max=maximum),
        metadata={"description": description, "exclusiveMinimum": True},
        **kwargs,
    )


def non_negative(maximum: float, description: str, **kwargs) -> StrictFloat:
    return StrictFloat(validate=validate.Range(min=0, max=maximum), metadata={"description": description}, **kwargs)


def count(maximum: int, description: str, minimum: int = 1, **kwargs) -> StrictInteger:
    """An integer >= minimum (default 1) and <= maximum."""
    return StrictInteger(
        validate=validate.Range(min=minimum, max=maximum), metadata={"description": description}, **kwargs
    )


def identifier(description: str, **kwargs) -> fields.String:
    """A catalog id: short, printable."""
    return fields.String(validate=validate.Length(min=1, max=100), metadata={"description": description}, **kwargs)


def choice(options: tuple[str, ...], description: str, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(options), metadata={"description": description}, **kwargs)
