"""A local stand-in for Google's Fact Check Tools API (`GET /v1alpha1/claims:search`).

It answers in the documented shape (developers.google.com/fact-check/tools/api/reference/rest/
v1alpha1/claims/search): `{"claims": [{"text", "claimant", "claimDate", "claimReview": [{"publisher":
{"name", "site"}, "url", "title", "reviewDate", "textualRating", "languageCode"}]}], "nextPageToken"}`,
an empty object when nothing matches, and Google's error body (`{"error": {"code", "message",
"status"}}`) for a missing key, 429 and 5xx. Queries match published claims by shared words, so tests
can publish a few fact-checks and see which ones a claim finds.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.harness.httpserver import LocalServer, QuietHandler

_WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 3}


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        owner: FactCheckToolsStandIn = self.owner
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        owner._record(params)
        fault = owner._take_fault()
        if fault is not None:
            status, seconds = fault
            if seconds:
                time.sleep(seconds)
            if status:
                body = {"error": {"code": status, "message": "stand-in fault", "status": "UNAVAILABLE"}}
                self.reply(status, json.dumps(body).encode(), "application/json")
                return
        if parts.path != "/v1alpha1/claims:search":
            self.reply(404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}', "application/json")
            return
        if params.get("key") != owner.api_key:
            body = {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                              "status": "INVALID_ARGUMENT"}}
            self.reply(400, json.dumps(body).encode(), "application/json")
            return
        wanted = _words(params.get("query", ""))
        size = int(params.get("pageSize") or 10)
        found = [c for c in owner.published if len(wanted & _words(c["text"])) >= max(1, len(wanted) // 2)]
        self.reply(200, json.dumps({"claims": found[:size]} if found else {}).encode(), "application/json")


class FactCheckToolsStandIn(LocalServer):
    handler_class = _Handler

    def __init__(self, api_key: str = "factcheck-test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.published: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []
        self._faults: list[tuple[int, float]] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"{self.base}/v1alpha1"

    def publish(self, text: str, *, publisher: str, rating: str, url: str, review_date: str,
                claimant: str | None = None, site: str | None = None) -> None:
        """Add a published fact-check that searches can find."""
        review = {"publisher": {"name": publisher, "site": site or urlsplit(url).hostname}, "url": url,
                  "title": f"Fact check: {text[:60]}", "reviewDate": review_date, "textualRating": rating,
                  "languageCode": "en"}
        claim: dict[str, Any] = {"text": text, "claimReview": [review]}
        if claimant:
            claim["claimant"] = claimant
        self.published.append(claim)

    def fail_next(self, status: int = 503, times: int = 1, seconds: float = 0.0) -> None:
        """The next `times` requests answer `status` (0: answer normally) after `seconds`."""
        with self._lock:
            self._faults.extend([(status, seconds)] * times)

    def _take_fault(self) -> tuple[int, float] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _record(self, params: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(params)
