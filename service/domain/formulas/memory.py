"""Memory needs (GB) and the accelerator counts they impose."""

from __future__ import annotations

import math

from ..defaults import USABLE_MEMORY_FRACTION

GB = 1e9


def weights_memory_gb(parameters: float, bytes_per_parameter: float) -> float:
    """Memory taken by the weights alone, in GB (10^9 bytes)."""
    return parameters * bytes_per_parameter / GB


def minimum_accelerators(required_gb: float, accelerator_memory_gb: float) -> int:
    """Fewest accelerators whose usable memory (90% of capacity) holds ``required_gb``."""
    return max(1, math.ceil(required_gb / (accelerator_memory_gb * USABLE_MEMORY_FRACTION) - 1e-9))
