"""The HTTP surface: Slack's Events API at /slack/events, plus /healthz for load balancers (200 "ok" when
the database answers `SELECT 1` within 2 s, else 503 with the reason).

Served by waitress, a multi-threaded production WSGI server (Bolt's built-in server is single-threaded
and meant for development). Before Bolt sees a request, this layer rejects what should never reach it:
bodies over 1 MB (413), requests without a valid, fresh Slack signature (401, before any parsing or
work), and signed bodies that are not the JSON or form payload Slack sends (400). Bolt verifies the
signature again; this layer only makes sure malformed input gets a clean answer instead of a 500.
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


def _well_formed(body: bytes, content_type: str) -> bool:
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text), dict)
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form:
            return isinstance(json.loads(form["payload"][-1]), dict)
        return True
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False


def _signed(verifier: SignatureVerifier, body: bytes, environ: dict[str, Any]) -> bool:
    try:
        return verifier.is_valid(body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "",
                                 environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    except (UnicodeDecodeError, ValueError):
        return False  # Slack only sends UTF-8; anything else cannot be a genuine request


HealthCheck = Callable[[], "str | None"]


def wsgi_app(app: App, signing_secret: str, health: HealthCheck | None = None) -> WSGIApp:
    """The WSGI application; `health` returns None when the bot can work, else a plain reason (503)."""
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
        if not _well_formed(body, environ.get("CONTENT_TYPE") or ""):
            return answer(start_response, "400 Bad Request", "malformed payload\n")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return application
