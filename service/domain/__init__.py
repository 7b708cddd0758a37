"""Pure estimation: no Flask, no marshmallow. Depends only on ``service.reference``."""

from .errors import EstimationError, MissingReferenceFigureError, UnderdeterminedError, UnknownReferenceError
from .estimate import Estimate
from .estimator import Estimator
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
