"""Embodied emissions per accelerator-hour: the accelerator and its server share, over the hardware's life."""

from __future__ import annotations

from .assumptions import DEFAULT, Ledger, assume_default
from .defaults import ACCELERATOR_EMBODIED_KG, HARDWARE_LIFETIME_HOURS, SERVER_EMBODIED_KG_PER_ACCELERATOR
from .formulas.emissions import embodied_kgco2e_per_accelerator_hour
from .hardware import ResolvedHardware
from .ranges import Range


def embodied_rate_kg_per_accelerator_hour(hardware: ResolvedHardware, ledger: Ledger) -> Range:
    """Embodied kgCO2e per accelerator-hour: accelerator + server share, over the hardware lifetime."""
    accelerator = hardware.accelerator
    if accelerator.embodied_kgco2e_vendor is not None:
        vendor = accelerator.embodied_kgco2e_vendor
        high = max(vendor, accelerator.embodied_kgco2e_estimate or ACCELERATOR_EMBODIED_KG.range.high)
        accelerator_kg = Range.spread(vendor, vendor * 0.8, high)
        source = f"vendor product carbon footprint {vendor:g} kg"
        if accelerator.embodied_source:
            source += f" ({accelerator.embodied_source})"
        source += "; high: BoaviztAPI bottom-up estimate"
    elif accelerator.embodied_kgco2e_estimate is not None:
        estimate = accelerator.embodied_kgco2e_estimate
        base = ACCELERATOR_EMBODIED_KG.range
        accelerator_kg = Range.spread(base.value, base.low, max(estimate, base.value))
        source = ACCELERATOR_EMBODIED_KG.source + f"; high: BoaviztAPI estimate for this accelerator {estimate:g} kg"
    else:
        accelerator_kg = ACCELERATOR_EMBODIED_KG.range
        source = ACCELERATOR_EMBODIED_KG.source
    ledger.assume("accelerator_embodied", accelerator_kg, "kgCO2e per accelerator", DEFAULT, source)
    server = _server_share(hardware, ledger)
    lifetime = assume_default(ledger, HARDWARE_LIFETIME_HOURS)
    return embodied_kgco2e_per_accelerator_hour(accelerator_kg, server, lifetime)


def _server_share(hardware: ResolvedHardware, ledger: Ledger) -> Range:
    """The server around each accelerator: the instance's own platform figure when the catalog lists one,
    else a sourced generic share."""
    instance = hardware.instance
    if instance is None or instance.embodied_kgco2e_platform is None:
        return assume_default(ledger, SERVER_EMBODIED_KG_PER_ACCELERATOR)
    per_slot = instance.embodied_kgco2e_platform / instance.accelerator_count
    generic = SERVER_EMBODIED_KG_PER_ACCELERATOR.range
    share = Range.spread(per_slot, min(per_slot, generic.low), max(per_slot, generic.high))
    ledger.assume(
        SERVER_EMBODIED_KG_PER_ACCELERATOR.name,
        share,
        SERVER_EMBODIED_KG_PER_ACCELERATOR.unit,
        DEFAULT,
        f"instance {instance.name}: platform manufacturing {instance.embodied_kgco2e_platform:g} kgCO2e over "
        f"{instance.accelerator_count} accelerator(s) (BoaviztAPI model output: {instance.source}); range: "
        f"{SERVER_EMBODIED_KG_PER_ACCELERATOR.source}",
    )
    return share
