"""Every figure an answer to a documented example rests on cites where it comes from: a paper, a report, a vendor
page, or a dataset at a commit. None refers to an internal document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from service.api.examples import (
    COMPARE_EXAMPLES,
    FINE_TUNING_EXAMPLES,
    INFERENCE_EXAMPLES,
    RECOMMENDATION_EXAMPLES,
    TRAINING_EXAMPLES,
)

CITATION = re.compile(
    r"arXiv:\d{4}\.\d{4,5}"  # a paper
    r"|https?://\S+"  # a vendor or provider page, a report
    r"|github(?:\.com)?[:/][\w.-]+/[\w.-]+\S*@[0-9a-f]{7,40}"  # a dataset or file at a commit
    r"|\b10\.\d{4,9}/\S+"  # a DOI
    r"|\b[A-Z][\w&.-]+(?: et al\.)?,? \(?(?:19|20)\d\d\b"  # Author [et al.] year, or a named report and its year
)
INTERNAL = re.compile(r"\bbrief\b|internal document|mirror", re.IGNORECASE)
#: Defaults that are conventions of the API, not figures about the world (documented in openapi.yaml).
CONVENTIONS = {"epochs"}

EXAMPLES = [
    *((f"training/{k}", "/v1/estimates/training", e["value"]) for k, e in TRAINING_EXAMPLES.items()),
    *((f"fine-tuning/{k}", "/v1/estimates/fine-tuning", e["value"]) for k, e in FINE_TUNING_EXAMPLES.items()),
    *((f"inference/{k}", "/v1/estimates/inference", e["value"]) for k, e in INFERENCE_EXAMPLES.items()),
    *((f"recommendations/{k}", "/v1/recommendations", e["value"]) for k, e in RECOMMENDATION_EXAMPLES.items()),
    *((f"compare/{k}", "/v1/compare", e["value"]) for k, e in COMPARE_EXAMPLES.items()),
]


def _assumptions(node: Any) -> Iterator[dict[str, Any]]:
    """Every assumption anywhere in an answer (estimates nest inside recommendations and comparisons)."""
    if isinstance(node, dict):
        assumptions = node.get("assumptions")
        if isinstance(assumptions, list):
            yield from assumptions
        for key, value in node.items():
            if key != "assumptions":
                yield from _assumptions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _assumptions(item)


def _recommendation_sources(answer: dict[str, Any]) -> Iterator[str]:
    for recommendation in answer.get("recommendations", []):
        yield from recommendation.get("sources", [])


@pytest.mark.parametrize(("name", "path", "body"), EXAMPLES, ids=[name for name, _, _ in EXAMPLES])
def test_every_default_in_a_documented_answer_is_cited(client, name, path, body):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    uncited = [
        (a["name"], a["source"])
        for a in _assumptions(answer)
        if a["status"] == "default" and a["name"] not in CONVENTIONS and not CITATION.search(a["source"])
    ]
    assert not uncited, uncited
    internal = [a["source"] for a in _assumptions(answer) if INTERNAL.search(a["source"])]
    assert not internal, internal
    for source in _recommendation_sources(answer):
        assert CITATION.search(source) and not INTERNAL.search(source), source


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a figure from the brief §3", id="internal-document"),
        pytest.param("mixed-precision bf16 is the default of current stacks", id="no-source"),
    ],
)
def test_the_check_refuses_what_is_not_a_citation(text):
    assert INTERNAL.search(text) or not CITATION.search(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Kaplan et al. 2020, arXiv:2001.08361", id="paper"),
        pytest.param("github:owner/repo/data.csv@b2858aa (2026-03-12)", id="dataset-at-commit"),
        pytest.param("https://www.nvidia.com/en-us/data-center/h100/", id="vendor-page"),
        pytest.param("Uptime Institute Global Data Center Survey 2024", id="named-report"),
    ],
)
def test_the_check_accepts_citations(text):
    assert CITATION.search(text) and not INTERNAL.search(text)
