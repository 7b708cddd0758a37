"""Request bodies the benchmarks post: the documented examples of each kind (service/api/examples.py)."""

from __future__ import annotations

import json
from itertools import cycle, islice

from service.api.examples import (
    FINE_TUNING_EXAMPLES,
    INFERENCE_EXAMPLES,
    RECOMMENDATION_EXAMPLES,
    TRAINING_EXAMPLES,
)

EXAMPLES = {"training": TRAINING_EXAMPLES, "fine-tuning": FINE_TUNING_EXAMPLES, "inference": INFERENCE_EXAMPLES}
PATHS = {kind: f"/v1/estimates/{kind}" for kind in EXAMPLES}


def bodies(kind: str) -> list[str]:
    """Compact JSON bodies, one per documented example of ``kind``."""
    return [json.dumps(ex["value"], separators=(",", ":")) for ex in EXAMPLES[kind].values()]


def batch_items(n: int = 1000) -> list[dict]:
    """``n`` batch items cycling over every example of every kind (mixed kinds, in turn)."""
    pool = [(kind, ex["value"]) for kind, examples in EXAMPLES.items() for ex in examples.values()]
    # interleave kinds: training, fine-tuning, inference, training, ...
    by_kind = {kind: [v for k, v in pool if k == kind] for kind in EXAMPLES}
    order = []
    longest = max(len(v) for v in by_kind.values())
    for i in range(longest):
        for kind, values in by_kind.items():
            order.append((kind, values[i % len(values)]))
    return [{"id": f"item-{i}", "kind": kind, "workload": w} for i, (kind, w) in enumerate(islice(cycle(order), n))]


def batch_body(n: int = 1000) -> str:
    return json.dumps({"items": batch_items(n)}, separators=(",", ":"))


def recommendation_bodies() -> dict[str, dict]:
    """POST /v1/recommendations bodies: the documented recommendation examples, then every documented estimate
    example as the workload (the same set tests/api/test_recommendations_golden.py pins)."""
    out = {f"recommendations/{name}": ex["value"] for name, ex in RECOMMENDATION_EXAMPLES.items()}
    for kind, examples in EXAMPLES.items():
        for name, ex in examples.items():
            out[f"{kind}/{name}"] = {"kind": kind, "workload": ex["value"]}
    return out
