"""The ceiling diagnostic (bench/ceiling_app.py) answers exactly as the service does, estimating each request once.

Its throughput is quoted as the limit a faster domain could reach, so it must do everything the service does
for a request except the estimate: the same status, headers and body, the estimate metric still counted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import ceiling_app
from workloads import EXAMPLES, PATHS

from service import create_app
from service.api.services import services_of

#: Differ between any two answers by design.
PER_REQUEST_HEADERS = {"X-Request-ID"}

CASES = [(kind, name) for kind, examples in EXAMPLES.items() for name in examples]


@pytest.fixture(scope="module")
def apps():
    config = {"access_log": False}
    return create_app(config), ceiling_app.create_app(config)


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[f"{kind}-{name}" for kind, name in CASES])
def test_answers_as_the_service_does(apps, kind, name):
    service, ceiling = apps
    body = EXAMPLES[kind][name]["value"]
    expected = service.test_client().post(PATHS[kind], json=body)
    for _ in range(2):  # estimated, then remembered
        answer = ceiling.test_client().post(PATHS[kind], json=body)
        assert answer.status_code == expected.status_code == 200
        assert answer.data == expected.data
        assert {k: v for k, v in answer.headers if k not in PER_REQUEST_HEADERS} == {
            k: v for k, v in expected.headers if k not in PER_REQUEST_HEADERS
        }


def test_each_distinct_request_is_estimated_once():
    app = ceiling_app.create_app({"access_log": False})
    remembering = services_of(app).estimator
    client = app.test_client()
    for _ in range(3):
        for kind, name in CASES:
            assert client.post(PATHS[kind], json=EXAMPLES[kind][name]["value"]).status_code == 200
    assert remembering.computed == len(CASES)


def test_invalid_requests_are_still_refused():
    client = ceiling_app.create_app({"access_log": False}).test_client()
    answer = client.post(PATHS["inference"], json={"model": {"preset": "llama-3.1-8b"}, "requests": -1})
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
