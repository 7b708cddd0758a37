"""Quantified recommendations: each candidate change is re-estimated with the same engine as the baseline.

Changed requests are derived from the validated baseline with :func:`apply_patch` (``dataclasses.replace``),
never re-validated, so ranking all 144 regions costs 144 estimator calls (~100 us each) and nothing more.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterable

from ...reference import Accelerator
from ..assumptions import Ledger
from ..defaults import BATCH_SIZE, BYTES_PER_PARAMETER, COMPUTE_PRECISION_FALLBACK, INPUT_TOKENS_PER_REQUEST
from ..errors import EstimationError, UnknownReferenceError
from ..estimator import Estimator
from ..fine_tuning import METHOD_PROFILES, fine_tuning_memory_gb
from ..footprint import Estimate
from ..formulas.memory import inference_memory_gb, minimum_accelerators, serving_accelerators
from ..hardware import ResolvedModel, resolve_model
from ..inputs import FineTuningRequest, HardwareSpec, InferenceRequest, RagSpec
from .model import (
    CODES_BY_KIND,
    Alternative,
    Constraints,
    Note,
    RagComparison,
    Recommendation,
    RecommendationResult,
    Savings,
)
from .patch import apply_patch, prune_patch, to_payload

#: Largest tensor-parallel group per inference replica considered (one 8-accelerator server).
MAX_ACCELERATORS_PER_REPLICA = 8
#: Shorter prompts what-if: input tokens cut by this share.
PROMPT_REDUCTION = 0.3
#: Larger batch what-if: the batch is multiplied by this factor.
BATCH_FACTOR = 2.0
#: Alternatives listed next to a region or hardware recommendation.
MAX_ALTERNATIVES = 5
#: Relative emissions change below which a candidate is considered to save nothing.
MIN_RELATIVE_SAVING = 1e-9

#: Accelerators sold only inside one cloud.
_CLOUD_ONLY = {"google": "gcp", "aws": "aws"}

S_AWS = "AWS Well-Architected Framework, Sustainability Pillar (SUS04 region selection, SUS05 hardware, SUS02 scaling to demand) and AWS 'Optimizing generative AI workloads for sustainability' (2024)"
S_GCP = "Google Cloud Architecture Framework: Sustainability, 'Use regions that consume low-carbon energy' and 'Optimize AI and ML workloads for energy efficiency'"
S_AZURE = "Microsoft Azure Well-Architected Framework, Sustainability workload guidance: application platform and AI/ML considerations"
S_LORA = "Hu et al. 2021, LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685)"
S_QLORA = "Dettmers et al. 2023, QLoRA: Efficient Finetuning of Quantized LLMs (arXiv:2305.14314)"
S_RAG = "Lewis et al. 2020, Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks (arXiv:2005.11401)"
S_MORRISON = "Morrison et al. 2025, Holistically Evaluating the Environmental Impact of Creating Language Models (batching and idle capacity)"
S_LUCCIONI = "Luccioni, Jernite & Strubell 2024, Power Hungry Processing: Watts Driving the Cost of AI Deployment? (model size vs energy)"
S_HYPERBAND = "Li et al. 2018, Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization (JMLR 18); Jamieson & Talwalkar 2016, successive halving"
S_FP8 = "Micikevicius et al. 2022, FP8 Formats for Deep Learning (arXiv:2209.05433); Dettmers et al. 2022, LLM.int8() (arXiv:2208.07339); Frantar et al. 2023, GPTQ (arXiv:2210.17323)"
S_DODGE = "Dodge et al. 2022, Measuring the Carbon Intensity of AI in Cloud Instances (region and time choice)"


def _savings(baseline: Estimate, changed: Estimate) -> Savings:
    b, c = baseline.footprint, changed.footprint
    percent = 0.0
    if b.emissions_kgco2e.value > 0:
        percent = 100.0 * (b.emissions_kgco2e.value - c.emissions_kgco2e.value) / b.emissions_kgco2e.value
    return Savings(
        emissions_kgco2e=b.emissions_kgco2e.minus_clamped(c.emissions_kgco2e),
        energy_kwh=b.energy_kwh.minus_clamped(c.energy_kwh),
        water_l=b.water_l.minus_clamped(c.water_l),
        emissions_percent=percent,
    )


def _kg(estimate: Estimate) -> float:
    return estimate.footprint.emissions_kgco2e.value


def _saves(baseline_kg: float, changed_kg: float) -> bool:
    return changed_kg < baseline_kg * (1.0 - MIN_RELATIVE_SAVING)


def peak_tflops(accelerator: Accelerator, precision: str) -> float | None:
    """Dense peak used at ``precision`` (the estimator's fallback order), None when none is published."""
    for candidate in COMPUTE_PRECISION_FALLBACK[precision]:
        value = accelerator.peak_tflops.get(candidate)
        if value:
            return value
    return None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _fmt(x: float) -> str:
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


class Recommender:
    """Builds the recommendations for one validated workload of one kind."""

    def __init__(self, estimator: Estimator) -> None:
        self.estimator = estimator
        self.catalog = estimator.catalog

    # -- entry point ---------------------------------------------------------------------------------
    def recommend(
        self,
        kind: str,
        request: Any,
        constraints: Constraints | None = None,
        rag_comparison: RagComparison | None = None,
        baseline: Estimate | None = None,
    ) -> RecommendationResult:
        constraints = constraints or Constraints()
        self._check_constraints(constraints)
        if baseline is None:
            baseline = self.estimator.estimate(kind, request)
        run = _Run(self, kind, request, constraints, baseline)
        generators: dict[str, Callable[[], None]] = {
            "greener_region": run.greener_region,
            "efficient_hardware": run.efficient_hardware,
            "fewer_runs": run.fewer_runs,
            "parameter_efficient_fine_tuning": run.parameter_efficient_fine_tuning,
            "retrieval_instead_of_fine_tuning": lambda: run.retrieval_instead_of_fine_tuning(rag_comparison),
            "smaller_model": run.smaller_model,
            "shorter_prompts": run.shorter_prompts,
            "quantization": run.quantization,
            "larger_batch": run.larger_batch,
            "right_size_capacity": run.right_size_capacity,
        }
        for code in CODES_BY_KIND[kind]:
            generators[code]()
        ranked = sorted(run.found, key=lambda r: (-r.savings.emissions_kgco2e.value, r.code, r.variant))
        return RecommendationResult(baseline=baseline, recommendations=ranked, notes=run.notes)

    def _check_constraints(self, c: Constraints) -> None:
        for i, entry in enumerate(c.regions or ()):
            provider, _, rid = entry.rpartition(":")
            known = (
                (provider.lower(), rid.lower()) in self.catalog.regions
                if provider
                else any(r == rid.lower() for (_, r) in self.catalog.regions)
            )
            if not known:
                raise UnknownReferenceError(
                    f"constraints.regions.{i}", "region", entry, self.catalog.suggest("region", entry), "/v1/regions"
                )
        for name, ids in (("accelerators", c.accelerators or ()), ("exclude_accelerators", c.exclude_accelerators)):
            for i, ident in enumerate(ids):
                if ident.lower() not in self.catalog.accelerators:
                    raise UnknownReferenceError(
                        f"constraints.{name}.{i}",
                        "accelerator",
                        ident,
                        self.catalog.suggest("accelerator", ident),
                        "/v1/accelerators",
                    )


class _Run:
    """State of one recommendation request: baseline, constraints, findings and notes."""

    def __init__(self, owner: Recommender, kind: str, request: Any, constraints: Constraints, baseline: Estimate) -> None:
        self.owner = owner
        self.estimator = owner.estimator
        self.catalog = owner.catalog
        self.kind = kind
        self.request = request
        self.constraints = constraints
        self.baseline = baseline
        self.found: list[Recommendation] = []
        self.notes: list[Note] = []
        self.accelerator = self.catalog.accelerators[baseline.accelerator_id]
        self._model: ResolvedModel | None | bool = False

    # -- helpers -------------------------------------------------------------------------------------
    @property
    def model(self) -> ResolvedModel | None:
        if self._model is False:
            spec = getattr(self.request, "model", None)
            self._model = None if spec is None else resolve_model(self.catalog, spec, Ledger())
        return self._model  # type: ignore[return-value]

    def note(self, code: str, subject: str, reason: str) -> None:
        self.notes.append(Note(code, subject, reason))

    def try_estimate(self, code: str, subject: str, patch: dict[str, Any]) -> tuple[dict[str, Any], Estimate] | None:
        """Apply ``patch``, estimate; None (with a note) when the changed workload cannot be estimated."""
        patch = prune_patch(self.request, patch)
        if not patch:
            return None
        changed = apply_patch(self.request, patch)
        try:
            estimate = self.estimator.estimate(self.kind, changed)
        except EstimationError as error:
            self.note(code, subject, error.message)
            return None
        limit = self.constraints.max_latency_seconds_per_request
        if limit is not None and self.kind == "inference":
            busy = estimate.extra["serving"]["busy_seconds_per_request"].value
            if busy > limit:
                self.note(code, subject, f"busy time per request {busy:.3g} s exceeds max_latency_seconds_per_request {limit:g} s")
                return None
        return patch, estimate

    def add(
        self,
        code: str,
        variant: str,
        title: str,
        rationale: str,
        patch: dict[str, Any],
        estimate: Estimate,
        tradeoffs: list[str],
        sources: list[str],
        alternatives: Iterable[Alternative] = (),
    ) -> None:
        if not _saves(self.baseline.footprint.emissions_kgco2e.value, estimate.footprint.emissions_kgco2e.value):
            return
        self.found.append(
            Recommendation(
                code=code,
                variant=variant,
                title=title,
                rationale=rationale,
                change=patch,
                estimate=estimate,
                savings=_savings(self.baseline, estimate),
                tradeoffs=tradeoffs,
                sources=sources,
                alternatives=list(alternatives),
            )
        )

    def _baseline_provider(self) -> str | None:
        return self.request.datacenter.provider

    def _instance_provider(self) -> str | None:
        itype = self.request.hardware.instance_type
        return None if itype is None else self.catalog.instances[itype.lower()].provider

    def _count_in_spec_units(self, accelerators: int) -> int:
        """An accelerator count expressed the way the baseline counts (instances when instance_type is used)."""
        itype = self.request.hardware.instance_type
        if itype is None:
            return accelerators
        per = self.catalog.instances[itype.lower()].accelerator_count
        return max(1, math.ceil(accelerators / per))

    def _pct(self, estimate: Estimate) -> str:
        b = self.baseline.footprint.emissions_kgco2e.value
        c = estimate.footprint.emissions_kgco2e.value
        return f"{100.0 * (b - c) / b:.0f}%" if b > 0 else "n/a"

    # -- greener_region --------------------------------------------------------------------------------
    def allowed_regions(self) -> list[tuple[str, str]]:
        c = self.constraints
        providers = set(c.providers) if c.providers else None
        bound = self._instance_provider() or _CLOUD_ONLY.get(self.accelerator.vendor.lower())
        countries = {x.upper() for x in c.countries} if c.countries else None
        pairs = {tuple(x.lower().split(":", 1)) for x in c.regions or () if ":" in x}
        bare = {x.lower() for x in c.regions or () if ":" not in x}
        out = []
        for (provider, rid), region in self.catalog.regions.items():
            if providers is not None and provider not in providers:
                continue
            if bound is not None and provider != bound:
                continue
            if countries is not None and region.country_iso2.upper() not in countries:
                continue
            if c.regions is not None and (provider, rid) not in pairs and rid not in bare:
                continue
            out.append((provider, rid))
        return out

    def greener_region(self) -> None:
        code = "greener_region"
        regions = self.allowed_regions()
        if not regions:
            self.note(code, "regions", "no catalog region satisfies the provider/country/region constraints")
            return
        bound = self._instance_provider() or _CLOUD_ONLY.get(self.accelerator.vendor.lower())
        dc = self.request.datacenter
        here = (dc.provider, (dc.region or "").lower())
        ranked: list[tuple[float, str, str, dict[str, Any], Estimate]] = []
        for provider, rid in regions:
            if (provider, rid) == here and dc.carbon_intensity_gco2e_per_kwh is None and dc.pue is None and dc.wue_l_per_kwh is None:
                continue
            patch = {
                "datacenter": {
                    "provider": provider,
                    "region": rid,
                    "country": None,
                    "carbon_intensity_gco2e_per_kwh": None,
                    "pue": None,
                    "wue_l_per_kwh": None,
                }
            }
            result = self.try_estimate(code, f"{provider}:{rid}", patch)
            if result is None:
                continue
            ranked.append((result[1].footprint.emissions_kgco2e.value, provider, rid, *result))
        if not ranked:
            return
        ranked.sort(key=lambda t: (t[0], t[1], t[2]))
        _, provider, rid, patch, estimate = ranked[0]
        region = self.catalog.regions[(provider, rid)]
        where = f"{dc.provider}:{dc.region}" if dc.region else (f"country {dc.country}" if dc.country else "an unspecified location")
        alternatives = [
            Alternative(f"{p}:{r}", ch, e.footprint.emissions_kgco2e, e.footprint.energy_kwh)
            for _, p, r, ch, e in ranked[1 : 1 + MAX_ALTERNATIVES]
        ]
        tradeoffs = [
            "Data residency and sovereignty: data and model move to another jurisdiction.",
            "Latency to users rises with distance (matters for interactive inference, not for batch jobs).",
            "Migration effort, price and capacity availability of the accelerator differ between regions.",
            "Grid intensity is an annual average; hourly intensity varies (carbon-aware scheduling can add savings).",
        ]
        if bound is not None:
            tradeoffs.append(f"Only {bound} regions were ranked: the hardware is specific to that provider.")
        self.add(
            code,
            f"{provider}:{rid}",
            f"Run in {region.name} ({provider}:{rid})",
            (
                f"Of {len(regions)} allowed regions, {provider}:{rid} ({region.name}, grid {region.grid_ci_gco2e_per_kwh:g} "
                f"gCO2e/kWh, zone {region.grid_zone}) gives the lowest emissions for this workload: "
                f"{_fmt(estimate.footprint.emissions_kgco2e.value)} kgCO2e instead of "
                f"{_fmt(self.baseline.footprint.emissions_kgco2e.value)} in {where} ({self._pct(estimate)} less). Energy "
                "changes only through the site's PUE; the saving comes from the grid. Every region was ranked with the "
                "same estimate; the next ones are listed under alternatives."
            ),
            patch,
            estimate,
            tradeoffs,
            [S_AWS, S_GCP, S_AZURE, S_DODGE, "Grid intensity: Electricity Maps annual averages shipped in the catalog (GET /v1/regions)"],
            alternatives,
        )

    # -- efficient_hardware ----------------------------------------------------------------------------
    def _hardware_candidates(self, code: str) -> Iterable[Accelerator]:
        c = self.constraints
        allowed = {a.lower() for a in c.accelerators} if c.accelerators else None
        excluded = {a.lower() for a in c.exclude_accelerators}
        provider = self._baseline_provider()
        allowed_providers = set(c.providers) if c.providers else None
        for acc in self.catalog.accelerators.values():
            if acc.id == self.accelerator.id or acc.id in excluded or (allowed is not None and acc.id not in allowed):
                continue
            cloud = _CLOUD_ONLY.get(acc.vendor.lower())
            if cloud is not None and ((provider is not None and cloud != provider) or (provider is None and self.request.datacenter.country)):
                continue  # not available where the workload runs; greener_region covers moving
            if cloud is not None and allowed_providers is not None and cloud not in allowed_providers:
                continue
            has_power = acc.tdp_w is not None or acc.measured_power_max_w is not None or (
                self.kind == "training" and acc.measured_power_mean_w is not None
            )
            if not has_power:
                self.note(
                    code,
                    acc.id,
                    f"{acc.name}: no published TDP or measured power ({acc.tdp_basis or 'not published'}); it cannot be "
                    "ranked on energy. Estimate it yourself with hardware.power_w.",
                )
                continue
            yield acc

    def efficient_hardware(self) -> None:
        code = "efficient_hardware"
        precision = self.request.hardware.precision or "bf16"
        base_peak = peak_tflops(self.accelerator, precision)
        model = self.model
        ranked: list[tuple[float, str, dict[str, Any], Estimate, str]] = []
        for acc in self._hardware_candidates(code):
            new_peak = peak_tflops(acc, precision)
            if new_peak is None or base_peak is None:
                self.note(code, acc.id, f"{acc.name}: no published dense peak at {precision} or a fallback precision.")
                continue
            hw: dict[str, Any] = {"accelerator": acc.id, "instance_type": None, "power_w": None}
            patch: dict[str, Any] = {"hardware": hw}
            fit = self._fit(acc, model, precision)
            if fit is None:
                continue
            count, fit_text = fit
            if count is None and self.request.hardware.instance_type is not None:
                count = self.baseline.accelerator_count  # instances become accelerators: keep the same number
            if count is not None and (self.request.hardware.count is not None or self.request.hardware.instance_type is not None):
                hw["count"] = count
            if self.kind in ("training", "fine-tuning"):
                ratio = base_peak / new_peak
                if self.request.accelerator_hours is not None:
                    patch["accelerator_hours"] = self.request.accelerator_hours * ratio
                elif self.request.duration_hours is not None:
                    old_count = self.baseline.accelerator_count
                    new_count = hw.get("count", old_count) or old_count
                    patch["duration_hours"] = self.request.duration_hours * ratio * old_count / new_count
            result = self.try_estimate(code, acc.id, patch)
            if result is None:
                continue
            ranked.append((result[1].footprint.emissions_kgco2e.value, acc.id, result[0], result[1], fit_text))
        if not ranked:
            return
        ranked.sort(key=lambda t: (t[0], t[1]))
        _, acc_id, patch, estimate, fit_text = ranked[0]
        acc = self.catalog.accelerators[acc_id]
        b, e = self.baseline.footprint, estimate.footprint
        tradeoffs = [
            "Migration: kernels, serving or training stack and compilers may need porting and re-tuning.",
            "Price and availability of the accelerator in your region.",
            "Energy per FLOP follows TDP x hours at the same utilisation; real utilisation differs between chips.",
        ]
        if self.request.hardware.power_w is not None:
            tradeoffs.append("Your hardware.power_w applied to the old accelerator and is dropped; the new one uses its TDP-based default.")
        if self.kind in ("training", "fine-tuning") and (self.request.accelerator_hours is not None or self.request.duration_hours is not None):
            tradeoffs.append("Hours were scaled by the ratio of dense peaks at the same MFU: an approximation of the same work.")
        self.add(
            code,
            acc_id,
            f"Use {acc.name}",
            (
                f"Among the accelerators that hold this workload at {precision} and have a published power figure, "
                f"{acc.name} has the lowest estimated emissions: energy {_fmt(e.energy_kwh.value)} kWh instead of "
                f"{_fmt(b.energy_kwh.value)} kWh on {self.accelerator.name}, emissions {self._pct(estimate)} lower "
                f"(operational and embodied). {fit_text}"
            ),
            patch,
            estimate,
            tradeoffs,
            [S_AWS, S_GCP, S_AZURE, f"Accelerator figures: {acc.source}"],
            [Alternative(a, ch, est.footprint.emissions_kgco2e, est.footprint.energy_kwh) for _, a, ch, est, _ in ranked[1 : 1 + MAX_ALTERNATIVES]],
        )

    def _fit(self, acc: Accelerator, model: ResolvedModel | None, precision: str) -> tuple[int | None, str] | None:
        """Accelerator count the workload needs on ``acc`` and a sentence about it; None (noted) if it does not fit."""
        code = "efficient_hardware"
        if model is None:
            return None, "The model is not given, so memory fit was not checked."
        if self.kind == "inference":
            need = inference_memory_gb(model.parameters, BYTES_PER_PARAMETER[precision])
            per_replica = serving_accelerators(need, acc.memory_gb)
            if per_replica > MAX_ACCELERATORS_PER_REPLICA:
                self.note(code, acc.id, f"{need:.0f} GB at {precision} needs {per_replica} x {acc.memory_gb:g} GB per replica (more than {MAX_ACCELERATORS_PER_REPLICA}).")
                return None
            return per_replica, f"Weights at {precision} need about {need:.0f} GB: {per_replica} x {acc.memory_gb:g} GB per replica."
        if self.kind == "fine-tuning":
            trainable = self.request.trainable_parameters_fraction
            if trainable is None:
                trainable = METHOD_PROFILES[self.request.method].trainable_fraction.range.value
            need = fine_tuning_memory_gb(model.parameters, self.request.method, trainable)
        else:
            need = fine_tuning_memory_gb(model.parameters, "full", 1.0)
        minimum = minimum_accelerators(need, acc.memory_gb)
        given = self.request.hardware.count is not None or self.request.hardware.instance_type is not None
        if self.kind == "training" and given:
            count = self.baseline.accelerator_count
            if minimum > count:
                self.note(code, acc.id, f"{need:.0f} GB of training state needs {minimum} x {acc.memory_gb:g} GB; the job uses {count}.")
                return None
            return count, f"The same {count} accelerators hold the {need:.0f} GB of training state."
        if self.kind == "training":
            return None, f"Training state needs about {need:.0f} GB: at least {minimum} x {acc.memory_gb:g} GB."
        return minimum, f"The job needs about {need:.0f} GB: at least {minimum} x {acc.memory_gb:g} GB."

    # -- fewer_runs ------------------------------------------------------------------------------------
    def fewer_runs(self) -> None:
        runs = self.request.runs
        if runs <= 1:
            return
        fewer = math.ceil(runs / 2)
        result = self.try_estimate("fewer_runs", str(fewer), {"runs": fewer})
        if result is None:
            return
        patch, estimate = result
        self.add(
            "fewer_runs",
            f"runs={fewer}",
            f"Run {fewer} instead of {runs} full runs",
            (
                f"This workload repeats {runs} runs. Stopping unpromising runs early (successive halving, Hyperband, "
                "early stopping on a validation metric) or searching hyper-parameters on a smaller proxy model typically "
                f"removes a large share of that compute. What-if: half of the runs' compute ({runs} -> {fewer}) saves "
                f"{self._pct(estimate)} of the emissions."
            ),
            patch,
            estimate,
            [
                "A what-if: the share of compute that early stopping removes depends on the search; this assumes half.",
                "A narrower search may miss a better configuration.",
            ],
            [S_HYPERBAND, S_AWS, S_GCP],
        )

    # -- parameter_efficient_fine_tuning ---------------------------------------------------------------
    def parameter_efficient_fine_tuning(self) -> None:
        code = "parameter_efficient_fine_tuning"
        req: FineTuningRequest = self.request
        if req.method != "full":
            return
        if req.dataset_tokens_million is None or req.accelerator_hours is not None or req.duration_hours is not None:
            self.note(
                code,
                "method",
                "Full fine-tuning given by hours: give dataset_tokens_million (without accelerator_hours/duration_hours) "
                "so the engine can compute full and parameter-efficient compute alike.",
            )
            return
        model = self.model
        assert model is not None
        base_memory = self.baseline.extra["memory"]
        for method in ("lora", "qlora"):
            if method == "qlora" and self.constraints.keep_precision:
                self.note(code, "qlora", "keep_precision: QLoRA stores the base weights in 4 bits.")
                continue
            profile = METHOD_PROFILES[method]
            need = fine_tuning_memory_gb(model.parameters, method, profile.trainable_fraction.range.value)
            minimum = minimum_accelerators(need, self.accelerator.memory_gb)
            patch: dict[str, Any] = {"method": method, "trainable_parameters_fraction": None}
            if req.hardware.count is not None or req.hardware.instance_type is not None:
                patch["hardware"] = {"count": self._count_in_spec_units(minimum)}
            result = self.try_estimate(code, method, patch)
            if result is None:
                continue
            patch, estimate = result
            new_memory = estimate.extra["memory"]
            label = "LoRA" if method == "lora" else "QLoRA"
            if not _saves(_kg(self.baseline), _kg(estimate)):
                self.note(
                    code,
                    method,
                    f"{label} would need about {new_memory['required_gb']:.0f} GB (minimum {new_memory['minimum_accelerators']} "
                    f"x {self.accelerator.memory_gb:g} GB instead of {base_memory['minimum_accelerators']}) but emits no less "
                    f"here ({_fmt(_kg(estimate))} vs {_fmt(_kg(self.baseline))} kgCO2e): its extra compute (recomputed "
                    "activations, de-quantisation, lower MFU) outweighs the saved weight gradients.",
                )
                continue
            memory_text = (
                f"Memory falls from about {base_memory['required_gb']:.0f} GB to {new_memory['required_gb']:.0f} GB: "
                f"minimum accelerators {base_memory['minimum_accelerators']} -> {new_memory['minimum_accelerators']} "
                f"x {self.accelerator.memory_gb:g} GB."
            )
            tradeoffs = [
                "Quality: parameter-efficient methods match full fine-tuning on many tasks but not all; evaluate on yours.",
                "The trainable fraction uses the method's default range (rank and target modules change it).",
            ]
            if method == "qlora":
                tradeoffs.append("QLoRA recomputes activations (gradient checkpointing) and de-quantises 4-bit weights: slower per token.")
            self.add(
                code,
                method,
                f"Fine-tune with {label} instead of full fine-tuning",
                (
                    f"{label} freezes the base weights and trains small low-rank adapters, so weight gradients and optimiser "
                    f"state exist only for the adapters and the backward pass skips the frozen weights' gradients. "
                    f"{memory_text} Emissions fall {self._pct(estimate)} for the same dataset and epochs."
                ),
                patch,
                estimate,
                tradeoffs,
                [S_LORA, S_QLORA, S_AWS, S_GCP] if method == "qlora" else [S_LORA, S_AWS, S_GCP],
            )

    # -- retrieval_instead_of_fine_tuning ------------------------------------------------------------------
    def retrieval_instead_of_fine_tuning(self, rag: RagComparison | None) -> None:
        code = "retrieval_instead_of_fine_tuning"
        if rag is None:
            self.note(code, "rag_comparison", "Give rag_comparison.expected_requests to compare RAG on the base model with fine-tuning.")
            return
        req: FineTuningRequest = self.request
        hardware = rag.hardware or HardwareSpec(accelerator=self.baseline.accelerator_id)
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
            serve_ft = self.estimator.inference(plain)
            serve_rag = self.estimator.inference(with_rag)
            rag_fixed = self.estimator.inference(apply_patch(with_rag, {"requests": 0.0})).footprint.emissions_kgco2e.value
        except EstimationError as error:
            self.note(code, "rag_comparison", f"{error.field}: {error.message}")
            return
        n = rag.expected_requests
        ft_kg = self.baseline.footprint.emissions_kgco2e.value
        serve_ft_kg = serve_ft.footprint.emissions_kgco2e.value
        serve_rag_kg = serve_rag.footprint.emissions_kgco2e.value
        extra_per_request = (serve_rag_kg - rag_fixed - serve_ft_kg) / n
        if extra_per_request > 0:
            break_even = max(0.0, (ft_kg - rag_fixed) / extra_per_request)
        else:
            break_even = None  # RAG costs no more per request: cheaper at any volume if its fixed cost is lower
        comparison = {
            "expected_requests": n,
            "fine_tuning_kgco2e": ft_kg,
            "serving_fine_tuned_kgco2e": serve_ft_kg,
            "serving_with_retrieval_kgco2e": serve_rag_kg,
            "retrieval_index_kgco2e": rag_fixed,
            "break_even_requests": break_even,
        }
        be_text = (
            f"Break-even: RAG stays cheaper below about {_fmt(break_even)} requests" if break_even is not None
            else "RAG adds no per-request cost here"
        )
        total = self.baseline.footprint
        ft_path_emissions = total.emissions_kgco2e + serve_ft.footprint.emissions_kgco2e
        if not _saves(ft_path_emissions.value, serve_rag_kg):
            self.note(code, "rag_comparison", f"At {_fmt(n)} requests fine-tuning is cheaper than RAG. {be_text}.")
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
        self.found.append(
            Recommendation(
                code=code,
                variant="rag",
                title="Use retrieval-augmented generation on the base model instead of fine-tuning",
                rationale=(
                    f"For {_fmt(n)} requests, fine-tuning ({_fmt(ft_kg)} kgCO2e) plus serving the fine-tuned model "
                    f"({_fmt(serve_ft_kg)}) emits {_fmt(ft_path_emissions.value)} kgCO2e; serving the base model with "
                    f"{rag.retrieved_tokens_per_request:g} retrieved tokens per prompt emits {_fmt(serve_rag_kg)} "
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

    # -- inference codes -------------------------------------------------------------------------------------
    def _serving_count_patch(self, parameters: float, precision: str) -> dict[str, Any]:
        """``hardware.count`` for a changed model/precision when the baseline fixed it; {} when it is derived."""
        hw = self.request.hardware
        if hw.count is None:
            return {}
        need = inference_memory_gb(parameters, BYTES_PER_PARAMETER[precision])
        per_replica = serving_accelerators(need, self.accelerator.memory_gb)
        if hw.instance_type is not None:
            per = self.catalog.instances[hw.instance_type.lower()].accelerator_count
            per_replica = per * math.ceil(per_replica / per)
        current = self.baseline.accelerator_count if self.request.deployment.mode == "on_demand" else (
            self.baseline.extra["serving"]["accelerators_per_replica"]
        )
        if per_replica >= current:
            return {}
        return {"hardware": {"count": self._count_in_spec_units(per_replica)}}

    def smaller_model(self) -> None:
        code = "smaller_model"
        if self.constraints.keep_model:
            return
        req: InferenceRequest = self.request
        model = self.model
        preset = None if model is None else model.preset
        if preset is None or req.model.parameters_billion is not None:
            self.note(code, "model", "Only preset models have a family: give model.preset to compare smaller models.")
            return
        year = preset.release_year or 0
        candidates = [
            m
            for m in self.catalog.models.values()
            if m.family == preset.family
            and m.id != preset.id
            and m.parameters_billion < preset.parameters_billion
            and m.active_parameters_billion <= preset.active_parameters_billion
            and (m.release_year or 0) >= year
        ]
        if not candidates:
            return
        candidates.sort(key=lambda m: (-m.parameters_billion, -(m.release_year or 0), -_common_prefix(m.id, preset.id), m.id))
        precision = req.hardware.precision or "bf16"
        options = []
        for m in candidates:
            patch: dict[str, Any] = {"model": {"preset": m.id, "active_parameters_billion": None}}
            patch.update(self._serving_count_patch(m.parameters_billion * 1e9, precision))
            result = self.try_estimate(code, m.id, patch)
            if result is not None:
                options.append((m, *result))
        if not options:
            return
        m, patch, estimate = options[0]
        self.add(
            code,
            m.id,
            f"Serve {m.name} instead of {preset.name}",
            (
                f"{m.name} ({m.parameters_billion:g}B parameters) is the largest newer-or-same-generation model of the "
                f"{preset.family} family smaller than {preset.name} ({preset.parameters_billion:g}B). Compute per token "
                f"and weights read per decoding step scale with parameters: emissions {self._pct(estimate)} lower for the "
                "same requests. Pick the smallest model that passes your own evaluation; smaller ones are listed."
            ),
            patch,
            estimate,
            [
                "Quality: a smaller model may answer worse; evaluate on your task before switching.",
                "Distillation or fine-tuning of the smaller model may be needed to close the gap.",
            ],
            [S_LUCCIONI, S_AWS, S_GCP, S_AZURE],
            [Alternative(o[0].id, o[1], o[2].footprint.emissions_kgco2e, o[2].footprint.energy_kwh) for o in options[1 : 1 + MAX_ALTERNATIVES]],
        )

    def shorter_prompts(self) -> None:
        req: InferenceRequest = self.request
        tokens = req.input_tokens_per_request
        if tokens is None:
            tokens = INPUT_TOKENS_PER_REQUEST.range.value
        if tokens <= 0:
            return
        shorter = round(tokens * (1.0 - PROMPT_REDUCTION))
        result = self.try_estimate("shorter_prompts", str(shorter), {"input_tokens_per_request": float(shorter)})
        if result is None:
            return
        patch, estimate = result
        self.add(
            "shorter_prompts",
            f"-{PROMPT_REDUCTION:.0%}",
            f"Cut prompt length by {PROMPT_REDUCTION:.0%}",
            (
                f"What-if: prompts of {shorter:g} instead of {tokens:g} input tokens (system prompt trimmed, fewer few-shot "
                "examples, shorter retrieved context, prompt caching of shared prefixes). Prefill compute and the KV cache "
                f"shrink with the prompt: emissions {self._pct(estimate)} lower. The {PROMPT_REDUCTION:.0%} cut is an "
                "illustration, not a measured result for your prompts."
            ),
            patch,
            estimate,
            ["Shorter prompts can lower answer quality; test that instructions and context still suffice."],
            [S_AWS, S_GCP, S_AZURE],
        )

    def quantization(self) -> None:
        code = "quantization"
        if self.constraints.keep_precision:
            return
        req: InferenceRequest = self.request
        precision = req.hardware.precision or "bf16"
        if precision not in ("fp32", "tf32", "bf16", "fp16"):
            return
        peaks = self.accelerator.peak_tflops
        target = "fp8" if peaks.get("fp8") else ("int8" if peaks.get("int8") else "int4")
        model = self.model
        assert model is not None
        patch: dict[str, Any] = {"hardware": {"precision": target}}
        count = self._serving_count_patch(model.parameters, target)
        if count:
            patch["hardware"].update(count["hardware"])
        result = self.try_estimate(code, target, patch)
        if result is None:
            return
        patch, estimate = result
        kind_text = {
            "fp8": f"{self.accelerator.name} has an fp8 tensor peak, so weights and matrix products move to fp8",
            "int8": f"{self.accelerator.name} has no fp8 peak but an int8 peak: int8 weights and activations",
            "int4": f"{self.accelerator.name} has neither an fp8 nor an int8 peak: 4-bit weight-only quantization (compute stays 16-bit)",
        }[target]
        base_min = self.baseline.extra["serving"]["minimum_accelerators_per_replica"]
        new_min = estimate.extra["serving"]["minimum_accelerators_per_replica"]
        self.add(
            code,
            target,
            f"Quantize from {precision} to {target}",
            (
                f"{kind_text}. Bytes per weight fall from {BYTES_PER_PARAMETER[precision]:g} to {BYTES_PER_PARAMETER[target]:g}: "
                f"memory-bound decoding reads fewer bytes and the minimum accelerators per replica go from {base_min} to {new_min}. "
                f"Emissions {self._pct(estimate)} lower."
            ),
            patch,
            estimate,
            [
                "Quality: 8-bit formats usually lose little; 4-bit loses more on some tasks. Evaluate before serving.",
                "Very low-bit formats can cost extra compute for de-quantization on hardware without native support.",
            ],
            [S_FP8, S_AWS, S_GCP],
        )

    def larger_batch(self) -> None:
        req: InferenceRequest = self.request
        batch = req.batch_size if req.batch_size is not None else BATCH_SIZE.range.value
        larger = min(batch * BATCH_FACTOR, 100_000.0)
        if larger <= batch:
            return
        result = self.try_estimate("larger_batch", str(larger), {"batch_size": larger})
        if result is None:
            return
        patch, estimate = result
        self.add(
            "larger_batch",
            f"batch={larger:g}",
            f"Decode {larger:g} sequences together instead of {batch:g}",
            (
                "Decoding is memory-bandwidth-bound at small batches: each step reads all weights once for the whole batch. "
                f"Doubling the batch ({batch:g} -> {larger:g}, continuous batching in vLLM/TGI/TensorRT-LLM) spreads those "
                f"reads over more sequences: emissions {self._pct(estimate)} lower."
            ),
            patch,
            estimate,
            [
                "Per-request latency can rise when requests wait to fill a batch and each step processes more sequences.",
                "The KV cache of a larger batch needs memory; very long contexts may not fit.",
                "Needs enough concurrent traffic to fill the batch.",
            ],
            [S_MORRISON, S_AWS, S_GCP],
        )

    def right_size_capacity(self) -> None:
        code = "right_size_capacity"
        req: InferenceRequest = self.request
        if req.deployment.mode != "dedicated":
            return
        serving = self.baseline.extra["serving"]
        utilisation = serving["utilisation"]
        replicas = req.deployment.replicas
        if utilisation >= 1.0:
            self.note(code, "deployment", "The replicas are already saturated (capacity-exceeded).")
            return
        target = self.constraints.target_utilisation
        needed = max(1, math.ceil(replicas * utilisation / target - 1e-9))
        tradeoffs = [
            f"Headroom for peaks: sized for a mean utilisation of {target:.0%} (constraints.target_utilisation); bursty traffic may need autoscaling.",
        ]
        if needed < replicas:
            result = self.try_estimate(code, f"replicas={needed}", {"deployment": {"replicas": needed}})
            if result is not None:
                patch, estimate = result
                self.add(
                    code,
                    f"replicas={needed}",
                    f"Run {needed} instead of {replicas} dedicated replicas",
                    (
                        f"The {replicas} replicas are busy {utilisation:.1%} of the time; idle accelerators still draw power. "
                        f"{needed} replica(s) carry the same demand at about {min(1.0, replicas * utilisation / needed):.0%} "
                        f"utilisation: emissions {self._pct(estimate)} lower."
                    ),
                    patch,
                    estimate,
                    tradeoffs,
                    [S_MORRISON, S_AWS, S_GCP, S_AZURE],
                )
        result = self.try_estimate(code, "on_demand", {"deployment": {"mode": "on_demand", "replicas": None, "hours": None}})
        if result is not None:
            patch, estimate = result
            self.add(
                code,
                "on_demand",
                "Serve on demand (scale to zero) instead of dedicated replicas",
                (
                    f"The dedicated replicas are busy {utilisation:.1%} of the time. A shared on-demand endpoint or autoscaling "
                    "to zero only runs for busy time, so no idle power is drawn for this workload: emissions "
                    f"{self._pct(estimate)} lower (an upper bound on what scaling to demand can save)."
                ),
                patch,
                estimate,
                [
                    "Cold starts add latency after idle periods; a shared endpoint's capacity is outside your control.",
                    "The on-demand estimate counts busy time only; a provider's shared fleet also idles sometimes.",
                ],
                [S_MORRISON, S_AWS, S_GCP, S_AZURE],
            )
