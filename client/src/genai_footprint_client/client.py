"""FootprintClient: one method per operation of the genai-footprint API, answers returned as parsed JSON.

Answers are passed through as the service sends them (dicts), so fields the API adds later reach the caller
with no change here. Requests go through one ``requests.Session`` (a connection pool). Connection failures,
timeouts and 5xx answers are retried with exponential backoff; a 4xx never is, since sending the same request
again cannot change it. Every operation of this API computes an answer from its input and changes nothing on
the server, so retrying a POST is as safe as retrying a GET.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import Any, Final
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ._version import __version__
from .errors import FootprintError, ProblemError, ServiceUnreachableError

log = logging.getLogger("genai_footprint_client")

#: Workload kinds, each with its estimate path.
KINDS: Final = ("training", "fine-tuning", "inference")

DEFAULT_TIMEOUT: Final = 30.0  # seconds to connect, and seconds between bytes of the answer
DEFAULT_RETRIES: Final = 3  # retries after the first attempt (4 attempts in all)
DEFAULT_BACKOFF: Final = 0.5  # seconds before the first retry, doubled for each further one
DEFAULT_BACKOFF_MAX: Final = 30.0  # no wait is longer, a server's Retry-After included

#: Every operation of the API, as (method, path) in openapi.yaml, and the FootprintClient method that calls it.
#: tests/client/test_operations.py fails when openapi.yaml has an operation missing here.
OPERATIONS: Final[Mapping[tuple[str, str], str]] = MappingProxyType(
    {
        ("post", "/v1/estimates/training"): "estimate_training",
        ("post", "/v1/estimates/fine-tuning"): "estimate_fine_tuning",
        ("post", "/v1/estimates/inference"): "estimate_inference",
        ("post", "/v1/estimates/batch"): "estimate_batch",
        ("post", "/v1/recommendations"): "recommend",
        ("post", "/v1/compare"): "compare",
        ("get", "/v1/accelerators"): "accelerators",
        ("get", "/v1/accelerators/{accelerator_id}"): "accelerator",
        ("get", "/v1/instances"): "instances",
        ("get", "/v1/regions"): "regions",
        ("get", "/v1/models"): "models",
        ("get", "/v1/models/{model_id}"): "model",
        ("get", "/healthz"): "health",
        ("get", "/readyz"): "ready",
        ("get", "/metrics"): "metrics",
        ("get", "/openapi.yaml"): "openapi",
        ("get", "/openapi.json"): "openapi_json",
    }
)

# Failures worth another attempt: the request may not have arrived, or the answer was cut off. An SSL error
# (a subclass of ConnectionError) is a certificate or protocol mismatch that retrying cannot fix.
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class FootprintClient:
    """A client of one genai-footprint service.

    ``base_url`` is the service root (``https://footprint.example.com`` or with a path prefix behind an
    ingress). ``api_key`` is sent as ``Authorization: Bearer <key>``. ``timeout`` is in seconds (or a
    ``(connect, read)`` pair). ``retries`` is how many times a connection failure, a timeout or a 5xx answer
    is retried; the n-th retry waits ``backoff * 2**(n-1)`` seconds, or what the answer's ``Retry-After``
    asks, never more than ``backoff_max``.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        session: requests.Session | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"base_url must be an http:// or https:// URL without query or fragment, not {base_url!r}")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ValueError(f"retries must be an integer >= 0, not {retries!r}")
        for name, value in (("backoff", backoff), ("backoff_max", backoff_max)):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries, self.backoff, self.backoff_max = retries, backoff, backoff_max
        self._headers = {"Accept": "application/json", "User-Agent": f"genai-footprint-client/{__version__}"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        if session is None:
            session = requests.Session()
            # Retries are done here (see _send), not by urllib3, so the adapter makes one attempt.
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=10, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session

    @classmethod
    def from_env(cls, **options: Any) -> FootprintClient:
        """A client for ``FOOTPRINT_URL`` with the key in ``FOOTPRINT_API_KEY`` (if set), as the CLI does."""
        url = os.environ.get("FOOTPRINT_URL")
        if not url:
            raise ValueError("FOOTPRINT_URL is not set")
        return cls(url, os.environ.get("FOOTPRINT_API_KEY") or None, **options)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> FootprintClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Estimates. ``detail`` is sent as ``?detail=`` only when given (e.g. "summary": no assumptions or sources).

    def estimate(self, kind: str, workload: Mapping[str, Any], *, detail: str | None = None) -> dict[str, Any]:
        """POST /v1/estimates/{kind}, kind one of ``KINDS``."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        return _object(self.post(f"/v1/estimates/{kind}", workload, params=_detail(detail)))

    def estimate_training(self, workload: Mapping[str, Any], *, detail: str | None = None) -> dict[str, Any]:
        return self.estimate("training", workload, detail=detail)

    def estimate_fine_tuning(self, workload: Mapping[str, Any], *, detail: str | None = None) -> dict[str, Any]:
        return self.estimate("fine-tuning", workload, detail=detail)

    def estimate_inference(self, workload: Mapping[str, Any], *, detail: str | None = None) -> dict[str, Any]:
        return self.estimate("inference", workload, detail=detail)

    def estimate_batch(
        self, items: Sequence[Mapping[str, Any]], *, detail: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """POST /v1/estimates/batch with ``items`` ({id, kind, workload} each); each result has its own status."""
        return _object(self.post("/v1/estimates/batch", {"items": list(items), **fields}, params=_detail(detail)))

    def recommend(
        self,
        kind: str,
        workload: Mapping[str, Any],
        *,
        constraints: Mapping[str, Any] | None = None,
        rag_comparison: Mapping[str, Any] | None = None,
        detail: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """POST /v1/recommendations: the baseline and every change that lowers emissions, largest saving first."""
        body: dict[str, Any] = {"kind": kind, "workload": workload, **fields}
        if constraints is not None:
            body["constraints"] = constraints
        if rag_comparison is not None:
            body["rag_comparison"] = rag_comparison
        return _object(self.post("/v1/recommendations", body, params=_detail(detail)))

    def compare(
        self,
        kind: str,
        scenarios: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
        *,
        detail: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """POST /v1/compare: scenarios as [{name, workload}, ...] or {name: workload}; deltas against the first."""
        if isinstance(scenarios, Mapping):
            listed: list[Any] = [{"name": name, "workload": workload} for name, workload in scenarios.items()]
        else:
            listed = list(scenarios)
        body = {"kind": kind, "scenarios": listed, **fields}
        return _object(self.post("/v1/compare", body, params=_detail(detail)))

    # Catalog. Filters are query parameters; the service refuses unknown ones with a 422.

    def accelerators(self, **filters: str) -> dict[str, Any]:
        return _object(self.get("/v1/accelerators", params=filters))

    def accelerator(self, accelerator_id: str) -> dict[str, Any]:
        return _object(self.get(f"/v1/accelerators/{_segment(accelerator_id)}"))

    def instances(
        self, *, provider: str | None = None, accelerator: str | None = None, **filters: str
    ) -> dict[str, Any]:
        params = {**filters, **_given(provider=provider, accelerator=accelerator)}
        return _object(self.get("/v1/instances", params=params))

    def regions(self, *, provider: str | None = None, **filters: str) -> dict[str, Any]:
        return _object(self.get("/v1/regions", params={**filters, **_given(provider=provider)}))

    def models(self, **filters: str) -> dict[str, Any]:
        return _object(self.get("/v1/models", params=filters))

    def model(self, model_id: str) -> dict[str, Any]:
        return _object(self.get(f"/v1/models/{_segment(model_id)}"))

    # Operations.

    def health(self) -> dict[str, Any]:
        return _object(self.get("/healthz"))

    def ready(self) -> dict[str, Any]:
        """GET /readyz: the reference data's version and counts (raises ProblemError while not ready)."""
        return _object(self.get("/readyz"))

    def metrics(self) -> str:
        """GET /metrics: Prometheus text exposition."""
        return self._send("GET", "/metrics", accept="text/plain").text

    def openapi(self) -> str:
        """GET /openapi.yaml: the OpenAPI document as YAML text."""
        return self._send("GET", "/openapi.yaml", accept="application/yaml").text

    def openapi_json(self) -> dict[str, Any]:
        """GET /openapi.json: the same document, parsed."""
        return _object(self.get("/openapi.json"))

    # Any path, for operations newer than this client.

    def get(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path`` (e.g. ``/v1/models``) and return the parsed JSON answer."""
        return _json(self._send("GET", path, params=params))

    def post(self, path: str, body: Any, *, params: Mapping[str, str] | None = None) -> Any:
        """POST ``body`` as JSON to ``path`` and return the parsed JSON answer."""
        try:
            # The service refuses NaN and Infinity (they are not JSON); say so before sending.
            data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
        except ValueError as exc:
            raise ValueError(f"the request body holds NaN or Infinity, which JSON cannot carry: {exc}") from None
        return _json(self._send("POST", path, params=params, data=data))

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        accept: str = "application/json",
    ) -> requests.Response:
        # Written here rather than with urllib3's Retry: that one also retries a 413 or 429 that carries
        # Retry-After (a 4xx must never be retried) and does not bound the wait a Retry-After asks for.
        url = self.base_url + path
        headers = {**self._headers, "Accept": accept}
        if data is not None:
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._session.request(
                    method, url, params=params or None, data=data, headers=headers, timeout=self.timeout
                )
            except requests.exceptions.SSLError as exc:
                raise ServiceUnreachableError(url, attempt, exc) from exc
            except _TRANSIENT as exc:
                if attempt > self.retries:
                    raise ServiceUnreachableError(url, attempt, exc) from exc
                self._wait(attempt, None, f"{method} {url}: {type(exc).__name__}")
                continue
            if response.status_code >= 500 and attempt <= self.retries:
                retry_after = _retry_after(response.headers.get("Retry-After"))
                response.close()
                self._wait(attempt, retry_after, f"{method} {url}: {response.status_code}")
                continue
            if response.status_code >= 400:
                raise _problem(response)
            return response

    def _wait(self, attempt: int, retry_after: float | None, reason: str) -> None:
        delay = self.backoff * 2 ** (attempt - 1) if retry_after is None else retry_after
        delay = min(delay, self.backoff_max)
        log.warning("%s; retry %d of %d in %.3g s", reason, attempt, self.retries, delay)
        time.sleep(delay)


def _problem(response: requests.Response) -> ProblemError:
    """The error answer as a ProblemError; a body that is not a problem (a proxy's page) becomes its detail."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "title" in body:
        return ProblemError(body, status=response.status_code)
    text = " ".join(response.text.split())[:300]
    return ProblemError(
        {"title": response.reason or "HTTP error", "status": response.status_code, "detail": text},
        status=response.status_code,
    )


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise FootprintError(
            f"{response.request.method} {response.url}: {response.status_code} answer is not JSON ({kind})"
        ) from None


def _object(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise FootprintError(f"expected a JSON object from the service, got {type(answer).__name__}")
    return answer


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date (RFC 9110 10.2.3); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _detail(detail: str | None) -> dict[str, str] | None:
    return None if detail is None else {"detail": detail}


def _given(**params: str | None) -> dict[str, str]:
    return {name: value for name, value in params.items() if value is not None}


def _segment(value: str) -> str:
    if not value:
        raise ValueError("an id must not be empty")
    return quote(value, safe="")
