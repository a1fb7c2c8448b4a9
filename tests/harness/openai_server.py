"""A local OpenAI-compatible server (Chat Completions, Embeddings) with scripted answers, errors, delays
and disconnects.

Why: the `openai` package has its own retries (429/5xx with Retry-After), timeouts and response
parsing; pointing the real client at this server (`base_url`) tests the bot's extractor through all of
it. Answers come from a FIFO script (`queue_*`); when the script is empty, `responder(request)` decides.
Answers can be shaped the ways real servers (and proxies) misbehave: `Scripted.encoding` (a latin-1
body), `stream` (server-sent events nobody asked for), `parts` (`content` as a list of parts), `drip`
(the body a byte at a time), `refusal`, `finish_reason="length"`. Usage counts prompt tokens as a
tokenizer would roughly (words and punctuation marks), capped at `context_window` when set, as Ollama's
`num_ctx` silently does. Azure's deployment URLs (`/openai/deployments/NAME/chat/completions
?api-version=V`, key in `api-key`) are served too, and `rejects_json_schema` answers 400 to a
`json_schema` response format, as servers without structured output do.
`/v1/embeddings` answers with deterministic vectors: a hashed bag of (crudely stemmed, stop-word-free)
words, L2-normalised, so that texts sharing words, such as a claim and its paraphrase, come out close
and unrelated texts near orthogonal. Scripted errors and delays apply to it too.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import math
import re
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.harness.httpserver import LocalServer, QuietHandler

_ids = itertools.count(1)
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", None),
}


@dataclass
class Scripted:
    """One scripted answer. `content=None` means: ask the default responder."""

    content: str | None = None
    status: int = 200
    body: dict[str, Any] | None = None
    retry_after: float | None = None
    delay: float = 0.0
    finish_reason: str = "stop"
    raw: bytes | None = None
    raw_content_type: str = "application/json"
    disconnect: bool = False
    # Shapes of a 200 answer.
    encoding: str = "utf-8"
    stream: bool = False
    parts: bool = False
    drip: float = 0.0
    refusal: str | None = None


def _error_body(status: int) -> dict[str, Any]:
    kind, code = _ERROR_TYPES.get(status, ("server_error", None))
    return {"error": {"message": f"scripted error {status}", "type": kind, "param": None, "code": code}}


class _OpenAIHandler(QuietHandler):
    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        all_headers = {
            "x-request-id": f"req_{next(_ids):06d}",
            "openai-processing-ms": "5",
            **(headers or {}),
        }
        self.reply(status, json.dumps(payload).encode(), "application/json", all_headers)

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            owner: OpenAIStandIn = self.owner
            data = [
                {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "local"}
                for name in owner.models
            ]
            self._json(200, {"object": "list", "data": data})
        else:
            self._json(
                404,
                {
                    "error": {
                        "message": "not found",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            )

    def do_POST(self) -> None:
        owner: OpenAIStandIn = self.owner
        raw = self.body()
        path, _, query = self.path.partition("?")
        path = path.rstrip("/")
        azure = re.fullmatch(r"/openai/deployments/([^/]+)/chat/completions", path)
        if azure:
            if "api-version=" not in query:
                self._json(404, {"error": {"message": "Resource not found (no api-version)", "type": "",
                                           "param": None, "code": "404"}})
                return
            path = "/v1/chat/completions"
        if path not in ("/v1/chat/completions", "/v1/embeddings"):
            self._json(
                404,
                {
                    "error": {
                        "message": f"unknown path {self.path}",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
            return
        try:
            request = json.loads(raw.decode("utf-8") or "{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._json(
                400,
                {
                    "error": {
                        "message": "We could not parse the JSON body of your request.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
            return
        if azure:
            request = {**request, "_deployment": azure.group(1), "_query": query}
        owner._record(request, self.recorded_headers())
        bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        key = self.headers.get("api-key") if azure else bearer
        if owner.api_key is not None and key != owner.api_key:
            self._json(401, _error_body(401))
            return
        step = owner._next()
        if step.delay:
            time.sleep(step.delay)
        # The client may have given up (its timeout); that is the point of a delay.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if path == "/v1/embeddings":
                self._embeddings(owner, request, step)
            else:
                self._answer(owner, request, step)

    def _embeddings(self, owner: OpenAIStandIn, request: dict[str, Any], step: Scripted) -> None:
        if step.disconnect:
            self.drop()
            return
        if step.status != 200:
            headers = {"Retry-After": f"{step.retry_after:g}"} if step.retry_after is not None else {}
            self._json(step.status, step.body or _error_body(step.status), headers)
            return
        inputs = request.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        data = []
        for i, text in enumerate(texts):
            vector = hashed_embedding(str(text), owner.embedding_dimensions)
            if request.get("encoding_format") == "base64":
                embedding: Any = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            else:
                embedding = vector
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        tokens = sum(len(str(t).split()) for t in texts)
        self._json(200, {"object": "list", "data": data, "model": request.get("model", "test-embedding"),
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def _answer(self, owner: OpenAIStandIn, request: dict[str, Any], step: Scripted) -> None:
        if step.disconnect:
            self.drop()
            return
        if step.raw is not None:
            self.reply(step.status, step.raw, step.raw_content_type)
            return
        if step.status != 200:
            headers = {"Retry-After": f"{step.retry_after:g}"} if step.retry_after is not None else {}
            self._json(step.status, step.body or _error_body(step.status), headers)
            return
        response_format = request.get("response_format") or {}
        if owner.rejects_json_schema and response_format.get("type") == "json_schema":
            self._json(400, {"error": {"message": "response_format json_schema is not supported by this model",
                                       "type": "invalid_request_error", "param": "response_format", "code": None}})
            return
        content = step.content if step.content is not None else owner.responder(request)
        model = request.get("model", "test-model")
        created = int(time.time())
        completion_id = f"chatcmpl-{next(_ids):06d}"
        prompt_tokens = count_tokens(" ".join(str(m.get("content", "")) for m in request.get("messages", [])))
        if owner.context_window:
            prompt_tokens = min(prompt_tokens, owner.context_window)
        completion_tokens = max(1, count_tokens(content))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        if request.get("stream") or step.stream:
            self._stream(completion_id, created, model, content, step.finish_reason, usage)
            return
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": step.refusal}
        if step.parts:
            half = len(content) // 2
            message["content"] = [{"type": "text", "text": content[:half]}, {"type": "text", "text": content[half:]}]
        if step.refusal:
            message["content"] = None
        completion = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_local",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": step.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }
        text = json.dumps(completion, ensure_ascii=False)
        if step.encoding == "latin-1-unlabelled":
            body, content_type = text.encode("latin-1", "replace"), "application/json"
        elif step.encoding != "utf-8":
            body, content_type = text.encode(step.encoding, "replace"), f"application/json; charset={step.encoding}"
        else:
            body, content_type = text.encode(), "application/json"
        if step.drip:
            self._drip(body, content_type, step.drip)
            return
        self.reply(200, body, content_type, {"x-request-id": f"req_{next(_ids):06d}"})

    def _drip(self, body: bytes, content_type: str, pause: float) -> None:
        """The answer one byte at a time, `pause` seconds apart: each read is quick, the whole is slow."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for index in range(len(body)):
            self.wfile.write(body[index:index + 1])
            self.wfile.flush()
            time.sleep(pause)

    def _stream(
        self,
        completion_id: str,
        created: int,
        model: str,
        content: str,
        finish_reason: str,
        usage: dict[str, int],
    ) -> None:
        """Server-sent events, as with `stream=True`: role, content, finish, then `[DONE]`."""
        base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model}
        chunks = [
            {"delta": {"role": "assistant", "content": ""}, "finish_reason": None},
            {"delta": {"content": content}, "finish_reason": None},
            {"delta": {}, "finish_reason": finish_reason},
        ]
        events = [json.dumps({**base, "choices": [{"index": 0, **c}]}) for c in chunks]
        events.append(json.dumps({**base, "choices": [], "usage": usage}))
        body = "".join(f"data: {e}\n\n" for e in events) + "data: [DONE]\n\n"
        self.reply(200, body.encode(), "text/event-stream")


_EMBED_STOP = frozenset("a an the of in on to and or is are was were be been has have had that this for with by "
                        "as at it its from not no".split())


def count_tokens(text: str) -> int:
    """The stand-in's token count: words and punctuation marks, roughly what a BPE tokenizer gives for
    English prose (a real model's tokenizer counts differently; the README says which numbers are these)."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def hashed_embedding(text: str, dimensions: int = 256) -> list[float]:
    """A deterministic stand-in embedding: hashed bag of stemmed words, L2-normalised."""
    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in _EMBED_STOP:
            continue
        stem = word[:6]  # crude stemming: "vaccinated" and "vaccines" share "vaccin"
        digest = hashlib.blake2b(stem.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "little") % dimensions
        vector[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class OpenAIStandIn(LocalServer):
    """OpenAI Chat Completions on 127.0.0.1. Give the `openai` client `base_url` (`.../v1`).

    `requests` holds the parsed JSON bodies (in order) and `headers` the matching request headers.
    """

    handler_class = _OpenAIHandler

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__()
        # None: any key; otherwise a different Authorization answers 401 invalid_api_key.
        self.api_key = api_key
        self.models = ["test-model"]
        self.embedding_dimensions = 256
        # Like Ollama's num_ctx: prompt tokens past this are silently dropped (and not counted). 0: none.
        self.context_window = 0
        # Like servers without structured output: a json_schema response format gets a 400.
        self.rejects_json_schema = False
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: list[Scripted] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.responder: Callable[[dict[str, Any]], str] = lambda request: json.dumps(
            {"summary": "", "claims": []}
        )

    @property
    def base_url(self) -> str:
        return f"{self.base}/v1"

    def _record(self, request: dict[str, Any], headers: dict[str, str]) -> None:
        with self._changed:
            self.requests.append(request)
            self.headers.append(headers)
            self._changed.notify_all()

    def _next(self) -> Scripted:
        with self._lock:
            return self._queue.pop(0) if self._queue else Scripted()

    def _push(self, step: Scripted) -> None:
        with self._lock:
            self._queue.append(step)

    @property
    def pending(self) -> int:
        """Scripted answers not used yet."""
        with self._lock:
            return len(self._queue)

    def queue_json(self, obj: Any, finish_reason: str = "stop") -> None:
        """Next answer: `json.dumps(obj)` as the message content."""
        self.queue_text(json.dumps(obj), finish_reason)

    def queue_text(self, text: str, finish_reason: str = "stop") -> None:
        """Next answer: this message content (e.g. malformed JSON, or `finish_reason="length"`)."""
        self._push(Scripted(content=text, finish_reason=finish_reason))

    def queue_answer(self, obj: Any, **shape: Any) -> None:
        """Next answer: `obj` (JSON-encoded unless a str) shaped as asked: encoding="latin-1" (labelled in
        Content-Type) or "latin-1-unlabelled", stream=True, parts=True, drip=seconds per byte,
        refusal="...", finish_reason="length"."""
        content = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
        self._push(Scripted(content=content, **shape))

    def queue_error(
        self, status: int, body: dict[str, Any] | None = None, retry_after: float | None = None
    ) -> None:
        """Next answer: an HTTP error in OpenAI's shape (`{"error": {...}}`), with Retry-After if given."""
        self._push(Scripted(status=status, body=body, retry_after=retry_after))

    def queue_delay(self, seconds: float, then: str | dict[str, Any] | list[Any] | None = None) -> None:
        """Next answer comes after `seconds`: `then` as content (a str as is, other values JSON-encoded),
        or the responder's answer when `then` is None."""
        content = then if then is None or isinstance(then, str) else json.dumps(then)
        self._push(Scripted(content=content, delay=seconds))

    def queue_raw(self, body: bytes | str, status: int = 200, content_type: str = "application/json") -> None:
        """Next answer: these exact bytes (a truncated or non-JSON body, an HTML error page...)."""
        data = body.encode() if isinstance(body, str) else body
        self._push(Scripted(raw=data, status=status, raw_content_type=content_type))

    def queue_disconnect(self, delay: float = 0.0) -> None:
        """Next request: hang up without answering (after `delay`)."""
        self._push(Scripted(disconnect=True, delay=delay))

    def wait_for_requests(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until `count` requests arrived; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout:g}s waiting for {count} LLM request(s); "
                        f"got {len(self.requests)}"
                    )
                self._changed.wait(min(left, 0.05))
            return list(self.requests)
