"""Changes as JSON merge patches (RFC 7386) of the request payload, applied to domain requests directly.

Payload keys and request dataclass fields share their names, so one patch describes the change both for
the caller (apply it to the JSON and re-estimate) and for the engine (``apply_patch`` derives the changed
request with ``dataclasses.replace``, without re-validating). ``null`` removes a field: the request falls
back to that field's default, exactly as the API does for an omitted field.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any


def _default(obj: Any, name: str) -> Any:
    cls = type(obj)
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = _defaults(cls)
    if name not in defaults:
        known = {f.name for f in dataclasses.fields(obj)}
        if name in known:
            raise KeyError(f"{type(obj).__name__}.{name} has no default and cannot be removed")
        raise KeyError(f"{type(obj).__name__} has no field {name}")
    return defaults[name]


#: Each request class's field defaults, made once (they are frozen dataclasses, so one instance of a factory's
#: default can be shared).
_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def apply_patch(obj: Any, patch: dict[str, Any]) -> Any:
    """The dataclass ``obj`` with ``patch`` merged in (nested dicts patch nested dataclasses)."""
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        current = getattr(obj, key)
        if isinstance(value, dict):
            if current is None or not dataclasses.is_dataclass(current):
                raise TypeError(f"cannot patch {key}: no nested request to merge into")
            changes[key] = apply_patch(current, value)
        elif value is None:
            changes[key] = _default(obj, key)
        else:
            changes[key] = value
    return dataclasses.replace(obj, **changes)


def prune_patch(obj: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """Drop entries that would not change ``obj``: the patch then says exactly what differs."""
    out: dict[str, Any] = {}
    for key, value in patch.items():
        current = getattr(obj, key)
        if isinstance(value, dict):
            sub = prune_patch(current, value)
            if sub:
                out[key] = sub
        elif value is None:
            if current != _default(obj, key):
                out[key] = None
        elif current != value:
            out[key] = value
    return out


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch on plain JSON values (what a caller does with ``change``)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def to_payload(obj: Any) -> dict[str, Any]:
    """A request dataclass as the JSON payload the API accepts (None fields left out)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None:
            continue
        if dataclasses.is_dataclass(value):
            nested = to_payload(value)
            if nested:
                out[f.name] = nested
        else:
            out[f.name] = value
    return out
