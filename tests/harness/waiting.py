"""Waiting on the bot instead of sleeping: for a condition, for a link post to be finished, for the job
table to be idle, for an HTTP endpoint, and for *nothing more* to be posted.

Every wait has a deadline and fails with what it saw, so a red test says what did happen. Where a test
means "nothing more will happen", prefer wait_idle (deterministic: the bot records every job before it
acknowledges Slack) and use assert_quiet where the question is about time (a late duplicate post after a
lost or slow Slack answer, a process that may still be running).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tests.harness.posts import bot_replies

if TYPE_CHECKING:
    from tests.conftest import RunningBot
    from tests.harness.slack_api import SlackCall, SlackStandIn

T = TypeVar("T")

# The Web API methods by which the bot makes something appear in Slack.
POSTING = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update", "reactions.add", "views.publish"})


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, what: str = "the condition",
               interval: float = 0.05) -> T:
    """Poll predicate until it returns something truthy, and return that; AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def wait_http(url: str, timeout: float = 60.0, process: subprocess.Popen[bytes] | None = None,
              log_path: Path | None = None) -> None:
    """Wait until url answers below 500 (a server is up); stop early if process exits. The error carries
    the tail of log_path."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=0.5).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    tail = log_path.read_text()[-3000:] if log_path and log_path.exists() else ""
    raise RuntimeError(f"{url} did not come up in {timeout:g} s\n{tail}")


# -- the bot in this process (tests.conftest.RunningBot) -------------------------------------------------


def link_posts_finished(bot: RunningBot, channel: str, ts: str) -> bool:
    """True once no link post recorded for message ts is still queued (the reply is posted a moment
    before the record says so)."""
    from sqlalchemy import select

    from storage.models import LinkPost

    with bot.services.db.session() as session:
        statuses = session.scalars(select(LinkPost.status).where(LinkPost.channel_id == channel,
                                                                 LinkPost.message_ts == ts)).all()
    return "queued" not in statuses


def wait_for_card(bot: RunningBot, channel: str, ts: str, timeout: float = 20.0) -> dict[str, Any]:
    """The bot's last reply in the thread of message ts (card or notice), once its link post is finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = bot_replies(bot.slack, channel, ts)
        if replies and link_posts_finished(bot, channel, ts):
            return replies[-1]
        time.sleep(0.05)
    raise AssertionError(f"no reply in the thread of {ts}; calls: {[c.method for c in bot.slack.calls]}")


def busy_jobs(bot: RunningBot) -> list[tuple[str, str]]:
    """(kind, status) of every job running or due now (pending jobs held back to a later time are not due)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.models import Job

    now = datetime.now(UTC)
    with bot.services.db.session() as session:
        rows = session.execute(select(Job.kind, Job.status, Job.run_after)
                               .where(Job.status.in_(("pending", "running")))).all()
    return [(kind, status) for kind, status, run_after in rows
            if status == "running" or (run_after if run_after.tzinfo else run_after.replace(tzinfo=UTC)) <= now]


def wait_idle(bot: RunningBot, timeout: float = 10.0) -> None:
    """Wait until the inbox is empty and the job table idle: nothing running and nothing due. The bot
    records each event in its inbox before it acknowledges Slack, and applying it records its jobs before
    the row is deleted, so once this returns, everything the events sent so far cause has happened."""
    bot.services.worker.wake()
    deadline = time.monotonic() + timeout
    while busy := [("inbox", str(n)) for n in [bot.services.inbox.count()] if n] or busy_jobs(bot):
        if time.monotonic() >= deadline:
            raise AssertionError(f"jobs still busy after {timeout:g}s: {busy}")
        time.sleep(0.05)


# -- the Slack stand-in ---------------------------------------------------------------------------------


def assert_quiet(slack: SlackStandIn, seconds: float, methods: str | Collection[str] = POSTING,
                 where: Callable[[SlackCall], bool] | None = None) -> None:
    """Watch the stand-in for `seconds` and fail as soon as a call to one of `methods` (matching `where`,
    if given) arrives: "nothing more is posted". Calls made before this was called do not count; assert
    the counts so far separately."""
    wanted = {methods} if isinstance(methods, str) else set(methods)
    start = len(slack.calls)

    def unexpected() -> list[SlackCall]:
        return [c for c in slack.calls[start:] if c.method in wanted and (where is None or where(c))]

    try:
        found = slack.wait_for(unexpected, seconds)  # woken by every call the stand-in records
    except AssertionError:
        return  # the window passed with nothing unexpected: quiet
    raise AssertionError(f"expected no more {' or '.join(sorted(wanted))} for {seconds:g}s, got: "
                         f"{[(c.method, c.params.get('channel'), str(c.params.get('text'))[:60]) for c in found]}")
