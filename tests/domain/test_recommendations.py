"""Recommendations on realistic workloads: each code, constraints, and the "saves something" rule."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from service.domain.calibration import TRAINING_THROUGHPUT
from service.domain.errors import UnknownReferenceError
from service.domain.estimator import Estimator
from service.domain.footprint import relocated, relocated_emissions_kgco2e
from service.domain.inputs import (
    DatacenterSpec,
    DeploymentSpec,
    FineTuningRequest,
    HardwareSpec,
    InferenceRequest,
    ModelSpec,
    TrainingRequest,
)
from service.domain.recommendations import (
    CODES_BY_KIND,
    Constraints,
    RagComparison,
    Recommender,
    apply_patch,
)
from service.reference import load_catalog

H100 = "nvidia-h100-sxm5-80gb"
A100 = "nvidia-a100-sxm4-80gb"


@pytest.fixture(scope="module")
def estimator() -> Estimator:
    return Estimator(load_catalog())


@pytest.fixture(scope="module")
def recommender(estimator) -> Recommender:
    return Recommender(estimator)


def _inference(**changes) -> InferenceRequest:
    base = InferenceRequest(
        model=ModelSpec(preset="llama-3.1-70b"),
        hardware=HardwareSpec(accelerator=H100),
        requests=1_000_000,
        input_tokens_per_request=1000,
        output_tokens_per_request=300,
        datacenter=DatacenterSpec(provider="aws", region="ap-south-1"),  # India: coal-heavy grid
    )
    return replace(base, **changes)


def _full_fine_tune(**changes) -> FineTuningRequest:
    base = FineTuningRequest(
        model=ModelSpec(preset="llama-3.1-8b"),
        method="full",
        dataset_tokens_million=100,
        epochs=3,
        hardware=HardwareSpec(accelerator=A100, count=8),
        datacenter=DatacenterSpec(provider="aws", region="us-east-1"),
    )
    return replace(base, **changes)


def _training(**changes) -> TrainingRequest:
    base = TrainingRequest(
        model=ModelSpec(preset="llama-3.1-8b"),
        training_tokens_billion=15000,
        hardware=HardwareSpec(accelerator=H100, count=1024),
        runs=1,
        datacenter=DatacenterSpec(provider="aws", region="us-east-1"),
    )
    return replace(base, **changes)


def _sized_emissions(recommender, rec, hardware: dict) -> float:
    """Emissions of a recommendation's change at a given accelerator count per replica."""
    change = {**rec.change, "hardware": {**rec.change.get("hardware", {}), **hardware}}
    changed = apply_patch(_inference(hardware=HardwareSpec(accelerator=H100, count=4)), change)
    return recommender.estimator.inference(changed).footprint.emissions_kgco2e.value


def _by(result, code):
    return [r for r in result.recommendations if r.code == code]


def _one(result, code, variant=None):
    found = [r for r in _by(result, code) if variant is None or r.variant == variant]
    assert found, f"no {code} {variant or ''} in {[(r.code, r.variant) for r in result.recommendations]}"
    return found[0]


def _kg(estimate) -> float:
    return estimate.footprint.emissions_kgco2e.value


# -- general contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "request_"),
    [("inference", _inference()), ("fine-tuning", _full_fine_tune(runs=3)), ("training", _training(runs=2))],
)
def test_every_recommendation_saves_is_sorted_and_reproducible(recommender, estimator, kind, request_):
    result = recommender.recommend(kind, request_)
    assert result.recommendations
    base = _kg(result.baseline)
    saved = [r.savings.emissions_kgco2e.value for r in result.recommendations]
    assert saved == sorted(saved, reverse=True)
    for rec in result.recommendations:
        assert rec.code in CODES_BY_KIND[kind]
        assert rec.evidence == "engine"
        assert _kg(rec.estimate) < base
        assert rec.savings.emissions_kgco2e.value == pytest.approx(base - _kg(rec.estimate), rel=1e-9)
        assert rec.savings.emissions_percent == pytest.approx(100 * (base - _kg(rec.estimate)) / base, rel=1e-9)
        assert (
            rec.savings.emissions_kgco2e.low >= 0 and rec.savings.energy_kwh.low >= 0 and rec.savings.water_l.low >= 0
        )
        assert rec.tradeoffs and rec.sources and rec.rationale and rec.title
        if rec.code != "retrieval_instead_of_fine_tuning":
            # The change is exactly what the engine re-estimated.
            again = estimator.estimate(kind, apply_patch(request_, rec.change))
            assert _kg(again) == pytest.approx(_kg(rec.estimate), rel=1e-12)


@pytest.mark.parametrize(
    ("kind", "request_"),
    [
        pytest.param("inference", _inference(), id="inference-on-demand"),
        pytest.param(
            "inference",
            _inference(deployment=DeploymentSpec(mode="dedicated", replicas=2, hours=720)),
            id="inference-dedicated",
        ),
        pytest.param("fine-tuning", _full_fine_tune(runs=3), id="fine-tuning"),
        pytest.param("training", _training(include_embodied=False), id="training-without-embodied"),
    ],
)
def test_relocating_the_work_is_re_estimating_it_elsewhere(estimator, kind, request_):
    # greener_region ranks every region on the baseline's energy priced there: it must be the full estimate's
    # answer exactly, or the ranking could differ from what the shown estimates say.
    work = estimator.estimate(kind, request_).footprint
    for (provider, region), site in estimator.region_sites.items():
        moved = replace(request_, datacenter=DatacenterSpec(provider=provider, region=region))
        again = estimator.estimate(kind, moved).footprint
        assert relocated(work, site) == again, (provider, region)
        assert relocated_emissions_kgco2e(work, site) == again.emissions_kgco2e.value, (provider, region)


def test_codes_are_kind_specific(recommender):
    assert {r.code for r in recommender.recommend("training", _training(runs=4)).recommendations} <= {
        "greener_region",
        "efficient_hardware",
        "fewer_runs",
    }
    inference_codes = {r.code for r in recommender.recommend("inference", _inference()).recommendations}
    assert "parameter_efficient_fine_tuning" not in inference_codes and "fewer_runs" not in inference_codes


# -- greener_region -----------------------------------------------------------------------------------


def test_greener_region_top_is_the_cleanest_allowed_region(recommender, estimator):
    request = _inference()
    result = recommender.recommend("inference", request, Constraints(providers=("aws",)))
    rec = _one(result, "greener_region")
    catalog = estimator.catalog
    aws = [key for key in catalog.regions if key[0] == "aws"]
    by_estimate = {
        key: _kg(estimator.inference(replace(request, datacenter=DatacenterSpec(provider="aws", region=key[1]))))
        for key in aws
    }
    best = min(by_estimate, key=by_estimate.get)
    assert rec.variant == f"aws:{best[1]}"
    assert rec.change == {"datacenter": {"region": best[1]}}
    # Only the grid changes the answer much: the best region is also the lowest-intensity one.
    cleanest = min(aws, key=lambda k: catalog.regions[k].grid_ci_gco2e_per_kwh)
    assert catalog.regions[best].grid_ci_gco2e_per_kwh == pytest.approx(
        catalog.regions[cleanest].grid_ci_gco2e_per_kwh, rel=0.05
    )
    assert rec.savings.emissions_percent > 50
    assert len(rec.alternatives) == 5
    alt_kg = [a.emissions_kgco2e.value for a in rec.alternatives]
    assert alt_kg == sorted(alt_kg) and alt_kg[0] >= _kg(rec.estimate)


def test_greener_region_respects_country_and_region_constraints(recommender, estimator):
    result = recommender.recommend("inference", _inference(), Constraints(countries=("DE", "FR")))
    rec = _one(result, "greener_region")
    provider, region = rec.variant.split(":")
    assert estimator.catalog.regions[(provider, region)].country_iso2 in ("DE", "FR")
    for alternative in rec.alternatives:
        p, r = alternative.label.split(":")
        assert estimator.catalog.regions[(p, r)].country_iso2 in ("DE", "FR")

    result = recommender.recommend("inference", _inference(), Constraints(regions=("aws:eu-west-1", "europe-west1")))
    assert _one(result, "greener_region").variant in ("aws:eu-west-1", "gcp:europe-west1")


def test_no_greener_region_when_already_in_the_cleanest_allowed(recommender):
    request = _inference(datacenter=DatacenterSpec(provider="aws", region="eu-north-1"))
    result = recommender.recommend("inference", request, Constraints(regions=("aws:eu-north-1", "aws:ap-south-1")))
    assert not _by(result, "greener_region")


def test_unknown_constraint_ids_are_rejected_with_suggestions(recommender):
    with pytest.raises(UnknownReferenceError) as info:
        recommender.recommend("inference", _inference(), Constraints(regions=("aws:eu-nort-1",)))
    assert info.value.field == "constraints.regions.0"
    assert "aws:eu-north-1" in info.value.suggestions
    with pytest.raises(UnknownReferenceError):
        recommender.recommend("inference", _inference(), Constraints(accelerators=("h100",)))


# -- efficient_hardware -------------------------------------------------------------------------------


def test_efficient_hardware_fits_memory_and_names_unrankable_accelerators(recommender, estimator):
    result = recommender.recommend("inference", _inference())
    rec = _one(result, "efficient_hardware")
    accelerator = estimator.catalog.accelerators[rec.variant]
    serving = rec.estimate.serving
    assert serving.accelerators_per_replica >= serving.minimum_accelerators_per_replica
    assert serving.memory_required_gb <= serving.accelerators_per_replica * accelerator.memory_gb
    noted = {n.subject: n.reason for n in result.notes if n.code == "efficient_hardware"}
    assert "cannot be ranked on energy" in noted["aws-trainium2"]
    assert "nvidia-t4" in noted  # 168 GB of weights would need 16 T4s per replica
    for alternative in rec.alternatives:
        assert alternative.label not in noted


def test_efficient_hardware_respects_allowed_and_excluded(recommender):
    allowed = ("nvidia-a100-sxm4-80gb", "nvidia-l40s", "nvidia-h100-nvl-94gb", "nvidia-h200-sxm-141gb")
    constraints = Constraints(accelerators=allowed, exclude_accelerators=("nvidia-h100-nvl-94gb",))
    rec = _one(recommender.recommend("inference", _inference(), constraints), "efficient_hardware")
    permitted = set(allowed) - {"nvidia-h100-nvl-94gb"}
    assert rec.variant in permitted
    assert all(a.label in permitted for a in rec.alternatives)
    # Nothing allowed that saves anything: no recommendation at all.
    none = recommender.recommend("inference", _inference(), Constraints(accelerators=("nvidia-a100-sxm4-80gb",)))
    assert not _by(none, "efficient_hardware")


def test_efficient_hardware_for_training_scales_given_hours_by_peak(recommender, estimator):
    request = TrainingRequest(
        hardware=HardwareSpec(accelerator="nvidia-v100-sxm2-32gb", count=64),
        accelerator_hours=100_000,
        model=ModelSpec(preset="llama-3.2-1b"),
        datacenter=DatacenterSpec(provider="aws", region="us-east-1"),
    )
    rec = _one(recommender.recommend("training", request, Constraints(accelerators=(A100,))), "efficient_hardware")
    # Same work: hours scale with the throughput model's seconds per FLOP, a / peak + r / bandwidth
    # (V100: fp16 125 TFLOP/s, 900 GB/s; A100: bf16 312 TFLOP/s, 2,039 GB/s).
    a, r = TRAINING_THROUGHPUT.compute_seconds_per_flop_x_peak, TRAINING_THROUGHPUT.memory_bytes_per_flop
    ratio = (a / 312e12 + r / 2039e9) / (a / 125e12 + r / 900e9)
    assert rec.change["accelerator_hours"] == pytest.approx(100_000 * ratio, rel=1e-12)
    assert rec.change["hardware"] == {"accelerator": A100}


# -- fine-tuning ----------------------------------------------------------------------------------------


def test_peft_saves_and_lowers_minimum_accelerators(recommender):
    result = recommender.recommend("fine-tuning", _full_fine_tune())
    base_memory = result.baseline.memory
    assert base_memory.minimum_accelerators == 3  # 8B x 16 bytes x 1.2 = 154 GB over 90% of 80 GB
    rec = _one(result, "parameter_efficient_fine_tuning", "lora")
    memory = rec.estimate.memory
    assert memory.required_gb < base_memory.required_gb / 5
    assert memory.minimum_accelerators == 1
    # Memory allows one accelerator, but the count keeps the run within 1.5 x today's 8-accelerator duration:
    # the fewest accelerators c with LoRA's accelerator-hours / c <= 1.5 x the baseline's duration.
    baseline_duration = result.baseline.duration_hours.value
    fewest = math.ceil(rec.estimate.accelerator_hours.value / (1.5 * baseline_duration) - 1e-9)
    assert 1 < fewest < 8
    assert rec.change == {"method": "lora", "hardware": {"count": fewest}}
    assert rec.estimate.duration_hours.value <= 1.5 * baseline_duration * (1 + 1e-12)
    assert any(t.startswith("Wall-clock duration per run: x") for t in rec.tradeoffs)
    assert rec.savings.emissions_percent > 20
    assert f"minimum accelerators {base_memory.minimum_accelerators} -> 1" in rec.rationale
    # QLoRA needs even less memory but more compute per token (recomputation, lower MFU): on the same
    # accelerator it saves no emissions, so it is not proposed, and the note says why.
    assert not _by(result, "parameter_efficient_fine_tuning") or all(
        r.variant == "lora" for r in _by(result, "parameter_efficient_fine_tuning")
    )
    qlora = [n for n in result.notes if n.code == "parameter_efficient_fine_tuning" and n.subject == "qlora"]
    assert qlora and "GB" in qlora[0].reason


def test_peft_absent_for_peft_baseline_and_qlora_blocked_by_keep_precision(recommender):
    assert not _by(
        recommender.recommend("fine-tuning", _full_fine_tune(method="lora")), "parameter_efficient_fine_tuning"
    )
    result = recommender.recommend("fine-tuning", _full_fine_tune(), Constraints(keep_precision=True))
    assert [r.variant for r in _by(result, "parameter_efficient_fine_tuning")] == ["lora"]
    assert any(n.subject == "qlora" and "keep_precision" in n.reason for n in result.notes)


def test_rag_instead_of_fine_tuning_below_break_even_only(recommender):
    request = _full_fine_tune()
    few = recommender.recommend("fine-tuning", request, rag_comparison=RagComparison(expected_requests=10_000))
    rec = _one(few, "retrieval_instead_of_fine_tuning")
    comparison = rec.comparison
    assert comparison["break_even_requests"] > 10_000
    assert rec.change["kind"] == "inference"
    assert rec.change["workload"]["rag"]["retrieved_tokens_per_request"] == 1000
    whole_path = comparison["fine_tuning_kgco2e"] + comparison["serving_fine_tuned_kgco2e"]
    assert rec.savings.emissions_kgco2e.value == pytest.approx(
        whole_path - comparison["serving_with_retrieval_kgco2e"], rel=1e-9
    )

    many = comparison["break_even_requests"] * 3
    result = recommender.recommend("fine-tuning", request, rag_comparison=RagComparison(expected_requests=many))
    assert not _by(result, "retrieval_instead_of_fine_tuning")
    assert any(n.code == "retrieval_instead_of_fine_tuning" and "Break-even" in n.reason for n in result.notes)


def test_fewer_runs(recommender):
    result = recommender.recommend("training", _training(runs=4))
    rec = _one(result, "fewer_runs")
    assert rec.change == {"runs": 2}
    assert rec.savings.emissions_percent == pytest.approx(50.0, rel=1e-9)
    assert not _by(recommender.recommend("training", _training()), "fewer_runs")


# -- inference --------------------------------------------------------------------------------------------


def test_smaller_model_same_family_and_keep_model(recommender):
    result = recommender.recommend("inference", _inference(hardware=HardwareSpec(accelerator=H100, count=4)))
    rec = _one(result, "smaller_model")
    assert rec.variant == "llama-3.1-8b"
    assert rec.change["model"] == {"preset": "llama-3.1-8b"}
    # Of the same 4 accelerators per replica and the fewest that hold the smaller model, the one that emits less.
    assert rec.estimate.footprint.emissions_kgco2e.value == pytest.approx(
        min(_sized_emissions(recommender, rec, {"count": 4}), _sized_emissions(recommender, rec, {"count": 1})),
        rel=1e-12,
    )
    assert {a.label for a in rec.alternatives} <= {"llama-3-8b", "llama-3.2-3b", "llama-3.2-1b"}
    assert not _by(recommender.recommend("inference", _inference(), Constraints(keep_model=True)), "smaller_model")
    by_size = recommender.recommend("inference", _inference(model=ModelSpec(parameters_billion=70)))
    assert not _by(by_size, "smaller_model")
    assert any(n.code == "smaller_model" for n in by_size.notes)


def test_quantization_picks_the_format_the_accelerator_supports(recommender):
    h100 = _one(
        recommender.recommend("inference", _inference(hardware=HardwareSpec(accelerator=H100, count=4))), "quantization"
    )
    assert h100.change["hardware"]["precision"] == "fp8"
    assert h100.estimate.serving.minimum_accelerators_per_replica == 1  # 70 GB of fp8 weights
    assert h100.estimate.footprint.emissions_kgco2e.value == pytest.approx(
        min(_sized_emissions(recommender, h100, {"count": 4}), _sized_emissions(recommender, h100, {"count": 1})),
        rel=1e-12,
    )
    small = _inference(model=ModelSpec(preset="llama-3.1-8b"))
    a100 = _one(
        recommender.recommend("inference", replace(small, hardware=HardwareSpec(accelerator=A100))), "quantization"
    )
    assert a100.variant == "int8"
    v100 = recommender.recommend(
        "inference", replace(small, hardware=HardwareSpec(accelerator="nvidia-v100-sxm2-32gb"))
    )
    assert _one(v100, "quantization").variant == "int4"
    assert not _by(recommender.recommend("inference", _inference(), Constraints(keep_precision=True)), "quantization")


def test_a_sizing_the_caller_cannot_apply_gives_way_to_the_other(recommender):
    # fp8 weights fit one H100: on dedicated replicas the fewer-accelerator sizing emits less and is offered;
    # when the caller could not apply it (any change of hardware.count refused), the same-count one is offered.
    request_ = _inference(
        hardware=HardwareSpec(accelerator=H100, count=4),
        deployment=DeploymentSpec(mode="dedicated", replicas=2, hours=720),
    )
    free = _one(recommender.recommend("inference", request_), "quantization")
    assert free.change["hardware"] == {"precision": "fp8", "count": 1}

    def refuse(patch):
        return "count is fixed" if "count" in patch.get("hardware", {}) else None

    result = recommender.recommend("inference", request_, refuse_change=refuse)
    kept = _one(result, "quantization")
    assert kept.change["hardware"] == {"precision": "fp8"}
    again = recommender.estimator.inference(apply_patch(request_, kept.change))
    assert again.accelerator_count == 8  # two replicas of the same four
    assert _kg(kept.estimate) == pytest.approx(_kg(again), rel=1e-12)
    assert _kg(kept.estimate) > _kg(free.estimate)
    assert any(n.code == "quantization" and n.reason == "count is fixed" for n in result.notes)


def test_shorter_prompts_is_a_30_percent_what_if(recommender):
    rec = _one(recommender.recommend("inference", _inference()), "shorter_prompts")
    assert rec.change == {"input_tokens_per_request": 700.0}
    assert "what-if" in rec.rationale.lower()


def test_larger_batch_and_latency_ceiling(recommender):
    request = _inference(batch_size=8)
    rec = _one(recommender.recommend("inference", request), "larger_batch")
    assert rec.change == {"batch_size": 16.0}
    busy = rec.estimate.serving.busy_seconds_per_request.value
    tight = recommender.recommend("inference", request, Constraints(max_latency_seconds_per_request=busy * 0.5))
    assert not _by(tight, "larger_batch")
    assert any(n.code == "larger_batch" and "max_latency" in n.reason for n in tight.notes)


def test_right_size_capacity_for_idle_dedicated_replicas(recommender):
    request = _inference(
        model=ModelSpec(preset="llama-3.1-8b"),
        requests=200_000,
        deployment=DeploymentSpec(mode="dedicated", replicas=4, hours=720),
    )
    result = recommender.recommend("inference", request)
    utilisation = result.baseline.serving.utilisation
    assert utilisation < 0.15
    fewer = _one(result, "right_size_capacity", "replicas=1")
    assert fewer.change == {"deployment": {"replicas": 1}}
    on_demand = _one(result, "right_size_capacity", "on_demand")
    assert on_demand.change == {"deployment": {"mode": "on_demand", "replicas": None, "hours": None}}
    assert on_demand.savings.emissions_kgco2e.value > fewer.savings.emissions_kgco2e.value
    assert not _by(recommender.recommend("inference", _inference()), "right_size_capacity")


def test_efficient_hardware_from_an_instance_type_keeps_the_work(recommender, estimator):
    request = TrainingRequest(
        hardware=HardwareSpec(instance_type="a2-highgpu-8g", count=1),
        duration_hours=10,
        datacenter=DatacenterSpec(provider="gcp", region="us-central1"),
    )
    rec = _one(
        recommender.recommend("training", request, Constraints(accelerators=("nvidia-h100-sxm5-80gb",))),
        "efficient_hardware",
    )
    # One instance of 8 x A100 40GB becomes 8 x H100 for 10 h x the ratio of seconds per FLOP (bf16 peak 312 vs
    # 989 TFLOP/s; bandwidth 1,555 vs 3,350 GB/s).
    a, r = TRAINING_THROUGHPUT.compute_seconds_per_flop_x_peak, TRAINING_THROUGHPUT.memory_bytes_per_flop
    ratio = (a / 989e12 + r / 3350e9) / (a / 312e12 + r / 1555e9)
    assert rec.change["hardware"] == {"accelerator": "nvidia-h100-sxm5-80gb", "instance_type": None, "count": 8}
    assert rec.estimate.accelerator_hours.value == pytest.approx(80 * ratio, rel=1e-12)
