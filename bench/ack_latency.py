"""Ack latency and throughput: the bot (`python app.py`, HTTP mode) against a bare Bolt app, side by side.

    python bench/ack_latency.py                       # closed loop, SQLite in a temp dir
    python bench/ack_latency.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python bench/ack_latency.py --variants threads    # adds the single-process bot (workers as threads)
    python bench/ack_latency.py --mode open --rates 50,100,200,400,800,1600 --rounds 5 --duration 10

Closed loop (the default): --clients clients each send their next signed request as soon as the last is
answered, --requests per round; the mix is chatter with --link-share link messages (pages answered at
once, so the bot's worker processes read, score and post while the load runs) and --vote-share votes.
Throughput is compared with the bare Bolt app's in the same round (same waitress server, same signing
secret, listeners that only ack); rounds rotate which target goes first.

Open loop (--mode open): a load generator sends requests on a schedule (request i is due at i/rate
seconds, whatever happened to earlier ones; latency is measured from the due time, so a server that
falls behind is charged for the queue), rates rising. The mix: plain messages, reaction_added /
reaction_removed votes on real claim messages, a fixed number of link messages per round whose pages
answer after --article-delay seconds, and /claims slash commands.

Both run the generator in its own process. After each bot round the bot's job queue is drained and
every link and vote is counted in the database and in the Slack stand-in: nothing lost, nothing handled
twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench.common import (
    NEWS_CHANNEL,
    REPORTER,
    ROOT,
    SAMPLE_HTML,
    SIGNING_SECRET,
    bench_env,
    machine,
    median,
    percentile,
    spread,
)
from tests.harness.databases import database
from tests.harness.processes import Process, free_port

VOTE_EMOJI = ["white_check_mark", "x", "warning", "question"]


# -- the load generator (runs in its own process) ---------------------------------------------------------


def _sign(body: bytes, stamp: str) -> str:
    import hashlib
    import hmac

    return "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def _raw_request(port: int, body: bytes, content_type: str, stamp: str) -> bytes:
    head = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {stamp}\r\n"
            f"X-Slack-Signature: {_sign(body, stamp)}\r\n\r\n")
    return head.encode() + body


async def _load(port: int, bodies: list[tuple[bytes, str]], rate: float, timeout: float,
                max_connections: int) -> list[tuple[int, float, float]]:
    """Send bodies at `rate` per second (open loop); per request: (status, latency from due time, send lag)."""
    loop = asyncio.get_running_loop()
    stamp = str(int(time.time()))
    raws = [_raw_request(port, body, kind, stamp) for body, kind in bodies]
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(max_connections)
    results: list[tuple[int, float, float]] = [(0, float("nan"), 0.0)] * len(raws)
    start = loop.time() + 0.2

    async def exchange(raw: bytes) -> int:
        conn = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
        reader, writer = conn
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            lowered = head.lower()
            for line in lowered.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if b"connection: close" in lowered:
            writer.close()
        else:
            idle.append(conn)
        return status

    async def one(index: int) -> None:
        due = start + index / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        async with slots:
            sent = loop.time()
            try:
                status = await asyncio.wait_for(exchange(raws[index]), timeout)
            except TimeoutError:
                results[index] = (-1, float("nan"), sent - due)
                return
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                results[index] = (0, float("nan"), sent - due)
                return
            results[index] = (status, loop.time() - due, sent - due)

    await asyncio.gather(*(one(i) for i in range(len(raws))))
    for _reader, writer in idle:
        writer.close()
    return results


async def _closed_load(port: int, bodies: list[tuple[bytes, str]], clients: int,
                       timeout: float) -> tuple[list[tuple[int, float, float]], float]:
    """Closed loop: `clients` connections, each sending its next request as soon as the last is answered,
    until every body is sent. Per request (status, latency, 0); and the seconds the whole batch took."""
    loop = asyncio.get_running_loop()
    stamp = str(int(time.time()))
    raws = [_raw_request(port, body, kind, stamp) for body, kind in bodies]
    results: list[tuple[int, float, float]] = [(0, float("nan"), 0.0)] * len(raws)
    next_index = 0

    async def client() -> None:
        nonlocal next_index
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while next_index < len(raws):
            index = next_index
            next_index += 1
            started = loop.time()
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = conn
                writer.write(raws[index])
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.lower().split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                if b"connection: close" in head.lower():
                    writer.close()
                    conn = None
                results[index] = (status, loop.time() - started, 0.0)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                results[index] = (-1, float("nan"), 0.0)
                if conn is not None:
                    conn[1].close()
                conn = None
        if conn is not None:
            conn[1].close()

    began = loop.time()
    await asyncio.gather(*(client() for _ in range(clients)))
    return results, loop.time() - began


def generator_main(connection: Any) -> None:
    """Child process loop: receive ("open", port, bodies, rate, timeout, max_connections) or ("closed", port,
    bodies, clients, timeout), send back the results."""
    while True:
        job = connection.recv()
        if job is None:
            return
        if job[0] == "closed":
            connection.send(asyncio.run(_closed_load(*job[1:])))
        else:
            connection.send(asyncio.run(_load(*job[1:])))


# -- building the traffic -------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What was sent to one bot, to be found again in its database and in the Slack stand-in."""

    link_ts: list[str] = field(default_factory=list)
    reactions: int = 0
    added: list[tuple[str, str, str]] = field(default_factory=list)  # (claim ts, user, emoji) still on


@dataclass
class Traffic:
    bodies: list[tuple[bytes, str]]
    kinds: list[str]
    link_ts: list[str] = field(default_factory=list)


class TrafficMaker:
    def __init__(self, slack: Any, channel: str, article_base: str, claim_ts: list[str], with_commands: bool) -> None:
        from tests.harness.signing import SlackEventSender

        self.slack = slack
        self.channel = channel
        self.article_base = article_base
        self.claim_ts = claim_ts
        self.with_commands = with_commands
        self.sender = SlackEventSender
        self.counter = 0
        self.prefix = channel[-3:]

    def _reaction(self, channel: str, ledger: Ledger | None, removable: list[tuple[str, str, str]], *,
                  remove: bool) -> dict[str, Any]:
        """A reaction event on a posted claim: withdraws an earlier vote when asked and one is left, else votes."""
        if remove and removable:
            claim, user, emoji = removable.pop()
            kind = "reaction_removed"
            if ledger:
                self.slack.remove_reaction(channel, claim, emoji, user)
        else:
            claim = self.claim_ts[self.counter % len(self.claim_ts)]
            user, emoji = f"UV{self.counter:08d}", VOTE_EMOJI[self.counter % len(VOTE_EMOJI)]
            kind = "reaction_added"
            if ledger:
                self.slack.add_reaction(channel, claim, emoji, user)
                ledger.added.append((claim, user, emoji))
        if ledger:
            ledger.reactions += 1
        return self.sender.reaction_event(kind, user, emoji, channel, claim)

    def _envelope(self, event: dict[str, Any]) -> bytes:
        self.counter += 1
        return json.dumps({
            "token": "legacy", "team_id": "T0TEST", "api_app_id": "A0TEST", "event": event,
            "type": "event_callback", "event_id": f"EvB{self.prefix}{self.counter:09d}",
            "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": "T0TEST", "user_id": "U0BOT", "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": f"4-{self.counter}",
        }).encode()

    def make_mix(self, total: int, link_share: float, vote_share: float, ledger: Ledger | None) -> Traffic:
        """`total` requests for the closed loop: a share of link messages (pages answer at once, so the
        workers read, score and post while the load runs), a share of votes, the rest chatter."""
        channel = self.channel
        bodies: list[tuple[bytes, str]] = []
        kinds: list[str] = []
        link_ts: list[str] = []
        removable = list(ledger.added) if ledger else []
        if ledger:
            ledger.added = []
        links_due = votes_due = 0.0
        for _ in range(total):
            self.counter += 1
            links_due += link_share
            votes_due += vote_share
            if links_due >= 1:
                links_due -= 1
                url = f"{self.article_base}/fast/{self.prefix}{self.counter}"
                text = f"New piece from our correspondent: <{url}>"
                ts = self.slack.post_human_message(channel, text, user=REPORTER) if ledger else f"{time.time():.6f}"
                link_ts.append(ts)
                if ledger:
                    ledger.link_ts.append(ts)
                event = self.sender.message_event(channel=channel, user=REPORTER, text=text, ts=ts)
                kinds.append("link")
            elif votes_due >= 1 and self.claim_ts:
                votes_due -= 1
                event = self._reaction(channel, ledger, removable, remove=self.counter % 3 == 0)
                kinds.append("reaction")
            else:
                text = f"Message {self.counter}: has anyone called the ministry back about the figures yet?"
                event = self.sender.message_event(channel=channel, user=f"U{self.counter % 40:07d}", text=text,
                                                  ts=f"{time.time():.6f}")
                kinds.append("message")
            bodies.append((self._envelope(event), "application/json"))
        if ledger:
            ledger.added.extend(removable)
        return Traffic(bodies, kinds, link_ts)

    def make(self, rate: float, duration: float, links: int, ledger: Ledger | None) -> Traffic:
        """rate*duration requests: `links` link messages spread evenly, 20% reactions, 2% /claims, rest chatter.

        With a ledger (a bot's rounds) link messages and reactions are also made real in the Slack
        stand-in, so that the bot's reactions.add, posts and reconciliation find them.
        """
        from urllib.parse import urlencode

        channel = self.channel
        total = max(1, int(rate * duration))
        link_every = max(1, total // links) if links else 0
        bodies: list[tuple[bytes, str]] = []
        kinds: list[str] = []
        removable = list(ledger.added) if ledger else []
        if ledger:
            ledger.added = []
        sent_links = 0
        link_ts: list[str] = []
        for i in range(total):
            self.counter += 1
            slot = i % 50
            if link_every and i % link_every == link_every // 2 and sent_links < links:
                sent_links += 1
                url = f"{self.article_base}/slow/{self.prefix}{self.counter}"
                text = f"New piece from our correspondent: <{url}>"
                ts = (self.slack.post_human_message(channel, text, user=REPORTER) if ledger
                      else f"{time.time():.6f}")
                link_ts.append(ts)
                if ledger:
                    ledger.link_ts.append(ts)
                event = self.sender.message_event(channel=channel, user=REPORTER, text=text, ts=ts)
                bodies.append((self._envelope(event), "application/json"))
                kinds.append("link")
            elif slot < 10 and self.claim_ts:
                event = self._reaction(channel, ledger, removable, remove=slot < 3)
                bodies.append((self._envelope(event), "application/json"))
                kinds.append("reaction")
            elif slot == 10 and self.with_commands:
                form = {"token": "legacy", "team_id": "T0TEST", "team_domain": "test", "channel_id": channel,
                        "channel_name": "newsroom", "user_id": REPORTER, "user_name": "maria", "command": "/claims",
                        "text": "", "api_app_id": "A0TEST", "response_url": "http://127.0.0.1:9/response",
                        "trigger_id": f"{self.counter}.trigger"}
                bodies.append((urlencode(form).encode(), "application/x-www-form-urlencoded"))
                kinds.append("command")
            else:
                text = f"Message {self.counter}: has anyone called the ministry back about the figures yet?"
                event = self.sender.message_event(channel=channel, user=f"U{slot:07d}", text=text,
                                                  ts=f"{time.time():.6f}")
                bodies.append((self._envelope(event), "application/json"))
                kinds.append("message")
        if ledger:
            ledger.added.extend(removable)
        return Traffic(bodies, kinds, link_ts)


class SlowRoutes(dict):
    """The article server's routes, plus any /slow/<n> path: the sample page, answered after `delay` s."""

    def __init__(self, routes: dict[str, Any], page: bytes, delay: float) -> None:
        super().__init__(routes)
        self.page, self.delay = page, delay

    def get(self, path: str, default: Any = None) -> Any:
        from tests.harness.article_server import Route

        if path.startswith("/slow/"):
            return Route(body=self.page, delay=self.delay)
        if path.startswith("/fast/") and path not in self:
            return Route(body=self.page)
        return super().get(path, default)


# -- checks against the database and the Slack stand-in ---------------------------------------------------


class BotState:
    def __init__(self, url: str) -> None:

        from storage.db import normalise_url

        self.engine = create_engine(normalise_url(url))
        # What acknowledgements record before a worker applies it (storage.inbox): a file of its own on SQLite.
        self.inbox = create_engine(normalise_url(f"{url}-inbox")) if url.startswith("sqlite") else self.engine

    def scalar(self, sql: str, **params: Any) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text(sql), params).scalar() or 0)

    def pending_jobs(self) -> int:
        """Jobs not finished, and acknowledged events not yet applied (which become jobs)."""
        with self.inbox.connect() as connection:
            waiting = int(connection.execute(text("SELECT count(*) FROM inbox")).scalar() or 0)
        return waiting + self.scalar("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')")

    def link_posts(self) -> int:
        return self.scalar("SELECT count(*) FROM link_posts")

    def recorded_links(self, ts: list[str]) -> int:
        if not ts:
            return 0
        marks = ", ".join(f"'{t}'" for t in ts)  # Slack ts made by the stand-in: digits and a dot
        return self.scalar(f"SELECT count(*) FROM link_posts WHERE message_ts IN ({marks})")

    def votes(self) -> int:
        return self.scalar("SELECT count(*) FROM votes WHERE origin = 'event'")

    def events(self) -> int:
        return self.scalar("SELECT count(*) FROM slack_events")


def slack_counts(slack: Any, channel: str, link_ts: list[str]) -> dict[str, Any]:
    wanted = set(link_ts)
    mags = Counter(c.params.get("timestamp") for c in slack.calls_to("reactions.add")
                   if c.params.get("name") == "mag" and c.params.get("timestamp") in wanted)
    posts = [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == channel]
    cards = Counter(c.params.get("thread_ts") for c in posts if c.params.get("thread_ts") in wanted)
    claim_ids = Counter((c.params.get("metadata") or {}).get("event_payload", {}).get("claim_id") for c in posts
                        if (c.params.get("metadata") or {}).get("event_type") == "factcheck_claim")
    return {"mag_missing": len(wanted - set(mags)), "mag_twice": sum(1 for n in mags.values() if n > 1),
            "card_missing": len(wanted - set(cards)), "card_twice": sum(1 for n in cards.values() if n > 1),
            "claim_posted_twice": sum(1 for n in claim_ids.values() if n > 1), "claims_posted": len(claim_ids)}


# -- the run --------------------------------------------------------------------------------------------------


@dataclass
class RoundResult:
    p50: float
    p99: float
    sustained: float
    ok: int
    sent: int
    lag_p99: float
    by_kind: dict[str, list[float]]
    failures: dict[str, int]


def summarise(results: list[tuple[int, float, float]], kinds: list[str], rate: float) -> RoundResult:
    ok = [(lat, kind) for (status, lat, _lag), kind in zip(results, kinds, strict=True) if 200 <= status < 300]
    latencies = [lat for lat, _ in ok]
    by_kind: dict[str, list[float]] = {}
    for lat, kind in ok:
        by_kind.setdefault(kind, []).append(lat)
    # Sustained rate: answered requests over the time from the first due time to the last answer.
    span = max([i / rate + lat for i, ((status, lat, _), _k) in enumerate(zip(results, kinds, strict=True))
                if 200 <= status < 300] or [1.0])
    return RoundResult(p50=percentile(latencies, 50), p99=percentile(latencies, 99),
                       sustained=len(ok) / max(span, 1e-9), ok=len(ok), sent=len(results),
                       lag_p99=percentile([lag for _, _, lag in results], 99), by_kind=by_kind,
                       failures=dict(Counter(f"{kind}:{ {-1: 'timeout', 0: 'connection error'}.get(status, status)}"
                                             for (status, _, _), kind in zip(results, kinds, strict=True)
                                             if not 200 <= status < 300)))


@dataclass
class Target:
    """A server under test: the bot (with its own channel, database, ledger) or the bare Bolt app."""

    name: str
    process: Process
    channel: str
    state: BotState | None = None
    ledger: Ledger | None = None
    maker: TrafficMaker | None = None
    base: tuple[int, int, int] = (0, 0, 0)  # link posts, event ids, votes before the measured rounds
    problems: list[str] = field(default_factory=list)
    unacked: int = 0  # requests not answered in time: Slack would retry them (same event id)


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc/<pid>/stat; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> tuple[float, float]:
    """(CPU seconds of the process, of its current children): the web process and its worker processes."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            children.extend(int(c) for c in task.read_text().split())
    return _cpu(pid), sum(_cpu(c) for c in children)


def wait_for_drain(target: Target, slack: Any, timeout: float) -> float:
    assert target.state is not None and target.ledger is not None
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        counts = slack_counts(slack, target.channel, target.ledger.link_ts)
        if target.state.pending_jobs() == 0 and counts["card_missing"] == 0:
            return time.monotonic() - started
        time.sleep(0.25)
    return float("nan")


def warm_up(target: Target, slack: Any, articles: Any, n_articles: int) -> list[str]:
    """Give a bot real claim messages to vote on (fast article pages); warm the server up."""
    from tests.harness.signing import SlackEventSender

    sender = SlackEventSender(target.process.url, SIGNING_SECRET)
    if target.state is not None:
        for index in range(n_articles):
            path = f"/fast/{target.channel}/{index}"
            articles.routes[path] = articles.routes.get("/fast-page")
            url = f"{articles.base}{path}"
            ts = slack.post_human_message(target.channel, f"<{url}>", user=REPORTER)
            assert sender.event(sender.message_event(channel=target.channel, user=REPORTER, text=f"<{url}>",
                                                     ts=ts)).status_code == 200
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (target.state.pending_jobs() or len(
                [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == target.channel]) == 0):
            time.sleep(0.2)
    for i in range(50):
        sender.event(sender.message_event(channel=target.channel, user="U0WARM", text=f"warm {i}"))
    sender.client.close()
    return [m["ts"] for m in slack.messages(target.channel)
            if m.get("bot_id") and (m.get("metadata") or {}).get("event_type") == "factcheck_claim"]


def commands_handled(bot: Process) -> bool:
    from tests.harness.signing import SlackEventSender

    sender = SlackEventSender(bot.url, SIGNING_SECRET)
    status = sender.command("/claims", response_url="http://127.0.0.1:9/response").status_code
    sender.client.close()
    return status == 200


def check_after_round(target: Target, slack: Any, label: str, args: argparse.Namespace, acked: list[str]) -> float:
    """Links are recorded in the inbox before the ack and applied by a worker: after the drain every
    acknowledged link message has its link post, one :mag: and one card."""
    assert target.state is not None and target.ledger is not None
    drained = wait_for_drain(target, slack, timeout=60 + 2 * args.article_delay + 2 * len(acked))
    if drained != drained:
        target.problems.append(f"{label}: job queue not drained in time")
    recorded = target.state.recorded_links(acked)
    if recorded != len(acked):
        target.problems.append(f"{label}: {recorded} link posts recorded for {len(acked)} acknowledged link messages")
    return drained


def final_checks(target: Target, slack: Any) -> dict[str, Any]:
    assert target.state is not None and target.ledger is not None
    ledger = target.ledger
    counts = slack_counts(slack, target.channel, ledger.link_ts)
    votes, events = target.state.votes() - target.base[2], target.state.events() - target.base[1]
    if votes != ledger.reactions:
        target.problems.append(f"{votes} votes recorded for {ledger.reactions} reaction events sent")
    if events != ledger.reactions + len(ledger.link_ts):
        target.problems.append(f"{events} event ids recorded for {ledger.reactions + len(ledger.link_ts)} sent")
    stale = target.state.scalar(
        "SELECT count(*) FROM claims WHERE message_ts IS NOT NULL AND rendered_version < version")
    if stale:
        target.problems.append(f"{stale} claim messages not updated to their latest votes")
    for key in ("mag_missing", "mag_twice", "card_missing", "card_twice", "claim_posted_twice"):
        if counts[key]:
            target.problems.append(f"{key.replace('_', ' ')}: {counts[key]}")
    return {**counts, "votes": votes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="50,100,200,400,800,1600",
                        help="offered events/s, rising (default %(default)s)")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per round (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per rate and target (default %(default)s)")
    parser.add_argument("--links-per-round", type=int, default=4, help="link messages per bot round (default 4)")
    parser.add_argument("--article-delay", type=float, default=5.0, help="seconds the article server takes per page")
    parser.add_argument("--worker-threads", type=int, default=4, help="the bot's WORKER_THREADS (default 4)")
    parser.add_argument("--worker-nice", type=int, help="the bot's WORKER_NICE (default: the bot's own default)")
    parser.add_argument("--http-threads", type=int, default=16, help="HTTP_THREADS for both servers (default 16)")
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout per request, s")
    parser.add_argument("--max-connections", type=int, default=64,
                        help="keep-alive connections of the generator (default 64; waitress accepts 100)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a temporary schema is used)")
    parser.add_argument("--variants", default="",
                        help="extra targets: the bot with proposed changes (bench/bot_variant.py), e.g. "
                             "'lock,lock+coalesce'")
    parser.add_argument("--keep-going", action="store_true", help="do not stop the ramp after saturation")
    parser.add_argument("--mode", choices=("closed", "open"), default="closed",
                        help="closed (default): --clients clients send --requests requests as fast as answered, "
                             "throughput compared; open: the --rates ramp, latency at an offered rate")
    parser.add_argument("--clients", type=int, default=16, help="closed loop: concurrent clients (default 16)")
    parser.add_argument("--requests", type=int, default=3000, help="closed loop: requests per round (default 3000)")
    parser.add_argument("--link-share", type=float, default=0.05,
                        help="closed loop: share of link messages, pages answered at once (default 0.05)")
    parser.add_argument("--vote-share", type=float, default=0.0,
                        help="closed loop: share of reaction votes on claim messages (default 0)")
    parser.add_argument("--worker-processes", default=None,
                        help="the bot's WORKER_PROCESSES (default: the bot's own default)")
    parser.add_argument("--stand-in-nice", type=int, default=10,
                        help="niceness of this process, which serves the Slack and article stand-ins, once "
                             "every server is started (default %(default)s, the bot's WORKER_NICE; 0 to leave it)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    from tests.harness.article_server import ArticleServer, Route
    from tests.harness.slack_api import SlackStandIn

    print(machine())
    with contextlib.suppress(OSError):
        print(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if args.mode == "closed":
        print(f"closed loop: {args.clients} clients, {args.requests} requests per round, {args.rounds} rounds per "
              f"target; {args.link_share:.0%} link messages (pages answer at once), {args.vote_share:.0%} votes, "
              f"the rest chatter; WORKER_PROCESSES={args.worker_processes or 'default'}, "
              f"WORKER_THREADS={args.worker_threads}, HTTP_THREADS={args.http_threads}, "
              f"database {'PostgreSQL' if args.database_url else 'SQLite'}")
    else:
        print(f"rates {args.rates} ev/s, {args.duration:g} s rounds, {args.rounds} rounds per rate and target, "
          f"{args.links_per_round} link messages per bot round (pages answer after {args.article_delay:g} s), "
          f"WORKER_THREADS={args.worker_threads}, HTTP_THREADS={args.http_threads}, "
          f"database {'PostgreSQL' if args.database_url else 'SQLite'}")
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    generator = context.Process(target=generator_main, args=(child_end,), daemon=True)
    generator.start()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp, SlackStandIn() as slack, \
            ArticleServer() as articles, contextlib.ExitStack() as stack:
        slack.add_user(REPORTER, "maria", "Maria Reporter")
        articles.routes = SlowRoutes(articles.routes, SAMPLE_HTML.read_bytes(), args.article_delay)
        articles.routes["/fast-page"] = Route(body=SAMPLE_HTML.read_bytes())
        bot_kinds = [("bot", ROOT / "app.py", "")]
        for variant in filter(None, args.variants.split(",")):
            bot_kinds.append((f"bot+{variant}", ROOT / "bench" / "bot_variant.py", variant.replace("+", ",")))
        targets: list[Target] = []
        for index, (name, script, variant) in enumerate(bot_kinds):
            channel = f"{NEWS_CHANNEL}{index or ''}"
            slack.add_channel(channel, f"newsroom{index}", members=[REPORTER])
            db_url = stack.enter_context(database(args.database_url, Path(tmp), f"ack{index}"))
            env = bench_env(slack_api_url=slack.api_url, database_url=db_url, port=free_port(),
                            article_hostport=f"127.0.0.1:{articles.port}", WORKER_THREADS=str(args.worker_threads),
                            HTTP_THREADS=str(args.http_threads), BOT_VARIANT=variant)
            if args.worker_processes is not None:
                env["WORKER_PROCESSES"] = str(args.worker_processes)
            if args.worker_nice is not None:
                env["WORKER_NICE"] = str(args.worker_nice)
            process = Process([sys.executable, str(script)], env, int(env["PORT"]), Path(tmp) / f"{name}.log")
            targets.append(Target(name, stack.enter_context(process), channel, BotState(db_url), Ledger()))
        bare_port = free_port()
        bare_env = bench_env(slack_api_url=slack.api_url, database_url="sqlite://", port=bare_port,
                             article_hostport="", HTTP_THREADS=str(args.http_threads))
        bare = Process([sys.executable, str(ROOT / "bench" / "bare_bolt.py"), str(bare_port), slack.api_url],
                       bare_env, bare_port, Path(tmp) / "bare.log")
        targets.insert(1, Target("bare", stack.enter_context(bare), NEWS_CHANNEL))
        with_commands = commands_handled(targets[0].process)
        for target in targets:
            claim_ts = warm_up(target, slack, articles, n_articles=6)
            target.maker = TrafficMaker(slack, target.channel, articles.base, claim_ts, with_commands)
            if target.state is not None:
                target.base = (target.state.link_posts(), target.state.events(), target.state.votes())
        targets[1].maker = TrafficMaker(slack, NEWS_CHANNEL, articles.base, targets[0].maker.claim_ts,  # type: ignore[union-attr]
                                        with_commands)
        if args.stand_in_nice > 0:
            # The stand-ins answer only the bot's workers (the acks never call them): in production that
            # work runs on Slack's and the publishers' machines, not beside the web process. At the
            # workers' priority they no longer take the CPU the acks need any more than the workers do.
            os.nice(args.stand_in_nice)
        print(f"stand-ins (Slack, articles) at nice {os.nice(0)}; the load generator, the bot's web process and "
              "the bare app at 0")
        print(f"warm-up: {len(targets[0].maker.claim_ts)} claim messages per bot to vote on; /claims "  # type: ignore[union-attr]
              + ("answered by the bot: included (2% of requests)" if with_commands else
                 "not handled by the bot (404, issue 4 not merged): left out of the mix"))
        if args.mode == "closed":
            run_closed(args, targets, slack, parent_end, problems)
            parent_end.send(None)
            generator.join(timeout=10)
            return 1 if problems else 0
        table: list[dict[str, Any]] = []
        for rate in rates:
            rows: dict[str, list[RoundResult]] = {t.name: [] for t in targets}
            for round_no in range(args.rounds):
                shift = round_no % len(targets)
                for target in targets[shift:] + targets[:shift]:  # rotate who goes first
                    assert target.maker is not None
                    is_bot = target.state is not None
                    traffic = target.maker.make(rate, args.duration, args.links_per_round if is_bot else 0,
                                                target.ledger)
                    parent_end.send(("open", target.process.port, traffic.bodies, rate, args.timeout,
                                     args.max_connections))
                    raw = parent_end.recv()
                    result = summarise(raw, traffic.kinds, rate)
                    rows[target.name].append(result)
                    note = ""
                    if is_bot:
                        statuses = [st for (st, _, _), kind in zip(raw, traffic.kinds, strict=True) if kind == "link"]
                        acked = [ts for ts, st in zip(traffic.link_ts, statuses, strict=True) if 200 <= st < 300]
                        target.unacked += result.sent - result.ok
                        drained = check_after_round(target, slack, f"{rate:g} ev/s round {round_no + 1}", args,
                                                    acked)
                        note = f"  (drained in {drained:.1f} s)"
                    print(f"  {rate:6g} ev/s round {round_no + 1} {target.name:<8}: p50 {result.p50 * 1000:7.1f} ms  "
                          f"p99 {result.p99 * 1000:8.1f} ms  {result.sustained:6.0f} ev/s  "
                          f"{result.ok}/{result.sent} ok{note}"
                          + (f"  failed: {result.failures}" if result.failures else ""))
            table.append({"rate": rate, **rows})
            saturated = all(median([r.sustained for r in rows[n]]) < 0.9 * rate for n in rows)
            if saturated and not args.keep_going:
                print(f"  all saturated at {rate:g} ev/s: stopping the ramp")
                break
        counted = {t.name: {**final_checks(t, slack), "unacked": t.unacked} for t in targets if t.state is not None}
        for target in targets:
            problems.extend(f"{target.name}: {p}" for p in target.problems)
        report(table, [t.name for t in targets], counted, {t.name: t.ledger for t in targets if t.ledger},
               problems)
    parent_end.send(None)
    generator.join(timeout=10)
    return 1 if problems else 0


def run_closed(args: argparse.Namespace, targets: list[Target], slack: Any, generator: Any,
               problems: list[str]) -> None:
    """Rounds of --requests requests from --clients closed-loop clients, rotating which target goes first.

    During a bot round its workers read and post the links of that round (busy the whole round: links
    arrive faster than one worker process turns them into cards); after it the queue is drained and
    checked before the next target's round, so the bare app never runs beside the bot's workers.
    """
    rows: dict[str, list[RoundResult]] = {t.name: [] for t in targets}
    ratios: dict[str, list[float]] = {t.name: [] for t in targets if t.name != "bare"}
    busy: dict[str, list[str]] = {t.name: [] for t in targets if t.state is not None}
    for round_no in range(args.rounds):
        shift = round_no % len(targets)
        this_round: dict[str, RoundResult] = {}
        for target in targets[shift:] + targets[:shift]:
            assert target.maker is not None
            is_bot = target.state is not None
            traffic = target.maker.make_mix(args.requests, args.link_share, args.vote_share, target.ledger)
            cards_before = len(slack.calls_to("chat.postMessage"))
            mags_before = len(slack.calls_to("reactions.add"))
            cpu_before = cpu_split(target.process.pid)
            generator.send(("closed", target.process.port, traffic.bodies, args.clients, args.timeout))
            raw, elapsed = generator.recv()
            cpu_after = cpu_split(target.process.pid)
            cpu_note = (f"  CPU during the round: web {cpu_after[0] - cpu_before[0]:.2f} s, "
                        f"workers {cpu_after[1] - cpu_before[1]:.2f} s")
            result = summarise(raw, traffic.kinds, 1.0)
            result.sustained = result.ok / max(elapsed, 1e-9)
            rows[target.name].append(result)
            this_round[target.name] = result
            note = ""
            if is_bot:
                links_in_round = traffic.kinds.count("link")
                round_links = set(traffic.link_ts)
                carded = sum(1 for c in slack.calls_to("chat.postMessage")[cards_before:]
                             if c.params.get("thread_ts") in round_links)
                started = sum(1 for c in slack.calls_to("reactions.add")[mags_before:]
                              if c.params.get("timestamp") in round_links)
                statuses = [st for (st, _, _), kind in zip(raw, traffic.kinds, strict=True) if kind == "link"]
                acked = [ts for ts, st in zip(traffic.link_ts, statuses, strict=True) if 200 <= st < 300]
                target.unacked += result.sent - result.ok
                drained = check_after_round(target, slack, f"round {round_no + 1}", args, acked)
                busy[target.name].append(f"{started} :mag: and {carded} cards of {links_in_round} links during the "
                                         f"{elapsed:.1f} s round, the rest drained in {drained:.1f} s")
                note = f"  ({busy[target.name][-1]})"
            print(f"  round {round_no + 1} {target.name:<12}: {result.sustained:6.0f} req/s  p50 "
                  f"{result.p50 * 1000:6.1f} ms  p99 {result.p99 * 1000:7.1f} ms  {result.ok}/{result.sent} ok{note}"
                  + (f"  failed: {result.failures}" if result.failures else "") + cpu_note)
        for name in ratios:
            ratios[name].append(this_round[name].sustained / max(this_round["bare"].sustained, 1e-9))
    counted = {t.name: {**final_checks(t, slack), "unacked": t.unacked} for t in targets if t.state is not None}
    for target in targets:
        problems.extend(f"{target.name}: {p}" for p in target.problems)
    print(f"\nclosed loop, median [min-max] over rounds ({args.clients} clients, {args.requests} requests per round):")
    print(f"{'target':<12} | {'req/s':>26} | {'p50 ms':>24} | {'p99 ms':>26} | {'throughput / bare (same round)':>30}"
          " | p99 ms by kind (pooled)")
    for target in targets:
        mine = rows[target.name]
        kinds: dict[str, list[float]] = {}
        for r in mine:
            for kind, values in r.by_kind.items():
                kinds.setdefault(kind, []).extend(values)
        by_kind = ", ".join(f"{k} {percentile(v, 99) * 1000:.1f}" for k, v in sorted(kinds.items()))
        ratio = spread(ratios[target.name]) if target.name in ratios else "1"
        print(f"{target.name:<12} | {spread([r.sustained for r in mine], '{:.0f}'):>26} | "
              f"{spread([r.p50 * 1000 for r in mine], '{:.1f}'):>24} | "
              f"{spread([r.p99 * 1000 for r in mine], '{:.1f}'):>26} | {ratio:>30} | {by_kind}")
    for name, counts in counted.items():
        ledger = next(t.ledger for t in targets if t.name == name)
        assert ledger is not None
        print(f"counted ({name}): {len(ledger.link_ts)} link messages, each with its link post after the drain; "
              f":mag: missing "
              f"{counts['mag_missing']} / twice {counts['mag_twice']}; cards missing {counts['card_missing']} / "
              f"twice {counts['card_twice']}; {counts['claims_posted']} claim messages posted, twice "
              f"{counts['claim_posted_twice']}; {ledger.reactions} reaction events -> {counts['votes']} votes; "
              f"{counts['unacked']} requests not answered within {args.timeout:g} s")
        print(f"workers busy ({name}): " + "; ".join(busy[name]))
    target_ratio = 0.8 if args.database_url else 1.0
    for name, values in ratios.items():
        p99 = median([r.p99 for r in rows[name]]) * 1000
        share = median(values)
        print(f"target throughput >= {target_ratio:.1f}x bare Bolt ({name}): {share:.2f}x -> "
              + ("met" if share >= target_ratio else "MISSED"))
        print(f"target p99 < 50 ms ({name}): {p99:.1f} ms -> " + ("met" if p99 < 50 else "MISSED"))
    with contextlib.suppress(OSError):
        print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print("target zero events lost or handled twice: " + ("met" if not problems else "MISSED: " + "; ".join(problems)))


def report(table: list[dict[str, Any]], names: list[str], counted: dict[str, dict[str, Any]],
           ledgers: dict[str, Ledger], problems: list[str]) -> None:
    print("\nper rate, median [min-max] over rounds (latency from each request's due time to the answer):")
    for name in names:
        print(f"\n{name}:")
        print(f"{'ev/s':>6} | {'p50 ms':>22} | {'p99 ms':>26} | {'sustained ev/s':>14} | "
              f"{'throughput / bare':>24} | p99 ms by kind (pooled over rounds)")
        for row in table:
            mine, bare = row[name], row["bare"]
            ratio = [b.sustained / max(a.sustained, 1e-9) for b, a in zip(mine, bare, strict=True)]
            kinds: dict[str, list[float]] = {}
            for r in mine:
                for kind, values in r.by_kind.items():
                    kinds.setdefault(kind, []).extend(values)
            by_kind = ", ".join(f"{k} {percentile(v, 99) * 1000:.1f}" for k, v in sorted(kinds.items()))
            print(f"{row['rate']:6g} | {spread([r.p50 * 1000 for r in mine], '{:.1f}'):>22} | "
                  f"{spread([r.p99 * 1000 for r in mine], '{:.1f}'):>26} | "
                  f"{median([r.sustained for r in mine]):14.0f} | {spread(ratio):>24} | {by_kind}")
    print("\ngenerator send lag p99 (max over all rounds): " + ", ".join(
        f"{row['rate']:g}: {max(r.lag_p99 for n in names for r in row[n]) * 1000:.1f} ms" for row in table))
    for name, counts in counted.items():
        ledger = ledgers[name]
        print(f"counted ({name}): {len(ledger.link_ts)} link messages sent, each with its link post after the drain; "
              f":mag: missing {counts['mag_missing']} / twice {counts['mag_twice']}; cards missing "
              f"{counts['card_missing']} / twice {counts['card_twice']}; {counts['claims_posted']} claim messages "
              f"posted, twice {counts['claim_posted_twice']}; {ledger.reactions} reaction events -> "
              f"{counts['votes']} votes recorded; {counts['unacked']} requests not answered within the client "
              f"timeout (Slack would retry those, with the same event id)")
    for name in [n for n in names if n != "bare"]:
        at200 = next((row for row in table if row["rate"] == 200), None)
        if at200:
            p99 = median([r.p99 for r in at200[name]]) * 1000
            print(f"target p99 ack < 50 ms at 200 ev/s ({name}): {p99:.1f} ms median over rounds -> "
                  + ("met" if p99 < 50 else f"MISSED by {p99 - 50:.1f} ms"))
        peak = max(median([r.sustained for r in row[name]]) for row in table)
        peak_bare = max(median([r.sustained for r in row["bare"]]) for row in table)
        share = peak / max(peak_bare, 1e-9)
        print(f"target sustained throughput >= 80% of bare Bolt ({name}): peak {peak:.0f} vs {peak_bare:.0f} ev/s "
              f"= {share:.0%} -> " + ("met" if share >= 0.8 else f"MISSED by {0.8 - share:.0%} points")
              + ("" if peak_bare < 0.9 * max(row["rate"] for row in table) else
                 " (bare Bolt never saturated: its peak is a lower bound)"))
    print("target zero events lost or handled twice: " + ("met" if not problems else "MISSED: " + "; ".join(problems)))


if __name__ == "__main__":
    sys.exit(main())
