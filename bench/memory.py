"""Memory: resident set size of the bot process while it processes many links.

    python bench/memory.py                    # 1,000 links, about 70 seconds
    python bench/memory.py --links 3000       # longer

Starts `python app.py` (HTTP mode, embedded extractor, SQLite in a temp dir or --database-url) against the
local Slack stand-in and a local article server serving distinct deterministic pages (the sample article
and synthetic 500/2,000/5,000-word pages, a different one per link), sends --links link messages as
signed events (at most --in-flight unfinished at a time) and reads VmRSS from /proc/<pid>/status: after
start, after the first links (model loaded), then every --sample-every cards. Targets: under 250 MB, and
not growing between the 500th and the 1,000th link (the slope is fitted over all samples in that range).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    REPORTER,
    SAMPLE_HTML,
    SIGNING_SECRET,
    bench_env,
    machine,
    rss_mb,
    synthetic_article,
)
from tests.harness.databases import database
from tests.harness.processes import bot_process, free_port

CHANNELS = [f"C0MEM{i:02d}" for i in range(10)]


class Pages(dict):
    """/m/<n>: page n, the sample article every 4th, else a synthetic one of 500/2,000/5,000 words (seed n)."""

    sample = SAMPLE_HTML.read_bytes()

    def get(self, path: str, default: Any = None) -> Any:
        from tests.harness.article_server import Route

        if path.startswith("/m/") and path[3:].isdigit():
            n = int(path[3:])
            body = self.sample if n % 4 == 0 else synthetic_article((500, 2000, 5000)[n % 4 - 1], seed=n)
            return Route(body=body)
        return super().get(path, default)


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per link."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=1000, help="links to process (default %(default)s)")
    parser.add_argument("--in-flight", type=int, default=16, help="unfinished links at most (default %(default)s)")
    parser.add_argument("--sample-every", type=int, default=50, help="cards between RSS samples")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a temporary schema is used)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    args = parser.parse_args()

    from tests.harness.article_server import ArticleServer
    from tests.harness.signing import SlackEventSender
    from tests.harness.slack_api import SlackStandIn

    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp, SlackStandIn() as slack, \
            ArticleServer() as articles, database(args.database_url, Path(tmp), "mem") as db_url:
        for channel in CHANNELS:
            slack.add_channel(channel, channel.lower(), members=[REPORTER])
        articles.routes = Pages()
        env = bench_env(slack_api_url=slack.api_url, database_url=db_url, port=free_port(),
                        article_hostport=f"127.0.0.1:{articles.port}")
        bot = bot_process(env, Path(tmp) / "bot.log")
        with bot:
            time.sleep(1.0)
            samples: list[tuple[int, float]] = [(0, rss_mb(bot.pid))]
            print(f"after start (idle, model not loaded yet): {samples[0][1]:.1f} MB")
            sender = SlackEventSender(bot.url, SIGNING_SECRET)
            pending: dict[str, str] = {}  # message ts -> channel
            sent = done = 0
            next_sample = 10
            started = time.monotonic()
            seen_cards: set[str] = set()
            while done < args.links and time.monotonic() - started < args.timeout:
                while sent < args.links and len(pending) < args.in_flight:
                    channel = CHANNELS[sent % len(CHANNELS)]
                    url = f"{articles.base}/m/{sent}"
                    ts = slack.post_human_message(channel, f"<{url}>", user=REPORTER)
                    response = sender.event(sender.message_event(channel=channel, user=REPORTER, text=f"<{url}>",
                                                                 ts=ts))
                    if response.status_code != 200:
                        raise RuntimeError(f"event refused: {response.status_code}")
                    pending[ts] = channel
                    sent += 1
                time.sleep(0.05)
                threads = {c.params.get("thread_ts") for c in slack.calls_to("chat.postMessage")
                           if c.params.get("thread_ts") in pending}
                for ts in threads:
                    pending.pop(ts, None)
                    seen_cards.add(ts)
                done = len(seen_cards)
                if done >= next_sample:
                    samples.append((done, rss_mb(bot.pid)))
                    next_sample = args.sample_every if next_sample == 10 else next_sample + args.sample_every
            elapsed = time.monotonic() - started
            if done < args.links:
                print(f"only {done} of {args.links} links processed in {args.timeout:.0f} s")
            if samples[-1][0] != done:
                samples.append((done, rss_mb(bot.pid)))
            sender.client.close()
        print(f"{done} links processed in {elapsed:.1f} s ({done / elapsed:.1f} links/s)")
        print("RSS by links processed (MB): " + ", ".join(f"{n}: {mb:.1f}" for n, mb in samples))
        at = {n: mb for n, mb in samples}
        half = min(at, key=lambda n: abs(n - args.links // 2))
        peak = max(mb for _, mb in samples)
        second_half = [(n, mb) for n, mb in samples if n >= args.links // 2]
        growth_per_100 = slope(second_half) * 100
        growth = at[max(at)] - at[half]
        print(f"at {half}: {at[half]:.1f} MB, at {max(at)}: {at[max(at)]:.1f} MB, peak {peak:.1f} MB; "
              f"{half}->{max(at)}: {growth:+.1f} MB ({growth / at[half]:+.1%}), fitted slope over "
              f"{len(second_half)} samples {growth_per_100:+.2f} MB per 100 links")
        print(f"target < 250 MB: peak {peak:.1f} MB -> " + ("met" if peak < 250 else f"MISSED by {peak - 250:.1f} MB"))
        flat = growth_per_100 < 0.5 and growth < 0.02 * at[half] + 2
        print(f"target not growing from link {half} to {max(at)}: " + ("met" if flat else "MISSED") +
              " (criterion: fitted slope < 0.5 MB per 100 links and growth < 2% + 2 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
