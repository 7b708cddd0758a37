"""Workload documents from files or standard input, in JSON or YAML, checked as strictly as the service does.

The service refuses duplicate keys and NaN/Infinity; a document is read here into Python objects and sent
again as JSON, which would silently keep the last of two duplicate keys and write NaN. Both are refused here
with the file named instead.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Final

YAML_SUFFIXES: Final = (".yaml", ".yml")
YAML_MISSING: Final = (
    "YAML input needs PyYAML, which is not installed: pip install 'genai-footprint-client[yaml]' (or use JSON)"
)


class InputError(ValueError):
    """A document that cannot be read, parsed or sent as JSON."""


def load_document(source: str, stdin: IO[str] | None = None) -> Any:
    """Parse the file at ``source`` (``-``: standard input). ``.yaml``/``.yml`` are YAML, ``.json`` is JSON,
    anything else (standard input included) is JSON when it parses as JSON, else YAML."""
    if source == "-":
        name, text = "standard input", (stdin or sys.stdin).read()
        suffix = ""
    else:
        name, suffix = source, Path(source).suffix.lower()
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {source}: {exc}") from None
    if not text.strip():
        raise InputError(f"{name} is empty")
    if suffix in YAML_SUFFIXES:
        document = _parse_yaml(text, name)
    elif suffix == ".json":
        document = _parse_json(text, name)
    else:
        try:
            document = _parse_json(text, name)
        except InputError:
            if importlib.util.find_spec("yaml") is None:
                raise
            document = _parse_yaml(text, name)
    try:
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} holds a value JSON cannot carry: {exc}") from None
    return document


def load_object(source: str, stdin: IO[str] | None = None) -> dict[str, Any]:
    """Like ``load_document``, for a document that must be a JSON object (a workload, a request body)."""
    document = load_document(source, stdin)
    if not isinstance(document, dict):
        name = "standard input" if source == "-" else source
        raise InputError(f"{name} must hold an object (a mapping of fields), not a {type(document).__name__}")
    return document


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set ``document[a][b][c] = value`` for ``path`` ``a.b.c``, creating the objects on the way."""
    steps = path.split(".")
    if not all(steps):
        raise InputError(f"{path!r} is not a field path (names separated by dots)")
    node = document
    for depth, step in enumerate(steps[:-1], 1):
        child = node.get(step)
        if child is None:
            child = node[step] = {}
        elif not isinstance(child, dict):
            raise InputError(f"cannot set {path}: {'.'.join(steps[:depth])} is {json.dumps(child)}, not an object")
        node = child
    node[steps[-1]] = value


def parse_assignment(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` from ``--set``: VALUE is JSON when it parses as JSON (numbers, true, {...}), else a string."""
    path, sep, raw = text.partition("=")
    if not sep or not path:
        raise InputError(f"--set takes PATH=VALUE (e.g. deployment.mode=dedicated), not {text!r}")
    try:
        value = _parse_json(raw, f"--set {path}")
    except InputError:
        value = raw
    return path.strip(), value


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON: {exc}") from None
    except _DuplicateKey as exc:
        raise InputError(f"{name}: key {exc.args[0]!r} is given twice in one object") from None
    except _NonFinite as exc:
        raise InputError(f"{name}: {exc.args[0]} is not a JSON number") from None


def _parse_yaml(text: str, name: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise InputError(YAML_MISSING) from None

    class StrictLoader(yaml.SafeLoader):
        """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        loader.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice in one mapping", key_node.start_mark
                )
            mapping[key] = loader.construct_object(value_node, deep=True)
        return mapping

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        document = yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        raise InputError(f"{name} is not valid YAML: {exc}") from None
    _check_keys(document, name)
    return document


def _check_keys(node: Any, name: str) -> None:
    """YAML allows keys JSON has no form for (numbers, dates, null): refuse them rather than rename them."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if not isinstance(key, str):
                raise InputError(f"{name}: key {key!r} is not a string (quote it)")
            _check_keys(value, name)
    elif isinstance(node, list):
        for item in node:
            _check_keys(item, name)
    elif isinstance(node, float) and not math.isfinite(node):
        raise InputError(f"{name}: {node} is not a JSON number")


class _DuplicateKey(Exception):
    pass


class _NonFinite(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise _NonFinite(name)
