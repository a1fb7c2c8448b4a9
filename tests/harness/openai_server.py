"""A local OpenAI-compatible server (Chat Completions) with scripted answers, errors and delays."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.harness.httpserver import LocalServer, QuietHandler


@dataclass
class Scripted:
    content: str | None = None
    status: int = 200
    body: dict[str, Any] | None = None
    retry_after: float | None = None
    delay: float = 0.0


class _OpenAIHandler(QuietHandler):
    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            body = {"object": "list", "data": [{"id": "test-model", "object": "model", "owned_by": "local"}]}
            self.reply(200, json.dumps(body).encode(), "application/json")
        else:
            self.reply(404, b'{"error": {"message": "not found"}}', "application/json")

    def do_POST(self) -> None:
        owner: OpenAIStandIn = self.owner
        raw = self.body()
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.reply(404, b'{"error": {"message": "not found"}}', "application/json")
            return
        request = json.loads(raw.decode("utf-8") or "{}")
        owner._record(request, dict(self.headers.items()))
        step = owner._next()
        if step.delay:
            time.sleep(step.delay)
        try:
            if step.status != 200:
                headers = {"Retry-After": f"{step.retry_after:g}"} if step.retry_after is not None else {}
                error = step.body or {"error": {"message": f"scripted error {step.status}", "type": "server_error"}}
                self.reply(step.status, json.dumps(error).encode(), "application/json", headers)
                return
            content = step.content if step.content is not None else owner.responder(request)
            completion = {
                "id": f"chatcmpl-{len(owner.requests)}", "object": "chat.completion", "created": int(time.time()),
                "model": request.get("model", "test-model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
            self.reply(200, json.dumps(completion).encode(), "application/json")
        except (BrokenPipeError, ConnectionResetError):
            pass


class OpenAIStandIn(LocalServer):
    handler_class = _OpenAIHandler

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: list[Scripted] = []
        self._lock = threading.Lock()
        self.responder: Callable[[dict[str, Any]], str] = lambda request: json.dumps({"summary": "", "claims": []})

    @property
    def base_url(self) -> str:
        return f"{self.base}/v1"

    def _record(self, request: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(request)
            self.headers.append(headers)

    def _next(self) -> Scripted:
        with self._lock:
            return self._queue.pop(0) if self._queue else Scripted()

    def queue_json(self, obj: Any) -> None:
        self.queue_text(json.dumps(obj))

    def queue_text(self, text: str) -> None:
        with self._lock:
            self._queue.append(Scripted(content=text))

    def queue_error(self, status: int, body: dict[str, Any] | None = None, retry_after: float | None = None) -> None:
        with self._lock:
            self._queue.append(Scripted(status=status, body=body, retry_after=retry_after))

    def queue_delay(self, seconds: float, then: str | None = None) -> None:
        with self._lock:
            self._queue.append(Scripted(content=then, delay=seconds))
