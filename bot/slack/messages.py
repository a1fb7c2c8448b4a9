"""What the bot hands to Slack, and the metadata that names each post.

Every post carries message metadata saying what it is (this claim, this link post's card, this week's
summary). That is how the gateway finds a post whose answer was lost instead of posting it twice, so
the metadata of each kind of post is defined here, once, and producers and the lookup share it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from typing import Any

CLAIM_EVENT = "factcheck_claim"
CARD_EVENT = "factcheck_card"
VERDICT_NOTE_EVENT = "factcheck_verdict"
WEEKLY_EVENT = "factcheck_weekly"
REQUEST_EVENT = "factcheck_request"
NOTICE_EVENT = "factcheck_notice"
MORE_EVENT = "factcheck_more"
RETURNED_EVENT = "factcheck_returned"
PUBLISHED_EVENT = "factcheck_published"
NUDGE_EVENT = "factcheck_nudge"
LLM_BUDGET_EVENT = "factcheck_llm_budget"


@dataclass(frozen=True)
class Message:
    """A message ready to post: plain-text fallback (notifications, screen readers), blocks, metadata."""

    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None = None

    def tagged(self, metadata: dict[str, Any]) -> Message:
        return replace(self, metadata=metadata)


def _metadata(event_type: str, **payload: Any) -> dict[str, Any]:
    return {"event_type": event_type, "event_payload": payload}


def claim_metadata(claim_id: int) -> dict[str, Any]:
    return _metadata(CLAIM_EVENT, claim_id=claim_id)


def card_metadata(link_post_id: int) -> dict[str, Any]:
    """The one reply under a pasted link: card, failure, no-claims or duplicate notice."""
    return _metadata(CARD_EVENT, link_post_id=link_post_id)


def verdict_note_metadata(claim_id: int, version: int) -> dict[str, Any]:
    return _metadata(VERDICT_NOTE_EVENT, claim_id=claim_id, version=version)


def weekly_metadata(week: str, channel: str) -> dict[str, Any]:
    return _metadata(WEEKLY_EVENT, week=week, channel=channel)


def request_metadata(trigger: str) -> dict[str, Any]:
    return _metadata(REQUEST_EVENT, trigger=trigger)


def notice_metadata(channel: str, message_ts: str) -> dict[str, Any]:
    return _metadata(NOTICE_EVENT, channel=channel, ts=message_ts)


def llm_budget_metadata(month: str) -> dict[str, Any]:
    """The once-a-month note that the language model's token budget is spent."""
    return _metadata(LLM_BUDGET_EVENT, month=month)


def more_claims_metadata(link_post_id: int) -> dict[str, Any]:
    return _metadata(MORE_EVENT, link_post_id=link_post_id)


def returned_metadata(claim_id: int) -> dict[str, Any]:
    """The note in an earlier claim's thread that `claim_id` brought it back."""
    return _metadata(RETURNED_EVENT, claim_id=claim_id)


def published_metadata(claim_id: int) -> dict[str, Any]:
    """The list of published fact-checks posted in a claim's thread."""
    return _metadata(PUBLISHED_EVENT, claim_id=claim_id)
def nudge_metadata(claim_id: int, stamp: str) -> dict[str, Any]:
    """A stale-claim reminder in a claim's thread; the stamp tells one nudge from the next."""
    return _metadata(NUDGE_EVENT, claim_id=claim_id, stamp=stamp)


def _view_mac(key: str, claim_id: int, user: str) -> str:
    return hmac.new(key.encode(), f"explain:{claim_id}:{user}".encode(), hashlib.sha256).hexdigest()


def explanation_view_metadata(claim_id: int, user: str, key: str) -> str:
    """The explanation modal's private_metadata: which claim, for whom, signed with the bot's secret, so a
    submission cannot be pointed at another claim or made by someone the modal was not opened for."""
    return json.dumps({"claim_id": claim_id, "user": user, "sig": _view_mac(key, claim_id, user)})


def claim_from_view_metadata(private_metadata: str | None, user: str, key: str) -> int | None:
    """The claim id back from a submitted explanation modal: None unless we signed it for this user."""
    try:
        data = json.loads(private_metadata or "")
        claim_id, sig = data["claim_id"], data["sig"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(claim_id, int) or isinstance(claim_id, bool) or not isinstance(sig, str):
        return None
    return claim_id if hmac.compare_digest(_view_mac(key, claim_id, user), sig) else None


def same_metadata(found: Any, wanted: dict[str, Any]) -> bool:
    """Whether a message read back from Slack carries exactly this metadata."""
    if not isinstance(found, dict):
        return False
    return found.get("event_type") == wanted.get("event_type") and found.get("event_payload") == wanted.get(
        "event_payload")
