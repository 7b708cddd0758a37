"""A fast path for ``Schema.load`` on valid payloads, compiled from the marshmallow schema itself.

Loading a nested estimate payload with marshmallow costs about as much as the estimate itself (a dozen calls
per field, error stores and hook look-ups per nested schema; see the README's performance section), and the
recommendations check every change they show against the request's bounds with a load.
``compile_loader(schema)`` reads the schema
once, the fields, their validators, load defaults and nested schemas, and builds plain closures that do
the same conversions and checks on a valid payload. Anything it is not sure of sends the whole payload
back to ``schema.load``:

* a payload that fails any check (wrong type, out of range, unknown key, a missing required field, a
  schema validator raising) is loaded again by marshmallow, which then raises the usual ``ValidationError``
  with its usual messages and field paths; the fast path never builds an error of its own;
* only that fallback signal and marshmallow's ``ValidationError`` are caught: anything else is a bug and
  surfaces as one;
* hooks are read as marshmallow itself resolves them, from the ``__marshmallow_hook__`` declarations its
  decorators put on the schema's methods (the ``MarshmallowHook`` protocol), never from private state;
* a schema using a feature the compiler does not know (pre_load hooks, field validators declared with
  ``@validates``, ``partial``, ``unknown`` other than RAISE, field classes other than the ones below) is
  refused at compile time (``UnsupportedSchema``), so a schema change cannot silently change behaviour.

So the schema stays the single definition of the contract (and of the OpenAPI document), and for every
payload the result is the one ``schema.load`` gives: tests/api/test_fastload.py checks this on every
documented example and on generated valid and invalid payloads.

Supported fields: ``StrictFloat``, ``StrictInteger``, ``StrictBoolean`` (service.schemas.fields),
``fields.String``, ``fields.Nested`` (a single nested schema), ``fields.List`` of any of these and
``fields.Dict`` without key or value fields, with any validators: ``validate.Range``, ``validate.Length``
and ``validate.OneOf`` are checked inline, any other validator is called as marshmallow calls it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

from .fields import StrictBoolean, StrictFloat, StrictInteger


class UnsupportedSchema(TypeError):
    """The schema uses something the fast path does not reproduce exactly."""


class _Fallback(Exception):
    """Internal: hand the payload back to marshmallow.

    Raised as the class, so each refusal gets a fresh instance: a shared instance would collect the frames
    (and with them the payloads) of every refused request in its ``__traceback__``, for the life of the worker.
    """


_isfinite = math.isfinite


class FastLoader:
    """``load(payload)`` returns what ``schema.load(payload)`` returns, usually without calling it."""

    __slots__ = ("schema", "_load")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._load = _compile_schema(schema)

    def load(self, payload: Any) -> Any:
        return self._load_with(payload, None)

    def reusing(self) -> Callable[[Any], Any]:
        """A ``load`` for a series of payloads that share parts, such as one payload with different merge
        patches applied: an object met before in the series, the very same object, is not loaded again.

        Loading is a pure function of the raw object (no context, no state), so the result is the same; the
        series holds each object it loaded, so no other object can take its ``id``. The caller must not mutate
        the payloads while it uses the series.
        """
        memo: dict[int, tuple[Any, Any]] = {}
        return lambda payload: self._load_with(payload, memo)

    def _load_with(self, payload: Any, memo: dict[int, tuple[Any, Any]] | None) -> Any:
        try:
            return self._load(payload, memo)
        except (_Fallback, ValidationError):  # a check failed: marshmallow decides, and explains
            pass
        # Outside the handler, so marshmallow's ValidationError does not carry the fallback as its context.
        return self.schema.load(payload)


def compile_loader(schema: Schema) -> FastLoader:
    return FastLoader(schema)


# -- schemas -----------------------------------------------------------------------------------------------
#: A compiled schema or field: (raw value, the series' memo or None) -> loaded value.
_Loader = Callable[[Any, "dict[int, tuple[Any, Any]] | None"], Any]


def _compile_schema(schema: Schema) -> _Loader:
    name = type(schema).__name__
    if schema.many:
        raise UnsupportedSchema(f"{name}: many=True")
    if schema.unknown != RAISE:
        raise UnsupportedSchema(f"{name}: unknown={schema.unknown!r} (only RAISE)")
    if schema.partial not in (None, False):
        raise UnsupportedSchema(f"{name}: partial loading")
    declared = _declared_hooks(type(schema))
    for tag in (PRE_LOAD, VALIDATES):
        if declared.get(tag):
            raise UnsupportedSchema(f"{name}: {tag} hooks")
    validators = _bound_hooks(schema, declared.get(VALIDATES_SCHEMA, []), VALIDATES_SCHEMA)
    processors = _bound_hooks(schema, declared.get(POST_LOAD, []), POST_LOAD)
    unknown_tags = set(declared) - {PRE_LOAD, VALIDATES, VALIDATES_SCHEMA, POST_LOAD, "pre_dump", "post_dump"}
    if unknown_tags:
        raise UnsupportedSchema(f"{name}: hooks {sorted(unknown_tags)}")

    plan = []  # (data key, attribute, converter, default or missing, required)
    for attr_name, field in schema.load_fields.items():
        key = field.data_key if field.data_key is not None else attr_name
        attribute = field.attribute or attr_name
        if "." in attribute:
            raise UnsupportedSchema(f"{name}.{attr_name}: dotted attribute")
        plan.append((key, attribute, _compile_field(field, f"{name}.{attr_name}"), field.load_default, field.required))
    known = frozenset(key for key, *_ in plan)
    partial, unknown = schema.partial, schema.unknown

    def load(data: Any, memo: dict[int, tuple[Any, Any]] | None) -> Any:
        if memo is not None:
            seen = memo.get(id(data))
            if seen is not None and seen[0] is data:
                return seen[1]
        if type(data) is not dict or not known.issuperset(data):
            raise _Fallback
        result = {}
        for key, attribute, convert, default, required in plan:
            raw = data.get(key, missing)
            if raw is missing:
                if required:
                    raise _Fallback
                if default is missing:
                    continue
                result[attribute] = default() if callable(default) else default
            else:
                result[attribute] = convert(raw, memo)
        for validator in validators:
            validator(result, partial=partial, many=False, unknown=unknown)
        for processor in processors:
            result = processor(result, many=False, partial=partial, unknown=unknown)
        if memo is not None:
            memo[id(data)] = (data, result)
        return result

    return load


def _declared_hooks(cls: type) -> dict[str, list[tuple[str, bool, dict[str, Any]]]]:
    """Hooks as marshmallow's decorators declare them on the schema's methods (the ``MarshmallowHook``
    protocol of ``marshmallow.decorators``: ``{tag: [(pass_collection, options), ...]}``), in the order of the
    class's attributes, inherited ones included: tag -> [(method name, pass_collection, options)]."""
    hooks: dict[str, list[tuple[str, bool, dict[str, Any]]]] = {}
    for attr_name in dir(cls):
        config = getattr(getattr(cls, attr_name, None), "__marshmallow_hook__", None)
        for tag, entries in (config or {}).items():
            for pass_collection, options in entries:
                hooks.setdefault(tag, []).append((attr_name, pass_collection, options))
    return hooks


def _bound_hooks(schema: Schema, declared: list[tuple[str, bool, dict[str, Any]]], tag: str) -> list[Callable]:
    bound = []
    for attr_name, pass_collection, options in declared:
        if pass_collection or options.get("pass_original"):
            raise UnsupportedSchema(f"{type(schema).__name__}.{attr_name}: pass_collection/pass_original {tag} hook")
        bound.append(getattr(schema, attr_name))
    return bound


# -- fields ------------------------------------------------------------------------------------------------
def _compile_field(field: fields.Field, where: str) -> _Loader:
    if field.pre_load or field.post_load:
        raise UnsupportedSchema(f"{where}: field-level pre_load/post_load")
    checks = [_compile_validator(v) for v in field.validators]
    allow_none = field.allow_none
    structured: _Loader | None = None
    if type(field) is fields.Nested:
        structured = _nested(field, where)
    elif type(field) is fields.List:
        structured = _list(field, where)
    if structured is not None:
        load_structured = structured

        def convert_structured(raw: Any, memo: dict[int, tuple[Any, Any]] | None) -> Any:
            if raw is None:
                if allow_none:
                    return None
                raise _Fallback
            value = load_structured(raw, memo)
            for check in checks:
                check(value)
            return value

        return convert_structured
    # Exact types, not isinstance: a subclass may override deserialisation, which this path would skip.
    convert: Callable[[Any], Any]
    if type(field) is StrictFloat and not field.allow_nan:
        convert = _float
    elif type(field) is StrictInteger and field.strict:
        convert = _integer
    elif type(field) is StrictBoolean:
        convert = _boolean
    elif type(field) is fields.String:
        convert = _string
    elif type(field) is fields.Dict and field.key_field is None and field.value_field is None:
        convert = _dict
    else:
        raise UnsupportedSchema(f"{where}: {type(field).__name__} fields")

    def convert_field(raw: Any, memo: dict[int, tuple[Any, Any]] | None) -> Any:
        if raw is None:
            if allow_none:
                return None
            raise _Fallback
        value = convert(raw)
        for check in checks:
            check(value)
        return value

    return convert_field


def _float(raw: Any) -> float:
    # StrictFloat: an int or a float (never bool or str), converted with float(), finite.
    kind = type(raw)
    if kind is float:
        if _isfinite(raw):
            return raw
    elif kind is int:
        try:
            value = float(raw)
        except OverflowError:  # a huge int: marshmallow's "too large" error
            raise _Fallback from None
        if _isfinite(value):
            return value
    raise _Fallback


def _integer(raw: Any) -> int:
    if type(raw) is int:
        return raw
    raise _Fallback


def _boolean(raw: Any) -> bool:
    if raw is True or raw is False:
        return raw
    raise _Fallback


def _string(raw: Any) -> str:
    if type(raw) is str:
        return raw
    raise _Fallback


def _dict(raw: Any) -> dict:
    # Dict without key or value fields: marshmallow returns a shallow copy of any mapping (JSON gives dicts).
    if type(raw) is dict:
        return dict(raw)
    raise _Fallback


def _list(field: fields.List, where: str) -> _Loader:
    inner = _compile_field(field.inner, f"{where}[]")

    def load_list(raw: Any, memo: dict[int, tuple[Any, Any]] | None) -> list:
        # marshmallow takes any collection but a string or a mapping, item by item; JSON gives lists.
        if type(raw) is not list:
            raise _Fallback
        return [inner(item, memo) for item in raw]

    return load_list


def _nested(field: fields.Nested, where: str) -> _Loader:
    if field.many or field.only is not None or field.exclude or field.unknown not in (None, RAISE):
        raise UnsupportedSchema(f"{where}: Nested with many/only/exclude/unknown")
    schema = field.schema
    if not isinstance(schema, Schema):
        raise UnsupportedSchema(f"{where}: Nested of {type(schema).__name__}")
    return _compile_schema(schema)


# -- validators --------------------------------------------------------------------------------------------
def _compile_validator(validator: Callable[[Any], Any]) -> Callable[[Any], None]:
    if type(validator) is validate.Range:
        return _range(validator)
    if type(validator) is validate.Length and validator.equal is None:
        low, high = validator.min, validator.max

        def length(value: Any) -> None:
            n = len(value)
            if (low is not None and n < low) or (high is not None and n > high):
                raise _Fallback

        return length
    if type(validator) is validate.OneOf and all(type(c) is str for c in validator.choices):
        choices = frozenset(validator.choices)

        def one_of(value: Any) -> None:
            if value not in choices:
                raise _Fallback

        return one_of
    return validator  # called as marshmallow calls it; a ValidationError sends the payload back


def _range(rule: validate.Range) -> Callable[[Any], None]:
    low, high = rule.min, rule.max
    low_inclusive, high_inclusive = rule.min_inclusive, rule.max_inclusive

    def in_range(value: Any) -> None:
        if low is not None and (value < low if low_inclusive else value <= low):
            raise _Fallback
        if high is not None and (value > high if high_inclusive else value >= high):
            raise _Fallback

    return in_range
