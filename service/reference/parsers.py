"""Cell parsers of the reference tables: each takes a stripped cell and returns a value or raises
``ValueError(reason)``; the loader adds the file, line and column to the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Parser = Callable[[str], Any]

WORLD = "WORLD"


def text(required: bool = True) -> Parser:
    def parse(raw: str) -> str:
        if required and not raw:
            raise ValueError("must not be empty")
        return raw

    return parse


_ID_RE = re.compile(r"[a-z0-9][a-z0-9._:-]*\Z")


def ident(raw: str) -> str:
    if not _ID_RE.match(raw):
        raise ValueError(f"expected a lowercase id (a-z, 0-9, '.', '_', '-'), got {raw!r}")
    return raw


def number(lo: float | None = None, *, gt: bool = False, hi: float | None = None, required: bool = True) -> Parser:
    what = "a number" if lo is None else f"a number {'>' if gt else '>='} {lo:g}"
    if hi is not None:
        what += f" and <= {hi:g}"

    def parse(raw: str) -> float | None:
        if not raw:
            if required:
                raise ValueError(f"expected {what}, got an empty cell")
            return None
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"expected {what}, got {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"expected {what}, got {raw!r}")
        if lo is not None and (value <= lo if gt else value < lo):
            raise ValueError(f"expected {what}, got {raw!r}")
        if hi is not None and value > hi:
            raise ValueError(f"expected {what}, got {raw!r}")
        return value

    return parse


def integer(lo: int | None = None, hi: int | None = None, *, required: bool = True) -> Parser:
    what = "an integer" + (f" >= {lo}" if lo is not None else "") + (f" and <= {hi}" if hi is not None else "")

    def parse(raw: str) -> int | None:
        if not raw:
            if required:
                raise ValueError(f"expected {what}, got an empty cell")
            return None
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected {what}, got {raw!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {what}, got {raw!r}")
        return value

    return parse


def enum(*allowed: str) -> Parser:
    def parse(raw: str) -> str:
        if raw not in allowed:
            shown = ", ".join(repr(a) for a in allowed)
            raise ValueError(f"expected one of {shown}, got {raw!r}")
        return raw

    return parse


def optional_yes_no(raw: str) -> bool | None:
    """``yes`` / ``no`` / empty (unknown)."""
    return {"yes": True, "no": False, "": None}[enum("yes", "no", "")(raw)]


def iso2(raw: str) -> str:
    if raw == WORLD or (len(raw) == 2 and raw.isascii() and raw.isalpha() and raw.isupper()):
        return raw
    raise ValueError(f"expected an upper-case ISO 3166 alpha-2 code or 'WORLD', got {raw!r}")


YEAR = integer(1950, 2100)
YEAR_OPT = integer(1950, 2100, required=False)
POS = number(0, gt=True)
POS_OPT = number(0, gt=True, required=False)
NONNEG = number(0)
NONNEG_OPT = number(0, required=False)
REQUIRED_TEXT = text()
OPTIONAL_TEXT = text(False)
