"""Methodology defaults: every value used when a caller leaves an input out, each with its source.

Each default is a ``Range`` whose low/high cover what the cited evidence shows; docs/methodology.md
restates them. Defaults that depend on the shipped data (grid intensity without a location, PUE and WUE
spreads) are derived from the catalog at start-up in ``service.domain.site``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ranges import Range


@dataclass(frozen=True, slots=True)
class Default:
    """A default input: its range, unit and where the figure comes from."""

    name: str
    range: Range
    unit: str
    source: str


METHODOLOGY_VERSION = "1.0.0"

# -- compute -------------------------------------------------------------------------------------

TRAINING_FLOPS_PER_PARAMETER_TOKEN = 6.0
"""Forward (2) + backward (4) FLOPs per parameter per token: Kaplan et al. 2020 (arXiv:2001.08361) §2.1;
Hoffmann et al. 2022 (arXiv:2203.15556) appendix F."""

INFERENCE_FLOPS_PER_PARAMETER_TOKEN = 2.0
"""One multiply-accumulate per parameter per token in the forward pass: Kaplan et al. 2020 §2.1."""

# -- power ---------------------------------------------------------------------------------------

IDLE_POWER_FRACTION_OF_TDP = Default(
    "idle_power_fraction_of_tdp",
    Range(0.21, 0.12, 0.30),
    "fraction of TDP",
    "BLOOM's API deployment drew about 0.29 kWh per 10 minutes on 16 A100 with no requests, about 109 W per "
    "GPU including host (Luccioni et al. 2023, arXiv:2211.02001 §5) -> 84 W or 0.21 x TDP for the GPU at the "
    "default 0.3 host share; low: A100/H100 idle draw of 50-60 W (0.12-0.15 x TDP); high: 0.3 with busy hosts.",
)

HOST_OVERHEAD_FRACTION = Default(
    "host_overhead_fraction",
    Range(0.30, 0.15, 0.45),
    "fraction of accelerator power",
    "Host CPU, memory and network besides the accelerators: BLOOM API logs GPU 75%, RAM 23%, CPU 2% "
    "(Luccioni et al. 2023) -> 0.33; Gemini median prompt accelerators 0.14 Wh, host 0.06 Wh (Google 2025, "
    "arXiv:2508.15734) -> 0.43; EcoLogits 1.2 kW per 8-GPU server -> about 0.2 of H100 power.",
)

# -- embodied ------------------------------------------------------------------------------------

ACCELERATOR_EMBODIED_KG = Default(
    "accelerator_embodied_kgco2e",
    Range(150.0, 120.0, 575.0),
    "kgCO2e per accelerator",
    "BLOOM used 150 kgCO2e per A100 (Luccioni et al. 2022, arXiv:2211.02001); NVIDIA's HGX H100 PCF gives "
    "164 kg per GPU; BoaviztAPI 2.5.0 bottom-up estimates reach 575 kg (H100), used as the high end.",
)

SERVER_EMBODIED_KG_PER_ACCELERATOR = Default(
    "server_embodied_kgco2e_per_accelerator",
    Range(312.5, 125.0, 712.5),
    "kgCO2e per accelerator slot",
    "Server without GPUs per 8 accelerators: BLOOM 2,500 kg (Luccioni et al. 2022) -> 312.5; low: Teads/CCF "
    "1,000 kg base server -> 125; high: EcoLogits 5,700 kg p5-class server -> 712.5.",
)

HARDWARE_LIFETIME_HOURS = Default(
    "hardware_lifetime_hours",
    Range(5 * 8760.0, 4 * 8760.0, 6 * 8760.0),
    "hours",
    "Accelerator servers amortised over 4-6 years (BLOOM: 6 years, Luccioni et al. 2022; Teads/CCF: 4 years).",
)

# -- facility ------------------------------------------------------------------------------------

INDUSTRY_PUE = Default(
    "pue",
    Range(1.56, 1.09, 2.0),
    "ratio",
    "Uptime Institute Global Data Center Survey 2024: industry average PUE 1.56; low: Google fleet 1.09 (2024); "
    "high: older enterprise facilities around 2.0.",
)

INDUSTRY_WUE_L_PER_KWH = 1.8
INDUSTRY_WUE_SOURCE = (
    "Shehabi et al. 2016, United States Data Center Energy Usage Report (LBNL-1005775): average on-site "
    "water use 1.8 L/kWh"
)

# -- inference workload --------------------------------------------------------------------------

INPUT_TOKENS_PER_REQUEST = Default(
    "input_tokens_per_request",
    Range(500.0, 70.0, 2000.0),
    "tokens",
    "LMSYS-Chat-1M averages 69.5 prompt tokens per turn without history (Zheng et al. 2023, "
    "arXiv:2309.11998); system prompts and conversation history lengthen real prompts.",
)

OUTPUT_TOKENS_PER_REQUEST = Default(
    "output_tokens_per_request",
    Range(250.0, 100.0, 800.0),
    "tokens",
    "LMSYS-Chat-1M averages 214.5 response tokens per turn (Zheng et al. 2023, arXiv:2309.11998); reasoning "
    "models answer with far more.",
)

SHARED_SEQUENCES_PER_ACCELERATOR = Default(
    "shared_sequences_per_accelerator",
    Range(88.0, 22.0, 176.0),
    "concurrent sequences per accelerator",
    "A shared (on-demand) endpoint keeps its replicas' continuous batches full: DeepSeek's production service "
    "decoded about 14,800 tokens/s per 8-GPU node at 20-22 tokens/s per user, about 88 concurrent sequences per GPU "
    "(DeepSeek-AI 2025, 'DeepSeek-V3/R1 Inference System Overview', github.com/deepseek-ai/open-infra-index); low: "
    "an endpoint a quarter as loaded, high: twice. The replica's batch is this times its accelerators, bounded by "
    "its KV-cache memory.",
)

ACCELERATORS_PER_SERVER = 8
"""Accelerators one server holds behind its own switch fabric: NVIDIA HGX/DGX H100, H200 and B200 boards carry 8
GPUs (NVIDIA DGX H100 and DGX B200 datasheets). Jobs on more span servers and their network."""

USABLE_MEMORY_FRACTION = 0.9
"""Share of accelerator memory a serving engine or training job uses (vLLM's gpu_memory_utilization default,
0.9; the rest holds the CUDA context and fragmentation): the weights, then the KV cache in what is left."""

BYTES_PER_PARAMETER = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    # OCP Microscaling (MX) format: 4-bit elements with one 8-bit scale per block of 32 (4.25 bits); gpt-oss ships
    # its expert weights so (OpenAI 2025, arXiv:2508.10925).
    "mxfp4": 4.25 / 8,
}
"""Bytes per stored weight at each precision (tf32 is stored as fp32)."""

COMPUTE_PRECISION_FALLBACK = {
    "fp32": ("fp32",),
    "tf32": ("tf32", "fp32"),
    "bf16": ("bf16", "fp16", "tf32", "fp32"),
    "fp16": ("fp16", "bf16", "tf32", "fp32"),
    "fp8": ("fp8", "bf16", "fp16", "tf32", "fp32"),
    "int8": ("int8", "fp8", "bf16", "fp16", "fp32"),
    # int4 and mxfp4 are weight-only formats here: matrices are de-quantised and multiplied at 16-bit.
    "int4": ("bf16", "fp16", "tf32", "fp32"),
    "mxfp4": ("bf16", "fp16", "tf32", "fp32"),
}
"""Which dense peak to use at each precision, first published one wins."""

WEIGHT_ONLY_PRECISIONS = ("int4", "mxfp4")
"""Formats the weights are stored in but not multiplied in (their peak is a 16-bit one by design)."""

KV_CACHE_BYTES_PER_ELEMENT = 2.0
"""KV cache stored at 16 bits, the vLLM default (kv_cache_dtype=auto follows the bf16/fp16 model)."""
