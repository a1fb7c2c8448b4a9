"""The acknowledgement's one write (storage.inbox), end to end: Slack is answered without waiting for the
main database, and a worker applies what was recorded, once, in order, whatever fails on the way."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from storage.db import Database
from storage.inbox import Inbox
from storage.models import InboxEvent, LinkPost, Vote, utcnow
from tests.conftest import NEWS_CHANNEL, REPORTER, SAMPLE_HTML, RunningBot
from tests.harness.posts import claim_posts
from tests.harness.waiting import wait_for_card, wait_until

EDITOR = "U0EDITOR"


@contextmanager
def stalled_main_database(bot: RunningBot) -> Iterator[None]:
    """Hold what applying a link or a vote must write: SQLite's write lock on the main file, or on
    PostgreSQL the event-id table every application writes first."""
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with bot.services.db.engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE (storage.db)
            if bot.services.db.is_postgres:
                connection.exec_driver_sql("LOCK TABLE slack_events IN ACCESS EXCLUSIVE MODE")
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def count(bot: RunningBot, model: type[LinkPost] | type[Vote]) -> int:
    with bot.services.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def reaction(bot: RunningBot, ts: str, user: str, name: str, event_id: str, **kwargs: object) -> float:
    """Deliver a reaction event; returns how long the acknowledgement took."""
    bot.slack.add_reaction(NEWS_CHANNEL, ts, name, user)
    event = bot.sender.reaction_event(kind="reaction_added", user=user, reaction=name, channel=NEWS_CHANNEL,
                                      ts=ts, item_user="U0BOT")
    started = time.monotonic()
    assert bot.sender.event(event, event_id=event_id, **kwargs).status_code == 200  # type: ignore[arg-type]
    return time.monotonic() - started


def test_acknowledgements_do_not_wait_for_a_stalled_main_database(bot: RunningBot) -> None:
    first = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    wait_for_card(bot, NEWS_CHANNEL, first)
    claim = claim_posts(bot.slack, NEWS_CHANNEL)[0]
    bot.articles.add("/second", SAMPLE_HTML.read_bytes())
    links_before = count(bot, LinkPost)

    with stalled_main_database(bot):
        started = time.monotonic()
        second = bot.post_link(f"<{bot.article_url('/second')}>")
        link_ack = time.monotonic() - started
        vote_ack = reaction(bot, claim["ts"], EDITOR, "x", "Ev0STALLVOTE")
        assert link_ack < 1.0 and vote_ack < 1.0, (link_ack, vote_ack)
        assert bot.services.inbox.count() >= 1  # recorded, waiting for the main database
        assert count(bot, LinkPost) == links_before

    wait_for_card(bot, NEWS_CHANNEL, second, timeout=30)
    bot.settle(timeout=30)
    assert count(bot, LinkPost) == links_before + 1
    with bot.services.db.read_session() as session:
        votes = session.scalars(select(Vote.user_id).where(Vote.origin == "event")).all()
    assert votes == [EDITOR]


def test_a_redelivered_event_is_applied_once_before_and_after_its_row_is_applied(bot: RunningBot) -> None:
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    wait_for_card(bot, NEWS_CHANNEL, ts)
    claim = claim_posts(bot.slack, NEWS_CHANNEL)[0]
    reaction(bot, claim["ts"], EDITOR, "x", "Ev0TWICE")
    reaction(bot, claim["ts"], EDITOR, "x", "Ev0TWICE", retry_num=1)  # while its row may still wait
    bot.settle()
    reaction(bot, claim["ts"], EDITOR, "x", "Ev0TWICE", retry_num=2)  # after it was applied and deleted
    bot.settle()
    with bot.services.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Vote).where(Vote.origin == "event")) == 1


def test_a_row_that_cannot_be_applied_holds_up_nothing_and_is_dropped_in_the_end(
        bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    inbox = bot.services.inbox
    assert inbox.put("links", "Ev0BROKEN", {"channel_id": NEWS_CHANNEL})  # not a link message: cannot apply
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    wait_for_card(bot, NEWS_CHANNEL, ts)  # the rows after it were applied
    broken = wait_until(lambda: next((i for i in inbox.waiting() if i.attempts >= 1), None), 10,
                        "a failed attempt to be counted")
    assert broken.event_id == "Ev0BROKEN" and inbox.count() == 1  # kept: it may be a passing outage

    with caplog.at_level(logging.ERROR, logger="bot.runtime.composition"):
        with inbox.db.session() as session:
            session.execute(update(InboxEvent).values(attempts=10, received_at=utcnow() - timedelta(hours=1)))
        bot.services.worker.wake()
        wait_until(lambda: inbox.count() == 0, 10, "the old, failing row to be dropped")
    assert any("dropped it after repeated failures" in r.getMessage() for r in caplog.records)


def test_reactions_that_are_neither_votes_nor_assignments_are_not_recorded(bot: RunningBot) -> None:
    bot.services.worker.stop(timeout=5)  # nobody drains: what an ack recorded stays to be seen
    ts = bot.slack.post_human_message(NEWS_CHANNEL, "lunch?", user=REPORTER)
    for name in ("tada", "x"):
        bot.slack.add_reaction(NEWS_CHANNEL, ts, name, EDITOR)
        event = bot.sender.reaction_event(kind="reaction_added", user=EDITOR, reaction=name, channel=NEWS_CHANNEL,
                                          ts=ts, item_user=REPORTER)
        assert bot.sender.event(event).status_code == 200
    assert [(item.kind, item.payload["reaction"]) for item in bot.services.inbox.waiting()] == [("reaction", "x")]


@pytest.mark.parametrize("round_", range(30))
def test_processes_starting_together_share_one_inbox_file(tmp_path: Path, round_: int) -> None:
    """The web process and its workers open the inbox at once; none fails creating its table or switching
    the new files to WAL (which SQLite answers "locked" at once, past the busy timeout, while another
    connection switches it: one round in twenty failed so before storage.db retried it). Thirty rounds,
    because the race is rare."""
    db = Database(f"sqlite:///{tmp_path}/desk.db")
    errors: list[BaseException] = []
    opened: list[Inbox] = []
    start = threading.Barrier(8)

    def open_inbox() -> None:
        start.wait()
        try:
            opened.append(Inbox(db))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_inbox) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == [] and len(opened) == 8
    assert opened[0].put("links", "Ev0ONE", {"x": 1}) and not opened[1].put("links", "Ev0ONE", {"x": 1})
    assert [item.event_id for item in opened[2].waiting()] == ["Ev0ONE"]
    for inbox in opened:
        inbox.dispose()
    db.dispose()


def test_an_acknowledgement_waits_out_a_short_lock_on_the_inbox_file(tmp_path: Path) -> None:
    """A worker deleting applied rows holds the inbox file's lock for a moment: the acknowledgement's
    insert takes it as soon as it is free (its connection has SQLite's busy timeout off), not an error."""
    import sqlite3

    db = Database(f"sqlite:///{tmp_path}/desk.db")
    inbox = Inbox(db)
    holder = sqlite3.connect(f"{tmp_path}/desk.db-inbox", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    releaser.start()
    started = time.monotonic()
    assert inbox.put("links", "Ev0LOCKED", {"x": 1})
    assert 0.25 < time.monotonic() - started < 2.0
    releaser.join()
    holder.close()
    inbox.dispose()
    db.dispose()


def test_acknowledgements_arriving_together_are_written_as_one_group(tmp_path: Path) -> None:
    """Rows queued while the inbox file is locked go in together once it is free (group commit), each
    acknowledgement learning whether its own row was new; a failed group fails every one of its puts."""
    import sqlite3

    db = Database(f"sqlite:///{tmp_path}/desk.db", timeout=5)
    inbox = Inbox(db)
    assert inbox.put("reaction", "Ev0EARLIER", {"n": 0})  # the same event id again below: not new
    holder = sqlite3.connect(f"{tmp_path}/desk.db-inbox", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    before = inbox.groups_written
    results: dict[str, bool] = {}
    ids = [f"Ev0GROUP{n}" for n in range(6)] + ["Ev0EARLIER"]
    threads = [threading.Thread(target=lambda e=e: results.__setitem__(e, inbox.put("reaction", e, {"e": e})))
               for e in ids]
    for thread in threads:
        thread.start()
    time.sleep(0.4)  # every put has queued its row; the first waits for the file's lock
    holder.execute("COMMIT")
    for thread in threads:
        thread.join(5)
    assert results == {**{e: True for e in ids[:-1]}, "Ev0EARLIER": False}
    assert inbox.count() == 7
    assert inbox.groups_written - before < len(ids) - 2  # one group, two if a thread started late

    short = Inbox(Database(f"sqlite:///{tmp_path}/desk.db", timeout=0.3))
    holder.execute("BEGIN IMMEDIATE")  # held past the timeout: every put of the group fails, none hangs
    failures: list[BaseException] = []

    def put(event_id: str) -> None:
        try:
            short.put("reaction", event_id, {})
        except sqlite3.OperationalError as error:
            failures.append(error)

    stuck = [threading.Thread(target=put, args=(f"Ev0STUCK{n}",)) for n in range(3)]
    for thread in stuck:
        thread.start()
    for thread in stuck:
        thread.join(5)
    holder.execute("COMMIT")
    assert len(failures) == 3 and all("inbox" in str(f) for f in failures)
    assert inbox.count() == 7
    holder.close()
    for box in (inbox, short):
        box.dispose()
    db.dispose()


def test_an_acknowledgement_survives_the_server_dropping_the_inbox_connections(database_url: str) -> None:
    """PostgreSQL: the acknowledgements' own connections (storage.inbox) outlive a server restart or an
    idle-connection reaper: the one that fails is replaced and the row is still written."""
    db = Database(database_url)
    if not db.is_postgres:
        db.dispose()
        pytest.skip("the inbox has connections of its own only on PostgreSQL (TEST_DATABASE_URL)")
    from sqlalchemy import text

    inbox = Inbox(db)
    threads = [threading.Thread(target=inbox.put, args=("reaction", f"Ev0POOL{n}", {"n": n})) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    with db.engine.begin() as connection:  # what a restart does to every idle connection of the inbox
        killed = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND datname = current_database() AND query LIKE 'INSERT INTO inbox%'")).scalar()
    assert killed
    assert inbox.put("reaction", "Ev0AFTERDROP", {"n": 99})
    assert not inbox.put("reaction", "Ev0AFTERDROP", {"n": 99})  # the same event again: not new
    assert inbox.count() == 5
    inbox.dispose()
    db.dispose()


def test_a_new_row_wakes_listening_workers_by_itself_on_postgres(database_url: str) -> None:
    """PostgreSQL: the inbox's insert carries the NOTIFY (pg_notify in the same statement), so the web
    process sends no second one; a redelivered event (no new row) notifies no one. SQLite leaves waking
    to the job signal. (A channel of the test's own: other tests share the database's channels.)"""
    import uuid

    db = Database(database_url)
    channel = f"inbox_test_{uuid.uuid4().hex[:12]}"
    inbox = Inbox(db, notify_channel=channel)
    if not db.is_postgres:
        assert not inbox.notifies
        inbox.dispose()
        db.dispose()
        return
    assert inbox.notifies
    listener = db.own_connection()
    try:
        listener.execute(f"LISTEN {channel}")
        assert inbox.put("reaction", "Ev0NOTIFIES", {"n": 1})
        assert [n.channel for n in listener.notifies(timeout=5, stop_after=1)] == [channel]
        assert not inbox.put("reaction", "Ev0NOTIFIES", {"n": 1})
        assert list(listener.notifies(timeout=0.5)) == []
    finally:
        listener.close()
        inbox.dispose()
        db.dispose()
