"""The client's pieces without a server: figures, number formatting, input files, the budget line, imports."""

from __future__ import annotations

import ast
import io
import sys

import pytest
from clientsupport import ROOT
from genai_footprint_client import FootprintClient, Range, get_range, headline, lookup
from genai_footprint_client.cli import budget_line
from genai_footprint_client.figures import HEADLINE_FIGURES, Figure
from genai_footprint_client.inputs import (
    YAML_MISSING,
    InputError,
    load_document,
    load_object,
    parse_assignment,
    set_path,
)
from genai_footprint_client.output import catalog_csv, flatten, number, range_text, table, warning_lines

CLIENT_SRC = ROOT / "client" / "src" / "genai_footprint_client"


# Figures


def test_range_from_json():
    assert Range.from_json({"value": 2, "low": 1, "high": 3.5}) == Range(2.0, 1.0, 3.5)
    for not_a_range in (None, 5, {"value": 1, "low": 1}, {"value": True, "low": 1, "high": 1}, {"value": "1"}):
        assert Range.from_json(not_a_range) is None
    assert Range(1, 1, 1).collapsed and not Range(1, 0, 1).collapsed
    assert Range(2, 1, 3).side("high") == 3


def test_headline_skips_absent_keeps_null_and_reads_new_fields():
    answer = {
        "energy_kwh": {"value": 1, "low": 1, "high": 1},
        "market_based_emissions_kgco2e": None,
        "breakdown": {"offsite_water_l": {"value": 3, "low": 2, "high": 4}, "operational_kgco2e": "odd"},
        "serving": {"latency_seconds": 0.5},
    }
    found = {fv.figure.path: fv.value for fv in headline(answer)}
    assert found == {
        "energy_kwh": Range(1, 1, 1),
        "market_based_emissions_kgco2e": None,
        "breakdown.offsite_water_l": Range(3, 2, 4),
        "serving.latency_seconds": 0.5,
    }
    assert [f.path for f in HEADLINE_FIGURES].index("emissions_kgco2e") == 1
    custom = (Figure("compute.accelerator", "Accelerator", ""),)
    assert headline({"compute": {"accelerator": "x"}}, custom) == []  # not a figure


def test_lookup_and_get_range():
    answer = {"a": {"b": {"value": 1, "low": 0, "high": 2}}, "n": None}
    assert lookup(answer, "a.b.value") == 1
    with pytest.raises(KeyError):
        lookup(answer, "a.c")
    assert get_range(answer, "a.b") == Range(1, 0, 2)
    assert get_range(answer, "n") is None
    assert get_range(answer, "missing.path") is None


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0, "0"),
        (0.000123456, "0.000123"),
        (0.5, "0.5"),
        (12.345, "12.3"),
        (99.96, "100"),
        (100, "100"),
        (1234567.8, "1,234,568"),
        (-2500, "-2,500"),
        (3.2e20, "3.2e+20"),
    ],
)
def test_number(x, text):
    assert number(x) == text


def test_range_text_and_table_alignment():
    assert range_text(Range(5, 5, 5)) == "5"
    assert range_text(Range(5, 1, 1500)) == "5 (1-1,500)"
    assert range_text(None) == "unknown"
    text = table(("name", "value"), [("a", 1.5), ("bb", 1234.0), ("c", None)])
    assert text.splitlines() == ["name  value", "a       1.5", "bb    1,234", "c"]


def test_warnings_are_coloured_only_when_asked():
    warnings = [{"code": "no-location", "message": "world average"}]
    assert warning_lines(warnings, colour=False) == ["! no-location: world average"]
    assert warning_lines(warnings, colour=True) == ["\033[1;33m! no-location: world average\033[0m"]
    assert warning_lines(None, colour=True) == []


def test_flatten_and_catalog_csv():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": True, "e": {}}) == {
        "a.b": 1,
        "a.c": "[1,2]",
        "d": "true",
        "e": "{}",
    }
    text = catalog_csv({"items": [{"id": "x", "pue": None}, {"id": "y", "pue": {"value": 1.1}}]})
    assert text.splitlines() == ["id,pue.value", "x,", "y,1.1"]


def test_budget_line():
    over = {"figure": "water_l", "unit": "L", "limit": 0.0, "on": "high", "estimate": 5.0, "over_by": 5.0}
    assert budget_line("inference", [{**over, "within_budget": False}], within=False) == (
        "OVER BUDGET: inference water_l (high end) 5 L exceeds 0 by 5 L (over a zero budget)"
    )


# Input files


def test_documents_by_suffix_and_by_content(tmp_path):
    (tmp_path / "a.json").write_text('{"x": 1}')
    (tmp_path / "b.yml").write_text("x: 1\n")
    (tmp_path / "c.txt").write_text("x: 1\n")  # not JSON: read as YAML
    (tmp_path / "d.json").write_text("x: 1\n")  # .json is only JSON
    for name in ("a.json", "b.yml", "c.txt"):
        assert load_document(str(tmp_path / name)) == {"x": 1}
    with pytest.raises(InputError, match="not valid JSON"):
        load_document(str(tmp_path / "d.json"))
    assert load_object("-", stdin=io.StringIO("x: [1, 2]\n")) == {"x": [1, 2]}
    with pytest.raises(InputError, match="standard input must hold an object"):
        load_object("-", stdin=io.StringIO("[1]"))


def test_yaml_refusals(tmp_path):
    cases = {
        "dup.yaml": ("a: 1\na: 2\n", "given twice"),
        "key.yaml": ("1: a\n", "is not a string"),
        "nan.yaml": ("a: .nan\n", "not a JSON number"),
        "bad.yaml": ("a: [1\n", "not valid YAML"),
        "tag.yaml": ("a: !!python/object:os.system ls\n", "not valid YAML"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=message):
            load_document(str(tmp_path / name))


def test_yaml_without_pyyaml_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # what an install without the yaml extra sees
    (tmp_path / "plan.yaml").write_text("x: 1\n")
    with pytest.raises(InputError) as caught:
        load_document(str(tmp_path / "plan.yaml"))
    assert str(caught.value) == YAML_MISSING
    assert "genai-footprint-client[yaml]" in YAML_MISSING
    # Standard input that is not JSON: the JSON error, since YAML cannot be tried.
    with pytest.raises(InputError, match="standard input is not valid JSON"):
        load_document("-", stdin=io.StringIO("x: 1\n"))
    assert load_document("-", stdin=io.StringIO('{"x": 1}')) == {"x": 1}


def test_set_path_and_assignments():
    document: dict = {"hardware": {"count": 1}}
    set_path(document, "hardware.precision", "fp8")
    set_path(document, "deployment.hours", 5)
    assert document == {"hardware": {"count": 1, "precision": "fp8"}, "deployment": {"hours": 5}}
    with pytest.raises(InputError, match="cannot set hardware.count.x: hardware.count is 1, not an object"):
        set_path(document, "hardware.count.x", 1)
    with pytest.raises(InputError, match="not a field path"):
        set_path(document, "a..b", 1)
    assert parse_assignment("deployment.mode=dedicated") == ("deployment.mode", "dedicated")
    assert parse_assignment('slo={"max_latency_seconds": 2}') == ("slo", {"max_latency_seconds": 2})
    assert parse_assignment("include_embodied=false") == ("include_embodied", False)
    assert parse_assignment("name=a=b") == ("name", "a=b")
    with pytest.raises(InputError, match="PATH=VALUE"):
        parse_assignment("novalue")


# The client's own checks


@pytest.mark.parametrize(
    "options",
    [{"retries": -1}, {"retries": 1.5}, {"retries": True}, {"backoff": float("nan")}, {"backoff_max": -1}],
)
def test_client_options_are_checked(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        FootprintClient("http://127.0.0.1:1", **options)


def test_client_imports_nothing_of_the_server():
    """The client runs where the service is not installed: it imports only the standard library, requests and
    (optionally) yaml."""
    allowed = set(sys.stdlib_module_names) | {"requests", "yaml", "genai_footprint_client"}
    found = set()
    for path in CLIENT_SRC.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    assert found - allowed == set()
    assert "requests" in found


def test_py_typed_ships():
    assert (CLIENT_SRC / "py.typed").is_file()
