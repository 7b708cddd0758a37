"""bench/run.py's measuring rules (its phases need wrk and gunicorn, and run under `make bench`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import run  # noqa: E402


@pytest.mark.parametrize("cpu_seconds,balanced", [
    pytest.param([1.0, 1.0], True, id="even"),
    pytest.param([1.0, 0.5], True, id="one-third"),
    pytest.param([1.0, 0.4], False, id="under-a-third"),
    pytest.param([2.0, 0.0], False, id="one-worker-idle"),
])
def test_a_run_is_balanced_when_each_worker_did_a_third_of_the_work(cpu_seconds, balanced):
    figures = run.worker_cpu_figures(cpu_seconds, requests=1000)
    assert figures["balanced"] is balanced
    assert figures["server_cpu_us_per_request"] == pytest.approx(sum(cpu_seconds) / 1000 * 1e6, rel=1e-9)


def runs(*balanced: bool):
    """A measure() that returns runs with these splits, in turn."""
    pending = iter([{"balanced": b, "worker_cpu_share": [0.5, 0.5] if b else [1.0, 0.0]} for b in balanced])
    return lambda: next(pending)


def test_a_run_with_an_idle_worker_is_measured_again():
    kept, discarded = run.until_balanced(runs(False, True, False))
    assert kept["balanced"] and kept["attempt"] == 2
    assert [d["attempt"] for d in discarded] == [1]


def test_the_last_attempt_counts_whatever_its_split():
    kept, discarded = run.until_balanced(runs(False, False, False, True), attempts=3)
    assert not kept["balanced"] and kept["attempt"] == 3 and len(discarded) == 2


def test_a_balanced_first_run_is_kept():
    kept, discarded = run.until_balanced(runs(True))
    assert kept["attempt"] == 1 and discarded == []
