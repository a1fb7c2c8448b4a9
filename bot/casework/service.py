"""The workflow's entry points for the Slack listeners: short database writes, then wake the workers.

Each call runs on Slack's acknowledgement path, so none of them waits on anything slow: rendering the
claim message, reading source titles and posting reminders are background jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.casework import assignment, explanations
from bot.casework.explanations import ExplanationDraft
from bot.casework.views import explanation_modal
from bot.config.verdict_scale import VerdictScale
from bot.slack.gateway import SlackGateway, SlackRefused
from bot.slack.messages import claim_from_view_metadata, explanation_view_metadata
from bot.slack.timestamps import slack_time
from bot.verdicts.eligibility import Eligibility
from storage.db import Database
from storage.models import Claim

log = logging.getLogger(__name__)

NOT_ELIGIBLE = "Only the desk's fact-checkers (the FACTCHECKERS setting) can write the explanation of a rating."


class Casework:
    def __init__(self, db: Database, gateway: SlackGateway, scale: VerdictScale, eligibility: Eligibility, *,
                 assign_emoji: str, wake: Callable[[], None], metadata_key: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.gateway = gateway
        self.scale = scale
        self.eligibility = eligibility
        self.assign_emoji = assign_emoji
        self.wake = wake
        self.clock = clock
        self.metadata_key = metadata_key

    # -- taking a claim -------------------------------------------------------------------------

    def button(self, *, claim_id: int, user: str, taking: bool, action_ts: str | None) -> bool:
        with self.db.session() as session:
            done = assignment.by_button(session, claim_id, user, taking=taking, action_ts=action_ts,
                                        at=slack_time(action_ts))
        if done:
            self.wake()
        return done

    def reaction(self, session: Session, *, channel: str, ts: str, user: str, reaction: str, added: bool,
                 event_ts: str | None) -> bool | None:
        """The assignment reaction, inside the caller's transaction; None when it is not that reaction."""
        return assignment.by_reaction(session, assign_emoji=self.assign_emoji, channel=channel, ts=ts, user=user,
                                      reaction=reaction, added=added, event_ts=event_ts, at=slack_time(event_ts))

    # -- thread activity ------------------------------------------------------------------------

    def thread_activity(self, channel: str, thread_ts: str, ts: str) -> None:
        """A person wrote in a claim's thread: the claim is not stale (one indexed UPDATE, no lookup)."""
        at = slack_time(ts)
        with self.db.session() as session:
            session.execute(update(Claim).where(Claim.channel_id == channel, Claim.message_ts == thread_ts,
                                                (Claim.last_activity_at.is_(None)) | (Claim.last_activity_at < at))
                            .values(last_activity_at=at))

    # -- explanations ---------------------------------------------------------------------------

    def draft(self, claim_id: int) -> ExplanationDraft | None:
        with self.db.session() as session:
            return explanations.draft_for(session, claim_id,
                                          lambda c: self.scale.status_label(c.status, c.verdict))

    def open_explanation(self, *, trigger_id: str, claim_id: int, user: str) -> bool:
        """Open the explanation modal, pre-filled; False when the claim is unknown or Slack refused."""
        draft = self.draft(claim_id)
        if draft is None or not trigger_id:
            return False
        try:
            self.gateway.open_view(trigger_id, explanation_modal(
                draft, explanation_view_metadata(claim_id, user, self.metadata_key)))
        except SlackRefused as refused:
            log.warning("explanation modal for claim %s not opened: %s", claim_id, refused.code)
            return False
        return True

    def claim_in_view(self, private_metadata: str | None, user: str) -> int | None:
        """The claim a submitted modal is about, when the bot opened that modal for this very user."""
        return claim_from_view_metadata(private_metadata, user, self.metadata_key)

    def submit_explanation(self, *, claim_id: int | None, user: str, text: str, url: str) -> dict[str, str]:
        """Validate and store a submitted explanation; errors by block_id for the modal (empty: saved)."""
        errors = explanations.validate(text, url)
        if not errors and not self.eligibility(user):
            errors[explanations.EXPLANATION_BLOCK] = NOT_ELIGIBLE
        if errors:
            return errors
        if claim_id is None:
            return {explanations.EXPLANATION_BLOCK: "This form no longer matches a claim; open it again."}
        with self.db.session() as session:
            saved = explanations.save(session, claim_id, user, text, url, self.clock())
        if saved:
            self.wake()
        return {}
