"""Recommendations for every documented workload stay what they were when the fast paths were introduced.

The engine ranks 144 regions and every catalog accelerator per request; its fast paths (regions ranked on the
baseline's energy, input bounds checked only for the changes it shows) must not change a single answer. The
golden file holds the full answers for the documented recommendation examples and for every documented
estimate example sent to /v1/recommendations, computed by the exhaustive engine.

A deliberate change of the methodology or the data changes these answers too: regenerate the file with
``python -m tests.api.test_recommendations_golden --write`` and review the diff.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from service.api.examples import (
    FINE_TUNING_EXAMPLES,
    INFERENCE_EXAMPLES,
    RECOMMENDATION_EXAMPLES,
    TRAINING_EXAMPLES,
)

GOLDEN = Path(__file__).parent / "golden" / "recommendations.json"


def _bodies() -> dict[str, dict[str, Any]]:
    bodies = {f"recommendations/{name}": e["value"] for name, e in RECOMMENDATION_EXAMPLES.items()}
    for kind, examples in (
        ("training", TRAINING_EXAMPLES),
        ("fine-tuning", FINE_TUNING_EXAMPLES),
        ("inference", INFERENCE_EXAMPLES),
    ):
        for name, e in examples.items():
            bodies[f"{kind}/{name}"] = {"kind": kind, "workload": e["value"]}
    return bodies


BODIES = _bodies()


def _answer(client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _same(actual: Any, expected: Any, path: str = "") -> None:
    """Equal structure and text; numbers equal to a relative 1e-12 (the same arithmetic, in another order)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), f"{path}: keys differ"
        for key in expected:
            _same(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: length differs"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _same(a, e, f"{path}.{i}")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, int | float), path
        assert math.isclose(actual, expected, rel_tol=1e-12, abs_tol=0.0), f"{path}: {actual} != {expected}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_golden_file_covers_every_documented_workload(golden):
    assert sorted(golden) == sorted(BODIES)


@pytest.mark.parametrize("name", list(BODIES))
def test_recommendations_are_unchanged(client, golden, name):
    _same(_answer(client, BODIES[name]), golden[name], name)


def _write() -> None:
    from service import create_app

    client = create_app({"access_log": False}).test_client()
    answers = {name: _answer(client, body) for name, body in BODIES.items()}
    GOLDEN.write_text(json.dumps(answers, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(answers)} answers)")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.api.test_recommendations_golden --write")
    _write()
