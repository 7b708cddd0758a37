"""The estimation domain runs compiled with mypyc (setup.py) wherever `make setup` could build it, and under
CI=true it must have (a skip fails there, tests/conftest.py); the answers are the same either way (the golden
tests run on whichever is installed)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, stale_compiled_modules

sys.path.insert(0, str(ROOT))
import setup as build  # the project's setup.py, which lists the compiled modules

INTERPRETED_BY_DESIGN = ["service.domain.errors", "service.domain.estimator"]


def _module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _is_compiled(name: str) -> bool:
    origin = importlib.import_module(name).__spec__.origin or ""
    return origin.endswith(".so")


def test_setup_compiles_every_domain_module_but_the_interpreted_ones():
    names = [_module_name(path) for path in build.compiled_modules()]
    assert "service.domain.serving" in names
    assert "service.domain.recommendations.run" in names
    for name in INTERPRETED_BY_DESIGN:
        assert name not in names
    assert not [name for name in names if name.endswith("__init__")]


def test_the_domain_runs_compiled():
    names = [_module_name(path) for path in build.compiled_modules()]
    compiled = [name for name in names if _is_compiled(name)]
    if not compiled:
        if os.environ.get("FOOTPRINT_COMPILE") == "0":
            pytest.skip("FOOTPRINT_COMPILE=0: the domain runs as plain Python, as asked")
        pytest.skip("the domain is not compiled: `make setup` found no C compiler or Python headers (see its output)")
    assert compiled == names, f"only part of the domain is compiled: {sorted(set(names) - set(compiled))}"
    for name in INTERPRETED_BY_DESIGN:
        assert not _is_compiled(name)


def test_an_edited_source_is_found_stale(tmp_path):
    domain = tmp_path / "service" / "domain"
    domain.mkdir(parents=True)
    source, extension = domain / "serving.py", domain / "serving.cpython-311-x86_64-linux-gnu.so"
    source.write_text("x = 1\n")
    extension.write_bytes(b"")
    built = time.time()
    os.utime(source, (built - 10, built - 10))
    os.utime(extension, (built, built))
    assert stale_compiled_modules(tmp_path) == []
    os.utime(source, (built + 10, built + 10))
    assert stale_compiled_modules(tmp_path) == [str(Path("service/domain/serving.py"))]
    extension.unlink()
    assert stale_compiled_modules(tmp_path) == []  # plain Python: nothing to be stale


#: Runs in a fresh interpreter: the domain imported from its Python sources even where compiled modules sit
#: beside them (a finder that knows only sources, for service/domain alone), then every documented example
#: answered through the test client, as JSON text.
_ANSWERS = """
import importlib.machinery as m, json, logging, sys
domain = sys.argv[1]

def sources_only(path):
    if path == domain or path.startswith(domain + "/"):
        return m.FileFinder(path, (m.SourceFileLoader, m.SOURCE_SUFFIXES))
    raise ImportError(path)

sys.path_hooks.insert(0, sources_only)
sys.path_importer_cache.clear()
sys.path.insert(0, sys.argv[2])
logging.disable(logging.CRITICAL)
import service.domain.serving
assert service.domain.serving.__spec__.origin.endswith(".py"), service.domain.serving.__spec__.origin
from answers import documented_answers
print(json.dumps(documented_answers()))
"""


def documented_answers() -> dict[str, str]:
    """Every documented estimate and recommendation example, answered through the test client (JSON text)."""
    from service import create_app
    from service.api.examples import FINE_TUNING_EXAMPLES, INFERENCE_EXAMPLES, TRAINING_EXAMPLES
    from tests.api.test_recommendations_golden import BODIES

    client = create_app({"access_log": False}).test_client()
    answers = {}
    for kind, examples in (
        ("training", TRAINING_EXAMPLES),
        ("fine-tuning", FINE_TUNING_EXAMPLES),
        ("inference", INFERENCE_EXAMPLES),
    ):
        for name, example in examples.items():
            answers[f"{kind}/{name}"] = client.post(f"/v1/estimates/{kind}", json=example["value"]).get_data(True)
    for name, body in BODIES.items():
        answers[f"recommendations/{name}"] = client.post("/v1/recommendations", json=body).get_data(True)
    return answers


def test_the_compiled_domain_answers_what_its_sources_answer(tmp_path):
    if not _is_compiled("service.domain.serving"):
        if os.environ.get("FOOTPRINT_COMPILE") == "0":
            pytest.skip("FOOTPRINT_COMPILE=0: the domain runs as plain Python, as asked; nothing to compare")
        pytest.skip("the domain is not compiled: nothing to compare (see test_the_domain_runs_compiled)")
    (tmp_path / "answers.py").write_text(
        "import sys\nsys.path.insert(0, sys.argv[2])\nfrom tests.test_compiled import documented_answers\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", _ANSWERS, str(ROOT / "service" / "domain"), str(ROOT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    plain = json.loads(result.stdout)
    compiled = documented_answers()
    assert plain.keys() == compiled.keys()
    different = [name for name in compiled if compiled[name] != plain[name]]
    assert not different, f"byte for byte, the compiled domain's answers differ for {different}"
