"""The Slack gateway: every Web API call the bot makes goes through here, and only here is a client built.

Business logic calls named operations (post, update, reactions_on, publish_home, channel_members, ...)
and gets plain values or a `SlackRefused` with Slack's error code; it never sees slack_sdk.

The Web API clients retry what Slack asks them to (429 with Retry-After; 5xx for idempotent calls)
through slack_sdk's retry handlers. What must not happen blindly is re-sending chat.postMessage after a
lost response or a 5xx: Slack may have posted before failing to answer. So every post carries message
metadata naming what it is (claim id, link post id); after a connection error, a 5xx, and before any
post made by a job that is being resumed, the channel is searched for a bot message with the same
metadata and that one is used instead. The posting client therefore has no 5xx retry handler.

Every call ends by a total deadline and reads at most a size cap (bot.slack.transport): a Slack that
trickles its answer or keeps answering 429 cannot hold a worker or a request thread past it. Running out
of time counts as a lost answer (a post is looked for before posting again).

Cosmetic calls (the :mag: reaction) never stop the work: whatever Slack answers is logged and ignored.
"""

from __future__ import annotations

import logging
import math
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
from slack_sdk.webhook import WebhookClient

from bot.slack.blocks import fit_message_text
from bot.slack.messages import Message, same_metadata
from bot.slack.transport import MAX_ANSWER_BYTES, BoundedWebClient, DeadlineRetry, calls_within

log = logging.getLogger(__name__)

SEEN_REACTION = "mag"
_HARMLESS_REACTION_ERRORS = {"already_reacted", "no_reaction", "message_not_found", "channel_not_found",
                             "not_in_channel", "is_archived"}
_LOOKBACK_SECONDS = 15 * 60


class SlackRefused(Exception):
    """Slack answered a call with an error; `code` is Slack's error string (`not_in_channel`, ...)."""

    def __init__(self, code: str, what: str) -> None:
        super().__init__(f"Slack refused {what}: {code}")
        self.code = code


class SlackUnreachable(Exception):
    """No answer from Slack's Web API within the deadline (no route, DNS, proxy, a server that stalls)."""


class PostError(SlackRefused):
    """Slack refused a post (or never answered one)."""

    def __init__(self, code: str, channel: str) -> None:
        super().__init__(code, f"to post in {channel}")
        self.channel = channel


def _code(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "unknown_error")


# The probe's failures are reported by its caller in one line; slack_sdk's own error log would repeat them.
_quiet = logging.getLogger(__name__ + ".probe")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def probe(method: str, token: str, base_url: str, deadline: float) -> dict[str, Any]:
    """One call, for start-up checks: Slack's answer within `deadline` seconds in all (DNS, connecting and
    reading included), `SlackRefused` with Slack's code, or `SlackUnreachable`. Nothing is retried: a
    start-up check that fails should say so at once, not after the retry handlers' back-off."""
    client = WebClient(token=token, base_url=base_url, timeout=max(1, int(deadline)), retry_handlers=[],
                       logger=_quiet)
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            data = client.api_call(method).data
            outcome["answer"] = dict(data) if isinstance(data, dict) else {}
        except SlackApiError as exc:
            outcome["refused"] = _code(exc)
        except (SlackClientError, OSError, ValueError) as exc:
            reason = str(getattr(exc, "reason", None) or exc).strip().splitlines()
            outcome["unreachable"] = (reason[0][:160] if reason else "") or type(exc).__name__

    caller = threading.Thread(target=call, name=f"probe-{method}", daemon=True)
    caller.start()
    caller.join(deadline)
    if "answer" in outcome:
        return dict(outcome["answer"])
    if "refused" in outcome:
        raise SlackRefused(str(outcome["refused"]), f"{method}")
    raise SlackUnreachable(str(outcome.get("unreachable") or f"no answer within {deadline:g} s"))


def _posting_client(token: str, base_url: str, timeout: float, deadline: float,
                    max_answer_bytes: int) -> BoundedWebClient:
    """A WebClient for posting: retries 429s only (Slack did nothing), never 5xx or lost connections.

    A 5xx may come after the message was posted, so `SlackGateway.post` handles it like a lost answer.
    """
    return BoundedWebClient(
        token=token,
        base_url=base_url,
        timeout=math.ceil(timeout),  # whole seconds (slack_sdk's type); never shorter than asked
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)],
        deadline=deadline,
        max_answer_bytes=max_answer_bytes,
    )


def _idempotent_client(token: str, base_url: str, timeout: float, deadline: float,
                       max_answer_bytes: int) -> BoundedWebClient:
    """A WebClient for idempotent calls (reads, reactions, updates): 5xx and connection errors retried."""
    client = _posting_client(token, base_url, timeout, deadline, max_answer_bytes)
    client.retry_handlers.append(DeadlineRetry(ServerErrorRetryHandler(max_retry_count=3)))
    client.retry_handlers.append(DeadlineRetry(ConnectionErrorRetryHandler(max_retry_count=2)))
    return client


class SlackGateway:
    """Two clients on one token: `web_client` posts (never re-sent blindly), `_idempotent` retries more.

    `timeout` bounds each socket operation (SLACK_TIMEOUT); `deadline` bounds each call in all: connecting,
    every retry and its wait, and reading the whole answer (SLACK_CALL_DEADLINE, bot.slack.transport).
    """

    def __init__(self, token: str, base_url: str, timeout: float = 15, deadline: float = 30,
                 max_answer_bytes: int = MAX_ANSWER_BYTES) -> None:
        self.web_client = _posting_client(token, base_url, timeout, deadline, max_answer_bytes)
        self._idempotent = _idempotent_client(token, base_url, timeout, deadline, max_answer_bytes)
        self._timeout = timeout
        self._deadline = deadline
        self._identity: dict[str, str] | None = None
        # Pauses between looks for a post whose answer was lost, before posting again (about 7 s in all).
        self.lost_answer_waits: tuple[float, ...] = (0.5, 1.0, 2.0, 3.5)
        self._lock = threading.Lock()

    def identity(self) -> dict[str, str]:
        """auth.test, once: the bot's own user id, bot id and team id."""
        with self._lock:
            if self._identity is None:
                answer = self._idempotent.auth_test()
                self._identity = {key: str(answer.get(key) or "") for key in ("user_id", "bot_id", "team_id")}
            return self._identity

    def learn_identity(self, wait_at_most: float = 2.0) -> None:
        """Ask Slack who the bot is (auth.test), waiting at most `wait_at_most` seconds; a slower answer
        is awaited in the background, so neither start-up nor any event acknowledgement waits long for a
        slow or rate-limited auth.test (Bolt already called it once when the app was built). Until it is
        known, `known_identity()` is None and the checks that use it let events through."""

        def learn() -> None:
            try:
                self.identity()
            except (SlackClientError, OSError) as exc:
                log.warning("could not learn the bot's identity at start (%s); will ask again when needed",
                            type(exc).__name__)

        learner = threading.Thread(target=learn, name="learn-identity", daemon=True)
        learner.start()
        learner.join(wait_at_most)

    def known_identity(self) -> dict[str, str] | None:
        """The identity if already known, without calling Slack (for the acknowledgement path)."""
        return self._identity

    def mark_seen(self, channel: str, ts: str) -> None:
        """React so people see the bot is on it. Cosmetic: no answer of Slack's may stop the work."""
        try:
            self._idempotent.reactions_add(channel=channel, timestamp=ts, name=SEEN_REACTION)
        except SlackApiError as exc:
            level = logging.DEBUG if _code(exc) in _HARMLESS_REACTION_ERRORS else logging.WARNING
            log.log(level, "could not mark %s/%s as seen: %s; going on", channel, ts, _code(exc))
        except (SlackClientError, OSError) as exc:
            log.warning("could not mark %s/%s as seen (%s); going on", channel, ts, type(exc).__name__)

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None, resume: bool = False) -> str:
        """Post once and return the ts; with resume=True first look for an earlier copy of this post.

        The post and the looks for it after a lost answer end within twice the call deadline in all; then
        `PostError("no_response")`, and the job's next attempt (resumed) looks for the post first.
        """
        with calls_within(2 * self._deadline) as until:
            return self._post(channel, message, thread_ts, resume, until)

    def _post(self, channel: str, message: Message, thread_ts: str | None, resume: bool, until: float) -> str:
        if resume and message.metadata:
            existing = self.find_posted(channel, message.metadata, thread_ts)
            if existing:
                log.info("found earlier post %s in %s; not posting again", existing, channel)
                return existing
        arguments: dict[str, Any] = {"channel": channel, "text": fit_message_text(message.text),
                                     "blocks": message.blocks, "unfurl_links": False, "unfurl_media": False}
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        if message.metadata:
            arguments["metadata"] = message.metadata
        for _attempt in range(3):
            if time.monotonic() >= until:
                log.warning("chat.postMessage to %s: no answer within %.0f s; giving up for now",
                            channel, 2 * self._deadline)
                break
            try:
                return str(self.web_client.chat_postMessage(**arguments)["ts"])
            except SlackApiError as exc:
                if exc.response.status_code < 500:
                    raise PostError(_code(exc), channel) from exc
                # Slack may have posted and then failed to answer: look before posting again.
                log.warning("chat.postMessage to %s: HTTP %d; checking whether it was posted",
                            channel, exc.response.status_code)
            except (SlackClientError, OSError) as exc:
                log.warning("chat.postMessage to %s: no answer (%s); checking whether it was posted",
                            channel, type(exc).__name__)
            existing = self._await_posted(channel, message, thread_ts, until)
            if existing:
                return existing
        raise PostError("no_response", channel)

    def _await_posted(self, channel: str, message: Message, thread_ts: str | None, until: float) -> str | None:
        """After a lost answer, look for the post a few times (Slack may still be processing it)."""
        if not message.metadata:
            time.sleep(max(0.0, min(1.0, until - time.monotonic())))
            return None
        unsure = False
        for wait in self.lost_answer_waits:
            if time.monotonic() + wait >= until:
                break
            time.sleep(wait)
            try:
                existing = self.find_posted(channel, message.metadata, thread_ts)
            except (SlackClientError, OSError) as exc:
                log.warning("could not look for the post in %s (%s)", channel, type(exc).__name__)
                unsure = True
                continue
            if existing:
                return existing
        if unsure:  # it may be there: posting again could post twice; the job's resumed attempt looks first
            raise PostError("no_response", channel)
        return None

    def find_posted(self, channel: str, metadata: dict[str, Any], thread_ts: str | None) -> str | None:
        """The ts of a recent bot message in channel (or thread) carrying exactly this metadata."""
        try:
            if thread_ts:
                answer = self._idempotent.conversations_replies(channel=channel, ts=thread_ts,
                                                                include_all_metadata=True, limit=200)
            else:
                answer = self._idempotent.conversations_history(channel=channel, include_all_metadata=True,
                                                                limit=200,
                                                                oldest=f"{time.time() - _LOOKBACK_SECONDS:.6f}")
        except SlackApiError as exc:
            # Not in the channel (or no such channel): the post itself is refused with the same reason.
            level = logging.INFO if _code(exc) in ("channel_not_found", "not_in_channel") else logging.WARNING
            log.log(level, "could not read %s to check for an earlier post: %s", channel, _code(exc))
            return None
        bot_id = self.identity().get("bot_id")
        for item in answer.get("messages") or []:
            mine = not bot_id or item.get("bot_id") in (None, bot_id)
            if mine and same_metadata(item.get("metadata"), metadata):
                return str(item["ts"])
        return None

    def update(self, channel: str, ts: str, message: Message) -> None:
        arguments: dict[str, Any] = {"channel": channel, "ts": ts, "text": fit_message_text(message.text),
                                     "blocks": message.blocks}
        if message.metadata:
            arguments["metadata"] = message.metadata
        try:
            self._idempotent.chat_update(**arguments)
        except SlackApiError as exc:
            raise SlackRefused(_code(exc), f"to update {channel}/{ts}") from exc

    def permalink(self, channel: str, ts: str) -> str | None:
        try:
            return str(self._idempotent.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError as exc:
            log.warning("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
            return None

    def post_ephemeral(self, channel: str, user: str, message: Message, thread_ts: str | None = None) -> None:
        arguments: dict[str, Any] = {"channel": channel, "user": user, "text": fit_message_text(message.text),
                                     "blocks": message.blocks}
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        try:
            self.web_client.chat_postEphemeral(**arguments)
        except SlackApiError as exc:
            log.warning("ephemeral message to %s in %s failed: %s", user, channel, exc.response.get("error"))

    def reactions_on(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The reactions on a message as Slack holds them now (reactions.get, all users)."""
        try:
            answer = self._idempotent.reactions_get(channel=channel, timestamp=ts, full=True)
        except SlackApiError as exc:
            raise SlackRefused(_code(exc), f"to read the reactions on {channel}/{ts}") from exc
        return list((answer.get("message") or {}).get("reactions") or [])

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        try:
            self._idempotent.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            raise SlackRefused(_code(exc), f"to publish App Home for {user}") from exc

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """views.open: show a modal to whoever clicked.

        The trigger_id is valid once, for 3 seconds, so a lost answer is not re-sent (the posting client).
        """
        try:
            self.web_client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            raise SlackRefused(_code(exc), "to open a modal") from exc

    def usergroup_members(self, group: str) -> list[str]:
        try:
            return [str(u) for u in self._idempotent.usergroups_users_list(usergroup=group).get("users") or []]
        except SlackApiError as exc:
            raise SlackRefused(_code(exc), f"to list the members of {group}") from exc

    def channel_info(self, channel: str) -> dict[str, Any] | None:
        """conversations.info's channel object, or None when Slack will not say (not found, no access)."""
        try:
            return dict(self._idempotent.conversations_info(channel=channel).get("channel") or {})
        except SlackApiError as exc:
            log.info("conversations.info %s: %s", channel, _code(exc))
            return None

    def channel_members(self, channel: str) -> frozenset[str] | None:
        """Every member of a channel (all pages), or None when Slack will not say."""
        members: set[str] = set()
        cursor = None
        try:
            while True:
                page = self._idempotent.conversations_members(channel=channel, cursor=cursor, limit=1000)
                members.update(page.get("members") or [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return frozenset(members)
        except SlackApiError as exc:
            log.info("conversations.members %s: %s", channel, _code(exc))
            return None

    def find_channel(self, name: str) -> str | None:
        """The id of the (not archived) channel called `name`, if the bot can see it."""
        cursor = None
        try:
            while True:
                page = self._idempotent.conversations_list(types="public_channel,private_channel", limit=1000,
                                                          exclude_archived=True, cursor=cursor)
                for channel in page.get("channels") or []:
                    if channel.get("name") == name:
                        return str(channel["id"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except SlackApiError as exc:
            log.info("conversations.list: %s", _code(exc))
            return None

    def respond(self, response_url: str | None, text: str) -> None:
        """An ephemeral answer to a slash command through its response_url (best effort, logged)."""
        if not response_url:
            return
        failed: list[str] = []

        def send() -> None:
            try:
                WebhookClient(response_url, timeout=int(max(1, self._timeout))).send(
                    text=text, response_type="ephemeral", replace_original=False)
            except (SlackClientError, OSError) as exc:
                failed.append(type(exc).__name__)

        # WebhookClient has no total deadline of its own: the caller waits at most SLACK_CALL_DEADLINE and
        # goes on; the answer is a few bytes from Slack's own host (bot.desk.access checks the URL).
        sender = threading.Thread(target=send, name="respond", daemon=True)
        sender.start()
        sender.join(self._deadline)
        if sender.is_alive():
            log.warning("could not answer through response_url: no answer within %.0f s", self._deadline)
        elif failed:
            log.warning("could not answer through response_url: %s", failed[0])
