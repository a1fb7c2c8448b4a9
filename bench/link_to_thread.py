"""Link to thread: from the signed message event to the last claim message and the card.

    python bench/link_to_thread.py                 # about 30 seconds
    python bench/link_to_thread.py --rounds 15 --throughput-links 300     # bigger

Pages: samples/bagram-bounty.html and deterministic synthetic news pages of 500, 2,000 and 5,000 words
(bench.common.synthetic_article), served by the local article server.

1. End to end, real processes: two `python app.py` bots in HTTP mode, one with the embedded extractor and
   one with an OpenAI-compatible server that answers at once (OpenAIStandIn, answering with sentences
   quoted from the article). Each round sends each page to both (alternating which goes first), one at a
   time, and times event -> :mag: -> last claim message -> card from the Slack stand-in's call log.
3. Step breakdown, in-process: the same pipeline job run synchronously (no worker threads) with each step
   timed: fetch (local HTTP), parse (HTML -> text), extract (claims), Slack calls (reaction, posts,
   permalinks, against the local stand-in) and the rest, which is database work (SQLite or
   --database-url) and Python glue.
2. Throughput: --throughput-links (100) distinct links sent at once to the embedded bot process
   (WORKER_THREADS default 4); time until every card is posted. Target: within 60 s.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BOT_TOKEN,
    NEWS_CHANNEL,
    REPORTER,
    SAMPLE_HTML,
    SIGNING_SECRET,
    bench_env,
    machine,
    median,
    ms,
    send_link,
    spread,
    synthetic_article,
)
from tests.harness.databases import database
from tests.harness.processes import bot_process, free_port

MODES = ("embedded", "openai")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'“])")


def pages() -> dict[str, bytes]:
    return {"bagram-bounty": SAMPLE_HTML.read_bytes(), "synthetic-500w": synthetic_article(500),
            "synthetic-2000w": synthetic_article(2000), "synthetic-5000w": synthetic_article(5000)}


def quoting_responder(request: dict[str, Any]) -> str:
    """An instant LLM: the summary is the first two sentences, the claims five sentences with numbers."""
    user = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
    text = user.split("<article>", 1)[-1].split("</article>", 1)[0]
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if len(s.strip()) > 40]
    claims = [s for s in sentences if re.search(r"\d", s)][:5] or sentences[:3]
    return json.dumps({"summary": " ".join(sentences[:2]),
                       "claims": [{"claim": s, "quote": s, "speaker": None} for s in claims]})


# -- 1. end to end ----------------------------------------------------------------------------------------------


def claim_calls(slack: Any, since: float) -> list[Any]:
    return [c for c in slack.calls_to("chat.postMessage") if c.time >= since
            and (c.params.get("metadata") or {}).get("event_type") == "factcheck_claim"]


def card_time(slack: Any, ts: str) -> float | None:
    cards = [c.time for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == ts]
    return cards[0] if cards else None


def end_to_end(slack: Any, articles: Any, bots: dict[str, Any], rounds: int, tag: str) -> dict[tuple[str, str], dict]:
    from tests.harness.signing import SlackEventSender

    senders = {mode: SlackEventSender(bot.url, SIGNING_SECRET) for mode, bot in bots.items()}
    results: dict[tuple[str, str], dict[str, list[float]]] = {}
    for round_no in range(rounds):
        for page in pages():
            order = MODES if round_no % 2 == 0 else tuple(reversed(MODES))
            for mode in order:
                url = f"{articles.base}/p/{page}/{tag}{round_no}/{mode}"
                ts, started = send_link(senders[mode], slack, url)
                deadline = time.monotonic() + 60
                while (done := card_time(slack, ts)) is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                if done is None:
                    raise RuntimeError(f"no card for {url} within 60 s")
                mags = [c.time for c in slack.calls_to("reactions.add") if c.params.get("timestamp") == ts]
                claims = [c.time for c in claim_calls(slack, started)]
                row = results.setdefault((page, mode), {"mag": [], "last_claim": [], "card": [], "claims": []})
                row["mag"].append(mags[0] - started if mags else float("nan"))
                row["last_claim"].append((max(claims) if claims else done) - started)
                row["card"].append(done - started)
                row["claims"].append(len(claims))
    for sender in senders.values():
        sender.client.close()
    return results


# -- 3. step breakdown ---------------------------------------------------------------------------------------


class Timer:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started
        return timed


def step_breakdown(slack: Any, articles: Any, llm: Any, db_urls: dict[str, str],
                   rounds: int) -> dict[tuple[str, str], dict]:
    import bot.publishing.link_job as pipeline_module
    from bot.config.settings import load_settings
    from bot.intake.accept import LinkMessage
    from bot.runtime.composition import build_services

    timer = Timer()
    pipeline_module.fetch = timer.wrap("fetch", pipeline_module.fetch)
    pipeline_module.parse_article = timer.wrap("parse", pipeline_module.parse_article)
    services = {}
    for mode in MODES:
        extra: dict[str, Any] = {}
        if mode == "openai":
            extra = {"claim_extractor": "openai", "openai_api_key": "sk-bench", "openai_base_url": llm.base_url,
                     "openai_model": "bench-model"}
        settings = load_settings(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                                 slack_api_url=slack.api_url, database_url=db_urls[mode],
                                 fetch_allowed_private_hosts=f"127.0.0.1:{articles.port}", **extra)
        built = build_services(settings)
        built.extractor.extract = timer.wrap("extract", built.extractor.extract)  # type: ignore[method-assign]
        publisher = built.link_job.gateway
        for method in ("mark_seen", "post", "permalink"):
            setattr(publisher, method, timer.wrap("slack", getattr(publisher, method)))
        services[mode] = built
    results: dict[tuple[str, str], dict[str, list[float]]] = {}
    counter = 0
    for round_no in range(rounds + 1):  # round 0 warms up (model load, first connections) and is not kept
        for page in pages():
            order = MODES if round_no % 2 == 0 else tuple(reversed(MODES))
            for mode in order:
                counter += 1
                url = f"{articles.base}/p/{page}/s{round_no}/{mode}"
                ts = slack.post_human_message(NEWS_CHANNEL, f"<{url}>", user=REPORTER)
                timer.spent = {}
                started = time.perf_counter()
                services[mode].accept_links(LinkMessage("T0TEST", NEWS_CHANNEL, ts, None, REPORTER, [url]),
                                            f"EvS{counter}")
                intake = time.perf_counter() - started  # the acknowledgement's part: one inbox row
                job_started = time.perf_counter()
                services[mode].drain_inbox()  # what a worker does first: the link post and its job
                while services[mode].worker.run_once():
                    pass
                total = time.perf_counter() - job_started
                if round_no == 0:
                    continue
                row = results.setdefault((page, mode), {})
                spent = dict(timer.spent)
                spent["intake (db)"] = intake
                spent["db + glue"] = total - sum(timer.spent.values())
                spent["total"] = intake + total
                spent["total - fetch"] = spent["total"] - spent.get("fetch", 0.0)
                for key, value in spent.items():
                    row.setdefault(key, []).append(value)
    for built in services.values():
        built.stop(timeout=1)
    return results


def client_cost(rounds: int) -> tuple[list[float], list[float]]:
    """Side by side: an httpx.Client as bot.articles.fetch makes one per fetch, and one given a shared SSL context."""
    import ssl

    import httpx

    context = ssl.create_default_context()
    fresh, shared = [], []
    for _ in range(rounds):
        for kind, out in (("fresh", fresh), ("shared", shared)):
            started = time.perf_counter()
            client = httpx.Client(trust_env=False, verify=context) if kind == "shared" else httpx.Client(
                trust_env=False)
            client.close()
            out.append(time.perf_counter() - started)
    return fresh, shared


# -- 2. throughput ---------------------------------------------------------------------------------------------


def throughput(slack: Any, articles: Any, bot: Any, links: int) -> tuple[float, int]:
    from tests.harness.signing import SlackEventSender

    sender = SlackEventSender(bot.url, SIGNING_SECRET)
    names = list(pages())
    sent: list[str] = []
    first = time.time()
    for index in range(links):
        url = f"{articles.base}/p/{names[index % len(names)]}/t{index}/embedded"
        sent.append(send_link(sender, slack, url)[0])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        done = [card_time(slack, ts) for ts in sent]
        if all(d is not None for d in done):
            return max(d for d in done if d is not None) - first, len(sent)
        time.sleep(0.1)
    return float("nan"), sum(1 for ts in sent if card_time(slack, ts) is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="rounds per page and extractor (default %(default)s)")
    parser.add_argument("--throughput-links", type=int, default=100, help="distinct links sent at once (default 100)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (temporary schemas are used)")
    args = parser.parse_args()

    from tests.harness.article_server import ArticleServer
    from tests.harness.openai_server import OpenAIStandIn
    from tests.harness.slack_api import SlackStandIn

    print(machine())
    print(f"{args.rounds} rounds per page and extractor; database {'PostgreSQL' if args.database_url else 'SQLite'}")

    class Routes(dict):  # /p/<page>/<anything> serves that page, so every link is a distinct URL
        def get(self, path: str, default: Any = None) -> Any:
            from tests.harness.article_server import Route

            parts = path.split("/")
            if len(parts) > 2 and parts[1] == "p" and parts[2] in bodies:
                return Route(body=bodies[parts[2]])
            return super().get(path, default)

    bodies = pages()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-l2t-") as tmp, SlackStandIn() as slack, \
            ArticleServer() as articles, OpenAIStandIn() as llm, \
            database(args.database_url, Path(tmp), "emb") as emb_url, \
            database(args.database_url, Path(tmp), "llm") as llm_url, \
            database(args.database_url, Path(tmp), "steps_embedded") as steps_embedded_url, \
            database(args.database_url, Path(tmp), "steps_openai") as steps_openai_url:
        slack.add_channel(NEWS_CHANNEL, "newsroom", members=[REPORTER])
        articles.routes = Routes()
        llm.responder = quoting_responder
        hostport = f"127.0.0.1:{articles.port}"
        embedded_env = bench_env(slack_api_url=slack.api_url, database_url=emb_url, port=free_port(),
                                 article_hostport=hostport)
        openai_env = bench_env(slack_api_url=slack.api_url, database_url=llm_url, port=free_port(),
                               article_hostport=hostport, CLAIM_EXTRACTOR="openai", OPENAI_API_KEY="sk-bench",
                               OPENAI_BASE_URL=llm.base_url, OPENAI_MODEL="bench-model")
        bots = {"embedded": bot_process(embedded_env, Path(tmp) / "embedded.log"),
                "openai": bot_process(openai_env, Path(tmp) / "openai.log")}
        for bot in bots.values():
            bot.start()
        try:
            end_to_end(slack, articles, bots, 1, "warm")  # model loaded, connections open
            e2e = end_to_end(slack, articles, bots, args.rounds, "r")
            print("\n1. end to end, real processes over HTTP, median [min-max] over rounds, seconds from the event:")
            print(f"{'page':>16} {'extractor':>9} | {':mag:':>22} | {'last claim message':>22} | {'card':>22} "
                  f"| claims | openai/embedded (last claim)")
            for page in bodies:
                for mode in MODES:
                    row = e2e[(page, mode)]
                    ratio = ""
                    if mode == "openai":
                        pairs = zip(row["last_claim"], e2e[(page, "embedded")]["last_claim"], strict=True)
                        ratio = spread([a / b for a, b in pairs])
                    print(f"{page:>16} {mode:>9} | {spread(row['mag'], '{:.3f}'):>22} | "
                          f"{spread(row['last_claim'], '{:.3f}'):>22} | {spread(row['card'], '{:.3f}'):>22} | "
                          f"{median(row['claims']):6.0f} | {ratio}")
            elapsed, done = throughput(slack, articles, bots["embedded"], args.throughput_links)
            print(f"\n2. throughput: {args.throughput_links} distinct links sent at once to the embedded bot "
                  f"(WORKER_THREADS=4): {done} cards, last one {elapsed:.1f} s after the first event "
                  f"({done / elapsed if elapsed == elapsed else 0:.1f} links/s)")
            if not elapsed < 60:
                problems.append(f"{args.throughput_links} links took {elapsed:.1f} s (target 60 s)")
        finally:
            for bot in bots.values():
                bot.stop()

        steps = step_breakdown(slack, articles, llm, {"embedded": steps_embedded_url, "openai": steps_openai_url},
                               args.rounds)
        print("\n3. step breakdown, in-process, one job at a time, median [min-max] ms over rounds:")
        keys = ["fetch", "parse", "extract", "slack", "db + glue", "intake (db)", "total", "total - fetch"]
        print(f"{'page':>16} {'extractor':>9} | " + " | ".join(f"{k:>13}" for k in keys) + " | slowest step")
        for page in bodies:
            for mode in MODES:
                row = steps[(page, mode)]
                slowest = max(keys[:6], key=lambda k: median(row.get(k, [0.0])))
                print(f"{page:>16} {mode:>9} | " + " | ".join(
                    f"{median(row.get(k, [0.0])) * 1000:13.1f}" for k in keys) + f" | {slowest}")
        print("  spread of total (ms): " + "; ".join(
            f"{page}/{mode} {spread([v * 1000 for v in steps[(page, mode)]['total']], '{:.0f}')}"
            for page in bodies for mode in MODES))
        fresh, shared = client_cost(args.rounds * 5)
        print(f"  of the fetch step: creating its httpx.Client (bot/fetch.py, a new SSL context each time) "
              f"{spread([v * 1000 for v in fresh], '{:.1f}')} ms; with one shared SSL context "
              f"{spread([v * 1000 for v in shared], '{:.2f}')} ms; ratio "
              f"{spread([a / b for a, b in zip(fresh, shared, strict=True)], '{:.0f}')}")
        target = steps[("synthetic-2000w", "embedded")]
        extract_2000 = median(target["extract"])
        no_network = median(target["total - fetch"])
        print(f"\ntarget embedded extractor < 1 s median for a 2,000-word article (network excluded): extract "
              f"{ms(extract_2000)}, whole job without the fetch {ms(no_network)} -> "
              + ("met" if no_network < 1 else f"MISSED by {ms(no_network - 1)}"))
        print(f"target 100 distinct links within 60 s: {elapsed:.1f} s -> " + ("met" if elapsed < 60 else "MISSED"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
