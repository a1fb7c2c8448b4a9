"""The Slack app manifest for either way of receiving events, from the one file in the repository.

`slack-app-manifest.yml` is set for Socket Mode and carries placeholder request URLs (Socket Mode ignores
them; events arrive over the WebSocket). HTTP needs every one of them to point at the bot's /slack/events.
Printing it, rather than asking people to edit YAML by hand, keeps the four URLs and the mode in step.
"""

from __future__ import annotations

import re
from pathlib import Path

from handlers.http import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parent.parent / "slack-app-manifest.yml"
PLACEHOLDER = "https://YOUR-APP.example.com" + EVENTS_PATH
_URL_LINE = re.compile(r"^\s*(?:request_)?url: " + re.escape(PLACEHOLDER) + r"\s*$")
_HOST = re.compile(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/-]*)?")


class ManifestError(ValueError):
    """The public URL given for HTTP mode cannot be used; the message says why, in one line."""


def manifest(http_base: str | None = None) -> str:
    """The manifest as YAML: for Socket Mode when `http_base` is None, else for HTTP at that base URL."""
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    if http_base is None:
        kept = [line for line in lines if not _URL_LINE.match(line)]
        return "\n".join(kept) + "\n"
    base = http_base.strip().rstrip("/")
    if not _HOST.fullmatch(base):
        raise ManifestError(f"--http {http_base}: give the bot's public https address, such as "
                            "https://factcheck.example.org (Slack only calls https URLs)")
    url = base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH
    text = "\n".join(lines).replace(PLACEHOLDER, url).replace("socket_mode_enabled: true", "socket_mode_enabled: false")
    return text + "\n"
