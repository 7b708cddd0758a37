"""Codes for training jobs: fewer_runs (training and fine-tuning), parameter_efficient_fine_tuning and
retrieval_instead_of_fine_tuning (fine-tuning only)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..errors import EstimationError
from ..estimate import Estimate, MemoryFigures
from ..fine_tuning import METHOD_PROFILES, fine_tuning_memory_gb
from ..formulas.memory import minimum_accelerators
from ..inputs import FineTuningRequest, HardwareSpec, InferenceRequest, RagSpec
from .model import Recommendation, Savings
from .patch import apply_patch, to_payload
from .registry import recommendation
from .run import RecommendationRun, emissions_kg, format_number, saves
from .sources import S_AWS, S_GCP, S_HYPERBAND, S_LORA, S_QLORA, S_RAG


@recommendation("parameter_efficient_fine_tuning", ("fine-tuning",))
def parameter_efficient_fine_tuning(run: RecommendationRun) -> None:
    code = "parameter_efficient_fine_tuning"
    req: FineTuningRequest = run.request
    if req.method != "full":
        return
    if req.dataset_tokens_million is None or req.accelerator_hours is not None or req.duration_hours is not None:
        run.note(
            code,
            "method",
            "Full fine-tuning given by hours: give dataset_tokens_million (without accelerator_hours/duration_hours) "
            "so the engine can compute full and parameter-efficient compute alike.",
        )
        return
    model = run.model
    assert model is not None
    base_memory = _memory(run.baseline)
    for method in ("lora", "qlora"):
        if method == "qlora" and run.constraints.keep_precision:
            run.note(code, "qlora", "keep_precision: QLoRA stores the base weights in 4 bits.")
            continue
        profile = METHOD_PROFILES[method]
        need = fine_tuning_memory_gb(model.parameters, method, profile.trainable_fraction.range.value)
        minimum = minimum_accelerators(need, run.accelerator.memory_gb)
        patch: dict[str, Any] = {"method": method, "trainable_parameters_fraction": None}
        if req.hardware.count is not None or req.hardware.instance_type is not None:
            # As few accelerators as memory allows, but not so few that the run outlasts max_duration_factor.
            count = run.count_keeping_duration(patch, minimum)
            patch["hardware"] = {"count": run.count_in_spec_units(count)}
        result = run.try_estimate(code, method, patch)
        if result is None:
            continue
        patch, estimate = result
        new_memory = _memory(estimate)
        label = "LoRA" if method == "lora" else "QLoRA"
        if not saves(emissions_kg(run.baseline), emissions_kg(estimate)):
            run.note(
                code,
                method,
                f"{label} would need about {new_memory.required_gb:.0f} GB (minimum "
                f"{new_memory.minimum_accelerators} "
                f"x {run.accelerator.memory_gb:g} GB instead of {base_memory.minimum_accelerators}) but emits no "
                f"less "
                f"here ({format_number(emissions_kg(estimate))} vs {format_number(emissions_kg(run.baseline))} "
                f"kgCO2e): its extra compute (recomputed "
                "activations, de-quantisation, lower MFU) outweighs the saved weight gradients.",
            )
            continue
        memory_text = (
            f"Memory falls from about {base_memory.required_gb:.0f} GB to {new_memory.required_gb:.0f} GB: "
            f"minimum accelerators {base_memory.minimum_accelerators} -> {new_memory.minimum_accelerators} "
            f"x {run.accelerator.memory_gb:g} GB."
        )
        tradeoffs = [
            "Quality: parameter-efficient methods match full fine-tuning on many tasks but not all; evaluate on yours.",
            "The trainable fraction uses the method's default range (rank and target modules change it).",
        ]
        if method == "qlora":
            tradeoffs.append(
                "QLoRA recomputes activations (gradient checkpointing) and de-quantises 4-bit weights: slower per "
                "token."
            )
        run.add(
            code,
            method,
            f"Fine-tune with {label} instead of full fine-tuning",
            (
                f"{label} freezes the base weights and trains small low-rank adapters, so weight gradients and "
                f"optimiser "
                f"state exist only for the adapters and the backward pass skips the frozen weights' gradients. "
                f"{memory_text} Emissions fall {run.percent_lower(estimate)} for the same dataset and epochs."
            ),
            patch,
            estimate,
            tradeoffs,
            [S_LORA, S_QLORA, S_AWS, S_GCP] if method == "qlora" else [S_LORA, S_AWS, S_GCP],
        )


@recommendation("retrieval_instead_of_fine_tuning", ("fine-tuning",))
def retrieval_instead_of_fine_tuning(run: RecommendationRun) -> None:
    code = "retrieval_instead_of_fine_tuning"
    rag = run.rag_comparison
    if rag is None:
        run.note(
            code,
            "rag_comparison",
            "Give rag_comparison.expected_requests to compare RAG on the base model with fine-tuning.",
        )
        return
    req: FineTuningRequest = run.request
    base_hw = req.hardware
    hardware = rag.hardware or (
        HardwareSpec(spec=base_hw.spec, peak_tflops=base_hw.peak_tflops)
        if base_hw.spec is not None
        else HardwareSpec(accelerator=run.baseline.accelerator.id, peak_tflops=base_hw.peak_tflops)
    )
    plain = InferenceRequest(
        model=req.model,
        hardware=hardware,
        requests=rag.expected_requests,
        input_tokens_per_request=rag.input_tokens_per_request,
        output_tokens_per_request=rag.output_tokens_per_request,
        datacenter=req.datacenter,
        include_embodied=req.include_embodied,
    )
    with_rag = dataclasses.replace(
        plain,
        rag=RagSpec(
            retrieved_tokens_per_request=rag.retrieved_tokens_per_request,
            embedding_parameters_billion=rag.embedding_parameters_billion,
            corpus_tokens_billion=rag.corpus_tokens_billion,
        ),
    )
    try:
        serve_ft = run.estimator.inference(plain)
        serve_rag = run.estimator.inference(with_rag)
        index_only = apply_patch(with_rag, {"requests": 0.0})  # only its central value is used
        rag_fixed = run.estimator.central("inference", index_only).emissions_kgco2e
    except EstimationError as error:
        # A hardware figure the caller's rag_comparison.hardware lacks (no published power, say) is named there.
        field = (
            f"rag_comparison.{error.field}"
            if rag.hardware is not None and error.field.startswith("hardware")
            else error.field
        )
        run.note(code, "rag_comparison", f"{field}: {error.message}")
        return
    n = rag.expected_requests
    ft_kg = run.baseline.footprint.emissions_kgco2e.value
    serve_ft_kg = serve_ft.footprint.emissions_kgco2e.value
    serve_rag_kg = serve_rag.footprint.emissions_kgco2e.value
    extra_per_request = (serve_rag_kg - rag_fixed - serve_ft_kg) / n
    # RAG costing no more per request has no break-even: it is cheaper at any volume if its fixed cost is lower.
    break_even = max(0.0, (ft_kg - rag_fixed) / extra_per_request) if extra_per_request > 0 else None
    comparison = {
        "expected_requests": n,
        "fine_tuning_kgco2e": ft_kg,
        "serving_fine_tuned_kgco2e": serve_ft_kg,
        "serving_with_retrieval_kgco2e": serve_rag_kg,
        "retrieval_index_kgco2e": rag_fixed,
        "break_even_requests": break_even,
    }
    be_text = (
        f"Break-even: RAG stays cheaper below about {format_number(break_even)} requests"
        if break_even is not None
        else "RAG adds no per-request cost here"
    )
    total = run.baseline.footprint
    ft_path_emissions = total.emissions_kgco2e + serve_ft.footprint.emissions_kgco2e
    if not saves(ft_path_emissions.value, serve_rag_kg):
        run.note(code, "rag_comparison", f"At {format_number(n)} requests fine-tuning is cheaper than RAG. {be_text}.")
        return
    ft_path_energy = total.energy_kwh + serve_ft.footprint.energy_kwh
    ft_path_water = total.water_l + serve_ft.footprint.water_l
    r = serve_rag.footprint
    savings = Savings(
        emissions_kgco2e=ft_path_emissions.minus_clamped(r.emissions_kgco2e),
        energy_kwh=ft_path_energy.minus_clamped(r.energy_kwh),
        water_l=ft_path_water.minus_clamped(r.water_l),
        emissions_percent=100.0 * (ft_path_emissions.value - serve_rag_kg) / ft_path_emissions.value,
    )
    run.found.append(
        Recommendation(
            code=code,
            variant="rag",
            title="Use retrieval-augmented generation on the base model instead of fine-tuning",
            rationale=(
                f"For {format_number(n)} requests, fine-tuning ({format_number(ft_kg)} kgCO2e) plus serving the "
                f"fine-tuned model "
                f"({format_number(serve_ft_kg)}) emits {format_number(ft_path_emissions.value)} kgCO2e; serving the "
                f"base model with "
                f"{rag.retrieved_tokens_per_request:g} retrieved tokens per prompt emits {format_number(serve_rag_kg)} "
                f"({savings.emissions_percent:.0f}% less). {be_text}. Savings compare both whole paths (fine-tune + "
                "serve vs. RAG serving), so they are not relative to the fine-tuning baseline alone."
            ),
            change={"kind": "inference", "workload": to_payload(with_rag)},
            estimate=serve_rag,
            savings=savings,
            tradeoffs=[
                "RAG suits knowledge that changes or must be cited; fine-tuning suits style, format and skills.",
                "Longer prompts add latency per request; the retrieval index has to be built and kept fresh.",
                "Above the break-even volume fine-tuning becomes cheaper.",
            ],
            sources=[S_RAG, S_AWS, S_GCP],
            comparison=comparison,
        )
    )


@recommendation("fewer_runs", ("training", "fine-tuning"))
def fewer_runs(run: RecommendationRun) -> None:
    runs = run.request.runs
    if runs <= 1:
        return
    fewer = math.ceil(runs / 2)
    result = run.try_estimate("fewer_runs", str(fewer), {"runs": fewer})
    if result is None:
        return
    patch, estimate = result
    run.add(
        "fewer_runs",
        f"runs={fewer}",
        f"Run {fewer} instead of {runs} full runs",
        (
            f"This workload repeats {runs} runs. Stopping unpromising runs early (successive halving, Hyperband, "
            "early stopping on a validation metric) or searching hyper-parameters on a smaller proxy model typically "
            f"removes a large share of that compute. What-if: half of the runs' compute ({runs} -> {fewer}) saves "
            f"{run.percent_lower(estimate)} of the emissions."
        ),
        patch,
        estimate,
        [
            "A what-if: the share of compute that early stopping removes depends on the search; this assumes half.",
            "A narrower search may miss a better configuration.",
        ],
        [S_HYPERBAND, S_AWS, S_GCP],
    )


def _memory(estimate: Estimate) -> MemoryFigures:
    """The memory figures every fine-tuning estimate carries."""
    if estimate.memory is None:
        raise ValueError(f"a {estimate.kind} estimate has no memory figures")
    return estimate.memory
