"""Codes for inference services: smaller_model, shorter_prompts, quantization, larger_batch, right_size_capacity."""

from __future__ import annotations

import math
from typing import Any

from ..defaults import BYTES_PER_PARAMETER, INPUT_TOKENS_PER_REQUEST
from ..estimate import Estimate, ServingFigures
from ..hardware import BILLION, ResolvedModel, precision_of
from ..inference import context_tokens, replica_need
from ..inputs import InferenceRequest
from .registry import recommendation
from .run import MAX_ALTERNATIVES, Ranked, RecommendationRun
from .sources import S_AWS, S_AZURE, S_FP8, S_GCP, S_LUCCIONI, S_MORRISON

#: Shorter prompts what-if: input tokens cut by this share.
PROMPT_REDUCTION = 0.3
#: Larger batch what-if: the batch is multiplied by this factor.
BATCH_FACTOR = 2.0


@recommendation("smaller_model", ("inference",))
def smaller_model(run: RecommendationRun) -> None:
    code = "smaller_model"
    if run.constraints.keep_model:
        return
    req: InferenceRequest = run.request
    model = run.model
    preset = None if model is None else model.preset
    if preset is None or req.model.parameters_billion is not None:
        run.note(code, "model", "Only preset models have a family: give model.preset to compare smaller models.")
        return
    year = preset.release_year or 0
    candidates = [
        m
        for m in run.catalog.models.values()
        if m.family == preset.family
        and m.id != preset.id
        and m.parameters_billion < preset.parameters_billion
        and m.active_parameters_billion <= preset.active_parameters_billion
        and (m.release_year or 0) >= year
    ]
    if not candidates:
        return
    candidates.sort(
        key=lambda m: (-m.parameters_billion, -(m.release_year or 0), -_common_prefix(m.id, preset.id), m.id)
    )
    options = []
    for m in candidates:
        patch: dict[str, Any] = {"model": {"preset": m.id, "active_parameters_billion": None}}
        candidate = ResolvedModel(m, m.parameters_billion * BILLION, m.active_parameters_billion * BILLION)
        result = _best_sized(run, code, m.id, patch, candidate, precision_of(req.hardware, m.weight_precision))
        if result is not None:
            options.append((m, *result))
    if not options:
        return
    m, patch, best = options[0]
    estimate = run.completed(best)
    run.add(
        code,
        m.id,
        f"Serve {m.name} instead of {preset.name}",
        (
            f"{m.name} ({m.parameters_billion:g}B parameters) is the largest newer-or-same-generation model of the "
            f"{preset.family} family smaller than {preset.name} ({preset.parameters_billion:g}B). Compute per token "
            f"and weights read per decoding step scale with parameters: emissions {run.percent_lower(estimate)} lower "
            f"for the "
            "same requests. Pick the smallest model that passes your own evaluation; smaller ones are listed."
        ),
        patch,
        estimate,
        [
            "Quality: a smaller model may answer worse; evaluate on your task before switching.",
            "Distillation or fine-tuning of the smaller model may be needed to close the gap.",
        ],
        [S_LUCCIONI, S_AWS, S_GCP, S_AZURE],
        [run.alternative(o.id, change, ranked) for o, change, ranked in options[1 : 1 + MAX_ALTERNATIVES]],
    )


@recommendation("shorter_prompts", ("inference",))
def shorter_prompts(run: RecommendationRun) -> None:
    req: InferenceRequest = run.request
    tokens = req.input_tokens_per_request
    if tokens is None:
        tokens = INPUT_TOKENS_PER_REQUEST.range.value
    if tokens <= 0:
        return
    shorter = round(tokens * (1.0 - PROMPT_REDUCTION))
    result = run.try_estimate("shorter_prompts", str(shorter), {"input_tokens_per_request": float(shorter)})
    if result is None:
        return
    patch, estimate = result
    run.add(
        "shorter_prompts",
        f"-{PROMPT_REDUCTION:.0%}",
        f"Cut prompt length by {PROMPT_REDUCTION:.0%}",
        (
            f"What-if: prompts of {shorter:g} instead of {tokens:g} input tokens (system prompt trimmed, fewer "
            f"few-shot "
            "examples, shorter retrieved context, prompt caching of shared prefixes). Prefill compute and the KV cache "
            f"shrink with the prompt: emissions {run.percent_lower(estimate)} lower. The {PROMPT_REDUCTION:.0%} cut is "
            f"an "
            "illustration, not a measured result for your prompts."
        ),
        patch,
        estimate,
        ["Shorter prompts can lower answer quality; test that instructions and context still suffice."],
        [S_AWS, S_GCP, S_AZURE],
    )


@recommendation("quantization", ("inference",))
def quantization(run: RecommendationRun) -> None:
    code = "quantization"
    if run.constraints.keep_precision:
        return
    precision = run.precision
    if precision not in ("fp32", "tf32", "bf16", "fp16"):
        return
    peaks = run.accelerator.peak_tflops
    target = "fp8" if peaks.get("fp8") else ("int8" if peaks.get("int8") else "int4")
    model = run.model
    assert model is not None
    result = _best_sized(run, code, target, {"hardware": {"precision": target}}, model, target)
    if result is None:
        return
    patch, best = result
    estimate = run.completed(best)
    kind_text = {
        "fp8": f"{run.accelerator.name} has an fp8 tensor peak, so weights and matrix products move to fp8",
        "int8": f"{run.accelerator.name} has no fp8 peak but an int8 peak: int8 weights and activations",
        "int4": (
            f"{run.accelerator.name} has neither an fp8 nor an int8 peak: 4-bit weight-only quantization (compute "
            f"stays 16-bit)"
        ),
    }[target]
    base_min = _serving(run.baseline).minimum_accelerators_per_replica
    new_min = _serving(estimate).minimum_accelerators_per_replica
    run.add(
        code,
        target,
        f"Quantize from {precision} to {target}",
        (
            f"{kind_text}. Bytes per weight fall from {BYTES_PER_PARAMETER[precision]:g} to "
            f"{BYTES_PER_PARAMETER[target]:g}: "
            f"memory-bound decoding reads fewer bytes and the minimum accelerators per replica go from {base_min} to "
            f"{new_min}. "
            f"Emissions {run.percent_lower(estimate)} lower."
        ),
        patch,
        estimate,
        [
            "Quality: 8-bit formats usually lose little; 4-bit loses more on some tasks. Evaluate before serving.",
            "Very low-bit formats can cost extra compute for de-quantization on hardware without native support.",
        ],
        [S_FP8, S_AWS, S_GCP],
    )


@recommendation("larger_batch", ("inference",))
def larger_batch(run: RecommendationRun) -> None:
    code = "larger_batch"
    req: InferenceRequest = run.request
    serving = _serving(run.baseline)
    batch = serving.effective_batch_size.value
    if req.deployment.mode == "dedicated" and (req.batch_size is None or batch < req.batch_size * (1 - 1e-9)):
        run.note(
            code,
            "deployment",
            f"The traffic fills a batch of about {batch:.3g} per replica, below its cap: a larger batch needs more "
            "traffic per replica (see right_size_capacity).",
        )
        return
    if any(w.code == "batch-limited-by-memory" for w in run.baseline.ledger.warnings):
        run.note(code, "memory", "The batch is already the largest the KV-cache memory holds.")
        return
    larger = min(round(batch * BATCH_FACTOR), 100_000)
    result = run.try_estimate(code, str(larger), {"batch_size": float(larger)})
    if result is None:
        return
    patch, estimate = result
    reached = _serving(estimate).effective_batch_size.value
    if reached <= batch * (1 + 1e-9):
        run.note(code, "memory", "The KV-cache memory holds no larger batch.")
        return
    run.add(
        code,
        f"batch={reached:g}",
        f"Decode {reached:g} sequences together instead of {batch:.3g}",
        (
            "Decoding is memory-bandwidth-bound at small batches: each step reads the weights once for the whole "
            f"batch. A batch of {reached:g} (continuous batching: vLLM max_num_seqs, TensorRT-LLM max_batch_size) "
            f"spreads those reads over more sequences: emissions {run.percent_lower(estimate)} lower. Each request "
            f"then takes {_serving(estimate).latency_seconds.value:.3g} s to its last token instead of "
            f"{serving.latency_seconds.value:.3g} s."
        ),
        patch,
        estimate,
        [
            "Each step processes more sequences, so every request's latency rises (serving.latency_seconds).",
            "Needs enough concurrent traffic to fill the batch.",
        ],
        [S_MORRISON, S_AWS, S_GCP],
    )


@recommendation("right_size_capacity", ("inference",))
def right_size_capacity(run: RecommendationRun) -> None:
    code = "right_size_capacity"
    req: InferenceRequest = run.request
    if req.deployment.mode != "dedicated":
        return
    utilisation = _serving(run.baseline).utilisation
    if utilisation is None:  # dedicated estimates always carry it
        return
    replicas = req.deployment.replicas
    if utilisation >= 1.0:
        run.note(code, "deployment", "The replicas are already saturated (capacity-exceeded).")
        return
    target = run.constraints.target_utilisation
    needed = max(1, math.ceil(replicas * utilisation / target - 1e-9))
    tradeoffs = [
        f"Headroom for peaks: sized for a mean utilisation of {target:.0%} (constraints.target_utilisation); bursty "
        f"traffic may need autoscaling.",
    ]
    if needed < replicas:
        result = run.try_estimate(code, f"replicas={needed}", {"deployment": {"replicas": needed}})
        if result is not None:
            patch, estimate = result
            run.add(
                code,
                f"replicas={needed}",
                f"Run {needed} instead of {replicas} dedicated replicas",
                (
                    f"The {replicas} replicas are busy {utilisation:.1%} of the time; idle accelerators still draw "
                    f"power. "
                    f"{needed} replica(s) carry the same demand at about "
                    f"{min(1.0, replicas * utilisation / needed):.0%} "
                    f"utilisation: emissions {run.percent_lower(estimate)} lower."
                ),
                patch,
                estimate,
                tradeoffs,
                [S_MORRISON, S_AWS, S_GCP, S_AZURE],
            )
    result = run.try_estimate(code, "on_demand", {"deployment": {"mode": "on_demand", "replicas": None, "hours": None}})
    if result is not None:
        patch, estimate = result
        run.add(
            code,
            "on_demand",
            "Serve on demand (scale to zero) instead of dedicated replicas",
            (
                f"The dedicated replicas are busy {utilisation:.1%} of the time. A shared on-demand endpoint or "
                f"autoscaling "
                "to zero only runs for busy time, so no idle power is drawn for this workload: emissions "
                f"{run.percent_lower(estimate)} lower (an upper bound on what scaling to demand can save)."
            ),
            patch,
            estimate,
            [
                "Cold starts add latency after idle periods; a shared endpoint's capacity is outside your control.",
                "The on-demand estimate counts busy time only; a provider's shared fleet also idles sometimes.",
            ],
            [S_MORRISON, S_AWS, S_GCP, S_AZURE],
        )


def _best_sized(
    run: RecommendationRun, code: str, subject: str, patch: dict[str, Any], model: ResolvedModel, precision: str
) -> tuple[dict[str, Any], Ranked] | None:
    """The change on today's accelerators per replica, and on the fewest that hold the changed model when the
    request fixed the count: whichever emits less (fewer accelerators hold less KV cache, so they can batch less)."""
    tried = [run.rank(code, subject, patch)]
    fewer = _serving_count_patch(run, model, precision)
    if fewer:
        merged = {**patch, "hardware": {**patch.get("hardware", {}), **fewer["hardware"]}}
        tried.append(run.rank(code, subject, merged))
    # Bounds are checked for the sizing that would be shown first, the other only if the caller could not apply it.
    found = sorted((t for t in tried if t is not None), key=lambda t: t.emissions_kgco2e)
    for ranked in found:
        if run.applicable(code, subject, ranked.patch):
            return ranked.patch, ranked
    return None


def _serving_count_patch(run: RecommendationRun, model: ResolvedModel, precision: str) -> dict[str, Any]:
    """``hardware.count`` for a changed model/precision when the baseline fixed it; {} when it is derived."""
    hw = run.request.hardware
    if hw.count is None:
        return {}
    per_replica = replica_need(model, precision, run.accelerator, context_tokens(run.request)).accelerators
    if hw.instance_type is not None:
        per = run.catalog.instances[hw.instance_type.lower()].accelerator_count
        per_replica = per * math.ceil(per_replica / per)
    current = (
        run.baseline.accelerator_count
        if run.request.deployment.mode == "on_demand"
        else _serving(run.baseline).accelerators_per_replica
    )
    if per_replica >= current:
        return {}
    return {"hardware": {"count": run.count_in_spec_units(per_replica)}}


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _serving(estimate: Estimate) -> ServingFigures:
    """The serving figures every inference estimate carries."""
    if estimate.serving is None:
        raise ValueError(f"a {estimate.kind} estimate has no serving figures")
    return estimate.serving
