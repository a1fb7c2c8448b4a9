"""Read Slack event payloads into the pipeline's terms (plain dicts in, dataclasses out).

This is where the bot decides which messages are its business: human messages with article links,
new or broadcast from a thread. Edits, deletions, joins, bot and app messages, its own messages and
events from another workspace (filtered by a middleware in handlers/) are not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.intake.accept import LinkMessage
from bot.intake.links import find_article_links

# Message subtypes that are a person saying something new.
_HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})


# Slack's ids are short (channel and user ids about 11 characters, a ts 17, an event id about 11); the
# columns that store them are 32 characters (64 for event ids). A signed event whose ids are longer is
# not one Slack sent as documented, and PostgreSQL would refuse to store it: it is ignored, not a 500.
ID_LIMIT = 32
EVENT_ID_LIMIT = 64
_ID_FIELDS = ("channel", "user", "ts", "thread_ts", "event_ts", "item_user")


def ids_too_long(body: Mapping[str, Any]) -> bool:
    """Whether an Events API body carries an id longer than the bot can store."""
    event_id = body.get("event_id")
    if isinstance(event_id, str) and len(event_id) > EVENT_ID_LIMIT:
        return True
    event = body["event"] if isinstance(body.get("event"), Mapping) else {}
    item = event["item"] if isinstance(event.get("item"), Mapping) else {}
    values = [event.get(name) for name in _ID_FIELDS] + [item.get("channel"), item.get("ts"), body.get("team_id")]
    return any(isinstance(value, str) and len(value) > ID_LIMIT for value in values)


def thread_reply_from_event(event: Mapping[str, Any], *, bot_user_id: str | None) -> tuple[str, str, str] | None:
    """(channel, thread_ts, ts) of a person's reply in a thread, or None: how the desk sees a thread is alive."""
    if event.get("type") != "message" or event.get("subtype") not in _HUMAN_SUBTYPES:
        return None
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user") or event.get("user") == bot_user_id:
        return None
    channel, ts, thread_ts = event.get("channel"), event.get("ts"), event.get("thread_ts")
    if not (isinstance(channel, str) and isinstance(ts, str) and isinstance(thread_ts, str)) or ts == thread_ts:
        return None
    return channel, thread_ts, ts


def link_message_from_event(
    event: Mapping[str, Any], *, team_id: str | None, bot_user_id: str | None, max_links: int,
) -> LinkMessage | None:
    """The links a message event asks the bot to check, or None when it should be ignored."""
    if event.get("type") != "message" or event.get("subtype") not in _HUMAN_SUBTYPES:
        return None
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return None
    if bot_user_id and event.get("user") == bot_user_id:
        return None
    channel, ts = event.get("channel"), event.get("ts")
    if not isinstance(channel, str) or not isinstance(ts, str):
        return None
    text = event["text"] if isinstance(event.get("text"), str) else ""
    blocks = event.get("blocks") if isinstance(event.get("blocks"), list) else None
    found = find_article_links(text[:40_000], blocks, limit=max_links)
    if not found.urls and not found.too_long:
        return None
    thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None
    return LinkMessage(team_id=team_id, channel_id=channel, message_ts=ts, thread_ts=thread_ts,
                       user_id=str(event.get("user")), urls=found.urls, dropped=found.dropped,
                       too_long=found.too_long)
