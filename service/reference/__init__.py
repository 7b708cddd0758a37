"""Reference data: the only layer that knows the data files. Standard library only.

>>> from service.reference import load_catalog
>>> catalog = load_catalog()          # package data via importlib.resources; validated
>>> catalog.accelerators["nvidia-h100-sxm5-80gb"].tdp_w
700.0
"""

from .catalog import DATA_FILES, DATA_RELEASE, Catalog, ReferenceDataError, load_catalog
from .records import (
    PRECISIONS,
    Accelerator,
    Country,
    EmbodiedFigure,
    FacilityFigure,
    GridWater,
    Instance,
    ModelPreset,
    Region,
)

__all__ = [
    "DATA_FILES",
    "DATA_RELEASE",
    "PRECISIONS",
    "Accelerator",
    "Catalog",
    "Country",
    "EmbodiedFigure",
    "FacilityFigure",
    "GridWater",
    "Instance",
    "ModelPreset",
    "Region",
    "ReferenceDataError",
    "load_catalog",
]
