"""The shipped reference data loads, is complete and holds the documented facts."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from importlib import resources

import pytest

from service.reference import (
    DATA_FILES,
    PRECISIONS,
    Accelerator,
    Catalog,
    FacilityFigure,
    load_catalog,
)


def _shipped_rows(name: str) -> list[dict[str, str]]:
    data = resources.files("service.reference").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(data)))


# ----------------------------------------------------------------- loading and counts


def test_every_data_file_and_the_readme_are_package_resources() -> None:
    base = resources.files("service.reference").joinpath("data")
    for name in (*DATA_FILES, "README.md"):
        assert base.joinpath(name).is_file(), name


@pytest.mark.parametrize(
    ("attribute", "minimum"),
    [
        ("accelerators", 34),
        ("instances", 104),
        ("models", 30),
        ("countries", 40),
        ("embodied", 64),
    ],
    ids=lambda v: str(v),
)
def test_minimum_counts(catalog: Catalog, attribute: str, minimum: int) -> None:
    assert len(getattr(catalog, attribute)) >= minimum


def test_all_144_regions_by_provider(catalog: Catalog) -> None:
    assert len(catalog.regions) == 144
    by_provider: dict[str, int] = {}
    for provider, _ in catalog.regions:
        by_provider[provider] = by_provider.get(provider, 0) + 1
    assert by_provider == {"aws": 38, "gcp": 45, "azure": 61}


def test_all_shared_accelerator_rows_kept_plus_validation_additions(catalog: Catalog) -> None:
    assert len(catalog.accelerators) == 34
    assert {"nvidia-p100-sxm2-16gb", "google-tpu-v2"} <= set(catalog.accelerators)


def test_data_version_is_release_plus_hash(catalog: Catalog) -> None:
    assert re.fullmatch(r"\d{4}\.\d{2}-[0-9a-f]{8}", catalog.data_version)
    assert load_catalog().data_version == catalog.data_version


# ----------------------------------------------------------------- sources


def _all_records(catalog: Catalog):
    yield from (("accelerator", a.id, a) for a in catalog.accelerators.values())
    yield from (("instance", i.id, i) for i in catalog.instances.values())
    yield from (("region", f"{r.provider}:{r.id}", r) for r in catalog.regions.values())
    yield from (("country", c.iso2, c) for c in catalog.countries.values())
    yield ("country", "WORLD", catalog.world)
    yield from (("model", m.id, m) for m in catalog.models.values())
    yield from (("embodied", e.id, e) for e in catalog.embodied.values())
    yield from (("fleet_pue", k, f) for k, f in catalog.fleet_pue.items())
    yield from (("fleet_wue", k, f) for k, f in catalog.fleet_wue.items())
    for r in catalog.regions.values():
        for fig in (r.pue, r.wue):
            if fig is not None:
                yield ("region_facility", r.id, fig)


def test_every_record_has_a_source(catalog: Catalog) -> None:
    missing = [f"{kind}:{key}" for kind, key, rec in _all_records(catalog) if not rec.source.strip()]
    assert missing == []


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_shipped_row_has_a_source_cell(name: str) -> None:
    rows = _shipped_rows(name)
    assert rows
    assert all(row["source"].strip() for row in rows)


# ----------------------------------------------------------------- specific facts


def test_h100_sxm5(catalog: Catalog) -> None:
    h100 = catalog.accelerators["nvidia-h100-sxm5-80gb"]
    assert h100.tdp_w == 700
    assert h100.peak_tflops["bf16"] == 989
    assert h100.memory_gb == 80
    assert h100.embodied_kgco2e_vendor == 164


@pytest.mark.parametrize(
    "accelerator_id",
    [
        "aws-trainium",
        "aws-trainium2",
        "aws-inferentia",
        "aws-inferentia2",
        "google-tpu-v5e",
        "google-tpu-v5p",
        "google-tpu-v6e",
    ],
)
def test_unpublished_tdp_stays_empty(catalog: Catalog, accelerator_id: str) -> None:
    acc = catalog.accelerators[accelerator_id]
    assert acc.tdp_w is None
    assert acc.tdp_basis  # says why


@pytest.mark.parametrize(
    ("accelerator_id", "tdp_w"),
    [("nvidia-p100-sxm2-16gb", 300), ("google-tpu-v2", 280), ("google-tpu-v3", 450)],
)
def test_validation_case_accelerators(catalog: Catalog, accelerator_id: str, tdp_w: float) -> None:
    acc = catalog.accelerators[accelerator_id]
    assert acc.tdp_w == tdp_w
    assert "2104.10350" in acc.source


def test_tpu_v3_keeps_google_measured_power(catalog: Catalog) -> None:
    tpu = catalog.accelerators["google-tpu-v3"]
    assert (tpu.measured_power_mean_w, tpu.measured_power_max_w) == (220, 262)
    assert "Patterson" in tpu.tdp_basis


def test_peak_tflops_keys_are_the_precisions(catalog: Catalog) -> None:
    for acc in catalog.accelerators.values():
        assert tuple(acc.peak_tflops) == PRECISIONS
        assert all(v is None or v > 0 for v in acc.peak_tflops.values())


def test_aws_us_east_1_region_pue(catalog: Catalog) -> None:
    region = catalog.regions[("aws", "us-east-1")]
    assert region.pue == FacilityFigure(value=1.15, year="2024", scope="region", source=region.pue.source)
    assert region.wue is not None and region.wue.year == "2024"


def test_region_prefers_region_scope_over_tool_default(catalog: Catalog) -> None:
    # us-central1 has GSF region rows (2022, 2023) and a CCF tool_default_region row
    pue = catalog.regions[("gcp", "us-central1")].pue
    assert pue is not None and pue.scope == "region" and pue.year == "2023"


def test_doubtful_region_row_is_not_the_default(catalog: Catalog) -> None:
    wue = catalog.regions[("azure", "northeurope")].wue
    assert wue is not None and wue.value == 0.03  # Ireland row, not the Finland-labelled 0.01


@pytest.mark.parametrize(
    ("provider", "value", "scope"),
    [("aws", 1.15, "fleet"), ("gcp", 1.09, "fleet"), ("azure", 1.12, "design"), ("industry", 1.56, "tool_default")],
)
def test_fleet_pue(catalog: Catalog, provider: str, value: float, scope: str) -> None:
    fig = catalog.fleet_pue[provider]
    assert (fig.value, fig.scope) == (value, scope)


def test_fleet_wue_is_newest(catalog: Catalog) -> None:
    assert catalog.fleet_wue["aws"].year == "2025"
    # Google's fleet WUE comes from its Gemini serving disclosure (Elsworth et al. 2025).
    assert catalog.fleet_wue["gcp"].value == 1.15 and "2508.15734" in catalog.fleet_wue["gcp"].source


def test_eu_north_1_grid_ci_matches_shipped_csv(catalog: Catalog) -> None:
    row = next(
        r for r in _shipped_rows("cloud_regions.csv") if (r["provider"], r["region_id"]) == ("aws", "eu-north-1")
    )
    region = catalog.regions[("aws", "eu-north-1")]
    assert region.grid_ci_gco2e_per_kwh == float(row["grid_ci_gco2e_per_kwh"])
    assert region.grid_zone == row["grid_zone"]
    assert region.country_iso2 == "SE"


def test_aws_renewable_flag_normalised(catalog: Catalog) -> None:
    flags = [r.renewable_matched for r in catalog.regions.values() if r.provider == "aws"]
    assert flags.count(True) == 21
    assert all(r.renewable_matched is None for r in catalog.regions.values() if r.provider != "aws")


def test_every_instance_accelerator_exists(catalog: Catalog) -> None:
    for inst in catalog.instances.values():
        assert inst.accelerator_id in catalog.accelerators, inst.id


@pytest.mark.parametrize(
    ("instance_id", "accelerator_id", "count"),
    [
        ("p4d.24xlarge", "nvidia-a100-sxm4-40gb", 8),
        ("p5.48xlarge", "nvidia-h100-sxm5-80gb", 8),
        ("g5.xlarge", "nvidia-a10g", 1),
        ("trn1.32xlarge", "aws-trainium", 16),
        ("standard_nd96asr_v4", "nvidia-a100-sxm4-40gb", 8),
        ("a2-highgpu-8g", "nvidia-a100-sxm4-40gb", 8),
    ],
)
def test_instance_examples(catalog: Catalog, instance_id: str, accelerator_id: str, count: int) -> None:
    inst = catalog.instances[instance_id]
    assert (inst.accelerator_id, inst.accelerator_count) == (accelerator_id, count)


def test_instance_name_keeps_provider_spelling(catalog: Catalog) -> None:
    assert catalog.instances["standard_nd96asr_v4"].name == "Standard_ND96asr_v4"


def test_models_active_not_above_total(catalog: Catalog) -> None:
    for m in catalog.models.values():
        assert 0 < m.active_parameters_billion <= m.parameters_billion, m.id
        if m.architecture == "dense":
            assert m.active_parameters_billion == m.parameters_billion, m.id


def test_models_include_dense_and_moe(catalog: Catalog) -> None:
    archs = {m.architecture for m in catalog.models.values()}
    assert archs == {"dense", "moe"}
    assert catalog.models["mixtral-8x7b"].active_parameters_billion < catalog.models["mixtral-8x7b"].parameters_billion


def test_world_and_countries(catalog: Catalog) -> None:
    assert catalog.world.iso2 == "WORLD"
    assert 400 < catalog.world.grid_ci_gco2e_per_kwh < 550
    assert "WORLD" not in catalog.countries
    assert all(k == k.upper() and len(k) == 2 for k in catalog.countries)


def test_every_region_country_is_in_countries(catalog: Catalog) -> None:
    for region in catalog.regions.values():
        assert region.country_iso2 in catalog.countries, region.id


def test_region_country_values_agree_with_countries_table(catalog: Catalog) -> None:
    for region in catalog.regions.values():
        if region.ember_country_ci_gco2e_per_kwh is not None:
            assert catalog.countries[region.country_iso2].grid_ci_gco2e_per_kwh == region.ember_country_ci_gco2e_per_kwh


# ----------------------------------------------------------------- immutability and keys


def test_mappings_are_read_only(catalog: Catalog) -> None:
    with pytest.raises(TypeError):
        catalog.accelerators["x"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        catalog.accelerators["nvidia-h100-sxm5-80gb"].peak_tflops["bf16"] = 1.0  # type: ignore[index]


def test_records_are_frozen(catalog: Catalog) -> None:
    acc: Accelerator = catalog.accelerators["nvidia-t4"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        acc.tdp_w = 1.0  # type: ignore[misc]


def test_keys_are_normalised(catalog: Catalog) -> None:
    for mapping in (catalog.accelerators, catalog.instances, catalog.models):
        assert all(k == k.lower() for k in mapping)


# ----------------------------------------------------------------- suggest


@pytest.mark.parametrize(
    ("kind", "unknown", "expected"),
    [
        ("accelerator", "nvidia-h100-sxm-80gb", "nvidia-h100-sxm5-80gb"),
        ("accelerator", "NVIDIA-H100-SXM-80GB", "nvidia-h100-sxm5-80gb"),
        ("instance", "p4d.24xl", "p4d.24xlarge"),
        ("model", "llama3.1-8b", "llama-3.1-8b"),
        ("region", "eu-north1", "eu-north-1"),
        ("region", "aws:eu-north1", "aws:eu-north-1"),
        ("country", "germny", "DE"),
    ],
    ids=lambda v: str(v),
)
def test_suggest_finds_close_id(catalog: Catalog, kind: str, unknown: str, expected: str) -> None:
    assert expected in catalog.suggest(kind, unknown)


@pytest.mark.parametrize(
    ("kind", "unknown", "expected"),
    [
        ("accelerator", "nvidia-h100", {"nvidia-h100-nvl-94gb", "nvidia-h100-pcie-80gb", "nvidia-h100-sxm5-80gb"}),
        ("accelerator", "H100", {"nvidia-h100-nvl-94gb", "nvidia-h100-pcie-80gb", "nvidia-h100-sxm5-80gb"}),
        ("accelerator", "nvidia-a100", {"nvidia-a100-pcie-40gb", "nvidia-a100-pcie-80gb", "nvidia-a100-sxm4-40gb"}),
        ("accelerator", "b200", {"nvidia-b200", "nvidia-gb200"}),
        ("accelerator", "l40", {"nvidia-l40s"}),
        ("instance", "p4d", {"p4d.24xlarge", "p4de.24xlarge"}),
        ("instance", "g6e", {"g6e.xlarge", "g6e.2xlarge", "g6e.4xlarge"}),
        ("model", "gpt3", {"gpt-3-175b"}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_suggest_offers_the_ids_an_abbreviation_is_part_of(
    catalog: Catalog, kind: str, unknown: str, expected: set
) -> None:
    # An adversarial run found "nvidia-h100" answered with nvidia-a10, nvidia-b200, nvidia-a10g (difflib
    # similarity alone), and "h100", "p4d" or "gpt3" with nothing.
    assert set(catalog.suggest(kind, unknown)) == expected


def test_suggest_knows_uk_is_gb(catalog: Catalog) -> None:
    assert catalog.suggest("country", "UK")[0] == "GB"
    assert catalog.suggest("country", "el")[0] == "GR"


def test_suggest_h100_first(catalog: Catalog) -> None:
    assert catalog.suggest("accelerator", "nvidia-h100-sxm-80gb")[0] == "nvidia-h100-sxm5-80gb"


def test_suggest_respects_limit_and_nonsense(catalog: Catalog) -> None:
    assert len(catalog.suggest("instance", "g5.xlarge", limit=2)) <= 2
    assert catalog.suggest("model", "zzzzzzzzzzzz") == []


def test_suggest_rejects_unknown_kind(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="unknown kind 'gpu'"):
        catalog.suggest("gpu", "h100")


def test_every_accelerator_has_a_16_bit_peak_and_a_power_figure(catalog: Catalog) -> None:
    """Estimates need a dense bf16/fp16 peak and a TDP, a measured power or a sourced default for every chip."""
    for accelerator in catalog.accelerators.values():
        peaks = accelerator.peak_tflops
        assert peaks.get("bf16") or peaks.get("fp16"), accelerator.id
        power = accelerator.tdp_w or accelerator.measured_power_mean_w or accelerator.default_power_w
        assert power, accelerator.id
        assert accelerator.spec_source and accelerator.power_source, accelerator.id


@pytest.mark.parametrize(
    ("accelerator_id", "precision", "dense_tflops"),
    [
        pytest.param("nvidia-h200-nvl-141gb", "bf16", 835.5, id="h200-nvl"),  # NVIDIA: 1,671 with sparsity
        pytest.param("nvidia-a10g", "bf16", 70.0, id="a10g"),
        pytest.param("nvidia-h100-nvl-94gb", "fp8", 1670.5, id="h100-nvl-fp8"),  # NVIDIA: 3,341 with sparsity
    ],
)
def test_peaks_users_meet_first_are_filled(catalog: Catalog, accelerator_id: str, precision: str, dense_tflops: float):
    assert catalog.accelerators[accelerator_id].peak_tflops[precision] == pytest.approx(dense_tflops, rel=1e-9)
