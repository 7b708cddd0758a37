"""Quantified recommendations and side-by-side comparisons, computed with the estimation engine.

Pure domain code: no Flask, no marshmallow. See docs/recommendations.md.
"""

from .compare import MAX_SCENARIOS, ScenarioOutcome, compare, delta
from .engine import CODES, CODES_BY_KIND, Recommender
from .model import (
    DEFAULT_MAX_DURATION_FACTOR,
    DEFAULT_RETRIEVED_TOKENS,
    DEFAULT_TARGET_UTILISATION,
    ENGINE,
    VENDOR_CLAIM,
    Alternative,
    Constraints,
    Note,
    RagComparison,
    Recommendation,
    RecommendationResult,
    Savings,
)
from .patch import apply_patch, merge_patch, prune_patch, to_payload

__all__ = [
    "CODES",
    "CODES_BY_KIND",
    "DEFAULT_MAX_DURATION_FACTOR",
    "DEFAULT_RETRIEVED_TOKENS",
    "DEFAULT_TARGET_UTILISATION",
    "ENGINE",
    "MAX_SCENARIOS",
    "VENDOR_CLAIM",
    "Alternative",
    "Constraints",
    "Note",
    "RagComparison",
    "Recommendation",
    "RecommendationResult",
    "Recommender",
    "Savings",
    "ScenarioOutcome",
    "apply_patch",
    "compare",
    "delta",
    "merge_patch",
    "prune_patch",
    "to_payload",
]
