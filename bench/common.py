"""Shared helpers for the benchmark scripts: machine facts, statistics, the bot's environment for a
bench run, and deterministic synthetic articles. The bot as a real process (tests.harness.processes:
Process, bot_process, free_port), the database per run (tests.harness.databases.database) and waiting
(tests.harness.waiting) are the tests' own helpers: the scripts import them from there.

Scripts run from the repository root as `python bench/<name>.py`; each puts the root on sys.path
before importing this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.harness.processes import bot_env

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_HTML = ROOT / "samples" / "bagram-bounty.html"
SIGNING_SECRET = "bench-signing-secret-0123456789"
BOT_TOKEN = "xoxb-bench-token-0000"
NEWS_CHANNEL = "C0NEWS"
REPORTER = "U0MARIA"


# -- machine and statistics ---------------------------------------------------------------------------


def slack_signature(body: bytes, stamp: str) -> str:
    """The X-Slack-Signature Slack would send for this body at this timestamp (the bench's signing secret)."""
    import hashlib
    import hmac

    return "v0=" + hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"machine: {os.cpu_count()} cores (nproc), {cpu}, {ram} RAM, Python {platform.python_version()}, "
            f"{now}")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """'median [min-max] over n' for figures measured over several rounds."""
    if not values:
        return "n/a"
    return f"{fmt.format(median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}] (n={len(values)})"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- the bot process ---------------------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB, from /proc/<pid>/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def send_link(sender: Any, slack: Any, url: str) -> tuple[str, float]:
    """Post a link as the reporter in the stand-in and deliver its signed event; (its ts, when it was sent)."""
    ts = slack.post_human_message(NEWS_CHANNEL, f"<{url}>", user=REPORTER)
    event = sender.message_event(channel=NEWS_CHANNEL, user=REPORTER, text=f"<{url}>", ts=ts)
    started = time.time()
    response = sender.event(event)
    if response.status_code != 200:
        raise RuntimeError(f"event refused: {response.status_code} {response.text}")
    return ts, started


def bench_env(**values: str | int) -> dict[str, str]:
    """tests.harness.processes.bot_env with the bench's token and secret, quiet logs, the embedded extractor
    and no periodic reconciliation during a run; values (bot_env's arguments or variables) win."""
    settings = {"CLAIM_EXTRACTOR": "embedded", "LOG_LEVEL": "WARNING", "RECONCILE_INTERVAL_MINUTES": "1440"}
    return bot_env(**{"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET, **settings, **values})  # type: ignore[arg-type]


# -- synthetic articles ---------------------------------------------------------------------------------------

_PLACES = ["Kabul", "Baghdad", "Ohio", "Lagos", "Manila", "Bavaria", "Sonora", "Kerala", "Quebec", "Gdansk",
           "Mombasa", "Valparaiso", "Tasmania", "Minsk", "Busan", "Cork"]
_ORGS = ["the health ministry", "the central bank", "the city council", "the World Bank", "the election commission",
         "the national statistics office", "the Pentagon", "the European Commission", "the port authority",
         "the teachers' union", "the energy regulator", "the UN refugee agency"]
_PEOPLE = ["Maria Lopez", "Ahmed Karimi", "John Whitfield", "Grace Okafor", "Li Wei", "Anna Kowalska",
           "Rahul Menon", "Sofia Rossi", "Daniel Adeyemi", "Hannah Becker"]
_THINGS = ["unemployment", "inflation", "hospital admissions", "crime", "school enrolment", "rents",
           "carbon emissions", "exports", "road deaths", "vaccination rates", "public debt", "wages"]
_CHECKABLE = [
    "{org} said on {day} that {thing} rose by {pct} percent in {place} last year, the highest level since {year}.",
    "According to {org}, {n} people were killed and {n2} injured in {place} between {month} and {month2}.",
    "{person}, a spokesperson for {org}, said the programme had cost {n} million dollars since {year}.",
    "Official figures show {thing} in {place} fell from {pct} percent in {year} to {pct2} percent this year.",
    "The report found that {pct} percent of households in {place} could not afford basic food in {month}.",
    "{person} told reporters that {org} had approved {n} new permits in {place}, twice as many as in {year}.",
    "In {year}, {place} recorded {n} cases, compared with {n2} cases a decade earlier, {org} said.",
    "The government spent {n} billion dollars on {thing} programmes in {year}, according to budget documents.",
    "{org} confirmed that {n} soldiers had been deployed to {place} since {month}.",
    "Data from {org} show that {thing} has doubled in {place} over the past {small} years.",
]
_FILLER = [
    "Residents described a mood of uncertainty in the days that followed.",
    "It is not yet clear what the decision will mean for families in {place}.",
    "Some observers welcomed the move, while others urged caution.",
    "The debate is likely to continue for months.",
    "{person} declined to comment further when reached by phone on {day}.",
    "Critics say the plan raises more questions than it answers.",
    "Walking through the market, one sees shuttered stalls and few customers.",
    "What happens next depends on negotiations that have barely begun.",
    "Many people we spoke to said they simply wanted to be heard.",
    "The atmosphere at the meeting was tense but polite.",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        org=rng.choice(_ORGS), person=rng.choice(_PEOPLE), place=rng.choice(_PLACES), thing=rng.choice(_THINGS),
        day=rng.choice(_DAYS), month=rng.choice(_MONTHS), month2=rng.choice(_MONTHS), year=rng.randint(1990, 2023),
        n=rng.randint(2, 9000), n2=rng.randint(2, 900), pct=rng.randint(2, 60), pct2=rng.randint(2, 60),
        small=rng.randint(2, 12),
    )


def synthetic_article(words: int, seed: int = 0) -> bytes:
    """A news page of about `words` words of body text (deterministic for a seed), with navigation, a
    sidebar of other stories' headlines and a footer around the article, as real pages have."""
    rng = random.Random(f"{words}:{seed}")
    title = _fill("{org} says {thing} in {place} reached a record in {year}", rng)
    title = title[:1].upper() + title[1:]
    paragraphs: list[str] = []
    count = 0
    while count < words:
        sentences = []
        for _ in range(rng.randint(2, 5)):
            template = rng.choice(_CHECKABLE) if rng.random() < 0.45 else rng.choice(_FILLER)
            sentences.append(_fill(template, rng))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    nav = "".join(f'<li><a href="/section/{s}">{s.title()}</a></li>' for s in
                  ("world", "politics", "business", "health", "science", "sport", "opinion"))
    sidebar = "".join(f'<li><a href="/story/{i}">{_fill(rng.choice(_CHECKABLE), rng)[:80]}</a></li>'
                      for i in range(6))
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Daily Bench</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="The Daily Bench">
<meta name="author" content="{rng.choice(_PEOPLE)}">
<meta property="article:published_time" content="2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:00:00Z">
</head><body>
<header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>{title}</h1><p class="byline">By {rng.choice(_PEOPLE)}</p>
{body}
</article>
<aside><h2>Most read</h2><ul>{sidebar}</ul></aside></main>
<footer><p>Copyright The Daily Bench. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""
    return html.encode("utf-8")
