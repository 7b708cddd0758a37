"""Range arithmetic: quadrature for independent factors, bounds-add for sums, exactness preserved."""

from __future__ import annotations

import math

import pytest

from service.domain.ranges import ZERO, Range


def test_exact_inputs_stay_exact():
    product = Range.exact(3.0).times(Range.exact(4.0))
    assert product == Range.exact(12.0)
    assert product.is_exact


def test_product_combines_log_spreads_in_quadrature():
    # Two factors each spanning x/2 .. x2: ln2 on each side; quadrature gives sqrt(2)*ln2.
    a = Range(10.0, 5.0, 20.0)
    b = Range(3.0, 1.5, 6.0)
    product = a.times(b)
    spread = math.exp(math.sqrt(2) * math.log(2))
    assert product.value == pytest.approx(30.0, rel=1e-12)
    assert product.low == pytest.approx(30.0 / spread, rel=1e-12)
    assert product.high == pytest.approx(30.0 * spread, rel=1e-12)


def test_product_with_one_uncertain_factor_keeps_its_relative_spread():
    product = Range(2.0, 1.0, 3.0).times(Range.exact(10.0))
    assert (product.value, product.low, product.high) == pytest.approx((20.0, 10.0, 30.0), rel=1e-12)


def test_division_swaps_sides():
    quotient = Range.exact(100.0).divided_by(Range(4.0, 2.0, 5.0))
    assert quotient.value == pytest.approx(25.0, rel=1e-12)
    assert quotient.low == pytest.approx(20.0, rel=1e-12)  # the high divisor gives the low quotient
    assert quotient.high == pytest.approx(50.0, rel=1e-12)


def test_sum_adds_bounds():
    total = Range(1.0, 0.5, 2.0) + Range(3.0, 2.0, 5.0)
    assert (total.value, total.low, total.high) == (4.0, 2.5, 7.0)


def test_zero_low_bound_propagates_to_zero_low():
    product = Range(0.3, 0.0, 0.45).times(Range(10.0, 8.0, 12.0))
    assert product.low == 0.0
    assert product.value == pytest.approx(3.0, rel=1e-12)


def test_zero_factor_gives_zero_centre():
    assert Range.exact(5.0).times(ZERO) == ZERO


def test_minus_clamped_uses_opposite_bounds():
    idle = Range.exact(100.0).minus_clamped(Range(30.0, 20.0, 40.0))
    assert (idle.value, idle.low, idle.high) == (70.0, 60.0, 80.0)
    assert Range.exact(10.0).minus_clamped(Range.exact(15.0)) == ZERO


@pytest.mark.parametrize(
    "bounds",
    [
        pytest.param((1.0, 2.0, 3.0), id="low-above-value"),
        pytest.param((1.0, 0.5, 0.9), id="high-below-value"),
        pytest.param((float("nan"), 0.0, 1.0), id="nan"),
        pytest.param((1.0, -1.0, 2.0), id="negative-low"),
    ],
)
def test_invalid_ranges_are_rejected(bounds):
    with pytest.raises(ValueError, match="Range needs finite 0 <= low <= value <= high"):
        Range(*bounds)


def test_as_dict_shape():
    assert Range(2.0, 1.0, 3.0).as_dict() == {"value": 2.0, "low": 1.0, "high": 3.0}


def test_equality_hash_and_repr_are_by_value():
    assert Range(2.0, 1.0, 3.0) == Range(2.0, 1.0, 3.0)
    assert Range(2.0, 1.0, 3.0) != Range(2.0, 1.0, 4.0)
    assert Range(2.0, 1.0, 3.0) != (2.0, 1.0, 3.0)
    assert hash(Range(2.0, 1.0, 3.0)) == hash(Range(2.0, 1.0, 3.0))
    assert repr(Range(2.0, 1.0, 3.0)) == "Range(value=2.0, low=1.0, high=3.0)"


def test_non_finite_bounds_raise_the_overflow_error():
    from service.domain.ranges import NonFiniteFigureError

    for bounds in ((1.0, 1.0, math.inf), (math.nan, 0.0, 1.0), (1.0, 1.0, math.nan)):
        with pytest.raises(NonFiniteFigureError, match="Range needs finite 0 <= low <= value <= high"):
            Range(*bounds)
    with pytest.raises(ValueError, match="Range needs") as misordered:
        Range(1.0, 2.0, 3.0)
    assert type(misordered.value) is ValueError


def test_nothing_assigns_to_a_range_field():
    """Range is immutable by convention (a raising __setattr__ would slow every estimate), and the
    defaults are Ranges shared by every request: no code outside ``Range.__init__`` may assign a field."""
    import ast
    from pathlib import Path

    import service

    fields = {"value", "low", "high"}
    offenders = []
    for path in Path(service.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        allowed: set[int] = set()
        if path.name == "ranges.py":
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name == "Range":
                    init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
                    allowed = {id(n) for n in ast.walk(init)}
        for node in ast.walk(tree):
            assigned = (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, (ast.Store, ast.Del))
                and node.attr in fields
                and id(node) not in allowed
            )
            set_by_name = (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("setattr", "__setattr__")
                and any(isinstance(a, ast.Constant) and a.value in fields for a in node.args)
            )
            if assigned or set_by_name:
                offenders.append(f"{path}:{node.lineno}")
    assert not offenders, f"a Range field is assigned outside Range.__init__: {offenders}"


def _ranges():
    from hypothesis import strategies as st

    magnitude = st.one_of(
        st.just(0.0),
        st.floats(min_value=0.0, max_value=1e300, allow_nan=False, allow_infinity=False),
        st.sampled_from([5e-324, 1e-300, 1.0, 1e154, 1e300]),
    )
    fraction = st.one_of(st.just(0.0), st.just(1.0), st.floats(min_value=0.0, max_value=1.0))
    factor = st.one_of(st.just(1.0), st.floats(min_value=1.0, max_value=1e10))

    def build(value: float, low_fraction: float, high_factor: float) -> Range:
        high = value * high_factor
        return Range(value, value * low_fraction, high if high < math.inf else value)

    return st.builds(build, magnitude, fraction, factor)


def _outcome(f, *args):
    try:
        r = f(*args)
    except Exception as error:
        return type(error), str(error)
    return tuple(x.hex() for x in (r.value, r.low, r.high))


def test_two_factor_product_is_the_general_combination_bit_for_bit():
    from hypothesis import given, settings

    from service.domain.ranges import _combine, _product

    @settings(max_examples=2000, deadline=None, derandomize=True)
    @given(_ranges(), _ranges())
    def check(a: Range, b: Range) -> None:
        assert _outcome(_product, a, b) == _outcome(_combine, a, (b,), ())
        assert _outcome(a.times, b) == _outcome(_combine, a, (b,), ())

    check()
