"""In-process throughput: estimates per second for each kind, in one process, no HTTP.

Three layers per kind, each over every example workload of that kind (service/api/examples.py):

* ``domain``: ``Estimator.estimate(kind, request)`` on already-validated requests;
* ``estimate_payload``: validation + estimate + ``as_dict`` (what an HTTP request does minus HTTP);
* the validation alone: marshmallow's ``schema.load``, and the loader compiled from the schema that the
  API uses (service/schemas/fastload.py);
* the trivial baseline: a 10-field marshmallow schema load (bench/trivial_app.py), same process.

Also the 1,000-item mixed batch through ``service.api.batch.estimate_items`` (envelope already validated), and
recommendations against estimates of the same workload: each documented workload posted to
``/v1/recommendations`` (full and ``?detail=summary``) and to its estimate endpoint through the Flask test
client, so both pay the same request handling, validation and JSON encoding in one process.
Prints one JSON object on stdout. ``--profile KIND`` prints a cProfile of estimate_payload instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import trivial_app
from workloads import batch_items, recommendation_bodies

from service import create_app
from service.api.estimates import REQUEST_LOADERS, REQUEST_SCHEMAS, estimate_payload
from service.api.examples import FINE_TUNING_EXAMPLES, INFERENCE_EXAMPLES, TRAINING_EXAMPLES
from service.api.services import services_of

KINDS = {"training": TRAINING_EXAMPLES, "fine-tuning": FINE_TUNING_EXAMPLES, "inference": INFERENCE_EXAMPLES}


def rate(fn, args_list, min_seconds: float, **kwargs) -> float:
    """Calls per second of ``fn(*args, **kwargs)`` cycling over ``args_list``, best of 3 runs of >= min_seconds/3."""
    for args in args_list:  # warm up
        fn(*args, **kwargs)
    best = 0.0
    for _ in range(3):
        n = 0
        start = time.perf_counter()
        deadline = start + min_seconds / 3
        while True:
            for args in args_list:
                fn(*args, **kwargs)
            n += len(args_list)
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, n / (now - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement (3 runs, best)")
    parser.add_argument("--profile", choices=sorted(KINDS) + ["batch"], help="print a cProfile instead")
    args = parser.parse_args()

    app = create_app({"access_log": False})
    estimator = services_of(app).estimator
    with app.app_context():
        if args.profile:
            profile(args.profile, estimator)
            return
        result: dict = {"kinds": {}}
        for kind, examples in KINDS.items():
            payloads = [ex["value"] for ex in examples.values()]
            loaded = [REQUEST_SCHEMAS[kind].load(p) for p in payloads]
            result["kinds"][kind] = {
                "examples": len(payloads),
                "domain_per_s": rate(lambda r, k=kind: estimator.estimate(k, r), [(r,) for r in loaded], args.seconds),
                "estimate_payload_per_s": rate(
                    lambda p, k=kind: estimate_payload(k, p), [(p,) for p in payloads], args.seconds
                ),
                "schema_load_only_per_s": rate(REQUEST_SCHEMAS[kind].load, [(p,) for p in payloads], args.seconds),
                "compiled_load_per_s": rate(REQUEST_LOADERS[kind].load, [(p,) for p in payloads], args.seconds),
            }
        result["trivial_schema_load_per_s"] = rate(trivial_app.SCHEMA.load, [(trivial_app.EXAMPLE,)], args.seconds)
        for row in result["kinds"].values():
            row["estimate_payload_vs_trivial"] = row["estimate_payload_per_s"] / result["trivial_schema_load_per_s"]

        from service.api.batch import _ENVELOPE, estimate_items

        items = _ENVELOPE.load({"items": batch_items(1000)})["items"]
        per_s = rate(lambda: estimate_items(items, estimator), [()], max(args.seconds, 3.0))
        result["batch_estimate_items_items_per_s"] = per_s * len(items)
        result["recommendations"] = recommendations(app, args.seconds / 2)
    json.dump(result, sys.stdout, indent=2)
    print()


#: Rounds per workload: each measures the estimate and then the recommendation, so that a burst of load on the
#: shared host weighs on both sides of a round's ratio; the figure is the median round.
RECOMMENDATION_ROUNDS = 5


def recommendations(app, seconds: float) -> dict:
    """Per documented workload: estimates/s and recommendations/s (full and summary) through the test client,
    and how many estimates one recommendation costs (median of the rounds' ratios)."""
    client = app.test_client()
    share = seconds / RECOMMENDATION_ROUNDS
    out = {}
    for name, body in recommendation_bodies().items():
        estimate_path = f"/v1/estimates/{body['kind']}"
        for path, payload in ((estimate_path, body["workload"]), ("/v1/recommendations", body)):
            response = client.post(path, json=payload)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {path} answered {response.status_code}: {response.get_data(as_text=True)}")
        rounds = []
        for _ in range(RECOMMENDATION_ROUNDS):
            estimate = rate(client.post, [(estimate_path,)], share, json=body["workload"])
            full = rate(client.post, [("/v1/recommendations",)], share, json=body)
            summary = rate(client.post, [("/v1/recommendations?detail=summary",)], share, json=body)
            rounds.append((estimate / full, estimate, full, summary))
        rounds.sort()
        ratio, estimate, full, summary = rounds[len(rounds) // 2]
        out[name] = {
            "estimate_per_s": estimate,
            "recommendations_per_s": full,
            "summary_per_s": summary,
            "estimates_per_recommendation": ratio,
            "ratio_per_round": [r[0] for r in rounds],
        }
    return out


def profile(kind: str, estimator) -> None:
    prof = cProfile.Profile()
    if kind == "batch":
        from service.api.batch import _ENVELOPE, estimate_items

        items = _ENVELOPE.load({"items": batch_items(1000)})["items"]
        prof.enable()
        for _ in range(5):
            estimate_items(items, estimator)
        prof.disable()
    else:
        payloads = [ex["value"] for ex in KINDS[kind].values()]
        prof.enable()
        for _ in range(2000 // len(payloads)):
            for p in payloads:
                estimate_payload(kind, p)
        prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())


if __name__ == "__main__":
    main()
