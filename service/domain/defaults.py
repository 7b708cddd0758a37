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

INFERENCE_POWER_FRACTION_UNBATCHED = Default(
    "power_fraction_of_tdp_unbatched",
    Range(0.35, 0.25, 0.50),
    "fraction of TDP",
    "One sequence at a time leaves the tensor cores mostly idle while weights stream from memory: measured "
    "GPU power at batch 1 sits at 30-50% of TDP (ML.ENERGY, Chung et al. 2025, arXiv:2505.06371: TDP-based "
    "estimates overstate measured inference energy by up to 4x; Patel et al. 2024, Splitwise, "
    "arXiv:2311.18677: token generation draws far less than prompt processing).",
)

INFERENCE_POWER_FRACTION_SATURATED = Default(
    "power_fraction_of_tdp_saturated",
    Range(0.80, 0.60, 0.95),
    "fraction of TDP",
    "Large continuous batches keep the GPU compute-bound: calibrated on ML.ENERGY GPU energy per response "
    "at batch 64-1,024 on H100 and B200 (Chung et al. 2025; ML.ENERGY leaderboard v3.0, 2026), which "
    "imply 75-90% of TDP once the measured energy is divided by the modelled busy time.",
)

INFERENCE_POWER_HALF_BATCH = 16.0
"""Batch size at which inference power has risen half way from the unbatched to the saturated level:
load = (b - 1) / (b - 1 + 16). ML.ENERGY measures power rising steeply over batch 1-32 and flattening by
64-128 (Chung et al. 2025, arXiv:2505.06371 §5)."""

DECODE_STEP_OVERHEAD_S = Default(
    "step_overhead_s",
    Range(0.002, 0.0005, 0.006),
    "seconds per forward step",
    "Fixed time of every forward step besides weight/KV streaming and FLOPs (kernel launches, sampling, "
    "scheduling), shared by the batch. Batched serving engines with CUDA graphs (vLLM, TensorRT-LLM) spend "
    "0.5-6 ms per step; calibrated with ML.ENERGY's vLLM measurements (Chung et al. 2025, arXiv:2505.06371).",
)

UNBATCHED_STEP_OVERHEAD_S = Default(
    "step_overhead_s",
    Range(0.012, 0.004, 0.03),
    "seconds per forward step",
    "Unbatched generation (batch size 1: one request at a time, as in Hugging Face pipelines in eager "
    "PyTorch) is bound by kernel launches and Python, 4-30 ms per step for 24-48 layer models: Power Hungry "
    "Processing measured almost the same energy per inference for 0.2B and 11B models on A100 (Luccioni et "
    "al. 2024, arXiv:2311.16863 Table 3), which only a per-step floor of about 10 ms explains.",
)

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

BATCH_SIZE = Default(
    "batch_size",
    Range(16.0, 4.0, 64.0),
    "concurrent sequences",
    "Continuous-batching servers (vLLM) run tens of sequences at once under load; ML.ENERGY measures batch "
    "sizes 8-256 (Chung et al. 2025, arXiv:2505.06371).",
)

PREFILL_COMPUTE_EFFICIENCY = Default(
    "prefill_compute_efficiency",
    Range(0.50, 0.30, 0.70),
    "fraction of peak FLOP/s",
    "Prefill is compute-bound; serving kernels reach well below peak (brief §3, ML.ENERGY measurements).",
)

DECODE_BANDWIDTH_EFFICIENCY = Default(
    "decode_bandwidth_efficiency",
    Range(0.60, 0.40, 0.80),
    "fraction of peak memory bandwidth",
    "Decoding at small batches is bandwidth-bound; real systems reach 40-80% of peak HBM bandwidth.",
)

INFERENCE_MEMORY_OVERHEAD = 1.2
"""Weights x 1.2 to size inference replicas (activations, KV cache, runtime): EcoLogits LLM inference
methodology (github:mlco2/ecologits docs/methodology/llm_inference.md)."""

USABLE_MEMORY_FRACTION = 0.9
"""Share of accelerator memory usable by the job (the rest holds CUDA context, fragmentation)."""

BYTES_PER_PARAMETER = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
}
"""Bytes per stored weight at each precision (tf32 is stored as fp32)."""

COMPUTE_PRECISION_FALLBACK = {
    "fp32": ("fp32",),
    "tf32": ("tf32", "fp32"),
    "bf16": ("bf16", "fp16", "tf32", "fp32"),
    "fp16": ("fp16", "bf16", "tf32", "fp32"),
    "fp8": ("fp8", "bf16", "fp16", "tf32", "fp32"),
    "int8": ("int8", "fp8", "bf16", "fp16", "fp32"),
    # int4 is a weight-only format: matrices are de-quantised and multiplied at 16-bit.
    "int4": ("bf16", "fp16", "tf32", "fp32"),
}
"""Which dense peak to use at each precision, first published one wins."""

KV_CACHE_BYTES_PER_ELEMENT = 2.0
"""KV cache stored at 16 bits, the vLLM default (kv_cache_dtype=auto follows the bf16/fp16 model)."""
