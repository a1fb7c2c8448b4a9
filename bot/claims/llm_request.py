"""One request to an OpenAI-compatible server, bounded in time and size, with failures put into words.

Why not just `client.chat.completions.create()`: the client's timeout bounds each read, not the call (a
server dripping a byte every two seconds keeps it open for minutes), it reads any body size, and its
parsing raises on bodies that are not UTF-8, on server-sent events nobody asked for and on `content`
given as parts. Here the `openai` client builds and sends the request (URLs, Azure, auth, error
classes), the body is read as raw bytes under a total deadline and a size cap, and answer.py reads it.

The request runs on its own short-lived thread; the caller waits at most until the deadline and then
moves on. The thread stops at its next chunk (the deadline is checked between chunks) or when its read
timeout, itself no longer than the deadline, ends.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import openai

from bot.claims.answer import AnswerError, Completion, read_completion, server_message
from bot.infra.bounded_http import retry_after

# A whole answer larger than this is not an answer for one article (the claim cap keeps real ones far
# below), and reading more would only cost memory.
MAX_BODY_BYTES = 2 * 1024 * 1024
# The longest Retry-After the bot honours; a server asking for more is treated as unavailable.
MAX_RETRY_AFTER = 20.0
CONNECT_TIMEOUT = 5.0
_UNSUPPORTED_FORMAT = re.compile(r"json_schema|response_format|json_object|structured output", re.IGNORECASE)


class RequestFailed(Exception):
    """One attempt failed. `reason` is said on the card and in the log (with the server's own message).

    `retryable`: asking again may work (timeouts, 429, 5xx, a dropped connection). `wait`: the server's
    Retry-After, in seconds. `format_unsupported`: a 400 saying the response format is not supported.
    """

    def __init__(self, reason: str, *, retryable: bool = False, wait: float | None = None,
                 format_unsupported: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.wait = wait
        self.format_unsupported = format_unsupported


def build_client(api_key: str, base_url: str | None, api_version: str | None) -> openai.OpenAI:
    """The client for the configured server: OpenAI-style, or Azure when an api-version is known.

    Azure's deployment URL (`https://X.openai.azure.com/openai/deployments/NAME?api-version=V`) cannot be
    a plain base URL (the client appends the path after the query), so its api-version is taken out and
    handed to the Azure client, which puts it back on every request.
    """
    version = api_version
    if base_url:
        parts = urlsplit(base_url)
        query = parse_qs(parts.query)
        if not version and query.get("api-version"):
            version = query["api-version"][0]
        base_url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    if version:
        if base_url and "/deployments/" in base_url:
            return openai.AzureOpenAI(api_key=api_key, api_version=version, base_url=base_url, max_retries=0)
        endpoint = (base_url or "").removesuffix("/openai")
        return openai.AzureOpenAI(api_key=api_key, api_version=version, azure_endpoint=endpoint, max_retries=0)
    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)


@dataclass
class _Outcome:
    completion: Completion | None = None
    failure: RequestFailed | None = None


def send(client: openai.OpenAI, payload: dict[str, Any], deadline: float) -> Completion:
    """Send one chat completion request and read its answer, all before `deadline` (time.monotonic())."""
    seconds = deadline - time.monotonic()
    if seconds <= 0:
        raise RequestFailed("no time was left for the request", retryable=False)
    outcome = _Outcome()
    done = threading.Event()
    cancelled = threading.Event()

    def run() -> None:
        try:
            outcome.completion = _send(client, payload, deadline, cancelled)
        except RequestFailed as failure:
            outcome.failure = failure
        except Exception as exc:  # anything else still ends in the fallback, never in a crash
            outcome.failure = RequestFailed(f"unexpected error reading the answer ({type(exc).__name__}: "
                                            f"{str(exc)[:160]})")
        finally:
            done.set()

    threading.Thread(target=run, name="llm-request", daemon=True).start()
    if not done.wait(seconds):
        cancelled.set()
        raise RequestFailed(f"no complete answer within {seconds:.0f} s (OPENAI_TIMEOUT)", retryable=True)
    if outcome.failure is not None:
        raise outcome.failure
    assert outcome.completion is not None
    return outcome.completion


def _send(client: openai.OpenAI, payload: dict[str, Any], deadline: float,
          cancelled: threading.Event) -> Completion:
    left = max(0.1, deadline - time.monotonic())
    timeout = httpx.Timeout(left, connect=min(CONNECT_TIMEOUT, left))
    extra = {key: payload[key] for key in ("extra_body",) if key in payload}
    body = {key: value for key, value in payload.items() if key != "extra_body"}
    try:
        with client.chat.completions.with_streaming_response.create(  # type: ignore[call-overload]
                **body, **extra, timeout=timeout) as response:
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_BODY_BYTES:
                    raise RequestFailed(f"the answer was larger than {MAX_BODY_BYTES // 1024 // 1024} MB")
                if cancelled.is_set() or time.monotonic() > deadline:
                    raise RequestFailed("no complete answer within OPENAI_TIMEOUT", retryable=True)
            return read_completion(bytes(data), response.headers.get("content-type"))
    except openai.APIStatusError as error:
        raise _status_failure(error) from None
    except openai.APITimeoutError:
        raise RequestFailed("the server did not answer in time (OPENAI_TIMEOUT)", retryable=True) from None
    except openai.APIConnectionError as error:
        cause = error.__cause__ or error
        raise RequestFailed(f"could not reach the server ({type(cause).__name__}: {str(cause)[:120]})",
                            retryable=True) from None
    except httpx.HTTPError as error:
        raise RequestFailed(f"the connection broke while reading the answer ({type(error).__name__})",
                            retryable=True) from None
    except AnswerError as error:
        raise RequestFailed(str(error)) from None


def _status_failure(error: openai.APIStatusError) -> RequestFailed:
    status = error.status_code
    try:
        text = error.response.text
    except Exception:  # a body that cannot be read or decoded still leaves the status to report
        text = ""
    message = server_message(text) if text else str(error.message)[:160]
    said = f"the server answered {status}: {message}"
    if status == 429:
        wait = retry_after(error.response.headers)
        return RequestFailed(said, retryable=True, wait=wait)
    if status == 400 and _UNSUPPORTED_FORMAT.search(message):
        return RequestFailed(said, format_unsupported=True)
    return RequestFailed(said, retryable=status >= 500 or status == 408)
