"""Build hook: compile the estimation domain with mypyc (pyproject.toml holds everything else).

mypyc (part of mypy: https://mypyc.readthedocs.io) compiles the type-annotated modules of ``service/domain``
to C extension modules; the sources stay the definition and run unchanged as plain Python. The compiled
modules give the same answers in less time (`make test` runs on them; bench/README.md has the figures).
``FOOTPRINT_COMPILE=0`` builds a pure-Python package instead, for a machine without a C compiler.

Left out of the compiled set: ``errors.py`` (the API reads the ``code`` its exception classes declare as a
class attribute, which mypyc's native exception classes do not expose), ``estimator.py`` (the benchmark's
ceiling application subclasses ``Estimator`` in Python) and the packages' ``__init__`` modules (imports).
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup

#: Domain modules kept as Python (see the docstring).
INTERPRETED = {"__init__.py", "errors.py", "estimator.py"}


def compiled_modules() -> list[str]:
    """Paths of the domain modules mypyc compiles, sorted."""
    root = Path(__file__).parent
    return sorted(
        str(path.relative_to(root))
        for path in (root / "service" / "domain").rglob("*.py")
        if path.name not in INTERPRETED
    )


def extensions() -> list:
    if os.environ.get("FOOTPRINT_COMPILE", "1") == "0":
        return []
    from mypyc.build import mypycify  # a build requirement, needed only when compiling

    # mypy also reads the modules the domain's packages import (service/__init__.py imports the Flask app),
    # and an isolated build has none of the service's dependencies. The domain imports only the standard
    # library and the reference layer, so what mypy finds about the others (checked by `make test`) is left
    # out here.
    flags = ["--ignore-missing-imports", "--follow-imports=silent"]
    # One group, its shared library inside the package (service/domain/_native__mypyc), not beside it.
    return mypycify([*flags, *compiled_modules()], opt_level="3", group_name="service.domain._native")


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import it for compiled_modules()
    setup(ext_modules=extensions())
