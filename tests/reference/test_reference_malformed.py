"""A bad row stops loading with the file, line and column named; nothing is skipped."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.reference import ReferenceDataError, load_catalog


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def set_cell(data_dir: Path, name: str, row_index: int, column: str, value: str) -> int:
    """Set one cell (row_index counts data rows from 0); return the file line of that row."""
    header, rows = _read(data_dir / name)
    rows[row_index][header.index(column)] = value
    _write(data_dir / name, header, rows)
    return row_index + 2  # header is line 1; shipped files have no multi-line cells


def duplicate_row(data_dir: Path, name: str, row_index: int) -> int:
    header, rows = _read(data_dir / name)
    rows.append(list(rows[row_index]))
    _write(data_dir / name, header, rows)
    return len(rows) + 1


@dataclass(frozen=True)
class Case:
    file: str
    row: int
    column: str
    value: str
    expect: str  # fragment of the message after "<file> line <n>: "


CELL_CASES = {
    "region-ci-not-a-number": Case(
        "cloud_regions.csv",
        15,
        "grid_ci_gco2e_per_kwh",
        "abc",
        "column 'grid_ci_gco2e_per_kwh': expected a number >= 0, got 'abc'",
    ),
    "region-ci-negative": Case(
        "cloud_regions.csv", 3, "grid_ci_gco2e_per_kwh", "-5", "expected a number >= 0, got '-5'"
    ),
    "region-renewable-flag": Case(
        "cloud_regions.csv", 0, "aws_100pct_renewable_matched", "maybe", "column 'aws_100pct_renewable_matched'"
    ),
    "region-country-lowercase": Case("cloud_regions.csv", 1, "country_iso2", "za", "column 'country_iso2'"),
    "accelerator-memory-negative": Case(
        "accelerators.csv", 4, "memory_gb", "-24", "column 'memory_gb': expected a number > 0, got '-24'"
    ),
    "accelerator-bandwidth-zero": Case(
        "accelerators.csv", 5, "memory_bandwidth_gb_per_s", "0", "column 'memory_bandwidth_gb_per_s'"
    ),
    "accelerator-peak-zero": Case("accelerators.csv", 12, "bf16_tflops_dense", "0", "column 'bf16_tflops_dense'"),
    "accelerator-empty-source": Case("accelerators.csv", 7, "source", "", "column 'source': must not be empty"),
    "accelerator-year-text": Case(
        "accelerators.csv", 2, "launch_year", "soon", "column 'launch_year': expected an integer"
    ),
    "instance-count-fraction": Case(
        "cloud_instances.csv", 4, "accelerator_count", "8.5", "column 'accelerator_count': expected an integer"
    ),
    "instance-bad-provider": Case("cloud_instances.csv", 9, "provider", "oracle", "column 'provider': expected one of"),
    "instance-empty-source": Case("cloud_instances.csv", 30, "source", "  ", "column 'source': must not be empty"),
    "instance-unknown-accelerator": Case(
        "cloud_instances.csv",
        20,
        "accelerator_id",
        "nvidia-h999",
        "column 'accelerator_id': unknown accelerator 'nvidia-h999'",
    ),
    "facility-pue-below-one": Case("facility.csv", 0, "pue", "0.9", "column 'pue': expected a number >= 1"),
    "facility-wue-negative": Case("facility.csv", 4, "wue_l_per_kwh", "-0.1", "column 'wue_l_per_kwh'"),
    "facility-bad-scope": Case("facility.csv", 10, "scope", "global", "column 'scope'"),
    "facility-empty-source": Case("facility.csv", 100, "source", "", "column 'source': must not be empty"),
    "model-active-above-total": Case(
        "models.csv",
        17,
        "active_parameters_billion",
        "999",
        "column 'active_parameters_billion': must be <= parameters_billion",
    ),
    "model-bad-architecture": Case("models.csv", 3, "architecture", "sparse", "column 'architecture'"),
    "model-empty-source": Case("models.csv", 0, "source", "", "column 'source': must not be empty"),
    "model-uppercase-id": Case("models.csv", 2, "id", "Llama-X", "column 'id': expected a lowercase id"),
    "embodied-value-text": Case("embodied.csv", 6, "value", "n/a", "column 'value': expected a number >= 0, got 'n/a'"),
    "country-ci-negative": Case("countries.csv", 12, "grid_ci_gco2e_per_kwh", "-1", "column 'grid_ci_gco2e_per_kwh'"),
    "country-empty-source": Case("countries.csv", 40, "source", "", "column 'source': must not be empty"),
}


@pytest.mark.parametrize("case", list(CELL_CASES.values()), ids=list(CELL_CASES))
def test_bad_cell_names_file_line_and_column(data_copy: Path, case: Case) -> None:
    line = set_cell(data_copy, case.file, case.row, case.column, case.value)
    with pytest.raises(ReferenceDataError) as err:
        load_catalog(data_copy)
    message = str(err.value)
    assert message.startswith(f"{case.file} line {line}: "), message
    assert case.expect in message, message


def test_message_format_example(data_copy: Path) -> None:
    set_cell(data_copy, "cloud_regions.csv", 15, "grid_ci_gco2e_per_kwh", "abc")
    with pytest.raises(
        ReferenceDataError,
        match=r"^cloud_regions\.csv line 17: column 'grid_ci_gco2e_per_kwh': "
        r"expected a number >= 0, got 'abc'$",
    ):
        load_catalog(data_copy)


@pytest.mark.parametrize(
    ("file", "row", "column"),
    [
        ("accelerators.csv", 3, "id"),
        ("cloud_instances.csv", 10, "id"),
        ("models.csv", 5, "id"),
        ("embodied.csv", 1, "id"),
        ("countries.csv", 7, "iso2"),
        ("cloud_regions.csv", 50, "region_id"),
    ],
    ids=["accelerator", "instance", "model", "embodied", "country", "region"],
)
def test_duplicate_id(data_copy: Path, file: str, row: int, column: str) -> None:
    line = duplicate_row(data_copy, file, row)
    with pytest.raises(ReferenceDataError) as err:
        load_catalog(data_copy)
    message = str(err.value)
    assert message.startswith(f"{file} line {line}: column '{column}': duplicate id"), message
    assert f"first defined on line {row + 2}" in message


def test_duplicate_id_differing_only_in_case(data_copy: Path) -> None:
    header, rows = _read(data_copy / "cloud_regions.csv")
    extra = list(rows[0])
    rows.append(extra)
    _write(data_copy / "cloud_regions.csv", header, rows)
    with pytest.raises(ReferenceDataError, match=r"cloud_regions\.csv line 146: .*duplicate id 'aws:af-south-1'"):
        load_catalog(data_copy)


def test_missing_column(data_copy: Path) -> None:
    header, rows = _read(data_copy / "models.csv")
    i = header.index("parameters_billion")
    _write(data_copy / "models.csv", header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows])
    with pytest.raises(ReferenceDataError, match=r"^models\.csv line 1: missing column 'parameters_billion'$"):
        load_catalog(data_copy)


def test_wrong_field_count(data_copy: Path) -> None:
    header, rows = _read(data_copy / "embodied.csv")
    rows[9] = rows[9][:-1]
    _write(data_copy / "embodied.csv", header, rows)
    with pytest.raises(ReferenceDataError, match=r"^embodied\.csv line 11: expected \d+ fields, got \d+$"):
        load_catalog(data_copy)


def test_missing_file(data_copy: Path) -> None:
    (data_copy / "facility.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"^facility\.csv: file not found"):
        load_catalog(data_copy)


def test_missing_world_row(data_copy: Path) -> None:
    header, rows = _read(data_copy / "countries.csv")
    _write(data_copy / "countries.csv", header, [r for r in rows if r[0] != "WORLD"])
    with pytest.raises(ReferenceDataError, match=r"^countries\.csv: no row with iso2 'WORLD'"):
        load_catalog(data_copy)


def test_not_utf8(data_copy: Path) -> None:
    path = data_copy / "accelerators.csv"
    path.write_bytes(path.read_bytes().replace(b"NVIDIA T4", b"NVIDIA T\xff4", 1))
    with pytest.raises(ReferenceDataError, match=r"^accelerators\.csv: not valid UTF-8"):
        load_catalog(data_copy)


def test_unmodified_copy_loads_with_same_version(data_copy: Path) -> None:
    assert load_catalog(data_copy).data_version == load_catalog().data_version


def test_edit_changes_data_version(data_copy: Path) -> None:
    set_cell(data_copy, "models.csv", 0, "notes", "edited")
    assert load_catalog(data_copy).data_version != load_catalog().data_version
