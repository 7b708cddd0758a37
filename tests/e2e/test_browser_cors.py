"""A portal page in real Chromium calls the API across origins: allowed origins get answers, others are blocked.

The API runs under gunicorn with FOOTPRINT_CORS_ALLOWED_ORIGINS naming one portal origin. Two static pages
on two other loopback ports play the allowed portal and a stranger. Chromium (Debian's, driven by
Playwright) sends the real preflight for the JSON POST, and enforces the answer the way users' browsers do.
"""

from __future__ import annotations

import http.server
from pathlib import Path

import pytest
from servers import other_origins

pytestmark = pytest.mark.e2e

PORTAL_PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Footprint portal</title></head>
<body><h1>Training footprint</h1><pre id="out">waiting</pre></body></html>"""

ESTIMATE_SCRIPT = """async (api) => {
  try {
    const response = await fetch(api + "/v1/estimates/training", {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-Request-ID": "portal-1"},
      body: JSON.stringify({"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10,
                            "datacenter": {"provider": "aws", "region": "eu-west-1"}}),
    });
    const body = await response.json();
    document.getElementById("out").textContent =
      "energy " + body.energy_kwh.value.toFixed(1) + " kWh, request " + response.headers.get("X-Request-ID");
    const requestId = response.headers.get("X-Request-ID");
    return {ok: true, status: response.status, energy: body.energy_kwh.value, requestId};
  } catch (error) {
    document.getElementById("out").textContent = "blocked: " + error;
    return {ok: false, error: String(error)};
  }
}"""


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PORTAL_PAGE)))
        self.end_headers()
        self.wfile.write(PORTAL_PAGE)

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def origins():
    with other_origins(_Page) as urls:
        yield urls


@pytest.fixture(scope="module")
def api(start_gunicorn, origins):
    return start_gunicorn(FOOTPRINT_CORS_ALLOWED_ORIGINS=origins[0]).base


def _call_from(browser, page_origin: str, api: str, screenshot: Path | None = None) -> dict:
    page = browser.new_page()
    try:
        page.goto(page_origin + "/portal.html")
        result = page.evaluate(ESTIMATE_SCRIPT, api)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        return result
    finally:
        page.close()


def test_allowed_portal_gets_the_estimate(browser, origins, api, tmp_path):
    result = _call_from(browser, origins[0], api, tmp_path / "portal.png")
    assert result["ok"], result
    assert result["status"] == 200 and result["energy"] > 0
    assert result["requestId"] == "portal-1"  # exposed to the page by Access-Control-Expose-Headers
    assert (tmp_path / "portal.png").stat().st_size > 0


def test_other_origin_is_blocked_by_the_browser(browser, origins, api):
    result = _call_from(browser, origins[1], api)
    assert not result["ok"]
    assert "Failed to fetch" in result["error"]
