"""What one acknowledgement costs the web process's interpreter: the bot against a bare Bolt app, in process.

    python bench/ack_cost.py                      # SQLite in a temp dir
    python bench/ack_cost.py --database-url postgresql://postgres@127.0.0.1:5432/test

Both WSGI applications (handlers.http.wsgi_app in front of Bolt, as served) are called directly with
signed requests, without a server or a network in between, so the figure is the request path's own CPU
time and is steady on a busy machine, unlike bench/ack_latency.py's throughput. Per kind of event:
chatter (a message without a link), a reaction that is not a vote, a vote (a verdict emoji on a claim
message), a link message. Sequentially, and from 16 threads at once (waitress's HTTP_THREADS), where the
threads contend for the interpreter and the inbox's lock. The bot's workers are not started: the rows the
acknowledgements write stay in the inbox.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BOT_TOKEN, NEWS_CHANNEL, SIGNING_SECRET, machine, slack_signature
from tests.harness.slack_api import BOT_USER_ID, TEAM_ID

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
KINDS = ("chatter", "other emoji", "vote", "link")


def envelope(kind: str, n: int) -> bytes:
    """The `event_callback` body Slack would send for the n-th event of a kind."""
    stamp = f"{time.time():.6f}"
    if kind in ("chatter", "link"):
        text = (f"Message {n}: has anyone called the ministry back about the figures yet?" if kind == "chatter"
                else f"New piece: <https://news.example.org/story-{n}>")
        event: dict[str, Any] = {"type": "message", "channel": NEWS_CHANNEL, "user": f"U{n % 40:07d}", "text": text,
                                 "ts": stamp, "event_ts": stamp, "channel_type": "channel", "team": TEAM_ID,
                                 "client_msg_id": f"{n:08x}-0000-4000-8000-000000000000",
                                 "blocks": [{"type": "rich_text", "block_id": "b", "elements": [
                                     {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
    else:
        event = {"type": "reaction_added", "user": f"U{n % 40:07d}",
                 "reaction": "white_check_mark" if kind == "vote" else "thumbsup",
                 "item": {"type": "message", "channel": NEWS_CHANNEL, "ts": "1700000000.000100"},
                 "item_user": BOT_USER_ID, "event_ts": stamp}
    return json.dumps({"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0BENCH", "event": event,
                       "type": "event_callback", "event_id": f"Ev{kind[:2]}{n:09d}", "event_time": int(time.time()),
                       "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                                           "is_bot": True, "is_enterprise_install": False}],
                       "is_ext_shared_channel": False, "event_context": f"4-{n}"}).encode()


def call(app: WSGI, body: bytes) -> None:
    stamp = str(int(time.time()))
    signature = slack_signature(body, stamp)
    environ = {"PATH_INFO": "/slack/events", "REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": "application/json", "wsgi.input": io.BytesIO(body), "QUERY_STRING": "",
               "HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": signature,
               "SERVER_NAME": "bench", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}
    status: list[str] = []
    b"".join(app(environ, lambda s, _headers: status.append(s)))
    if not status[0].startswith("200"):
        raise SystemExit(f"the application answered {status[0]}")


def cost(app: WSGI, bodies: list[bytes], threads: int) -> float:
    """CPU milliseconds per request (process time, every thread) for these bodies."""
    started = time.process_time()
    if threads == 1:
        for body in bodies:
            call(app, body)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda body: call(app, body), bodies))
    return (time.process_time() - started) / len(bodies) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per kind and target (default 3000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (median reported; default 3)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a temporary schema is used)")
    args = parser.parse_args()

    from bench import bare_bolt
    from bench.common import median
    from tests.harness.databases import database
    from tests.harness.slack_api import SlackStandIn

    print(machine())
    with SlackStandIn() as slack, tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp, \
            database(args.database_url, Path(tmp), "cost") as url:
        os.environ.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, DATABASE_URL=url,
                          SLACK_API_URL=slack.api_url)
        from bot.config.settings import Settings
        from bot.runtime.composition import build_services
        from handlers import create_app
        from handlers.http import wsgi_app
        from handlers.quiet import quiet_events

        services = build_services(Settings(_env_file=None))  # type: ignore[call-arg]
        services.start_web()  # as the web process: learns the bot's identity, no workers
        bot = wsgi_app(create_app(services), SIGNING_SECRET, quiet=quiet_events(services))
        bare = wsgi_app(bare_bolt.build(slack.api_url), SIGNING_SECRET)
        print(f"database {'PostgreSQL' if services.db.is_postgres else 'SQLite'}; {args.requests} requests per kind, "
              f"median of {args.rounds} rounds; CPU ms per request (process time)")
        print(f"{'kind':<12} | {'threads':>7} | {'bot':>7} | {'bare':>7} | bot / bare")
        counter = 0
        for kind in KINDS:
            for threads in (1, 16):
                figures: dict[str, list[float]] = {"bot": [], "bare": []}
                for _ in range(args.rounds):
                    for name, app in (("bot", bot), ("bare", bare)):
                        bodies = [envelope(kind, counter + i) for i in range(args.requests)]
                        counter += args.requests
                        figures[name].append(cost(app, bodies, threads))
                mine, theirs = median(figures["bot"]), median(figures["bare"])
                print(f"{kind:<12} | {threads:>7} | {mine:7.3f} | {theirs:7.3f} | {mine / theirs:.2f}")
        services.stop(timeout=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
