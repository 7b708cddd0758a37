"""Limits: body size, numbers, strings, JSON literals, duplicate keys; no internals in any answer."""

from __future__ import annotations

import io
import json
import math

import pytest
from marshmallow import Schema, fields, validate

from service import create_app
from service.api.problems import is_non_finite_error
from service.api.responses import encode_json
from service.domain.ranges import Range
from service.schemas import requests as request_schemas
from service.schemas.batch import BatchItemSchema, BatchRequestSchema

TRAINING = {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb"}, "accelerator_hours": 100}
ENDPOINTS = ["/v1/estimates/training", "/v1/estimates/fine-tuning", "/v1/estimates/inference", "/v1/estimates/batch"]
LIMIT = 2048


@pytest.fixture(scope="module")
def small():
    return create_app({"max_body_bytes": LIMIT, "access_log": False}).test_client()


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    _assert_no_internals(response.get_data(as_text=True))
    return body


def _assert_no_internals(text: str) -> None:
    for marker in ("Traceback", 'File "', "/work/", "site-packages", ".py", "Error("):
        assert marker not in text, marker


# -- body size ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_body_over_the_limit_gets_413_problem(small, url):
    body = json.dumps({"padding": "x" * LIMIT})
    problem = _assert_problem(small.post(url, data=body, content_type="application/json"), 413)
    assert str(LIMIT) in problem["detail"]


def test_a_body_at_the_limit_is_read(small):
    body = json.dumps(TRAINING)
    body = body[:-1] + " " * (LIMIT - len(body)) + "}"
    assert len(body) == LIMIT
    assert small.post("/v1/estimates/training", data=body, content_type="application/json").status_code == 200


def test_a_chunked_body_over_the_limit_gets_413(small):
    big = json.dumps({"padding": "x" * (LIMIT * 4)}).encode()
    response = small.post(
        "/v1/estimates/training",
        input_stream=io.BytesIO(big),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    _assert_problem(response, 413)


def test_a_chunked_body_under_the_limit_is_read(small):
    response = small.post(
        "/v1/estimates/training",
        input_stream=io.BytesIO(json.dumps(TRAINING).encode()),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200


def test_default_body_limit_is_one_mebibyte(client):
    body = json.dumps({"items": [], "padding": "x" * 1_048_576})
    _assert_problem(client.post("/v1/estimates/batch", data=body, content_type="application/json"), 413)


# -- JSON literals and duplicate keys -------------------------------------------------------------------


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    [
        '{"accelerator_hours": NaN}',
        '{"accelerator_hours": Infinity}',
        '{"accelerator_hours": -Infinity}',
        '{"accelerator_hours": 1e400}',
        '{"accelerator_hours": -1e400}',
        '{"a": 1, "a": 2}',
        '{"hardware": {"count": 1, "count": 2}}',
        '{"items": [{"id": "a", "id": "b"}]}',
        "[]",
        "null",
        '"text"',
        "{",
        '{"a": 1} trailing',
        "\ufeff{}",
    ],
)
def test_malformed_json_is_a_predictable_400(client, url, raw):
    body = _assert_problem(client.post(url, data=raw.encode(), content_type="application/json"), 400)
    assert body["type"].endswith(":malformed-json")


def test_duplicate_keys_inside_a_batch_workload_reject_the_whole_request(client):
    raw = '{"items": [{"id": "a", "kind": "training", "workload": {"runs": 1, "runs": 2}}]}'
    body = _assert_problem(client.post("/v1/estimates/batch", data=raw, content_type="application/json"), 400)
    assert "runs" in body["detail"]


def test_deep_nesting_is_a_400_not_a_crash(client):
    raw = "[" * 100_000 + "]" * 100_000
    response = client.post("/v1/estimates/training", data='{"a": ' + raw + "}", content_type="application/json")
    assert response.status_code in (400, 413)
    _assert_no_internals(response.get_data(as_text=True))


# -- bounds on every number and string ------------------------------------------------------------------


def _request_schemas() -> list[type[Schema]]:
    found = [BatchItemSchema, BatchRequestSchema]
    for value in vars(request_schemas).values():
        if isinstance(value, type) and issubclass(value, Schema) and value is not Schema:
            found.append(value)
    return found


def _leaf_fields():
    for schema_cls in _request_schemas():
        for name, field in schema_cls().fields.items():
            yield f"{schema_cls.__name__}.{name}", field


def test_every_number_has_a_finite_maximum():
    checked = 0
    for path, field in _leaf_fields():
        if isinstance(field, (fields.Float, fields.Integer)):
            ranges = [v for v in field.validators if isinstance(v, validate.Range)]
            assert ranges and ranges[0].max is not None and math.isfinite(ranges[0].max), path
            assert ranges[0].min is not None, path
            checked += 1
    assert checked >= 25


def test_every_string_has_a_maximum_length():
    checked = 0
    for path, field in _leaf_fields():
        if isinstance(field, fields.String):
            bounded = any(
                (isinstance(v, validate.Length) and v.max is not None)
                or isinstance(v, (validate.OneOf, validate.Regexp))
                for v in field.validators
            )
            assert bounded, path
            checked += 1
    assert checked >= 10


def test_every_request_schema_rejects_unknown_fields(client):
    for url in ENDPOINTS[:3]:
        body = _assert_problem(client.post(url, json={"surprise": 1}), 422)
        assert "surprise" in body["errors"]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (
            "/v1/estimates/training",
            {
                "model": {"parameters_billion": 100_000},
                "training_tokens_billion": 10_000_000,
                "hardware": {
                    "accelerator": "nvidia-a100-sxm4-80gb",
                    "mfu": 0.001,
                    "power_w": 10_000,
                    "host_overhead_fraction": 5,
                },
                "runs": 100_000,
                "datacenter": {"pue": 5, "carbon_intensity_gco2e_per_kwh": 5000, "wue_l_per_kwh": 50},
            },
        ),
        (
            "/v1/estimates/training",
            {
                "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "power_w": 10_000, "host_overhead_fraction": 5},
                "accelerator_hours": 1e11,
                "runs": 100_000,
                "datacenter": {"pue": 5, "carbon_intensity_gco2e_per_kwh": 5000, "wue_l_per_kwh": 50},
            },
        ),
        (
            "/v1/estimates/fine-tuning",
            {
                "model": {"parameters_billion": 100_000},
                "method": "full",
                "dataset_tokens_million": 1e10,
                "epochs": 100_000,
                "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "mfu": 0.001, "count": 10_000_000},
                "runs": 100_000,
                "datacenter": {"pue": 5, "carbon_intensity_gco2e_per_kwh": 5000, "wue_l_per_kwh": 50},
            },
        ),
        (
            "/v1/estimates/inference",
            {
                "model": {"parameters_billion": 100_000},
                "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 10_000_000, "mfu": 0.001},
                "requests": 1e16,
                "input_tokens_per_request": 1e8,
                "output_tokens_per_request": 1e8,
                "batch_size": 1,
                "deployment": {"mode": "dedicated", "replicas": 10_000_000, "hours": 10_000_000},
                "rag": {
                    "retrieved_tokens_per_request": 1e8,
                    "embedding_parameters_billion": 100_000,
                    "corpus_tokens_billion": 1e7,
                },
                "datacenter": {"pue": 5, "carbon_intensity_gco2e_per_kwh": 5000, "wue_l_per_kwh": 50},
            },
        ),
    ],
)
def test_extreme_inputs_never_give_a_non_finite_number_or_a_500(client, url, body):
    response = client.post(url, json=body)
    assert response.status_code in (200, 422), response.get_data(as_text=True)[:500]
    assert not response.get_data(as_text=True).count(":out-of-range"), "bounds should make this impossible"
    text = response.get_data(as_text=True)
    _assert_no_internals(text)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the response"))


def test_the_non_finite_guard_turns_an_overflow_into_a_422(client, monkeypatch):
    from service.domain import estimator as estimator_module

    def overflow(*_args, **_kwargs):
        return math.exp(1000)

    monkeypatch.setitem(estimator_module._DISPATCH, "training", overflow)
    body = _assert_problem(client.post("/v1/estimates/training", json=TRAINING), 422)
    assert body["type"].endswith(":out-of-range")
    batch = client.post("/v1/estimates/batch", json={"items": [{"id": "a", "kind": "training", "workload": TRAINING}]})
    assert batch.status_code == 200
    item = batch.get_json()["items"][0]
    assert item["status"] == 422 and item["problem"]["type"].endswith(":out-of-range")


def test_a_non_finite_figure_in_an_answer_is_a_422(client, monkeypatch):
    # A figure that overflows (as a formula with a bug would): the domain refuses it where it is made, and both
    # the single and the batch endpoint answer 422 out-of-range instead of a 500 or a silent null. The hours are
    # raised past the schema's bound behind the API's back; the domain itself may be compiled (setup.py), so
    # the fault goes in through the estimator's dispatch, which stays Python.
    import dataclasses

    import service.domain.estimator as estimator

    real = estimator._DISPATCH["training"]

    def overflowing(self, request):
        return real(self, dataclasses.replace(request, accelerator_hours=1e308))

    monkeypatch.setitem(estimator._DISPATCH, "training", overflowing)
    _assert_problem(client.post("/v1/estimates/training", json=TRAINING), 422)
    item = client.post("/v1/estimates/batch", json={"items": [{"id": "a", "kind": "training", "workload": TRAINING}]})
    assert item.get_json()["items"][0]["problem"]["type"].endswith(":out-of-range")


def test_non_range_figures_are_checked_where_they_are_made():
    from service.domain.assumptions import Ledger
    from service.domain.estimate import MemoryFigures, ServingFigures
    from service.domain.ranges import NonFiniteFigureError

    with pytest.raises(NonFiniteFigureError):
        Ledger().assume("flops", math.inf, "FLOPs", "derived", "test")
    with pytest.raises(NonFiniteFigureError):
        MemoryFigures(math.nan, 1, 80.0, 1e9)
    one = Range.exact(1.0)
    with pytest.raises(NonFiniteFigureError):
        ServingFigures("dedicated", 1, 1, 16.0, one, one, one, one, one, one, replicas=1, utilisation=math.inf)
    assert MemoryFigures(1.5, 1, 80.0, 1e9).as_dict()["required_gb"] == 1.5


def test_non_finite_error_classifier():
    assert is_non_finite_error(OverflowError("math range error"))
    with pytest.raises(ValueError, match="Range needs finite") as infinite:
        Range(math.inf, math.inf, math.inf)
    assert is_non_finite_error(infinite.value)
    with pytest.raises(ValueError, match="Range needs finite") as misordered:
        Range(1.0, 2.0, 3.0)  # low above value: a programming error, not an overflow: stays a 500-class bug
    assert not is_non_finite_error(misordered.value)
    with pytest.raises(ValueError, match="(?i)nan|infinit|float") as encoded:
        encode_json({"x": math.nan, "y": None})
    assert is_non_finite_error(encoded.value)
    assert not is_non_finite_error(ValueError("something else"))
    assert not is_non_finite_error(KeyError("x"))


# -- nothing internal in any answer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("get", "/nowhere/../../etc/passwd", {}, 404),
        ("put", "/v1/estimates/training", {"json": {}}, 405),
        ("post", "/v1/estimates/training", {"data": b"\xff\xfe", "content_type": "application/json"}, 400),
        ("post", "/v1/estimates/training", {"data": "{}", "content_type": "text/plain"}, 415),
        ("post", "/v1/estimates/training", {"json": {"hardware": "x"}}, 422),
        ("get", "/v1/regions?provider=" + "x" * 5000, {}, 422),
    ],
)
def test_errors_show_no_internals(client, method, url, kwargs, status):
    _assert_problem(getattr(client, method)(url, **kwargs), status)


@pytest.mark.parametrize(
    ("requests", "status"), [(0, 200), (1e-300, 422), (0.5, 422), (1, 200), (1e16, 200), (1.1e16, 422)]
)
def test_inference_requests_are_zero_or_at_least_one(client, requests, status):
    # Found by the property tests: requests=1e-300 overflowed the per-request figures to infinity.
    body = {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
        "requests": requests,
    }
    response = client.post("/v1/estimates/inference", json=body)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 422:
        assert "requests" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("hardware.mfu", 0.0005), ("duration_hours", 1e-300), ("deployment.hours", 1e-300)],
)
def test_divisors_have_floors(client, field, value):
    body = {"model": {"preset": "llama-3.1-8b"}, "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"}, "requests": 10}
    url = "/v1/estimates/inference"
    if field == "hardware.mfu":
        body["hardware"]["mfu"] = value
    elif field == "deployment.hours":
        body["deployment"] = {"mode": "dedicated", "hours": value}
    else:
        url, body = (
            "/v1/estimates/training",
            {"hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 8}, "duration_hours": value},
        )
    response = client.post(url, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_an_integer_past_pythons_digit_limit_is_a_400_not_a_500(client):
    # int() refuses more than 4,300 digits (CVE-2020-10735 mitigation); the parser's ValueError is a bad body.
    body = (
        '{"hardware": {"accelerator": "nvidia-a100-sxm4-80gb"}, "accelerator_hours": 100, "runs": ' + "9" * 5000 + "}"
    )
    problem = _assert_problem(client.post("/v1/estimates/training", data=body, content_type="application/json"), 400)
    assert "too many digits" in problem["detail"]


@pytest.mark.parametrize(
    ("url", "raw"),
    [
        pytest.param("/v1/estimates/training", '{"hardware": {"accelerator": "\\ud800"}}', id="estimate-value"),
        pytest.param(
            "/v1/estimates/batch", '{"items": [{"id": "\\ud800", "kind": "training", "workload": {}}]}', id="batch-id"
        ),
        pytest.param(
            "/v1/estimates/batch",
            '{"items": [{"id": "a", "kind": "training", "workload": {"hardware": {"accelerator": "x\\udfffx"}}}]}',
            id="batch-workload-low-half",
        ),
        pytest.param(
            "/v1/compare", '{"kind": "training", "scenarios": [{"name": "\\uDBFF", "workload": {}}]}', id="compare-name"
        ),
        pytest.param(
            "/v1/recommendations", '{"kind": "training", "workload": {"\\ud83d": 1}}', id="key-high-half-alone"
        ),
        pytest.param(
            "/v1/compare",
            '{"kind": "training", "scenarios": [{"name": "\\ude00\\ud83d", "workload": {}}]}',
            id="pair-in-the-wrong-order",
        ),
    ],
)
def test_an_unpaired_surrogate_escape_is_a_400(client, url, raw):
    # Python's json accepts "\ud800" and gives a string that cannot be encoded as UTF-8; an answer echoing
    # it (a batch item's id, a scenario's name) then failed with a 500.
    body = _assert_problem(client.post(url, data=raw.encode(), content_type="application/json"), 400)
    assert "surrogate" in body["detail"]


def test_a_surrogate_pair_is_ordinary_text(client):
    raw = (
        '{"items": [{"id": "\\ud83d\\ude00 and \\\\ud800 (an escaped backslash)", "kind": "training", "workload": {}}]}'
    )
    response = client.post("/v1/estimates/batch", data=raw.encode(), content_type="application/json")
    assert response.status_code == 200  # the item itself is a 422 (no hardware), answered with its id
    assert response.get_json()["items"][0]["id"] == "\U0001f600 and \\ud800 (an escaped backslash)"


FINE_TUNING = {
    "model": {"preset": "llama-3.1-8b"},
    "method": "full",
    "dataset_tokens_million": 100,
    "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 4},
}
DEDICATED = {
    "model": {"preset": "llama-3.1-8b"},
    "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
    "requests": 1,
    "deployment": {"mode": "dedicated", "replicas": 10_000_000, "hours": 10_000_000},
}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param(
            {"kind": "fine-tuning", "workload": FINE_TUNING, "rag_comparison": {"expected_requests": 5e-324}},
            "rag_comparison.expected_requests",
            id="rag-comparison-requests-below-one",
        ),
        pytest.param(
            {"kind": "inference", "workload": DEDICATED, "constraints": {"target_utilisation": 5e-324}},
            "constraints.target_utilisation",
            id="target-utilisation-below-one-percent",
        ),
        pytest.param(
            {"kind": "fine-tuning", "workload": FINE_TUNING, "constraints": {"keep_model": "yes"}},
            "constraints.keep_model",
            id="keep-model-a-string",
        ),
        pytest.param(
            {"kind": "fine-tuning", "workload": FINE_TUNING, "constraints": {"keep_precision": 1}},
            "constraints.keep_precision",
            id="keep-precision-a-number",
        ),
    ],
)
def test_recommendation_options_are_validated_with_their_path(client, body, path):
    # Found by an adversarial run: the first two passed validation and overflowed to an out-of-range 422
    # without a field path; the booleans took marshmallow's lenient truthy strings.
    problem = _assert_problem(client.post("/v1/recommendations", json=body), 422)
    assert list(problem["errors"]) == [path]


def test_a_compare_percent_too_large_to_represent_is_null(client):
    tiny = {
        "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "power_w": 1e-300, "host_overhead_fraction": 0},
        "accelerator_hours": 1,
        "include_embodied": False,
        "datacenter": {"pue": 1, "carbon_intensity_gco2e_per_kwh": 5000, "wue_l_per_kwh": 50},
    }
    huge = {
        "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "power_w": 10000, "host_overhead_fraction": 5},
        "accelerator_hours": 1e11,
        "datacenter": {"pue": 5, "carbon_intensity_gco2e_per_kwh": 5000, "wue_l_per_kwh": 50},
    }
    body = {"kind": "training", "scenarios": [{"name": "tiny", "workload": tiny}, {"name": "huge", "workload": huge}]}
    response = client.post("/v1/compare", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    energy = response.get_json()["scenarios"][1]["delta"]["energy_kwh"]
    assert energy["percent"] is None and energy["absolute"] > 0


def test_a_422_names_at_most_fifty_fields_and_cuts_long_paths(client):
    body = {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10}
    body |= {f"unknown_{i:05d}": 1 for i in range(5000)} | {"k" * 10_000: 1}
    problem = _assert_problem(client.post("/v1/estimates/training", json=body), 422)
    assert len(problem["errors"]) == 50 and problem["errors_omitted"] == 5001 - 50
    assert max(len(path) for path in problem["errors"]) <= 203
    assert problem["detail"].endswith(" and 4951 more.")
    assert len(client.post("/v1/estimates/training", json=body).data) < 10_000


def test_a_422_with_few_fields_names_them_all(client):
    problem = _assert_problem(client.post("/v1/estimates/training", json={"a": 1, "b": 2}), 422)
    assert {"a", "b"} <= set(problem["errors"]) and "errors_omitted" not in problem


def test_paths_that_read_alike_once_cut_are_counted_not_lost(client):
    body = {"hardware": {"x" * 300 + str(i): 1 for i in range(3)}}
    problem = _assert_problem(client.post("/v1/estimates/training", json=body), 422)
    assert len(problem["errors"]) == 1 and problem["errors_omitted"] == 2


def test_a_duplicate_key_with_a_lone_surrogate_is_named_escaped(client):
    raw = b'{"\\ud800": 1, "\\ud800": 2}'
    response = client.post("/v1/estimates/training", data=raw, content_type="application/json")
    problem = _assert_problem(response, 400)
    assert problem["detail"] == "Duplicate key '\\ud800' in a JSON object."  # a backslash, then ud800
    response.data.decode("utf-8")  # the answer is valid UTF-8
