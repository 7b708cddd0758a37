"""Published convention cases reproduced within 2% through the HTTP API (brief §4).

Each case gives every input its source publishes (accelerator-hours or count x hours, average power per
accelerator, PUE, grid factor); the service must follow the same arithmetic. Figures and sources are
copied from the project's validation data (published-cases.json, kept with each case's source).
"""

from __future__ import annotations

import pytest

# (id, accelerator, count, hours, accelerator_hours, power_w, pue, kg_per_kwh, energy_kwh, co2e_kg, source)
CASES = [
    # Patterson et al. 2021, arXiv:2104.10350, Table 4: measured average system power per accelerator.
    (
        "patterson2021-t5-11b",
        "google-tpu-v3",
        512,
        480,
        None,
        310,
        1.12,
        0.545,
        85_700,
        46_700,
        "Patterson et al. 2021 Table 4",
    ),
    (
        "patterson2021-meena",
        "google-tpu-v3",
        1024,
        720,
        None,
        289,
        1.09,
        0.415,
        232_000,
        96_400,
        "Patterson et al. 2021 Table 4",
    ),
    (
        "patterson2021-gshard-600b",
        "google-tpu-v3",
        1024,
        74.4,
        None,
        288,
        1.09,
        0.177,
        24_100,
        4_300,
        "Patterson et al. 2021 Table 4",
    ),
    (
        "patterson2021-switch-transformer",
        "google-tpu-v3",
        1024,
        648,
        None,
        245,
        1.10,
        0.33,
        179_000,
        59_100,
        "Patterson et al. 2021 Table 4",
    ),
    (
        "patterson2021-gpt3-175b",
        "nvidia-v100-sxm2-32gb",
        10_000,
        355.2,
        None,
        330,
        1.10,
        0.429,
        1_287_000,
        552_100,
        "Patterson et al. 2021 Table 4",
    ),
    (
        "patterson2021-evolved-transformer-nas",
        "google-tpu-v2",
        200,
        163.2,
        None,
        208,
        1.10,
        0.431,
        7_500,
        3_200,
        "Patterson et al. 2021 Table 4",
    ),
    # Touvron et al. 2023 (LLaMA), arXiv:2302.13971, Table 15: GPU-hours x 400 W x PUE 1.1 x 0.385 kg/kWh.
    (
        "llama1-7b",
        "nvidia-a100-sxm4-80gb",
        None,
        None,
        82_432,
        400,
        1.1,
        0.385,
        36_000,
        14_000,
        "Touvron et al. 2023 Table 15",
    ),
    (
        "llama1-13b",
        "nvidia-a100-sxm4-80gb",
        None,
        None,
        135_168,
        400,
        1.1,
        0.385,
        59_000,
        23_000,
        "Touvron et al. 2023 Table 15",
    ),
    (
        "llama1-33b",
        "nvidia-a100-sxm4-80gb",
        None,
        None,
        530_432,
        400,
        1.1,
        0.385,
        233_000,
        90_000,
        "Touvron et al. 2023 Table 15",
    ),
    (
        "llama1-65b",
        "nvidia-a100-sxm4-80gb",
        None,
        None,
        1_022_362,
        400,
        1.1,
        0.385,
        449_000,
        173_000,
        "Touvron et al. 2023 Table 15",
    ),
    (
        "llama1-table15-opt-175b",
        "nvidia-a100-sxm4-80gb",
        None,
        None,
        809_472,
        400,
        1.1,
        0.385,
        356_000,
        137_000,
        "Touvron et al. 2023 Table 15",
    ),
    (
        "llama1-table15-bloom-176b",
        "nvidia-a100-sxm4-80gb",
        None,
        None,
        1_082_880,
        400,
        1.1,
        0.385,
        475_000,
        183_000,
        "Touvron et al. 2023 Table 15",
    ),
    # Luccioni et al. 2022, arXiv:2211.02001: BLOOM dynamic consumption, 1,082,990 GPU-h x 400 W, no PUE, 57 g/kWh.
    (
        "luccioni2022-bloom-176b-dynamic",
        "nvidia-a100-sxm4-80gb",
        None,
        None,
        1_082_990,
        400,
        1.0,
        0.057,
        433_196,
        24_690,
        "Luccioni et al. 2022",
    ),
]


def _payload(accelerator, count, hours, accelerator_hours, power_w, pue, kg_per_kwh):
    hardware = {"accelerator": accelerator, "power_w": power_w, "host_overhead_fraction": 0}
    payload = {
        "hardware": hardware,
        "datacenter": {"pue": pue, "carbon_intensity_gco2e_per_kwh": kg_per_kwh * 1000},
        "include_embodied": False,
    }
    if accelerator_hours is not None:
        payload["accelerator_hours"] = accelerator_hours
    else:
        hardware["count"] = count
        payload["duration_hours"] = hours
    return payload


@pytest.mark.parametrize(
    ("accelerator", "count", "hours", "accelerator_hours", "power_w", "pue", "kg_per_kwh", "energy_kwh", "co2e_kg"),
    [pytest.param(*case[1:10], id=case[0]) for case in CASES],
)
def test_convention_case_within_two_percent(
    client, accelerator, count, hours, accelerator_hours, power_w, pue, kg_per_kwh, energy_kwh, co2e_kg
):
    response = client.post(
        "/v1/estimates/training", json=_payload(accelerator, count, hours, accelerator_hours, power_w, pue, kg_per_kwh)
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["energy_kwh"]["value"] == pytest.approx(energy_kwh, rel=0.02)
    assert body["emissions_kgco2e"]["value"] == pytest.approx(co2e_kg, rel=0.02)
    # Every input was given, so the range collapses to the value.
    assert body["energy_kwh"]["low"] == body["energy_kwh"]["value"] == body["energy_kwh"]["high"]
