"""Schemas of POST /v1/recommendations and POST /v1/compare: requests (validated, loaded into domain types)
and responses (documented in openapi.yaml; the tests load every answer through them).

The ``workload`` of a recommendation request is validated by the estimate schema of its ``kind``; its
messages are nested under ``workload`` so problem+json paths read ``workload.hardware.count``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ..domain.inputs import PROVIDERS
from ..domain.recommendations import (
    CODES,
    DEFAULT_MAX_DURATION_FACTOR,
    DEFAULT_RETRIEVED_TOKENS,
    DEFAULT_TARGET_UTILISATION,
    ENGINE,
    MAX_SCENARIOS,
    VENDOR_CLAIM,
    Constraints,
    RagComparison,
)
from .fastload import compile_loader
from .fields import StrictBoolean, StrictFloat, choice, non_negative, positive
from .requests import (
    MAX_PARAMETERS_BILLION,
    MAX_REQUESTS,
    MAX_TOKENS_BILLION,
    MAX_TOKENS_PER_REQUEST,
    FineTuningRequestSchema,
    HardwareSchema,
    InferenceRequestSchema,
    TrainingRequestSchema,
)
from .responses import (
    FineTuningEstimateSchema,
    InferenceEstimateSchema,
    ProblemSchema,
    RangeSchema,
    TrainingEstimateSchema,
)

KINDS = ("training", "fine-tuning", "inference")
MAX_LIST = 500
#: Lowest accepted constraints.target_utilisation: right-sized capacity is the busy time over it, and a
#: plan for under 1 % utilisation is not a plan (0 < x < 0.01 would also let the division overflow).
MIN_TARGET_UTILISATION = 0.01

#: One request schema per kind, reused (marshmallow schemas keep no per-load state).
WORKLOAD_SCHEMAS = {
    "training": TrainingRequestSchema(),
    "fine-tuning": FineTuningRequestSchema(),
    "inference": InferenceRequestSchema(),
}


#: The same schemas compiled for valid payloads (fastload.py): ``schema.load``'s result, and marshmallow's own
#: errors for anything invalid. The estimate endpoints use them too.
WORKLOAD_LOADERS = {kind: compile_loader(schema) for kind, schema in WORKLOAD_SCHEMAS.items()}


def load_workload(kind: str, payload: Any):
    """Validate ``payload`` as a workload of ``kind``; errors are nested under ``workload``."""
    try:
        return WORKLOAD_LOADERS[kind].load(payload)
    except ValidationError as error:
        raise ValidationError({"workload": error.messages}) from error


def _strings(description: str, item=None) -> fields.List:
    return fields.List(
        item or fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(min=1, max=MAX_LIST),
        metadata={"description": description},
    )


class ConstraintsSchema(Schema):
    providers = _strings("Allowed cloud providers.", fields.String(validate=validate.OneOf(PROVIDERS)))
    countries = _strings(
        "Allowed countries of cloud regions (ISO 3166-1 alpha-2), e.g. for data residency.",
        fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Must be an ISO 3166-1 alpha-2 code.")),
    )
    regions = _strings("Allowed regions: 'provider:region' (e.g. aws:eu-north-1) or a bare region id (any provider).")
    accelerators = _strings("Accelerator ids a hardware suggestion may use (GET /v1/accelerators).")
    exclude_accelerators = _strings("Accelerator ids a hardware suggestion must not use.")
    keep_model = StrictBoolean(
        load_default=False, metadata={"description": "No smaller model (smaller_model is not proposed)."}
    )
    keep_precision = StrictBoolean(
        load_default=False, metadata={"description": "No quantization, and no QLoRA (4-bit base weights)."}
    )
    max_latency_seconds_per_request = positive(
        1e6,
        "Inference: candidates whose serving.latency_seconds (central value: seconds from a request's arrival to "
        "its last token) exceeds this are not proposed.",
    )
    target_utilisation = StrictFloat(
        # A floor, not just > 0: right-sizing divides the busy time by it (5e-324 overflowed to an out-of-range 422).
        validate=validate.Range(min=MIN_TARGET_UTILISATION, max=1),
        load_default=DEFAULT_TARGET_UTILISATION,
        metadata={
            "description": "Mean utilisation right-sized dedicated replicas are planned for (headroom for peaks); "
            f"default {DEFAULT_TARGET_UTILISATION}, a planning policy."
        },
    )

    max_duration_factor = StrictFloat(
        validate=validate.Range(min=1, max=1000),
        load_default=DEFAULT_MAX_DURATION_FACTOR,
        metadata={
            "description": "Training and fine-tuning: no change may make a run's wall-clock duration longer than this "
            f"multiple of today's; default {DEFAULT_MAX_DURATION_FACTOR}."
        },
    )

    @post_load
    def _make(self, data, **_):
        for key in ("providers", "countries", "regions", "accelerators", "exclude_accelerators"):
            if key in data:
                data[key] = tuple(data[key])
        return Constraints(**data)


class RagComparisonSchema(Schema):
    # At least one request: per-request figures divide by it (5e-324 overflowed to an out-of-range 422).
    expected_requests = positive(
        MAX_REQUESTS, "Requests the fine-tuned model will serve (at least 1).", minimum=1.0, required=True
    )
    input_tokens_per_request = non_negative(
        MAX_TOKENS_PER_REQUEST, "Prompt tokens per request; default as for inference."
    )
    output_tokens_per_request = non_negative(
        MAX_TOKENS_PER_REQUEST, "Generated tokens per request; default as for inference."
    )
    retrieved_tokens_per_request = non_negative(
        MAX_TOKENS_PER_REQUEST,
        f"Retrieved tokens added to each RAG prompt; default {DEFAULT_RETRIEVED_TOKENS:g} (5-10 passages of 100 words, "
        "Lewis et al. 2020).",
        load_default=DEFAULT_RETRIEVED_TOKENS,
    )
    embedding_parameters_billion = positive(
        MAX_PARAMETERS_BILLION, "Embedding model parameters, billions (query embedding)."
    )
    corpus_tokens_billion = non_negative(
        MAX_TOKENS_BILLION, "Corpus tokens embedded once to build the index, billions."
    )
    hardware = fields.Nested(
        HardwareSchema, metadata={"description": "Serving hardware; default: the fine-tuning accelerator."}
    )

    @post_load
    def _make(self, data, **_):
        return RagComparison(**data)


class RecommendationRequestSchema(Schema):
    kind = choice(KINDS, "Which workload: training, fine-tuning or inference.", required=True)
    workload = fields.Dict(
        required=True,
        metadata={
            "description": (
                "The body of POST /v1/estimates/{kind}: TrainingRequest, FineTuningRequest or InferenceRequest."
            )
        },
    )
    constraints = fields.Nested(
        ConstraintsSchema, load_default=Constraints, metadata={"description": "What suggestions may change."}
    )
    rag_comparison = fields.Nested(
        RagComparisonSchema,
        metadata={
            "description": "Fine-tuning only: how the fine-tuned model will be used, for the RAG break-even "
            "(retrieval_instead_of_fine_tuning)."
        },
    )

    @validates_schema
    def _rag_needs_fine_tuning(self, data, **_):
        if data.get("rag_comparison") is not None and data.get("kind") != "fine-tuning":
            raise ValidationError("Only for kind fine-tuning.", "rag_comparison")

    @post_load
    def _make(self, data, **_):
        data["workload"] = load_workload(data["kind"], data["workload"])
        return data


class ScenarioSchema(Schema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"description": "Unique name."}
    )
    workload = fields.Dict(
        required=True, metadata={"description": "The body of POST /v1/estimates/{kind}; validated per scenario."}
    )


class CompareRequestSchema(Schema):
    kind = choice(KINDS, "Kind shared by every scenario.", required=True)
    scenarios = fields.List(
        fields.Nested(ScenarioSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_SCENARIOS),
        metadata={"description": f"1 to {MAX_SCENARIOS} scenarios; deltas are against the first."},
    )

    @validates_schema
    def _unique_names(self, data, **_):
        names = [s["name"] for s in data.get("scenarios") or []]
        if len(names) != len(set(names)):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValidationError(f"Scenario names must be unique; repeated: {', '.join(duplicated)}.", "scenarios")


# -- responses ------------------------------------------------------------------------------------------

_ESTIMATE_SCHEMAS = {
    "training": TrainingEstimateSchema,
    "fine-tuning": FineTuningEstimateSchema,
    "inference": InferenceEstimateSchema,
}


class EstimateOfKind(fields.Field):
    """An estimate whose shape follows its ``kind`` (TrainingEstimate, FineTuningEstimate, InferenceEstimate)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault(
            "oneOf",
            [
                {"$ref": "#/components/schemas/TrainingEstimate"},
                {"$ref": "#/components/schemas/FineTuningEstimate"},
                {"$ref": "#/components/schemas/InferenceEstimate"},
            ],
        )
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or value.get("kind") not in _ESTIMATE_SCHEMAS:
            raise ValidationError("Not an estimate with a known kind.")
        return _ESTIMATE_SCHEMAS[value["kind"]]().load(value)


def _range(description: str) -> fields.Nested:
    return fields.Nested(RangeSchema, required=True, metadata={"description": description})


class SavingsSchema(Schema):
    emissions_kgco2e = _range("Baseline - changed emissions; the low side is clamped at 0.")
    energy_kwh = _range("Baseline - changed facility energy; clamped at 0.")
    water_l = _range("Baseline - changed on-site water; clamped at 0.")
    emissions_percent = fields.Float(
        required=True, metadata={"description": "Central saving, % of baseline emissions."}
    )


class AlternativeSchema(Schema):
    label = fields.String(required=True)
    change = fields.Dict(required=True, metadata={"description": "Merge patch of the workload, like the main change."})
    emissions_kgco2e = _range("Emissions of the workload with this change.")
    energy_kwh = _range("Energy of the workload with this change.")


class RagBreakEvenSchema(Schema):
    expected_requests = fields.Float(required=True)
    fine_tuning_kgco2e = fields.Float(required=True)
    serving_fine_tuned_kgco2e = fields.Float(required=True)
    serving_with_retrieval_kgco2e = fields.Float(required=True)
    retrieval_index_kgco2e = fields.Float(required=True, metadata={"description": "Index build (requests = 0)."})
    break_even_requests = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Below this many requests RAG emits less; null when RAG adds no per-request cost."},
    )


class RecommendationSchema(Schema):
    code = fields.String(required=True, validate=validate.OneOf(CODES))
    variant = fields.String(
        required=True, metadata={"description": "Which option of the code (region, accelerator, method...)."}
    )
    title = fields.String(required=True)
    rationale = fields.String(required=True)
    change = fields.Dict(
        required=True,
        metadata={
            "description": "JSON merge patch (RFC 7386) of the workload: exactly what differs; null removes a field. "
            "For retrieval_instead_of_fine_tuning it is {kind, workload}: the inference workload that replaces it."
        },
    )
    estimate = EstimateOfKind(required=True, metadata={"description": "Full estimate of the changed workload."})
    savings = fields.Nested(SavingsSchema, required=True)
    evidence = fields.String(
        required=True,
        validate=validate.OneOf((ENGINE, VENDOR_CLAIM)),
        metadata={
            "description": (
                "engine: computed by this service's estimator (all current savings); vendor-claim: a "
                "vendor's figure only."
            )
        },
    )
    tradeoffs = fields.List(fields.String(), required=True)
    sources = fields.List(
        fields.String(), metadata={"description": "Always present, except in the compact form (?detail=summary)."}
    )
    alternatives = fields.List(fields.Nested(AlternativeSchema), required=True)
    comparison = fields.Nested(RagBreakEvenSchema, metadata={"description": "retrieval_instead_of_fine_tuning only."})


class NoteSchema(Schema):
    code = fields.String(required=True, validate=validate.OneOf(CODES))
    subject = fields.String(required=True)
    reason = fields.String(required=True)


class RecommendationResponseSchema(Schema):
    baseline = EstimateOfKind(required=True, metadata={"description": "Estimate of the workload as given."})
    recommendations = fields.List(
        fields.Nested(RecommendationSchema),
        required=True,
        metadata={"description": "Sorted by emissions saved, largest first."},
    )
    notes = fields.List(
        fields.Nested(NoteSchema),
        required=True,
        metadata={"description": "Candidates not proposed and why (no published power, does not fit, constraint)."},
    )


class MetricDeltaSchema(Schema):
    absolute = fields.Float(required=True, metadata={"description": "Scenario - first scenario (central values)."})
    percent = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Of the first scenario; null if it is 0 or the ratio is too large to represent."},
    )


class DeltaSchema(Schema):
    energy_kwh = fields.Nested(MetricDeltaSchema, required=True)
    emissions_kgco2e = fields.Nested(MetricDeltaSchema, required=True)
    water_l = fields.Nested(MetricDeltaSchema, required=True)


class ScenarioResultSchema(Schema):
    name = fields.String(required=True)
    estimate = EstimateOfKind(
        required=True, allow_none=True, metadata={"description": "Null when the scenario failed."}
    )
    error = fields.Nested(
        ProblemSchema, required=True, allow_none=True, metadata={"description": "This scenario's problem."}
    )
    delta = fields.Nested(
        DeltaSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Null for a failed scenario or when the first failed."},
    )


class CompareResponseSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    baseline = fields.String(required=True, metadata={"description": "Name of the first scenario."})
    scenarios = fields.List(fields.Nested(ScenarioResultSchema), required=True)
