"""Pure estimation: no Flask, no marshmallow. Depends only on ``service.reference``."""

from .errors import EstimationError, MissingReferenceFigureError, UnderdeterminedError, UnknownReferenceError
from .estimator import Estimator
from .footprint import Estimate
from .ranges import Range

__all__ = [
    "Estimate",
    "EstimationError",
    "Estimator",
    "MissingReferenceFigureError",
    "Range",
    "UnderdeterminedError",
    "UnknownReferenceError",
]
