"""Build the `rich_text` block Slack attaches to every human message, from its mrkdwn `text`.

Why: Slack clients send both `text` (mrkdwn with `<url|label>`, `<@U..>`, `&amp;` escapes) and a
`rich_text` block; code that reads links from blocks must be tested against the same structure.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

_block_ids = itertools.count(1)
_TOKEN = re.compile(r"<([^<>]+)>")


def _unescape(text: str) -> str:
    # Slack escapes only &, < and > in message text.
    return html.unescape(text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def _element(token: str) -> dict[str, Any]:
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return {"type": "user", "user_id": target[1:]}
    if target.startswith("#"):
        return {"type": "channel", "channel_id": target[1:]}
    if target.startswith("!subteam^"):
        return {"type": "usergroup", "usergroup_id": target[len("!subteam^") :]}
    if target.startswith("!"):
        return {"type": "broadcast", "range": target[1:]}
    link: dict[str, Any] = {"type": "link", "url": _unescape(target)}
    if label:
        link["text"] = _unescape(label)
    return link


def rich_text_elements(text: str) -> list[dict[str, Any]]:
    """The elements of a rich_text_section for `text`: text, link, user, channel, usergroup, broadcast."""
    elements: list[dict[str, Any]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            elements.append({"type": "text", "text": _unescape(text[position : match.start()])})
        elements.append(_element(match.group(1)))
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": _unescape(text[position:])})
    return elements


def rich_text_for(text: str) -> list[dict[str, Any]]:
    """A one-block `blocks` list mirroring Slack's own for `text` (links as `link` elements)."""
    return [
        {
            "type": "rich_text",
            "block_id": f"rt{next(_block_ids)}",
            "elements": [{"type": "rich_text_section", "elements": rich_text_elements(text)}],
        }
    ]
