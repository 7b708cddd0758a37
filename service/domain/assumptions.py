"""What an estimate assumed, and what it warns about, recorded as the estimate is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ranges import finite

INPUT = "input"
DEFAULT = "default"
DERIVED = "derived"


@dataclass(frozen=True, slots=True)
class Assumption:
    name: str
    value: Any
    unit: str
    status: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        value = self.value.as_dict() if hasattr(self.value, "as_dict") else self.value
        return {"name": self.name, "value": value, "unit": self.unit, "status": self.status, "source": self.source}


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
        self.assumptions.append(Assumption(name, value, unit, status, source))

    def warn(self, code: str, message: str) -> None:
        if all(w.code != code for w in self.warnings):
            self.warnings.append(Warning(code, message))
