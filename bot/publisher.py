"""Everything the bot sends to Slack goes through here.

The Web API client retries what Slack asks it to (429 with Retry-After, 5xx) through slack_sdk's
retry handlers. What it must not do blindly is re-send chat.postMessage after a lost response: the
first request may have been posted. So every post carries message metadata naming what it is (claim
id, link post id); after a connection error, and before any post made by a job that is being resumed,
the channel is searched for a bot message with the same metadata and that one is used instead.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.views import Message

log = logging.getLogger(__name__)

SEEN_REACTION = "mag"
_HARMLESS_REACTION_ERRORS = {"already_reacted", "no_reaction", "message_not_found", "channel_not_found",
                             "not_in_channel", "is_archived"}
_LOOKBACK_SECONDS = 15 * 60


class PostError(Exception):
    """Slack refused a post; `code` is Slack's error string."""

    def __init__(self, code: str, channel: str) -> None:
        super().__init__(f"Slack refused to post in {channel}: {code}")
        self.code = code
        self.channel = channel


def make_client(token: str, base_url: str, timeout: float = 15) -> WebClient:
    """A WebClient for posting: retries 429s and 5xx, but not lost connections (see module doc)."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5), ServerErrorRetryHandler(max_retry_count=3)],
    )


def make_reader_client(token: str, base_url: str, timeout: float = 15) -> WebClient:
    """A WebClient for idempotent calls (reads, reactions, updates): connection errors are retried too."""
    client = make_client(token, base_url, timeout)
    client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
    return client


class SlackPublisher:
    def __init__(self, client: WebClient, reader: WebClient | None = None) -> None:
        self.client = client
        self.reader = reader or client
        self._identity: dict[str, str] | None = None
        # Pauses between looks for a post whose answer was lost, before posting again (about 7 s in all).
        self.lost_answer_waits: tuple[float, ...] = (0.5, 1.0, 2.0, 3.5)
        self._lock = threading.Lock()

    def identity(self) -> dict[str, str]:
        """auth.test, once: the bot's own user id, bot id and team id."""
        with self._lock:
            if self._identity is None:
                answer = self.reader.auth_test()
                self._identity = {key: str(answer.get(key) or "") for key in ("user_id", "bot_id", "team_id")}
            return self._identity

    def mark_seen(self, channel: str, ts: str) -> None:
        """React so people see the bot is on it; a missing or archived message is not an error."""
        try:
            self.reader.reactions_add(channel=channel, timestamp=ts, name=SEEN_REACTION)
        except SlackApiError as exc:
            if exc.response.get("error") not in _HARMLESS_REACTION_ERRORS:
                raise

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None, resume: bool = False) -> str:
        """Post once and return the ts; with resume=True first look for an earlier copy of this post."""
        if resume and message.metadata:
            existing = self.find_posted(channel, message.metadata, thread_ts)
            if existing:
                log.info("found earlier post %s in %s; not posting again", existing, channel)
                return existing
        arguments: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": message.blocks,
                                     "unfurl_links": False, "unfurl_media": False}
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        if message.metadata:
            arguments["metadata"] = message.metadata
        for _attempt in range(3):
            try:
                return str(self.client.chat_postMessage(**arguments)["ts"])
            except SlackApiError as exc:
                raise PostError(str(exc.response.get("error")), channel) from exc
            except (SlackClientError, OSError) as exc:
                log.warning("chat.postMessage to %s: no answer (%s); checking whether it was posted",
                            channel, type(exc).__name__)
                existing = self._await_posted(channel, message, thread_ts)
                if existing:
                    return existing
        raise PostError("no_response", channel)

    def _await_posted(self, channel: str, message: Message, thread_ts: str | None) -> str | None:
        """After a lost answer, look for the post a few times (Slack may still be processing it)."""
        if not message.metadata:
            time.sleep(1.0)
            return None
        for wait in self.lost_answer_waits:
            time.sleep(wait)
            existing = self.find_posted(channel, message.metadata, thread_ts)
            if existing:
                return existing
        return None

    def find_posted(self, channel: str, metadata: dict[str, Any], thread_ts: str | None) -> str | None:
        """The ts of a recent bot message in channel (or thread) carrying exactly this metadata."""
        try:
            if thread_ts:
                answer = self.reader.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                                           limit=200)
            else:
                answer = self.reader.conversations_history(channel=channel, include_all_metadata=True, limit=200,
                                                           oldest=f"{time.time() - _LOOKBACK_SECONDS:.6f}")
        except SlackApiError as exc:
            log.warning("could not read %s to check for an earlier post: %s", channel, exc.response.get("error"))
            return None
        bot_id = self.identity().get("bot_id")
        for item in answer.get("messages") or []:
            mine = not bot_id or item.get("bot_id") in (None, bot_id)
            if mine and _same_metadata(item.get("metadata"), metadata):
                return str(item["ts"])
        return None

    def update(self, channel: str, ts: str, message: Message) -> None:
        arguments: dict[str, Any] = {"channel": channel, "ts": ts, "text": message.text, "blocks": message.blocks}
        if message.metadata:
            arguments["metadata"] = message.metadata
        self.reader.chat_update(**arguments)

    def permalink(self, channel: str, ts: str) -> str | None:
        try:
            return str(self.reader.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError as exc:
            log.warning("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
            return None

    def ephemeral(self, channel: str, user: str, message: Message, thread_ts: str | None = None) -> None:
        arguments: dict[str, Any] = {"channel": channel, "user": user, "text": message.text, "blocks": message.blocks}
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        try:
            self.client.chat_postEphemeral(**arguments)
        except SlackApiError as exc:
            log.warning("ephemeral message to %s in %s failed: %s", user, channel, exc.response.get("error"))


def _same_metadata(found: Any, wanted: dict[str, Any]) -> bool:
    if not isinstance(found, dict):
        return False
    return found.get("event_type") == wanted.get("event_type") and found.get("event_payload") == wanted.get(
        "event_payload")
