"""The HTTP surface: Slack's Events API at /slack/events, plus /healthz for load balancers (200 "ok" when
the database answers `SELECT 1` within 2 s, else 503 with the reason).

Served by waitress, a multi-threaded production WSGI server (Bolt's built-in server is single-threaded
and meant for development). Before Bolt sees a request, this layer rejects what should never reach it:
bodies over 1 MB (413), requests without a valid, fresh Slack signature (401, before any parsing or
work), and signed bodies that are not the JSON or form payload Slack sends (400, with the reason:
not UTF-8, not JSON, nested deeper than Slack ever nests, too many form fields). This is the only
signature check: Bolt's own is turned off in handlers.create_app, so each request is verified once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024


# Slack's deepest payloads (nested rich_text lists inside blocks inside a message) stay well under this;
# anything deeper is not from Slack, and deep structures are where recursive code (json, copy, Bolt's
# own walks) fails with RecursionError, which would otherwise surface as a 500.
MAX_DEPTH = 64


def _depth_within(value: object, limit: int) -> bool:
    """Whether a parsed JSON value nests at most `limit` containers deep (iterative: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def _json_object(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the object, None) if `text` is a JSON object Bolt can take, else (None, the reason it cannot)."""
    try:
        value = json.loads(text)
    except RecursionError:
        return None, "JSON nested too deeply"
    except ValueError:  # JSONDecodeError, and integers past Python's 4300-digit conversion limit
        return None, "not valid JSON"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    # Nesting needs a bracket per level: a body with at most MAX_DEPTH of them (most events) is not walked.
    if text.count("{") + text.count("[") > MAX_DEPTH and not _depth_within(value, MAX_DEPTH):
        return None, f"JSON nested too deeply (more than {MAX_DEPTH} levels)"
    return value, None


def _parse(body: bytes, content_type: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the JSON body, None), (None, None) for a form payload, or (None, why the body is not the JSON or
    form payload Slack sends, in a few words)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8"
    if content_type.startswith("application/json"):
        return _json_object(text)
    try:
        form = parse_qs(text, keep_blank_values=True, max_num_fields=1000)
    except ValueError:
        return None, "too many form fields"
    if "payload" in form:
        return None, _json_object(form["payload"][-1])[1]
    return None, None


def _signed(verifier: SignatureVerifier, body: bytes, environ: dict[str, Any]) -> bool:
    try:
        return verifier.is_valid(body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "",
                                 environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    except (UnicodeDecodeError, ValueError):
        return False  # Slack only sends UTF-8; anything else cannot be a genuine request


HealthCheck = Callable[[], "str | None"]
QuietCheck = Callable[[dict[str, Any]], bool]


def wsgi_app(app: App, signing_secret: str, health: HealthCheck | None = None,
             quiet: QuietCheck | None = None) -> WSGIApp:
    """The WSGI application; `health` returns None when the bot can work, else a plain reason (503).
    `quiet` (handlers/quiet.py) names the verified events no listener would act on: they get Bolt's
    empty 200 without Bolt's dispatch."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    verifier = SignatureVerifier(signing_secret)

    def answer(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [text.encode()]

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            problem = health() if health is not None else None
            if problem:
                return answer(start_response, "503 Service Unavailable", f"{problem}\n")
            return answer(start_response, "200 OK", "ok\n")
        if path != EVENTS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return slack(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return answer(start_response, "413 Payload Too Large", "too large\n")
        body = environ["wsgi.input"].read(length) if length else b""
        if not _signed(verifier, body, environ):
            return answer(start_response, "401 Unauthorized", "invalid request\n")
        parsed, problem = _parse(body, environ.get("CONTENT_TYPE") or "")
        if problem:
            return answer(start_response, "400 Bad Request", f"malformed payload: {problem}\n")
        if quiet is not None and parsed is not None and quiet(parsed):
            return answer(start_response, "200 OK", "")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application


def health_app(health: HealthCheck) -> WSGIApp:
    """Only /healthz, for Socket Mode: events arrive over the WebSocket, but a platform's health check
    (or a load balancer) still wants an HTTP answer on $PORT."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/healthz":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found: in Socket Mode only /healthz is served over HTTP\n"]
        problem = health()
        status = "503 Service Unavailable" if problem else "200 OK"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [f"{problem or 'ok'}\n".encode()]

    return application
