"""Python client and command line (``genai-footprint``) for the genai-footprint API.

    from genai_footprint_client import FootprintClient, get_range

    with FootprintClient("https://footprint.example.com", api_key="...") as client:
        plan = {"hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 8}, "duration_hours": 24}
        answer = client.estimate_training(plan)
        print(get_range(answer, "emissions_kgco2e"))

Answers are the service's JSON as dicts; errors the service answers are raised as ProblemError.
"""

from ._version import __version__
from .client import KINDS, OPERATIONS, FootprintClient
from .errors import FootprintError, ProblemError, ServiceUnreachableError
from .figures import HEADLINE_FIGURES, Figure, FigureValue, Range, get_range, headline, lookup

__all__ = [
    "HEADLINE_FIGURES",
    "KINDS",
    "OPERATIONS",
    "Figure",
    "FigureValue",
    "FootprintClient",
    "FootprintError",
    "ProblemError",
    "Range",
    "ServiceUnreachableError",
    "__version__",
    "get_range",
    "headline",
    "lookup",
]
