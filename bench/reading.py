"""How well the bot reads news pages and turns them into claims a fact-checker can act on.

    python bench/reading.py [--max-claims 5] [--json]

Pages: the fixtures written for issue #12 (tests/fixtures/pages/*.html, one per failure class) and
real public news pages from trafilatura's evaluation set (tests/fixtures/public/*.html.gz), each with
a hand-checked body (NAME.body.txt), plus a generated 5 MB page of short sentences.

Figures:

* extraction precision / recall / F1 of 4-word shingles of the body as read (the prose paragraphs
  claims and summaries come from) against the hand-checked body, micro-averaged over pages (and
  the per-page mean);
* share of pages without usable output: an unexpected error, an empty summary, or a body F1 under
  0.5; a paywall page that is reported as a paywall is the expected output, not a failure;
* share of pages whose claims hit the cap;
* share of attributed claims (reported speech or a quotation, see embedded.is_attributed) that name
  a speaker;
* claims opening on a bare pronoun (He/She/They/It/This/...) without `context`;
* spread of claim counts and time per page (read + extract).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.articles.fetch import FetchError  # noqa: E402
from bot.articles.reading import parse_article  # noqa: E402
from bot.claims.embedded import EmbeddedExtractor, is_attributed  # noqa: E402
from tests.harness.bombs import big_page  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"
PUBLIC = ROOT / "tests" / "fixtures" / "public"
EXPECTED_ERRORS = {"paywall-reprint": "paywall"}
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]|\w+", re.UNICODE)
_BARE_PRONOUN = re.compile(r"^[\"“‘]?(?:He|She|They|It|This|These|Those|That|His|Her|Their|Its)\b")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """4-word shingles (CJK characters count as words), as a multiset."""
    tokens = [t.casefold() for t in _TOKEN.findall(text)]
    return Counter(tuple(tokens[i:i + n]) for i in range(max(0, len(tokens) - n + 1)))


@dataclass
class PageResult:
    name: str
    seconds: float
    error: str | None = None
    overlap: int = 0
    read: int = 0
    gold: int = 0
    claims: int = 0
    candidates: int = 0
    summary: str = ""
    summary_source: str | None = None
    attributed: int = 0
    with_speaker: int = 0
    bare_pronoun_without_context: list[str] = field(default_factory=list)
    partial: bool = False

    @property
    def f1(self) -> float | None:
        if not self.gold:
            return None
        p = self.overlap / self.read if self.read else 0.0
        r = self.overlap / self.gold
        return 2 * p * r / (p + r) if p + r else 0.0


def pages() -> list[tuple[str, bytes, str | None]]:
    found: list[tuple[str, bytes, str | None]] = []
    for path in sorted(PAGES.glob("*.html")):
        body = path.with_suffix(".body.txt")
        found.append((path.stem, path.read_bytes(), body.read_text(encoding="utf-8") if body.exists() else None))
    for path in sorted(PUBLIC.glob("*.html.gz")):
        name = path.name.removesuffix(".html.gz")
        body = PUBLIC / f"{name}.body.txt"
        found.append((name, gzip.decompress(path.read_bytes()), body.read_text(encoding="utf-8")))
    found.append(("generated-5mb-short-sentences", big_page(), None))
    return found


def run_page(name: str, html: bytes, gold: str | None, extractor: EmbeddedExtractor, max_claims: int) -> PageResult:
    started = time.perf_counter()
    try:
        article = parse_article(html, f"https://bench.example/{name}")
        extraction = extractor.extract(article, max_claims)
    except FetchError as error:
        return PageResult(name, time.perf_counter() - started, error=error.code)
    result = PageResult(name, time.perf_counter() - started, claims=len(extraction.claims),
                        candidates=extraction.candidates, summary=extraction.summary,
                        summary_source=extraction.summary_source, partial=extraction.partial)
    if gold is not None:
        read, wanted = shingles("\n".join(article.body_paragraphs)), shingles(gold)
        result.overlap, result.read, result.gold = sum((read & wanted).values()), sum(read.values()), sum(
            wanted.values())
    for claim in extraction.claims:
        if is_attributed(claim.quote):
            result.attributed += 1
            result.with_speaker += bool(claim.speaker)
        if _BARE_PRONOUN.match(claim.quote) and not claim.context:
            result.bare_pronoun_without_context.append(claim.quote)
    return result


def unusable(result: PageResult) -> bool:
    if result.error is not None:
        return EXPECTED_ERRORS.get(result.name) != result.error
    if result.name in EXPECTED_ERRORS:
        return True  # a paywall read as an article
    return not result.summary or (result.f1 is not None and result.f1 < 0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-claims", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the per-page results as JSON too")
    args = parser.parse_args(argv)
    extractor = EmbeddedExtractor()
    extractor.model  # noqa: B018 - load the model before timing
    results = [run_page(name, html, gold, extractor, args.max_claims) for name, html, gold in pages()]

    print(f"{'page':40} {'F1':>6} {'claims':>6} {'cand':>5} {'summary':>16} {'sec':>6}  notes")
    for r in results:
        f1 = f"{r.f1:.3f}" if r.f1 is not None else "-"
        notes = ", ".join(filter(None, [f"error: {r.error}" if r.error else "", "partial" if r.partial else "",
                                        "UNUSABLE" if unusable(r) else ""]))
        print(f"{r.name[:40]:40} {f1:>6} {r.claims:>6} {r.candidates:>5} {r.summary_source!s:>16} "
              f"{r.seconds:6.2f}  {notes}")

    scored = [r for r in results if r.gold]
    overlap, read, gold = (sum(getattr(r, k) for r in scored) for k in ("overlap", "read", "gold"))
    precision, recall = overlap / read if read else 0.0, overlap / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    read_ok = [r for r in results if r.error is None]
    at_cap = sum(r.claims >= args.max_claims for r in read_ok)
    attributed = sum(r.attributed for r in results)
    with_speaker = sum(r.with_speaker for r in results)
    bare = [q for r in results for q in r.bare_pronoun_without_context]
    counts = [r.claims for r in read_ok]
    seconds = [r.seconds for r in results]
    print()
    print(f"pages: {len(results)} ({len(scored)} with a hand-checked body)")
    print(f"extraction (4-word shingles, micro): precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}"
          f"   (per-page mean F1 {statistics.mean(r.f1 or 0.0 for r in scored):.3f},"
          f" min {min(r.f1 or 0.0 for r in scored):.3f})")
    print(f"without usable output: {sum(unusable(r) for r in results)}/{len(results)}")
    print(f"at the claim cap ({args.max_claims}): {at_cap}/{len(read_ok)} pages read")
    print(f"attributed claims with a speaker: {with_speaker}/{attributed}"
          f" ({with_speaker / attributed:.0%})" if attributed else "attributed claims: none")
    print(f"claims opening on a bare pronoun without context: {len(bare)}")
    for quote in bare:
        print(f"   {quote[:100]}")
    print(f"claims per page: min {min(counts)}  median {statistics.median(counts)}  max {max(counts)}"
          f"  distribution {dict(sorted(Counter(counts).items()))}")
    print(f"time per page: mean {statistics.mean(seconds):.2f} s  max {max(seconds):.2f} s")
    if args.json:
        print(json.dumps([r.__dict__ | {"f1": r.f1} for r in results], indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
