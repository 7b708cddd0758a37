"""The training model as a user meets it: plausibility warnings, and recommendations that keep a run feasible."""

from __future__ import annotations

import pytest

from service.domain import Estimator
from service.domain.inputs import DatacenterSpec, FineTuningRequest, HardwareSpec, ModelSpec, TrainingRequest
from service.domain.recommendations import Constraints, Recommender
from service.domain.recommendations.run import duration_factor

H100 = "nvidia-h100-sxm5-80gb"


@pytest.fixture(scope="module")
def estimator(catalog):
    return Estimator(catalog)


@pytest.fixture(scope="module")
def recommender(estimator):
    return Recommender(estimator)


def _codes(estimate) -> set[str]:
    return {w.code for w in estimate.ledger.warnings}


@pytest.mark.parametrize(
    ("request_", "warned"),
    [
        pytest.param(
            # 8B on 100B tokens on 8 H100 in 5 h implies an MFU of about 40: no run reaches that.
            TrainingRequest(
                model=ModelSpec(parameters_billion=8),
                training_tokens_billion=100,
                hardware=HardwareSpec(accelerator=H100, count=8),
                duration_hours=5,
            ),
            True,
            id="duration-too-short",
        ),
        pytest.param(
            TrainingRequest(
                model=ModelSpec(parameters_billion=8),
                training_tokens_billion=100,
                hardware=HardwareSpec(accelerator=H100, count=8),
                duration_hours=50_000,
            ),
            True,
            id="duration-too-long",
        ),
        pytest.param(
            TrainingRequest(
                model=ModelSpec(parameters_billion=8),
                training_tokens_billion=100,
                hardware=HardwareSpec(accelerator=H100, count=8, mfu=0.9),
            ),
            True,
            id="mfu-above-0.75",
        ),
        pytest.param(
            TrainingRequest(
                model=ModelSpec(parameters_billion=8),
                training_tokens_billion=100,
                hardware=HardwareSpec(accelerator=H100, count=8),
                duration_hours=500,
            ),
            False,
            id="plausible",
        ),
    ],
)
def test_implausible_utilisation_is_warned_and_still_estimated(estimator, request_, warned):
    estimate = estimator.training(request_)
    assert ("implausible-utilisation" in _codes(estimate)) is warned
    assert estimate.footprint.energy_kwh.value > 0


def test_implausible_fine_tuning_duration_is_warned(estimator):
    estimate = estimator.fine_tuning(
        FineTuningRequest(
            model=ModelSpec(parameters_billion=8),
            method="full",
            dataset_tokens_million=100_000,
            hardware=HardwareSpec(accelerator=H100, count=8),
            duration_hours=1,
        )
    )
    assert "implausible-utilisation" in _codes(estimate)


@pytest.mark.parametrize(("power_w", "warned"), [(2000, True), (841, True), (839, False), (700, False)])
def test_power_above_tdp_is_warned(estimator, power_w, warned):
    estimate = estimator.training(
        TrainingRequest(hardware=HardwareSpec(accelerator=H100, count=8, power_w=power_w), duration_hours=10)
    )
    assert ("power-above-tdp" in _codes(estimate)) is warned
    assert estimate.footprint.accelerators_kwh.value == pytest.approx(80 * power_w / 1000, rel=1e-12)


def _pretraining(size_billion: float, count: int) -> TrainingRequest:
    return TrainingRequest(
        model=ModelSpec(parameters_billion=size_billion),
        training_tokens_billion=15_000,
        hardware=HardwareSpec(accelerator=H100, count=count),
        datacenter=DatacenterSpec(provider="aws", region="us-east-1"),
    )


def test_multi_node_pretraining_is_never_sent_to_an_inference_card(recommender, catalog):
    """A 70B pre-training on 2,048 H100 was told to move to L4 (654 days instead of 139)."""
    result = recommender.recommend("training", _pretraining(70, 2048))
    for rec in result.recommendations:
        accelerator = rec.change.get("hardware", {}).get("accelerator")
        if accelerator is not None:
            assert catalog.accelerators[accelerator].scale_out_interconnect, accelerator
        assert duration_factor(result.baseline, rec.estimate) <= 1.5 * (1 + 1e-9)
        assert any(t.startswith("Wall-clock duration per run: x") for t in rec.tradeoffs)
    assert any(n.subject == "multi-node training" and "nvidia-l4" in n.reason for n in result.notes)


def test_no_recommendation_lengthens_the_run_past_the_limit(recommender):
    request = TrainingRequest(
        model=ModelSpec(parameters_billion=8),
        training_tokens_billion=1000,
        hardware=HardwareSpec(accelerator=H100, count=8),
        datacenter=DatacenterSpec(provider="gcp", region="us-central1"),
    )
    strict = recommender.recommend("training", request, Constraints(max_duration_factor=1.0))
    for rec in strict.recommendations:
        assert duration_factor(strict.baseline, rec.estimate) <= 1.0 + 1e-9
    refused = [n for n in strict.notes if "constraints.max_duration_factor 1" in n.reason]
    assert refused, "slower accelerators are noted with the duration they would take"
    loose = recommender.recommend("training", request, Constraints(max_duration_factor=20))
    assert not [
        n for n in loose.notes if "max_duration_factor" in n.reason and n.subject in {r.subject for r in refused}
    ]


def test_a_listed_accelerator_is_ranked_even_without_a_scale_out_interconnect(recommender):
    result = recommender.recommend(
        "training",
        _pretraining(70, 2048),
        Constraints(accelerators=("nvidia-l40s",), max_duration_factor=1000),
    )
    assert not any(n.subject == "multi-node training" for n in result.notes)
