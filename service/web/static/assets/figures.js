// What the calculator shows and asks, declared once.
//
// FIGURES: every figure of an answer the result view shows, by its dotted path in the API's answer. A figure
// the answer lacks is not shown, and one that is null is shown as unknown only where `whenNull` says why, so
// the list may name fields that only newer versions of the service return. Adding a figure is adding a line.
// `section` places it; `chart` also draws it in that breakdown chart; `percent` shows a fraction as a %.
//
// FIELDS: labels and order of the form's inputs, by their path in the request. The form shows an input only
// when the service's OpenAPI document has it for the chosen kind, and shows the document's other inputs too,
// labelled from their names, under "More". `source` names the catalog list its choices come from;
// `assumption` names the answer's assumption that shows its default (when it is not the input's own name);
// `hint` replaces the OpenAPI description under the input; `advanced` puts it under "More".

export const KINDS = [
  {id: "training", label: "Training"},
  {id: "fine-tuning", label: "Fine-tuning"},
  {id: "inference", label: "Inference"},
];

export const SECTIONS = {
  headline: "Footprint",
  per_request: "Per request",
  breakdown: "Breakdown",
  serving: "Serving",
  compute: "Compute",
  memory: "Memory",
  rag: "Retrieval index (RAG)",
};

export const CHARTS = {
  energy: "Energy by component",
  emissions: "Emissions by source",
};

export const FIGURES = [
  {path: "energy_kwh", label: "Energy", unit: "kWh", section: "headline", note: "facility energy: IT energy × PUE"},
  {path: "emissions_kgco2e", label: "Emissions, location-based", unit: "kgCO2e", section: "headline", note: "operational + embodied"},
  {path: "market_based_emissions_kgco2e", label: "Emissions, market-based", unit: "kgCO2e", section: "headline", note: "renewable-matched share removed, + embodied", whenNull: "no market-based factor is known for this location"},
  {path: "water_l", label: "Water, on-site", unit: "L", section: "headline", note: "cooling: IT energy × WUE"},
  {path: "breakdown.offsite_water_l", label: "Water, off-site", unit: "L", section: "headline", note: "consumed generating the electricity", whenNull: "no water intensity is known for this grid"},
  {path: "per_request.energy_wh", label: "Energy per request", unit: "Wh", section: "per_request"},
  {path: "per_request.emissions_gco2e", label: "Emissions per request", unit: "gCO2e", section: "per_request"},
  {path: "per_request.water_ml", label: "Water per request", unit: "mL", section: "per_request"},
  {path: "per_request.offsite_water_ml", label: "Off-site water per request", unit: "mL", section: "per_request", whenNull: "no water intensity is known for this grid"},
  {path: "breakdown.accelerators_kwh", label: "Accelerators", unit: "kWh", section: "breakdown", chart: "energy"},
  {path: "breakdown.host_kwh", label: "Host (CPU, memory, network)", unit: "kWh", section: "breakdown", chart: "energy"},
  {path: "breakdown.facility_overhead_kwh", label: "Facility overhead (cooling, power)", unit: "kWh", section: "breakdown", chart: "energy"},
  {path: "breakdown.operational_kgco2e", label: "Operational, location-based", unit: "kgCO2e", section: "breakdown", chart: "emissions"},
  {path: "breakdown.market_based_operational_kgco2e", label: "Operational, market-based (Scope 2)", unit: "kgCO2e", section: "breakdown", chart: "emissions"},
  {path: "breakdown.embodied_kgco2e", label: "Embodied (manufacturing)", unit: "kgCO2e", section: "breakdown", chart: "emissions"},
  {path: "serving.latency_seconds", label: "Latency, arrival to last token", unit: "s", section: "serving"},
  {path: "serving.time_to_first_token_seconds", label: "Time to first token", unit: "s", section: "serving"},
  {path: "serving.effective_batch_size", label: "Effective batch size", unit: "sequences", section: "serving"},
  {path: "serving.mode", label: "Deployment", section: "serving"},
  {path: "serving.replicas", label: "Replicas", unit: "replicas", section: "serving"},
  {path: "serving.utilisation", label: "Utilisation", section: "serving", percent: true},
  {path: "serving.accelerators_per_replica", label: "Accelerators per replica", section: "serving"},
  {path: "serving.memory_required_gb", label: "Memory per replica", unit: "GB", section: "serving"},
  {path: "serving.busy_seconds_per_request", label: "Replica busy time per request", unit: "s", section: "serving"},
  {path: "serving.prefill_seconds_per_request", label: "Prefill per request", unit: "s", section: "serving"},
  {path: "serving.decode_seconds_per_token", label: "Decode per token", unit: "s", section: "serving"},
  {path: "compute.accelerator", label: "Accelerator", section: "compute"},
  {path: "compute.accelerator_count", label: "Accelerators", section: "compute"},
  {path: "compute.accelerator_hours", label: "Accelerator-hours", unit: "h", section: "compute"},
  {path: "compute.duration_hours", label: "Duration per run", unit: "h", section: "compute"},
  {path: "compute.flops", label: "Floating-point operations", unit: "FLOP", section: "compute"},
  {path: "memory.required_gb", label: "Accelerator memory needed", unit: "GB", section: "memory"},
  {path: "memory.minimum_accelerators", label: "Fewest accelerators that hold it", section: "memory"},
  {path: "memory.accelerator_memory_gb", label: "Memory per accelerator", unit: "GB", section: "memory"},
  {path: "memory.trainable_parameters", label: "Trainable parameters", section: "memory"},
  {path: "rag.index_accelerator_hours", label: "Index build, accelerator-hours", unit: "h", section: "rag"},
  {path: "rag.index_flops", label: "Index build, floating-point operations", unit: "FLOP", section: "rag"},
];

export const GROUPS = [
  {key: "model", label: "Model"},
  {key: "", label: "Workload"},
  {key: "hardware", label: "Hardware"},
  {key: "traffic", label: "Traffic"},
  {key: "deployment", label: "Deployment"},
  {key: "slo", label: "Latency targets"},
  {key: "rag", label: "Retrieval (RAG)"},
  {key: "datacenter", label: "Where it runs"},
  {key: "measured", label: "Measured energy"},
];

export const FIELDS = [
  {path: "model.preset", label: "Model preset", source: "models", hint: "A published model; or give its parameters under more model inputs."},
  {path: "model.parameters_billion", label: "Parameters (billions)", assumption: "parameters", advanced: true},
  {path: "model.active_parameters_billion", label: "Active parameters per token (billions)", advanced: true},
  {path: "model.experts", label: "Experts (mixture-of-experts)", advanced: true},
  {path: "model.experts_per_token", label: "Experts per token", advanced: true},
  {path: "method", label: "Method"},
  {path: "trainable_parameters_fraction", label: "Share of parameters trained", advanced: true},
  {path: "training_tokens_billion", label: "Training tokens (billions)"},
  {path: "dataset_tokens_million", label: "Dataset tokens (millions)"},
  {path: "epochs", label: "Epochs"},
  {path: "requests", label: "Requests"},
  {path: "input_tokens_per_request", label: "Prompt tokens per request"},
  {path: "output_tokens_per_request", label: "Generated tokens per request"},
  {path: "batch_size", label: "Batch size (sequences decoded together)", advanced: true},
  {path: "duration_hours", label: "Duration per run (hours)"},
  {path: "accelerator_hours", label: "Accelerator-hours per run", advanced: true},
  {path: "flops", label: "Floating-point operations per run", advanced: true},
  {path: "runs", label: "Runs"},
  {path: "include_embodied", label: "Include embodied (manufacturing) emissions"},
  {path: "hardware.accelerator", label: "Accelerator", source: "accelerators", hint: "From the service's catalog of accelerators."},
  {path: "hardware.instance_type", label: "Or a cloud instance type", source: "instances", hint: "Implies the accelerator and how many each instance has; listed for the chosen provider."},
  {path: "hardware.count", label: "Count (accelerators, or instances)"},
  {path: "hardware.precision", label: "Precision"},
  {path: "hardware.power_w", label: "Average power per accelerator (W)", advanced: true},
  {path: "hardware.host_overhead_fraction", label: "Host power (fraction of accelerator power)", advanced: true},
  {path: "hardware.mfu", label: "Model-FLOPs utilisation (0.001 to 1)", advanced: true},
  {path: "hardware.spec.name", label: "Your own accelerator: name", advanced: true},
  {path: "hardware.spec.tdp_w", label: "Your own accelerator: TDP (W)", advanced: true},
  {path: "hardware.spec.memory_gb", label: "Your own accelerator: memory (GB)", advanced: true},
  {path: "hardware.spec.memory_bandwidth_gb_per_s", label: "Your own accelerator: memory bandwidth (GB/s)", advanced: true},
  {path: "hardware.spec.embodied_kgco2e", label: "Your own accelerator: embodied carbon (kgCO2e)", advanced: true},
  {path: "traffic.requests_per_second", label: "Requests per second"},
  {path: "slo.max_latency_seconds", label: "Longest latency (s)", advanced: true},
  {path: "slo.max_time_to_first_token_seconds", label: "Longest time to first token (s)", advanced: true},
  {path: "deployment.mode", label: "Deployment"},
  {path: "deployment.replicas", label: "Replicas"},
  {path: "deployment.hours", label: "Hours the replicas are up"},
  {path: "rag.retrieved_tokens_per_request", label: "Retrieved tokens per request", advanced: true},
  {path: "rag.embedding_parameters_billion", label: "Embedding model parameters (billions)", advanced: true},
  {path: "rag.corpus_tokens_billion", label: "Corpus tokens (billions)", advanced: true},
  {path: "datacenter.provider", label: "Cloud provider"},
  {path: "datacenter.region", label: "Region", source: "regions", hint: "Each region with its grid's carbon intensity."},
  {path: "datacenter.country", label: "Or a country (ISO code, on-premises)"},
  {path: "datacenter.carbon_intensity_gco2e_per_kwh", label: "Grid carbon intensity (gCO2e/kWh)", assumption: "carbon_intensity", advanced: true},
  {path: "datacenter.pue", label: "PUE", advanced: true},
  {path: "datacenter.wue_l_per_kwh", label: "WUE (L per kWh)", assumption: "wue", advanced: true},
  {path: "measured.it_energy_kwh", label: "Measured IT energy (kWh)", advanced: true},
  {path: "measured.scope", label: "What the measurement covers", advanced: true},
];
