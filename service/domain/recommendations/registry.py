"""The recommendation codes, each declared once beside its generator.

A generator is registered with ``@recommendation(code, kinds)``; the engine runs, for a workload of one kind,
every generator registered for that kind in registration order, and the API's schemas and OpenAPI text take
the list of codes from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import RecommendationRun

Generator = Callable[["RecommendationRun"], None]


@dataclass(frozen=True, slots=True)
class RecommendationCode:
    """One recommendation: its stable code, the workload kinds it applies to and its candidate generator."""

    code: str
    kinds: tuple[str, ...]
    generate: Generator


REGISTRY: dict[str, RecommendationCode] = {}


def recommendation(code: str, kinds: tuple[str, ...]) -> Callable[[Generator], Generator]:
    """Register the decorated function as the generator of ``code`` for ``kinds``."""

    def register(generate: Generator) -> Generator:
        if code in REGISTRY:
            raise ValueError(f"recommendation code {code!r} is registered twice")
        REGISTRY[code] = RecommendationCode(code, kinds, generate)
        return generate

    return register
