"""What an estimate assumed, and what it warns about, recorded as the estimate is built."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .defaults import Default
from .ranges import Range, finite
from .warning_codes import WARNING_CODES

INPUT = "input"
DEFAULT = "default"
DERIVED = "derived"


#: One assumption as recorded: name, value (a number, a string or a ``Range``), unit, status, source. A plain
#: tuple because an estimate records about twenty and only ever turns them into JSON (``Ledger.assumption_dicts``):
#: a frozen dataclass per assumption, converted by its own ``as_dict``, cost a sixth of an estimate.
Assumption = tuple[str, Any, str, str, str]


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class Ledger:
    """Collects assumptions and warnings for one estimate, in the order they were made."""

    __slots__ = ("assumptions", "warnings")

    def __init__(self) -> None:
        self.assumptions: list[Assumption] = []
        self.warnings: list[Warning] = []

    def assume(self, name: str, value: Any, unit: str, status: str, source: str) -> None:
        # Every float an answer carries is checked where it is made (Range checks its own bounds), so the
        # JSON encoder never meets NaN or infinity.
        if type(value) is float:
            finite(value)
        self.assumptions.append((name, value, unit, status, source))

    def copy(self) -> Ledger:
        """A ledger with the same entries, to go on recording without changing this one."""
        ledger = Ledger()
        ledger.assumptions = self.assumptions.copy()
        ledger.warnings = self.warnings.copy()
        return ledger

    def replay(self, assumptions: Iterable[Assumption], warnings: Iterable[Warning]) -> None:
        """Record again what another ledger recorded for a step taken once and reused (a remembered site, a
        step a recommendation's candidates share), as the step would have recorded it here."""
        self.assumptions.extend(assumptions)
        for warning in warnings:
            self.warn(warning.code, warning.message)

    def warn(self, code: str, message: str) -> None:
        if code not in WARNING_CODES:
            raise ValueError(f"undeclared warning code {code!r} (declare it in warning_codes.py)")
        if all(w.code != code for w in self.warnings):
            self.warnings.append(Warning(code, message))

    def assumption_dicts(self) -> list[dict[str, Any]]:
        """The assumptions in their JSON shape, a ``Range`` value as its dict."""
        return [
            {
                "name": name,
                "value": value.as_dict() if type(value) is Range else value,
                "unit": unit,
                "status": status,
                "source": source,
            }
            for name, value, unit, status, source in self.assumptions
        ]


def assume_default(ledger: Ledger, default: Default) -> Range:
    """Record a sourced default and return its range."""
    ledger.assume(default.name, default.range, default.unit, DEFAULT, default.source)
    return default.range


def given_or_default(
    ledger: Ledger, name: str, given: float | None, unit: str, default: Default | Callable[[], Range]
) -> Range:
    """The caller's figure (exact), else the default: a sourced ``Default`` or a function that records its own."""
    if given is not None:
        ledger.assume(name, given, unit, INPUT, "request")
        return Range.exact(given)
    if isinstance(default, Default):
        return assume_default(ledger, default)
    return default()
