"""The ``genai-footprint`` command, run as a user runs it, against the real gunicorn and stub servers."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
import yaml
from clientsupport import (
    API_KEY,
    FINE_TUNING,
    INFERENCE,
    TRAINING,
    WORKLOADS,
    command_path,
    failing,
    free_port,
    problem,
)
from genai_footprint_client import FootprintClient, headline
from genai_footprint_client.output import number

pytestmark = pytest.mark.e2e

STOCKHOLM = {**INFERENCE, "datacenter": {"provider": "aws", "region": "eu-north-1"}}


@pytest.fixture(scope="module")
def client(server):
    with FootprintClient(server.base, retries=0) as c:
        yield c


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def figure_line(table: str, label: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(label + "  "))


# estimate


@pytest.mark.parametrize("kind", list(WORKLOADS))
def test_estimate_in_every_format(cli, write, client, kind):
    plan = write("plan.json", WORKLOADS[kind])
    expected = client.estimate(kind, WORKLOADS[kind])

    as_json = cli("estimate", kind, "-f", str(plan), "--json")
    assert as_json.code == 0, as_json.stderr
    assert as_json.json() == expected

    as_csv = cli("estimate", kind, "-f", str(plan), "--csv")
    assert as_csv.code == 0, as_csv.stderr
    found = {row["figure"]: row for row in rows(as_csv.stdout)}
    assert list(found) == [fv.figure.path for fv in headline(expected)]
    for fv in headline(expected):
        row = found[fv.figure.path]
        assert row["unit"] == fv.figure.unit
        if fv.value is None:
            assert row["value"] == row["low"] == row["high"] == ""
        else:
            assert (float(row["value"]), float(row["low"]), float(row["high"])) == (
                fv.value.value,
                fv.value.low,
                fv.value.high,
            )

    table = cli("estimate", kind, "-f", str(plan))
    assert table.code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith(f"{kind} estimate (methodology ")
    emissions = expected["emissions_kgco2e"]
    line = figure_line(table.stdout, "Emissions, location-based")
    assert line.split()[-4:] == [number(emissions[s]) for s in ("value", "low", "high")] + ["kgCO2e"]
    for fv in headline(expected):
        assert any(line.startswith(fv.figure.label) for line in lines), fv.figure.label


def test_flags_build_or_override_the_workload(cli, write, client):
    flags = cli(
        "estimate",
        "training",
        "--model",
        "llama-3.1-8b",
        "--tokens-billion",
        "15000",
        "--accelerator",
        "nvidia-h100-sxm5-80gb",
        "--count",
        "1024",
        "--region",
        "aws:us-east-1",
        "--json",
    )
    assert flags.code == 0, flags.stderr
    assert flags.json() == client.estimate_training(TRAINING)

    plan = write("plan.json", FINE_TUNING)  # on-premises in the US
    moved = cli("estimate", "fine-tuning", "-f", str(plan), "--region", "gcp:europe-north1", "--epochs", "1", "--json")
    assert moved.code == 0, moved.stderr
    expected = {**FINE_TUNING, "epochs": 1.0, "datacenter": {"provider": "gcp", "region": "europe-north1"}}
    assert moved.json() == client.estimate_fine_tuning(expected)

    dedicated = cli(
        "estimate",
        "inference",
        "-f",
        str(write("inference.json", INFERENCE)),
        "--country",
        "FR",
        "--instance-type",
        "p5.48xlarge",
        "--set",
        "deployment.mode=dedicated",
        "--set",
        "deployment.hours=720",
        "--json",
    )
    assert dedicated.code == 0, dedicated.stderr
    expected = {
        **INFERENCE,
        "hardware": {"instance_type": "p5.48xlarge"},
        "deployment": {"mode": "dedicated", "hours": 720},
        "datacenter": {"country": "FR"},
    }
    assert dedicated.json() == client.estimate_inference(expected)
    assert dedicated.json()["serving"]["mode"] == "dedicated"


def test_a_flag_of_another_kind_is_refused(cli):
    result = cli("estimate", "training", "--requests", "5")
    assert result.code == 2
    assert "--requests applies to inference, not training" in result.stderr


def test_standard_input_json_and_yaml(cli, client):
    expected = client.estimate_training(TRAINING)
    from_json = cli("estimate", "training", "-f", "-", "--json", stdin=json.dumps(TRAINING))
    assert from_json.code == 0, from_json.stderr
    assert from_json.json() == expected
    from_yaml = cli("estimate", "training", "-f", "-", "--json", stdin=yaml.safe_dump(TRAINING))
    assert from_yaml.code == 0, from_yaml.stderr
    assert from_yaml.json() == expected


def test_yaml_file_and_kind_from_the_document(cli, write, client):
    path = write("plan.yaml", yaml.safe_dump({"kind": "inference", "workload": INFERENCE}))
    result = cli("estimate", "-f", str(path), "--json")
    assert result.code == 0, result.stderr
    assert result.json() == client.estimate_inference(INFERENCE)
    conflict = cli("estimate", "training", "-f", str(path))
    assert conflict.code == 2 and "says inference" in conflict.stderr
    no_kind = cli("estimate", "-f", str(write("w.json", INFERENCE)))
    assert no_kind.code == 2 and "give the workload kind" in no_kind.stderr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", '{"hardware": ', "is not valid JSON"),
        ("dup.json", '{"runs": 1, "runs": 2}', "key 'runs' is given twice"),
        ("nan.json", '{"runs": NaN}', "NaN is not a JSON number"),
        ("list.json", "[1, 2]", "must hold an object"),
        ("dup.yaml", "runs: 1\nruns: 2\n", "given twice"),
        ("date.yaml", "hardware: {count: 1}\nstart: 2026-01-01\n", "JSON cannot carry"),
        ("empty.json", "  \n", "is empty"),
    ],
)
def test_unreadable_files_exit_2(cli, write, name, text, message):
    result = cli("estimate", "training", "-f", str(write(name, text)))
    assert result.code == 2, result.stdout
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_file_exits_2(cli):
    result = cli("estimate", "training", "-f", "nowhere.json")
    assert result.code == 2 and "cannot read nowhere.json" in result.stderr


def test_warnings_are_highlighted(cli):
    # No location: the service warns that it used a world-average grid.
    result = cli(
        "estimate", "training", "--accelerator", "nvidia-a100-sxm4-80gb", "--count", "8", "--duration-hours", "10"
    )
    assert result.code == 0, result.stderr
    warnings = result.stdout.split("\nwarnings:\n", 1)[1].splitlines()
    assert warnings and all(line.startswith("  ! ") for line in warnings)
    assert any("no-location" in line for line in warnings)


def test_the_table_follows_the_declared_figures_and_tolerates_nulls(cli, stub_server):
    """An answer from a newer service: market-based null, new breakdown and serving fields, no water_l."""
    answer = {
        "kind": "inference",
        "energy_kwh": {"value": 10, "low": 5, "high": 20},
        "emissions_kgco2e": {"value": 4, "low": 2, "high": 8},
        "market_based_emissions_kgco2e": None,
        "breakdown": {"market_based_operational_kgco2e": None, "offsite_water_l": {"value": 30, "low": 9, "high": 90}},
        "serving": {"latency_seconds": {"value": 1.5, "low": 1.5, "high": 1.5}, "something_new": 3},
        "warnings": [],
        "versions": {"methodology": "9.9.9", "data": "d"},
    }
    stub = stub_server(lambda seen: (200, {"Content-Type": "application/json"}, json.dumps(answer).encode()))
    table = cli("estimate", "inference", "--requests", "1", url=stub.base)
    assert table.code == 0, table.stderr
    assert figure_line(table.stdout, "Emissions, market-based").split()[-2:] == ["unknown", "kgCO2e"]
    assert figure_line(table.stdout, "Water, off-site (electricity)").split()[-4:] == ["30", "9", "90", "L"]
    assert figure_line(table.stdout, "Latency per request").split()[-4:] == ["1.5", "1.5", "1.5", "s"]
    assert "Water, on-site" not in table.stdout
    assert "warnings:" not in table.stdout
    as_csv = rows(cli("estimate", "inference", "--requests", "1", "--csv", url=stub.base).stdout)
    assert [row["figure"] for row in as_csv] == [
        "energy_kwh",
        "emissions_kgco2e",
        "market_based_emissions_kgco2e",
        "breakdown.market_based_operational_kgco2e",
        "breakdown.offsite_water_l",
        "serving.latency_seconds",
    ]
    assert as_csv[2]["value"] == ""


# errors and exit codes


def test_a_422_names_the_field_path_and_suggestions(cli):
    result = cli("estimate", "training", "--accelerator", "nvidia-h100-sxm-80gb", "--count", "8")
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("genai-footprint: 422 Unknown catalog id: Unknown accelerator 'nvidia-h100-sxm-80gb'")
    assert any(line.startswith("genai-footprint:   hardware.accelerator: Unknown accelerator") for line in lines)
    assert "genai-footprint:   did you mean: nvidia-h100-sxm5-80gb" in result.stderr

    as_json = cli("estimate", "training", "--accelerator", "nvidia-h100-sxm-80gb", "--count", "8", "--json")
    assert as_json.code == 2
    body = json.loads(as_json.stderr)
    assert body["status"] == 422 and "hardware.accelerator" in body["errors"]


def test_a_long_422_says_paths_were_left_out(cli, write):
    plan = write("plan.json", {**TRAINING, **{f"unknown_{n:03}": 1 for n in range(60)}})
    result = cli("estimate", "training", "-f", str(plan))
    assert result.code == 2
    assert "... and 10 more field path(s) not listed by the service" in result.stderr


def test_unreachable_service_exits_3(cli, write):
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("estimate", "training", "-f", str(write("plan.json", TRAINING)), "--retries", "0", url=url)
    assert result.code == 3
    assert result.stderr.startswith(
        f"genai-footprint: service unreachable: could not reach {url}/v1/estimates/training"
    )


def test_failing_service_exits_3(cli, stub_server, server):
    stub = stub_server(failing(server.base, 503, times=100))
    result = cli("catalog", "models", "--retries", "1", url=stub.base)
    assert result.code == 3
    assert "503 Stub" in result.stderr
    assert len(stub.seen) == 2


def test_no_url_exits_2(cli):
    result = cli("catalog", "models", url=None)
    assert result.code == 2
    assert "no service URL: give --url or set FOOTPRINT_URL" in result.stderr


def test_url_option_before_or_after_the_command(cli, server):
    assert cli("--url", server.base, "catalog", "models", url=None).code == 0
    assert cli("catalog", "models", "--url", server.base, url="http://127.0.0.1:9").code == 0
    bad = cli("catalog", "models", "--url", "localhost:8080", url=None)
    assert bad.code == 2 and "base_url must be an http" in bad.stderr


def test_a_failure_once_is_retried(cli, stub_server, server, write, client):
    stub = stub_server(failing(server.base, 503, headers={"Retry-After": "0"}))
    result = cli("estimate", "training", "-f", str(write("plan.json", TRAINING)), "--json", url=stub.base)
    assert result.code == 0, result.stderr
    assert result.json() == client.estimate_training(TRAINING)
    assert len(stub.seen) == 2
    assert "503; retry 1 of 3 in 0 s" in result.stderr


def test_api_key_from_the_environment(cli, auth_server):
    with_key = cli("catalog", "models", url=auth_server.base, env={"FOOTPRINT_API_KEY": API_KEY})
    assert with_key.code == 0, with_key.stderr
    without = cli("catalog", "models", url=auth_server.base)
    assert without.code == 2
    assert "401" in without.stderr


def test_detail_is_passed_as_the_query_parameter(cli, stub_server, write):
    answers = {
        "/v1/estimates/training": {"kind": "training", "emissions_kgco2e": {"value": 1, "low": 1, "high": 1}},
        "/v1/estimates/batch": {"items": []},
        "/v1/recommendations": {"baseline": {}, "recommendations": [], "notes": []},
        "/v1/compare": {"kind": "training", "baseline": "plan", "scenarios": []},
    }
    stub = stub_server(
        lambda seen: (200, {"Content-Type": "application/json"}, json.dumps(answers[seen.path]).encode())
    )
    plan = str(write("plan.json", TRAINING))
    batch = str(write("batch.json", [{"id": "a", "kind": "training", "workload": TRAINING}]))
    commands = [
        ("estimate", "training", "-f", plan),
        ("check", "training", "-f", plan, "--max-kgco2e", "5"),
        ("batch", "-f", batch),
        ("recommend", "training", "-f", plan),
        ("compare", "--kind", "training", plan),
    ]
    for command in commands:
        for extra, query in (((), ""), (("--detail", "summary"), "detail=summary")):
            result = cli(*command, *extra, url=stub.base)
            assert result.code == 0, (command, result.stderr)
            assert stub.seen[-1].query == query, command


# check


@pytest.fixture(scope="module")
def training_answer(client):
    return client.estimate_training(TRAINING)


def test_check_within_and_over_budget(cli, write, training_answer):
    plan = str(write("plan.json", TRAINING))
    value = training_answer["emissions_kgco2e"]["value"]

    within = cli("check", "training", "-f", plan, "--max-kgco2e", str(value * 1.25))
    assert within.code == 0, within.stderr
    assert within.stdout.count("\n") == 1
    assert within.stdout.startswith(f"OK: training emissions_kgco2e {number(value)} kgCO2e is within ")
    assert f"by {number(value * 1.25 - value)} kgCO2e" in within.stdout

    over = cli("check", "training", "-f", plan, "--max-kgco2e", "500")
    assert over.code == 1
    assert over.stdout == (
        f"OVER BUDGET: training emissions_kgco2e {number(value)} kgCO2e exceeds 500 "
        f"by {number(value - 500)} kgCO2e (+{number((value - 500) / 500 * 100)} %)\n"
    )


def test_check_on_the_high_end(cli, write, training_answer):
    plan = str(write("plan.json", TRAINING))
    emissions = training_answer["emissions_kgco2e"]
    between = (emissions["value"] + emissions["high"]) / 2
    assert cli("check", "training", "-f", plan, "--max-kgco2e", str(between)).code == 0
    high = cli("check", "training", "-f", plan, "--max-kgco2e", str(between), "--on", "high")
    assert high.code == 1
    assert high.stdout.startswith(
        f"OVER BUDGET: training emissions_kgco2e (high end) {number(emissions['high'])} kgCO2e"
    )


def test_check_energy_and_water_budgets(cli, write, training_answer):
    plan = str(write("plan.json", TRAINING))
    energy, water = training_answer["energy_kwh"]["value"], training_answer["water_l"]["value"]
    ok = cli("check", "training", "-f", plan, "--max-kwh", str(energy * 2), "--max-water-l", str(water * 2))
    assert ok.code == 0, ok.stderr
    assert "energy_kwh" in ok.stdout and "water_l" in ok.stdout and ok.stdout.count("\n") == 1
    one_over = cli("check", "training", "-f", plan, "--max-kwh", str(energy * 2), "--max-water-l", str(water / 2))
    assert one_over.code == 1
    assert one_over.stdout.startswith("OVER BUDGET: training energy_kwh")
    assert f"water_l {number(water)} L exceeds {number(water / 2)} by {number(water / 2)} L (+100 %)" in one_over.stdout


def test_check_json_and_csv(cli, write, training_answer):
    plan = str(write("plan.json", TRAINING))
    value = training_answer["emissions_kgco2e"]["value"]
    as_json = cli("check", "training", "-f", plan, "--max-kgco2e", "500", "--json")
    assert as_json.code == 1
    body = as_json.json()
    assert body["within_budget"] is False
    assert body["checks"] == [
        {
            "figure": "emissions_kgco2e",
            "option": "--max-kgco2e",
            "unit": "kgCO2e",
            "limit": 500.0,
            "on": "value",
            "estimate": value,
            "over_by": value - 500,
            "within_budget": False,
        }
    ]
    assert body["estimate"] == training_answer
    as_csv = cli("check", "training", "-f", plan, "--max-kgco2e", "1e12", "--csv")
    assert as_csv.code == 0
    (row,) = rows(as_csv.stdout)
    assert row["within_budget"] == "True" and float(row["estimate"]) == value


def test_check_input_errors_exit_2(cli, write):
    plan = str(write("plan.json", TRAINING))
    no_budget = cli("check", "training", "-f", plan)
    assert no_budget.code == 2 and "give a budget" in no_budget.stderr
    negative = cli("check", "training", "-f", plan, "--max-kgco2e", "-1")
    assert negative.code == 2 and "must be a finite number >= 0" in negative.stderr
    invalid = cli("check", "training", "--accelerator", "nvidia-h100-sxm5-80gb", "--count", "0", "--max-kgco2e", "5")
    assert invalid.code == 2 and "hardware.count" in invalid.stderr and invalid.stdout == ""


def test_check_unreachable_exits_3(cli, write):
    url = f"http://127.0.0.1:{free_port()}"
    result = cli(
        "check", "training", "-f", str(write("p.json", TRAINING)), "--max-kgco2e", "1", "--retries", "0", url=url
    )
    assert result.code == 3 and result.stdout == ""


def test_check_prints_warnings_on_stderr(cli):
    result = cli(
        "check",
        "training",
        "--accelerator",
        "nvidia-a100-sxm4-80gb",
        "--count",
        "8",
        "--duration-hours",
        "10",
        "--max-kgco2e",
        "1e9",
    )
    assert result.code == 0
    assert result.stdout.startswith("OK: ") and result.stdout.count("\n") == 1
    assert "genai-footprint: ! no-location" in result.stderr


# batch, recommend, compare, catalog


BATCH = [
    {"id": "t", "kind": "training", "workload": TRAINING},
    {"id": "i", "kind": "inference", "workload": INFERENCE},
]


def test_batch_in_every_format(cli, write, client):
    expected = client.estimate_batch(BATCH)
    as_list, as_object = str(write("b1.json", BATCH)), str(write("b2.yaml", yaml.safe_dump({"items": BATCH})))
    assert cli("batch", "-f", as_list, "--json").json() == expected
    assert cli("batch", "-f", as_object, "--json").json() == expected
    table = cli("batch", "-f", as_list)
    assert table.code == 0
    header, first, second = table.stdout.splitlines()[:3]
    assert header.split()[:3] == ["id", "kind", "status"]
    assert first.split()[:4] == [
        "t",
        "training",
        "200",
        number(expected["items"][0]["result"]["emissions_kgco2e"]["value"]),
    ]
    assert second.split()[:3] == ["i", "inference", "200"]
    table_rows = rows(cli("batch", "-f", as_list, "--csv").stdout)
    assert {row["id"] for row in table_rows} == {"t", "i"}
    assert {row["figure"] for row in table_rows if row["id"] == "i"} >= {"per_request.emissions_gco2e"}


def test_batch_with_an_invalid_item_exits_2(cli, write):
    items = [*BATCH, {"id": "bad", "kind": "training", "workload": {"hardware": {"count": 0}}}]
    result = cli("batch", "-f", str(write("b.json", items)))
    assert result.code == 2
    assert "bad" in result.stdout and "422" in result.stdout
    assert "genai-footprint: item bad failed:" in result.stderr
    assert "workload.hardware.count" in result.stderr


def test_recommend_in_every_format(cli, write, client):
    expected = client.recommend("inference", INFERENCE, constraints={"providers": ["aws"]})
    body = str(
        write("request.json", {"kind": "inference", "workload": INFERENCE, "constraints": {"providers": ["aws"]}})
    )
    assert cli("recommend", "-f", body, "--json").json() == expected
    table = cli("recommend", "-f", body)
    assert table.code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith(f"baseline: {number(expected['baseline']['emissions_kgco2e']['value'])} ")
    first = expected["recommendations"][0]
    assert lines[1].split()[:3] == ["#", "code", "variant"]
    assert lines[2].split()[:3] == ["1", first["code"], first["variant"]]
    table_rows = rows(cli("recommend", "-f", body, "--csv").stdout)
    assert [row["code"] for row in table_rows] == [r["code"] for r in expected["recommendations"]]
    assert float(table_rows[0]["saved_emissions_kgco2e"]) == first["savings"]["emissions_kgco2e"]["value"]

    workload_only = cli("recommend", "inference", "-f", str(write("w.json", INFERENCE)), "--json")
    assert workload_only.json() == client.recommend("inference", INFERENCE)


def test_compare_in_every_format(cli, write, client):
    a, b = str(write("virginia.json", INFERENCE)), str(write("stockholm.yaml", yaml.safe_dump(STOCKHOLM)))
    expected = client.compare("inference", {"virginia": INFERENCE, "stockholm": STOCKHOLM})
    assert cli("compare", "--kind", "inference", a, b, "--json").json() == expected
    table = cli("compare", "--kind", "inference", a, b)
    assert table.code == 0, table.stderr
    title, header, first, second = table.stdout.splitlines()
    assert title == "inference scenarios, deltas against virginia"
    percent = expected["scenarios"][1]["delta"]["emissions_kgco2e"]["percent"]
    assert second.startswith("stockholm") and f"{number(percent)} %" in second
    table_rows = rows(cli("compare", "--kind", "inference", a, b, "--csv").stdout)
    stockholm_emissions = next(
        r for r in table_rows if r["scenario"] == "stockholm" and r["figure"] == "emissions_kgco2e"
    )
    assert float(stockholm_emissions["delta_percent"]) == percent


def test_compare_names_kinds_and_failures(cli, write):
    doc = str(write("doc.json", {"kind": "inference", "name": "named", "workload": INFERENCE}))
    plain = str(write("plain.json", STOCKHOLM))
    result = cli("compare", doc, plain, plain, "--json")
    assert result.code == 0, result.stderr
    assert [s["name"] for s in result.json()["scenarios"]] == ["named", "plain", "plain-2"]
    assert cli("compare", plain).code == 2  # no kind anywhere
    mixed = cli("compare", doc, str(write("t.json", {"kind": "training", "workload": TRAINING})))
    assert mixed.code == 2 and "different kinds" in mixed.stderr
    broken = cli("compare", "--kind", "inference", plain, str(write("broken.json", {"requests": 1})))
    assert broken.code == 2
    assert "genai-footprint: scenario broken failed:" in broken.stderr
    assert "broken" in broken.stdout


@pytest.mark.parametrize("catalog", ["accelerators", "instances", "regions", "models"])
def test_catalog_in_every_format(cli, client, catalog):
    expected = getattr(client, catalog)()
    assert cli("catalog", catalog, "--json").json() == expected
    table = cli("catalog", catalog)
    assert table.code == 0
    lines = table.stdout.splitlines()
    assert lines[-1] == f"{expected['count']} {catalog}"
    assert len(lines) == expected["count"] + 2
    table_rows = rows(cli("catalog", catalog, "--csv").stdout)
    assert [row["id"] for row in table_rows] == [item["id"] for item in expected["items"]]


def test_catalog_entries_and_filters(cli, client):
    one = cli("catalog", "accelerators", "nvidia-h100-sxm5-80gb")
    assert one.code == 0
    assert one.stdout.splitlines()[1].split() == ["id", "nvidia-h100-sxm5-80gb"]
    assert cli("catalog", "models", "mixtral-8x7b", "--json").json() == client.model("mixtral-8x7b")
    (row,) = rows(cli("catalog", "models", "mixtral-8x7b", "--csv").stdout)
    assert row["id"] == "mixtral-8x7b"
    gcp = rows(cli("catalog", "regions", "--provider", "gcp", "--csv").stdout)
    assert gcp and {row["provider"] for row in gcp} == {"gcp"}
    h100 = cli("catalog", "instances", "--accelerator", "nvidia-h100-sxm5-80gb", "--json").json()
    assert h100 == client.instances(accelerator="nvidia-h100-sxm5-80gb")

    unknown = cli("catalog", "models", "llama-3.1-8")
    assert unknown.code == 2 and "404" in unknown.stderr and "did you mean: llama-3.1-8b" in unknown.stderr
    no_lookup = cli("catalog", "regions", "us-east-1")
    assert no_lookup.code == 2 and "regions has no entry look-up" in no_lookup.stderr
    bad_filter = cli("catalog", "instances", "--provider", "ibm")
    assert bad_filter.code == 2 and "provider" in bad_filter.stderr


def test_a_reader_that_leaves_early(server, tmp_path):
    """`genai-footprint ... | head`: no traceback, the status of a process ended by SIGPIPE."""
    # The regions as JSON are some 250 KB: far more than a pipe holds, so writing fails once head has left.
    script = f"set -o pipefail; {command_path()} catalog regions --json --url {server.base} | head -1"
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout == "{\n"
    assert result.stderr == ""
    assert result.returncode == 141


@pytest.mark.parametrize("command", ["estimate", "check", "batch", "recommend", "compare", "catalog"])
def test_help_of_every_command(cli, command):
    result = cli(command, "--help", url=None)
    assert result.code == 0
    assert result.stdout.startswith(f"usage: genai-footprint {command}")


def test_version_and_usage(cli):
    from genai_footprint_client import __version__

    assert cli("--version", url=None).stdout.strip() == f"genai-footprint {__version__}"
    assert cli(url=None).code == 2
    assert cli("estimate", "nonsense", url=None).code == 2


def test_problem_from_a_stub_shows_the_request_id(cli, stub_server):
    body = problem(422, "Invalid", errors={"a.b": ["bad"]}, request_id="req-1")
    stub = stub_server(lambda seen: (422, {"Content-Type": "application/problem+json"}, body))
    result = cli("catalog", "models", url=stub.base)
    assert result.code == 2
    assert "genai-footprint:   request id: req-1" in result.stderr
