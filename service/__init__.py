"""genai-footprint: energy, emissions and water estimates for generative-AI workloads.

Importing the package does nothing but define names; ``create_app`` builds a configured Flask app.
"""

from .app import create_app

__all__ = ["create_app"]
