"""Memory needs (GB) and the accelerator counts they impose."""

from __future__ import annotations

import math

from ..defaults import INFERENCE_MEMORY_OVERHEAD, USABLE_MEMORY_FRACTION

GB = 1e9


def weights_memory_gb(parameters: float, bytes_per_parameter: float) -> float:
    """Memory taken by the weights alone, in GB (10^9 bytes)."""
    return parameters * bytes_per_parameter / GB


def inference_memory_gb(parameters: float, bytes_per_parameter: float) -> float:
    """Memory to serve a model: weights x 1.2 for activations, KV cache and runtime (EcoLogits)."""
    return weights_memory_gb(parameters, bytes_per_parameter) * INFERENCE_MEMORY_OVERHEAD


def minimum_accelerators(required_gb: float, accelerator_memory_gb: float) -> int:
    """Fewest accelerators whose usable memory (90% of capacity) holds ``required_gb``."""
    return max(1, math.ceil(required_gb / (accelerator_memory_gb * USABLE_MEMORY_FRACTION) - 1e-9))


def serving_accelerators(required_gb: float, accelerator_memory_gb: float) -> int:
    """Accelerators per inference replica: the memory minimum rounded up to a power of two.

    Tensor parallelism splits attention heads evenly, so serving stacks use 1, 2, 4, 8... accelerators
    (EcoLogits rounds the same way).
    """
    minimum = minimum_accelerators(required_gb, accelerator_memory_gb)
    return 1 << (minimum - 1).bit_length()
