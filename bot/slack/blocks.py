"""Small Block Kit helpers shared by the view builders: escaping, clipping, links, and Slack's limits.

Text that comes from articles or people is escaped so it cannot inject mentions or links.

Slack refuses a whole message (`invalid_blocks`, or slack_sdk raises before sending) when one field is
over its limit, and then nothing of it is posted. So every block list goes through `fit_blocks`, the
one place that knows the limits: it clips each field after escaping and link markup were added, and
clips mrkdwn without ever cutting an entity (`&amp;`) or a link (`<url|label>`) in half: a link that
does not fit is replaced by its label, which is plain text.
"""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.models.blocks import Block

# Slack's documented limits (api.slack.com/reference/block-kit): characters unless said otherwise.
TEXT_LIMIT = 3000  # any text object: section text, context element text
FIELD_LIMIT = 2000  # each of a section's fields
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
URL_LIMIT = 3000
ID_LIMIT = 255  # action_id, block_id
CONTEXT_ELEMENTS = 10
SECTION_FIELDS = 10
ACTIONS_ELEMENTS = 25
MESSAGE_BLOCKS = 50
HOME_BLOCKS = 100
MESSAGE_TEXT_LIMIT = 40_000

SECTION_LIMIT = TEXT_LIMIT
ELLIPSIS = "…"

# One indivisible piece of mrkdwn: a link/mention/channel reference, an entity, or one character.
_ATOM = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);|.", re.DOTALL)


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Clip plain (not yet escaped) text to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _label_of(atom: str) -> str:
    """The visible part of a `<target|label>` link (already escaped), or "" for a bare reference."""
    return atom[atom.index("|") + 1 : -1] if "|" in atom else ""


def _take(text: str, budget: int) -> tuple[str, bool]:
    """The longest whole-atom prefix of mrkdwn `text` within `budget`; True when all of it fitted.

    A link that does not fit whole gives way to its label (plain text), so the result never holds a
    broken `<...|` and the label's own entities stay whole.
    """
    out: list[str] = []
    used = 0
    for match in _ATOM.finditer(text):
        atom = match.group()
        if used + len(atom) <= budget:
            out.append(atom)
            used += len(atom)
            continue
        if atom.startswith("<") and len(atom) > 1:
            label, whole = _take(_label_of(atom), budget - used)
            out.append(label)
            used += len(label)
            if whole:
                continue
        return "".join(out), False
    return "".join(out), True


def fit_mrkdwn(text: str, limit: int = TEXT_LIMIT) -> str:
    """Clip already-escaped mrkdwn to `limit` characters without breaking entities or link markup."""
    if len(text) <= limit:
        return text
    kept, whole = _take(text, limit - len(ELLIPSIS))
    return kept if whole else kept.rstrip() + ELLIPSIS


def linkable(url: str) -> bool:
    """Only web links are made clickable: never javascript:, data:, slack:// or anything else."""
    return url[:8].lower().startswith(("http://", "https://"))


def link(url: str, label: str) -> str:
    """A mrkdwn link; a URL that is not http(s), or too long for any text object, becomes its (escaped)
    label alone."""
    target = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    shown = escape(clip(label, 200)).replace("|", "¦")
    if len(target) > URL_LIMIT - 100 or not linkable(url):
        return shown
    return f"<{target}|{shown}>"


def fit_text_object(obj: Any, limit: int) -> None:
    """Clip one text object in place: mrkdwn safely, plain text by characters."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return
    if obj.get("type") == "mrkdwn":
        obj["text"] = fit_mrkdwn(obj["text"], limit)
    else:
        obj["text"] = clip(obj["text"], limit)


def _fit_element(element: dict[str, Any]) -> None:
    if "action_id" in element and isinstance(element["action_id"], str):
        element["action_id"] = element["action_id"][:ID_LIMIT]
    if element.get("type") == "button":
        fit_text_object(element.get("text"), BUTTON_TEXT_LIMIT)
        if isinstance(element.get("value"), str):
            element["value"] = element["value"][:BUTTON_VALUE_LIMIT]


def fit_block(block: dict[str, Any]) -> dict[str, Any]:
    """One block dict within Slack's limits (clipped in place and returned)."""
    if isinstance(block.get("block_id"), str):
        block["block_id"] = block["block_id"][:ID_LIMIT]
    kind = block.get("type")
    if kind == "section":
        fit_text_object(block.get("text"), TEXT_LIMIT)
        if isinstance(block.get("fields"), list):
            block["fields"] = block["fields"][:SECTION_FIELDS]
            for field in block["fields"]:
                fit_text_object(field, FIELD_LIMIT)
        if isinstance(block.get("accessory"), dict):
            _fit_element(block["accessory"])
    elif kind == "header":
        fit_text_object(block.get("text"), HEADER_LIMIT)
    elif kind == "context":
        block["elements"] = list(block.get("elements") or [])[:CONTEXT_ELEMENTS]
        for element in block["elements"]:
            fit_text_object(element, TEXT_LIMIT)
    elif kind == "actions":
        block["elements"] = list(block.get("elements") or [])[:ACTIONS_ELEMENTS]
        for element in block["elements"]:
            if isinstance(element, dict):
                _fit_element(element)
    return block


def fit_blocks(blocks: list[dict[str, Any]], max_blocks: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """A block list within Slack's limits: every field clipped, at most `max_blocks` blocks."""
    return [fit_block(block) for block in blocks[:max_blocks]]


def fit_message_text(text: str) -> str:
    """A message's top-level `text` (the notification fallback) within Slack's 40,000 characters."""
    return clip(text, MESSAGE_TEXT_LIMIT)


def as_dicts(*blocks: Block, max_blocks: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """Blocks as dicts within Slack's limits.

    The block's own slack_sdk validation is skipped on purpose: it raises on an over-long section,
    which would cost the whole message; `fit_blocks` clips instead.
    """
    return fit_blocks([block.get_non_null_attributes() for block in blocks], max_blocks)


def quote_block(text: str) -> str:
    return "\n".join(f">{line}" for line in escape(text).splitlines() or [""])
