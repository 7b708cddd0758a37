"""Reporting-grade accounting: market-based Scope 2 apart, off-site water, instances' own host power and
platform embodied, hardware the catalog does not list, and measured energy used exactly."""

from __future__ import annotations

import pytest

from service.domain import Estimator
from service.domain.inputs import (
    AcceleratorSpec,
    DatacenterSpec,
    DeploymentSpec,
    FineTuningRequest,
    HardwareSpec,
    InferenceRequest,
    MeasuredSpec,
    ModelSpec,
    TrainingRequest,
)


@pytest.fixture(scope="module")
def estimator(catalog):
    return Estimator(catalog)


def _training(hardware: HardwareSpec, **kwargs) -> TrainingRequest:
    return TrainingRequest(hardware=hardware, **{"duration_hours": 10.0, **kwargs})


# -- market-based apart ------------------------------------------------------------------------------------


def test_market_based_operational_is_scope_2_and_the_total_adds_embodied(estimator, catalog):
    matched = next(r for r in catalog.regions.values() if r.provider == "aws" and r.renewable_matched)
    request = _training(
        HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8),
        datacenter=DatacenterSpec(provider="aws", region=matched.id),
    )
    body = estimator.training(request).as_dict()
    scope2 = body["breakdown"]["market_based_operational_kgco2e"]
    assert scope2 == {"value": 0.0, "low": 0.0, "high": 0.0}  # on AWS's 100%-matched list
    embodied = body["breakdown"]["embodied_kgco2e"]
    assert body["market_based_emissions_kgco2e"]["value"] == pytest.approx(embodied["value"], rel=1e-12)


def test_market_based_operational_scales_the_location_based_figure(estimator, catalog):
    region = next(r for r in catalog.regions.values() if r.provider == "gcp" and r.provider_cfe_pct)
    body = estimator.training(
        _training(
            HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8),
            datacenter=DatacenterSpec(provider="gcp", region=region.id),
        )
    ).as_dict()
    factor = 1 - region.provider_cfe_pct / 100
    operational = body["breakdown"]["operational_kgco2e"]["value"]
    assert body["breakdown"]["market_based_operational_kgco2e"]["value"] == pytest.approx(
        operational * factor, rel=1e-12
    )
    total = body["market_based_emissions_kgco2e"]["value"]
    assert total == pytest.approx(operational * factor + body["breakdown"]["embodied_kgco2e"]["value"], rel=1e-12)


def test_market_based_is_null_where_no_factor_is_known(estimator):
    body = estimator.training(
        _training(HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8), datacenter=DatacenterSpec(country="DE"))
    ).as_dict()
    assert body["breakdown"]["market_based_operational_kgco2e"] is None
    assert body["market_based_emissions_kgco2e"] is None


# -- off-site water ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("datacenter", "iso2"),
    [
        pytest.param(DatacenterSpec(country="FR"), "FR", id="country"),
        pytest.param(DatacenterSpec(provider="aws", region="eu-north-1"), "SE", id="region-country"),
        pytest.param(DatacenterSpec(), None, id="world"),
    ],
)
def test_offsite_water_is_facility_energy_times_the_grid_water_intensity(estimator, catalog, datacenter, iso2):
    request = _training(
        HardwareSpec(accelerator="nvidia-a100-sxm4-80gb", count=8, power_w=400.0, host_overhead_fraction=0.0),
        datacenter=datacenter,
        include_embodied=False,
    )
    body = estimator.training(request).as_dict()
    water = catalog.grid_water[iso2] if iso2 else catalog.world_grid_water
    energy = body["energy_kwh"]["value"]
    offsite = body["breakdown"]["offsite_water_l"]
    assert offsite["value"] == pytest.approx(energy * water.l_per_kwh, rel=1e-12)
    assert offsite["low"] < offsite["value"] <= offsite["high"]
    assert body["water_l"]["value"] != offsite["value"]  # on-site water keeps its meaning


def test_offsite_water_override_is_exact(estimator):
    site = DatacenterSpec(carbon_intensity_gco2e_per_kwh=100.0, pue=1.5, wue_l_per_kwh=0.2, offsite_water_l_per_kwh=2.0)
    request = _training(
        HardwareSpec(accelerator="nvidia-a100-sxm4-80gb", count=8, power_w=400.0, host_overhead_fraction=0.0),
        datacenter=site,
        include_embodied=False,
    )
    # 80 h x 400 W = 32 kWh IT; x 1.5 = 48 kWh; x 2 L/kWh = 96 L.
    offsite = estimator.training(request).as_dict()["breakdown"]["offsite_water_l"]
    assert offsite == pytest.approx({"value": 96.0, "low": 96.0, "high": 96.0}, rel=1e-12)


# -- instances as they are ---------------------------------------------------------------------------------


def test_one_hour_of_a_p5_counts_host_energy_between_its_idle_and_full_figures(estimator, catalog):
    p5 = catalog.instances["p5.48xlarge"]
    body = estimator.training(
        TrainingRequest(hardware=HardwareSpec(instance_type="p5.48xlarge"), duration_hours=1.0)
    ).as_dict()
    host = body["breakdown"]["host_kwh"]
    assert body["compute"]["accelerator_count"] == p5.accelerator_count  # one instance when no count is given
    assert p5.host_power_w_idle / 1000 <= host["low"] <= host["value"] <= host["high"] <= p5.host_power_w_full / 1000
    names = {a["name"]: a for a in body["assumptions"]}
    assert "host_power_w" in names and "host_overhead_fraction" not in names


def test_an_instance_without_host_figures_keeps_the_generic_host_share(estimator, catalog):
    without = next(i for i in catalog.instances.values() if i.host_power_w_idle is None)
    body = estimator.training(
        TrainingRequest(hardware=HardwareSpec(instance_type=without.id), duration_hours=1.0)
    ).as_dict()
    assert "host_overhead_fraction" in {a["name"] for a in body["assumptions"]}


def test_an_instance_platform_embodied_figure_replaces_the_generic_server_share(estimator, catalog):
    p5 = catalog.instances["p5.48xlarge"]
    body = estimator.training(
        TrainingRequest(hardware=HardwareSpec(instance_type="p5.48xlarge"), duration_hours=1.0)
    ).as_dict()
    server = next(a for a in body["assumptions"] if a["name"] == "server_embodied_kgco2e_per_accelerator")
    assert server["value"]["value"] == pytest.approx(p5.embodied_kgco2e_platform / p5.accelerator_count, rel=1e-12)


def test_the_callers_host_share_wins_over_the_instance_figures(estimator):
    request = TrainingRequest(
        hardware=HardwareSpec(instance_type="p5.48xlarge", host_overhead_fraction=0.0), duration_hours=1.0
    )
    assert estimator.training(request).as_dict()["breakdown"]["host_kwh"]["value"] == 0.0


# -- bring your own accelerator ----------------------------------------------------------------------------


def _spec_like(catalog, accelerator_id: str, name: str = "my-h100") -> AcceleratorSpec:
    a = catalog.accelerators[accelerator_id]
    return AcceleratorSpec(
        name=name,
        tdp_w=a.tdp_w,
        memory_gb=a.memory_gb,
        memory_bandwidth_gb_per_s=a.memory_bandwidth_gb_per_s,
        peak_tflops=tuple((p, v) for p, v in a.peak_tflops.items() if v),
    )


@pytest.mark.parametrize("kind", ["training", "inference"])
def test_a_spec_with_an_h100s_figures_matches_the_catalog_h100(estimator, catalog, kind):
    spec = _spec_like(catalog, "nvidia-h100-sxm5-80gb")
    if kind == "training":

        def make(hw):
            return TrainingRequest(hardware=hw, model=ModelSpec(parameters_billion=8), training_tokens_billion=100)

    else:

        def make(hw):
            return InferenceRequest(model=ModelSpec(preset="llama-3.1-8b"), hardware=hw, requests=10_000)

    catalog_h100 = estimator.estimate(kind, make(HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8)))
    described = estimator.estimate(kind, make(HardwareSpec(spec=spec, count=8)))
    a = catalog_h100.footprint.accelerators_kwh.value
    assert described.footprint.accelerators_kwh.value == pytest.approx(a, rel=0.05)
    assert described.as_dict()["compute"]["accelerator"] == "custom:my-h100"


def test_a_peak_override_replaces_the_catalog_peak(estimator):
    base = HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8)
    slower = HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8, peak_tflops=(("bf16", 494.5),))
    model, tokens = ModelSpec(parameters_billion=8), 100.0
    fast = estimator.training(TrainingRequest(hardware=base, model=model, training_tokens_billion=tokens))
    slow = estimator.training(TrainingRequest(hardware=slower, model=model, training_tokens_billion=tokens))
    peak = next(a for a in slow.as_dict()["assumptions"] if a["name"] == "peak_tflops")
    assert peak["value"] == 494.5 and peak["status"] == "input"
    assert slow.accelerator_hours.value > fast.accelerator_hours.value


def test_an_accelerator_without_a_published_power_gets_a_sourced_default_with_a_warning(estimator, catalog):
    unpublished = [
        a
        for a in catalog.accelerators.values()
        if a.tdp_w is None and a.measured_power_max_w is None and a.default_power_w is not None
    ]
    assert unpublished, "the catalog gives a default power range to the accelerators that publish none"
    for accelerator in unpublished:
        body = estimator.training(_training(HardwareSpec(accelerator=accelerator.id, count=4))).as_dict()
        assert "power-not-published" in {w["code"] for w in body["warnings"]}, accelerator.id
        power = next(a for a in body["assumptions"] if a["name"] == "power_w")["value"]
        assert power["low"] <= power["value"] <= power["high"] and power["low"] < power["high"]


# -- bring your own measurement ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(
            TrainingRequest(hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8), duration_hours=100.0),
            id="training",
        ),
        pytest.param(
            FineTuningRequest(
                model=ModelSpec(preset="llama-3.1-8b"),
                method="lora",
                dataset_tokens_million=100.0,
                hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
            ),
            id="fine-tuning",
        ),
        pytest.param(
            InferenceRequest(
                model=ModelSpec(preset="llama-3.1-8b"),
                hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb"),
                requests=1e6,
                deployment=DeploymentSpec(mode="dedicated", hours=720.0),
            ),
            id="inference",
        ),
    ],
)
def test_measured_it_energy_is_used_exactly(estimator, request_):
    import dataclasses

    site = DatacenterSpec(carbon_intensity_gco2e_per_kwh=300.0, pue=1.2)
    measured = dataclasses.replace(request_, measured=MeasuredSpec(it_energy_kwh=1000.0), datacenter=site)
    body = estimator.estimate(_kind(request_), measured).as_dict()
    assert body["energy_kwh"] == pytest.approx({"value": 1200.0, "low": 1200.0, "high": 1200.0}, rel=1e-12)
    it = body["breakdown"]["accelerators_kwh"]["value"] + body["breakdown"]["host_kwh"]["value"]
    assert it == pytest.approx(1000.0, rel=1e-12)
    assert body["breakdown"]["operational_kgco2e"]["value"] == pytest.approx(360.0, rel=1e-12)
    status = {a["name"]: a["status"] for a in body["assumptions"]}
    assert status["measured_energy_kwh"] == "input"


def test_measured_accelerator_energy_models_the_host_beside_it(estimator):
    site = DatacenterSpec(carbon_intensity_gco2e_per_kwh=300.0, pue=1.0)
    request = TrainingRequest(
        hardware=HardwareSpec(accelerator="nvidia-h100-sxm5-80gb", count=8, host_overhead_fraction=0.25),
        duration_hours=10.0,
        datacenter=site,
        measured=MeasuredSpec(it_energy_kwh=40.0, scope="accelerators"),
    )
    body = estimator.training(request).as_dict()
    assert body["breakdown"]["accelerators_kwh"]["value"] == 40.0
    assert body["energy_kwh"]["value"] == pytest.approx(50.0, rel=1e-12)


def _kind(request) -> str:
    return {TrainingRequest: "training", FineTuningRequest: "fine-tuning", InferenceRequest: "inference"}[type(request)]
