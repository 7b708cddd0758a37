"""Response schemas: the documented shape of every answer (OpenAPI) and the contract tests check.

Estimates are serialised by the domain's ``as_dict`` for speed; the tests load every response through
these schemas, so the document and the answers cannot drift apart.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..domain.warning_codes import WARNING_CODES


class RangeSchema(Schema):
    value = fields.Float(required=True)
    low = fields.Float(required=True)
    high = fields.Float(required=True)


def _range(description: str, allow_none: bool = False) -> fields.Nested:
    return fields.Nested(RangeSchema, required=True, allow_none=allow_none, metadata={"description": description})


class AssumptionSchema(Schema):
    name = fields.String(required=True)
    value = fields.Raw(required=True, metadata={"description": "A number, a string, or a Range."})
    unit = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("input", "default", "derived")))
    source = fields.String(required=True)


class WarningSchema(Schema):
    code = fields.String(
        required=True,
        metadata={
            "description": "Stable kebab-case code: "
            + "; ".join(f"{code}: {meaning}" for code, meaning in WARNING_CODES.items()),
            "enum": list(WARNING_CODES),
        },
    )
    message = fields.String(required=True)


class BreakdownSchema(Schema):
    accelerators_kwh = _range("Accelerator energy (IT).")
    host_kwh = _range("Host CPU, memory and network energy (IT).")
    facility_overhead_kwh = _range("Cooling and power distribution: IT energy x (PUE - 1).")
    operational_kgco2e = _range("Location-based operational emissions.")
    embodied_kgco2e = _range("Manufacturing emissions allocated by accelerator-hours (0 when excluded).")
    market_based_operational_kgco2e = _range(
        "GHG Protocol Scope 2 market-based operational emissions: operational x the provider's market-based factor "
        "for the region; null where no factor is known. market_based_emissions_kgco2e = this + embodied.",
        allow_none=True,
    )
    offsite_water_l = _range(
        "Off-site water: facility energy x the water consumed to generate each kWh in the grid's country "
        "(water_l counts on-site water only)."
    )


class ComputeSchema(Schema):
    flops = _range("Floating-point operations, when determined.", allow_none=True)
    accelerator = fields.String(
        required=True, metadata={"description": "Accelerator id; 'custom:<name>' for hardware.spec."}
    )
    accelerator_count = fields.Integer(required=True)
    accelerator_hours = _range("Accelerator-hours (all runs).")
    duration_hours = _range("Wall-clock hours per run, when determined.", allow_none=True)


class VersionsSchema(Schema):
    methodology = fields.String(required=True)
    data = fields.String(required=True)


class EstimateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("training", "fine-tuning", "inference")))
    energy_kwh = _range("Facility energy: IT energy x PUE.")
    emissions_kgco2e = _range("Location-based operational + embodied (if included) emissions.")
    water_l = _range("On-site water: IT energy x WUE.")
    breakdown = fields.Nested(BreakdownSchema, required=True)
    market_based_emissions_kgco2e = _range(
        "Market-based operational (renewable-matched share removed) + embodied; null where no factor is known.",
        allow_none=True,
    )
    compute = fields.Nested(ComputeSchema, required=True)
    assumptions = fields.List(
        fields.Nested(AssumptionSchema),
        metadata={
            "description": "Every input, default and derived figure the estimate used, with its source. Always "
            "present, except in the compact form (?detail=summary)."
        },
    )
    warnings = fields.List(fields.Nested(WarningSchema), required=True)
    versions = fields.Nested(VersionsSchema, required=True)


class TrainingEstimateSchema(EstimateSchema):
    pass


class MemorySchema(Schema):
    required_gb = fields.Float(required=True, metadata={"description": "Accelerator memory the job needs, GB."})
    minimum_accelerators = fields.Integer(required=True)
    accelerator_memory_gb = fields.Float(required=True)
    trainable_parameters = fields.Float(required=True)


class FineTuningEstimateSchema(EstimateSchema):
    memory = fields.Nested(MemorySchema, required=True)


class PerRequestSchema(Schema):
    energy_wh = _range("Facility energy per request, Wh.", allow_none=True)
    emissions_gco2e = _range("Emissions per request, gCO2e.", allow_none=True)
    water_ml = _range("On-site water per request, mL.", allow_none=True)
    offsite_water_ml = _range("Off-site water per request, mL.", allow_none=True)


class ServingSchema(Schema):
    mode = fields.String(required=True)
    accelerators_per_replica = fields.Integer(required=True)
    minimum_accelerators_per_replica = fields.Integer(required=True)
    memory_required_gb = fields.Float(
        required=True,
        metadata={"description": "Weights plus the KV cache of the effective batch at full length, GB."},
    )
    busy_seconds_per_request = _range("Replica-seconds one request occupies (the replica's time shared by the batch).")
    prefill_seconds_per_request = _range("Replica-seconds of prefill per request.")
    decode_seconds_per_token = _range("Replica-seconds per generated token.")
    effective_batch_size = _range(
        "Mean sequences a replica decodes together: the given or shared batch on demand; on a dedicated "
        "deployment what the arrival rate fills (Little's law). Bounded by batch_size, the KV-cache memory and slo."
    )
    latency_seconds = _range("Seconds from a request's arrival to its last token at the effective batch.")
    time_to_first_token_seconds = _range("Seconds from a request's arrival to its first token.")
    replicas = fields.Integer(metadata={"description": "Dedicated mode only."})
    utilisation = fields.Float(metadata={"description": "Busy share of provisioned capacity (dedicated mode)."})
    replicas_needed = fields.Integer(
        metadata={
            "description": "Dedicated mode: replicas the arrival rate needs at the largest batch within memory and "
            "the latency targets."
        }
    )


class RagResultSchema(Schema):
    index_flops = _range("FLOPs to embed the corpus once.")
    index_accelerator_hours = _range("Accelerator-hours to embed the corpus once.")


class InferenceEstimateSchema(EstimateSchema):
    per_request = fields.Nested(PerRequestSchema, required=True)
    serving = fields.Nested(ServingSchema, required=True)
    rag = fields.Nested(RagResultSchema)


class ProblemSchema(Schema):
    """RFC 7807 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation messages keyed by field path, e.g. hardware.count."},
    )
    suggestions = fields.List(fields.String(), metadata={"description": "Close catalog ids, for an unknown id."})
    errors_omitted = fields.Integer(
        metadata={
            "description": (
                "Field paths left out of errors and detail: a 422 names at most 50 (paths over 200 characters are cut)."
            )
        }
    )
    request_id = fields.String()


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True)
    data_version = fields.String(required=True)
    methodology_version = fields.String(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
