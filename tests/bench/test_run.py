"""bench/run.py's measuring rules (its phases need wrk and gunicorn, and run under `make bench`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import run


@pytest.mark.parametrize(
    ("cpu_seconds", "balanced"),
    [
        pytest.param([1.0, 1.0], True, id="even"),
        pytest.param([1.0, 0.5], True, id="one-third"),
        pytest.param([1.0, 0.4], False, id="under-a-third"),
        pytest.param([2.0, 0.0], False, id="one-worker-idle"),
    ],
)
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


def http_run(endpoint: str, connections: int, rnd: int, rps: float, p99_ms: float = 10.0) -> dict:
    return {
        "endpoint": endpoint,
        "connections": connections,
        "round": rnd,
        "rps": rps,
        "p50_ms": 1.0,
        "p99_ms": p99_ms,
        "non_2xx_3xx": 0,
        "socket_errors": 0,
        "load_before": [1.0, 1.0, 1.0],
        "balanced": True,
        "server_cpu_us_per_request": 1e6 / rps,
    }


def results_with(http_runs: list[dict]) -> dict:
    """The smallest results summarize() reads, around these HTTP runs."""
    return {
        "http": {"runs": http_runs, "rss_warm_kb": {"service": [36_000], "trivial": [33_000]}},
        "batch": {"items_per_s": 12_000.0},
        "cold_start": {"median_s": 0.3},
        "soak": {"non_2xx_3xx": 0, "socket_errors": 0, "max_rss_growth": 0.05},
        "inprocess": {
            "recommendations": {
                "a": {"estimates_per_recommendation": 6.0},
                "b": {"estimates_per_recommendation": 12.5},
            }
        },
    }


def test_the_recommendation_target_takes_the_worst_workload():
    plain = [http_run(endpoint, 16, 1, 8000.0) for endpoint in ("trivial", "training")]
    target = run.summarize(results_with(plain))["targets"]["recommendation_cost_in_estimates"]
    assert target["measured"] == 12.5 and target["op"] == "<=" and target["target"] == 10.0 and not target["met"]


def test_ceiling_rows_are_reported_but_are_not_the_service():
    runs_ = [
        http_run("trivial", 64, 1, 8000.0),
        http_run("inference", 64, 1, 6000.0),
        http_run("ceiling:inference", 64, 1, 7600.0, p99_ms=99.0),
        http_run("trivial", 16, 1, 8000.0),
        http_run("inference", 16, 1, 6400.0),
        http_run("ceiling:inference", 16, 1, 7200.0, p99_ms=99.0),
    ]
    summary = run.summarize(results_with(runs_))
    ceiling = {r["connections"]: r for r in summary["rows"] if r["endpoint"] == "ceiling:inference"}
    assert ceiling[64]["ratio"] == pytest.approx(0.95, rel=1e-9)
    assert ceiling[16]["ratio"] == pytest.approx(0.9, rel=1e-9)
    # The targets are the service's own: the worst real ratio (6000 / 8000) and p99, not the ceiling's.
    assert summary["targets"]["ratio_vs_trivial"]["measured"] == pytest.approx(0.75, rel=1e-9)
    assert summary["targets"]["p99_ms_at_16"]["measured"] == pytest.approx(10.0, rel=1e-9)

    lines = run.ceiling_lines(summary["rows"])
    assert "0.90x" in lines[-1]
    assert run.endpoint_label("ceiling:inference") == "ceiling: `/v1/estimates/inference`, estimate remembered"
    assert run.endpoint_label("inference") == "`/v1/estimates/inference`"


def test_no_ceiling_rows_no_ceiling_sentence():
    plain = [
        http_run(endpoint, c, 1, rps) for c in (16, 64) for endpoint, rps in (("trivial", 8000.0), ("training", 6000.0))
    ]
    summary = run.summarize(results_with(plain))
    assert run.ceiling_lines(summary["rows"]) == []


def test_proxied_rows_are_measured_against_the_trivial_endpoint_behind_the_same_nginx():
    runs_ = [
        http_run("trivial", 16, 1, 8000.0),
        http_run("training", 16, 1, 6000.0),
        http_run("proxied:trivial", 16, 1, 5000.0),
        http_run("proxied:training", 16, 1, 4500.0, p99_ms=20.0),
        http_run("trivial", 64, 1, 8000.0),
        http_run("training", 64, 1, 6000.0),
        http_run("proxied:trivial", 64, 1, 5000.0),
        http_run("proxied:training", 64, 1, 4500.0),
    ]
    summary = run.summarize(results_with(runs_))
    rows = {(r["endpoint"], r["connections"]): r for r in summary["rows"]}
    assert rows[("proxied:training", 16)]["ratio"] == pytest.approx(0.9, rel=1e-9)  # 4500 / 5000, not / 8000
    assert rows[("training", 16)]["ratio"] == pytest.approx(0.75, rel=1e-9)
    assert rows[("proxied:trivial", 64)]["ratio"] == 1.0
    # Both paths are shipped: the targets take the worst of either.
    assert summary["targets"]["ratio_vs_trivial"]["measured"] == pytest.approx(0.75, rel=1e-9)
    assert summary["targets"]["p99_ms_at_16"]["measured"] == pytest.approx(20.0, rel=1e-9)
    assert run.endpoint_label("proxied:training") == "nginx + `/v1/estimates/training`"
    assert run.endpoint_label("proxied:trivial") == "nginx + trivial `/echo`"
    assert run.baseline_of("proxied:inference") == "proxied:trivial" and run.baseline_of("inference") == "trivial"


def test_nginx_cpu_counts_as_server_cpu_but_not_in_the_worker_split():
    figures = run.worker_cpu_figures([1.0, 1.0], requests=1000, proxy_cpu_s=0.5)
    assert figures["balanced"] and figures["worker_cpu_share"] == [0.5, 0.5]
    assert figures["server_cpu_us_per_request"] == pytest.approx(2500.0, rel=1e-9)
    assert figures["proxy_cpu_us_per_request"] == pytest.approx(500.0, rel=1e-9)


def test_the_report_names_the_target_and_shows_no_removed_phase():
    results = json.loads((Path(run.RESULTS) / "latest.json").read_text())
    results["summary"] = run.summarize(results)
    text = run.markdown(results)
    assert f"| >= {run.TARGETS['ratio_vs_trivial']}x |" in text
    assert "Worker class" not in text  # the slow-client comparison of the removed worker is gone
