"""Fit the serving model to measured inference, and measure it on campaigns it was not fitted to.

Each measured serving configuration whose GPU energy is published (``cases.inference_check``: ML.ENERGY v1-v3,
Argonne) becomes a ``Point``: the scenario the service builds from the check's request body
(``inference.prepare``, so the fit sees exactly what an answer computes with) and what was measured: GPU
energy per request, and where published the mean power per GPU and the time between tokens.

The model (``serving.operating_point``) has twelve constants (``ServingConstants``, listed in ``PARAMETERS``
with the prior each starts from and its source). They are fitted by robust (Huber) weighted least squares on
ln errors, energy per request weighing 1 and power and step time 1/2 each; each campaign weighs as the square
root of its point count (weights 1/sqrt(n)), so the largest campaign cannot set the curve. Weak priors (one
unit in logit or log space, weight ``PRIOR_WEIGHT``) keep constants the data barely sees near physical values.
Campaigns on engines of an older generation (``cases.FITTED_SOURCES`` says which are fitted) are predicted,
never fitted.

Ranges come from leave-one-source-out cross-validation: each fitted campaign's points are predicted by
constants fitted to the other campaigns; those held-out ln errors and the errors of the campaigns never fitted
make the population whose 10th and 90th percentiles, each campaign weighing the same, set the band (users run
engines of every generation). The validation's cross-validated figures give each held-out campaign the band of
its own fold, made the same way without it (nested). Node-level measurements (Power Hungry Processing, BLOOM's
API, MLPerf Inference Power) are never fitted: the validation answers them with the shipped constants.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from service.domain.assumptions import Ledger
from service.domain.inference import prepare
from service.domain.serving import Scenario, ServingConstants, operating_point
from service.reference import Catalog
from service.schemas.requests import InferenceRequestSchema

from .cases import INFERENCE, Check

#: Percentiles of held-out ln errors that set the low and high of inference ranges.
PERCENTILES = (10.0, 90.0)
#: Huber threshold on ln errors (Huber 1964): points further than e^0.3 from the model count linearly.
HUBER_THRESHOLD = 0.3
#: Weights of the secondary targets beside energy per request.
POWER_WEIGHT = 0.5
STEP_WEIGHT = 0.5

#: Names of the fitted constants, their transform (logit for shares in (0, 1), log for times), the prior centre
#: and its source. The prior's spread is one unit in the transformed space, and its weight ``PRIOR_WEIGHT``.
PARAMETERS: tuple[tuple[str, str, float, str], ...] = (
    (
        "compute_efficiency",
        "logit",
        0.5,
        "prefill reaches 40-60% of peak FLOP/s (Agrawal et al. 2024, arXiv:2403.02310)",
    ),
    (
        "prefill_compute_efficiency",
        "logit",
        0.5,
        "chunked prefill reaches about half of peak FLOP/s (Agrawal et al. 2024, arXiv:2403.02310)",
    ),
    (
        "bandwidth_efficiency",
        "logit",
        0.8,
        "decoding reaches 70-90% of HBM bandwidth (Yuan et al. 2024, arXiv:2402.16363)",
    ),
    (
        "layer_seconds_continuous",
        "log",
        3e-5,
        "CUDA-graph decoding: 1-2 ms of fixed time for 32 layers (vLLM, Kwon et al. 2023)",
    ),
    (
        "layer_seconds_eager",
        "log",
        3e-4,
        "eager PyTorch: 10-30 ms per step of 24-48 layers (Luccioni et al. 2024, arXiv:2311.16863)",
    ),
    (
        "layer_seconds_tensor_parallel",
        "log",
        2e-5,
        "two all-reduces per layer of about 10 us each (NCCL tests, NVIDIA)",
    ),
    (
        "sequence_seconds",
        "log",
        1e-5,
        "scheduling and sampling take tens of microseconds per sequence per step (vLLM v0.6.0 release notes, 2024)",
    ),
    (
        "moe_exchange_bytes_per_second",
        "log",
        1.5e11,
        "expert-parallel dispatch and combine over NVLink reach about 150 GB/s per GPU (DeepEP, "
        "github.com/deepseek-ai/DeepEP README)",
    ),
    (
        "moe_slowdown",
        "log",
        1.5,
        "grouped expert matrix products reach less of peak than dense ones (Gale et al. 2023, MegaBlocks, "
        "arXiv:2211.15841)",
    ),
    ("power_overhead", "logit", 0.3, "a waiting GPU draws 20-35% of TDP (Patel et al. 2024, arXiv:2311.18677)"),
    ("power_memory_bound", "logit", 0.6, "token phases draw about 60% of TDP (Patel et al. 2024, arXiv:2311.18677)"),
    ("power_compute_bound", "logit", 0.9, "prompt phases draw near TDP (Patel et al. 2024, arXiv:2311.18677)"),
)
PRIOR_WEIGHT = 0.1


def _to_theta(values: Sequence[float]) -> np.ndarray:
    out = []
    for (_, transform, _, _), value in zip(PARAMETERS, values, strict=True):
        out.append(math.log(value / (1.0 - value)) if transform == "logit" else math.log(value))
    return np.array(out)


def _from_theta(theta: Sequence[float]) -> list[float]:
    out = []
    for (_, transform, _, _), t in zip(PARAMETERS, theta, strict=True):
        out.append(1.0 / (1.0 + math.exp(-t)) if transform == "logit" else math.exp(t))
    return out


PRIOR = _to_theta([centre for _, _, centre, _ in PARAMETERS])


def constants_of(
    theta: Sequence[float], band: tuple[float, float] = (0.0, 0.0), fitted_to: str = ""
) -> ServingConstants:
    values = dict(zip((name for name, _, _, _ in PARAMETERS), _from_theta(theta), strict=True))
    return ServingConstants(**values, log_error_low=band[0], log_error_high=band[1], fitted_to=fitted_to)


@dataclass(frozen=True)
class Point:
    """One measured configuration: the scenario the service builds for it and what was measured."""

    case_id: str
    group: str
    #: Whether the constants are fitted to it (else it is only predicted).
    fitted: bool
    scenario: Scenario
    #: Published figure (Wh per request, or per token) and the factor from Wh per request to it.
    published: float
    factor: float
    power_w: float | None
    step_seconds: float | None

    def predicted(self, constants: ServingConstants) -> tuple[float, float, float]:
        """Published unit, mean power per accelerator (W), step seconds."""
        point = operating_point(self.scenario, constants)
        return point.busy_joules_per_request / 3600.0 * self.factor, point.busy_power_w, point.step.seconds

    def log_error(self, constants: ServingConstants) -> float:
        """ln(published / predicted)."""
        return math.log(self.published / self.predicted(constants)[0])


def is_gpu_measured(check: Check) -> bool:
    """Measurements the operating point predicts by itself: the GPU energy of a replica serving at its batch."""
    return check.group == INFERENCE and check.extra.get("fit_scope") == "accelerators"


def points_of(checks: Sequence[Check], groups: dict[str, str], catalog: Catalog) -> list[Point]:
    """Every GPU-measured configuration, built by the service's own request handling from its check's body."""
    schema = InferenceRequestSchema()
    out = []
    for check in checks:
        if not is_gpu_measured(check):
            continue
        request = schema.load(check.body)
        served = prepare(catalog, request, Ledger())
        # kWh of the N requests x factor = the published unit; Wh per request x this factor = the same.
        factor = check.factor * served.requests / 1000.0
        out.append(
            Point(
                check.case_id,
                groups[check.case_id],
                bool(check.extra.get("fitted")),
                served.scenario,
                check.published,
                factor,
                check.extra.get("power_w_per_accelerator"),
                check.extra.get("step_seconds"),
            )
        )
    return out


def _residuals(theta: np.ndarray, points: Sequence[Point], weights: np.ndarray) -> np.ndarray:
    constants = constants_of(theta.tolist())
    rows: list[float] = []
    for point, weight in zip(points, weights, strict=True):
        energy, power, step = point.predicted(constants)
        rows.append(weight * math.log(energy / point.published))
        rows.append(weight * POWER_WEIGHT * math.log(power / point.power_w) if point.power_w else 0.0)
        rows.append(weight * STEP_WEIGHT * math.log(step / point.step_seconds) if point.step_seconds else 0.0)
    prior = math.sqrt(PRIOR_WEIGHT) * (theta - PRIOR)
    return np.concatenate([np.array(rows), prior])


@dataclass(frozen=True)
class Fit:
    theta: tuple[float, ...]

    def constants(self, band: tuple[float, float] = (0.0, 0.0), fitted_to: str = "") -> ServingConstants:
        return constants_of(self.theta, band, fitted_to)


def fit(points: Sequence[Point], start: Sequence[float] | None = None) -> Fit:
    """Levenberg-Marquardt on the weighted residuals with Huber reweighting (iteratively reweighted least
    squares), a forward-difference Jacobian, until no step moves a parameter by more than 1e-7."""
    counts = Counter(p.group for p in points)
    weights = np.array([1.0 / math.sqrt(counts[p.group]) for p in points])
    theta = np.array(start, dtype=float) if start is not None else PRIOR.copy()
    damping = 1e-3
    residual = _residuals(theta, points, weights)
    for _ in range(200):
        robust = _huber(residual, len(points))
        jacobian = np.empty((residual.size, theta.size))
        for k in range(theta.size):
            shifted = theta.copy()
            shifted[k] += 1e-6
            jacobian[:, k] = (_residuals(shifted, points, weights) - residual) / 1e-6
        a = jacobian * robust[:, None]
        b = residual * robust
        normal = a.T @ a
        gradient = a.T @ b
        cost = float(b @ b)
        while True:
            step = np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-12), -gradient)
            trial = theta + step
            trial_residual = _residuals(trial, points, weights)
            trial_b = trial_residual * robust
            if float(trial_b @ trial_b) < cost or damping > 1e8:
                break
            damping *= 10.0
        if float(trial_b @ trial_b) >= cost:
            break
        theta, residual = trial, trial_residual
        damping = max(damping / 10.0, 1e-9)
        if np.max(np.abs(step)) < 1e-7:
            break
    return Fit(tuple(float(t) for t in theta))


def _huber(residual: np.ndarray, data_rows_points: int) -> np.ndarray:
    """Square roots of Huber weights for the data rows (3 per point); prior rows keep weight 1."""
    data = residual[: 3 * data_rows_points]
    scale = np.ones_like(residual)
    magnitude = np.abs(data)
    scale[: data.size] = np.sqrt(
        np.where(magnitude <= HUBER_THRESHOLD, 1.0, HUBER_THRESHOLD / np.maximum(magnitude, 1e-300))
    )
    return scale


def campaign_percentile(errors: Sequence[tuple[Point, float]], percentile: float) -> float:
    """The percentile of ln errors with each campaign weighing the same (its points share its weight)."""
    counts = Counter(p.group for p, _ in errors)
    ordered = sorted((e, 1.0 / counts[p.group]) for p, e in errors)
    total = float(len(counts))
    running = 0.0
    for error, weight in ordered:
        running += weight
        if running >= percentile / 100.0 * total - 1e-12:
            return error
    return ordered[-1][0]


def band_of(errors: Sequence[tuple[Point, float]]) -> tuple[float, float]:
    if not errors:
        return 0.0, 0.0
    return campaign_percentile(errors, PERCENTILES[0]), campaign_percentile(errors, PERCENTILES[1])


def out_of_sample_errors(points: Sequence[Point], start: Sequence[float] | None = None) -> list[tuple[Point, float]]:
    """ln(published / predicted) of every point by constants that never saw it: each fitted campaign by a fit
    without it, each campaign never fitted by the fit to all."""
    fitted = [p for p in points if p.fitted]
    start = start if start is not None else fit(fitted).theta
    out = []
    for group in sorted({p.group for p in fitted}):
        constants = fit([p for p in fitted if p.group != group], start).constants()
        out += [(p, p.log_error(constants)) for p in fitted if p.group == group]
    constants = fit(fitted, start).constants()
    return out + [(p, p.log_error(constants)) for p in points if not p.fitted]


@dataclass(frozen=True)
class Fold:
    """One fitted campaign held out: the constants fitted without it, with the band its own nested
    cross-validation gives."""

    group: str
    model: Fit
    band: tuple[float, float]

    def constants(self) -> ServingConstants:
        return self.model.constants(self.band, f"fitted without {self.group}")


def folds(points: Sequence[Point]) -> list[Fold]:
    fitted = [p for p in points if p.fitted]
    start = fit(fitted).theta
    out = []
    for group in sorted({p.group for p in fitted}):
        rest = [p for p in points if p.group != group]
        model = fit([p for p in rest if p.fitted], start)
        out.append(Fold(group, model, band_of(out_of_sample_errors(rest, start))))
    return out


@dataclass(frozen=True)
class Calibration:
    """What ``make calibrate`` writes for inference, and the figures that describe its fit."""

    theta: tuple[float, ...]
    log_error_low: float
    log_error_high: float
    points: int
    groups: tuple[str, ...]
    predicted_groups: tuple[str, ...]
    accelerators: int

    def constants(self, fitted_to: str) -> ServingConstants:
        return constants_of(self.theta, (self.log_error_low, self.log_error_high), fitted_to)


def calibrate(points: Sequence[Point]) -> Calibration:
    fitted = [p for p in points if p.fitted]
    final = fit(fitted)
    low, high = band_of(out_of_sample_errors(points, final.theta))
    return Calibration(
        theta=final.theta,
        log_error_low=low,
        log_error_high=high,
        points=len(fitted),
        groups=tuple(g for g, _ in Counter(p.group for p in fitted).most_common()),
        predicted_groups=tuple(sorted({p.group for p in points if not p.fitted})),
        accelerators=len({(p.scenario.peak_flops_per_second, p.scenario.memory_gb) for p in fitted}),
    )
