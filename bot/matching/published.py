"""Published fact-checks: what fact-checking organisations have said about a claim (Google Fact Check Tools).

Optional: used only when FACTCHECK_TOOLS_API_KEY is set. The lookup runs in a background job after
the claim message is posted, so a slow or failing API never delays a claim. Answers are cached (the
same claim text is asked once per `cache_seconds`) and calls are rate-limited per process, so a burst
of articles cannot exhaust the API quota.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from cachetools import TTLCache

log = logging.getLogger(__name__)

DEFAULT_URL = "https://factchecktools.googleapis.com/v1alpha1"
QUERY_CHARS = 200  # the API matches keywords; a whole paragraph finds nothing


class PublishedLookupError(Exception):
    """The API could not answer (network, quota, key); the message is safe to log (no key in it)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class PublishedCheck:
    """One fact-check an organisation published about a claim like ours."""

    claim_text: str
    claimant: str | None
    publisher: str
    rating: str
    url: str
    title: str | None
    review_date: str | None


def _query_for(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUERY_CHARS:
        return text
    return text[:QUERY_CHARS].rsplit(" ", 1)[0]


def _parse(answer: dict[str, Any]) -> list[PublishedCheck]:
    found: list[PublishedCheck] = []
    for claim in answer.get("claims") or []:
        if not isinstance(claim, dict):
            continue
        for review in claim.get("claimReview") or []:
            if not isinstance(review, dict) or not review.get("url"):
                continue
            publisher = review.get("publisher") or {}
            found.append(PublishedCheck(
                claim_text=str(claim.get("text") or ""), claimant=claim.get("claimant"),
                publisher=str(publisher.get("name") or publisher.get("site") or "unknown publisher"),
                rating=str(review.get("textualRating") or "no rating given"), url=str(review["url"]),
                title=review.get("title"), review_date=review.get("reviewDate")))
    return found


class RateLimiter:
    """A token bucket: at most `per_minute` calls a minute, in bursts of up to a tenth of that."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._capacity = max(1.0, per_minute / 10.0)
        self._tokens = self._capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Take a token if one is free (0.0), else say how long until one is (nothing taken)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self._rate


class FactCheckTools:
    def __init__(self, api_key: str, base_url: str = DEFAULT_URL, *, timeout: float = 5.0, per_minute: int = 60,
                 cache_seconds: float = 24 * 3600, cache_size: int = 2000, language: str | None = None) -> None:
        self._key = api_key
        self._url = base_url.rstrip("/") + "/claims:search"
        self._timeout = timeout
        self._language = language
        self.limiter = RateLimiter(per_minute)
        # Answers by query, for a day, least recently used dropped first (cachetools is not thread-safe).
        self._cache: TTLCache[str, list[PublishedCheck]] = TTLCache(maxsize=cache_size, ttl=cache_seconds)
        self._lock = threading.Lock()

    def _cached(self, query: str) -> list[PublishedCheck] | None:
        with self._lock:
            return self._cache.get(query)

    def _remember(self, query: str, found: list[PublishedCheck]) -> None:
        with self._lock:
            self._cache[query] = found

    def search(self, text: str, limit: int = 3) -> list[PublishedCheck]:
        """Published fact-checks of claims like `text`, best first (the API's order), at most `limit`."""
        query = _query_for(text)
        if not query:
            return []
        cached = self._cached(query)
        if cached is not None:
            return cached[:limit]
        wait = self.limiter.wait_time()
        if wait > 0:
            raise PublishedLookupError(f"rate limit reached; next call possible in {wait:.1f} s", retry_after=wait)
        params = {"query": query, "key": self._key, "pageSize": str(max(limit, 5))}
        if self._language:
            params["languageCode"] = self._language
        try:
            response = httpx.get(self._url, params=params, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise PublishedLookupError(f"no answer ({type(exc).__name__})") from None
        if response.status_code != 200:
            try:
                detail = str((response.json().get("error") or {}).get("status") or "")
            except ValueError:
                detail = ""
            raise PublishedLookupError(f"HTTP {response.status_code} {detail}".strip())
        try:
            answer = response.json()
        except ValueError:
            raise PublishedLookupError("the answer was not JSON") from None
        found = _parse(answer if isinstance(answer, dict) else {})
        self._remember(query, found)
        return found[:limit]
