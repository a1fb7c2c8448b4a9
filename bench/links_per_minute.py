"""Links to cards per minute with one and with two job-worker processes (PostgreSQL by default).

    python bench/links_per_minute.py                                # PostgreSQL at 127.0.0.1:5432/test
    python bench/links_per_minute.py --database-url postgresql://USER@HOST:PORT/DB --links 120 --rounds 5
    python bench/links_per_minute.py --database-url sqlite          # SQLite in a temp dir instead

Two bots run side by side, each a real `python app.py` (HTTP, embedded extractor) on its own throw-away
schema, one with WORKER_PROCESSES=1 and one with WORKER_PROCESSES=2 (WORKER_THREADS each, default 4).
Each round sends a batch of --links distinct article links (synthetic news pages of 500-2,000 words,
each different, answered at once by the local article server) to one bot, as fast as they are
acknowledged, and times from the first event to the last card in the Slack stand-in's call log; then
the same for the other bot. Rounds alternate which bot goes first. Printed: links to cards per minute,
median [min-max] over rounds, and the ratio two / one worker process per round. Every link must get
exactly one card.

What the figure can show depends on the cores: each worker process runs its jobs in one interpreter,
so one process uses at most about one core for the CPU-bound part (reading, scoring, matching); a
second process can only add what a free core gives. On a 2-core machine the web process, the
database, the article server, the Slack stand-in and this script share the same two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS_CHANNEL, REPORTER, SIGNING_SECRET, bench_env, machine, median, spread, synthetic_article
from tests.harness.databases import database
from tests.harness.processes import bot_process, free_port

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"


def load() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def run_batch(slack: Any, articles: Any, bot: Any, channel: str, tag: str, links: int,
              timeout: float) -> tuple[float, list[str]]:
    """Send `links` distinct links to one bot; seconds from the first event to the last card."""
    from tests.harness.signing import SlackEventSender

    sender = SlackEventSender(bot.url, SIGNING_SECRET)
    sent: list[str] = []
    first = time.time()
    for index in range(links):
        url = f"{articles.base}/story/{tag}/{index}"
        text = f"Worth a look: <{url}>"
        ts = slack.post_human_message(channel, text, user=REPORTER)
        response = sender.event(sender.message_event(channel=channel, user=REPORTER, text=text, ts=ts))
        assert response.status_code == 200, response.text
        sent.append(ts)
    sender.client.close()
    wanted = set(sent)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cards = [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") in wanted]
        if len({c.params.get("thread_ts") for c in cards}) == len(wanted):
            return max(c.time for c in cards) - first, sent
        time.sleep(0.2)
    raise SystemExit(f"{tag}: not every link got its card within {timeout:g} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE,
                        help="PostgreSQL URL (a temporary schema per bot), or 'sqlite' (default %(default)s)")
    parser.add_argument("--links", type=int, default=60, help="links per batch (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="batches per bot (default %(default)s)")
    parser.add_argument("--worker-threads", type=int, default=4, help="WORKER_THREADS of each worker process")
    parser.add_argument("--processes", default="1,2", help="WORKER_PROCESSES of the bots (default %(default)s)")
    parser.add_argument("--log-dir", default=None, help="keep the bots' logs (LOG_LEVEL=INFO) in this folder")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    url = None if args.database_url == "sqlite" else args.database_url

    from tests.harness.article_server import ArticleServer, Route
    from tests.harness.slack_api import SlackStandIn

    print(machine())
    print(f"load average at start: {load()}")
    print(f"database {'PostgreSQL' if url else 'SQLite'}; {args.links} links per batch, {args.rounds} batches per bot; "
          f"WORKER_PROCESSES {args.processes}, WORKER_THREADS={args.worker_threads} each; embedded extractor")
    page_set = [synthetic_article(words, seed) for seed in range(12) for words in (500, 1000, 2000)]

    class Stories(dict):
        """/story/<tag>/<n>: a synthetic page (each URL its own article; content from a set of 36)."""

        def get(self, path: str, default: Any = None) -> Any:
            if path.startswith("/story/"):
                return Route(body=page_set[zlib.crc32(path.encode()) % len(page_set)])
            return super().get(path, default)

    results: dict[int, list[float]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="bench-lpm-") as tmp, SlackStandIn() as slack, \
            ArticleServer() as articles, contextlib.ExitStack() as stack:
        slack.add_user(REPORTER, "maria", "Maria Reporter")
        articles.routes = Stories(articles.routes)
        bots = {}
        for n in counts:
            channel = f"{NEWS_CHANNEL}P{n}"
            slack.add_channel(channel, f"newsroom-{n}", members=[REPORTER])
            db_url = stack.enter_context(database(url, Path(tmp), f"lpm{n}"))
            env = bench_env(slack_api_url=slack.api_url, database_url=db_url, port=free_port(),
                            article_hostport=f"127.0.0.1:{articles.port}", WORKER_PROCESSES=str(n),
                            WORKER_THREADS=str(args.worker_threads))
            if args.log_dir:
                env["LOG_LEVEL"] = "INFO"
            bot = stack.enter_context(bot_process(env, Path(args.log_dir or tmp) / f"bot{n}.log"))
            bots[n] = (bot, channel)
            # Warm-up: the worker processes have started, loaded the model and posted a card.
            run_batch(slack, articles, bot, channel, f"warm{n}", 4, 120)
        for round_no in range(args.rounds):
            order = counts if round_no % 2 == 0 else list(reversed(counts))
            for n in order:
                bot, channel = bots[n]
                seconds, _ = run_batch(slack, articles, bot, channel, f"r{round_no}p{n}", args.links, 600)
                per_minute = args.links / seconds * 60
                results[n].append(per_minute)
                print(f"  round {round_no + 1}, {n} worker process{'es' if n > 1 else ''}: {args.links} cards in "
                      f"{seconds:.1f} s = {per_minute:.0f} links/min (load {load()})")
        posts = [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]
        per_link: dict[str, int] = {}
        for call in posts:
            if (call.params.get("metadata") or {}).get("event_type") == "factcheck_card":
                per_link[call.params["thread_ts"]] = per_link.get(call.params["thread_ts"], 0) + 1
        twice = sum(1 for n in per_link.values() if n > 1)
    print(f"\nlinks to cards per minute, median [min-max] over rounds ({args.links} links per batch):")
    for n in counts:
        print(f"  WORKER_PROCESSES={n}: {spread(results[n], '{:.0f}')}")
    if len(counts) == 2:
        ratios = [b / a for a, b in zip(results[counts[0]], results[counts[1]], strict=True)]
        print(f"  {counts[1]} / {counts[0]} worker processes, per round: {spread(ratios)}; "
              f"median ratio {median(ratios):.2f}")
    print(f"cards posted twice: {twice}")
    print(f"load average at the end: {load()}")
    return 1 if twice else 0


if __name__ == "__main__":
    sys.exit(main())
