"""The ``genai-footprint`` command line: estimates, batches, recommendations, comparisons, the catalog, and
``check``, which gates a CI pipeline on a carbon, energy or water budget.

Exit codes: 0 done (within budget), 1 over budget, 2 invalid input (usage, an unreadable file, or a request
the service refused: its field paths and suggestions on stderr), 3 service unreachable or failing.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

from ._version import __version__
from .client import DEFAULT_RETRIES, DEFAULT_TIMEOUT, KINDS, FootprintClient
from .errors import FootprintError, ProblemError, ServiceUnreachableError
from .figures import BUDGET_FIGURES, Range, Side, get_range
from .inputs import InputError, load_document, load_object, parse_assignment, set_path
from .output import (
    batch_csv,
    batch_table,
    catalog_csv,
    catalog_table,
    colour_enabled,
    compare_csv,
    compare_table,
    csv_text,
    estimate_csv,
    estimate_table,
    number,
    problem_lines,
    recommend_csv,
    recommend_table,
    warning_lines,
)

EXIT_OK: Final = 0
EXIT_OVER_BUDGET: Final = 1
EXIT_INVALID: Final = 2
EXIT_UNAVAILABLE: Final = 3

CATALOGS: Final = ("accelerators", "instances", "regions", "models")
#: Catalogs with an item endpoint (GET /v1/{catalog}/{id}).
CATALOG_ITEMS: Final = {"accelerators": "accelerator", "models": "model"}

ALL_KINDS: Final = KINDS
TRAINING_KINDS: Final = ("training", "fine-tuning")


class Flag:
    """A command-line flag that sets one field of the workload."""

    def __init__(self, option: str, path: str, kind: Callable[[str], Any], kinds: Sequence[str], help: str) -> None:
        self.option, self.path, self.type, self.kinds, self.help = option, path, kind, tuple(kinds), help
        self.dest = "field_" + option.lstrip("-").replace("-", "_")


#: Common inputs as flags; anything else with --set PATH=VALUE. A flag overrides the same field of the file.
WORKLOAD_FLAGS: Final = (
    Flag("--model", "model.preset", str, ALL_KINDS, "model preset id (genai-footprint catalog models)"),
    Flag("--parameters-billion", "model.parameters_billion", float, ALL_KINDS, "total parameters, billions"),
    Flag("--accelerator", "hardware.accelerator", str, ALL_KINDS, "accelerator id (catalog accelerators)"),
    Flag("--instance-type", "hardware.instance_type", str, ALL_KINDS, "instance type id (catalog instances)"),
    Flag("--count", "hardware.count", int, ALL_KINDS, "accelerators, or instances with --instance-type"),
    Flag("--precision", "hardware.precision", str, ALL_KINDS, "fp32, tf32, bf16, fp16, fp8, int8 or int4"),
    Flag("--tokens-billion", "training_tokens_billion", float, ("training",), "training tokens, billions"),
    Flag("--duration-hours", "duration_hours", float, TRAINING_KINDS, "wall-clock hours per run"),
    Flag("--accelerator-hours", "accelerator_hours", float, TRAINING_KINDS, "accelerator-hours per run"),
    Flag("--runs", "runs", int, TRAINING_KINDS, "identical runs"),
    Flag("--method", "method", str, ("fine-tuning",), "full, lora, qlora, adapter, prefix_tuning, prompt_tuning"),
    Flag("--dataset-tokens-million", "dataset_tokens_million", float, ("fine-tuning",), "dataset tokens, millions"),
    Flag("--epochs", "epochs", float, ("fine-tuning",), "passes over the dataset"),
    Flag("--requests", "requests", float, ("inference",), "requests served"),
    Flag("--input-tokens", "input_tokens_per_request", float, ("inference",), "prompt tokens per request"),
    Flag("--output-tokens", "output_tokens_per_request", float, ("inference",), "generated tokens per request"),
)


class UsageError(Exception):
    """Bad arguments found after parsing (argparse reports the others itself, also with exit code 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(format="genai-footprint: %(message)s", level=logging.WARNING, stream=sys.stderr)
    as_json = getattr(args, "format", "table") == "json"
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"genai-footprint: error: {exc} (genai-footprint {args.command} --help)", file=sys.stderr)
        return EXIT_INVALID
    except InputError as exc:
        print(f"genai-footprint: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ProblemError as exc:
        report_problem(exc, as_json)
        return EXIT_INVALID if exc.is_client_error else EXIT_UNAVAILABLE
    except ServiceUnreachableError as exc:
        print(f"genai-footprint: service unreachable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except FootprintError as exc:
        print(f"genai-footprint: service failing: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except ValueError as exc:  # e.g. a bad --url, or NaN in a request body
        print(f"genai-footprint: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader left (`genai-footprint catalog regions --csv | head`): stop quietly with the status a
        # process killed by SIGPIPE has, and keep Python from failing again on flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def build_parser() -> argparse.ArgumentParser:
    connection = argparse.ArgumentParser(add_help=False)
    group = connection.add_argument_group("service")
    # SUPPRESS: an option given before the subcommand is not reset by the subcommand's default.
    group.add_argument(
        "--url", default=argparse.SUPPRESS, help="service root URL (default: $FOOTPRINT_URL); key: $FOOTPRINT_API_KEY"
    )
    group.add_argument(
        "--timeout", type=_positive, default=argparse.SUPPRESS, help=f"seconds (default {DEFAULT_TIMEOUT:g})"
    )
    group.add_argument(
        "--retries",
        type=_count,
        default=argparse.SUPPRESS,
        help=f"retries on connection errors and 5xx answers (default {DEFAULT_RETRIES})",
    )

    output = argparse.ArgumentParser(add_help=False)
    formats = output.add_argument_group("output").add_mutually_exclusive_group()
    formats.add_argument("--json", dest="format", action="store_const", const="json", help="the answer as JSON")
    formats.add_argument("--csv", dest="format", action="store_const", const="csv", help="CSV rows")
    output.set_defaults(format="table")

    detail = argparse.ArgumentParser(add_help=False)
    detail.add_argument(
        "--detail", help="answer detail sent as ?detail= (summary: no assumptions or sources; default: full)"
    )

    workload = argparse.ArgumentParser(add_help=False)
    fields = workload.add_argument_group("workload fields (override the file's)")
    for flag in WORKLOAD_FLAGS:
        kinds = "" if flag.kinds == ALL_KINDS else f" [{', '.join(flag.kinds)}]"
        fields.add_argument(flag.option, dest=flag.dest, type=flag.type, metavar="X", help=flag.help + kinds)
    fields.add_argument("--region", metavar="PROVIDER:REGION", help="cloud region, e.g. aws:us-east-1")
    fields.add_argument("--country", metavar="CC", help="ISO country of an on-premises site, e.g. DE")
    fields.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="any field, VALUE as JSON or text (repeatable): --set deployment.mode=dedicated",
    )

    parser = argparse.ArgumentParser(
        prog="genai-footprint",
        description="Energy, emissions and water of generative-AI workloads, from a genai-footprint service.",
        epilog="Exit codes: 0 ok (within budget), 1 over budget, 2 invalid input, 3 service unreachable or failing.",
        parents=[connection],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, parents=[connection, *parents])

    kind_help = "workload kind (default: the file's 'kind')"
    file_help = "workload file, JSON or YAML ('-': standard input); or a {kind, workload} document"

    sub = command("estimate", "estimate one workload", [output, detail, workload])
    sub.add_argument("kind", nargs="?", choices=KINDS, help=kind_help)
    sub.add_argument("-f", "--file", help=file_help)
    sub.set_defaults(run=run_estimate)

    sub = command("check", "check a planned workload against a budget (exit 1 when over)", [output, detail, workload])
    sub.add_argument("kind", nargs="?", choices=KINDS, help=kind_help)
    sub.add_argument("-f", "--file", help=file_help)
    for option, figure in BUDGET_FIGURES:
        sub.add_argument(
            "--" + option.replace("_", "-"),
            dest=option,
            type=_budget,
            metavar=figure.unit,
            help=f"budget: {figure.label}",
        )
    sub.add_argument(
        "--on",
        choices=("value", "high"),
        default="value",
        help="compare the central value (default) or the high end of the estimate's range",
    )
    sub.set_defaults(run=run_check)

    sub = command("batch", "estimate many workloads of any kind in one call", [output, detail])
    sub.add_argument("-f", "--file", required=True, help="{items: [{id, kind, workload}, ...]} or the list itself")
    sub.set_defaults(run=run_batch)

    sub = command("recommend", "changes that would lower a workload's emissions", [output, detail, workload])
    sub.add_argument("kind", nargs="?", choices=KINDS, help=kind_help)
    sub.add_argument(
        "-f", "--file", help=file_help + " with constraints and rag_comparison beside the workload if wanted"
    )
    sub.set_defaults(run=run_recommend)

    sub = command("compare", "workloads of one kind side by side, with deltas against the first", [output, detail])
    sub.add_argument("files", nargs="+", metavar="FILE", help="workload files (or {kind, workload} documents)")
    sub.add_argument("--kind", choices=KINDS, help=kind_help)
    sub.set_defaults(run=run_compare)

    sub = command("catalog", "list the reference catalog, or show one entry", [output])
    sub.add_argument("catalog", choices=CATALOGS)
    sub.add_argument("id", nargs="?", help="one entry (accelerators and models)")
    sub.add_argument("--provider", help="filter: aws, gcp or azure (instances, regions)")
    sub.add_argument("--accelerator", help="filter: accelerator id (instances)")
    sub.set_defaults(run=run_catalog)
    return parser


# Commands


def run_estimate(args: argparse.Namespace) -> int:
    kind, workload = workload_from(args)
    answer = client_from(args).estimate(kind, workload, detail=args.detail)
    colour = colour_enabled(sys.stdout)
    emit(args, answer, lambda: estimate_table(answer, colour), lambda: estimate_csv(answer))
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    budgets = [(option, figure, getattr(args, option)) for option, figure in BUDGET_FIGURES]
    budgets = [(option, figure, limit) for option, figure, limit in budgets if limit is not None]
    if not budgets:
        raise UsageError("give a budget: --max-kgco2e, --max-kwh and/or --max-water-l")
    kind, workload = workload_from(args)
    answer = client_from(args).estimate(kind, workload, detail=args.detail)
    side: Side = args.on
    results = []
    for option, figure, limit in budgets:
        found: Range | None = get_range(answer, figure.path)
        if found is None:
            raise FootprintError(f"the answer has no {figure.path} range to check")
        estimate = found.side(side)
        results.append(
            {
                "figure": figure.path,
                "option": "--" + option.replace("_", "-"),
                "unit": figure.unit,
                "limit": limit,
                "on": side,
                "estimate": estimate,
                "over_by": estimate - limit,
                "within_budget": estimate <= limit,
            }
        )
    within = all(result["within_budget"] for result in results)
    for line in warning_lines(answer.get("warnings"), colour_enabled(sys.stderr)):
        print(f"genai-footprint: {line}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"within_budget": within, "checks": results, "estimate": answer}, indent=2))
    elif args.format == "csv":
        headers = ("figure", "unit", "limit", "on", "estimate", "over_by", "within_budget")
        sys.stdout.write(csv_text(headers, ([r[h] for h in headers] for r in results)))
    else:
        print(budget_line(kind, results, within))
    return EXIT_OK if within else EXIT_OVER_BUDGET


def budget_line(kind: str, results: Sequence[Mapping[str, Any]], within: bool) -> str:
    """One line for a CI log: the verdict, then each figure against its budget and by how much."""
    parts = []
    for r in results:
        label = {"value": "", "high": " (high end)"}[r["on"]]
        share = f"+{number(r['over_by'] / r['limit'] * 100)} %" if r["limit"] > 0 else "over a zero budget"
        if r["within_budget"]:
            parts.append(
                f"{r['figure']}{label} {number(r['estimate'])} {r['unit']} is within {number(r['limit'])} "
                f"by {number(-r['over_by'])} {r['unit']}"
            )
        else:
            parts.append(
                f"{r['figure']}{label} {number(r['estimate'])} {r['unit']} exceeds {number(r['limit'])} "
                f"by {number(r['over_by'])} {r['unit']} ({share})"
            )
    return f"{'OK' if within else 'OVER BUDGET'}: {kind} " + "; ".join(parts)


def run_batch(args: argparse.Namespace) -> int:
    document = load_document(args.file)
    if isinstance(document, list):
        items, extra = document, {}
    elif isinstance(document, dict) and isinstance(document.get("items"), list):
        extra = dict(document)
        items = extra.pop("items")
    else:
        raise InputError(f"{args.file} must hold a list of {{id, kind, workload}} items or {{items: [...]}}")
    answer = client_from(args).estimate_batch(items, detail=args.detail, **extra)
    colour = colour_enabled(sys.stdout)
    emit(args, answer, lambda: batch_table(answer, colour), lambda: batch_csv(answer))
    failed = [item for item in answer.get("items", []) if isinstance(item, dict) and item.get("status") != 200]
    for item in failed:
        report_item_problem(f"item {item.get('id')}", item.get("problem"), args.format == "json")
    return EXIT_INVALID if failed else EXIT_OK


def run_recommend(args: argparse.Namespace) -> int:
    document = load_object(args.file) if args.file else {}
    body = dict(document) if "workload" in document else {"workload": document}
    kind = resolve_kind(args.kind, body.pop("kind", None), args.file)
    workload = body.pop("workload")
    if not isinstance(workload, dict):
        raise InputError(f"{args.file}: 'workload' must be an object")
    apply_flags(workload, args, kind)
    answer = client_from(args).recommend(kind, workload, detail=args.detail, **body)
    colour = colour_enabled(sys.stdout)
    emit(args, answer, lambda: recommend_table(answer, colour), lambda: recommend_csv(answer))
    return EXIT_OK


def run_compare(args: argparse.Namespace) -> int:
    if args.files.count("-") > 1:
        raise UsageError("standard input ('-') can be read only once")
    kinds: set[str] = set()
    scenarios: list[dict[str, Any]] = []
    names: set[str] = set()
    for source in args.files:
        document = load_object(source)
        name = Path(source).stem if source != "-" else "stdin"
        if "workload" in document:
            kinds.update([document["kind"]] if "kind" in document else [])
            name = str(document.get("name") or name)
            document = document["workload"]
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name}-{n}"
        names.add(unique)
        scenarios.append({"name": unique, "workload": document})
    if len(kinds) > 1:
        raise UsageError(f"the files are of different kinds ({', '.join(sorted(kinds))}): compare one kind at a time")
    kind = resolve_kind(args.kind, next(iter(kinds), None), "the files")
    answer = client_from(args).compare(kind, scenarios, detail=args.detail)
    colour = colour_enabled(sys.stdout)
    emit(args, answer, lambda: compare_table(answer, colour), lambda: compare_csv(answer))
    failed = [s for s in answer.get("scenarios", []) if isinstance(s, dict) and s.get("error")]
    for scenario in failed:
        report_item_problem(f"scenario {scenario.get('name')}", scenario.get("error"), args.format == "json")
    return EXIT_INVALID if failed else EXIT_OK


def run_catalog(args: argparse.Namespace) -> int:
    client = client_from(args)
    filters = {name: value for name, value in (("provider", args.provider), ("accelerator", args.accelerator)) if value}
    if args.id is not None:
        if args.catalog not in CATALOG_ITEMS:
            raise UsageError(f"{args.catalog} has no entry look-up; filter the list with --provider or --accelerator")
        if filters:
            raise UsageError("filters apply to lists, not to one entry")
        answer = getattr(client, CATALOG_ITEMS[args.catalog])(args.id)
    else:
        answer = getattr(client, args.catalog)(**filters)
    emit(args, answer, lambda: catalog_table(args.catalog, answer), lambda: catalog_csv(answer))
    return EXIT_OK


# Shared steps


def client_from(args: argparse.Namespace) -> FootprintClient:
    url = getattr(args, "url", None) or os.environ.get("FOOTPRINT_URL")
    if not url:
        raise UsageError("no service URL: give --url or set FOOTPRINT_URL")
    return FootprintClient(
        url,
        os.environ.get("FOOTPRINT_API_KEY") or None,
        timeout=getattr(args, "timeout", DEFAULT_TIMEOUT),
        retries=getattr(args, "retries", DEFAULT_RETRIES),
    )


def workload_from(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The kind and workload from -f (a workload, or a {kind, workload} document) and the field flags."""
    document = load_object(args.file) if args.file else {}
    file_kind = None
    if "workload" in document:  # a {kind, workload, ...} document; other keys (constraints...) are recommend's
        file_kind, document = document.get("kind"), document["workload"]
        if not isinstance(document, dict):
            raise InputError(f"{args.file}: 'workload' must be an object")
    kind = resolve_kind(args.kind, file_kind, args.file)
    apply_flags(document, args, kind)
    return kind, document


def resolve_kind(given: str | None, from_file: Any, source: str | None) -> str:
    if given and from_file and given != from_file:
        raise UsageError(f"kind {given} given, but {source} says {from_file}")
    kind = given or from_file
    if not kind:
        raise UsageError("give the workload kind: training, fine-tuning or inference")
    if kind not in KINDS:
        raise UsageError(f"{source}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return str(kind)


def apply_flags(workload: dict[str, Any], args: argparse.Namespace, kind: str) -> None:
    for flag in WORKLOAD_FLAGS:
        value = getattr(args, flag.dest, None)
        if value is None:
            continue
        if kind not in flag.kinds:
            raise UsageError(f"{flag.option} applies to {', '.join(flag.kinds)}, not {kind}")
        set_path(workload, flag.path, value)
        # One way of naming the hardware: the flag replaces the file's other one.
        other = {"hardware.accelerator": "instance_type", "hardware.instance_type": "accelerator"}.get(flag.path)
        if other:
            workload["hardware"].pop(other, None)
    if args.region is not None:
        provider, sep, region = args.region.partition(":")
        if not sep or not provider or not region:
            raise UsageError(f"--region takes PROVIDER:REGION, e.g. aws:us-east-1, not {args.region!r}")
        set_path(workload, "datacenter.provider", provider)
        set_path(workload, "datacenter.region", region)
        workload["datacenter"].pop("country", None)
    if args.country is not None:
        set_path(workload, "datacenter.country", args.country)
        for key in ("provider", "region"):
            workload["datacenter"].pop(key, None)
    for assignment in args.assignments:
        set_path(workload, *parse_assignment(assignment))


def emit(args: argparse.Namespace, answer: Any, as_table: Callable[[], str], as_csv: Callable[[], str]) -> None:
    if args.format == "json":
        print(json.dumps(answer, indent=2))
    elif args.format == "csv":
        sys.stdout.write(as_csv())
    else:
        print(as_table())


def report_problem(error: ProblemError, as_json: bool, stream: IO[str] | None = None) -> None:
    stream = stream or sys.stderr
    if as_json:
        print(json.dumps(error.problem, indent=2), file=stream)
        return
    for line in problem_lines(error):
        print(f"genai-footprint: {line}", file=stream)


def report_item_problem(label: str, problem: Any, as_json: bool) -> None:
    if isinstance(problem, Mapping):
        error = ProblemError(problem, status=int(problem.get("status") or 0))
        if not as_json:
            print(f"genai-footprint: {label} failed:", file=sys.stderr)
        report_problem(error, as_json)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, not {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
