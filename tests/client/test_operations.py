"""Every operation in openapi.yaml has a FootprintClient method, and each method calls the operation it claims.

A new endpoint in the API fails ``test_every_operation_has_a_client_method`` until the client gets a method and
an entry in ``OPERATIONS`` (and a sample call below).
"""

from __future__ import annotations

import re

import pytest
import yaml
from clientsupport import FINE_TUNING, INFERENCE, ROOT, TRAINING
from genai_footprint_client import OPERATIONS, FootprintClient

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
SPEC_OPERATIONS = {(method, path) for path, item in SPEC["paths"].items() for method in item if method in HTTP_METHODS}

#: One call of each client method, with arguments valid for its operation.
SAMPLE_CALLS = {
    "estimate_training": lambda c: c.estimate_training(TRAINING),
    "estimate_fine_tuning": lambda c: c.estimate_fine_tuning(FINE_TUNING),
    "estimate_inference": lambda c: c.estimate_inference(INFERENCE),
    "estimate_batch": lambda c: c.estimate_batch([{"id": "a", "kind": "inference", "workload": INFERENCE}]),
    "recommend": lambda c: c.recommend("training", TRAINING),
    "compare": lambda c: c.compare("training", {"a": TRAINING}),
    "accelerators": lambda c: c.accelerators(),
    "accelerator": lambda c: c.accelerator("nvidia-h100-sxm5-80gb"),
    "instances": lambda c: c.instances(provider="aws"),
    "regions": lambda c: c.regions(),
    "models": lambda c: c.models(),
    "model": lambda c: c.model("llama-3.1-8b"),
    "health": lambda c: c.health(),
    "ready": lambda c: c.ready(),
    "metrics": lambda c: c.metrics(),
    "openapi": lambda c: c.openapi(),
    "openapi_json": lambda c: c.openapi_json(),
}


def test_every_operation_has_a_client_method():
    missing = sorted(SPEC_OPERATIONS - set(OPERATIONS))
    assert not missing, f"openapi.yaml operations without a FootprintClient method in OPERATIONS: {missing}"


def test_no_mapped_operation_is_missing_from_the_spec():
    assert not sorted(set(OPERATIONS) - SPEC_OPERATIONS)


def test_every_mapped_method_exists_and_has_a_sample_call():
    for name in OPERATIONS.values():
        assert callable(getattr(FootprintClient, name, None)), name
    assert set(SAMPLE_CALLS) == set(OPERATIONS.values())


@pytest.mark.parametrize(("operation", "name"), sorted(OPERATIONS.items()))
def test_each_method_calls_its_operation(stub_server, operation, name):
    stub = stub_server(lambda seen: (200, {"Content-Type": "application/json"}, b"{}"))
    SAMPLE_CALLS[name](FootprintClient(stub.base))
    method, template = operation
    (seen,) = stub.seen
    assert seen.method == method.upper()
    assert re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)), seen.path), (seen.path, template)


@pytest.mark.e2e
def test_every_method_against_the_service(server):
    client = FootprintClient(server.base, retries=0)
    for name, call in SAMPLE_CALLS.items():
        assert call(client), name
