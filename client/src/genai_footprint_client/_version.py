"""The distribution's version (read by setuptools from here, without importing the package)."""

__version__ = "1.0.0"
