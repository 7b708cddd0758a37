"""``python -m service.validation.calibrate [--write]``: fit the training model and (re)write its constants.

``make calibrate`` runs it with ``--write``: the fitted constants go to ``service/domain/calibration.py``,
which the estimator imports. ``tests/validation/test_calibration.py`` fails when that file differs from a fresh
fit, so the shipped numbers are always the ones the published cases give.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from service.domain.defaults import HOST_OVERHEAD_FRACTION
from service.reference import Catalog, load_catalog

from . import inference_fit
from .cases import build_checks, load_cases
from .training_fit import (
    TARGET_COVERAGE,
    Calibration,
    PowerCalibration,
    calibrate,
    calibrate_power,
    folds,
    power_samples,
    runs_of,
)

TARGET = Path(__file__).resolve().parents[1] / "domain" / "calibration.py"

#: Mean accelerator power cannot exceed the board's limit for long, whatever a system measurement implies.
MAX_TRAINING_POWER_FRACTION = 1.0


def fitted(
    cases: list[dict[str, Any]] | None = None,
) -> tuple[Calibration, PowerCalibration, list[str], inference_fit.Calibration]:
    catalog = load_catalog()
    cases = cases if cases is not None else load_cases()
    runs, _ = runs_of(cases, catalog)
    calibration = calibrate(runs, folds(runs))
    samples = power_samples(cases, catalog, HOST_OVERHEAD_FRACTION.range.value)
    power = calibrate_power(samples, calibration.percentiles)
    groups = [g for g, _ in Counter(r.group for r in runs if not r.benchmark).most_common()]
    serving = inference_fit.calibrate(inference_points(cases, catalog))
    return calibration, power, groups, serving


def inference_points(cases: list[dict[str, Any]], catalog: Catalog) -> list[inference_fit.Point]:
    groups = {c["id"]: c["cv_group"] for c in cases}
    return inference_fit.points_of(build_checks(cases, catalog), groups, catalog)


def serving_fitted_to(serving: inference_fit.Calibration) -> str:
    lo, hi = inference_fit.PERCENTILES
    return (
        f"robust weighted fit to {serving.points} measured serving configurations (GPU energy per request, mean "
        f"power, time between tokens) of {len(serving.groups)} campaigns ({', '.join(serving.groups)}: "
        "github.com/ml-energy/leaderboard@0cd52da and leaderboard-v2@7d45d08, Chung et al. 2025, "
        "arXiv:2505.06371; Argonne, arXiv:2411.00136) on "
        f"{serving.accelerators} accelerator types; range: {lo:g}th-{hi:g}th percentile of the errors on "
        f"configurations held out by campaign and of those of {', '.join(serving.predicted_groups)} (older "
        "engines, predicted, not fitted), each campaign weighing the same"
    )


def _g(x: float) -> str:
    """Six significant digits: what the data supports, and the same text on every platform's arithmetic."""
    text = f"{x:.6g}".replace("e+", "e")  # as ruff format writes exponents
    return text if any(c in text for c in ".en") else text + ".0"


def _organisations(groups: list[str], limit: int = 12) -> str:
    shown = ", ".join(groups[:limit])
    return shown + (f" and {len(groups) - limit} more" if len(groups) > limit else "")


def _literal(text: str, indent: str) -> str:
    """``text`` as a parenthesised Python string, wrapped so the file passes ``ruff format`` unchanged."""
    lines = textwrap.wrap(text, width=100, drop_whitespace=False, break_long_words=False)
    body = "".join(f"{indent}    {json.dumps(line, ensure_ascii=False)}\n" for line in lines)
    return f"(\n{body}{indent})"


def render(
    calibration: Calibration, power: PowerCalibration, groups: list[str], serving: inference_fit.Calibration
) -> str:
    a, r, moe, bench = calibration.theta
    low_p, high_p = calibration.percentiles
    production = calibration.runs - calibration.benchmark_runs
    power_high = min(power.high, MAX_TRAINING_POWER_FRACTION)
    fitted_to = _literal(
        f"robust weighted fit to {production} published pre-training and fine-tuning runs of {len(groups)} "
        f"organisations ({_organisations(groups)}: model cards, technical reports and papers) and "
        f"{calibration.benchmark_runs} MLPerf Training v3.0-v5.1 results (MLCommons, "
        "github.com/mlcommons/training_results_v5.1@441d65f and the earlier rounds; a term of their own for "
        f"timed steady-state runs, {math.exp(bench):.2f} x the hours of a whole job); range: {low_p:g}th-{high_p:g}th "
        "percentile of the errors on runs held out by organisation",
        "    ",
    )
    power_source = _literal(
        f"measured training power of {power.samples} runs from {power.organisations} organisations: Patterson et "
        "al. 2021 (arXiv:2104.10350, Tables 1 and 4), Strubell et al. 2019 (arXiv:1906.02243, Table 3), Dodge et "
        "al. 2022 (arXiv:2206.05229), Ai2's Olmo 3 figures (restated by muxup.com, 2025), MLPerf Training v4.0 "
        f"Power results (Sustainable Metal Cloud); range: {low_p:g}th-{high_p:g}th percentile of errors held out "
        "by organisation, the high end capped at the TDP",
        "",
    )
    constants = serving.constants("")
    serving_lines = "".join(
        f"    {name}={_g(getattr(constants, name))},\n" for name, _, _, _ in inference_fit.PARAMETERS
    )
    serving_source = _literal(serving_fitted_to(serving), "    ")
    return f'''"""Fitted constants of the training and serving models. Generated by ``make calibrate``
(service/validation/calibrate.py) from the published runs and measurements; do not edit by hand:
tests/validation/test_calibration.py checks this file against a fresh fit.
"""

from __future__ import annotations

from .formulas.throughput import ThroughputModel
from .ranges import Range
from .serving import ServingConstants

TRAINING_THROUGHPUT = ThroughputModel(
    compute_seconds_per_flop_x_peak={_g(math.exp(a))},
    memory_bytes_per_flop={_g(math.exp(r))},
    moe_log_time={_g(moe)},
    log_error_low={_g(calibration.log_error_low)},
    log_error_high={_g(calibration.log_error_high)},
    fitted_to={fitted_to},
)
"""Accelerator-seconds per model FLOP = {math.exp(a):.4g} / peak + {math.exp(r):.4g} bytes / bandwidth (x
{math.exp(moe):.3g} for mixture-of-experts); ln(published / predicted hours) of held-out runs between
{calibration.log_error_low:.3f} and {calibration.log_error_high:.3f}."""

TRAINING_PERCENTILES = ({low_p!r}, {high_p!r})
"""Percentiles of held-out errors that set the training ranges: the narrowest candidate pair whose nested
cross-validated coverage of production runs reaches {TARGET_COVERAGE:.0%}."""

TRAINING_POWER_FRACTION = Range({_g(power.fraction)}, {_g(power.low)}, {_g(power_high)})
"""Mean accelerator power while training, as a fraction of TDP: the organisation-weighted median of
{power.samples} measured runs of {power.organisations} organisations (system measurements less the default host
share); range: the same percentiles of each organisation's error against the others' median, the high end
capped at the TDP."""

TRAINING_POWER_SOURCE = {power_source}

INFERENCE_SERVING = ServingConstants(
{serving_lines}    log_error_low={_g(serving.log_error_low)},
    log_error_high={_g(serving.log_error_high)},
    fitted_to={serving_source},
)
"""Serving model (``serving.operating_point``): shares of peak compute and bandwidth reached, fixed seconds per
step (per layer, per sequence, per token and layer of expert exchange) and power fractions of the reference;
ln(published / predicted energy per request) of held-out campaigns between {serving.log_error_low:.3f} and
{serving.log_error_high:.3f}."""
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {TARGET.name} (otherwise print it)")
    args = parser.parse_args(argv)
    text = render(*fitted())
    if args.write:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
