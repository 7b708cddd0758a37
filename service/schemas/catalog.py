"""Schemas of the catalog endpoints: the reference records as the API shows them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..domain.inputs import PROVIDERS


def _opt_float(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


class AcceleratorSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    vendor = fields.String(required=True)
    form_factor = fields.String(required=True)
    memory_gb = fields.Float(required=True)
    memory_type = fields.String()
    memory_bandwidth_gb_per_s = fields.Float(required=True)
    tdp_w = _opt_float("Thermal design power, W; null where the vendor publishes none.")
    tdp_basis = fields.String(required=True, metadata={"description": "What the TDP figure is, or why it is missing."})
    measured_power_mean_w = _opt_float("Vendor-measured mean chip power, W (Google TPU v3/v4).")
    measured_power_max_w = _opt_float("Vendor-measured maximum chip power, W.")
    peak_tflops = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        required=True,
        metadata={"description": "Dense peak per precision (int8 in TOPS); null where unpublished."},
    )
    launch_year = fields.Integer(required=True)
    embodied_kgco2e_vendor = _opt_float("Vendor product carbon footprint, kgCO2e per accelerator.")
    embodied_kgco2e_estimate = _opt_float("BoaviztAPI bottom-up estimate, kgCO2e per accelerator (model output).")
    notes = fields.String(required=True)
    source = fields.String(required=True)


class InstanceSchema(Schema):
    id = fields.String(required=True)
    provider = fields.String(required=True)
    name = fields.String(required=True)
    accelerator_id = fields.String(required=True)
    accelerator_count = fields.Integer(required=True)
    vcpus = fields.Integer(allow_none=True)
    memory_gib = fields.Float(allow_none=True)
    host_power_w_idle = _opt_float("CPU-side power at idle, W (BoaviztAPI, accelerators excluded).")
    host_power_w_half = _opt_float("CPU-side power at 50% load, W.")
    host_power_w_full = _opt_float("CPU-side power at 100% load, W.")
    embodied_kgco2e_platform = _opt_float("BoaviztAPI estimate of the instance's share of platform manufacturing.")
    notes = fields.String(required=True)
    source = fields.String(required=True)


class FacilityFigureSchema(Schema):
    value = fields.Float(required=True)
    year = fields.String(required=True)
    scope = fields.String(required=True)
    source = fields.String(required=True)


class RegionSchema(Schema):
    provider = fields.String(required=True)
    id = fields.String(required=True)
    name = fields.String(required=True)
    country_iso2 = fields.String(required=True)
    grid_zone = fields.String(required=True)
    grid_zone_mapping_source = fields.String(required=True)
    grid_ci_gco2e_per_kwh = fields.Float(required=True)
    grid_ci_year = fields.Integer(required=True)
    grid_ci_basis = fields.String(required=True)
    grid_ci_2024_gco2e_per_kwh = _opt_float("Same series, 2024.")
    grid_ci_2023_gco2e_per_kwh = _opt_float("Same series, 2023.")
    ember_country_ci_gco2e_per_kwh = _opt_float("Ember country average (production-based), for comparison.")
    provider_cfe_pct = _opt_float("Provider-reported carbon-free / renewable share, %.")
    provider_cfe_basis = fields.String(required=True)
    renewable_matched = fields.Boolean(
        allow_none=True, metadata={"description": "AWS 100% renewable-matched list (2023)."}
    )
    pue = fields.Nested(FacilityFigureSchema, allow_none=True, required=True)
    wue = fields.Nested(FacilityFigureSchema, allow_none=True, required=True)
    notes = fields.String(required=True)
    source = fields.String(required=True)


class ModelPresetSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    family = fields.String(required=True)
    developer = fields.String(required=True)
    architecture = fields.String(required=True, metadata={"description": "dense or moe"})
    parameters_billion = fields.Float(required=True)
    active_parameters_billion = fields.Float(required=True)
    training_tokens_billion = _opt_float("Published training tokens, billions.")
    num_layers = fields.Integer(allow_none=True)
    num_kv_heads = fields.Integer(allow_none=True)
    head_dim = fields.Integer(allow_none=True)
    release_year = fields.Integer(allow_none=True)
    notes = fields.String()
    source = fields.String(required=True)


def listing(item_schema: type[Schema], name: str) -> type[Schema]:
    """A ``{"count": n, "items": [...]}`` envelope around ``item_schema``."""
    return Schema.from_dict(
        {"count": fields.Integer(required=True), "items": fields.List(fields.Nested(item_schema), required=True)},
        name=name,
    )


AcceleratorListSchema = listing(AcceleratorSchema, "AcceleratorList")
InstanceListSchema = listing(InstanceSchema, "InstanceList")
RegionListSchema = listing(RegionSchema, "RegionList")
ModelPresetListSchema = listing(ModelPresetSchema, "ModelPresetList")


class NoQuerySchema(Schema):
    """Listings without filters: any query parameter is an error."""


class RegionQuerySchema(Schema):
    provider = fields.String(
        validate=validate.OneOf(PROVIDERS), metadata={"description": "Filter by provider.", "example": "aws"}
    )


class InstanceQuerySchema(Schema):
    provider = fields.String(
        validate=validate.OneOf(PROVIDERS), metadata={"description": "Filter by provider.", "example": "gcp"}
    )
    accelerator = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Filter by accelerator id.", "example": "nvidia-h100-sxm5-80gb"},
    )
