"""Counting what the bot posted (in the Slack stand-in) and what it stored (in its database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.conftest import RunningBot
    from tests.harness.slack_api import SlackStandIn


def claim_posts(slack: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    """The bot's top-level claim messages in channel, in posting order."""
    # A thread parent carries thread_ts equal to its own ts once it has replies, as in Slack.
    return [m for m in slack.bot_messages(channel)
            if m.get("thread_ts") in (None, m["ts"]) and "Claim " in (m.get("text") or "")]


def bot_replies(slack: SlackStandIn, channel: str, ts: str) -> list[dict[str, Any]]:
    """The bot's replies in the thread of message ts (the card, or a notice)."""
    return [m for m in slack.thread(channel, ts) if m.get("bot_id") and m["ts"] != ts]


def row_count(bot: RunningBot, model: type) -> int:
    """Rows of a storage model in the bot's database."""
    from sqlalchemy import func, select

    with bot.services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
