"""A Web API client whose every call ends by a total deadline and never reads more than a size cap.

slack_sdk's `timeout` bounds each socket operation, not the call: a Slack (or a proxy in front of it)
that sends one byte a second keeps a call open for as long as it likes, a run of 429s with Retry-After
waits out every retry, and an answer is read whole into memory whatever its size. WebClient takes no
custom HTTP layer, so the bounds are put where it does let them in:

* `api_call` (public, already wrapped for the session check) starts the call's deadline, kept per
  thread, so retries and the reading of every answer share it;
* `retry_handlers` (slack_sdk's documented extension point) are wrapped in `DeadlineRetry`, which
  refuses a retry whose wait (Retry-After, back-off) would not leave time for the next attempt;
* each attempt opens its connection through urllib handlers of our own (the same urllib slack_sdk
  uses; a proxy is honoured as slack_sdk does) whose sockets are shut down when the deadline comes,
  so no read, the status line and headers included, outlives it; the body is read in chunks against
  the size cap. This last part replaces `WebClient._perform_urllib_http_request_internal`, slack_sdk's
  one-attempt method (pinned in requirements.txt; tests/test_slack_deadlines.py fails if slack_sdk
  stops calling it, because a trickling answer then holds the call past its deadline).

An exceeded deadline raises `SlackDeadlineExceeded` (a TimeoutError, as a socket timeout would be) and an
oversized answer `SlackAnswerTooLarge` (a SlackClientError), so the gateway's callers treat both as
"no answer": a post looks for its message before posting again, a job is retried.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import logging
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, cast
from urllib.error import HTTPError

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.infra.bounded_http import ReadBudget, retry_after
from storage.db import in_session

log = logging.getLogger(__name__)

# Anything the bot asks for (a page of 1,000 channels or members, 200 messages with metadata) is far
# smaller; more is not an answer the bot can use, and reading it would only cost memory.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
# A retry is made only if this much time is left after its wait.
MIN_ATTEMPT_SECONDS = 0.5
_CHUNK = 64 * 1024

_call = threading.local()


class SlackDeadlineExceeded(SlackClientError, TimeoutError):
    """No complete answer (retries included) within the call's total deadline."""


class SlackAnswerTooLarge(SlackClientError):
    """Slack's answer was larger than the cap; it was not read."""


def _call_deadline() -> float | None:
    return cast("float | None", getattr(_call, "deadline", None))


@contextmanager
def calls_within(seconds: float) -> Iterator[float]:
    """Every Web API call made on this thread inside the block ends by `seconds` from now (or by its own
    deadline, whichever comes first): for an operation made of several calls, such as a post and the
    looks for it after a lost answer. Yields the deadline (time.monotonic())."""
    outer = _call_deadline()
    mine = time.monotonic() + seconds
    _call.deadline = mine if outer is None else min(outer, mine)
    try:
        yield _call.deadline
    finally:
        _call.deadline = outer


class DeadlineRetry(RetryHandler):
    """One of slack_sdk's retry handlers, made to give up when its wait would outlast the call's deadline.

    The wait is worked out here (the server's Retry-After for a 429, else the handler's back-off) so that
    what is checked against the deadline is what is slept.
    """

    def __init__(self, inner: RetryHandler) -> None:
        super().__init__(max_retry_count=inner.max_retry_count, interval_calculator=inner.interval_calculator)
        self.inner = inner

    def can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                  error: Exception | None = None) -> bool:
        if not self.inner.can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = self._wait(state, response)
        deadline = _call_deadline()
        if deadline is not None and time.monotonic() + wait + MIN_ATTEMPT_SECONDS > deadline:
            log.info("not retrying %s after %s: the wait (%.1f s) would pass the call's deadline",
                     request.url.rsplit("/", 1)[-1],
                     response.status_code if response is not None else type(error).__name__, wait)
            return False
        state.custom_values = {**(state.custom_values or {}), "wait": wait}
        return True

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:  # pragma: no cover - can_retry asks the inner handler
        return True

    def _wait(self, state: RetryState, response: HttpResponse | None) -> float:
        if response is not None and response.status_code == 429:
            asked = retry_after({k.lower(): v[0] for k, v in response.headers.items() if v})
            return 1.0 if asked is None else asked
        return float(self.inner.interval_calculator.calculate_sleep_duration(state.current_attempt))

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        state.next_attempt_requested = True
        time.sleep(float((state.custom_values or {}).get("wait", 0.0)))
        state.increment_current_attempt()


class _Watch:
    """The sockets of one attempt; `cut()` shuts them down, which ends any read blocked on them at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.was_cut = False

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if not self.was_cut:
                return
        self._shut(sock)

    def cut(self) -> None:
        with self._lock:
            self.was_cut = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed: nothing left to stop
            sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTP(http.client.HTTPConnection):
    """A connection whose socket, once connected, is registered with the attempt's watch."""

    def __init__(self, watch: _Watch, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def connect(self) -> None:
        super().connect()
        self._watch.add(self.sock)


class _WatchedHTTPS(_WatchedHTTP, http.client.HTTPSConnection):
    """The same over TLS: `super().connect()` is HTTPSConnection's, so the TLS socket is the one watched."""


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self._watch = watch

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_WatchedHTTP, self._watch), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch, context: Any = None) -> None:
        super().__init__(context=context)
        self._watch = watch

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_WatchedHTTPS, self._watch), req,
                            context=self._context)  # type: ignore[attr-defined]


def _read_capped(response: Any, budget: ReadBudget) -> bytes:
    declared = str(response.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > budget.max_bytes:
        raise SlackAnswerTooLarge(f"Slack's answer is {declared} bytes (more than {budget.max_bytes})")
    read = getattr(response, "read1", None) or response.read
    data = bytearray()
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            return bytes(data)
        data += chunk
        over = budget.exceeded(len(chunk))
        if over == "size":
            raise SlackAnswerTooLarge(f"Slack's answer is larger than {budget.max_bytes} bytes")
        if over == "time":
            raise SlackDeadlineExceeded("Slack's answer took longer than the call's deadline")


class BoundedWebClient(WebClient):
    """A WebClient whose calls each end by `deadline` seconds (retries included) and read at most
    `max_answer_bytes`; it also says so when it is called inside a database session.

    A Slack call made inside a session holds a transaction (on SQLite, the process's write lock, so
    every ack waits) for as long as it takes. Callers read what they need, close the session, then call.
    """

    def __init__(self, *, deadline: float, max_answer_bytes: int = MAX_ANSWER_BYTES, **kwargs: Any) -> None:
        retry_handlers = kwargs.pop("retry_handlers", None) or []
        super().__init__(retry_handlers=[h if isinstance(h, DeadlineRetry) else DeadlineRetry(h)
                                         for h in retry_handlers], **kwargs)
        self.deadline = deadline
        self.max_answer_bytes = max_answer_bytes

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        if in_session():
            log.warning("Slack %s called inside a database session", api_method)
        with calls_within(self.deadline):
            return super().api_call(api_method, **kwargs)

    def _perform_urllib_http_request_internal(self, url: str, req: urllib.request.Request) -> dict[str, Any]:
        """One attempt, as slack_sdk makes it, but bounded by the call's deadline and the size cap."""
        if not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        deadline = _call_deadline() or time.monotonic() + self.deadline
        left = deadline - time.monotonic()
        if left <= 0:
            raise SlackDeadlineExceeded(f"no time left for {req.full_url} within the deadline")
        watch = _Watch()
        handlers: list[urllib.request.BaseHandler] = [_WatchedHTTPHandler(watch),
                                                      _WatchedHTTPSHandler(watch, context=self.ssl)]
        if self.proxy:
            handlers.insert(0, urllib.request.ProxyHandler({"http": self.proxy, "https": self.proxy}))
        timer = threading.Timer(left, watch.cut)
        timer.daemon = True
        timer.start()
        budget = ReadBudget(deadline, self.max_answer_bytes)
        try:
            try:
                response = urllib.request.build_opener(*handlers).open(req, timeout=min(float(self.timeout), left))
            except HTTPError as error:  # 429, 5xx: slack_sdk reads the body; hand it over already bounded
                body = _read_capped(error, budget) if error.fp is not None else b""
                error.close()
                raise HTTPError(error.url, error.code, error.msg, error.headers, io.BytesIO(body)) from None
            with response:
                body = _read_capped(response, budget)
            if watch.was_cut:  # an answer without a length ends at the cut: it is not complete
                raise SlackDeadlineExceeded(f"no complete answer from {req.full_url} within the deadline")
        except (HTTPError, SlackClientError):
            raise
        except (OSError, http.client.HTTPException) as exc:
            if watch.was_cut or time.monotonic() >= deadline:
                raise SlackDeadlineExceeded(f"no complete answer from {req.full_url} within the deadline") from exc
            raise
        finally:
            timer.cancel()
        if response.headers.get_content_type() == "application/gzip":
            return {"status": response.code, "headers": response.headers, "body": body}
        charset = response.headers.get_content_charset() or "utf-8"
        return {"status": response.code, "headers": response.headers, "body": body.decode(charset)}
