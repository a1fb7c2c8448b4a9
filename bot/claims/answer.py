"""What the model must answer, and reading whatever an OpenAI-compatible server actually sends back.

`ArticleAnswer` is the single source of the answer's shape: the JSON schema sent with `json_schema`
mode, the schema quoted in the prompt for servers without it, and the validation of the reply all come
from it, so they cannot drift apart.

Servers differ, and some misbehave, so the raw HTTP body is read here rather than trusted to a client
library: a body that is not UTF-8 (a latin-1 proxy), server-sent events nobody asked for, `content`
given as a list of parts, JSON wrapped in ``` fences or prose. Anything this cannot turn into an
`ArticleAnswer` raises `AnswerError`, whose message says what was wrong, for the log and the card.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class AnswerClaim(BaseModel):
    """One claim as the model states it; nothing here is trusted until grounding.py checked it."""

    model_config = ConfigDict(extra="forbid")

    claim: str = Field(description="a stand-alone restatement a reader can check without the article")
    quote: str = Field(description="the exact sentence or passage from the article, copied verbatim")
    speaker: str | None = Field(description="who the article attributes the claim to, else null")


class ArticleAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str = Field(description="2-3 sentences stating what the article asserts, neutrally")
    claims: list[AnswerClaim] = Field(description="check-worthy factual claims, most important first")


def response_schema() -> dict[str, Any]:
    """The `json_schema` response format: ArticleAnswer's schema, strict."""
    return {"name": "article_claims", "strict": True, "schema": ArticleAnswer.model_json_schema()}


def schema_text() -> str:
    """The schema as compact JSON, for the prompt of servers that cannot enforce it."""
    return json.dumps(ArticleAnswer.model_json_schema(), separators=(",", ":"))


class AnswerError(ValueError):
    """The server answered, but not with something usable (asking the same again would not help)."""


@dataclass(frozen=True)
class Completion:
    """The parts of a chat completion the extractor uses, however the server sent them."""

    content: str
    finish_reason: str | None
    refusal: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0


def decode_body(body: bytes, content_type: str | None) -> str:
    """The body as text: UTF-8, else the charset the server named, else latin-1 (which never fails)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = re.search(r"charset=([\w.-]+)", content_type or "", re.IGNORECASE)
    if match:
        try:
            return body.decode(match.group(1))
        except (LookupError, UnicodeDecodeError):
            pass
    return body.decode("latin-1")


def _text_of(content: Any) -> str:
    """`content` as text: a string, or a list of parts ({"type": "text", "text": ...}) joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                pieces.append(part["text"])
            elif isinstance(part, dict) and isinstance(part.get("text"), dict):
                pieces.append(str(part["text"].get("value", "")))
        return "".join(pieces)
    return ""


def _usage(data: Any) -> tuple[int, int]:
    usage = data.get("usage") if isinstance(data, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return (prompt if isinstance(prompt, int) and prompt >= 0 else 0,
            completion if isinstance(completion, int) and completion >= 0 else 0)


def _from_events(text: str) -> Completion:
    """Server-sent events (`data: {...}` lines): the deltas joined, the last finish reason and usage."""
    pieces: list[str] = []
    refusal: list[str] = []
    finish: str | None = None
    prompt = completion = 0
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            break
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            continue
        if not isinstance(event, dict):
            continue
        if event.get("usage"):
            prompt, completion = _usage(event)
        for choice in event.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or choice.get("message") or {}
            if isinstance(delta, dict):
                pieces.append(_text_of(delta.get("content")))
                if isinstance(delta.get("refusal"), str):
                    refusal.append(delta["refusal"])
            finish = choice.get("finish_reason") or finish
    return Completion("".join(pieces), finish, "".join(refusal) or None, prompt, completion)


def read_completion(body: bytes, content_type: str | None) -> Completion:
    """A chat completion from the raw body, plain JSON or (unrequested) server-sent events."""
    text = decode_body(body, content_type).lstrip("\ufeff")
    if "event-stream" in (content_type or "") or text.lstrip().startswith("data:"):
        return _from_events(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise AnswerError(f"the server's reply is not JSON: {_excerpt(text)}") from None
    if not isinstance(data, dict):
        raise AnswerError("the server's reply is not a chat completion")
    if isinstance(data.get("error"), dict):
        raise AnswerError(f"the server answered with an error: {_excerpt(str(data['error'].get('message')))}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise AnswerError("the server's reply has no answer (no choices)")
    choice: dict[str, Any] = choices[0]
    message: dict[str, Any] = choice["message"] if isinstance(choice.get("message"), dict) else {}
    refusal = message.get("refusal") if isinstance(message.get("refusal"), str) else None
    prompt, completion = _usage(data)
    finish = choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else None
    return Completion(_text_of(message.get("content")), finish, refusal, prompt, completion)


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
# How many '{' positions are tried when looking for the JSON object inside prose: bounded, so a huge
# answer full of braces cannot make parsing quadratic.
MAX_OBJECT_STARTS = 20


def _json_object(content: str) -> dict[str, Any]:
    """The first JSON object in the text: the whole text, a fenced block, or an object inside prose."""
    text = content.strip()
    candidates = [text, *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    decoder = json.JSONDecoder()
    start = text.find("{")
    for _ in range(MAX_OBJECT_STARTS):
        if start < 0:
            break
        try:
            value, _end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    raise AnswerError(f"the answer holds no JSON object: {_excerpt(text)}")


def parse_answer(content: str, max_claims: int) -> ArticleAnswer:
    """The model's answer validated against ArticleAnswer; at most `max_claims` claims are read.

    Extra keys are ignored and a missing speaker is null, so a model that answers loosely (plain-JSON
    mode) still counts; a claim without a quote is dropped, and an answer without a claims list fails.
    """
    data = _json_object(content)
    raw_claims = data.get("claims")
    if not isinstance(raw_claims, list):
        raise AnswerError("the answer has no list of claims")
    claims: list[AnswerClaim] = []
    for raw in raw_claims:
        if len(claims) >= max_claims:
            break
        if not isinstance(raw, dict):
            continue
        try:
            claims.append(AnswerClaim.model_validate(
                {"claim": raw.get("claim") if isinstance(raw.get("claim"), str) else "",
                 "quote": raw.get("quote"), "speaker": raw.get("speaker") if isinstance(raw.get("speaker"), str)
                 else None}))
        except ValidationError:
            continue
    summary = data.get("summary")
    return ArticleAnswer(summary=summary.strip() if isinstance(summary, str) else "", claims=claims)


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def server_message(text: str) -> str:
    """The human part of an error body ({"error": {"message": ...}}), clipped for logs and cards."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _excerpt(text)
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return _excerpt(error["message"])
        if isinstance(error, str):
            return _excerpt(error)
        if isinstance(data.get("message"), str):
            return _excerpt(data["message"])
    return _excerpt(text)
