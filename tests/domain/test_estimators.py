"""Estimators on the shipped catalog: exact inputs give exact, hand-computable answers; defaults give ranges."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.domain import (
    EstimationError,
    Estimator,
    MissingReferenceFigureError,
    UnderdeterminedError,
    UnknownReferenceError,
)
from service.domain.defaults import INDUSTRY_PUE
from service.domain.fine_tuning import fine_tuning_memory_gb
from service.domain.inference import SharedSteps
from service.domain.inputs import (
    DatacenterSpec,
    DeploymentSpec,
    FineTuningRequest,
    HardwareSpec,
    InferenceRequest,
    MeasuredSpec,
    ModelSpec,
    RagSpec,
    SloSpec,
    TrafficSpec,
    TrainingRequest,
)
from service.domain.throughput import TRAINING_POWER_FRACTION_OF_TDP

EXACT_SITE = DatacenterSpec(carbon_intensity_gco2e_per_kwh=400.0, pue=1.2, wue_l_per_kwh=0.5)


@pytest.fixture(scope="module")
def estimator(catalog):
    return Estimator(catalog)


def test_training_with_every_input_given_is_exact(estimator):
    # 8 GPUs x 10 h = 80 GPU-h x 500 W = 40 kWh; host 0; x PUE 1.2 = 48 kWh; x 400 g = 19.2 kg; water 40 x 0.5 = 20 L.
    request = TrainingRequest(
        hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8, power_w=500, host_overhead_fraction=0),
        duration_hours=10,
        datacenter=EXACT_SITE,
        include_embodied=False,
    )
    body = estimator.training(request).as_dict()
    for key, expected in (("energy_kwh", 48.0), ("emissions_kgco2e", 19.2), ("water_l", 20.0)):
        assert body[key] == pytest.approx({"value": expected, "low": expected, "high": expected}, rel=1e-12)
    assert body["compute"]["accelerator_hours"]["value"] == pytest.approx(80.0, rel=1e-12)
    assert body["compute"]["duration_hours"]["value"] == pytest.approx(10.0, rel=1e-12)
    assert body["breakdown"]["facility_overhead_kwh"]["value"] == pytest.approx(8.0, rel=1e-12)
    assert body["warnings"] == []
    statuses = {a["name"]: a["status"] for a in body["assumptions"]}
    assert statuses["power_w"] == statuses["pue"] == statuses["carbon_intensity"] == "input"


def test_training_runs_multiply_everything(estimator):
    base = TrainingRequest(hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=4), duration_hours=5)
    one = estimator.training(base).as_dict()
    three = estimator.training(TrainingRequest(hardware=base.hardware, duration_hours=5, runs=3)).as_dict()
    assert three["energy_kwh"]["value"] == pytest.approx(3 * one["energy_kwh"]["value"], rel=1e-12)


def test_training_from_flops_uses_default_mfu_and_power(estimator, catalog):
    request = TrainingRequest(
        model=ModelSpec(parameters_billion=7.0),
        training_tokens_billion=1000,
        hardware=HardwareSpec(accelerator="nvidia-a100-sxm4-80gb", count=512),
    )
    body = estimator.training(request).as_dict()
    # 6 N D plus attention at the default 4,096-token sequence: x (1 + 4096 / (6 d)), d = (128/12 x 7e9)^(1/3).
    d_model = (128 / 12 * 7e9) ** (1 / 3)
    assert body["compute"]["flops"]["value"] == pytest.approx(6 * 7e9 * 1e12 * (1 + 4096 / (6 * d_model)), rel=1e-12)
    energy = body["energy_kwh"]
    assert energy["low"] < energy["value"] < energy["high"]
    power = next(a for a in body["assumptions"] if a["name"] == "power_w")
    assert power["status"] == "default"
    assert power["value"]["value"] == pytest.approx(400 * TRAINING_POWER_FRACTION_OF_TDP.range.value, rel=1e-12)
    assert [w["code"] for w in body["warnings"]] == ["no-location"]


def test_mixture_of_experts_uses_active_parameters(estimator):
    dense = estimator.training(
        TrainingRequest(
            model=ModelSpec(parameters_billion=47.0),
            training_tokens_billion=100,
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
        )
    )
    moe = estimator.training(
        TrainingRequest(
            model=ModelSpec(parameters_billion=47.0, active_parameters_billion=13.0),
            training_tokens_billion=100,
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
        )
    )
    # FLOPs follow the active parameters (attention included): exactly a dense 13B model's.
    dense_13b = estimator.training(
        TrainingRequest(
            model=ModelSpec(parameters_billion=13.0),
            training_tokens_billion=100,
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
        )
    )
    assert moe.flops.value == pytest.approx(dense_13b.flops.value, rel=1e-12)
    assert moe.flops.value < dense.flops.value * 0.3


def test_training_without_enough_inputs_names_what_would_do(estimator):
    with pytest.raises(UnderdeterminedError) as error:
        estimator.training(TrainingRequest(hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb")))
    assert "accelerator_hours" in error.value.message and "training_tokens_billion" in error.value.message


def test_unknown_accelerator_suggests_close_ids(estimator):
    with pytest.raises(UnknownReferenceError) as error:
        estimator.training(
            TrainingRequest(hardware=HardwareSpec(accelerator="nvidia-h100-sxm-80gb", count=1), duration_hours=1)
        )
    assert "nvidia-h100-sxm5-80gb" in error.value.suggestions
    assert error.value.field == "hardware.accelerator"


def test_unpublished_tdp_gets_the_sourced_default_with_a_warning(estimator, catalog):
    request = TrainingRequest(hardware=HardwareSpec(accelerator="aws-trainium2", count=16), duration_hours=1)
    estimate = estimator.training(request)
    assert "power-not-published" in {w.code for w in estimate.ledger.warnings}
    default = catalog.accelerators["aws-trainium2"].default_power_w
    assert estimate.footprint.accelerators_kwh.value == pytest.approx(16 * default / 1000, rel=1e-12)
    given = TrainingRequest(hardware=HardwareSpec(accelerator="aws-trainium2", count=16, power_w=500), duration_hours=1)
    assert estimator.training(given).footprint.accelerators_kwh.value == pytest.approx(16 * 500 / 1000, rel=1e-12)


def test_an_accelerator_without_any_power_figure_asks_for_power_w(catalog):
    import dataclasses

    from service.domain.assumptions import Ledger
    from service.domain.power import reference_power

    bare = dataclasses.replace(catalog.accelerators["aws-trainium2"], default_power_w=None)
    with pytest.raises(MissingReferenceFigureError) as error:
        reference_power(bare, Ledger())
    assert error.value.field == "hardware.power_w"


def test_region_gives_catalog_grid_pue_and_wue(estimator, catalog):
    region = catalog.regions[("aws", "us-east-1")]
    body = estimator.training(
        TrainingRequest(
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8, power_w=700, host_overhead_fraction=0),
            duration_hours=1,
            datacenter=DatacenterSpec(provider="aws", region="us-east-1"),
            include_embodied=False,
        )
    ).as_dict()
    it_kwh = 8 * 700 / 1000
    assert body["energy_kwh"]["value"] == pytest.approx(it_kwh * region.pue.value, rel=1e-12)
    assert body["emissions_kgco2e"]["value"] == pytest.approx(
        it_kwh * region.pue.value * region.grid_ci_gco2e_per_kwh / 1000, rel=1e-12
    )
    assert body["water_l"]["value"] == pytest.approx(it_kwh * region.wue.value, rel=1e-12)
    # AWS lists us-east-1 as 100% renewable-matched: market-based operational emissions are zero.
    assert body["market_based_emissions_kgco2e"]["value"] == 0.0


def test_no_location_uses_world_average_with_wide_range(estimator, catalog):
    body = estimator.training(
        TrainingRequest(hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=1), duration_hours=1)
    ).as_dict()
    ci = next(a for a in body["assumptions"] if a["name"] == "carbon_intensity")["value"]
    assert ci["value"] == catalog.world.grid_ci_gco2e_per_kwh
    assert ci["low"] < ci["value"] < ci["high"]
    pue = next(a for a in body["assumptions"] if a["name"] == "pue")["value"]
    assert pue["value"] == INDUSTRY_PUE.range.value
    assert body["market_based_emissions_kgco2e"] is None


def test_country_location(estimator, catalog):
    body = estimator.training(
        TrainingRequest(
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=1),
            duration_hours=1,
            datacenter=DatacenterSpec(country="fr"),
        )
    ).as_dict()
    ci = next(a for a in body["assumptions"] if a["name"] == "carbon_intensity")
    assert ci["value"] == catalog.countries["FR"].grid_ci_gco2e_per_kwh


@pytest.mark.parametrize(
    ("preset", "method", "accelerator", "expected_minimum"),
    [
        # QLoRA fine-tuned a 65B model on one 48 GB GPU (Dettmers et al. 2023).
        pytest.param("llama-1-65b", "qlora", "nvidia-l40s", 1, id="qlora-65b-one-48gb-gpu"),
        # Full fine-tuning: 65.2e9 x 16 B x 1.2 = 1,252 GB -> 1,252 / 72 GB usable = 17.4 -> 18 x 80 GB.
        pytest.param("llama-1-65b", "full", "nvidia-a100-sxm4-80gb", 18, id="full-65b-many-80gb-gpus"),
    ],
)
def test_fine_tuning_memory_sets_minimum_accelerators(estimator, preset, method, accelerator, expected_minimum):
    estimate = estimator.fine_tuning(
        FineTuningRequest(
            model=ModelSpec(preset=preset),
            method=method,
            dataset_tokens_million=10,
            hardware=HardwareSpec(accelerator=accelerator),
        )
    )
    assert estimate.memory.minimum_accelerators == expected_minimum
    assert estimate.accelerator_count == expected_minimum


def test_fine_tuning_memory_per_method_ordering():
    full, lora, qlora = (fine_tuning_memory_gb(7e9, m, 0.005) for m in ("full", "lora", "qlora"))
    assert full > lora > qlora
    # Full: 7e9 x 16 bytes x 1.2 = 134.4 GB
    assert full == pytest.approx(134.4, rel=1e-12)


def test_lora_costs_less_compute_than_full(estimator):
    common = {
        "model": ModelSpec(preset="llama-3.1-8b"),
        "dataset_tokens_million": 100,
        "hardware": HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8),
    }
    full = estimator.fine_tuning(FineTuningRequest(method="full", **common))
    lora = estimator.fine_tuning(FineTuningRequest(method="lora", trainable_parameters_fraction=0.01, **common))
    # Frozen weights save the weight gradients, 6 - 4.02 = 1.98 FLOPs per parameter-token; attention is unchanged.
    assert lora.flops.value == pytest.approx(full.flops.value - 1.98 * 8e9 * 100e6, rel=1e-12)


def test_inference_defaults_count_to_fit_memory(estimator):
    estimate = estimator.inference(
        InferenceRequest(
            model=ModelSpec(parameters_billion=70.0),
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
            requests=1000,
        )
    )
    # 140 GB of weights and one 750-token sequence's KV cache (sqrt(70/8) x 128 KiB per token) fit 2 x 72 GB usable;
    # the default replica also holds 88 such sequences (21 GB): 161 GB -> 3 -> a power of two, 4.
    assert estimate.serving.minimum_accelerators_per_replica == 2
    assert estimate.serving.accelerators_per_replica == 4


def test_dedicated_low_utilisation_costs_more_per_request(estimator):
    model, hw = ModelSpec(preset="llama-3.1-8b"), HardwareSpec(accelerator="nvidia-h100-sxm5-80gb")
    on_demand = estimator.inference(InferenceRequest(model=model, hardware=hw, requests=1000))
    idle_heavy = estimator.inference(
        InferenceRequest(
            model=model, hardware=hw, requests=1000, deployment=DeploymentSpec(mode="dedicated", replicas=2, hours=24)
        )
    )
    assert idle_heavy.per_request.energy_wh.value > 10 * on_demand.per_request.energy_wh.value
    # 1,000 requests one at a time, about 2 s each, over 2 replicas x 24 h: about 1% busy.
    assert idle_heavy.serving.utilisation < 0.02


def test_dedicated_capacity_exceeded_warns(estimator):
    estimate = estimator.inference(
        InferenceRequest(
            model=ModelSpec(preset="llama-3.1-70b"),
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
            requests=1e9,
            deployment=DeploymentSpec(mode="dedicated", replicas=1, hours=1),
        )
    )
    assert "capacity-exceeded" in [w.code for w in estimate.ledger.warnings]


def test_dedicated_without_hours_is_refused_by_the_domain_itself(estimator):
    # The request schema refuses this too; the domain must not count on it (a TypeError would be a 500).
    request = InferenceRequest(
        model=ModelSpec(preset="llama-3.1-8b"),
        hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
        requests=1000,
        deployment=DeploymentSpec(mode="dedicated", replicas=2),
    )
    with pytest.raises(EstimationError) as refused:
        estimator.inference(request)
    assert refused.value.field == "deployment.hours"


def test_inference_quantisation_lowers_energy(estimator):
    common = {
        "model": ModelSpec(preset="llama-3.1-70b"),
        "requests": 1000,
        "batch_size": 8,
        "input_tokens_per_request": 500,
        "output_tokens_per_request": 300,
    }
    bf16 = estimator.inference(
        InferenceRequest(hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", precision="bf16"), **common)
    )
    fp8 = estimator.inference(
        InferenceRequest(hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", precision="fp8"), **common)
    )
    assert fp8.footprint.energy_kwh.value < bf16.footprint.energy_kwh.value


def test_every_range_is_ordered(estimator):
    estimate = estimator.inference(
        InferenceRequest(
            model=ModelSpec(preset="mixtral-8x7b"), hardware=HardwareSpec(instance_type="p4d.24xlarge"), requests=50_000
        )
    )

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"value", "low", "high"}:
                assert node["low"] <= node["value"] <= node["high"]
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(estimate.as_dict())


def test_fine_tuning_on_instances_rounds_up_to_whole_instances(estimator):
    # Full fine-tuning of 65.2B needs 18 x 80 GB accelerators -> three p4de.24xlarge (8 x A100 80 GB each) = 24.
    estimate = estimator.fine_tuning(
        FineTuningRequest(
            model=ModelSpec(preset="llama-1-65b"),
            method="full",
            dataset_tokens_million=1,
            hardware=HardwareSpec(instance_type="p4de.24xlarge"),
        )
    )
    assert estimate.accelerator_count == 24


def test_active_parameters_just_over_the_total_are_named_precisely(estimator):
    request = TrainingRequest(
        model=ModelSpec(preset="llama-3.1-405b", active_parameters_billion=405.00001),
        training_tokens_billion=100,
        hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
    )
    with pytest.raises(EstimationError) as error:
        estimator.training(request)
    # With :g formatting both numbers printed as 405, and the message contradicted itself.
    assert error.value.message == "active_parameters_billion (405.00001) cannot exceed parameters_billion (405)."


_RANKED_WORKLOADS = {
    "on-demand-defaults": InferenceRequest(
        model=ModelSpec(preset="llama-3.1-70b"), hardware=HardwareSpec(), requests=1e6
    ),
    "dedicated-requests": InferenceRequest(
        model=ModelSpec(preset="llama-3.1-70b"),
        hardware=HardwareSpec(count=4),
        requests=1e6,
        input_tokens_per_request=1000,
        output_tokens_per_request=300,
        deployment=DeploymentSpec(mode="dedicated", replicas=2, hours=720),
        datacenter=DatacenterSpec(provider="aws", region="ap-south-1"),
    ),
    "traffic-slo-moe": InferenceRequest(
        model=ModelSpec(preset="gpt-oss-120b"),
        hardware=HardwareSpec(count=2),
        traffic=TrafficSpec(requests_per_second=2),
        input_tokens_per_request=1500,
        output_tokens_per_request=600,
        deployment=DeploymentSpec(mode="dedicated", replicas=2, hours=720),
        slo=SloSpec(max_latency_seconds=30, max_time_to_first_token_seconds=1),
        datacenter=DatacenterSpec(provider="gcp", region="europe-west4"),
    ),
    "rag-index-given-power": InferenceRequest(
        model=ModelSpec(parameters_billion=8),
        hardware=HardwareSpec(power_w=350, host_overhead_fraction=0.2),
        requests=5e5,
        batch_size=16,
        rag=RagSpec(retrieved_tokens_per_request=2000, embedding_parameters_billion=0.3, corpus_tokens_billion=2),
        include_embodied=False,
    ),
    "measured-eager": InferenceRequest(
        model=ModelSpec(preset="llama-3.1-8b"),
        hardware=HardwareSpec(),
        requests=2e5,
        deployment=DeploymentSpec(mode="dedicated", replicas=1, hours=48, engine="eager"),
        measured=MeasuredSpec(it_energy_kwh=120.0),
        datacenter=DatacenterSpec(country="FR"),
    ),
}


@pytest.mark.parametrize(
    ("name", "on"), [(name, "accelerator") for name in _RANKED_WORKLOADS] + [("dedicated-requests", "instance_type")]
)
def test_ranking_figures_are_the_estimates_to_the_bit_on_every_accelerator(estimator, catalog, name, on):
    # Recommendations rank candidates on these figures and show the finished estimate: a ranking that differed
    # from the shown figures in the last bit could order candidates differently from what the answer says.
    workload = _RANKED_WORKLOADS[name]
    compared = 0
    shared = SharedSteps()  # as a recommendation ranks them: what the candidates share is prepared once
    first = None
    for ident in catalog.accelerators if on == "accelerator" else catalog.instances:
        hardware = replace(
            workload.hardware, **{on: ident}, count=None if on == "instance_type" else workload.hardware.count
        )
        request = replace(workload, hardware=hardware)
        try:
            full = estimator.estimate("inference", request)
        except EstimationError:
            with pytest.raises(EstimationError):
                estimator.central("inference", request)
            continue
        central = estimator.central("inference", request)
        sharing = estimator.central("inference", request, shared)
        assert sharing.inference is not None and central.inference is not None
        first = first or sharing.inference.served
        assert sharing.inference.served.model is first.model  # taken once, not resolved again
        assert (sharing.emissions_kgco2e, sharing.latency_seconds) == (
            central.emissions_kgco2e,
            central.latency_seconds,
        )
        assert estimator.finish(sharing).as_dict() == full.as_dict(), ident  # the same assumptions, in order
        assert central.emissions_kgco2e == full.footprint.emissions_kgco2e.value, ident
        assert central.latency_seconds == full.serving.latency_seconds.value, ident
        # An alternative beside a recommendation shows only the footprint, made without the rest.
        assert estimator.finished_footprint(central) == full.footprint, ident
        assert estimator.finish(central).as_dict() == full.as_dict(), ident
        assert estimator.finish(central).as_dict() == full.as_dict(), ident  # finishing twice gives the same
        compared += 1
    assert compared >= 20


@pytest.mark.parametrize("kind", ["training", "fine-tuning"])
def test_ranking_a_training_job_is_its_full_estimate(estimator, kind):
    request = (
        TrainingRequest(
            model=ModelSpec(preset="llama-3.1-8b"),
            training_tokens_billion=100,
            hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8),
        )
        if kind == "training"
        else FineTuningRequest(
            model=ModelSpec(preset="llama-3.1-8b"),
            method="lora",
            dataset_tokens_million=50,
            hardware=HardwareSpec(accelerator="nvidia-a100-sxm4-80gb"),
        )
    )
    central = estimator.central(kind, request)
    assert central.estimate is not None and estimator.finish(central) is central.estimate
    assert estimator.finished_footprint(central) is central.estimate.footprint
    assert central.emissions_kgco2e == estimator.estimate(kind, request).footprint.emissions_kgco2e.value
    assert central.latency_seconds is None
