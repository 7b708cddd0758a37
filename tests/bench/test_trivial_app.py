"""The benchmark's baselines (bench/trivial_app.py): the figures in the README are only as good as these.

The bare app is the benchmark's baseline: a Flask endpoint validating a 10-field marshmallow schema, nothing
more. The ``stack`` app is the diagnostic one: the same endpoint behind the service's serving layer, so it
must answer with exactly the headers the service adds to its own answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import trivial_app

BODY = json.dumps(trivial_app.EXAMPLE)
#: Headers the service's serving layer adds to an answer that is not under /v1/ (no Cache-Control there).
SERVING_HEADERS = {
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Content-Security-Policy",
    "Cross-Origin-Resource-Policy",
    "Vary",
    "X-Request-ID",
}


@pytest.fixture(params=[False, True], ids=["bare", "stack"])
def stack(request):
    return request.param


def test_valid_body_is_echoed(stack):
    response = (
        trivial_app.create_app(stack=stack).test_client().post("/echo", data=BODY, content_type="application/json")
    )
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "fields": 10}


@pytest.mark.parametrize(
    "change",
    [{"count": 0}, {"kind": "pretraining"}, {"pue": 0.5}, {"name": None}],
    ids=["count-below-range", "kind-not-a-choice", "pue-below-range", "name-null"],
)
def test_invalid_body_is_refused_by_the_schema(stack, change):
    body = json.dumps(trivial_app.EXAMPLE | change)
    response = (
        trivial_app.create_app(stack=stack).test_client().post("/echo", data=body, content_type="application/json")
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == list(change)


def test_bare_baseline_adds_no_serving_headers():
    response = trivial_app.create_app().test_client().post("/echo", data=BODY, content_type="application/json")
    assert SERVING_HEADERS.isdisjoint(response.headers.keys())


def test_stack_baseline_adds_the_services_serving_headers(client):
    trivial = trivial_app.create_app(stack=True).test_client().post("/echo", data=BODY, content_type="application/json")
    service = client.get("/healthz")  # outside /v1/, like /echo
    assert service.status_code == 200
    assert set(service.headers.keys()) >= SERVING_HEADERS
    added = set(trivial.headers.keys()) - {"Content-Type", "Content-Length"}
    assert added == set(service.headers.keys()) - {"Content-Type", "Content-Length"}
