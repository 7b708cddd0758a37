"""Published cases -> API requests and the figure each one is compared with.

Each case in ``tests/validation/published-cases.json`` (copied from the project's research folder, with
its ``source``) becomes one or more :class:`Check`: an HTTP request body built *only* from inputs its source
gives, the response field to read, and the published figure. Three groups:

* ``convention`` - every input is published (accelerator-hours or count x hours, power, PUE, grid factor):
  the service must reproduce energy and operational CO2e within 2%.
* ``predictive`` - training and fine-tuning with the measured power or the hours withheld: the service
  supplies MFU, power and host overhead itself. The published value should fall inside [low, high].
* ``inference`` - measured inference energy (ML.ENERGY, Power Hungry Processing) per functional unit.

Energy scope is matched case by case (see ``scope`` of each check): GPU-only measurements are compared
with ``breakdown.accelerators_kwh``; measurements of GPU + CPU + RAM without a facility (CodeCarbon) are
compared with the IT energy at PUE 1; facility figures with ``energy_kwh``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.reference import Catalog, load_catalog

from .training_fit import Run, published_accelerator_hours, run_of

CASES_PATH = Path(__file__).resolve().parents[2] / "tests" / "validation" / "published-cases.json"

CONVENTION = "convention"
PREDICTIVE = "predictive"
BENCHMARK = "benchmark"
INFERENCE = "inference"
GROUPS = (CONVENTION, PREDICTIVE, BENCHMARK, INFERENCE)

#: Accelerator ids of the shipped catalog for the hardware names the sources use.
HARDWARE_IDS = {
    "Google TPU v2": "google-tpu-v2",
    "Google TPU v3": "google-tpu-v3",
    "NVIDIA V100": "nvidia-v100-sxm2-32gb",
    "NVIDIA V100 x64": "nvidia-v100-sxm2-32gb",
    "NVIDIA P100": "nvidia-p100-sxm2-16gb",
    "NVIDIA P100 x8": "nvidia-p100-sxm2-16gb",
    "NVIDIA A100 80GB": "nvidia-a100-sxm4-80gb",
    "NVIDIA H100-80GB": "nvidia-h100-sxm5-80gb",
    "NVIDIA H100": "nvidia-h100-sxm5-80gb",
    "NVIDIA B200": "nvidia-b200",
}


@dataclass(frozen=True)
class Check:
    """One comparison: a request, where to read the answer, and the published figure."""

    case_id: str
    group: str
    quantity: str
    endpoint: str
    body: dict[str, Any]
    published: float
    #: Path of the Range in the response body, e.g. ("breakdown", "operational_kgco2e").
    path: tuple[str, ...]
    #: Multiply the response figure by this to get the published unit (e.g. per 1,000 -> per unit).
    factor: float = 1.0
    scope: str = ""
    source: str = ""
    tolerance: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        kind = {"convention": "", "predictive": "predicted-", "benchmark": "predicted-", "inference": ""}[self.group]
        return f"{self.case_id}:{kind}{self.quantity.split(' ')[0].lower()}"

    def read(self, response: dict[str, Any]) -> dict[str, float]:
        node: Any = response
        for key in self.path:
            node = node[key]
        return {k: node[k] * self.factor for k in ("value", "low", "high")}


def load_cases(path: Path | None = None) -> list[dict[str, Any]]:
    return json.loads((path or CASES_PATH).read_text(encoding="utf-8"))


def _hardware(case: dict[str, Any]) -> str:
    name = case["hardware"]
    if name in HARDWARE_IDS:
        return HARDWARE_IDS[name]
    for key, value in HARDWARE_IDS.items():
        if name.startswith(key):
            return value
    if "A100" in name:
        return "nvidia-a100-sxm4-80gb"
    if "P100" in name:
        return "nvidia-p100-sxm2-16gb"
    raise KeyError(f"{case['id']}: no accelerator id for hardware {name!r}")


def _site(pue: float, ci_kg: float | None) -> dict[str, Any]:
    site: dict[str, Any] = {"pue": pue}
    if ci_kg is not None:
        site["carbon_intensity_gco2e_per_kwh"] = round(ci_kg * 1000.0, 6)
    return site


def _convention_pair(case, endpoint, body, *, energy_path=("energy_kwh",), energy=True, note="") -> list[Check]:
    checks = []
    src = case["source"]
    if energy and case["energy_kwh"] is not None:
        checks.append(
            Check(
                case["id"],
                CONVENTION,
                "energy kWh",
                endpoint,
                body,
                case["energy_kwh"],
                energy_path,
                scope=note or "facility energy (PUE applied)",
                source=src,
                tolerance=0.02,
            )
        )
    if case["co2e_kg"] is not None:
        checks.append(
            Check(
                case["id"],
                CONVENTION,
                "CO2e kg (operational)",
                endpoint,
                body,
                case["co2e_kg"],
                ("breakdown", "operational_kgco2e"),
                scope="location-based operational",
                source=src,
                tolerance=0.02,
            )
        )
    return checks


# -- training: convention -------------------------------------------------------------------------


def _patterson_convention(case) -> list[Check]:
    """Measured average *system* power per accelerator (host included): power_w = it, host share 0."""
    body = {
        "hardware": {
            "accelerator": _hardware(case),
            "count": case["accelerator_count"],
            "power_w": case["avg_power_w"],
            "host_overhead_fraction": 0,
        },
        "duration_hours": case["hours"],
        "datacenter": _site(case["pue"], case["carbon_intensity_kg_per_kwh"]),
        "include_embodied": False,
    }
    return _convention_pair(case, "training", body)


def _strubell_convention(case) -> list[Check]:
    """Strubell's power column is the whole job's CPU + DRAM + GPU draw: per accelerator = total / count."""
    total_w = case["other"]["total_system_power_w_cpu_dram_all_gpus"]
    count = case["accelerator_count"]
    body = {
        "hardware": {
            "accelerator": _hardware(case),
            "count": count,
            "power_w": total_w / count,
            "host_overhead_fraction": 0,
        },
        "duration_hours": case["hours"],
        "datacenter": _site(case["pue"], case["carbon_intensity_kg_per_kwh"]),
        "include_embodied": False,
    }
    return _convention_pair(case, "training", body, note="kWh x PUE")


def _gpu_hours_convention(
    case, power_w: float, pue: float, ci_kg: float, endpoint="training", extra_body=None
) -> list[Check]:
    body = {
        "hardware": {"accelerator": _hardware(case), "power_w": power_w, "host_overhead_fraction": 0},
        "accelerator_hours": case["accelerator_hours"],
        "datacenter": _site(pue, ci_kg),
        "include_embodied": False,
    }
    body.update(extra_body or {})
    return _convention_pair(case, endpoint, body)


def _llama1_convention(case) -> list[Check]:
    return _gpu_hours_convention(case, case["tdp_w"], case["pue"], case["carbon_intensity_kg_per_kwh"])


def _bloom_dynamic_convention(case) -> list[Check]:
    # GPU-hours x 400 W, no PUE, no host: the paper's "dynamic" consumption.
    return _gpu_hours_convention(case, case["tdp_w"], 1.0, case["carbon_intensity_kg_per_kwh"])


def _meta_card_convention(case) -> list[Check]:
    """Llama 3.x cards: GPU-hours x 700 W peak; the grid factor is not published, the implied one is used."""
    ci = case["other"]["derived"]["implied_kg_per_kwh_at_700W"]
    if case["kind"] == "fine-tuning":
        extra = {"model": {"parameters_billion": case["params_billion"]}, "method": "qlora"}
        return _gpu_hours_convention(case, case["tdp_w"], 1.0, ci, endpoint="fine-tuning", extra_body=extra)
    return _gpu_hours_convention(case, case["tdp_w"], 1.0, ci)


# -- training: predictive -------------------------------------------------------------------------


def _patterson_power_withheld(case) -> Check:
    """Count x hours, PUE and grid given; the measured system power is withheld (service: power + host)."""
    body = {
        "hardware": {"accelerator": _hardware(case), "count": case["accelerator_count"]},
        "duration_hours": case["hours"],
        "datacenter": _site(case["pue"], case["carbon_intensity_kg_per_kwh"]),
        "include_embodied": False,
    }
    return Check(
        case["id"],
        PREDICTIVE,
        "energy kWh (power withheld)",
        "training",
        body,
        case["energy_kwh"],
        ("energy_kwh",),
        scope="facility energy; measured system power withheld",
        source=case["source"],
    )


def _bloom_lifecycle(case) -> Check:
    """BLOOM's 50.5 t: dynamic + idle + embodied. Given: GPU-hours, count, grid factor; power, host, PUE and
    embodied are the service's. The service does not model the cluster's idle draw during training."""
    body = {
        "model": {"parameters_billion": case["params_billion"]},
        "hardware": {"accelerator": _hardware(case), "count": case["accelerator_count"]},
        "accelerator_hours": case["accelerator_hours"],
        "datacenter": {"country": "FR", "carbon_intensity_gco2e_per_kwh": case["carbon_intensity_kg_per_kwh"] * 1000},
        "include_embodied": True,
    }
    return Check(
        case["id"],
        PREDICTIVE,
        "CO2e kg (life cycle)",
        "training",
        body,
        case["co2e_kg"],
        ("emissions_kgco2e",),
        scope="operational + embodied (published also counts idle)",
        source=case["source"],
    )


def _dodge_finetune(case) -> Check:
    body = {
        "model": {"preset": "bert-base"},
        "method": "full",
        "hardware": {"accelerator": "nvidia-v100-sxm2-32gb", "count": case["accelerator_count"]},
        "duration_hours": case["hours"],
        "include_embodied": False,
    }
    return Check(
        case["id"],
        PREDICTIVE,
        "GPU energy kWh (power withheld)",
        "fine-tuning",
        body,
        case["energy_kwh"],
        ("breakdown", "accelerators_kwh"),
        scope="GPU only (measured): accelerators_kwh",
        source=case["source"],
    )


# -- training and fine-tuning: any run the throughput model can be checked on ----------------------------------


def training_run_check(case: dict[str, Any], run: Run) -> Check:
    """Accelerator-hours from what a user knows before the run: size, tokens (or the published FLOPs), the
    accelerator, and the count, precision and sequence length where the source publishes them."""
    model: dict[str, Any] = {"parameters_billion": case["params_billion"]}
    if run.is_moe:
        model["active_parameters_billion"] = run.active_parameters / 1e9
    hardware: dict[str, Any] = {"accelerator": run.accelerator_id}
    if case.get("accelerator_count"):
        hardware["count"] = case["accelerator_count"]
    if case.get("precision"):
        hardware["precision"] = case["precision"]
    body: dict[str, Any] = {"model": model, "hardware": hardware, "include_embodied": False}
    if case.get("seq_length"):
        body["sequence_length"] = case["seq_length"]
    if run.kind == "fine-tuning":
        body["method"] = (case.get("method") or "full").split(" ")[0].lower()
        body["dataset_tokens_million"] = run.tokens / 1e6
        if case.get("trainable_fraction") and body["method"] != "full":
            body["trainable_parameters_fraction"] = case["trainable_fraction"]
        endpoint = "fine-tuning"
    else:
        endpoint = "training"
        if run.published_flops is not None:
            body["flops"] = run.published_flops
        else:
            body["training_tokens_billion"] = run.tokens / 1e9
    quantity = (
        "accelerator-hours (from FLOPs)"
        if run.published_flops is not None
        else "accelerator-hours (from size x tokens)"
    )
    return Check(
        case["id"],
        BENCHMARK if run.benchmark else PREDICTIVE,
        quantity,
        endpoint,
        body,
        run.published_hours,
        ("compute", "accelerator_hours"),
        scope="accelerator-hours of the timed run" if run.benchmark else "accelerator-hours",
        source=case["source"],
        extra={"cv_group": run.group},
    )


def _measured_accelerator_energy(case: dict[str, Any]) -> Check | None:
    """Measured accelerator energy of a run whose accelerator-hours are published: power is the service's."""
    hours = published_accelerator_hours(case)
    if case.get("energy_basis") != "measured" or case.get("energy_scope") != "accelerator" or not hours:
        return None
    body = {
        "hardware": {"accelerator": case["accelerator_id"]},
        "accelerator_hours": hours,
        "include_embodied": False,
    }
    return Check(
        case["id"],
        PREDICTIVE,
        "accelerator energy kWh (power withheld)",
        "training",
        body,
        case["energy_kwh"],
        ("breakdown", "accelerators_kwh"),
        scope="accelerators only (measured)",
        source=case["source"],
    )


# -- inference ------------------------------------------------------------------------------------

#: Measured inference campaigns each check is built the same way for (every field from the case itself).
INFERENCE_SOURCES = ("mlenergy-v3", "mlenergy-v2", "mlenergy-v1", "argonne-llm-inference-bench")
#: Campaigns the serving model is fitted to. ML.ENERGY v2 ran vLLM 0.5.4, whose CPU-side scheduling later
#: engines removed (the software change alone cut energy per token by 41% on the same GPU: ML.ENERGY,
#: 'llm-energy-over-time', github.com/ml-energy/blog @ cb8ac0a), and averaged power over whole runs rather than
#: the steady state: it is checked, not fitted, so the constants describe current engines.
FITTED_SOURCES = ("mlenergy-v3", "mlenergy-v1", "argonne-llm-inference-bench")
#: Largest batch whose published time between tokens is compared with one decoding step.
SMALL_BATCH = 16


def _inference_model(case: dict[str, Any]) -> dict[str, Any]:
    """What a user serving the case's model gives: its preset, else its size (and routing where published)."""
    if case.get("preset"):
        return {"preset": case["preset"]}
    model: dict[str, Any] = {"parameters_billion": case["params_billion"]}
    if case.get("active_params_billion") and case["active_params_billion"] < case["params_billion"]:
        model["active_parameters_billion"] = case["active_params_billion"]
        if case.get("experts") and case.get("experts_per_token"):
            model["experts"] = case["experts"]
            model["experts_per_token"] = case["experts_per_token"]
    return model


def inference_check(case: dict[str, Any]) -> Check | None:
    """GPU energy per request of one measured serving configuration (ML.ENERGY, Argonne).

    The request gives what the source publishes: the model, the accelerator and how many a replica spans, the
    precision where it is not the model's native one, the engine, the batch cap (vLLM ``max_num_seqs``, or the
    static batch), the mean answer length and, where published, the prompt length (else the service's default).
    The answer's accelerator energy over 1,000 requests, in Wh per request, is compared with the measurement.
    """
    if case.get("not_checked") or case.get("source_id") not in INFERENCE_SOURCES:
        return None
    energy = case.get("energy_wh")
    if energy is None:
        energy = (case.get("derived") or {}).get("energy_wh_per_request")
    if energy is None:
        return None
    hardware: dict[str, Any] = {"accelerator": case["accelerator_id"], "count": case["accelerator_count"]}
    if case.get("precision"):
        hardware["precision"] = case["precision"]
    body: dict[str, Any] = {
        "model": _inference_model(case),
        "hardware": hardware,
        "requests": 1000,
        "output_tokens_per_request": case["output_tokens_mean"],
        "batch_size": case["batch_size"],
        "deployment": {"engine": case["engine"]},
        "include_embodied": False,
    }
    prompt = (
        case.get("input_tokens_mean") if case.get("input_tokens_mean") is not None else case.get("input_tokens_assumed")
    )
    if prompt is not None:
        body["input_tokens_per_request"] = prompt
    extra: dict[str, Any] = {}
    if case.get("avg_power_w") is not None:
        per = case["accelerator_count"] if case.get("avg_power_scope", "").startswith("sum") else 1
        extra["power_w_per_accelerator"] = case["avg_power_w"] / per
    # Time between tokens is one decoding step only at small batches; at large ones it also holds the prompts
    # of arriving requests and queueing, which the energy per request already accounts for.
    if case["batch_size"] <= SMALL_BATCH and case.get("median_itl_ms") is not None:
        extra["step_seconds"] = case["median_itl_ms"] / 1000.0
    elif case["batch_size"] <= SMALL_BATCH and case.get("avg_tpot_s") is not None:
        extra["step_seconds"] = case["avg_tpot_s"]
    return Check(
        case["id"],
        INFERENCE,
        "GPU energy Wh per request",
        "inference",
        body,
        energy,
        ("breakdown", "accelerators_kwh"),
        scope="GPU only (Zeus or NVML): accelerators_kwh of 1,000 requests, per request",
        source=case["source"],
        extra={**extra, "fit_scope": "accelerators", "fitted": case["source_id"] in FITTED_SOURCES},
    )


def mlperf_inference_check(case: dict[str, Any]) -> Check | None:
    """MLPerf Inference Power: one 8-accelerator server serving a benchmark at its measured rate.

    The request is what an operator of that server gives: the model, the 8 accelerators as one replica, fp8,
    a dedicated deployment for an hour at the published completed samples per second, the benchmark's mean
    answer length (the submission's accuracy run) and the service's default prompt length (the prompts' length
    is not published). MLPerf measures the whole server at the wall (accelerators, CPUs, memory, fans, power
    supplies), so the answer's IT energy at PUE 1, per request, is compared with the measured power divided by
    the measured throughput.
    """
    if case.get("not_checked") or case.get("source_id") != "mlperf-inference-power":
        return None
    rate = case["throughput"]["samples_per_s"]
    body: dict[str, Any] = {
        "model": {"preset": case["preset"]},
        "hardware": {"accelerator": case["accelerator_id"], "count": 8, "precision": case["precision"]},
        "traffic": {"requests_per_second": rate},
        "output_tokens_per_request": case["output_tokens_mean"],
        "deployment": {"mode": "dedicated", "replicas": 1, "hours": 1.0},
        "datacenter": {"pue": 1.0},
        "include_embodied": False,
    }
    requests = rate * 3600.0
    return Check(
        case["id"],
        INFERENCE,
        "server energy Wh per request",
        "inference",
        body,
        case["power"]["avg_system_power_W"] / rate / 3600.0,
        ("energy_kwh",),
        factor=1000.0 / requests,
        scope="whole server at the wall (MLPerf Power): IT energy at PUE 1, per request",
        source=f"{case['power']['source']}; throughput: {case['throughput']['source']}",
    )


def _php_zero_shot(case) -> Check:
    """Power Hungry Processing: kWh per 1,000 unbatched inferences on one A100, CodeCarbon GPU+CPU+RAM.

    Hardware: one 8 x A100 80GB AWS node (p4de.24xlarge) held by one unbatched job; CodeCarbon tracks every
    visible GPU, so the node's eight GPUs are in scope. Scope: IT energy (accelerators + host) without a
    facility -> PUE 1, the service's host share. The paper generates at most 10 new tokens per input (its
    text-generation setting) with Hugging Face pipelines, one input at a time; prompts are not published, so
    the service's default prompt length is used.
    """
    body = {
        "model": {"parameters_billion": case["params_billion"]},
        "hardware": {"instance_type": "p4de.24xlarge", "count": 1},
        "requests": 1000,
        "output_tokens_per_request": 10,
        "batch_size": 1,
        "deployment": {"engine": "eager"},
        "datacenter": {"pue": 1.0},
        "include_embodied": False,
    }
    return Check(
        case["id"],
        INFERENCE,
        "IT energy kWh per 1,000 inferences",
        "inference",
        body,
        case["energy_kwh"],
        ("energy_kwh",),
        scope="GPU + CPU + RAM, no PUE (CodeCarbon)",
        source=case["source"],
    )


def _bloom_deployment(case) -> Check:
    """BLOOM's API: 230,768 requests over 18 days on one 16 x A100 40GB replica, one request at a time (no
    batching: batch_size 1).

    A dedicated deployment: mostly idle (about 0.15 requests per second), so the energy is mostly that of
    keeping the replica up. Prompt and answer lengths are not published (the service's defaults). Scope: the
    paper's CodeCarbon figure (GPU, CPU and RAM) without a facility, so PUE 1.
    """
    body = {
        "model": {"preset": "bloom-176b"},
        "hardware": {"accelerator": case["accelerator_id"], "count": 16, "precision": "fp16"},
        "requests": 230768,
        "batch_size": 1,
        "deployment": {"mode": "dedicated", "replicas": 1, "hours": 18 * 24},
        "datacenter": {"pue": 1.0},
        "include_embodied": False,
    }
    return Check(
        case["id"],
        INFERENCE,
        "IT energy kWh of the deployment",
        "inference",
        body,
        case["derived"]["energy_kwh_total"],
        ("energy_kwh",),
        scope="GPU + CPU + RAM over the deployment, no PUE (CodeCarbon)",
        source=case["source"],
    )


def _mlenergy_response(case) -> Check:
    other = case["other"]
    body = {
        "model": {"preset": "qwen3-32b"},
        "hardware": {"accelerator": case["accelerator_id"], "count": case["accelerator_count"]},
        "requests": 1000,
        "output_tokens_per_request": other["mean_output_tokens"],
        "batch_size": other["max_batch_size"],
        "include_embodied": False,
    }
    return Check(
        case["id"],
        INFERENCE,
        "GPU energy Wh per response",
        "inference",
        body,
        case["energy_kwh"] * 1000.0,
        ("breakdown", "accelerators_kwh"),
        scope="GPU only (Zeus): accelerators_kwh of 1,000 requests, per request",
        source=case["source"],
        extra={"fit_scope": "accelerators", "fitted": True},
    )


def _mlenergy_per_token(case) -> Check:
    """Energy per output token at batch 64; the answer length is not stated (1,000 tokens here), and the
    figure per token hardly depends on it at this batch."""
    output = 1000
    body = {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": case["accelerator_id"], "count": case["accelerator_count"]},
        "requests": 1000,
        "output_tokens_per_request": output,
        "batch_size": 64,
        "include_embodied": False,
    }
    return Check(
        case["id"],
        INFERENCE,
        "GPU energy Wh per output token",
        "inference",
        body,
        case["energy_kwh"] * 1000.0,
        ("breakdown", "accelerators_kwh"),
        factor=1.0 / output,
        scope="GPU only: accelerators_kwh / output tokens",
        source=case["source"],
        extra={"fit_scope": "accelerators", "fitted": True},
    )


def _mlenergy_long_context(case) -> Check:
    body = {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": case["accelerator_id"], "count": case["accelerator_count"]},
        "requests": 1000,
        "input_tokens_per_request": 4096,
        "output_tokens_per_request": 512,
        "batch_size": case["other"]["max_batch_size"],
        "include_embodied": False,
    }
    return Check(
        case["id"],
        INFERENCE,
        "GPU energy Wh per generation",
        "inference",
        body,
        case["energy_kwh"] * 1000.0,
        ("breakdown", "accelerators_kwh"),
        scope="GPU only: accelerators_kwh of 1,000 requests, per request",
        source=case["source"],
        extra={"fit_scope": "accelerators", "fitted": True},
    )


Builder = Callable[[dict[str, Any]], "list[Check] | Check"]

BUILDERS: dict[str, list[Builder]] = {}


def _register(prefix_or_ids, *builders: Builder) -> None:
    for key in prefix_or_ids if isinstance(prefix_or_ids, (list, tuple)) else [prefix_or_ids]:
        BUILDERS.setdefault(key, []).extend(builders)


_register(
    [
        "patterson2021-evolved-transformer-nas",
        "patterson2021-t5-11b",
        "patterson2021-meena",
        "patterson2021-gshard-600b",
        "patterson2021-switch-transformer",
        "patterson2021-gpt3-175b",
        "patterson2021-t1-transformer-big-p100-usavg",
        "patterson2021-t1-transformer-big-p100-iowa",
        "patterson2021-t1-evolved-transformer-medium-p100-iowa",
        "patterson2021-t1-transformer-big-tpuv2-iowa",
        "patterson2021-t1-evolved-transformer-medium-tpuv2-iowa",
    ],
    _patterson_convention,
    _patterson_power_withheld,
)
_register(
    [
        "strubell2019-transformer-base",
        "strubell2019-transformer-big",
        "strubell2019-elmo",
        "strubell2019-bert-base-v100",
        "strubell2019-nas-evolved-transformer-p100",
    ],
    _strubell_convention,
)
_register(["llama1-7b", "llama1-13b", "llama1-33b", "llama1-65b"], _llama1_convention)
_register(["llama1-table15-opt-175b", "llama1-table15-bloom-176b"], _llama1_convention)
_register("luccioni2022-bloom-176b-dynamic", _bloom_dynamic_convention)
_register("luccioni2022-bloom-176b-lifecycle", _bloom_lifecycle)
_register(["llama31-8b", "llama31-405b", "llama32-1b-qlora"], _meta_card_convention)
_register("dodge2022-bert-small-finetune-mnli", _dodge_finetune)
_register(
    [
        "luccioni2024-zeroshot-flan-t5-base",
        "luccioni2024-zeroshot-flan-t5-large",
        "luccioni2024-zeroshot-flan-t5-xl",
        "luccioni2024-zeroshot-flan-t5-xxl",
        "luccioni2024-zeroshot-bloomz-560m",
        "luccioni2024-zeroshot-bloomz-1b",
        "luccioni2024-zeroshot-bloomz-3b",
        "luccioni2024-zeroshot-bloomz-7b",
    ],
    _php_zero_shot,
)
_register(["mlenergy-v3-qwen3-32b-b200-chat", "mlenergy-v3-qwen3-32b-b200-reasoning"], _mlenergy_response)
_register("mlenergy-llama31-8b-h100-bs64-per-token", _mlenergy_per_token)
_register("mlenergy2025-llama31-8b-longcontext-h100", _mlenergy_long_context)
_register("luccioni2023-bloom-176b-api-deployment", _bloom_deployment)


def build_checks(cases: list[dict[str, Any]] | None = None, catalog: Catalog | None = None) -> list[Check]:
    """Every check, in the order of the cases file: the case's own builders, then the generic training-run
    check for every run the throughput model can be checked on, and measured accelerator energy."""
    catalog = catalog or load_catalog()
    checks: list[Check] = []
    for case in cases if cases is not None else load_cases():
        for builder in BUILDERS.get(case["id"], []):
            made = builder(case)
            checks.extend(made if isinstance(made, list) else [made])
        run = run_of(case, catalog)
        if isinstance(run, Run):
            checks.append(training_run_check(case, run))
        energy = _measured_accelerator_energy(case) if case["kind"] in ("training", "fine-tuning") else None
        if energy is not None:
            checks.append(energy)
        if case["kind"] == "inference":
            checks.extend(c for c in (inference_check(case), mlperf_inference_check(case)) if c is not None)
    return checks


def not_modelled(cases: list[dict[str, Any]] | None = None, catalog: Catalog | None = None) -> dict[str, str]:
    """Cases no check uses, with the reason (listed in docs/validation.md)."""
    catalog = catalog or load_catalog()
    out = {}
    for case in cases if cases is not None else load_cases():
        if case["id"] in BUILDERS:
            continue
        if case["kind"] == "inference":
            if inference_check(case) is None and mlperf_inference_check(case) is None:
                out[case["id"]] = case.get("not_checked") or "no energy figure is published"
            continue
        made = run_of(case, catalog)
        if not isinstance(made, Run) and _measured_accelerator_energy(case) is None:
            out[case["id"]] = made
    return out
