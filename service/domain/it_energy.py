"""IT energy (accelerators + host), modelled or as the caller measured it."""

from __future__ import annotations

from .assumptions import INPUT, Ledger
from .hardware import ResolvedHardware
from .inputs import MeasuredSpec
from .power import host_energy
from .ranges import Range


def it_energy_kwh(
    hardware: ResolvedHardware,
    modelled_accelerators_kwh: Range,
    accelerator_hours: Range,
    measured: MeasuredSpec | None,
    ledger: Ledger,
) -> tuple[Range, Range]:
    """Accelerator and host energy (kWh). A measurement replaces what it covers, exactly:

    * scope ``accelerators`` (Zeus, DCGM, nvidia-smi): the accelerators' energy is the measurement and the
      host is modelled beside it;
    * scope ``it`` (CodeCarbon's ``energy_consumed``: GPU + CPU + RAM): accelerator + host energy is the
      measurement, split between the two in the modelled proportion.
    """
    if measured is not None and measured.scope == "accelerators":
        accelerators = Range.exact(measured.it_energy_kwh)
        ledger.assume("measured_energy_kwh", measured.it_energy_kwh, "kWh (accelerators)", INPUT, "request")
        return accelerators, host_energy(hardware, accelerators, accelerator_hours, ledger)
    host = host_energy(hardware, modelled_accelerators_kwh, accelerator_hours, ledger)
    if measured is None:
        return modelled_accelerators_kwh, host
    total = measured.it_energy_kwh
    ledger.assume("measured_energy_kwh", total, "kWh (accelerators, CPU and memory)", INPUT, "request")
    modelled_total = modelled_accelerators_kwh.value + host.value
    share = modelled_accelerators_kwh.value / modelled_total if modelled_total > 0 else 1.0
    # The total is exact; only its split between accelerators and host is modelled.
    return Range.exact(total * share), Range.exact(total * (1.0 - share))
