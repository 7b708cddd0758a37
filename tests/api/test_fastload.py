"""service.schemas.fastload: the compiled loader gives exactly what marshmallow gives, on every payload.

The property that matters: the fast path never accepts a payload marshmallow refuses, and when both accept,
the loaded requests are equal. Payloads are the documented examples and hypothesis mutations of them, with
values drawn from every field's own bounds (each limit, and the next float on either side of it).
"""

from __future__ import annotations

import copy
import gc
import math
import weakref

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates

from service.api.estimates import REQUEST_LOADERS, REQUEST_SCHEMAS
from service.api.examples import (
    COMPARE_EXAMPLES,
    FINE_TUNING_EXAMPLES,
    INFERENCE_EXAMPLES,
    RECOMMENDATION_EXAMPLES,
    TRAINING_EXAMPLES,
)
from service.api.recommendations import COMPARE_LOADER, RECOMMENDATION_LOADER
from service.schemas.fastload import UnsupportedSchema, _Fallback, compile_loader
from service.schemas.fields import StrictFloat

EXAMPLES = {"training": TRAINING_EXAMPLES, "fine-tuning": FINE_TUNING_EXAMPLES, "inference": INFERENCE_EXAMPLES}
CASES = [(kind, name, ex["value"]) for kind, examples in EXAMPLES.items() for name, ex in examples.items()]


def outcome(load, payload):
    """("ok", result) or ("error", messages): comparable across the two loaders."""
    try:
        return "ok", load(copy.deepcopy(payload))
    except ValidationError as err:
        return "error", err.messages


@pytest.mark.parametrize(("kind", "name", "payload"), CASES, ids=[f"{k}-{n}" for k, n, _ in CASES])
def test_every_documented_example_takes_the_fast_path_and_matches_marshmallow(kind, name, payload):
    fast = REQUEST_LOADERS[kind]._load(copy.deepcopy(payload), None)  # no fallback: raises _Fallback if it were needed
    assert fast == REQUEST_SCHEMAS[kind].load(copy.deepcopy(payload))


# -- generated payloads --------------------------------------------------------------------------------------
def _field_paths(schema: Schema, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], fields.Field]]:
    paths = []
    for name, field in schema.load_fields.items():
        paths.append((prefix + (name,), field))
        if isinstance(field, fields.Nested):
            paths.extend(_field_paths(field.schema, prefix + (name,)))
    return paths


def _edge_values(field: fields.Field) -> list:
    """The limits of the field's validators and the nearest floats on each side of them."""
    values = []
    for rule in field.validators:
        if isinstance(rule, validate.Range):
            for bound in (rule.min, rule.max):
                if bound is not None:
                    values += [bound, float(bound), math.nextafter(bound, -math.inf), math.nextafter(bound, math.inf)]
        if isinstance(rule, validate.OneOf):
            values += list(rule.choices)
        if isinstance(rule, validate.Length) and rule.max is not None:
            values += ["x" * rule.max, "x" * (rule.max + 1), ""]
    return values


ODD_VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    0.5,
    1e-7,
    1.5e308,
    10**400,
    math.inf,
    math.nan,
    "1",
    "",
    [],
    {},
    {"preset": "llama-3.1-8b"},
    "nvidia-h100-sxm5-80gb",
    "aws",
    "us-east-1",
    "FI",
    "lora",
    "dedicated",
    3,
    2.0,
    1e12,
]


def _mutations(kind: str):
    paths = _field_paths(REQUEST_SCHEMAS[kind])
    set_value = st.sampled_from(paths).flatmap(
        lambda pf: st.tuples(st.just("set"), st.just(pf[0]), st.sampled_from(_edge_values(pf[1]) + ODD_VALUES))
    )
    delete = st.tuples(st.just("delete"), st.sampled_from([p for p, _ in paths]), st.none())
    unknown = st.tuples(st.just("set"), st.sampled_from([("unexpected",), ("hardware", "unexpected")]), st.just(1))
    return st.lists(st.one_of(set_value, set_value, set_value, delete, unknown), min_size=1, max_size=3)


def _apply(payload: dict, mutations) -> dict:
    payload = copy.deepcopy(payload)
    for action, path, value in mutations:
        target = payload
        for part in path[:-1]:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        if action == "delete":
            target.pop(path[-1], None)
        else:
            target[path[-1]] = copy.deepcopy(value)
    return payload


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_single_field_change_loads_exactly_as_marshmallow_loads_it(kind):
    """Exhaustive: each example, each field, each edge or odd value (and each deletion), one at a time."""
    schema, loader = REQUEST_SCHEMAS[kind], REQUEST_LOADERS[kind]
    checked = 0
    for base in (ex["value"] for ex in EXAMPLES[kind].values()):
        for path, field in _field_paths(schema):
            changes = [("delete", path, None)] + [("set", path, v) for v in _edge_values(field) + ODD_VALUES]
            for change in changes:
                payload = _apply(base, [change])
                expected = outcome(schema.load, payload)
                assert outcome(loader.load, payload) == expected, (path, change)
                if expected[0] == "error":
                    with pytest.raises((_Fallback, ValidationError)):  # the only signals the caller falls back on
                        loader._load(copy.deepcopy(payload), None)
                checked += 1
    assert checked > 1000


GENERATED = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
@GENERATED
@given(data=st.data())
def test_generated_payloads_load_exactly_as_marshmallow_loads_them(kind, data):
    base = data.draw(st.sampled_from([ex["value"] for ex in EXAMPLES[kind].values()]))
    payload = _apply(base, data.draw(_mutations(kind)))
    schema, loader = REQUEST_SCHEMAS[kind], REQUEST_LOADERS[kind]
    expected = outcome(schema.load, payload)
    assert outcome(loader.load, payload) == expected
    if expected[0] == "error":  # the fast path itself must refuse what marshmallow refuses
        with pytest.raises((_Fallback, ValidationError)):  # the only signals the caller falls back on
            loader._load(copy.deepcopy(payload), None)


# -- what the compiler refuses ---------------------------------------------------------------------------------
class _WithPreLoad(Schema):
    a = StrictFloat()

    @pre_load
    def _strip(self, data, **_):
        return data


class _WithFieldValidator(Schema):
    a = StrictFloat()

    @validates("a")
    def _check(self, value, **_):
        pass


class _Excluding(Schema):
    a = StrictFloat()

    class Meta:
        unknown = EXCLUDE


class _WithList(Schema):
    a = fields.List(StrictFloat())


class _WithTypedDict(Schema):
    a = fields.Dict(keys=fields.String(), values=StrictFloat())  # converts keys and values: not compiled


class _WithPlainFloat(Schema):
    a = fields.Float()  # accepts "1.5" strings: only the strict fields are compiled


@pytest.mark.parametrize(
    "schema",
    [_WithPreLoad(), _WithFieldValidator(), _Excluding(), _WithTypedDict(), _WithPlainFloat(), _WithList(many=True)],
    ids=["pre_load", "validates", "unknown-exclude", "typed-dict", "plain-float", "many"],
)
def test_features_it_does_not_reproduce_are_refused_when_compiling(schema):
    with pytest.raises(UnsupportedSchema):
        compile_loader(schema)


def test_invalid_payload_gets_marshmallows_own_error():
    payload = {"hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 0}, "duration_hours": 1}
    with pytest.raises(ValidationError) as fast:
        REQUEST_LOADERS["training"].load(payload)
    with pytest.raises(ValidationError) as slow:
        REQUEST_SCHEMAS["training"].load(payload)
    assert (
        fast.value.messages
        == slow.value.messages
        == {"hardware": {"count": ["Must be greater than or equal to 1 and less than or equal to 10000000."]}}
    )


def test_fallback_is_internal():
    with pytest.raises(_Fallback):
        REQUEST_LOADERS["training"]._load({"unexpected": 1}, None)


class _Marker:
    """A value a payload can carry that the test can watch with a weak reference."""


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(lambda marker: {"unknown_field": marker}, id="unknown-field"),
        pytest.param(
            lambda marker: {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": marker}},
            id="bad-nested-value",
        ),
    ],
)
def test_a_refused_payload_is_not_kept_alive(where):
    # A regression: one shared fallback exception collected the frames (and so the payloads) of every refused
    # request in its traceback, and a worker grew by the size of each 422'd body for good.
    marker = _Marker()
    watched = weakref.ref(marker)
    payload = where(marker)
    for _ in range(3):
        try:
            REQUEST_LOADERS["training"].load(payload)
        except ValidationError:
            pass
        else:
            pytest.fail("the payload should have been refused")
    del payload, marker
    gc.collect()
    assert watched() is None


def test_a_bug_inside_the_fast_path_is_not_hidden_by_a_fallback():
    # Only the fallback signal and marshmallow's ValidationError send a payload back; anything else surfaces.
    class Broken(Exception):
        pass

    def explode(value):
        raise Broken("a validator with a bug")

    class S(Schema):
        x = StrictFloat(validate=explode)

    with pytest.raises(Broken):
        compile_loader(S()).load({"x": 1.0})


def test_an_integer_too_large_for_a_float_gets_marshmallows_error():
    class S(Schema):
        x = StrictFloat()

    assert outcome(compile_loader(S()).load, {"x": 10**400}) == outcome(S().load, {"x": 10**400})
    assert outcome(S().load, {"x": 10**400})[0] == "error"


# -- a series of loads sharing parts (the recommendations' bounds checks) --------------------------------------
def _patched(payload: dict, patch: dict) -> dict:
    from service.domain.recommendations.patch import merge_patch

    return merge_patch(payload, patch)


@pytest.mark.parametrize(("kind", "name", "payload"), CASES, ids=[f"{k}-{n}" for k, n, _ in CASES])
def test_a_series_of_patched_payloads_loads_as_marshmallow_loads_each(kind, name, payload):
    schema, load = REQUEST_SCHEMAS[kind], REQUEST_LOADERS[kind].reusing()
    patches = [
        {},
        {"hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 2}},
        {"hardware": {"count": 0}},  # out of bounds: marshmallow's own error, nothing remembered
        {"datacenter": {"provider": "aws", "region": "eu-north-1"}},
        {"hardware": {"accelerator": "nvidia-l4"}, "include_embodied": False},
        {},
    ]
    for patch in patches:
        changed = _patched(payload, patch)
        assert outcome(load, changed) == outcome(schema.load, changed), patch


def test_a_series_loads_each_unchanged_part_once_and_each_changed_part_again():
    payload = INFERENCE_EXAMPLES["dedicated-rag"]["value"]
    load = REQUEST_LOADERS["inference"].reusing()
    first = load(payload)
    moved = load(_patched(payload, {"datacenter": {"provider": "aws", "region": "eu-north-1"}}))
    assert moved.model is first.model and moved.hardware is first.hardware  # the same objects: not loaded again
    assert moved.datacenter != first.datacenter and moved.datacenter.region == "eu-north-1"
    # Equal but not the same object: loaded again (only the object itself is known to be unchanged).
    again = load(copy.deepcopy(payload))
    assert again == first and again.model is not first.model
    # A series of its own: the plain load shares nothing.
    assert REQUEST_LOADERS["inference"].load(payload).model is not first.model


# -- recommendation and compare requests (lists, a free-form workload, a workload loaded in post_load) ----------
ENVELOPES = {"recommendations": RECOMMENDATION_LOADER, "compare": COMPARE_LOADER}
ENVELOPE_CASES = [("recommendations", name, ex["value"]) for name, ex in RECOMMENDATION_EXAMPLES.items()] + [
    ("compare", name, ex["value"]) for name, ex in COMPARE_EXAMPLES.items()
]
#: What a list field can meet, besides ODD_VALUES: items of the wrong type or out of bounds, too many items.
LIST_VALUES = [["aws"], ["aws", "gcp"], ["aws", 1], [None], ["FI", "fi"], ["F1"], ["x" * 101], ["aws"] * 501, "aws"]


@pytest.mark.parametrize(("which", "name", "payload"), ENVELOPE_CASES, ids=[f"{w}-{n}" for w, n, _ in ENVELOPE_CASES])
def test_every_documented_envelope_takes_the_fast_path_and_matches_marshmallow(which, name, payload):
    loader = ENVELOPES[which]
    fast = loader._load(copy.deepcopy(payload), None)  # no fallback: raises _Fallback if it were needed
    assert fast == loader.schema.load(copy.deepcopy(payload))


@pytest.mark.parametrize(("which", "name", "payload"), ENVELOPE_CASES, ids=[f"{w}-{n}" for w, n, _ in ENVELOPE_CASES])
def test_every_single_envelope_field_change_loads_exactly_as_marshmallow_loads_it(which, name, payload):
    loader = ENVELOPES[which]
    checked = 0
    for path, field in _field_paths(loader.schema):
        values = _edge_values(field) + ODD_VALUES + (LIST_VALUES if isinstance(field, fields.List) else [])
        if path == ("workload",):
            values += [{"hardware": {"count": 0}}, TRAINING_EXAMPLES["from-duration"]["value"]]
        for change in [("delete", path, None)] + [("set", path, v) for v in values]:
            changed = _apply(payload, [change])
            expected = outcome(loader.schema.load, changed)
            assert outcome(loader.load, changed) == expected, (path, change)
            if expected[0] == "error":
                with pytest.raises((_Fallback, ValidationError)):
                    loader._load(copy.deepcopy(changed), None)
            checked += 1
    assert checked > 50


class _Point(Schema):
    x = StrictFloat()


def test_a_list_field_loads_each_item_and_checks_the_list():
    class Tags(Schema):
        tags = fields.List(fields.String(validate=validate.OneOf(["a", "b"])), validate=validate.Length(min=1, max=2))
        nested = fields.List(fields.Nested(_Point))

    loader = compile_loader(Tags())
    good = {"tags": ["a", "b"], "nested": [{"x": 1.0}, {"x": 2}]}
    assert loader._load(copy.deepcopy(good), None) == Tags().load(copy.deepcopy(good))
    for bad in ({"tags": []}, {"tags": ["a", "b", "a"]}, {"tags": ["c"]}, {"tags": ("a",)}, {"nested": [{"x": "1"}]}):
        with pytest.raises((_Fallback, ValidationError)):
            loader._load(copy.deepcopy(bad), None)
        assert outcome(loader.load, bad) == outcome(Tags().load, bad)
