"""Small Block Kit helpers shared by the view builders: escaping, clipping, links.

Text that comes from articles or people is escaped so it cannot inject mentions or links.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

SECTION_LIMIT = 2900  # Slack allows 3000 characters per section text


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{escape(clip(label, 200)).replace('|', '¦')}>"


def as_dicts(*blocks: Block) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def quote_block(text: str) -> str:
    return "\n".join(f">{line}" for line in escape(text).splitlines() or [""])
