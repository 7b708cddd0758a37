"""The client's exceptions: one for every answer the service refused, one for a service that could not be reached."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class FootprintError(Exception):
    """Base of every error the client raises."""


class ProblemError(FootprintError):
    """The service answered with an error status (RFC 7807 problem+json, or a proxy's page turned into one).

    ``errors`` maps field paths (``hardware.count``, ``items.2.workload.requests``) to messages;
    ``suggestions`` holds close catalog ids for an unknown id; ``errors_omitted`` counts field paths the
    service left out of a long 422. ``problem`` is the whole body as sent, new fields included.
    """

    def __init__(self, problem: Mapping[str, Any], *, status: int) -> None:
        self.problem: dict[str, Any] = dict(problem)
        self.status: int = status
        self.type: str = str(problem.get("type") or "about:blank")
        self.title: str = str(problem.get("title") or "HTTP error")
        self.detail: str = str(problem.get("detail") or "")
        raw_errors = problem.get("errors")
        self.errors: dict[str, list[str]] = (
            {str(path): _messages(messages) for path, messages in raw_errors.items()}
            if isinstance(raw_errors, Mapping)
            else {}
        )
        raw_suggestions = problem.get("suggestions")
        self.suggestions: list[str] = [str(s) for s in raw_suggestions] if isinstance(raw_suggestions, list) else []
        omitted = problem.get("errors_omitted")
        self.errors_omitted: int = omitted if isinstance(omitted, int) and not isinstance(omitted, bool) else 0
        request_id = problem.get("request_id")
        self.request_id: str | None = request_id if isinstance(request_id, str) else None
        super().__init__(f"{status} {self.title}: {self.detail}" if self.detail else f"{status} {self.title}")

    @property
    def is_client_error(self) -> bool:
        """True for a 4xx: the request (its body, ids, query or key) has to change before it can succeed."""
        return 400 <= self.status < 500


class ServiceUnreachableError(FootprintError):
    """No answer from the service after every attempt (connection refused or reset, DNS, timeout)."""

    def __init__(self, url: str, attempts: int, cause: BaseException) -> None:
        self.url, self.attempts, self.cause = url, attempts, cause
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        super().__init__(f"could not reach {url} ({tries}): {cause}")


def _messages(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]
