"""Every warning code an estimate can carry, declared once with what it means. The codes are stable (clients
match on them); the messages say the specifics. The OpenAPI document lists them from here."""

from __future__ import annotations

WARNING_CODES: dict[str, str] = {
    "no-location": "No location was given: the world-average grid intensity is used, with a range covering most "
    "cloud regions.",
    "provider-without-region": "A provider without a region: fleet PUE and WUE are used, the grid is not "
    "region-specific.",
    "precision-peak-unavailable": "The accelerator publishes no dense peak at the requested precision; the next "
    "usable precision's peak is used.",
    "default-hardware": "No hardware was given (fine-tuning): a default accelerator is assumed.",
    "insufficient-memory": "Fewer accelerators were given than the job's memory needs.",
    "capacity-exceeded": "The requests need more busy time than the dedicated replicas provide; the busy time is "
    "counted in full.",
    "no-requests": "requests is 0: per-request figures are undefined.",
    "implausible-utilisation": "The inputs imply (or give) a model-FLOPs utilisation outside what published runs "
    "reach (0.02-0.75): the estimate is given, but check the tokens, count and duration.",
    "power-above-tdp": "hardware.power_w is more than 1.2 x the accelerator's TDP: it may include the host.",
    "power-not-published": "The accelerator publishes no power figure: a sourced default range is used.",
    "batch-limited-by-memory": "The requested batch_size does not fit: the KV cache of that many full-length "
    "sequences exceeds the memory left beside the weights, so the batch is capped at the largest that fits.",
    "slo-not-met": "Even one sequence at a time misses the latency targets (slo) on this replica.",
}
