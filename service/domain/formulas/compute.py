"""Floating-point operations and accelerator-hours."""

from __future__ import annotations

from ..defaults import INFERENCE_FLOPS_PER_PARAMETER_TOKEN, TRAINING_FLOPS_PER_PARAMETER_TOKEN
from ..ranges import Range

SECONDS_PER_HOUR = 3600.0


def training_flops(active_parameters: Range, tokens: Range) -> Range:
    """Total training FLOPs ~= 6 x N x D (Kaplan et al. 2020; Hoffmann et al. 2022).

    ``active_parameters``: parameters used per token (all of them for a dense model, the active ones for a
    mixture-of-experts); ``tokens``: tokens processed.
    """
    return active_parameters.times(tokens).scale(TRAINING_FLOPS_PER_PARAMETER_TOKEN)


def frozen_base_flops_per_parameter_token(trainable_fraction: Range, gradient_checkpointing: bool) -> Range:
    """FLOPs per parameter per token when the base weights are frozen (LoRA, adapters, prefix/prompt tuning).

    Forward 2 + activation gradients 2 + weight gradients 2 x trainable fraction; gradient checkpointing
    recomputes the forward pass (+2). Full fine-tuning is the trainable-fraction-1 case: 6.
    """
    recompute = INFERENCE_FLOPS_PER_PARAMETER_TOKEN if gradient_checkpointing else 0.0
    base = 4.0 + recompute
    return Range(
        base + 2.0 * trainable_fraction.value,
        base + 2.0 * trainable_fraction.low,
        base + 2.0 * trainable_fraction.high,
    )


def forward_flops(active_parameters: Range, tokens: Range) -> Range:
    """Forward-pass FLOPs ~= 2 x N x tokens: prefill, decoding or embedding (Kaplan et al. 2020)."""
    return active_parameters.times(tokens).scale(INFERENCE_FLOPS_PER_PARAMETER_TOKEN)
