"""Cross-validated figures: each organisation's checks answered by a service fitted without that organisation.

For every organisation the training model (``training_fit.fit``) and the training power fraction
(``training_fit.calibrate_power``) are fitted to the other organisations' runs, their ranges from a
cross-validation of those runs alone (nested), and the organisation's checks go through the HTTP API with
those constants in place of the shipped ones. Inference works the same way by campaign: the serving model
(``inference_fit``) is fitted without the campaign, its band from the other campaigns' own cross-validation;
campaigns never fitted (node-level measurements) are answered by the shipped constants, which never saw them.
The figures are therefore what the service would have answered had it never seen those measurements, computed
by the same code that answers real requests.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import numpy as np

from service.domain import calibration as calibration_module
from service.domain import throughput as throughput_module
from service.domain import training as training_module
from service.domain.calibration import TRAINING_PERCENTILES
from service.domain.defaults import HOST_OVERHEAD_FRACTION, Default
from service.domain.formulas.throughput import ThroughputModel
from service.domain.ranges import Range
from service.domain.serving import ServingConstants
from service.reference import load_catalog

from . import inference_fit
from .calibrate import MAX_TRAINING_POWER_FRACTION, inference_points
from .cases import BENCHMARK, INFERENCE, PREDICTIVE, Check
from .training_fit import Fold, calibrate_power, folds, power_samples, runs_of


@dataclass(frozen=True)
class FoldConstants:
    throughput: ThroughputModel
    power: Range


def _throughput(fold: Fold, percentiles: tuple[float, float]) -> ThroughputModel:
    a, r, moe, _ = fold.model.theta
    low, high = (float(np.percentile(fold.inner_errors, p)) for p in percentiles)
    return ThroughputModel(math.exp(a), math.exp(r), moe, low, high, f"fitted without {fold.group}")


def fold_constants(cases: Sequence[dict[str, Any]]) -> dict[str, FoldConstants]:
    """The constants each organisation's checks are answered with (organisations without runs of their own
    get the constants fitted to every run, which never saw them either)."""
    catalog = load_catalog()
    runs, _ = runs_of(cases, catalog)
    made = {f.group: f for f in folds(runs)}
    samples = power_samples(cases, catalog, HOST_OVERHEAD_FRACTION.range.value)
    out = {}
    for group in {c["cv_group"] for c in cases if c.get("cv_group")}:
        fold = made.get(group)
        throughput = (
            _throughput(fold, TRAINING_PERCENTILES) if fold is not None else throughput_module.TRAINING_THROUGHPUT
        )
        others = [s for s in samples if s.group != group]
        power = calibrate_power(others, TRAINING_PERCENTILES)
        out[group] = FoldConstants(
            throughput, Range(power.fraction, power.low, min(power.high, MAX_TRAINING_POWER_FRACTION))
        )
    return out


@contextmanager
def fitted_without(constants: FoldConstants) -> Iterator[None]:
    """Answer with one fold's constants. The estimator reads them as module globals, so they are swapped for
    the duration (the harness runs one request at a time, in process)."""
    power = Default(
        "power_fraction_of_tdp", constants.power, "fraction of TDP", "fitted without the held-out organisation"
    )
    with (
        mock.patch.object(throughput_module, "TRAINING_THROUGHPUT", constants.throughput),
        mock.patch.object(training_module, "TRAINING_POWER_FRACTION_OF_TDP", power),
    ):
        yield


def serving_fold_constants(cases: Sequence[dict[str, Any]]) -> dict[str, ServingConstants]:
    """The serving constants each fitted campaign's checks are answered with."""
    points = inference_points(list(cases), load_catalog())
    return {fold.group: fold.constants() for fold in inference_fit.folds(points)}


@contextmanager
def serving_fitted_without(constants: ServingConstants) -> Iterator[None]:
    with mock.patch.object(calibration_module, "INFERENCE_SERVING", constants):
        yield


def cross_validated(checks: Sequence[Check], cases: Sequence[dict[str, Any]], answer: Any) -> list[Any]:
    """``answer(check)`` for every predictive, benchmark and inference check, each under its organisation's
    (inference: campaign's) fold."""
    by_id = {c["id"]: c for c in cases}
    constants = fold_constants(cases)
    serving = serving_fold_constants(cases)
    out = []
    for check in checks:
        group = by_id[check.case_id]["cv_group"]
        if check.group in (PREDICTIVE, BENCHMARK):
            with fitted_without(constants[group]):
                out.append(answer(check))
        elif check.group == INFERENCE and group in serving:
            with serving_fitted_without(serving[group]):
                out.append(answer(check))
        elif check.group == INFERENCE:
            out.append(answer(check))  # a campaign the shipped constants were never fitted to
    return out
