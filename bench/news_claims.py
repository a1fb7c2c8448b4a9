"""The news benchmark: what the embedded extractor puts on the card for real news pages, scored
against a desk's annotations (bench/news/annotations.json, written under docs/claim-guideline.md).

    python bench/news_claims.py                   # every seen page, one table ("seen")
    python bench/news_claims.py --split both      # tune and held-out halves, one table each
    python bench/news_claims.py --split heldout --json
    python bench/news_claims.py --split tune --pages   # one line per page as well
    python bench/news_claims.py --split unseen3   # the set not yet measured: once, for the final measurement

Each page goes through `bot.claims.check_source.check_source`, the code `python app.py check FILE
--json` runs, with the embedded extractor and the default MAX_CLAIMS_PER_ARTICLE. A page the bot
refuses (FetchError: paywall, no text) shows no claims; any other exception is counted as "raised"
and the run goes on. The matching rules are in bench/news_gold.py and bench/README.md ("News pages").

The tuning and held-out halves and the fresh set have all been measured and are now "seen": the ranker
is fitted on them and choices are made on them, by cross-validation (training/train_ranker.py). The
unseen set (30 pages annotated after the fresh set had been measured) was run once, at the end, on
2026-12-02 (bench/README.md, "The unseen set"), and is now seen too; the current one, "unseen2" (23 pages
annotated after that), was run once on 2026-12-02 as well. "unseen3" (20 pages from mozilla/readability's
test pages) has not been measured: it is for the next final measurement, and no other choice of `--split`
includes it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from news_gold import HALVES, SPLITS, Page, PageResult, load_pages, quote_matches, score  # noqa: E402


def default_max_claims() -> int:
    """MAX_CLAIMS_PER_ARTICLE's default, not whatever a local .env sets."""
    from bot.config.settings import Settings

    return int(Settings.model_fields["max_claims_per_article"].default)


def run_page(page: Page, max_claims: int) -> PageResult:
    """The card for one page, as `app.py check --json` would print it; never raises."""
    from bot.articles.fetch import FetchError, FetchPolicy
    from bot.claims.check_source import check_source
    from bot.claims.embedded import EmbeddedExtractor

    result = PageResult(page=page)
    try:
        if page.path.suffix == ".gz":
            # `check` reads files as they are: hand it the decompressed page under its plain name.
            with tempfile.TemporaryDirectory() as tmp:
                plain = Path(tmp) / page.path.with_suffix("").name
                plain.write_bytes(gzip.decompress(page.path.read_bytes()))
                _, extraction = check_source(str(plain), EmbeddedExtractor(), FetchPolicy(), max_claims)
        else:
            _, extraction = check_source(str(page.path), EmbeddedExtractor(), FetchPolicy(), max_claims)
    except FetchError as error:
        result.refused = error.message
        return result
    except Exception:  # a crash on a page is a result to count, not the end of the run
        result.error = traceback.format_exc(limit=3)
        return result
    result.shown = [{"quote": c.quote, "claim": c.text, "speaker": c.speaker, "score": c.score}
                    for c in extraction.claims]
    result.more = [{"quote": c.quote, "claim": c.text, "speaker": c.speaker, "score": c.score}
                   for c in extraction.more]
    return result


def run(split: str, max_claims: int) -> list[PageResult]:
    return [run_page(page, max_claims) for page in load_pages(split)]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def report(name: str, figures: dict, out=sys.stdout) -> None:
    s = figures["speakers"]
    print(f"\n== {name}: {figures['pages']} pages ({figures['nothing_pages']} with nothing to check), "
          f"{figures['must_check']} must-check items", file=out)
    print(f"must-check recall on the card        {_pct(figures['recall_card'])}", file=out)
    print(f"must-check recall among candidates   {_pct(figures['recall_candidates'])}", file=out)
    print(f"speaker accuracy (attributed shown)  {_pct(s['accuracy'])}  "
          f"({s['correct']} correct, {s['wrong']} wrong, {s['missing']} missing of {s['attributed_shown']}; "
          f"wrong {_pct(s['wrong_share'])})", file=out)
    print(f"non-name speakers on the card        {len(s['non_names'])}"
          + (f"  ({', '.join(repr(n) for n in s['non_names'])})" if s["non_names"] else ""), file=out)
    print(f"count fit                            {_pct(figures['count_fit'])}", file=out)
    print(f"nothing-to-check pages showing > 1   {len(figures['nothing_over_one'])} of {figures['nothing_pages']}"
          + (f"  ({', '.join(figures['nothing_over_one'])})" if figures["nothing_over_one"] else ""), file=out)
    print(f"shown claims matching a gold item    {_pct(figures['shown_gold_share'])} of {figures['shown']}", file=out)
    print(f"pages raised                         {len(figures['raised'])}"
          + (f"  ({', '.join(figures['raised'])})" if figures["raised"] else ""), file=out)
    refused = figures.get("refused", [])
    if refused:
        print(f"pages refused (no claims)            {len(refused)}  ({', '.join(refused)})", file=out)
    for kind, k in sorted(figures["per_kind"].items()):
        recall = f"recall {k['card']}/{k['gold']}" if k["gold"] else "no gold items"
        print(f"  {kind:8s} {k['pages']:2d} pages, {recall}, count fit {k['fit']}/{k['pages']}", file=out)


def page_lines(results: list[PageResult], out=sys.stdout) -> None:
    for r in results:
        p = r.page
        if r.error:
            print(f"  {p.id:30s} RAISED {r.error.strip().splitlines()[-1]}", file=out)
            continue
        found = sum(any(quote_matches(c["quote"], g) for c in r.shown) for g in p.must_check)
        print(f"  {p.id:30s} {p.kind:8s} shown {len(r.shown)} (expected {p.expected[0]}-{p.expected[1]})"
              f"  must-check on card {found}/{len(p.must_check)}" + ("  refused" if r.refused else ""), file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=(*SPLITS, "seen", "both"), default="seen",
                        help="seen (one table over every seen split), tune, heldout, fresh, unseen, unseen2, both "
                             "(one table per half, tune and heldout) or unseen3 (not yet measured: once, at the end "
                             "of the work it judges)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--pages", action="store_true", help="also print one line per page")
    parser.add_argument("--max-claims", type=int, default=None, help="default: MAX_CLAIMS_PER_ARTICLE's default")
    args = parser.parse_args(argv)
    max_claims = args.max_claims or default_max_claims()
    splits = list(HALVES) if args.split == "both" else [args.split]
    started = time.perf_counter()
    figures = {}
    per_split = {}
    for split in splits:
        results = run(split, max_claims)
        per_split[split] = results
        figures[split] = score(results)
        figures[split]["refused"] = [r.page.id for r in results if r.refused]
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({"max_claims": max_claims, "seconds": round(elapsed, 1), "splits": figures}, indent=2))
        return 0
    print(f"News benchmark: embedded extractor, max claims {max_claims}, {elapsed:.1f} s")
    for split in splits:
        report(split, figures[split])
        if args.pages:
            page_lines(per_split[split])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
