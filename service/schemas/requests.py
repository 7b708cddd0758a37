"""Request schemas: validate estimate payloads and load them into the domain's request types.

Unknown fields are rejected (marshmallow's RAISE). Upper bounds are generous for any real workload
and keep every derived figure finite (documented in the OpenAPI file through each field's maximum).
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ..domain.inputs import (
    DEPLOYMENT_MODES,
    ENGINES,
    FINE_TUNING_METHODS,
    MEASURED_SCOPES,
    PEAK_PRECISIONS,
    PRECISIONS,
    PROVIDERS,
    AcceleratorSpec,
    DatacenterSpec,
    DeploymentSpec,
    FineTuningRequest,
    HardwareSpec,
    InferenceRequest,
    MeasuredSpec,
    ModelSpec,
    RagSpec,
    SloSpec,
    TrafficSpec,
    TrainingRequest,
)
from .fields import StrictBoolean, StrictFloat, choice, count, identifier, non_negative, positive

MAX_PARAMETERS_BILLION = 100_000.0
MAX_TOKENS_BILLION = 10_000_000.0
MAX_FLOPS = 1e32
MAX_HOURS = 10_000_000.0
MAX_ACCELERATOR_HOURS = 1e11
MAX_ACCELERATORS = 10_000_000
MAX_RUNS = 100_000
MAX_REQUESTS = 1e16
MAX_TOKENS_PER_REQUEST = 100_000_000.0
MAX_POWER_W = 10_000.0
MAX_MEMORY_GB = 100_000.0
MAX_BANDWIDTH_GB_PER_S = 10_000_000.0
MAX_PEAK_TFLOPS = 10_000_000.0
MAX_EMBODIED_KG = 1_000_000.0
MAX_ENERGY_KWH = 1e12
MAX_SEQUENCE_LENGTH = 100_000_000.0
#: Floors of inputs that end up as divisors (a denormal MFU or duration would overflow to infinity).
MIN_MFU = 0.001
MIN_HOURS = 1e-6


class ModelSchema(Schema):
    preset = identifier("Model preset id from GET /v1/models.")
    parameters_billion = positive(MAX_PARAMETERS_BILLION, "Total parameters, billions; overrides the preset's.")
    active_parameters_billion = positive(
        MAX_PARAMETERS_BILLION,
        "Parameters active per token (mixture-of-experts), billions; at most parameters_billion.",
    )
    experts = count(
        100_000,
        "Mixture-of-experts: routed experts per layer (e.g. 128). With experts_per_token, sets how much of the "
        "weights a decoding step reads; presets carry both.",
        minimum=2,
    )
    experts_per_token = count(100_000, "Mixture-of-experts: routed experts each token uses (top-k, e.g. 8).")

    @validates_schema
    def _consistent(self, data, **_):
        if data.get("preset") is None and data.get("parameters_billion") is None:
            raise ValidationError("Give preset or parameters_billion.", "_schema")
        total, active = data.get("parameters_billion"), data.get("active_parameters_billion")
        if total is not None and active is not None and active > total:
            raise ValidationError("Must be at most parameters_billion.", "active_parameters_billion")
        experts, per_token = data.get("experts"), data.get("experts_per_token")
        if (experts is None) != (per_token is None):
            missing = "experts_per_token" if per_token is None else "experts"
            raise ValidationError("Give experts and experts_per_token together.", missing)
        if experts is not None and per_token >= experts:
            raise ValidationError("Must be less than experts.", "experts_per_token")

    @post_load
    def _make(self, data, **_):
        return ModelSpec(**data)


class PeakTflopsSchema(Schema):
    """Dense (no 2:4 sparsity) peak throughput per precision; int8 in TOPS."""

    fp32 = positive(MAX_PEAK_TFLOPS, "Non-tensor (vector) fp32 TFLOP/s.")
    tf32 = positive(MAX_PEAK_TFLOPS, "Dense tf32 TFLOP/s.")
    bf16 = positive(MAX_PEAK_TFLOPS, "Dense bf16 TFLOP/s.")
    fp16 = positive(MAX_PEAK_TFLOPS, "Dense fp16 TFLOP/s.")
    fp8 = positive(MAX_PEAK_TFLOPS, "Dense fp8 TFLOP/s.")
    int8 = positive(MAX_PEAK_TFLOPS, "Dense int8 TOPS.")

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError(f"Give at least one of {', '.join(PEAK_PRECISIONS)}.", "_schema")

    @post_load
    def _make(self, data, **_):
        return tuple((p, data[p]) for p in PEAK_PRECISIONS if p in data)


def _peaks(description: str, **kwargs):
    return fields.Nested(PeakTflopsSchema, metadata={"description": description}, **kwargs)


class AcceleratorSpecSchema(Schema):
    """An accelerator the catalog does not list, described with its published figures."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The accelerator's name (shown as compute.accelerator 'custom:<name>')."},
    )
    tdp_w = positive(MAX_POWER_W, "Thermal design power per accelerator, W.", required=True)
    memory_gb = positive(MAX_MEMORY_GB, "Memory per accelerator, GB.", required=True)
    memory_bandwidth_gb_per_s = positive(MAX_BANDWIDTH_GB_PER_S, "Peak memory bandwidth, GB/s.", required=True)
    peak_tflops = _peaks("Dense peak per precision, at least one of bf16, fp16, tf32, fp32.", required=True)
    embodied_kgco2e = positive(MAX_EMBODIED_KG, "Manufacturing emissions per accelerator, kgCO2e (optional).")

    @validates_schema
    def _computes(self, data, **_):
        peaks = dict(data.get("peak_tflops") or ())
        if peaks and not any(p in peaks for p in ("bf16", "fp16", "tf32", "fp32")):
            raise ValidationError("Give a bf16, fp16, tf32 or fp32 peak: estimates fall back to one.", "peak_tflops")

    @post_load
    def _make(self, data, **_):
        return AcceleratorSpec(**data)


class HardwareSchema(Schema):
    accelerator = identifier("Accelerator id from GET /v1/accelerators.")
    instance_type = identifier("Instance type id from GET /v1/instances (implies accelerator and count per instance).")
    spec = fields.Nested(
        AcceleratorSpecSchema,
        metadata={"description": "An accelerator the catalog does not list, in place of accelerator or instance_type."},
    )
    count = count(MAX_ACCELERATORS, "Accelerators, or instances when instance_type is used.")
    precision = choice(PRECISIONS, "Numeric precision of weights and compute; default bf16.")
    power_w = positive(MAX_POWER_W, "Average power per accelerator, W; default from TDP and workload.")
    host_overhead_fraction = non_negative(
        5.0, "Host (CPU, memory, network) power as a fraction of accelerator power; 0 when power_w includes the host."
    )
    mfu = positive(1.0, "Model-FLOPs utilisation, 0.001 <= mfu <= 1.", minimum=MIN_MFU)
    peak_tflops = _peaks("Overrides of the accelerator's dense peaks, per precision.")

    @validates_schema
    def _one_device(self, data, **_):
        given = [k for k in ("accelerator", "instance_type", "spec") if data.get(k) is not None]
        if len(given) > 1:
            raise ValidationError(
                f"Give one of accelerator, instance_type or spec, not {' and '.join(given)}.", "_schema"
            )

    @post_load
    def _make(self, data, **_):
        return HardwareSpec(**data)


class DatacenterSchema(Schema):
    provider = choice(PROVIDERS, "Cloud provider.")
    region = identifier("The provider's region id, e.g. us-east-1 (see GET /v1/regions).")
    country = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Must be an ISO 3166-1 alpha-2 code."),
        metadata={"description": "ISO 3166-1 alpha-2 country of an on-premises site."},
    )
    carbon_intensity_gco2e_per_kwh = non_negative(5000.0, "Grid carbon intensity override, gCO2e/kWh.")
    pue = StrictFloat(
        validate=validate.Range(min=1, max=5), metadata={"description": "Power usage effectiveness override, >= 1."}
    )
    wue_l_per_kwh = non_negative(50.0, "Water usage effectiveness override, L per kWh of IT energy.")
    offsite_water_l_per_kwh = non_negative(
        200.0, "Override of the water consumed to generate electricity, L per kWh (off-site water)."
    )

    @validates_schema
    def _location(self, data, **_):
        if data.get("region") is not None and data.get("provider") is None:
            raise ValidationError("region needs provider.", "provider")
        if data.get("country") is not None and (data.get("provider") is not None or data.get("region") is not None):
            raise ValidationError("Give provider with region, or country, not both.", "country")

    @post_load
    def _make(self, data, **_):
        return DatacenterSpec(**data)


def _datacenter():
    return fields.Nested(DatacenterSchema, load_default=DatacenterSpec, metadata={"description": "Where it runs."})


def _sequence_length():
    return positive(
        MAX_SEQUENCE_LENGTH,
        "Tokens per training sequence (context length); default 4,096. Attention FLOPs grow with it.",
    )


def _embodied():
    return StrictBoolean(load_default=True, metadata={"description": "Include embodied (manufacturing) emissions."})


class MeasuredSchema(Schema):
    """Energy the job measured (CodeCarbon, Zeus, DCGM), used exactly instead of the modelled energy."""

    it_energy_kwh = non_negative(
        MAX_ENERGY_KWH,
        "Measured energy, kWh, before any facility overhead (CodeCarbon's energy_consumed, summed over the run).",
        required=True,
    )
    scope = choice(
        MEASURED_SCOPES,
        "What the figure covers: it (accelerators, CPU and memory; CodeCarbon) or accelerators (Zeus, DCGM).",
        load_default="it",
    )

    @post_load
    def _make(self, data, **_):
        return MeasuredSpec(**data)


def _measured():
    return fields.Nested(
        MeasuredSchema, metadata={"description": "Measured energy: replaces the modelled IT energy (range collapses)."}
    )


class TrainingRequestSchema(Schema):
    model = fields.Nested(ModelSchema)
    training_tokens_billion = positive(
        MAX_TOKENS_BILLION, "Training tokens, billions; default: the preset's published figure."
    )
    sequence_length = _sequence_length()
    flops = positive(MAX_FLOPS, "Total training FLOPs per run; default 6 x active parameters x tokens plus attention.")
    hardware = fields.Nested(HardwareSchema, required=True)
    duration_hours = positive(MAX_HOURS, "Wall-clock hours per run (at least 1e-6).", minimum=MIN_HOURS)
    accelerator_hours = positive(MAX_ACCELERATOR_HOURS, "Accelerator-hours per run.")
    runs = count(MAX_RUNS, "Identical runs (e.g. a hyper-parameter search); default 1.", load_default=1)
    datacenter = _datacenter()
    include_embodied = _embodied()
    measured = _measured()

    @post_load
    def _make(self, data, **_):
        return TrainingRequest(**data)


class FineTuningRequestSchema(Schema):
    model = fields.Nested(ModelSchema, required=True)
    method = choice(FINE_TUNING_METHODS, "Fine-tuning method.", required=True)
    trainable_parameters_fraction = positive(1.0, "Share of parameters trained, 0 < f <= 1; default per method.")
    dataset_tokens_million = positive(MAX_TOKENS_BILLION * 1000, "Tokens in the fine-tuning dataset, millions.")
    epochs = positive(100_000.0, "Passes over the dataset; default 1.", load_default=1.0)
    sequence_length = _sequence_length()
    hardware = fields.Nested(HardwareSchema, load_default=HardwareSpec)
    duration_hours = positive(MAX_HOURS, "Wall-clock hours per run (at least 1e-6).", minimum=MIN_HOURS)
    accelerator_hours = positive(MAX_ACCELERATOR_HOURS, "Accelerator-hours per run.")
    runs = count(MAX_RUNS, "Identical runs; default 1.", load_default=1)
    datacenter = _datacenter()
    include_embodied = _embodied()
    measured = _measured()

    @validates_schema
    def _full_trains_all(self, data, **_):
        fraction = data.get("trainable_parameters_fraction")
        if data.get("method") == "full" and fraction is not None and fraction != 1:
            raise ValidationError(
                "Full fine-tuning trains every parameter: omit it or give 1.", "trainable_parameters_fraction"
            )

    @post_load
    def _make(self, data, **_):
        return FineTuningRequest(**data)


class DeploymentSchema(Schema):
    mode = choice(
        DEPLOYMENT_MODES,
        "on_demand counts busy time only; dedicated counts replicas x hours.",
        load_default="on_demand",
    )
    replicas = count(MAX_ACCELERATORS, "Replicas kept up (dedicated); default 1.", load_default=1)
    hours = positive(
        MAX_HOURS,
        "Hours the replicas are kept up (required for dedicated; at least 1e-6), and the period traffic lasts.",
        minimum=MIN_HOURS,
    )
    engine = choice(
        ENGINES,
        "continuous_batching: a serving engine that adds and retires sequences at every step (vLLM, SGLang, "
        "TensorRT-LLM); eager: one request or static batch at a time (Hugging Face pipelines), each step paying "
        "Python and kernel-launch time.",
        load_default="continuous_batching",
    )

    @validates_schema
    def _dedicated_needs_hours(self, data, **_):
        if data.get("mode", "on_demand") == "dedicated" and data.get("hours") is None:
            raise ValidationError("Required when mode is dedicated.", "hours")

    @post_load
    def _make(self, data, **_):
        return DeploymentSpec(**data)


class RagSchema(Schema):
    retrieved_tokens_per_request = non_negative(
        MAX_TOKENS_PER_REQUEST, "Retrieved passage tokens added to each prompt."
    )
    embedding_parameters_billion = positive(MAX_PARAMETERS_BILLION, "Parameters of the embedding model, billions.")
    corpus_tokens_billion = non_negative(
        MAX_TOKENS_BILLION, "Corpus tokens embedded once to build the index, billions."
    )

    @post_load
    def _make(self, data, **_):
        return RagSpec(**data)


class TrafficSchema(Schema):
    requests_per_second = positive(
        1e9,
        "Mean arrival rate over all replicas, requests per second; with deployment.hours it gives the request count.",
        required=True,
    )

    @post_load
    def _make(self, data, **_):
        return TrafficSpec(**data)


class SloSchema(Schema):
    max_latency_seconds = positive(1e7, "Most seconds from a request's arrival to its last token.")
    max_time_to_first_token_seconds = positive(1e7, "Most seconds from a request's arrival to its first token.")

    @validates_schema
    def _something(self, data, **_):
        if not data:
            raise ValidationError("Give max_latency_seconds, max_time_to_first_token_seconds or both.", "_schema")

    @post_load
    def _make(self, data, **_):
        return SloSpec(**data)


def _zero_or_at_least_one(value: float) -> None:
    # A fraction of a request is meaningless, and dividing by 1e-300 overflows the per-request figures.
    if 0 < value < 1:
        raise ValidationError("Must be 0 or at least 1.")


class InferenceRequestSchema(Schema):
    model = fields.Nested(ModelSchema, required=True)
    hardware = fields.Nested(HardwareSchema, required=True)
    requests = StrictFloat(
        validate=[validate.Range(min=0, max=MAX_REQUESTS), _zero_or_at_least_one],
        metadata={
            "description": "Requests served in the period: 0, or at least 1 (per-request figures divide by it). "
            "Give this or traffic."
        },
    )
    traffic = fields.Nested(
        TrafficSchema,
        metadata={
            "description": "Mean arrival rate, in place of requests: requests = rate x deployment.hours. On a "
            "dedicated deployment the rate sets the batch each replica runs at (Little's law) and the replicas needed."
        },
    )
    slo = fields.Nested(
        SloSchema,
        metadata={
            "description": "Latency targets: they cap each replica's batch; a workload that cannot meet them gets "
            "the warning slo-not-met."
        },
    )
    input_tokens_per_request = non_negative(MAX_TOKENS_PER_REQUEST, "Prompt tokens per request; default 500.")
    output_tokens_per_request = non_negative(MAX_TOKENS_PER_REQUEST, "Generated tokens per request; default 250.")
    batch_size = StrictFloat(
        validate=validate.Range(min=1, max=100_000),
        metadata={
            "description": "Most sequences a replica decodes together (a serving engine's max_num_seqs). On demand, "
            "the batch the shared replica runs at (default: a busy shared endpoint's, see the assumptions); "
            "dedicated, a ceiling the traffic fills up to. Capped by the KV-cache memory (warning "
            "batch-limited-by-memory)."
        },
    )
    deployment = fields.Nested(DeploymentSchema, load_default=DeploymentSpec)
    rag = fields.Nested(RagSchema, metadata={"description": "Retrieval-augmented generation."})
    datacenter = _datacenter()
    include_embodied = _embodied()
    measured = _measured()

    @validates_schema(skip_on_field_errors=False)
    def _requests_or_traffic(self, data, **_):
        if data.get("requests") is not None and data.get("traffic") is not None:
            raise ValidationError("Give requests or traffic, not both.", "traffic")
        if data.get("requests") is None and data.get("traffic") is None:
            raise ValidationError("Give requests, or traffic.requests_per_second with deployment.hours.", "requests")
        deployment = data.get("deployment")
        # A deployment with errors of its own arrives as the dict marshmallow loaded so far.
        hours = deployment.get("hours") if isinstance(deployment, dict) else getattr(deployment, "hours", None)
        if data.get("traffic") is not None and hours is None:
            raise ValidationError({"hours": ["Required with traffic: the period the rate lasts."]}, "deployment")

    @post_load
    def _make(self, data, **_):
        return InferenceRequest(**data)
