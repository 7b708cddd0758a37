"""Curves the methodology shows, computed by the service itself and written between markers in a document.

``python -m service.validation.curves --write docs/methodology.md`` (run by ``make validate``) replaces the
text between ``<!-- moe-curve:start -->`` and ``<!-- moe-curve:end -->`` with the current table;
tests/validation/test_inference_model.py fails when the document differs from a fresh computation.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

START, END = "<!-- moe-curve:start -->", "<!-- moe-curve:end -->"
MOE = {"parameters_billion": 30.5, "active_parameters_billion": 3.3, "experts": 128, "experts_per_token": 8}
DENSE = {"parameters_billion": 32.8}
BATCHES = (1, 4, 16, 64, 256, 1024, 2048)
REPLICAS = (1, 8)
ACCELERATOR = "nvidia-h100-sxm5-80gb"


def _gpu_wh_per_request(client: Any, model: dict[str, Any], count: int, batch: int) -> tuple[float, float]:
    """GPU Wh per request and the batch the replica runs at (bounded by its KV-cache memory)."""
    body = {
        "model": model,
        "hardware": {"accelerator": ACCELERATOR, "count": count},
        "requests": 1000,
        "input_tokens_per_request": 100,
        "output_tokens_per_request": 100,
        "batch_size": batch,
        "include_embodied": False,
    }
    answer = client.post("/v1/estimates/inference", json=body).get_json()
    return answer["breakdown"]["accelerators_kwh"]["value"], answer["serving"]["effective_batch_size"]["value"]


def moe_curve(client: Any) -> str:
    """Markdown table: energy per request of the MoE over the dense model, by batch and replica size."""
    lines = [
        "| batch cap | " + " | ".join(f"MoE / dense, {n} x H100" for n in REPLICAS) + " |",
        "|---|" + "---|" * len(REPLICAS),
    ]
    for batch in BATCHES:
        cells = []
        for count in REPLICAS:
            moe, moe_batch = _gpu_wh_per_request(client, MOE, count, batch)
            dense, dense_batch = _gpu_wh_per_request(client, DENSE, count, batch)
            note = "" if moe_batch == dense_batch == batch else f" (batches {moe_batch:g} / {dense_batch:g})"
            cells.append(f"{moe / dense:.2f}{note}")
        lines.append(f"| {batch:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rewrite(document: str, table: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"the document has no {START} ... {END} block")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", document)


def _client() -> Any:
    from service import create_app

    return create_app({"access_log": False, "log_level": "ERROR"}).test_client()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="rewrite the table in this document")
    args = parser.parse_args(argv)
    table = moe_curve(_client())
    if args.write is None:
        sys.stdout.write(table + "\n")
        return 0
    args.write.write_text(rewrite(args.write.read_text(encoding="utf-8"), table), encoding="utf-8")
    sys.stdout.write(f"wrote the curve into {args.write}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
