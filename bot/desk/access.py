"""Whether a click may act on the claim (or card) its button names.

A button's value is only a number in a payload. Before any click changes anything, the claim it names
must be the one on the clicked message (the click's channel and message, or the thread under it), and
the clicker must be allowed to see that claim's channel (the private-channel rule, from recorded
facts: this runs before Slack is acknowledged and never asks Slack). A refused click changes nothing
and its clicker gets a private answer through the click's response_url, from a background job.

The explanation modal's private_metadata is signed with the bot's secret and names the person it was
opened for (bot.slack.messages), so a submission cannot be pointed at another claim or made by anyone else.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bot.desk.channels import ChannelDirectory
from bot.infra.job_kinds import ANSWER_CLICK, SYNC_CHANNEL, ChannelRef, ClickAnswer
from bot.infra.worker import JobContext
from bot.slack.gateway import SlackGateway
from storage.models import Claim, LinkPost, utcnow

NOT_THIS_MESSAGE = "That button does not belong to this message, so nothing was changed."
NOT_A_MEMBER = "This claim is in a channel you are not a member of, so I can't let you act on it."
NOT_SHAREABLE = ("The earlier claim is in a channel not open to everyone here, so its verdict can't be carried "
                 "over. Vote on this claim instead.")
NOT_KNOWN_YET = "I'm still learning who is in this channel. Please try again in a minute."


@dataclasses.dataclass(frozen=True)
class Click:
    """Where a button was clicked: the message (and thread) it was on, and where to answer privately."""

    user: str
    channel: str | None
    message_ts: str | None
    thread_ts: str | None = None
    response_url: str | None = None


def _on(click: Click, channel: str | None, *timestamps: str | None) -> bool:
    """Whether the click was on one of these messages of `channel`, or in the thread under one of them."""
    if not channel or click.channel != channel:
        return False
    stamps = {ts for ts in timestamps if ts}
    return bool(stamps) and (click.message_ts in stamps or (click.thread_ts is not None and click.thread_ts in stamps))


def refuse(session: Session, click: Click, text: str) -> str:
    """Queue the private answer to a refused click (when Slack gave a response_url); returns the text."""
    if click.response_url:
        ANSWER_CLICK.enqueue(session, ClickAnswer(click.response_url, text),
                             f"answer:{click.user}:{click.message_ts}:{utcnow().isoformat()}")
    return text


def _access(session: Session, click: Click, channel: str) -> str | None:
    allowed = ChannelDirectory.may_see(session, click.user, channel)
    if allowed is None:
        SYNC_CHANNEL.enqueue(session, ChannelRef(channel), f"channel:{channel}:click:{utcnow():%Y%m%d%H%M}")
        return refuse(session, click, NOT_KNOWN_YET)
    if not allowed:
        return refuse(session, click, NOT_A_MEMBER)
    return None


def claim_click(session: Session, claim_id: int, click: Click) -> str | None:
    """None when the click may act on the claim; else why not (its clicker is answered privately)."""
    claim = session.get(Claim, claim_id)
    if claim is None or not _on(click, claim.channel_id, claim.message_ts):
        return refuse(session, click, NOT_THIS_MESSAGE)
    return _access(session, click, str(claim.channel_id))


def same_claim_click(session: Session, claim_id: int, click: Click) -> str | None:
    """Like claim_click, and the earlier claim whose verdict "Same claim" carries over must still be
    one this claim's channel may see (its channel may have been made private since the match)."""
    refused = claim_click(session, claim_id, click)
    if refused is not None:
        return refused
    claim = session.get(Claim, claim_id)
    earlier = session.get(Claim, claim.seen_claim_id) if claim is not None and claim.seen_claim_id else None
    if earlier is not None and not ChannelDirectory.shareable_in(session, str(claim.channel_id),  # type: ignore[union-attr]
                                                                 earlier.channel_id or ""):
        return refuse(session, click, NOT_SHAREABLE)
    return None


def card_click(session: Session, link_post_id: int, click: Click) -> str | None:
    """Like claim_click, for a button on a link's card (the reply in the link's thread)."""
    link = session.get(LinkPost, link_post_id)
    if link is None or not _on(click, link.channel_id, link.reply_ts, link.message_ts):
        return refuse(session, click, NOT_THIS_MESSAGE)
    return _access(session, click, link.channel_id)


def claim_access(session: Session, claim_id: int, user: str) -> bool:
    """Whether `user` may see the claim (a modal's submission, where there is no clicked message)."""
    claim = session.get(Claim, claim_id)
    return claim is not None and bool(claim.channel_id) and \
        ChannelDirectory.may_see(session, user, str(claim.channel_id)) is True


# -- answering a refused click -------------------------------------------------------------------


def answer_url_allowed(url: str, slack_api_url: str) -> bool:
    """Only Slack's own response URLs (or the configured Slack API's host, for a stand-in) are answered."""
    parts, api = urlsplit(url), urlsplit(slack_api_url)
    if parts.scheme == "https" and parts.hostname == "hooks.slack.com":
        return True
    return bool(parts.hostname) and parts.hostname == api.hostname and parts.port == api.port


class ClickAnswers:
    def __init__(self, gateway: SlackGateway, slack_api_url: str) -> None:
        self.gateway = gateway
        self.slack_api_url = slack_api_url

    def answer_click(self, context: JobContext[ClickAnswer]) -> None:
        if answer_url_allowed(context.payload.response_url, self.slack_api_url):
            self.gateway.respond(context.payload.response_url, context.payload.text)
