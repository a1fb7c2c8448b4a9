"""Database at scale: a newsroom's five years of claims and votes, and the queries the bot runs on them.

    python bench/db_scale.py --database-url postgresql://postgres@127.0.0.1:5432/test   # SQLite and PostgreSQL
    python bench/db_scale.py                       # SQLite only
    python bench/db_scale.py --claims 100000       # smaller, faster

Generates --claims claims (default 1,000,000; 5 per article) over 5 years across 50 channels, with votes
(append-only events), active votes and verdict history, by bulk insert into the schema the migrations
create (same indexes as production). PostgreSQL gets a dedicated schema, dropped at the end. Then, at the
median over --repeat runs:

* the /claims first page: open claims, oldest first, 10 per page, with and without a channel filter,
  plus the count of open claims a paged list shows;
* a weekly summary's queries (new claims by channel and status, verdicts reached, claims resolved,
  votes and voters, claims still open);
* recording a vote: bot.verdicts.VerdictRecorder.record_reaction in a committed session.

When issue 4's code is in the tree, its functions are measured too (bot.desk.list_claims, all channels
visible, and bot.desk.weekly_report.build_summary for last week); the equivalent SQLAlchemy queries below
(`claims_page`, `weekly_summary`) are always measured, as they were written before that code existed.
Each query's plan is printed (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE); the indexes the plans lack are then
created in the benchmark's own database only and the same queries measured again, to show what they buy.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Select, and_, func, select, text
from sqlalchemy.orm import Session

from bench.common import machine, median, ms, spread
from storage.db import Database
from storage.models import Article, Claim, VerdictChange, Vote
from tests.harness.databases import database

CHANNELS = [f"C0CHAN{i:03d}" for i in range(50)]
VERDICTS = ["true", "false", "misleading", "unverifiable"]
EMOJI = {"true": "white_check_mark", "false": "x", "misleading": "warning", "unverifiable": "question"}
PER_ARTICLE = 5
YEARS = 5
PAGE = 10
NOW = datetime.now(UTC).replace(microsecond=0)
PROPOSED_INDEXES = {
    "ix_claims_channel_status_created": ("claims", "channel_id, status, created_at"),
    "ix_claims_created": ("claims", "created_at"),
    "ix_claims_resolved": ("claims", "resolved_at"),
    "ix_votes_created": ("votes", "created_at"),
}


# -- data ----------------------------------------------------------------------------------------------------


def generate(claims: int, seed: int = 7) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Rows per table, in batches: (table, rows). Deterministic for a seed."""
    rng = random.Random(seed)
    span = YEARS * 365 * 86400
    articles = claims // PER_ARTICLE
    batch = 20_000
    vote_id = change_id = active_id = 0
    for first in range(0, articles, batch):
        article_rows, claim_rows, vote_rows, active_rows, change_rows = [], [], [], [], []
        for article_id in range(first + 1, min(articles, first + batch) + 1):
            # Uniform over 5 years, ids in time order like a real table.
            created = NOW - timedelta(seconds=span * (1 - article_id / articles) + 60)
            channel = CHANNELS[rng.randrange(len(CHANNELS))] if rng.random() < 0.7 else CHANNELS[article_id % 5]
            url = f"https://news{article_id % 97}.example/{article_id}"
            article_rows.append((article_id, url, url, f"Story {article_id}", "published", created, created))
            age_days = (NOW - created).days
            for position in range(1, PER_ARTICLE + 1):
                claim_id = (article_id - 1) * PER_ARTICLE + position
                roll = rng.random()
                if age_days <= 30:
                    status = "open" if roll < 0.6 else ("resolved" if roll < 0.92 else "disputed")
                else:
                    status = "open" if roll < 0.08 else ("resolved" if roll < 0.93 else "disputed")
                verdict = rng.choice(VERDICTS) if status == "resolved" else None
                ts = f"{int(created.timestamp()) + position}.{claim_id % 1_000_000:06d}"
                n_votes = {"open": rng.choice((0, 0, 1)), "resolved": rng.choice((1, 1, 2, 3)), "disputed": 2}[status]
                last_vote_at, last_vote_id = created, None
                for v in range(n_votes):
                    vote_id += 1
                    active_id += 1
                    at = created + timedelta(minutes=10 + 30 * v + rng.randrange(600))
                    voted = verdict if (status == "resolved" and v == 0) else rng.choice(VERDICTS)
                    user = f"U{rng.randrange(400):05d}{v:02d}"  # distinct per claim: one active slot each
                    source = f"reaction:{EMOJI[voted]}"
                    vote_rows.append((vote_id, claim_id, user, voted, source, "added", True, "event",
                                      f"r:{claim_id}:{user}:{EMOJI[voted]}:add:{vote_id}", at))
                    active_rows.append((active_id, claim_id, user, source, voted, True, at))
                    last_vote_at, last_vote_id = max(last_vote_at, at), vote_id
                resolved_at = last_vote_at if status == "resolved" else None
                if status != "open":
                    change_id += 1
                    change_rows.append((change_id, claim_id, "open", None, status, verdict, last_vote_id,
                                        last_vote_at))
                claim_rows.append((claim_id, article_id, position, f"Claim {claim_id}: a figure that needs checking.",
                                   f"Claim {claim_id}: a figure that needs checking.", None, 0.9, status, verdict,
                                   channel, ts, f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}",
                                   n_votes, n_votes, "open" if status == "open" else status, verdict, resolved_at,
                                   None, created, last_vote_at))
        yield "articles", article_rows
        yield "claims", claim_rows
        yield "votes", vote_rows
        yield "active_votes", active_rows
        yield "verdict_changes", change_rows


COLUMNS = {
    "articles": "id, canonical_url, url, title, status, created_at, updated_at",
    "claims": "id, article_id, position, text, quote, speaker, score, status, verdict, channel_id, message_ts, "
              "permalink, version, rendered_version, announced_status, announced_verdict, resolved_at, "
              "reconciled_at, created_at, updated_at",
    "votes": "id, claim_id, user_id, verdict, source, action, eligible, origin, event_key, created_at",
    "active_votes": "id, claim_id, user_id, source, verdict, active, voted_at",
    "verdict_changes": "id, claim_id, old_status, old_verdict, new_status, new_verdict, vote_id, changed_at",
}


def _sqlite_value(value: Any) -> Any:
    # The format SQLAlchemy's SQLite DateTime stores (UTC, no zone: storage.models.UTCDateTime).
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def load(db: Database, claims: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    if db.is_postgres:
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for table, rows in generate(claims):
                with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                counts[table] = counts.get(table, 0) + len(rows)
            for table in COLUMNS:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {table}))")
            raw.commit()
            # What autovacuum does for a live database: statistics and the visibility map (index-only scans).
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM ANALYZE")
            raw.driver_connection.autocommit = False
        finally:
            raw.close()
        return counts
    connection = sqlite3.connect(db.engine.url.database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("BEGIN")
    for table, rows in generate(claims):
        marks = ", ".join("?" * len(COLUMNS[table].split(",")))
        connection.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})",
                               ([_sqlite_value(v) for v in row] for row in rows))
        counts[table] = counts.get(table, 0) + len(rows)
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()
    return counts


# -- the queries (equivalents of issue 4's /claims and weekly summary) -------------------------------------


def claims_page(channel: str | None = None, page: int = 1, per_page: int = PAGE) -> Select[Any]:
    """/claims: open claims, oldest first, with their article's title and link."""
    query = (select(Claim.id, Claim.text, Claim.permalink, Claim.created_at, Claim.channel_id, Article.title,
                    Article.url).join(Article, Article.id == Claim.article_id).where(Claim.status == "open"))
    if channel:
        query = query.where(Claim.channel_id == channel)
    return query.order_by(Claim.created_at, Claim.id).limit(per_page).offset((page - 1) * per_page)


def open_count(channel: str | None = None) -> Select[Any]:
    query = select(func.count()).select_from(Claim).where(Claim.status == "open")
    return query.where(Claim.channel_id == channel) if channel else query


def weekly_summary(end: datetime) -> dict[str, Select[Any]]:
    start = end - timedelta(days=7)
    return {
        "new claims by channel/status": select(Claim.channel_id, Claim.status, func.count())
        .where(Claim.created_at >= start, Claim.created_at < end).group_by(Claim.channel_id, Claim.status),
        "verdicts reached": select(VerdictChange.new_status, VerdictChange.new_verdict, func.count())
        .where(VerdictChange.changed_at >= start, VerdictChange.changed_at < end)
        .group_by(VerdictChange.new_status, VerdictChange.new_verdict),
        "claims resolved (list)": select(Claim.id, Claim.text, Claim.verdict, Claim.permalink, Claim.resolved_at)
        .where(Claim.resolved_at >= start, Claim.resolved_at < end).order_by(Claim.resolved_at.desc()).limit(20),
        "votes and voters": select(func.count(), func.count(func.distinct(Vote.user_id)))
        .where(Vote.created_at >= start, Vote.created_at < end),
        "still open (count)": select(func.count()).select_from(Claim)
        .where(Claim.status == "open", Claim.created_at < start),
        "still open (oldest 5)": select(Claim.id, Claim.text, Claim.created_at)
        .where(and_(Claim.status == "open", Claim.created_at < start)).order_by(Claim.created_at, Claim.id).limit(5),
    }


# -- measuring -------------------------------------------------------------------------------------------------


def timed(db: Database, run: Callable[[Session], Any], repeat: int) -> list[float]:
    times = []
    with db.engine.connect() as connection:
        session = Session(bind=connection)
        for _ in range(3):
            run(session)
        for _ in range(repeat):
            started = time.perf_counter()
            run(session)
            times.append(time.perf_counter() - started)
            session.rollback()
        session.close()
    return times


def plan(db: Database, query: Select[Any]) -> str:
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    sql = str(compiled)
    with db.engine.connect() as connection:
        if db.is_postgres:
            rows = connection.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}")).all()
            return "\n".join("      " + r[0] for r in rows)
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
        return "\n".join("      " + "  " * (0 if r[1] == 0 else 1) + str(r[-1]) for r in rows)


def issue4_functions() -> dict[str, Callable[[Session, str, str], Any]]:
    """The bot's own /claims page and weekly summary (issue 4), when they are in the tree."""
    try:
        from bot.desk.listing import list_claims
        from bot.desk.query import ClaimQuery
        from bot.desk.weekly_report import build_summary, iso_week
    except ImportError:
        return {}
    visible = set(CHANNELS)
    week = iso_week((NOW - timedelta(days=7)).date())
    return {
        "bot.desk.list_claims page 1": lambda s, busy, quiet: list_claims(s, ClaimQuery(status="open"), visible),
        "bot.desk.list_claims page 1, channel": lambda s, busy, quiet: list_claims(
            s, ClaimQuery(status="open", channel_id=busy), visible),
        "bot.desk.list_claims page 1, quiet channel": lambda s, busy, quiet: list_claims(
            s, ClaimQuery(status="open", channel_id=quiet), visible),
        "bot.desk.weekly_report.build_summary (last week)": lambda s, busy, quiet: build_summary(s, week),
    }


def measure_queries(db: Database, repeat: int, busy_channel: str, quiet_channel: str) -> dict[str, list[float]]:
    end = NOW
    out: dict[str, list[float]] = {}
    for name, function in issue4_functions().items():
        out[name] = timed(db, lambda s, f=function: f(s, busy_channel, quiet_channel), repeat)
    out["/claims page 1"] = timed(db, lambda s: s.execute(claims_page()).all(), repeat)
    out["/claims page 1, channel"] = timed(db, lambda s: s.execute(claims_page(busy_channel)).all(), repeat)
    out["/claims page 1, quiet channel"] = timed(db, lambda s: s.execute(claims_page(quiet_channel)).all(), repeat)
    out["/claims open count"] = timed(db, lambda s: s.execute(open_count()).scalar(), repeat)
    out["/claims open count, channel"] = timed(db, lambda s: s.execute(open_count(busy_channel)).scalar(), repeat)
    queries = weekly_summary(end)
    for name, query in queries.items():
        out[f"weekly: {name}"] = timed(db, lambda s, q=query: s.execute(q).all(), repeat)

    def whole(session: Session) -> None:
        for query in weekly_summary(end).values():
            session.execute(query).all()

    out["weekly summary (all queries)"] = timed(db, whole, max(5, repeat // 3))
    return out


def measure_votes(db: Database, votes: int, claims: int, seed: int = 11) -> list[float]:
    from bot.config.verdict_scale import VerdictScale
    from bot.verdicts.recorder import Eligibility, VerdictRecorder

    recorder = VerdictRecorder(VerdictScale.parse(None), Eligibility([]), quorum=1, bot_user_id=lambda: "U0BOT")
    rng = random.Random(seed)
    with db.session() as session:
        targets = session.execute(select(Claim.channel_id, Claim.message_ts).where(
            Claim.id.in_([rng.randrange(1, claims + 1) for _ in range(votes + 20)]))).all()
    times = []
    for index, (channel, ts) in enumerate(targets[: votes + 10]):
        started = time.perf_counter()
        with db.session() as session:
            result = recorder.record_reaction(session, channel=channel, ts=ts, user=f"UB{seed:03d}{index:05d}",
                                              reaction=rng.choice(list(EMOJI.values())), added=True,
                                              event_ts=f"{time.time():.6f}")
        elapsed = time.perf_counter() - started
        assert result is not None and result.recorded, (channel, ts, result)
        if index >= 10:  # the first ones warm the connection pool and caches
            times.append(elapsed)
    return times


def run_backend(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = Database(url)
    db.migrate()
    started = time.perf_counter()
    counts = load(db, args.claims)
    loaded = time.perf_counter() - started
    print(f"\n== {label}: loaded {', '.join(f'{n:,} {t}' for t, n in counts.items())} in {loaded:.1f} s")
    with db.session() as session:
        busy = session.execute(select(Claim.channel_id, func.count()).where(Claim.status == "open")
                               .group_by(Claim.channel_id).order_by(func.count().desc()).limit(1)).one()
        quiet = session.execute(select(Claim.channel_id, func.count()).where(Claim.status == "open")
                                .group_by(Claim.channel_id).order_by(func.count()).limit(1)).one()
    print(f"   open claims: busiest channel {busy[0]} has {busy[1]:,}, quietest {quiet[0]} has {quiet[1]:,}")
    print("   plans:")
    for name, query in [("/claims page 1", claims_page()), ("/claims page 1, channel", claims_page(busy[0])),
                        ("/claims page 1, quiet channel", claims_page(quiet[0])),
                        ("/claims open count, channel", open_count(busy[0])), *weekly_summary(NOW).items()]:
        print(f"    {name}:\n{plan(db, query)}")
    before = measure_queries(db, args.repeat, busy[0], quiet[0])
    votes = measure_votes(db, args.votes, args.claims)
    after: dict[str, list[float]] = {}
    if not args.no_proposed_indexes:
        from sqlalchemy import inspect

        existing = {ix["name"] for table in ("claims", "votes") for ix in inspect(db.engine).get_indexes(table)}
        already = [name for name in PROPOSED_INDEXES if name in existing]
        if already:
            print(f"   already in the schema (migrations): {', '.join(already)}")
        with db.engine.begin() as connection:
            for name, (table, columns) in PROPOSED_INDEXES.items():
                if name not in existing:
                    connection.execute(text(f"CREATE INDEX {name} ON {table} ({columns})"))
            connection.execute(text("ANALYZE"))
        print("   plans with the proposed indexes (created in this benchmark database only):")
        for name, query in [("/claims page 1, channel", claims_page(busy[0])),
                            *[(k, v) for k, v in weekly_summary(NOW).items()
                              if k in ("new claims by channel/status", "claims resolved (list)",
                                       "votes and voters")]]:
            print(f"    {name}:\n{plan(db, query)}")
        after = measure_queries(db, args.repeat, busy[0], quiet[0])
        votes_after = measure_votes(db, args.votes, args.claims, seed=12)
        after["vote (record_reaction, committed)"] = votes_after
    before["vote (record_reaction, committed)"] = votes
    db.dispose()
    return {"before": before, "after": after}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1_000_000, help="claims to generate (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query (default %(default)s)")
    parser.add_argument("--votes", type=int, default=200, help="votes recorded for the vote timing (default 200)")
    parser.add_argument("--database-url", default=None, help="also run on this PostgreSQL (in a temporary schema)")
    parser.add_argument("--no-proposed-indexes", action="store_true", help="skip the with-proposed-indexes pass")
    args = parser.parse_args()
    print(machine())
    print(f"{args.claims:,} claims over {YEARS} years, {len(CHANNELS)} channels; medians over {args.repeat} runs")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        with database(None, Path(tmp), "scale") as url:
            results["SQLite"] = run_backend("SQLite", url, args)
        if args.database_url:
            with database(args.database_url, Path(tmp), "scale") as url:
                results["PostgreSQL"] = run_backend("PostgreSQL", url, args)
    targets = {"/claims page 1": 0.050, "/claims page 1, channel": 0.050, "/claims page 1, quiet channel": 0.050,
               "weekly summary (all queries)": 0.500, "bot.desk.list_claims page 1": 0.050,
               "bot.desk.list_claims page 1, channel": 0.050, "bot.desk.list_claims page 1, quiet channel": 0.050,
               "bot.desk.weekly_report.build_summary (last week)": 0.500,
               "vote (record_reaction, committed)": 0.005}
    print("\nmedian [min-max] ms; 'with proposed' = same run after creating the proposed indexes "
          "(ratio = before/after, per run pair)")
    missed = []
    for backend, result in results.items():
        print(f"\n{backend}:")
        for name, values in result["before"].items():
            line = f"  {name:<40} {spread([v * 1000 for v in values], '{:.2f}'):>30}"
            if name in result["after"]:
                later = result["after"][name]
                ratio = [b / a for b, a in zip(values, later, strict=False)]
                line += f"  with proposed {spread([v * 1000 for v in later], '{:.2f}'):>30}  ratio {spread(ratio)}"
            if name in targets:
                got = median(values)
                ok = got < targets[name]
                line += f"  target < {ms(targets[name])}: " + ("met" if ok else f"MISSED by {ms(got - targets[name])}")
                if not ok:
                    missed.append(f"{backend} {name}")
            print(line)
    print("\nproposed indexes (storage/models.py is not changed by this script): " + "; ".join(
        f"{name} ON {table} ({columns})" for name, (table, columns) in PROPOSED_INDEXES.items()))
    print("targets: " + ("all met" if not missed else "missed: " + ", ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
