"""HTTP for the APIs the bot calls in the background (Fact Check Tools, embeddings): a total deadline
and a size cap on every call.

httpx's timeouts bound each read, not the call: a server that sends one byte a second holds the
calling worker for as long as it likes, and an answer is read whole into memory whatever its size.
`BoundedTransport` wraps a response's byte stream so that a call ends with an httpx error once the
deadline passes (checked after every read, each read bounded by the read timeout, which is never longer
than the time left) or once more than `max_bytes` arrive. Answers are asked for uncompressed, so the cap
is on what is held in memory, not on what a compressed body would expand to.

`ReadBudget` is the same bound for clients that read through another library (the Slack gateway reads
slack_sdk's urllib responses with it), and `retry_after` reads a server's requested wait for all of them.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from storage.db import in_session

log = logging.getLogger(__name__)


class TooLarge(httpx.TransportError):
    """The answer is bigger than the cap."""


class DeadlineExceeded(httpx.TimeoutException):
    """The call took longer than its total deadline."""


@dataclass
class ReadBudget:
    """What one answer may still take: a deadline (time.monotonic()) and a byte cap, counted per chunk."""

    deadline: float
    max_bytes: int
    received: int = 0

    def exceeded(self, size: int) -> str | None:
        """Count `size` more bytes; "size" or "time" when the answer went over its cap or its deadline."""
        self.received += size
        if self.received > self.max_bytes:
            return "size"
        if time.monotonic() > self.deadline:
            return "time"
        return None


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked to wait (Retry-After in seconds or as a date, or retry-after-ms).

    `headers` is looked up with lower-case names (httpx's headers are case-insensitive; pass others
    lower-cased)."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream, deadline: float, max_bytes: int, request: httpx.Request) -> None:
        self._stream = stream
        self._deadline = deadline
        self._max_bytes = max_bytes
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        budget = ReadBudget(self._deadline, self._max_bytes)
        for chunk in self._stream:
            over = budget.exceeded(len(chunk))
            if over == "size":
                raise TooLarge(f"answer larger than {self._max_bytes} bytes", request=self._request)
            if over == "time":
                raise DeadlineExceeded("the answer took longer than its total deadline", request=self._request)
            yield chunk

    def close(self) -> None:
        self._stream.close()


class BoundedTransport(httpx.HTTPTransport):
    """An HTTPTransport whose every call ends within `total_timeout` seconds (plus at most one read
    timeout) and never reads more than `max_bytes`."""

    def __init__(self, *, total_timeout: float, max_bytes: int) -> None:
        super().__init__()
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if in_session():  # a transaction (on SQLite, the process's write lock) would wait on this call
            log.warning("%s called inside a database session", request.url.copy_with(query=None))
        deadline = time.monotonic() + self.total_timeout
        request.headers["Accept-Encoding"] = "identity"
        timeouts = dict(request.extensions.get("timeout") or {})
        for phase in ("connect", "read", "write", "pool"):
            given = timeouts.get(phase)
            timeouts[phase] = self.total_timeout if given is None else min(float(given), self.total_timeout)
        request.extensions["timeout"] = timeouts
        response = super().handle_request(request)
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if (declared.isdigit() and int(declared) > self.max_bytes) or encoding not in ("", "identity"):
            response.close()
            raise TooLarge(f"answer larger than {self.max_bytes} bytes or compressed", request=request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(status_code=response.status_code, headers=response.headers,
                              stream=_BoundedStream(response.stream, deadline, self.max_bytes, request),
                              extensions=response.extensions)


def bounded_client(*, total_timeout: float, max_bytes: int, read_timeout: float | None = None) -> httpx.Client:
    """An httpx.Client whose calls have a total deadline and a size cap."""
    read = min(read_timeout or total_timeout, total_timeout)
    return httpx.Client(transport=BoundedTransport(total_timeout=total_timeout, max_bytes=max_bytes),
                        timeout=httpx.Timeout(read, connect=min(5.0, total_timeout)))
