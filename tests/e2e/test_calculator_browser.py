"""The calculator page, the embeddable element and /docs in real Chromium, against a real gunicorn.

Debian's chromium, driven by Playwright (the ``browser`` fixture of conftest.py). Every test watches
its page: no console error (but the 4xx answers a test provokes on purpose), no uncaught exception, no
Content-Security-Policy violation, and no request to an origin other than the service's (and, for the portal
tests, the portal's). A screenshot of each state is written to build/screenshots/ for reviewers.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import json
import math
import urllib.parse
from pathlib import Path

import pytest
import requests
from servers import other_origins

from service.api.examples import (
    FINE_TUNING_EXAMPLES,
    INFERENCE_EXAMPLES,
    RECOMMENDATION_EXAMPLES,
    TRAINING_EXAMPLES,
)
from service.domain.recommendations.patch import merge_patch

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE_CORE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
API_KEY = "calculator-test-key"


pytestmark = pytest.mark.e2e

EXAMPLES = [
    *(("training", name, example["value"]) for name, example in TRAINING_EXAMPLES.items()),
    *(("fine-tuning", name, example["value"]) for name, example in FINE_TUNING_EXAMPLES.items()),
    *(("inference", name, example["value"]) for name, example in INFERENCE_EXAMPLES.items()),
]
CHAT = INFERENCE_EXAMPLES["on-demand-chat"]["value"]
#: The recommendations example (README, openapi.yaml): a dedicated 70B service in a coal-heavy grid.
DEDICATED = RECOMMENDATION_EXAMPLES["inference-70b-coal-grid"]["value"]["workload"]
#: Serious axe findings in Swagger UI's own markup, which /docs serves as the package ships it.
SWAGGER_UI_MARKUP = {"label-content-name-mismatch", "nested-interactive"}
#: Answer members that are not figures: their numbers are shown in the assumptions table, not as figures.
NOT_FIGURES = ("assumptions", "warnings", "versions")


# -- servers ---------------------------------------------------------------------------------------------


class _PortalPages(http.server.BaseHTTPRequestHandler):
    """Another origin's pages: one embeds the element, one frames the calculator. Under their own strict CSP."""

    api = ""  # set once the service runs

    def do_GET(self):
        api = type(self).api
        workload = json.dumps(DEDICATED)
        pages = {
            "/embed.html": f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Team portal</title>
<link rel="stylesheet" href="/portal.css">
<script type="module" src="{api}/embed.js"></script></head>
<body><main><h1>Team portal: our chat service</h1>
<genai-footprint-calculator api-base="{api}" kind="inference" workload='{workload}'></genai-footprint-calculator>
</main></body></html>""",
            "/frame.html": f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Framed</title></head>
<body><h1>Framed calculator</h1><iframe title="Footprint calculator" width="1200" height="800"
src="{api}/?kind=inference&amp;workload={urllib.parse.quote(workload)}"></iframe></body></html>""",
            # The portal themes the element through its custom properties.
            "/portal.css": "body { font-family: sans-serif; margin: 1rem; }\n"
            "genai-footprint-calculator { --gfc-accent: #6a1b9a; --gfc-radius: 0; }\n",
        }
        body = pages.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else "text/html; charset=utf-8")
        # What a portal's own policy needs for the element: the service's origin for scripts, styles and calls.
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'none'; script-src {api}; style-src 'self' {api}; connect-src {api}; frame-src {api}",
        )
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def origins():
    """Two other origins: the portal (in the service's CORS list) and a stranger (not in it)."""
    with other_origins(_PortalPages) as urls:
        yield urls


@pytest.fixture(scope="module")
def api(start_gunicorn, origins):
    base = start_gunicorn(FOOTPRINT_CORS_ALLOWED_ORIGINS=origins[0]).base
    _PortalPages.api = base
    return base


@pytest.fixture(scope="module")
def secured_api(start_gunicorn):
    return start_gunicorn(
        FOOTPRINT_AUTH_ENABLED="true", FOOTPRINT_API_KEY_HASHES=hashlib.sha256(API_KEY.encode()).hexdigest()
    ).base


# -- watching a page -------------------------------------------------------------------------------------

_RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Watched:
    """A page in a fresh context, with everything it logs and requests recorded."""

    def __init__(self, browser, allowed_origins, width=1280, height=900):
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.allowed = set(allowed_origins)
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.foreign: list[str] = []
        self.requests: list = []
        self.expected_statuses: tuple[int, ...] = ()
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("request", self._request)
        self.context.add_init_script(_RECORD_VIOLATIONS)

    def _request(self, request):
        self.requests.append(request)
        if request.url.startswith(("http:", "https:")) and _origin(request.url) not in self.allowed:
            self.foreign.append(request.url)

    def check(self, expected_statuses=(), expected_errors=()):
        """No console error but the expected ones, no exception, no CSP violation, no other origin."""
        allowed = [f"status of {status} " for status in expected_statuses] + list(expected_errors)
        errors = [text for text in self.console_errors if not any(part in text for part in allowed)]
        assert not errors, errors
        assert not self.page_errors, self.page_errors
        violations = []
        for frame in self.page.frames:
            try:
                violations += frame.evaluate("window.__violations || []")
            except Exception:  # a frame the browser refused to load has no document to ask
                continue
        assert not violations, violations
        assert not self.foreign, self.foreign

    def screenshot(self, name: str, full_page=True):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 0
        return path

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser, api):
    pages = []

    def open_page(*extra_origins, width=1280, height=900):
        page = Watched(browser, [api, *extra_origins], width, height)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


# -- helpers ---------------------------------------------------------------------------------------------


def _link(base: str, kind: str, workload: dict) -> str:
    return f"{base}/?" + urllib.parse.urlencode({"kind": kind, "workload": json.dumps(workload)})


def _estimate(base: str, kind: str, workload: dict, headers=None) -> dict:
    response = requests.post(f"{base}/v1/estimates/{kind}", json=workload, timeout=30, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _at(document, path: str):
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return "absent"
        document = document[key]
    return document


def _range_paths(answer, prefix="") -> list[str]:
    """Every {value, low, high} in an answer, by path: the figures the result view must show."""
    found = []
    for key, value in answer.items():
        path = f"{prefix}{key}"
        if prefix == "" and key in NOT_FIGURES:
            continue
        if isinstance(value, dict) and set(value) == {"value", "low", "high"}:
            found.append(path)
        elif isinstance(value, dict):
            found += _range_paths(value, path + ".")
    return found


def _leaves(document, prefix=""):
    """(dotted path, value) of each scalar in a workload."""
    for key, value in document.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _shown(page, scope="section.results") -> dict[str, dict]:
    """The figures a section shows: {data-field: {value, low, high}} (the locator pierces the shadow root)."""
    rows = page.locator(f"{scope} [data-field]").evaluate_all(
        "els => els.map(e => [e.dataset.field, e.dataset.value ?? null, e.dataset.low ?? null, e.dataset.high ?? null])"
    )
    shown = {}
    for field, value, low, high in rows:
        assert field not in shown, f"{field} shown twice"
        shown[field] = {"value": value, "low": low, "high": high}
    return shown


def _assert_same_figures(shown: dict[str, dict], answer: dict):
    """Each figure shown is the answer's, unrounded; every range in the answer is shown."""
    assert shown, "no figure shown"
    for field, attributes in shown.items():
        expected = _at(answer, field)
        assert expected != "absent", f"{field} is shown but not in the answer"
        if expected is None:
            assert attributes["value"] is None, field
        elif isinstance(expected, dict):
            for part in ("value", "low", "high"):
                assert float(attributes[part]) == pytest.approx(expected[part], rel=1e-12, abs=0), (field, part)
        elif isinstance(expected, str):
            assert attributes["value"] == expected, field
        else:
            assert float(attributes["value"]) == pytest.approx(expected, rel=1e-12, abs=0), field
    missing = [path for path in _range_paths(answer) if path not in shown]
    assert not missing, f"figures in the answer that the page does not show (add them to FIGURES): {missing}"


def _wait_for_results(page):
    page.locator("section.results [data-field='energy_kwh']").wait_for(timeout=30_000)


def _wait_for_recommendations(page):
    page.locator("section.recommendations h2").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('genai-footprint-calculator').shadowRoot"
        ".querySelector('section.recommendations[aria-busy]')",
        timeout=30_000,
    )


def _wait_for_form(page):
    page.locator("select#field-model-preset option[value='llama-3.1-8b']").wait_for(state="attached", timeout=30_000)


def _url_state(page) -> tuple[str, dict]:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    return query["kind"][0], json.loads(query["workload"][0])


def _wait_until(page, condition, what: str, timeout_ms: int = 30_000):
    """Polls ``condition()`` (Python, e.g. reading the page's URL) until it holds."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def _focused_id(page) -> str | None:
    return page.evaluate("document.querySelector('genai-footprint-calculator').shadowRoot.activeElement?.id ?? null")


def _tab_to(page, element_id: str, limit: int = 80):
    """Presses Tab until the element with this id (in the calculator's shadow root) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused_id(page) == element_id:
            return
    raise AssertionError(f"{element_id} was not reached with Tab")


def _axe(watch, *, context="document") -> list[dict]:
    """axe-core's critical and serious WCAG 2.1 A/AA violations (with every <details> opened first).

    The page is checked first: axe sets inline styles while it measures, which the page's CSP refuses and
    logs, so nothing the page logs after axe ran is the page's own.
    """
    watch.check(expected_statuses=watch.expected_statuses)
    page = watch.page
    if not AXE_CORE.is_file():
        pytest.skip(f"axe-core is not installed at {AXE_CORE} (make browser-tools)")
    page.evaluate(
        """() => {
          const open = (root) => { for (const d of root.querySelectorAll('details')) d.open = true;
            for (const el of root.querySelectorAll('*')) if (el.shadowRoot) open(el.shadowRoot); };
          open(document);
        }"""
    )
    # page.evaluate runs through the DevTools protocol, outside the page's CSP: the page itself is not relaxed.
    page.evaluate(AXE_CORE.read_text(encoding="utf-8"))
    result = page.evaluate(
        f"""async () => {{
          const result = await axe.run({context}, {{runOnly: {{type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}, resultTypes: ["violations"]}});
          return result.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" > "))}}));
        }}"""
    )
    return [violation for violation in result if violation["impact"] in ("critical", "serious")]


# -- tests -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "name", "workload"), EXAMPLES, ids=[f"{kind}-{name}" for kind, name, _ in EXAMPLES])
def test_a_shared_link_renders_the_api_figures(watched, api, kind, name, workload):
    answer = _estimate(api, kind, workload)
    watch = watched()
    watch.page.goto(_link(api, kind, workload))
    _wait_for_results(watch.page)
    _assert_same_figures(_shown(watch.page), answer)
    # The page keeps the link: the state in the address bar is the workload that was estimated.
    assert _url_state(watch.page) == (kind, workload)
    assert watch.page.locator("input[name='kind']:checked").get_attribute("value") == kind
    # The form shows the workload, inputs under "more" included (opened when they hold a value).
    for path, value in _leaves(workload):
        control = watch.page.locator(f"[name='{path}']")
        assert control.is_visible(), path
        if isinstance(value, bool):
            assert control.is_checked() == value, path
        else:
            assert control.input_value() == str(value), path
    warnings = [w["code"] for w in answer["warnings"]]
    assert watch.page.locator("[data-warning]").evaluate_all("els => els.map(e => e.dataset.warning)") == warnings
    rows = watch.page.locator("details.assumptions tbody tr").count()
    assert rows == len(answer["assumptions"])
    _wait_for_recommendations(watch.page)
    watch.screenshot(f"link-{kind}-{name}")
    watch.check()


def test_a_choice_from_the_link_stays_while_other_lists_load(watched, api):
    # Catalog lists arrive in any order: the instance list is filled while the region list is still on its
    # way, and the instance the link names must stay selected throughout.
    kind, workload = (
        "training",
        {
            "hardware": {"instance_type": "a2-highgpu-8g", "count": 1},
            "duration_hours": 10,
            "datacenter": {"provider": "gcp", "region": "us-central1"},
        },
    )
    watch = watched()
    page = watch.page
    held = []
    page.route(f"{api}/v1/regions*", lambda route: held.append(route))
    page.goto(_link(api, kind, workload))
    _wait_for_results(page)
    instances = page.locator("select[name='hardware.instance_type']")
    instances.locator("option[value='a2-ultragpu-1g']").wait_for(state="attached", timeout=30_000)
    _wait_until(page, lambda: bool(held), "the region list request")
    assert instances.input_value() == "a2-highgpu-8g"
    for route in held:
        route.fulfill(response=route.fetch())
    regions = page.locator("select[name='datacenter.region']")
    regions.locator("option[value='europe-west4']").wait_for(state="attached", timeout=30_000)
    assert regions.input_value() == "us-central1"
    assert instances.input_value() == "a2-highgpu-8g"
    watch.check()


def test_the_form_path_estimates_what_the_api_answers(watched, api):
    watch = watched()
    page = watch.page
    page.goto(api + "/")
    _wait_for_form(page)
    watch.screenshot("form-empty")
    assert page.locator("input[name='kind']:checked").get_attribute("value") == "training"
    page.locator("#field-model-preset").select_option("llama-3.1-8b")
    page.locator("#field-hardware-accelerator").select_option("nvidia-h100-sxm5-80gb")
    page.locator("#field-hardware-count").fill("256")
    page.locator("#field-datacenter-provider").select_option("gcp")
    page.locator("#field-datacenter-region option[value='europe-north1']").wait_for(state="attached")
    page.locator("#field-datacenter-region").select_option("europe-north1")
    # Another provider: its own regions, and the region chosen for the first one is cleared.
    page.locator("#field-datacenter-provider").select_option("aws")
    page.locator("#field-datacenter-region option[value='eu-north-1']").wait_for(state="attached")
    assert page.locator("#field-datacenter-region option[value='europe-north1']").count() == 0
    assert page.locator("#field-datacenter-region").input_value() == ""
    page.locator("#field-datacenter-region").select_option("eu-north-1")
    page.get_by_role("button", name="Estimate", exact=True).click()
    _wait_for_results(page)
    workload = {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 256},
        "datacenter": {"provider": "aws", "region": "eu-north-1"},
    }
    assert _url_state(page) == ("training", workload)
    _assert_same_figures(_shown(page), _estimate(api, "training", workload))
    # Inputs left empty show the defaults the answer assumed (here the preset's published training tokens).
    placeholder = page.locator("#field-training-tokens-billion").get_attribute("placeholder")
    assert placeholder.startswith("Default: ")
    _wait_for_recommendations(page)
    watch.screenshot("form-estimated")
    watch.check()


def test_switching_kind_keeps_what_the_new_kind_takes(watched, api):
    watch = watched()
    page = watch.page
    page.goto(_link(api, "training", TRAINING_EXAMPLES["from-model-and-tokens"]["value"]))
    _wait_for_results(page)
    page.locator("label[for='kind-inference']").click()
    page.locator("#field-requests").fill("1000")
    page.get_by_role("button", name="Estimate", exact=True).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('kind') === 'inference'")
    _wait_for_results(page)
    kind, workload = _url_state(page)
    assert workload == {
        "model": {"preset": "llama-3.1-8b"},
        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 1024},
        "datacenter": {"provider": "aws", "region": "us-east-1"},
        "requests": 1000,
    }
    _assert_same_figures(_shown(page), _estimate(api, "inference", workload))
    watch.check()


INVALID = [
    # name, kind, workload opened from a link, (input, text typed) or None, field the API names
    (
        "count-zero",
        "training",
        {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10},
        ("hardware.count", "0"),
        "hardware.count",
    ),
    ("not-a-number", "inference", CHAT, ("requests", "many"), "requests"),
    (
        "region-without-provider",
        "training",
        {
            "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8},
            "duration_hours": 10,
            "datacenter": {"region": "eu-west-1"},
        },
        None,
        "datacenter.provider",
    ),
    (
        "unknown-accelerator",
        "training",
        {"hardware": {"accelerator": "nvidia-h100-sxm-80gb", "count": 8}, "duration_hours": 10},
        None,
        "hardware.accelerator",
    ),
    (
        "underdetermined",
        "fine-tuning",
        {"model": {"preset": "llama-3.1-8b"}, "method": "lora", "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"}},
        None,
        "dataset_tokens_million",
    ),
]


@pytest.mark.parametrize(("name", "kind", "workload", "edit", "field"), INVALID, ids=[case[0] for case in INVALID])
def test_an_invalid_input_shows_the_api_message_at_its_field(watched, api, name, kind, workload, edit, field):
    watch = watched()
    page = watch.page
    page.goto(_link(api, kind, workload))
    sent = workload
    if edit is not None:
        path, text = edit
        _wait_for_results(page)
        page.locator(f"[name='{path}']").fill(text)
        page.get_by_role("button", name="Estimate", exact=True).click()
        sent = json.loads(json.dumps(workload))
        target = sent
        *parents, last = path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = int(text) if text.isdigit() else text
    problem = requests.post(f"{api}/v1/estimates/{kind}", json=sent, timeout=30).json()
    assert problem["status"] == 422 and field in problem["errors"], problem
    error = page.locator(f"p.error[data-error-for='{field}']")
    error.wait_for(timeout=30_000)
    assert error.inner_text().strip() == "\n".join(problem["errors"][field])
    assert page.locator(f"[name='{field}']").get_attribute("aria-invalid") == "true"
    summary = page.locator(".error-summary")
    assert summary.is_visible() and problem["errors"][field][0] in summary.inner_text()
    # No answer is left below that could be read as this workload's.
    assert page.locator("section.results").is_hidden() and page.locator("section.recommendations").is_hidden()
    watch.screenshot(f"error-{name}")
    watch.check(expected_statuses=(422,))


def test_applying_a_recommendation_re_estimates_and_compares(watched, api):
    recommendations = requests.post(
        f"{api}/v1/recommendations", json={"kind": "inference", "workload": DEDICATED}, timeout=60
    ).json()["recommendations"]
    first = recommendations[0]
    expected = merge_patch(DEDICATED, first["change"])
    watch = watched()
    page = watch.page
    page.goto(_link(api, "inference", DEDICATED))
    _wait_for_recommendations(page)
    codes = page.locator("[data-recommendation]").evaluate_all("els => els.map(e => e.dataset.recommendation)")
    assert codes == [item["code"] for item in recommendations]
    # The compact answer is asked for exactly when the service's document offers it.
    spec = requests.get(api + "/openapi.json", timeout=10).json()
    summary = any(p.get("name") == "detail" for p in spec["paths"]["/v1/recommendations"]["post"].get("parameters", []))
    asked = [r.url for r in watch.requests if "/v1/recommendations" in r.url]
    assert asked and all(url.endswith("?detail=summary") == summary for url in asked)
    watch.screenshot("recommendations")
    watch.screenshot("readme-calculator", full_page=False)  # the README's picture (docs/images/calculator.png)
    page.locator("[data-recommendation]").first.get_by_role("button", name="Apply and re-estimate").click()
    _wait_until(page, lambda: _url_state(page) == ("inference", expected), "the applied workload in the URL")
    after = _estimate(api, "inference", expected)
    page.wait_for_function(
        "value => [...document.querySelector('genai-footprint-calculator').shadowRoot"
        ".querySelectorAll('section.results [data-field=energy_kwh]')].some(e => e.dataset.value === value)",
        arg=repr(after["energy_kwh"]["value"]),
        timeout=30_000,
    )
    _assert_same_figures(_shown(page), after)
    # The comparison: before (the workload as it was) and after (with the change), side by side.
    page.locator("table.compare [data-scenario='after']").first.wait_for(timeout=30_000)
    before = _estimate(api, "inference", DEDICATED)
    for scenario, answer in (("before", before), ("after", after)):
        cells = page.locator(f"table.compare [data-scenario='{scenario}']").evaluate_all(
            "els => els.map(e => [e.dataset.field, e.dataset.value])"
        )
        assert {field for field, _ in cells} >= {"energy_kwh", "emissions_kgco2e", "water_l"}
        for field, value in cells:
            assert float(value) == pytest.approx(_at(answer, field)["value"], rel=1e-12), (scenario, field)
    delta = page.locator("table.compare [data-delta='emissions_kgco2e']").inner_text()
    assert delta.startswith(("-", "\u2212")), delta
    _wait_for_recommendations(page)
    watch.screenshot("recommendation-applied")
    # And back.
    page.get_by_role("button", name="Back to the workload before").click()
    _wait_until(page, lambda: _url_state(page) == ("inference", DEDICATED), "the workload before in the URL")
    assert page.locator("section.comparison").is_hidden()
    watch.check()


def test_a_comparison_that_answers_late_does_not_replace_the_next(watched, api):
    # Two recommendations applied one after the other: if the first comparison answers after the second, the page
    # must still compare the workload it shows with the one before it, not the earlier pair.
    def first_applied(workload):
        item = requests.post(
            f"{api}/v1/recommendations", json={"kind": "inference", "workload": workload}, timeout=60
        ).json()["recommendations"][0]
        return item, merge_patch(workload, item["change"])

    first, after_first = first_applied(DEDICATED)
    second, after_second = first_applied(after_first)
    watch = watched()
    page = watch.page
    held = []
    page.route(f"{api}/v1/compare*", lambda route: held.append(route))
    page.goto(_link(api, "inference", DEDICATED))
    _wait_for_recommendations(page)
    apply = page.locator("[data-recommendation]").first.get_by_role("button", name="Apply and re-estimate")
    apply.click()
    _wait_until(page, lambda: _url_state(page) == ("inference", after_first), "the first change in the URL")
    assert first["title"] != second["title"]
    page.wait_for_function(  # the recommendations for the changed workload are shown
        "title => document.querySelector('genai-footprint-calculator').shadowRoot"
        ".querySelector('[data-recommendation] h3')?.textContent === title",
        arg=second["title"],
        timeout=30_000,
    )
    _wait_for_recommendations(page)
    apply.click()
    _wait_until(page, lambda: _url_state(page) == ("inference", after_second), "the second change in the URL")
    _wait_until(page, lambda: len(held) == 2, "both comparison requests")
    held[1].fulfill(response=held[1].fetch())
    applied = page.locator("section.comparison p", has_text="Applied:")
    applied.wait_for(timeout=30_000)
    assert applied.inner_text() == f"Applied: {second['title']}."
    held[0].fulfill(response=held[0].fetch())
    page.wait_for_load_state("networkidle")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 200))")  # let its promise chain settle
    assert applied.inner_text() == f"Applied: {second['title']}."
    shown = _estimate(api, "inference", after_second)
    cell = page.locator("table.compare [data-scenario='after'][data-field='energy_kwh']")
    assert float(cell.get_attribute("data-value")) == pytest.approx(shown["energy_kwh"]["value"], rel=1e-12)
    watch.check()


def test_downloads_hold_the_answer_and_its_figures(watched, api):
    workload = INFERENCE_EXAMPLES[next(iter(INFERENCE_EXAMPLES))]["value"]
    answer = _estimate(api, "inference", workload)
    watch = watched()
    page = watch.page
    page.goto(_link(api, "inference", workload))
    _wait_for_results(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download answer (JSON)").click()
    assert download.value.suggested_filename == "footprint-inference.json"
    downloaded = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert _same_json(downloaded, answer)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download figures (CSV)").click()
    assert download.value.suggested_filename == "footprint-inference.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    fields = {row["field"] for row in rows}
    assert {"energy_kwh", "emissions_kgco2e", "water_l", "per_request.energy_wh"} <= fields
    for row in rows:
        expected = _at(answer, row["field"])
        expected = expected if isinstance(expected, dict) else {"value": expected, "low": expected, "high": expected}
        for part in ("value", "low", "high"):
            assert float(row[part]) == pytest.approx(expected[part], rel=1e-12), (row["field"], part)
    watch.check()


def _same_json(left, right) -> bool:
    """Equal JSON documents, numbers compared with a relative tolerance."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same_json(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same_json(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, float | int) and isinstance(right, float | int) and not isinstance(left, bool):
        return math.isclose(left, right, rel_tol=1e-12)
    return left == right


def test_a_portal_on_another_origin_embeds_the_element(watched, api, origins):
    portal = origins[0]
    answer = _estimate(api, "inference", DEDICATED)
    watch = watched(portal)
    page = watch.page
    page.goto(portal + "/embed.html")
    _wait_for_results(page)
    _assert_same_figures(_shown(page), answer)
    # The element called the service across origins, and its styles follow the portal's custom properties.
    assert any(r.url.startswith(api + "/v1/estimates/inference") for r in watch.requests)
    accent = page.get_by_role("button", name="Estimate", exact=True).evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert accent == "rgb(106, 27, 154)"
    _wait_for_recommendations(page)
    watch.screenshot("embedded-in-portal")
    violations = _axe(watch)
    assert not violations, violations


def test_the_page_can_be_framed_by_the_cors_origins_only(watched, api, origins):
    portal, stranger = origins
    watch = watched(portal)
    watch.page.goto(portal + "/frame.html")
    frame = watch.page.frame_locator("iframe")
    frame.locator("section.results [data-field='energy_kwh']").wait_for(timeout=30_000)
    watch.screenshot("framed-by-portal", full_page=False)
    watch.check()

    watch = watched(stranger)
    watch.page.goto(stranger + "/frame.html")
    watch.page.wait_for_timeout(1000)
    (child,) = [f for f in watch.page.frames if f is not watch.page.main_frame]
    assert not child.url.startswith(api)  # the browser put its error page there instead
    assert not any(r.url.startswith(api + "/assets/") for r in watch.requests)
    watch.screenshot("framed-by-stranger-refused", full_page=False)
    watch.check(expected_errors=("frame-ancestors",))


def test_docs_lists_every_endpoint(watched, api):
    spec = requests.get(api + "/openapi.json", timeout=10).json()
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    watch = watched()
    page = watch.page
    page.goto(api + "/docs")
    page.locator(".opblock").first.wait_for(timeout=30_000)
    listed = {
        tuple(item)
        for item in page.locator(".opblock-summary").evaluate_all(
            "els => els.map(e => [e.querySelector('.opblock-summary-method').textContent.trim(),"
            " e.querySelector('.opblock-summary-path').dataset.path])"
        )
    }
    assert listed == documented
    # Try one operation from the page: Swagger UI calls the service (same origin) and shows the answer.
    operation = page.locator("#operations-estimates-post_v1_estimates_training")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=30_000)
    assert status.inner_text().strip() == "200"
    watch.screenshot("docs", full_page=False)
    # Swagger UI's list of operations: its colours are made AA by assets/docs.css; what is left is Swagger UI's
    # own markup (an operation's summary is a button holding another, labelled with zero-width spaces).
    operation.locator(".opblock-summary").first.click()
    violations = {violation["id"] for violation in _axe(watch)}
    assert violations <= SWAGGER_UI_MARKUP, violations


def test_the_openapi_yaml_is_displayed_not_downloaded(watched, api):
    watch = watched()
    response = watch.page.goto(api + "/openapi.yaml")
    assert response.ok
    shown = watch.page.locator("body").inner_text()
    assert shown.strip() == (ROOT / "openapi.yaml").read_text(encoding="utf-8").strip()
    watch.check()


@pytest.mark.parametrize("state", ["form", "results", "error"])
def test_no_critical_or_serious_accessibility_violation(watched, api, state):
    watch = watched()
    page = watch.page
    if state == "form":
        page.goto(api + "/")
        _wait_for_form(page)
    elif state == "results":
        page.goto(_link(api, "inference", DEDICATED))
        _wait_for_results(page)
        _wait_for_recommendations(page)
    else:
        watch.expected_statuses = (422,)
        page.goto(_link(api, "training", {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 0}}))
        page.locator(".error-summary").wait_for(timeout=30_000)
    violations = _axe(watch)
    assert not violations, violations


def test_keyboard_alone_estimates(watched, api):
    watch = watched()
    page = watch.page
    page.goto(api + "/")
    _wait_for_form(page)
    _tab_to(page, "kind-training")
    page.keyboard.press("ArrowRight")  # the radio group: fine-tuning
    page.keyboard.press("ArrowRight")  # inference
    assert page.locator("input[name='kind']:checked").get_attribute("value") == "inference"
    _tab_to(page, "field-model-preset")
    page.keyboard.type("Llama 3.1 8B")  # a closed list selects by typing its option's first letters
    _tab_to(page, "field-requests")
    page.keyboard.type("1000")
    _tab_to(page, "field-hardware-accelerator")
    page.keyboard.type("NVIDIA L4")
    outline = page.locator("#field-hardware-accelerator").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"  # the focus is visible
    _tab_to(page, "field-hardware-count")
    page.keyboard.type("1")
    page.keyboard.press("Enter")  # submits the form
    _wait_for_results(page)
    workload = {
        "model": {"preset": "llama-3.1-8b"},
        "requests": 1000,
        "hardware": {"accelerator": "nvidia-l4", "count": 1},
    }
    assert _url_state(page) == ("inference", workload)
    _assert_same_figures(_shown(page), _estimate(api, "inference", workload))
    assert _focused_id(page) == "field-hardware-count"  # the focus stays where the user was
    watch.check()


def test_usable_375_px_wide_without_sideways_scrolling(watched, api):
    watch = watched(width=375, height=800)
    page = watch.page
    page.goto(_link(api, "inference", DEDICATED))
    _wait_for_results(page)
    _wait_for_recommendations(page)
    page.evaluate(
        "() => { for (const d of document.querySelector('genai-footprint-calculator').shadowRoot"
        ".querySelectorAll('details')) d.open = true; }"
    )
    page.locator("[data-recommendation]").first.get_by_role("button", name="Apply and re-estimate").click()
    page.locator("table.compare [data-scenario='after']").first.wait_for(timeout=30_000)
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"
    watch.screenshot("narrow-375px")
    watch.check()


def test_a_service_with_api_keys_asks_for_one_and_sends_it(browser, secured_api):
    watch = Watched(browser, [secured_api])
    try:
        page = watch.page
        workload = {"hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 8}, "duration_hours": 10}
        page.goto(_link(secured_api, "training", workload))
        key_input = page.get_by_label("Key", exact=True)
        key_input.wait_for(timeout=30_000)
        watch.screenshot("api-key-asked")
        key_input.fill(API_KEY)
        page.get_by_role("button", name="Use this key").click()
        _wait_for_results(page)
        _assert_same_figures(_shown(page), _estimate(secured_api, "training", workload, {"X-API-Key": API_KEY}))
        sent = [r for r in watch.requests if r.url.startswith(secured_api + "/v1/estimates/training")]
        assert sent[-1].headers.get("x-api-key") == API_KEY
        assert page.evaluate("Object.values(sessionStorage)") == [API_KEY]
        # The key lasts for the tab: a reload estimates at once.
        watch.requests.clear()
        page.reload()
        _wait_for_results(page)
        assert page.get_by_label("Key", exact=True).is_hidden()
        watch.check(expected_statuses=(401,))
    finally:
        watch.close()


def test_fields_the_api_adds_appear_once_it_returns_them(watched, api):
    """The API grows: new answer figures and new inputs show once the service has them, and not before.

    The browser's requests are answered by the real service, with additions of the kind the API announces
    (figures it will add to answers, inputs it will take, ?detail=summary) written into its answers here.
    """
    added = {
        "breakdown.offsite_water_l": {"value": 321.5, "low": 100.25, "high": 900.75},
        "breakdown.market_based_operational_kgco2e": None,
        "serving.latency_seconds": {"value": 2.5, "low": 1.25, "high": 7.5},
        "serving.time_to_first_token_seconds": {"value": 0.25, "low": 0.125, "high": 0.75},
        "serving.effective_batch_size": {"value": 24.0, "low": 8.0, "high": 48.0},
    }
    recommendation_urls = []

    def answer_with_additions(route):
        response = route.fetch()
        answer = response.json()
        for path, value in added.items():
            section, name = path.split(".")
            answer[section][name] = value
        del answer["per_request"]["water_ml"]  # and a figure the answer lacks is simply not shown
        route.fulfill(response=response, json=answer)

    def document_with_additions(route):
        response = route.fetch()
        document = response.json()
        schemas = document["components"]["schemas"]
        schemas["InferenceRequest"]["properties"]["traffic"] = {
            "type": "object",
            "properties": {"requests_per_second": {"type": "number", "minimum": 0, "description": "Mean arrivals."}},
        }
        schemas["InferenceRequest"]["properties"]["slo"] = {
            "type": "object",
            "properties": {"max_latency_seconds": {"type": "number", "description": "Latency target."}},
        }
        document["paths"]["/v1/recommendations"]["post"]["parameters"] = [
            {"in": "query", "name": "detail", "schema": {"type": "string", "enum": ["full", "summary"]}}
        ]
        route.fulfill(response=response, json=document)

    def recommendations(route):
        recommendation_urls.append(route.request.url)
        url = route.request.url.replace("?detail=summary", "")  # the service of today answers the full form
        route.fulfill(response=route.fetch(url=url))

    watch = watched()
    page = watch.page
    page.route(f"{api}/v1/estimates/inference", answer_with_additions)
    page.route(f"{api}/openapi.json", document_with_additions)
    page.route(f"{api}/v1/recommendations*", recommendations)
    page.goto(_link(api, "inference", CHAT))
    _wait_for_results(page)
    answer = _estimate(api, "inference", CHAT)
    for path, value in added.items():
        section, name = path.split(".")
        answer[section][name] = value
    del answer["per_request"]["water_ml"]
    shown = _shown(page)
    _assert_same_figures(shown, answer)
    assert {"breakdown.offsite_water_l", "serving.latency_seconds", "serving.effective_batch_size"} <= set(shown)
    assert "breakdown.market_based_operational_kgco2e" not in shown  # null, and no reason to show it as unknown
    assert "per_request.water_ml" not in shown
    assert page.locator("[name='traffic.requests_per_second']").is_visible()
    assert page.locator("[name='slo.max_latency_seconds']").count() == 1
    _wait_for_recommendations(page)
    assert recommendation_urls and all(
        url.endswith("/v1/recommendations?detail=summary") for url in recommendation_urls
    )
    watch.screenshot("added-fields")
    watch.check()


def _scalar_inputs(spec: dict, kind: str) -> set[str]:
    """The dotted paths of the scalar inputs of POST /v1/estimates/{kind}, read from the OpenAPI document."""

    def resolve(schema):
        if "$ref" in schema:
            return resolve(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        if "allOf" in schema:
            merged = {"properties": {}}
            for part in schema["allOf"]:
                merged["properties"].update(resolve(part).get("properties", {}))
            return merged
        return schema

    def walk(schema, prefix):
        for name, field in resolve(schema).get("properties", {}).items():
            field = resolve(field)
            if "properties" in field:
                yield from walk(field, f"{prefix}{name}.")
            elif field.get("type") in ("number", "integer", "string", "boolean"):
                yield f"{prefix}{name}"

    operation = spec["paths"][f"/v1/estimates/{kind}"]["post"]
    return set(walk(operation["requestBody"]["content"]["application/json"]["schema"], ""))


@pytest.mark.parametrize("kind", ["training", "fine-tuning", "inference"])
def test_the_form_offers_exactly_the_inputs_the_api_takes(watched, api, kind):
    spec = requests.get(api + "/openapi.json", timeout=10).json()
    watch = watched()
    page = watch.page
    page.goto(f"{api}/?kind={kind}")
    _wait_for_form(page)
    offered = set(page.locator("form.inputs [name]").evaluate_all("els => els.map(e => e.name)")) - {"kind"}
    assert offered == _scalar_inputs(spec, kind)
    asked = [r.url for r in watch.requests if "/v1/recommendations" in r.url]
    assert not asked  # nothing estimated yet, so nothing to recommend
    watch.check()
