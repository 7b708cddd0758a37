"""Published measurements through the HTTP API.

Cases and their sources: ``published-cases.json`` beside this file. Each case becomes a request built only
from the inputs its source gives (``service/validation/cases.py`` documents every mapping and its energy
scope). Convention cases must reproduce the published figures within 2%; predictive and inference cases
are judged in aggregate against the project's accuracy targets, and ``docs/validation.md`` must match a fresh run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.validation.cases import (
    BENCHMARK,
    CONVENTION,
    INFERENCE,
    PREDICTIVE,
    build_checks,
    load_cases,
    not_modelled,
)
from service.validation.report import TARGETS, render_markdown, run, run_cross_validated, summary

ROOT = Path(__file__).resolve().parents[2]
CASES = load_cases()
CHECKS = build_checks(CASES)
BY_GROUP = {g: [c for c in CHECKS if c.group == g] for g in (CONVENTION, PREDICTIVE, BENCHMARK, INFERENCE)}
TRAINING_CASES = [c for c in CASES if c["kind"] in ("training", "fine-tuning")]


@pytest.fixture(scope="module")
def rows(app):
    return run(CHECKS, client=app.test_client())


@pytest.fixture(scope="module")
def cv_rows(app):
    return run_cross_validated(CHECKS, CASES, client=app.test_client())


@pytest.fixture(scope="module")
def results(rows):
    return {r.check.id: r for r in rows}


@pytest.fixture(scope="module")
def stats(rows, cv_rows):
    return summary(rows, cv_rows)


def test_every_case_is_sourced_and_used_or_says_why_not():
    used = {c.case_id for c in CHECKS}
    skipped = not_modelled(CASES)
    for case in CASES:
        assert case["source"], case["id"]
        assert case["id"] in used or skipped.get(case["id"]), (
            f"{case['id']} is shipped but neither checked nor explained"
        )


def test_every_training_case_says_who_ran_it_and_how_it_is_known():
    for case in TRAINING_CASES:
        assert case["organisation"] and case["cv_group"], case["id"]
        assert case["source_kind"].split(" ")[0] in {"primary", "restatement", "primary-conversion"}, case["id"]


def test_the_evidence_is_broad():
    """At least 120 training and fine-tuning cases from 12 organisations and 4 accelerator families."""
    families = {
        next(
            v
            for k, v in (
                ("nvidia", "NVIDIA"),
                ("google", "Google TPU"),
                ("amd", "AMD"),
                ("intel", "Intel"),
                ("aws", "AWS"),
            )
            if c["accelerator_id"].startswith(k)
        )
        for c in TRAINING_CASES
        if c.get("accelerator_id")
    }
    assert len(TRAINING_CASES) >= 120
    assert len({c["organisation"] for c in TRAINING_CASES}) >= 12
    assert len(families) >= 4, families


def test_check_ids_are_unique():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))


def test_cases_file_is_inside_the_project():
    path = ROOT / "tests" / "validation" / "published-cases.json"
    assert path.is_file()
    assert "shared" not in str(path.relative_to(ROOT))


@pytest.mark.parametrize("check", BY_GROUP[CONVENTION], ids=lambda c: c.id)
def test_convention_case_within_2_percent(check, results):
    row = results[check.id]
    assert row.value == pytest.approx(check.published, rel=0.02)


@pytest.mark.parametrize("check", BY_GROUP[PREDICTIVE] + BY_GROUP[BENCHMARK] + BY_GROUP[INFERENCE], ids=lambda c: c.id)
def test_predictive_case_gives_a_sane_range(check, results):
    """Every predictive estimate is a proper range and within a factor of 10 of the published figure."""
    row = results[check.id]
    assert 0 < row.low <= row.value <= row.high
    assert 0.1 < row.value / check.published < 10


def test_convention_target(stats):
    assert stats["convention_within_2pct"] == 1.0


def test_training_targets_hold_on_organisations_held_out(stats):
    """Cross-validated (each organisation held out): coverage >= 80%, median |error| <= 25%, high/low <= 3."""
    f = stats["cv_predictive"]
    assert f.checks >= 80
    assert f.coverage >= TARGETS["training_coverage"]
    assert f.median_abs_error <= TARGETS["training_median_abs_error"]
    assert f.median_width <= TARGETS["training_median_width"]


def test_training_targets_hold_in_sample(stats):
    f = stats["predictive"]
    assert f.coverage >= TARGETS["training_coverage"]
    assert f.median_abs_error <= TARGETS["training_median_abs_error"]
    assert f.median_width <= TARGETS["training_median_width"]


@pytest.mark.parametrize("figures", ["cv_inference", "inference"], ids=["held-out-campaigns", "in-sample"])
def test_inference_targets(stats, figures):
    f = stats[figures]
    assert f.coverage >= TARGETS["inference_coverage"]
    assert f.median_abs_error <= TARGETS["inference_median_abs_error"]
    assert f.median_width <= TARGETS["inference_median_width"]


def test_the_inference_evidence_is_broad():
    """At least 60 measured inference points from 4 independent organisations on 3 accelerator types."""
    measured = {c.case_id for c in BY_GROUP[INFERENCE]}
    cases = [c for c in CASES if c["id"] in measured]
    assert len(BY_GROUP[INFERENCE]) >= 60
    organisations = {c["organisation"].split(" (")[0] for c in cases}
    assert len(organisations) >= 4, organisations
    assert len({c["accelerator_id"] for c in cases if c.get("accelerator_id")}) >= 3


def test_an_idle_dedicated_replica_draws_what_blooms_did(client):
    """BLOOM's API replica on 16 A100s drew about 0.29 kWh per 10 minutes with no requests (Luccioni et al.
    2023, arXiv:2211.02001 §5): GPUs, CPU and RAM, no facility."""
    body = client.post(
        "/v1/estimates/inference",
        json={
            "model": {"preset": "bloom-176b"},
            "hardware": {"accelerator": "nvidia-a100-sxm4-40gb", "count": 16},
            "requests": 0,
            "deployment": {"mode": "dedicated", "hours": 1 / 6},
            "datacenter": {"pue": 1.0},
            "include_embodied": False,
        },
    ).get_json()
    energy = body["energy_kwh"]
    assert energy["low"] <= 0.29 <= energy["high"]


def test_dedicated_low_utilisation_costs_far_more_per_request(client):
    """Morrison et al. 2025: 1 request/s on a dedicated server cost ~30x more per prompt than saturating it."""
    base = {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 1},
        "input_tokens_per_request": 500,
        "output_tokens_per_request": 250,
        "include_embodied": False,
    }
    saturated = client.post("/v1/estimates/inference", json={**base, "requests": 100_000, "batch_size": 64}).get_json()
    quiet = client.post(
        "/v1/estimates/inference",
        json={
            **base,
            "requests": 3600 * 24,
            "batch_size": 4,
            "deployment": {"mode": "dedicated", "hours": 24 * 30},
        },
    ).get_json()
    ratio = quiet["per_request"]["energy_wh"]["value"] / saturated["per_request"]["energy_wh"]["value"]
    assert ratio > 10


def test_validation_document_matches_a_fresh_run(rows, cv_rows):
    document = ROOT / "docs" / "validation.md"
    assert document.is_file(), "run `make validate` to generate docs/validation.md"
    assert document.read_text(encoding="utf-8") == render_markdown(rows, cv_rows, CASES, not_modelled(CASES)), (
        "docs/validation.md is out of date: run `make validate`"
    )
