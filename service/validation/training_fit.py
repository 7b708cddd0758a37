"""Fit the training utilisation model to the published runs, and measure it on runs it was not fitted to.

Each usable case (``tests/validation/published-cases.json``) becomes a ``Run``: what a user could give
(accelerator, precision, active and total parameters, tokens, and the sequence length and accelerator count
where the source publishes them) and what was published (accelerator-hours). FLOPs come from the estimator's
own formula (``formulas.throughput.training_flops_per_token``), so the utilisation fitted is the one the
estimator divides by.

The model (``formulas.throughput.UtilisationModel``) is a weighted least-squares fit of ln(MFU). Each
organisation weighs the same as the square root of its run count would (weight 1/sqrt(n) per run), so one
prolific source cannot set the curve. MLPerf Training results enter with a fixed effect of their own: they
time a tuned steady state and exclude start-up, evaluation and restarts, which whole-job GPU-hours include; the
effect is estimated, never applied to an estimate. Two models are fitted: with the accelerator count (for
requests that give it) and without.

Ranges come from leave-one-organisation-out cross-validation: every run is predicted by a model fitted
without its organisation, and the 10th and 90th percentiles of those held-out errors set each model's
low/high. Coverage and errors of the same held-out predictions (with ranges from a nested cross-validation
inside each fold) are what docs/validation.md reports as cross-validated.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.domain.defaults import TRAINING_FLOPS_PER_PARAMETER_TOKEN
from service.domain.fine_tuning import METHOD_PROFILES
from service.domain.formulas.compute import frozen_base_flops_per_parameter_token
from service.domain.formulas.throughput import DEFAULT_SEQUENCE_LENGTH, training_flops_per_token
from service.domain.hardware import peak_at
from service.domain.ranges import Range
from service.reference import Catalog

#: Candidate percentiles of held-out errors for the range's low and high. ``calibrate`` takes the narrowest
#: pair (median high/low) whose nested cross-validated coverage of production runs reaches
#: ``TARGET_COVERAGE``, a margin above the 80% the ranges promise, so it holds on runs never seen.
LOW_PERCENTILES = (5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0)
HIGH_PERCENTILES = (88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0)
TARGET_COVERAGE = 0.82

#: Methods whose FLOPs the estimator models; other post-training (DPO, ORPO, RL with generation) is not.
MODELLED_METHODS = {None: "full", "full": "full", "full (sft)": "full", "lora": "lora", "qlora": "qlora"}

#: Cases left out of the fit, with the physical reason (each is still listed in docs/validation.md).
NOT_MODELLED = {
    "llama32-1b": "logit distillation from larger teachers: their forward passes are not in the student's FLOPs",
    "llama32-3b": "logit distillation from larger teachers: their forward passes are not in the student's FLOPs",
    "falcon-mamba-7b": "state-space (Mamba) architecture: no attention, different FLOPs per token",
    "zamba2-7b": "hybrid Mamba/attention architecture: different FLOPs per token",
    "phi-4-mini-flash": "hybrid state-space architecture: different FLOPs per token",
}


@dataclass(frozen=True)
class Run:
    case_id: str
    group: str
    kind: str
    benchmark: bool
    accelerator_id: str
    precision: str
    active_parameters: float
    parameters: float
    tokens: float
    sequence_length: float | None
    accelerator_count: int | None
    flops_per_parameter: float
    #: Total FLOPs where the source publishes them instead of tokens (then ``tokens`` is 0).
    published_flops: float | None
    published_hours: float
    bytes_per_flop: float
    peak_flops_per_second: float

    @property
    def is_moe(self) -> bool:
        return self.active_parameters < self.parameters * (1 - 1e-9)

    @property
    def flops(self) -> float:
        if self.published_flops is not None:
            return self.published_flops
        sequence = self.sequence_length or DEFAULT_SEQUENCE_LENGTH
        return self.tokens * training_flops_per_token(self.active_parameters, sequence, self.flops_per_parameter)

    @property
    def log_mfu(self) -> float:
        """ln of the utilisation the published hours imply."""
        return math.log(self.flops / (self.peak_flops_per_second * 3600.0 * self.published_hours))


def published_accelerator_hours(case: dict[str, Any]) -> float | None:
    if case.get("accelerator_hours"):
        return float(case["accelerator_hours"])
    if case.get("accelerator_count") and case.get("hours"):
        return float(case["accelerator_count"]) * float(case["hours"])
    return None


def run_of(case: dict[str, Any], catalog: Catalog) -> Run | str:
    """The case as a run the model can be fitted to, or the reason it cannot be."""
    if case["kind"] not in ("training", "fine-tuning"):
        return "not a training run"
    if case["id"] in NOT_MODELLED:
        return NOT_MODELLED[case["id"]]
    method = MODELLED_METHODS.get((case.get("method") or "").lower() or None)
    if method is None:
        return f"method {case.get('method')!r} is not modelled"
    total = case.get("params_billion")
    tokens = case.get("tokens_billion")
    flops = (case.get("other") or {}).get("total_flops") if not tokens else None
    accelerator = catalog.accelerators.get(case.get("accelerator_id") or "")
    hours = published_accelerator_hours(case)
    if not total or not (tokens or flops) or accelerator is None or not hours:
        return "model size, tokens (or FLOPs), a catalog accelerator and accelerator-hours are not all published"
    active = case.get("active_params_billion") or total
    precision = case.get("precision") or "bf16"
    peak_tflops, _ = peak_at(accelerator, precision)
    if method == "full":
        per_parameter = TRAINING_FLOPS_PER_PARAMETER_TOKEN
    else:
        profile = METHOD_PROFILES[method]
        fraction = case.get("trainable_fraction") or profile.trainable_fraction.range.value
        per_parameter = frozen_base_flops_per_parameter_token(
            Range.exact(fraction), profile.gradient_checkpointing
        ).value
    return Run(
        case_id=case["id"],
        group=case["cv_group"],
        kind=case["kind"],
        benchmark=str(case.get("benchmark") or "").startswith("mlperf"),
        accelerator_id=accelerator.id,
        precision=precision,
        active_parameters=active * 1e9,
        parameters=total * 1e9,
        tokens=(tokens or 0.0) * 1e9,
        sequence_length=case.get("seq_length"),
        accelerator_count=case.get("accelerator_count"),
        flops_per_parameter=per_parameter,
        published_flops=float(flops) if flops else None,
        published_hours=hours,
        bytes_per_flop=accelerator.memory_bandwidth_gb_per_s * 1e9 / (peak_tflops * 1e12),
        peak_flops_per_second=peak_tflops * 1e12,
    )


def runs_of(cases: Iterable[dict[str, Any]], catalog: Catalog) -> tuple[list[Run], dict[str, str]]:
    runs, skipped = [], {}
    for case in cases:
        made = run_of(case, catalog)
        if isinstance(made, Run):
            runs.append(made)
        else:
            skipped[case["id"]] = made
    return runs, skipped


# -- the fit -----------------------------------------------------------------------------------------------

#: Huber threshold on ln errors: a run further than 35% (e^0.3) from the curve counts linearly, not
#: quadratically, so a few runs whose published hours cover other work (restarts, evaluation, ablations)
#: cannot drag the curve (Huber 1964, 'Robust Estimation of a Location Parameter').
HUBER_THRESHOLD = 0.3
#: Parameters: ln a, ln r, MoE ln-time effect, benchmark ln-time effect (``ThroughputModel``).
START = np.array([math.log(1 / 0.45), math.log(0.004), 0.0, 0.0])


def _log_seconds(theta: np.ndarray, features: np.ndarray) -> np.ndarray:
    peak, bandwidth, moe, bench = features.T
    return np.log(np.exp(theta[0]) / peak + np.exp(theta[1]) / bandwidth) + theta[2] * moe + theta[3] * bench


def _features(runs: Sequence[Run]) -> np.ndarray:
    return np.array(
        [
            (r.peak_flops_per_second, r.peak_flops_per_second * r.bytes_per_flop, float(r.is_moe), float(r.benchmark))
            for r in runs
        ]
    )


def log_seconds_per_flop(run: Run) -> float:
    """ln(published accelerator-seconds per model FLOP)."""
    return math.log(run.published_hours * 3600.0 / run.flops)


@dataclass(frozen=True)
class Fit:
    theta: tuple[float, ...]

    def log_error(self, run: Run) -> float:
        """ln(published / predicted accelerator-hours), the benchmark effect applied to benchmark runs."""
        predicted = _log_seconds(np.array(self.theta), _features([run]))[0]
        return log_seconds_per_flop(run) - float(predicted)


def _jacobian(theta: np.ndarray, features: np.ndarray) -> np.ndarray:
    peak, bandwidth, moe, bench = features.T
    compute, memory = np.exp(theta[0]) / peak, np.exp(theta[1]) / bandwidth
    total = compute + memory
    return np.column_stack([compute / total, memory / total, moe, bench])


def fit(runs: Sequence[Run], start: tuple[float, ...] | None = None) -> Fit:
    """Robust weighted least squares on ln(seconds per FLOP): Gauss-Newton steps with Huber reweighting
    (iteratively reweighted least squares) until the parameters move less than 1e-10."""
    features = _features(runs)
    target = np.array([log_seconds_per_flop(r) for r in runs])
    counts = Counter(r.group for r in runs)
    group_weights = np.array([1.0 / math.sqrt(counts[r.group]) for r in runs])
    theta = np.array(start) if start is not None else START.copy()
    for _ in range(500):
        residual = target - _log_seconds(theta, features)
        huber = np.where(
            np.abs(residual) <= HUBER_THRESHOLD, 1.0, HUBER_THRESHOLD / np.maximum(np.abs(residual), 1e-300)
        )
        root = np.sqrt(group_weights * huber)
        step, *_ = np.linalg.lstsq(_jacobian(theta, features) * root[:, None], residual * root, rcond=None)
        theta = theta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return Fit(tuple(float(t) for t in theta))


@dataclass(frozen=True)
class HeldOut:
    """One run predicted by a model fitted without its organisation, with that fold's own range."""

    run: Run
    #: ln(published / predicted accelerator-hours).
    log_error: float
    range_low: float
    range_high: float

    @property
    def hours_ratio(self) -> float:
        """Predicted / published accelerator-hours."""
        return math.exp(-self.log_error)

    @property
    def inside(self) -> bool:
        return self.range_low <= self.log_error <= self.range_high

    @property
    def width(self) -> float:
        """High / low of the predicted accelerator-hours."""
        return math.exp(self.range_high - self.range_low)


def held_out_errors(runs: Sequence[Run]) -> list[tuple[Run, float]]:
    """ln(published / predicted hours) of each run, predicted by a model fitted without its organisation."""
    out = []
    start = fit(runs).theta
    for group in sorted({r.group for r in runs}):
        model = fit([r for r in runs if r.group != group], start)
        out += [(r, model.log_error(r)) for r in runs if r.group == group]
    return out


def _production_errors(errors: Sequence[tuple[Run, float]]) -> list[float]:
    return [e for r, e in errors if not r.benchmark] or [e for _, e in errors]


def error_band(errors: Sequence[tuple[Run, float]], percentiles: tuple[float, float]) -> tuple[float, float]:
    """Percentiles of held-out ln errors over the runs that are not timed benchmarks."""
    values = _production_errors(errors)
    return float(np.percentile(values, percentiles[0])), float(np.percentile(values, percentiles[1]))


@dataclass(frozen=True)
class Fold:
    """One organisation held out: the model fitted without it, and the held-out errors of that fit's own
    cross-validation (what the fold's range is made of)."""

    group: str
    model: Fit
    inner_errors: tuple[float, ...]


def folds(runs: Sequence[Run]) -> list[Fold]:
    out = []
    for group in sorted({r.group for r in runs}):
        train = [r for r in runs if r.group != group]
        out.append(Fold(group, fit(train), tuple(_production_errors(held_out_errors(train)))))
    return out


def nested_cross_validation(
    runs: Sequence[Run], percentiles: tuple[float, float], made: Sequence[Fold] | None = None
) -> list[HeldOut]:
    """Every run predicted without its organisation; its range from a cross-validation of that fold alone."""
    out = []
    for fold in made if made is not None else folds(runs):
        low, high = (float(np.percentile(fold.inner_errors, p)) for p in percentiles)
        out += [HeldOut(r, fold.model.log_error(r), low, high) for r in runs if r.group == fold.group]
    return out


def choose_percentiles(runs: Sequence[Run], made: Sequence[Fold]) -> tuple[float, float]:
    """The narrowest candidate band whose nested cross-validated coverage of production runs reaches the target."""
    best: tuple[float, tuple[float, float]] | None = None
    for low in LOW_PERCENTILES:
        for high in HIGH_PERCENTILES:
            held = [h for h in nested_cross_validation(runs, (low, high), made) if not h.run.benchmark]
            coverage = sum(h.inside for h in held) / len(held)
            width = float(np.median([h.width for h in held]))
            if coverage >= TARGET_COVERAGE and (best is None or width < best[0]):
                best = (width, (low, high))
    if best is None:
        return LOW_PERCENTILES[0], HIGH_PERCENTILES[-1]
    return best[1]


@dataclass(frozen=True)
class Calibration:
    """What ``make calibrate`` writes: the shipped model and the figures that describe its fit."""

    theta: tuple[float, ...]
    percentiles: tuple[float, float]
    log_error_low: float
    log_error_high: float
    runs: int
    organisations: int
    benchmark_runs: int

    @property
    def benchmark_factor(self) -> float:
        """Published / predicted hours of MLPerf's timed runs beside whole jobs (reported, never applied)."""
        return math.exp(self.theta[3])


def calibrate(runs: Sequence[Run], made: Sequence[Fold] | None = None) -> Calibration:
    """The shipped model: fitted to every run, ranged by every run's held-out error at the chosen percentiles."""
    made = made if made is not None else folds(runs)
    percentiles = choose_percentiles(runs, made)
    final = fit(runs)
    low, high = error_band(held_out_errors(runs), percentiles)
    return Calibration(
        theta=final.theta,
        percentiles=percentiles,
        log_error_low=low,
        log_error_high=high,
        runs=len(runs),
        organisations=len({r.group for r in runs}),
        benchmark_runs=sum(r.benchmark for r in runs),
    )


# -- training power ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerSample:
    """Measured mean accelerator power of one run as a fraction of the accelerator's reference power (TDP).

    Measurements of the whole system (accelerators, CPU, memory: Patterson et al., Strubell et al., MLPerf
    Power) are turned into the accelerator's share with the default host overhead, since that is how an
    estimate adds the host back.
    """

    case_id: str
    group: str
    fraction: float
    scope: str


def power_samples(cases: Iterable[dict[str, Any]], catalog: Catalog, host_fraction: float) -> list[PowerSample]:
    out = []
    for case in cases:
        if case["kind"] not in ("training", "fine-tuning") or case.get("energy_basis") in (
            "tdp-convention",
            "estimate",
        ):
            continue
        accelerator = catalog.accelerators.get(case.get("accelerator_id") or "")
        if accelerator is None or accelerator.tdp_w is None:
            continue
        other = case.get("other") or {}
        count = case.get("accelerator_count")
        hours = published_accelerator_hours(case)
        if other.get("total_system_power_w_cpu_dram_all_gpus") and count:  # Strubell et al.: whole job
            system_w, scope = other["total_system_power_w_cpu_dram_all_gpus"] / count, "system"
        elif case["id"].startswith("patterson2021") and case.get("avg_power_w"):  # measured system power
            system_w, scope = float(case["avg_power_w"]), "system"
        elif case.get("avg_power_w") and case.get("energy_basis") == "measured":  # accelerators alone
            system_w, scope = float(case["avg_power_w"]), "accelerator"
        elif case.get("energy_kwh") and hours and str(case.get("benchmark") or "").startswith("mlperf"):
            system_w, scope = case["energy_kwh"] * 1000.0 / hours, "system"  # MLPerf Power: nodes' AC input
        elif case.get("energy_kwh") and hours and case["id"].startswith("dodge2022"):
            system_w, scope = case["energy_kwh"] * 1000.0 / hours, "accelerator"  # GPU energy measured
        else:
            continue
        accelerator_w = system_w / (1.0 + host_fraction) if scope == "system" else system_w
        out.append(PowerSample(case["id"], case["cv_group"], accelerator_w / accelerator.tdp_w, scope))
    return out


def _group_median(samples: Sequence[PowerSample]) -> float:
    """Median of the fractions with each organisation weighing the same (its runs share its weight)."""
    counts = Counter(s.group for s in samples)
    ordered = sorted(samples, key=lambda s: s.fraction)
    total = float(len(counts))
    running = 0.0
    for s in ordered:
        running += 1.0 / counts[s.group]
        if running >= total / 2.0:
            return s.fraction
    return ordered[-1].fraction


@dataclass(frozen=True)
class PowerCalibration:
    fraction: float
    low: float
    high: float
    samples: int
    organisations: int
    held_out: tuple[tuple[PowerSample, float], ...]


def calibrate_power(samples: Sequence[PowerSample], percentiles: tuple[float, float]) -> PowerCalibration:
    """The fraction: the organisation-weighted median; its low and high: the percentiles of each sample's
    ln(fraction / median of the other organisations)."""
    held = []
    for group in sorted({s.group for s in samples}):
        others = [s for s in samples if s.group != group]
        centre = _group_median(others)
        held += [(s, math.log(s.fraction / centre)) for s in samples if s.group == group]
    errors = [e for _, e in held]
    low, high = (float(np.percentile(errors, p)) for p in percentiles)
    centre = _group_median(samples)
    return PowerCalibration(
        fraction=centre,
        low=centre * math.exp(low),
        high=centre * math.exp(high),
        samples=len(samples),
        organisations=len({s.group for s in samples}),
        held_out=tuple(held),
    )
