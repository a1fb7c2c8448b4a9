"""Speakers on every annotated attributed sentence of the news benchmark, not only the claims shown.

    python bench/news_speakers.py                  # every seen page (tune, heldout, fresh, unseen)
    python bench/news_speakers.py --split heldout  # one split
    python bench/news_speakers.py --split unseen3  # the set not yet measured: once, for the final measurement
    python bench/news_speakers.py --list           # each sentence that is not right

`bench/news_claims.py` scores the speakers of the claims the card shows, so its figure moves with the
ranking. This one reads each page as `app.py check` does, gives every body sentence its speaker
(`bot.claims.speakers.attribute`, with the page's byline), finds the sentence of each annotated speaker
quote (the benchmark's quote rule) and judges the speaker with the benchmark's name rule
(`bench/news_gold.py`): correct, wrong, or missing; a quote no sentence matches is "unread".
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from news_gold import SPLITS, load_pages, overlap, quote_matches, speaker_verdict  # noqa: E402

from bot.articles.fetch import FetchError  # noqa: E402
from bot.articles.reading import parse_article  # noqa: E402
from bot.claims.embedded import article_sentences  # noqa: E402
from bot.claims.speakers import attribute  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="seen", choices=(*SPLITS, "both", "seen"),
                        help="seen (every seen split), tune, heldout, fresh, unseen, unseen2, both (tune and "
                             "heldout) or unseen3 (not yet measured: once, at the end)")
    parser.add_argument("--list", action="store_true", help="print each sentence whose speaker is not right")
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()
    for page in load_pages(args.split):
        if not page.speakers:
            continue
        try:
            article = parse_article(page.html(), page.uri())
        except FetchError:
            counts["unread"] += len(page.speakers)
            continue
        sentences = article_sentences(article)
        speakers = attribute(sentences, article.author)
        for gold in page.speakers:
            best = max(range(len(sentences)), key=lambda i: overlap(sentences[i], gold["quote"]), default=None)
            if best is None or not quote_matches(sentences[best], gold["quote"]):
                counts["unread"] += 1
                continue
            verdict = speaker_verdict(sentences[best], speakers[best], page) or "unread"
            counts[verdict] += 1
            if args.list and verdict in ("wrong", "missing"):
                print(f"{verdict:8} {page.id:28} got={speakers[best]!r} gold={gold['speaker']!r} | {sentences[best]}")
    judged = counts["correct"] + counts["wrong"] + counts["missing"]
    print(f"split {args.split}: {judged} attributed sentences read ({counts['unread']} annotated quotes not found)")
    if judged:
        print(f"correct {counts['correct']} ({counts['correct'] / judged:.0%})  wrong {counts['wrong']} "
              f"({counts['wrong'] / judged:.0%})  missing {counts['missing']} ({counts['missing'] / judged:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
