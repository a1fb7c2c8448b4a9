"""The explanation of a claim's rating, and where the newsroom published the fact-check.

Written in a modal opened from the claim's thread once it has a verdict, editable any time (the
modal opens pre-filled). Every version is kept (claim_explanations, append-only); the claim row holds
the current one for the claim message, /claims and the exports. The published URL is what a
ClaimReview's `url` must be, so it is checked here: http(s), a host, no spaces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bot.casework.trail import EXPLANATION_SET, changed, lock_claim, record_event
from storage.models import Claim, ClaimExplanation

EXPLANATION_LIMIT = 2000
URL_LIMIT = 2000
# block_id of each modal input: view_submission errors are keyed by block_id.
EXPLANATION_BLOCK = "explanation"
URL_BLOCK = "published_url"


@dataclass(frozen=True)
class ExplanationDraft:
    """What the modal shows: the claim and its current explanation, if any."""

    claim_id: int
    claim_text: str
    verdict_label: str
    explanation: str
    published_url: str


def check_url(value: str) -> str | None:
    """Why `value` cannot be a published fact-check URL, or None when it can."""
    if len(value) > URL_LIMIT:
        return f"That URL is longer than {URL_LIMIT} characters."
    if any(c.isspace() for c in value):
        return "A URL cannot contain spaces."
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        return "Use the http:// or https:// address where the fact-check is published."
    if not parts.hostname or "." not in parts.hostname.strip("."):
        return "That URL has no web address (like https://newsroom.example/fact-check)."
    return None


def validate(text: str, url: str) -> dict[str, str]:
    """Errors by block_id, as view_submission's response_action=errors wants them (empty: valid)."""
    errors: dict[str, str] = {}
    if not text.strip():
        errors[EXPLANATION_BLOCK] = "Write a sentence or two on why the claim got this rating."
    elif len(text) > EXPLANATION_LIMIT:
        errors[EXPLANATION_BLOCK] = f"Keep it under {EXPLANATION_LIMIT} characters (it is {len(text)})."
    if url.strip():
        problem = check_url(url.strip())
        if problem:
            errors[URL_BLOCK] = problem
    return errors


def draft_for(session: Session, claim_id: int, label: Callable[[Claim], str]) -> ExplanationDraft | None:
    claim = session.get(Claim, claim_id)
    if claim is None:
        return None
    return ExplanationDraft(claim_id=claim.id, claim_text=claim.text, verdict_label=label(claim),
                            explanation=claim.explanation or "", published_url=claim.published_url or "")


def save(session: Session, claim_id: int, user: str, text: str, url: str, at: datetime) -> bool:
    """Store a new version (validated by the caller); False when the claim is gone or nothing changed."""
    claim = lock_claim(session, claim_id)
    if claim is None:
        return False
    text, published = text.strip(), url.strip() or None
    if (claim.explanation, claim.published_url) == (text, published):
        return False
    row = ClaimExplanation(claim_id=claim.id, user_id=user, text=text, published_url=published, created_at=at)
    session.add(row)
    session.flush()
    record_event(session, claim, user=user, kind=EXPLANATION_SET, key=f"explanation:{row.id}",
                 detail={"explanation_id": row.id, "published_url": published}, at=at)
    if published and published != claim.published_url:
        claim.published_at = at
    elif not published:
        claim.published_at = None
    claim.explanation, claim.published_url = text, published
    changed(session, claim, activity=at)
    return True
