"""Claim matching ("seen before", issue #13) on CheckThat! 2020 Task 2 English, through the real store.

    python bench/claim_matching.py --claims /work/shared/claimdata/ct20_claim_retrieval/verified_claims.docs.tsv \\
        --queries .../dev/tweets.queries.tsv --qrels .../dev/tweet-vclaim-pairs.qrels [--database-url URL]
    ... --choose-threshold          # on train/: pick the score cut-off (printed; set DEFAULT_THRESHOLD)
    ... --scale 1000000             # add a million synthetic claims first, then time the same queries

The verified claims are stored as claims (bulk insert; the triggers of migration 0006 index them) and
indexed through `ClaimMatcher.index` with "vclaim title" as their document; every query then goes
through `ClaimMatcher.find` in its own `Database.session()`, as the bot will call it. Prints MAP@5 and
precision@1 (ranking over everything above threshold 0) and median / p99 time per query.

--scale N fills the store first with N synthetic claims: each is the first part of one real sentence
joined to the last part of another, drawn from the verified claims and the CheckThat! 2024 English
debate sentences (realistic vocabulary and length, no exact twin of a query's claim), inserted with
executemany in batches of 20,000 (PostgreSQL: COPY). Temporary SQLite files and PostgreSQL schemas
are deleted at the end. Choose settings on train/ and dev/ only; never on held-out test data.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine, median, percentile  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from bot.matching import ClaimMatcher, Weights  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Article, Claim, utcnow  # noqa: E402
from tests.harness.databases import database  # noqa: E402

csv.field_size_limit(10**7)
CT24 = Path("/work/shared/claimdata/ct24_english/CT24_checkworthy_english_train.tsv")
CHANNEL = "C0BENCH"


def read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return rows[1:]


def read_qrels(path: Path) -> dict[str, set[str]]:
    relevant: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3] != "0":
            relevant.setdefault(parts[0], set()).add(parts[2])
    return relevant


def average_precision_at(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    hits, total = 0, 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k) if relevant else 0.0


def synthetic_claims(count: int, sources: list[str], seed: int = 13) -> Iterator[str]:
    """Recombined sentences: the head of one real sentence and the tail of another."""
    rng = random.Random(seed)
    split = [s.split() for s in sources if len(s.split()) >= 6]
    for _ in range(count):
        a, b = rng.choice(split), rng.choice(split)
        cut_a = rng.randint(3, max(3, len(a) - 2))
        cut_b = rng.randint(1, max(1, len(b) - 3))
        yield " ".join(a[:cut_a] + b[cut_b:])


def fill(db: Database, count: int, sources: list[str], batch: int = 20_000) -> float:
    """Bulk-insert `count` synthetic claims under one article; returns seconds taken."""
    started = time.perf_counter()
    with db.session() as session:
        article_id = session.execute(insert(Article).values(canonical_url="bench://synthetic", url="bench://synthetic",
                                                            status="published").returning(Article.id)).scalar_one()
    now = utcnow()
    generator = synthetic_claims(count, sources)
    position = 0
    if db.is_postgres:
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            columns = ("article_id, position, text, quote, score, status, channel_id, version, rendered_version, "
                       "announced_status, created_at, updated_at")
            with cursor.copy(f"COPY claims ({columns}) FROM STDIN") as copy:
                for sentence in generator:
                    copy.write_row((article_id, position, sentence, sentence, 0.5, "resolved",
                                    f"C0CH{position % 20:02d}", 0, 0, "open", now, now))
                    position += 1
            raw.commit()
            cursor.execute("ANALYZE claims")
            cursor.execute("ANALYZE claim_search")
            raw.commit()
        finally:
            raw.close()
        return time.perf_counter() - started
    while position < count:
        rows = []
        for sentence in generator:
            rows.append({"article_id": article_id, "position": position, "text": sentence, "quote": sentence,
                         "score": 0.5, "status": "resolved", "channel_id": f"C0CH{position % 20:02d}",
                         "created_at": now, "updated_at": now})
            position += 1
            if len(rows) >= batch:
                break
        with db.session() as session:
            session.execute(insert(Claim), rows)
    with db.session() as session:
        session.execute(text("ANALYZE"))
    return time.perf_counter() - started


def load_verified(db: Database, matcher: ClaimMatcher, claims: list[list[str]]) -> dict[int, str]:
    """Store the verified claims as claims and index "vclaim title" through the matcher."""
    with db.session() as session:
        article_id = session.execute(insert(Article).values(canonical_url="bench://ct20", url="bench://ct20",
                                                            status="published").returning(Article.id)).scalar_one()
        now = utcnow()
        rows = [{"article_id": article_id, "position": int(vid), "text": vclaim, "quote": title, "score": 1.0,
                 "status": "resolved", "channel_id": CHANNEL, "created_at": now, "updated_at": now}
                for vid, vclaim, title in claims]
        session.execute(insert(Claim), rows)
        ids = dict(session.execute(text("SELECT position, id FROM claims WHERE article_id = :a"),
                                   {"a": article_id}).all())
        for vid, vclaim, title in claims:
            matcher.index(session, ids[int(vid)], f"{vclaim} {title}")
    return {claim_id: str(position) for position, claim_id in ids.items()}


def evaluate(db: Database, matcher: ClaimMatcher, queries: list[list[str]], relevant: dict[str, set[str]],
             vclaim_of: dict[int, str], threshold: float) -> dict[str, object]:
    aps, p1, times, positives, negatives = [], [], [], [], []
    silent_correct = 0
    for qid, query in queries:
        gold = relevant.get(qid)
        if not gold:
            continue
        started = time.perf_counter()
        with db.session() as session:
            matches = matcher.find(session, query, limit=10, threshold=0.0)
        times.append(time.perf_counter() - started)
        ranked = [vclaim_of.get(m.claim_id, "") for m in matches]
        aps.append(average_precision_at(ranked, gold))
        p1.append(1.0 if ranked[:1] and ranked[0] in gold else 0.0)
        if ranked[:1] and ranked[0] in gold:
            positives.append(matches[0].score)
        best_other = next((m.score for m, v in zip(matches, ranked, strict=True) if v not in gold), 0.0)
        negatives.append(best_other)  # the best answer had the claim never been checked
        if best_other < threshold:
            silent_correct += 1
    kept = sum(s >= threshold for s in positives) / max(1, len(positives))
    return {"map5": sum(aps) / len(aps), "p1": sum(p1) / len(p1), "times": times, "positives": positives,
            "negatives": negatives, "n": len(aps), "silent": silent_correct / len(aps), "kept": kept}


def choose_threshold(positives: list[float], negatives: list[float]) -> tuple[float, float]:
    """The cut-off with the best balanced accuracy: keep correct top matches, stay silent otherwise."""
    best = (0.0, 0.0)
    for step in range(5, 96):
        t = step / 100
        kept = sum(s >= t for s in positives) / max(1, len(positives))
        silent = sum(s < t for s in negatives) / max(1, len(negatives))
        score = (kept + silent) / 2
        if score > best[1]:
            best = (t, score)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a temporary schema is used)")
    parser.add_argument("--scale", type=int, default=0, help="first fill the store with this many synthetic claims")
    parser.add_argument("--candidates", type=int, default=30)
    parser.add_argument("--query-terms", type=int, default=20)
    parser.add_argument("--posting-budget", type=int, default=5_000)
    parser.add_argument("--pair-terms", type=int, default=6)
    parser.add_argument("--keep-sqlite", type=Path, default=None,
                        help="SQLite file to keep between runs (filled once; delete it yourself afterwards)")
    parser.add_argument("--weights", default=None, help="chars,words,fts[,decay] (default: rerank.Weights)")
    parser.add_argument("--sweep", action="store_true", help="try a grid of weights (for choosing on train/)")
    parser.add_argument("--choose-threshold", action="store_true")
    parser.add_argument("--max-queries", type=int, default=0)
    args = parser.parse_args()

    weights = Weights()
    if args.weights:
        values = [float(v) for v in args.weights.split(",")]
        weights = Weights(values[0], values[1], values[2], *(values[3:4] or [10.0]))
    matcher = ClaimMatcher(candidates=args.candidates, query_terms=args.query_terms,
                           posting_budget=args.posting_budget, pair_terms=args.pair_terms, weights=weights)
    claims = read_tsv(args.claims)
    queries = read_tsv(args.queries)
    if args.max_queries:
        queries = queries[: args.max_queries]
    relevant = read_qrels(args.qrels)
    print(f"# {machine()}")
    with tempfile.TemporaryDirectory(prefix="claim-matching-") as workdir, \
            database(args.database_url, Path(workdir), "matching") as url:
        reuse = args.keep_sqlite is not None and args.keep_sqlite.exists()
        if args.keep_sqlite is not None:
            url = f"sqlite:///{args.keep_sqlite}"
        db = Database(url)
        db.migrate()
        backend = "PostgreSQL" if db.is_postgres else "SQLite"
        if args.scale and not reuse:
            sources = [c[1] for c in claims] + [row[1] for row in read_tsv(CT24)]
            seconds = fill(db, args.scale, sources)
            print(f"filled {args.scale:,} synthetic claims in {seconds:.0f} s ({backend})")
        started = time.perf_counter()
        if reuse:
            with db.session() as session:
                session.execute(text("DELETE FROM claims WHERE article_id IN "
                                     "(SELECT id FROM articles WHERE canonical_url = 'bench://ct20')"))
                session.execute(text("DELETE FROM articles WHERE canonical_url = 'bench://ct20'"))
        vclaim_of = load_verified(db, matcher, claims)
        print(f"stored and indexed {len(claims):,} verified claims in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with db.session() as session:
            matcher.refresh_statistics(session)
        print(f"IDF statistics fitted in {time.perf_counter() - started:.1f} s")
        configs = [weights]
        if args.sweep:
            configs = [Weights(c, w, f, d) for c in (0.4, 0.6, 0.8) for w in (0.0, 0.2, 0.4)
                       for f in (0.0, 0.1, 0.2) for d in (10.0,)]
        for config in configs:
            matcher.weights = config
            assert matcher._reranker is not None
            matcher._reranker.weights = config
            result = evaluate(db, matcher, queries, relevant, vclaim_of, matcher.threshold)
            times = result["times"]
            assert isinstance(times, list)
            print(f"{backend} {config}: queries {result['n']}  MAP@5 {result['map5']:.3f}  P@1 {result['p1']:.3f}  "
                  f"median {median(times) * 1000:.1f} ms  p99 {percentile(times, 99) * 1000:.1f} ms  "
                  f"at threshold {matcher.threshold:.2f}: correct top matches kept {result['kept']:.3f}, "
                  f"silent when the checked claim is absent {result['silent']:.3f}")
            if args.choose_threshold:
                positives, negatives = result["positives"], result["negatives"]
                assert isinstance(positives, list) and isinstance(negatives, list)
                t, balanced = choose_threshold(positives, negatives)
                kept = sum(s >= t for s in positives) / max(1, len(positives))
                silent = sum(s < t for s in negatives) / max(1, len(negatives))
                print(f"  threshold {t:.2f}: balanced accuracy {balanced:.3f} (correct top matches kept {kept:.3f}, "
                      f"silent when the checked claim is absent {silent:.3f})")
        db.dispose()


if __name__ == "__main__":
    main()
