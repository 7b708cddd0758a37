"""``Range``: a central value with an honest low/high, and the arithmetic that combines them.

How ranges combine (docs/methodology.md, "Range semantics"):

* A product or quotient of *independent* uncertain factors combines their relative spreads in
  quadrature on a log scale: ``ln(high/value) = sqrt(sum ln(high_i/value_i)^2)`` and likewise for the
  low side. Treating each input's low/high as the same coverage level of a log-normal factor, this
  keeps the output's coverage equal to the inputs' instead of multiplying worst cases, so a chain of
  five factors does not produce a uselessly wide answer.
* A sum adds lows and highs. The summands in this service (accelerator, host and idle energy; operational
  and embodied carbon) share drivers such as hours and power, so treating them as fully correlated is the
  honest choice, and it is never narrower than the truth.
* An exact input (low == value == high) adds no spread.

All quantities handled here are non-negative.
"""

from __future__ import annotations

import math
from math import exp, log, sqrt


class NonFiniteFigureError(ValueError):
    """A figure overflowed to infinity (or became NaN): inputs too large to represent the result."""


def finite(value: float) -> float:
    """``value`` unchanged, or ``NonFiniteFigureError`` if it is infinite or NaN."""
    if not math.isfinite(value):
        raise NonFiniteFigureError(f"non-finite figure: {value}")
    return value


class Range:
    """A non-negative quantity: central ``value`` with ``low <= value <= high``.

    Immutable by convention: every operation returns a new ``Range`` and nothing assigns to a field after
    ``__init__`` (tests/domain/test_ranges.py checks the source), so defaults can be shared by every request.
    A plain ``__slots__`` class rather than a frozen dataclass because an estimate builds about seventy of
    them: the frozen dataclass's ``__init__`` (``object.__setattr__`` per field, then ``__post_init__``) cost
    about two and a half times this one's. Enforcing immutability with a raising ``__setattr__`` (fields stored
    through the slot descriptors) would cost about a tenth of an inference estimate (bench/README.md).
    Equality, hash and repr are those the dataclass had.
    """

    __slots__ = ("value", "low", "high")

    value: float
    low: float
    high: float

    def __init__(self, value: float, low: float, high: float) -> None:
        # One chained comparison: false for NaN, for infinity and for any misordering. The arithmetic
        # below preserves order exactly (IEEE rounding is monotone), so no tolerance is needed.
        if not (0.0 <= low <= value <= high < math.inf):
            bounds = (low, value, high)
            error = NonFiniteFigureError if not all(map(math.isfinite, bounds)) else ValueError
            raise error(f"Range needs finite 0 <= low <= value <= high, got {low}, {value}, {high}")
        self.value = value
        self.low = low
        self.high = high

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Range:
            return NotImplemented
        return (self.value, self.low, self.high) == (other.value, other.low, other.high)

    def __hash__(self) -> int:
        return hash((self.value, self.low, self.high))

    def __repr__(self) -> str:
        return f"Range(value={self.value!r}, low={self.low!r}, high={self.high!r})"

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def exact(cls, value: float) -> Range:
        return cls(value, value, value)

    @classmethod
    def spread(cls, value: float, low: float, high: float) -> Range:
        """Build a range, clamping rounding noise so that ``low <= value <= high`` holds exactly."""
        return cls(value, min(low, value), max(high, value))

    @property
    def is_exact(self) -> bool:
        return self.low == self.value == self.high

    # -- arithmetic -------------------------------------------------------------------------------
    def scale(self, factor: float) -> Range:
        """Multiply by an exact, non-negative number."""
        return Range(self.value * factor, self.low * factor, self.high * factor)

    def __add__(self, other: Range) -> Range:
        return Range(self.value + other.value, self.low + other.low, self.high + other.high)

    def times(self, *others: Range) -> Range:
        """Product with independent factors, spreads combined in quadrature (see module doc)."""
        if len(others) == 1:  # most products: unrolled
            return _product(self, others[0])
        return _combine(self, others, invert=())

    def divided_by(self, other: Range) -> Range:
        """Quotient by an independent, strictly positive factor."""
        return _combine(self, (), invert=(other,))

    def maximum(self, other: Range) -> Range:
        """Element-wise maximum: the bottleneck of two times that overlap."""
        return Range(max(self.value, other.value), max(self.low, other.low), max(self.high, other.high))

    def minimum(self, other: Range) -> Range:
        """Element-wise minimum: the smaller of two alternatives at every bound."""
        return Range(min(self.value, other.value), min(self.low, other.low), min(self.high, other.high))

    def minus_clamped(self, other: Range) -> Range:
        """``self - other`` floored at zero; ``other``'s high end gives the low end of the result."""
        return Range(
            max(0.0, self.value - other.value),
            max(0.0, self.low - other.high),
            max(0.0, self.high - other.low),
        )

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


ZERO = Range(0.0, 0.0, 0.0)


def _combine(first: Range, factors: tuple[Range, ...], invert: tuple[Range, ...]) -> Range:
    # The general case (several factors, quotients); two-factor products take _product instead.
    value = 1.0
    down_sq = up_sq = 0.0
    zero_low = False
    for r in (first, *factors):
        v, lo, hi = r.value, r.low, r.high
        value *= v
        if lo == hi or v == 0.0:  # exact, or a zero centre (handled below)
            continue
        if lo <= 0.0:
            zero_low = True
        else:
            d = log(v / lo)
            down_sq += d * d
        u = log(hi / v)
        up_sq += u * u
    for r in invert:
        v, lo, hi = r.value, r.low, r.high
        if lo <= 0.0:
            raise ZeroDivisionError("divisor range must be strictly positive")
        value /= v
        if lo == hi:
            continue
        # Dividing swaps sides: a high divisor makes a low quotient.
        d = log(v / lo)
        u = log(hi / v)
        down_sq += u * u
        up_sq += d * d
    if value == 0.0:
        # A zero factor puts the centre at zero; the high side follows the plain interval product.
        high = first.high
        for f in factors:
            high *= f.high
        for r in invert:
            high /= r.low
        return Range(0.0, 0.0, high)
    # exp(-x) <= 1 <= exp(x) and IEEE rounding is monotone, so low <= value <= high holds exactly.
    low = 0.0 if zero_low else value * exp(-sqrt(down_sq))
    return Range(value, low, value * exp(sqrt(up_sq)))


def _product(a: Range, b: Range) -> Range:
    """``_combine(a, (b,), ())`` unrolled, bit for bit (tests/domain/test_ranges.py checks it).

    Products of two factors are most of an estimate's arithmetic (about fifteen per inference estimate), so
    they skip the general loop.
    """
    av, alo, ahi = a.value, a.low, a.high
    bv, blo, bhi = b.value, b.low, b.high
    value = av * bv
    if value == 0.0:
        return Range(0.0, 0.0, ahi * bhi)
    down_sq = up_sq = 0.0
    zero_low = False
    if alo != ahi:
        if alo <= 0.0:
            zero_low = True
        else:
            d = log(av / alo)
            down_sq = d * d
        u = log(ahi / av)
        up_sq = u * u
    if blo != bhi:
        if blo <= 0.0:
            zero_low = True
        else:
            d = log(bv / blo)
            down_sq += d * d
        u = log(bhi / bv)
        up_sq += u * u
    low = 0.0 if zero_low else value * exp(-sqrt(down_sq))
    return Range(value, low, value * exp(sqrt(up_sq)))
