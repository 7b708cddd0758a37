"""efficient_hardware: the same workload on every other catalog accelerator that holds it and has a power figure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...reference import Accelerator
from ..calibration import TRAINING_THROUGHPUT
from ..defaults import COMPUTE_PRECISION_FALLBACK
from ..fine_tuning import METHOD_PROFILES, fine_tuning_memory_gb
from ..formulas.memory import minimum_accelerators
from ..hardware import ResolvedModel
from ..inference import ReplicaNeed, context_tokens, replica_sizing
from .model import ONE_SERVER_ACCELERATORS
from .registry import recommendation
from .run import CLOUD_ONLY, MAX_ALTERNATIVES, Ranked, RecommendationRun, format_number
from .sources import S_AWS, S_AZURE, S_GCP

#: Largest tensor-parallel group per inference replica considered (one 8-accelerator server).
MAX_ACCELERATORS_PER_REPLICA = 8


def peak_tflops(accelerator: Accelerator, precision: str) -> float | None:
    """Dense peak used at ``precision`` (the estimator's fallback order), None when none is published."""
    for candidate in COMPUTE_PRECISION_FALLBACK[precision]:
        value = accelerator.peak_tflops.get(candidate)
        if value:
            return value
    return None


@recommendation("efficient_hardware", ("training", "fine-tuning", "inference"))
def efficient_hardware(run: RecommendationRun) -> None:
    code = "efficient_hardware"
    precision = run.precision
    base_peak = peak_tflops(run.accelerator, precision)
    model = run.model
    sizing = (
        replica_sizing(model, precision, context_tokens(run.request))
        if run.kind == "inference" and model is not None
        else None
    )
    ranked: list[tuple[Ranked, str, str]] = []
    for acc in _candidates(run, code):
        new_peak = peak_tflops(acc, precision)
        if new_peak is None or base_peak is None:
            run.note(code, acc.id, f"{acc.name}: no published dense peak at {precision} or a fallback precision.")
            continue
        # The caller's own chip (spec), its peaks and power described the old accelerator, not this one.
        hw: dict[str, Any] = {
            "accelerator": acc.id,
            "instance_type": None,
            "spec": None,
            "power_w": None,
            "peak_tflops": None,
        }
        patch: dict[str, Any] = {"hardware": hw}
        fit = _fit(run, acc, model, precision, sizing)
        if fit is None:
            continue
        count, fit_text = fit
        if count is None and run.request.hardware.instance_type is not None:
            count = run.baseline.accelerator_count  # instances become accelerators: keep the same number
        if count is not None and (
            run.request.hardware.count is not None or run.request.hardware.instance_type is not None
        ):
            hw["count"] = count
        if run.kind in ("training", "fine-tuning"):
            ratio = _seconds_per_flop(acc, precision, model) / _seconds_per_flop(run.accelerator, precision, model)
            if run.request.accelerator_hours is not None:
                patch["accelerator_hours"] = run.request.accelerator_hours * ratio
            elif run.request.duration_hours is not None:
                old_count = run.baseline.accelerator_count
                new_count = hw.get("count", old_count) or old_count
                patch["duration_hours"] = run.request.duration_hours * ratio * old_count / new_count
        result = run.rank(code, acc.id, patch)
        if result is not None:
            ranked.append((result, acc.id, fit_text))
    ranked.sort(key=lambda t: (t[0].emissions_kgco2e, t[1]))
    shown = run.shown(code, ranked, subject=lambda t: t[1], patch=lambda t: t[0].patch)
    if not shown:
        return
    (best, acc_id, fit_text), patch = shown[0]
    estimate = run.completed(best)
    acc = run.catalog.accelerators[acc_id]
    b, e = run.baseline.footprint, estimate.footprint
    tradeoffs = [
        "Migration: kernels, serving or training stack and compilers may need porting and re-tuning.",
        "Price and availability of the accelerator in your region.",
        "Hours follow the fitted throughput model (peak and memory bandwidth); real utilisation also depends on "
        "the software stack, which differs between vendors.",
    ]
    if run.request.hardware.power_w is not None:
        tradeoffs.append(
            "Your hardware.power_w applied to the old accelerator and is dropped; the new one uses its TDP-based "
            "default."
        )
    if run.request.hardware.peak_tflops is not None:
        tradeoffs.append("Your hardware.peak_tflops described the old accelerator and is dropped.")
    if run.kind in ("training", "fine-tuning") and (
        run.request.accelerator_hours is not None or run.request.duration_hours is not None
    ):
        tradeoffs.append(
            "Your hours were scaled by the throughput model's ratio of seconds per FLOP on the two accelerators: an "
            "approximation of the same work."
        )
    run.add(
        code,
        acc_id,
        f"Use {acc.name}",
        (
            f"Among the accelerators that hold this workload at {precision} and have a published power figure, "
            f"{acc.name} has the lowest estimated emissions: energy {format_number(e.energy_kwh.value)} kWh instead of "
            f"{format_number(b.energy_kwh.value)} kWh on {run.accelerator.name}, emissions "
            f"{run.percent_lower(estimate)} lower "
            f"(operational and embodied). {fit_text}"
        ),
        patch,
        estimate,
        tradeoffs,
        [S_AWS, S_GCP, S_AZURE, f"Accelerator figures: {acc.source}"],
        [run.alternative(a, ch, result) for (result, a, _), ch in shown[1 : 1 + MAX_ALTERNATIVES]],
    )


def _seconds_per_flop(accelerator: Accelerator, precision: str, model: ResolvedModel | None) -> float:
    peak = peak_tflops(accelerator, precision) or 0.0
    is_moe = model is not None and model.is_moe
    return TRAINING_THROUGHPUT.seconds_per_flop(peak * 1e12, accelerator.memory_bandwidth_gb_per_s * 1e9, is_moe)


def _candidates(run: RecommendationRun, code: str) -> Iterable[Accelerator]:
    """Accelerators to rank: allowed by the constraints, available where the workload runs, with a power figure,
    and, for a training job across several servers, built for multi-node training (unless the caller lists it)."""
    c = run.constraints
    allowed = {a.lower() for a in c.accelerators} if c.accelerators else None
    excluded = {a.lower() for a in c.exclude_accelerators}
    provider = run.baseline_provider()
    allowed_providers = set(c.providers) if c.providers else None
    multi_node = run.kind in ("training", "fine-tuning") and run.baseline.accelerator_count > ONE_SERVER_ACCELERATORS
    single_server: list[str] = []
    for acc in run.catalog.accelerators.values():
        if acc.id == run.accelerator.id or acc.id in excluded or (allowed is not None and acc.id not in allowed):
            continue
        if multi_node and not acc.scale_out_interconnect and allowed is None:
            single_server.append(acc.id)
            continue
        cloud = CLOUD_ONLY.get(acc.vendor.lower())
        if cloud is not None and (
            (provider is not None and cloud != provider) or (provider is None and run.request.datacenter.country)
        ):
            continue  # not available where the workload runs; greener_region covers moving
        if cloud is not None and allowed_providers is not None and cloud not in allowed_providers:
            continue
        has_power = (
            acc.tdp_w is not None
            or acc.measured_power_max_w is not None
            or (run.kind == "training" and acc.measured_power_mean_w is not None)
        )
        if not has_power:
            run.note(
                code,
                acc.id,
                f"{acc.name}: no published TDP or measured power ({acc.tdp_basis or 'not published'}); it cannot be "
                "ranked on energy. Estimate it yourself with hardware.power_w.",
            )
            continue
        yield acc
    if single_server:
        run.note(
            code,
            "multi-node training",
            f"The job runs on {run.baseline.accelerator_count} accelerators, more than one server: accelerators "
            f"without a scale-out interconnect are not proposed ({', '.join(single_server)}). List one in "
            "constraints.accelerators to have it ranked anyway.",
        )


def _fit(
    run: RecommendationRun,
    acc: Accelerator,
    model: ResolvedModel | None,
    precision: str,
    sizing: Callable[[Accelerator], ReplicaNeed] | None,
) -> tuple[int | None, str] | None:
    """Accelerator count the workload needs on ``acc`` and a sentence about it; None (noted) if it does not fit.
    ``sizing``: the replica an inference service needs on an accelerator (:func:`replica_sizing`)."""
    code = "efficient_hardware"
    if model is None:
        return None, "The model is not given, so memory fit was not checked."
    if run.kind == "inference":
        assert sizing is not None  # made for every inference workload with a model
        replica = sizing(acc)
        need, per_replica = replica.memory_gb, replica.accelerators
        if per_replica > MAX_ACCELERATORS_PER_REPLICA:
            run.note(
                code,
                acc.id,
                f"{need:.0f} GB at {precision} needs {per_replica} x {acc.memory_gb:g} GB per replica (more than "
                f"{MAX_ACCELERATORS_PER_REPLICA}).",
            )
            return None
        return (
            per_replica,
            f"Weights at {precision} and one full-length sequence's KV cache need about {need:.0f} GB: "
            f"{per_replica} x {acc.memory_gb:g} GB per replica.",
        )
    if run.kind == "fine-tuning":
        trainable = run.request.trainable_parameters_fraction
        if trainable is None:
            trainable = METHOD_PROFILES[run.request.method].trainable_fraction.range.value
        need = fine_tuning_memory_gb(model.parameters, run.request.method, trainable)
    else:
        need = fine_tuning_memory_gb(model.parameters, "full", 1.0)
    minimum = minimum_accelerators(need, acc.memory_gb)
    given = run.request.hardware.count is not None or run.request.hardware.instance_type is not None
    if run.kind == "training" and given:
        count = run.baseline.accelerator_count
        if minimum > count:
            run.note(
                code,
                acc.id,
                f"{need:.0f} GB of training state needs {minimum} x {acc.memory_gb:g} GB; the job uses {count}.",
            )
            return None
        return count, f"The same {count} accelerators hold the {need:.0f} GB of training state."
    if run.kind == "training":
        return None, f"Training state needs about {need:.0f} GB: at least {minimum} x {acc.memory_gb:g} GB."
    return minimum, f"The job needs about {need:.0f} GB: at least {minimum} x {acc.memory_gb:g} GB."
