"""Refused requests leave nothing behind in a worker: a flood of 422s must not grow its memory.

A regression test for a leak an adversarial run found: one shared exception object, raised by the compiled
loader (service/schemas/fastload.py) for every payload it hands back to marshmallow, collected every refused
request's frames, and so its payload, in its traceback. 2,000 refused 100 KB bodies grew a worker from 35 to
301 MB, for good. tests/api/test_fastload.py checks the mechanism; this checks what a user would see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REFUSED_BODY = {
    "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8},
    "duration_hours": 10,
    "note": "x" * 100_000,  # not a field of the schema: 422, after the compiled loader has looked at it
}
WARM_UP, FLOOD = 30, 300
#: With the leak the flood alone kept ~40 MB (about 130 KB per refused body); without it the worker stays
#: within a few MB of its warmed-up size.
MAX_GROWTH_KB = 12_000


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_flood_of_refused_bodies_does_not_grow_the_worker(start_gunicorn):
    server = start_gunicorn(FOOTPRINT_WORKERS="1")
    (worker,) = worker_pids(server.process.pid)

    def post_refused(times: int) -> None:
        for _ in range(times):
            response = server.post("/v1/estimates/training", REFUSED_BODY)
            assert response.status_code == 422
            assert "note" in response.json()["errors"]

    post_refused(WARM_UP)
    before = rss_kb(worker)
    post_refused(FLOOD)
    growth = rss_kb(worker) - before
    assert growth < MAX_GROWTH_KB, f"the worker grew by {growth} kB over {FLOOD} refused requests"
