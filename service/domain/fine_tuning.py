"""Fine-tuning, full or parameter-efficient: compute and memory per method, then the footprint."""

from __future__ import annotations

from dataclasses import dataclass

from ..reference import Catalog
from .assumptions import DEFAULT, DERIVED, INPUT, Ledger, assume_default
from .defaults import Default
from .embodied import embodied_rate_kg_per_accelerator_hour
from .errors import UnderdeterminedError
from .estimate import Estimate, MemoryFigures
from .footprint import footprint
from .formulas.compute import frozen_base_flops_per_parameter_token
from .formulas.energy import accelerator_energy_kwh
from .formulas.memory import GB, minimum_accelerators
from .hardware import resolve_hardware, resolve_model, whole_instances
from .inputs import FineTuningRequest
from .it_energy import it_energy_kwh
from .ranges import Range
from .site import SiteDefaults, resolve_site
from .throughput import (
    accelerator_hours_from_flops,
    check_implied_utilisation,
    check_power,
    flops_from_tokens,
    sequence_length,
)
from .training import training_power_w

DEFAULT_FINE_TUNING_ACCELERATOR = "nvidia-a100-sxm4-80gb"
"""Used when a fine-tuning request names no hardware: the most common accelerator in published
fine-tuning reports (Dettmers et al. 2023; Luccioni et al. 2024)."""

MILLION = 1e6


@dataclass(frozen=True, slots=True)
class MethodProfile:
    """Memory and compute characteristics of one fine-tuning method."""

    trainable_fraction: Default
    #: Bytes per frozen base weight (full fine-tuning: all state of a trained weight).
    base_bytes_per_parameter: float
    base_bytes_source: str
    gradient_checkpointing: bool
    #: Multiplier for activations and workspace on top of weights and optimiser state.
    activation_overhead: float


#: Mixed-precision Adam keeps bf16 weights and gradients, an fp32 master copy and two fp32 moments:
#: 2 + 2 + 4 + 4 + 4 = 16 bytes per trained parameter (Rajbhandari et al. 2020, ZeRO, arXiv:1910.02054 §3).
TRAINED_PARAMETER_BYTES = 16.0
#: LoRA-style adapters: bf16 weights and gradients plus two fp32 Adam moments = 12 bytes per parameter.
ADAPTER_PARAMETER_BYTES = 12.0

_FULL = Default("trainable_parameters_fraction", Range.exact(1.0), "fraction", "full fine-tuning trains every weight")
_LORA = Default(
    "trainable_parameters_fraction",
    Range(0.005, 0.0001, 0.02),
    "fraction",
    "LoRA: 0.01% of GPT-3's parameters at rank 4 on attention (Hu et al. 2021, arXiv:2106.09685); rank 64 on "
    "all linear layers, as in QLoRA (Dettmers et al. 2023), trains 1-2%.",
)
_ADAPTER = Default(
    "trainable_parameters_fraction",
    Range(0.036, 0.005, 0.08),
    "fraction",
    "Bottleneck adapters add 0.5-8% of the base parameters, 3.6% in the headline GLUE result (Houlsby et al. "
    "2019, arXiv:1902.00751).",
)
_PREFIX = Default(
    "trainable_parameters_fraction",
    Range(0.001, 0.0001, 0.01),
    "fraction",
    "Prefix tuning trains about 0.1% of the parameters (Li & Liang 2021, arXiv:2101.00190).",
)
_PROMPT = Default(
    "trainable_parameters_fraction",
    Range(0.0001, 0.00001, 0.001),
    "fraction",
    "Prompt tuning trains under 0.01% of the parameters of large models (Lester et al. 2021, arXiv:2104.08691).",
)
_FROZEN_BF16 = "frozen base weights in bf16: 2 bytes per parameter (Hu et al. 2021)"

METHOD_PROFILES: dict[str, MethodProfile] = {
    "full": MethodProfile(
        _FULL, TRAINED_PARAMETER_BYTES, "mixed-precision Adam, 16 bytes per parameter (ZeRO §3)", False, 1.2
    ),
    "lora": MethodProfile(_LORA, 2.0, _FROZEN_BF16, False, 1.2),
    "qlora": MethodProfile(
        _LORA,
        0.516,
        "4-bit NormalFloat weights with double-quantised constants, 0.516 bytes per parameter (Dettmers et al. 2023 "
        "§3)",
        True,
        1.1,
    ),
    "adapter": MethodProfile(_ADAPTER, 2.0, _FROZEN_BF16, False, 1.2),
    "prefix_tuning": MethodProfile(_PREFIX, 2.0, _FROZEN_BF16, False, 1.2),
    "prompt_tuning": MethodProfile(_PROMPT, 2.0, _FROZEN_BF16, False, 1.2),
}


def fine_tuning_memory_gb(parameters: float, method: str, trainable_fraction: float) -> float:
    """Accelerator memory a fine-tuning job needs (GB): base weights, trained state, activations."""
    profile = METHOD_PROFILES[method]
    if method == "full":
        state = parameters * TRAINED_PARAMETER_BYTES
    else:
        state = (
            parameters * profile.base_bytes_per_parameter + parameters * trainable_fraction * ADAPTER_PARAMETER_BYTES
        )
    return state * profile.activation_overhead / GB


def estimate_fine_tuning(catalog: Catalog, site_defaults: SiteDefaults, request: FineTuningRequest) -> Estimate:
    ledger = Ledger()
    model = resolve_model(catalog, request.model, ledger)
    no_hardware = all(
        x is None for x in (request.hardware.accelerator, request.hardware.instance_type, request.hardware.spec)
    )
    hardware = resolve_hardware(
        catalog, request.hardware, ledger, default_accelerator=DEFAULT_FINE_TUNING_ACCELERATOR if no_hardware else None
    )
    if no_hardware:
        ledger.warn(
            "default-hardware",
            f"No hardware was given: {DEFAULT_FINE_TUNING_ACCELERATOR} is assumed. Give hardware.accelerator or "
            "hardware.instance_type for a specific estimate.",
        )
    profile = METHOD_PROFILES[request.method]
    ledger.assume("method", request.method, "", INPUT, "request")

    if request.trainable_parameters_fraction is not None:
        trainable = Range.exact(request.trainable_parameters_fraction)
        ledger.assume(
            "trainable_parameters_fraction", request.trainable_parameters_fraction, "fraction", INPUT, "request"
        )
    elif request.method == "full":
        trainable = profile.trainable_fraction.range
    else:
        trainable = assume_default(ledger, profile.trainable_fraction)

    required_gb = fine_tuning_memory_gb(model.parameters, request.method, trainable.value)
    minimum = whole_instances(hardware, minimum_accelerators(required_gb, hardware.accelerator.memory_gb))
    ledger.assume(
        "memory_required_gb",
        round(required_gb, 3),
        "GB",
        DERIVED,
        f"{profile.base_bytes_source}; x{profile.activation_overhead} activations",
    )
    count = hardware.count
    if count is None:
        count = minimum
        ledger.assume(
            "accelerator_count", count, "accelerators", DERIVED, "fewest accelerators whose memory holds the job"
        )
    elif count < minimum:
        ledger.warn(
            "insufficient-memory",
            f"{request.method} fine-tuning of {model.parameters / 1e9:g}B parameters needs about {required_gb:.0f} GB: "
            f"at least "
            f"{minimum} x {hardware.accelerator.id}, but {count} were given (offloading or sharding beyond this model "
            f"is assumed).",
        )

    tokens = None
    if request.dataset_tokens_million is not None:
        tokens = Range.exact(request.dataset_tokens_million * MILLION * request.epochs)
        ledger.assume("dataset_tokens", request.dataset_tokens_million, "million", INPUT, "request")
        if request.epochs != 1:
            ledger.assume("epochs", request.epochs, "epochs", INPUT, "request")
        else:
            ledger.assume("epochs", 1, "epochs", DEFAULT, "the API's convention: one pass over the dataset")

    flops = None
    if tokens is not None:
        factor = (
            Range.exact(6.0)
            if request.method == "full"
            else frozen_base_flops_per_parameter_token(trainable, profile.gradient_checkpointing)
        )
        ledger.assume(
            "flops_per_parameter_token",
            factor,
            "FLOPs",
            DERIVED,
            "6 for full fine-tuning; 4 + 2 x trainable fraction with frozen base weights, +2 with gradient "
            "checkpointing (Hu et al. 2021, arXiv:2106.09685; Dettmers et al. 2023, arXiv:2305.14314)",
        )
        sequence = sequence_length(request.sequence_length, ledger)
        flops = Range.spread(
            *(
                flops_from_tokens(model, tokens.value, sequence, f, Ledger(), "").value
                for f in (factor.value, factor.low, factor.high)
            )
        )
        ledger.assume(
            "flops",
            flops,
            "FLOPs per run",
            DERIVED,
            "flops_per_parameter_token x active parameters x tokens (Kaplan et al. 2020, arXiv:2001.08361) plus "
            "attention, 12 x layers x d_model x sequence per token (Chowdhery et al. 2022, arXiv:2204.02311)",
        )

    if request.accelerator_hours is not None:
        per_run = Range.exact(request.accelerator_hours)
        ledger.assume("accelerator_hours", request.accelerator_hours, "accelerator-hours per run", INPUT, "request")
        check_implied_utilisation(flops, request.accelerator_hours, hardware, ledger)
    elif request.duration_hours is not None:
        per_run = Range.exact(count * request.duration_hours)
        ledger.assume("duration_hours", request.duration_hours, "hours per run", INPUT, "request")
        check_implied_utilisation(flops, per_run.value, hardware, ledger)
    elif flops is not None:
        per_run = accelerator_hours_from_flops(flops, hardware, model, request.hardware.mfu, ledger)
    else:
        raise UnderdeterminedError(
            "dataset_tokens_million",
            "Accelerator-hours cannot be determined. Give one of: dataset_tokens_million (with epochs); "
            "accelerator_hours; or duration_hours.",
        )

    runs = request.runs
    if runs != 1:
        ledger.assume("runs", runs, "runs", INPUT, "request")
    accelerator_hours = per_run.scale(runs)
    check_power(request.hardware.power_w, hardware, ledger)
    power = training_power_w(hardware.accelerator, request.hardware.power_w, ledger)
    accelerators_kwh, host_kwh = it_energy_kwh(
        hardware, accelerator_energy_kwh(accelerator_hours, power), accelerator_hours, request.measured, ledger
    )
    embodied_rate = embodied_rate_kg_per_accelerator_hour(hardware, ledger) if request.include_embodied else None
    site = resolve_site(catalog, site_defaults, request.datacenter, ledger)
    return Estimate(
        kind="fine-tuning",
        footprint=footprint(accelerators_kwh, host_kwh, accelerator_hours, site, embodied_rate),
        flops=None if flops is None else flops.scale(runs),
        accelerator=hardware.accelerator,
        accelerator_count=count,
        accelerator_hours=accelerator_hours,
        duration_hours=per_run.scale(1.0 / count),
        runs=runs,
        ledger=ledger,
        data_version=catalog.data_version,
        memory=MemoryFigures(
            required_gb=required_gb,
            minimum_accelerators=minimum,
            accelerator_memory_gb=hardware.accelerator.memory_gb,
            trainable_parameters=model.parameters * trainable.value,
        ),
    )
