"""Worker processes: the web process acknowledges and records, `python app.py worker` does the work.

Real processes (`python app.py`, `python app.py worker`) against the Slack stand-in and the article
server, on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL): a link queued while no
worker runs waits, a worker started on its own turns it into a card without serving HTTP, the default
start spawns worker processes that do the work, and a worker never outlives the process that started it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.db import normalise_url
from tests.conftest import BOT_TOKEN, NEWS_CHANNEL, REPORTER, SAMPLE_HTML, SIGNING_SECRET
from tests.harness.article_server import ArticleServer
from tests.harness.posts import bot_replies
from tests.harness.processes import APP, ROOT, bot_env, bot_process, free_port
from tests.harness.signing import SlackEventSender
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import wait_until


@pytest.fixture
def env(database_url: str, slack: SlackStandIn, articles: ArticleServer) -> dict[str, str]:
    articles.add("/story", SAMPLE_HTML.read_bytes())
    return bot_env(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, slack_api_url=slack.api_url,
                   database_url=database_url, port=free_port(), article_hostport=f"127.0.0.1:{articles.port}",
                   WORKER_THREADS="2", LOG_LEVEL="INFO")


def send_link(env: dict[str, str], slack: SlackStandIn, articles: ArticleServer, path: str = "/story") -> str:
    url = f"http://127.0.0.1:{articles.port}{path}"
    sender = SlackEventSender(f"http://127.0.0.1:{env['PORT']}/slack/events", SIGNING_SECRET)
    ts = slack.post_human_message(NEWS_CHANNEL, f"<{url}>", user=REPORTER)
    response = sender.event(sender.message_event(channel=NEWS_CHANNEL, user=REPORTER, text=f"<{url}>", ts=ts))
    sender.client.close()
    assert response.status_code == 200, response.text
    return ts


def query(database_url: str, sql: str) -> list[tuple]:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def children(pid: int) -> list[int]:
    """Live processes whose parent is pid (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def worker_pids(database_url: str) -> set[int]:
    """The pids (host:pid:... worker ids) that ran the finished jobs."""
    return {int(locked_by.split(":")[1]) for (locked_by,) in
            query(database_url, "SELECT locked_by FROM jobs WHERE status = 'done'") if locked_by}


@pytest.fixture
def worker_command(env: dict[str, str], tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`python app.py worker` processes started by a test; stopped (SIGTERM, then SIGKILL) at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, str(APP), "worker"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def test_web_without_workers_records_and_app_worker_turns_the_link_into_a_card(
        env, slack, articles, database_url, worker_command, tmp_path) -> None:
    web_env = dict(env, WORKER_PROCESSES="0")
    with bot_process(web_env, tmp_path / "web.log") as web:
        ts = send_link(web_env, slack, articles)
        # Acknowledged and recorded in the inbox, but this process applies nothing and does no article
        # work: the event waits for a worker.
        inbox = f"{database_url}-inbox" if database_url.startswith("sqlite") else database_url
        assert query(inbox, "SELECT kind FROM inbox") == [("links",)]
        time.sleep(1.5)
        assert query(database_url, "SELECT count(*) FROM link_posts") == [(0,)]
        assert query(inbox, "SELECT count(*) FROM inbox") == [(1,)]
        assert articles.hits("/story") == 0 and not bot_replies(slack, NEWS_CHANNEL, ts)
        assert children(web.pid) == []

        worker_env = dict(env, PORT=str(free_port()))
        worker = start_worker(worker_env, tmp_path / "worker.log")
        worker_command.append(worker)
        wait_until(lambda: bot_replies(slack, NEWS_CHANNEL, ts), 60, "the card from `app.py worker`")
        assert worker.poll() is None
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(worker_env["PORT"])), timeout=1):
            pass  # the worker serves no HTTP
        # The job is marked done just after its card is posted.
        wait_until(lambda: worker_pids(database_url) == {worker.pid}, 10, "the job recorded as done by the worker")

        # A second link, while the worker is already idle: the web process's signal wakes it at once.
        articles.add("/second", SAMPLE_HTML.read_bytes())
        sent = time.monotonic()
        second = send_link(web_env, slack, articles, "/second")
        wait_until(lambda: bot_replies(slack, NEWS_CHANNEL, second), 30, "the second card")
        assert time.monotonic() - sent < 15
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert "job worker shutting down (SIGTERM)" in (tmp_path / "worker.log").read_text()


def test_default_start_spawns_worker_processes_that_do_the_work(env, slack, articles, database_url,
                                                                tmp_path) -> None:
    log_path = tmp_path / "bot.log"
    with bot_process(dict(env, WORKER_PROCESSES="2"), log_path) as bot:
        wait_until(lambda: len(children(bot.pid)) == 2, 30, "two worker processes")
        spawned = set(children(bot.pid))
        ts = send_link(env, slack, articles)
        wait_until(lambda: bot_replies(slack, NEWS_CHANNEL, ts), 60, "the card")
        ran = wait_until(lambda: worker_pids(database_url), 10, "the job recorded as done")
        assert ran <= spawned  # the work ran in the children, none of it in the web process
        response = SlackEventSender(bot.url, SIGNING_SECRET).client.get(f"http://127.0.0.1:{bot.port}/healthz")
        assert response.status_code == 200
        assert bot.terminate() == 0
    for pid in spawned:
        assert not alive(pid)
    log = log_path.read_text()
    assert "shutting down (SIGTERM)" in log and "job worker shutting down (SIGTERM)" in log


def test_a_worker_process_that_dies_is_restarted(env, slack, articles, tmp_path) -> None:
    with bot_process(dict(env, WORKER_PROCESSES="1"), tmp_path / "bot.log") as bot:
        first = wait_until(lambda: children(bot.pid), 30, "the worker process")[0]
        os.kill(first, signal.SIGKILL)
        replacement = wait_until(lambda: [p for p in children(bot.pid) if p != first], 30, "a new worker process")
        assert replacement
        ts = send_link(env, slack, articles)
        wait_until(lambda: bot_replies(slack, NEWS_CHANNEL, ts), 60, "the card from the new worker")


def test_killing_the_web_process_leaves_no_orphans(env, slack, articles, tmp_path) -> None:
    bot = bot_process(dict(env, WORKER_PROCESSES="2"), tmp_path / "bot.log").start()
    try:
        spawned = wait_until(lambda: children(bot.pid) if len(children(bot.pid)) == 2 else None, 30,
                             "two worker processes")
        bot.kill_parent_only()  # SIGKILL: no chance to stop its children itself
        wait_until(lambda: not any(alive(pid) for pid in spawned), 30, "the worker processes to exit")
    finally:
        bot.kill()



def test_job_signal_reaches_a_listener_on_another_connection(database_url) -> None:
    """What wakes an idle worker process when the web process records a job (no polling of the queue)."""
    import threading

    from bot.infra.wakeup import job_signal
    from storage.db import Database

    sender_db, listener_db = Database(normalise_url(database_url)), Database(normalise_url(database_url))
    sender_db.migrate()
    sender, listener = job_signal(sender_db), job_signal(listener_db)
    assert sender is not None and listener is not None
    heard = threading.Semaphore(0)
    try:
        listener.listen(heard.release)
        assert heard.acquire(timeout=10)  # once at start: anything signalled before it listened
        time.sleep(0.3)  # PostgreSQL: LISTEN has taken effect
        while heard.acquire(blocking=False):
            pass
        sender.notify()
        assert heard.acquire(timeout=5)
    finally:
        sender.close()
        listener.close()
        sender_db.dispose()
        listener_db.dispose()


def test_a_read_session_does_not_hold_up_writers(database_url) -> None:
    """Worker processes match claims in read sessions: on SQLite those must not take the write lock that
    the web process's acknowledgements wait for (on PostgreSQL readers never block writers anyway)."""
    import threading

    from storage.db import Database

    db = Database(normalise_url(database_url), timeout=5.0)
    db.migrate()
    wrote = threading.Event()

    def write() -> None:
        with db.session() as session:
            session.execute(text("INSERT INTO slack_events (event_id, received_at) VALUES ('Ev0READ', :now)"),
                            {"now": "2026-12-01 00:00:00"})
        wrote.set()

    try:
        with db.read_session() as session:
            assert session.execute(text("SELECT count(*) FROM slack_events")).scalar() == 0
            writer = threading.Thread(target=write)
            writer.start()
            assert wrote.wait(2.0), "a write waited for a read session"
        writer.join()
        with db.read_session() as session:
            assert session.execute(text("SELECT count(*) FROM slack_events")).scalar() == 1
    finally:
        db.dispose()


def test_looking_up_a_recorded_channel_takes_no_write_lock(database_url) -> None:
    """The worker checks a channel's recorded privacy for every card, listing and claim message; on SQLite
    that lookup must not queue for the write lock that the web process's acknowledgements hold."""
    import threading

    from bot.desk.channels import ChannelDirectory
    from storage.db import Database
    from storage.models import ChannelRecord

    web, worker = (Database(normalise_url(database_url), timeout=3.0) for _ in range(2))
    web.migrate()
    with web.session() as session:
        session.add(ChannelRecord(id="C0PRIV", name="desk", is_private=True, is_archived=False,
                                  members_known=False, updated_at=datetime(2026, 12, 1, tzinfo=UTC)))
    found: list[object] = []
    looked = threading.Event()

    def look() -> None:
        found.append(ChannelDirectory(worker, None).recorded("C0PRIV"))
        looked.set()

    try:
        with web.session() as session:  # an acknowledgement's write transaction, held open
            session.execute(text("INSERT INTO slack_events (event_id, received_at) VALUES ('Ev0LOOK', :now)"),
                            {"now": "2026-12-01 00:00:00"})
            reader = threading.Thread(target=look)
            reader.start()
            assert looked.wait(2.0), "a channel lookup waited for another connection's write transaction"
        reader.join()
        assert found and getattr(found[0], "is_private", None) is True
    finally:
        web.dispose()
        worker.dispose()
