"""Workload descriptions the estimators take: plain data, validated at the HTTP edge."""

from __future__ import annotations

from dataclasses import dataclass, field

PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "mxfp4")
PROVIDERS = ("aws", "gcp", "azure")
FINE_TUNING_METHODS = ("full", "lora", "qlora", "adapter", "prefix_tuning", "prompt_tuning")
DEPLOYMENT_MODES = ("on_demand", "dedicated")
#: continuous_batching: vLLM, SGLang, TensorRT-LLM (sequences join and leave at every step); eager: one request
#: or one static batch at a time (Hugging Face pipelines), where each step pays Python and kernel-launch overhead.
ENGINES = ("continuous_batching", "eager")
#: Precisions an accelerator can publish a dense peak for (int8 in TOPS).
PEAK_PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8")
MEASURED_SCOPES = ("it", "accelerators")

#: A dense peak per precision, as (precision, TFLOP/s) pairs: hashable, so requests stay hashable.
Peaks = tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    preset: str | None = None
    parameters_billion: float | None = None
    active_parameters_billion: float | None = None
    #: Mixture-of-experts routing: routed experts per layer and experts each token uses.
    experts: int | None = None
    experts_per_token: int | None = None


@dataclass(frozen=True, slots=True)
class AcceleratorSpec:
    """An accelerator the catalog does not list, described by the caller (``hardware.spec``)."""

    name: str
    tdp_w: float
    memory_gb: float
    memory_bandwidth_gb_per_s: float
    peak_tflops: Peaks
    embodied_kgco2e: float | None = None


@dataclass(frozen=True, slots=True)
class HardwareSpec:
    accelerator: str | None = None
    instance_type: str | None = None
    spec: AcceleratorSpec | None = None
    count: int | None = None
    precision: str | None = None
    power_w: float | None = None
    host_overhead_fraction: float | None = None
    mfu: float | None = None
    #: Overrides of the accelerator's dense peaks, by precision.
    peak_tflops: Peaks | None = None


@dataclass(frozen=True, slots=True)
class MeasuredSpec:
    """Energy the job measured (CodeCarbon, Zeus, DCGM): used exactly instead of the modelled energy."""

    it_energy_kwh: float
    #: ``it``: accelerators, CPU and memory (CodeCarbon); ``accelerators``: the accelerators only (Zeus, DCGM).
    scope: str = "it"


@dataclass(frozen=True, slots=True)
class DatacenterSpec:
    provider: str | None = None
    region: str | None = None
    country: str | None = None
    carbon_intensity_gco2e_per_kwh: float | None = None
    pue: float | None = None
    wue_l_per_kwh: float | None = None
    offsite_water_l_per_kwh: float | None = None


@dataclass(frozen=True, slots=True)
class TrainingRequest:
    hardware: HardwareSpec
    model: ModelSpec | None = None
    training_tokens_billion: float | None = None
    sequence_length: float | None = None
    flops: float | None = None
    duration_hours: float | None = None
    accelerator_hours: float | None = None
    runs: int = 1
    datacenter: DatacenterSpec = field(default_factory=DatacenterSpec)
    include_embodied: bool = True
    measured: MeasuredSpec | None = None


@dataclass(frozen=True, slots=True)
class FineTuningRequest:
    model: ModelSpec
    method: str
    trainable_parameters_fraction: float | None = None
    dataset_tokens_million: float | None = None
    epochs: float = 1.0
    sequence_length: float | None = None
    hardware: HardwareSpec = field(default_factory=HardwareSpec)
    duration_hours: float | None = None
    accelerator_hours: float | None = None
    runs: int = 1
    datacenter: DatacenterSpec = field(default_factory=DatacenterSpec)
    include_embodied: bool = True
    measured: MeasuredSpec | None = None


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    mode: str = "on_demand"
    replicas: int = 1
    hours: float | None = None
    engine: str = "continuous_batching"


@dataclass(frozen=True, slots=True)
class TrafficSpec:
    """Mean arrival rate of requests (all replicas together)."""

    requests_per_second: float


@dataclass(frozen=True, slots=True)
class SloSpec:
    """Latency targets: arrival to last token, and arrival to first token (seconds)."""

    max_latency_seconds: float | None = None
    max_time_to_first_token_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class RagSpec:
    retrieved_tokens_per_request: float | None = None
    embedding_parameters_billion: float | None = None
    corpus_tokens_billion: float | None = None


@dataclass(frozen=True, slots=True)
class InferenceRequest:
    model: ModelSpec
    hardware: HardwareSpec
    #: Requests in the period; with ``traffic`` instead, rate x deployment.hours.
    requests: float | None = None
    input_tokens_per_request: float | None = None
    output_tokens_per_request: float | None = None
    batch_size: float | None = None
    deployment: DeploymentSpec = field(default_factory=DeploymentSpec)
    rag: RagSpec | None = None
    datacenter: DatacenterSpec = field(default_factory=DatacenterSpec)
    include_embodied: bool = True
    measured: MeasuredSpec | None = None
    traffic: TrafficSpec | None = None
    slo: SloSpec | None = None
