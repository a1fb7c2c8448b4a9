"""Claim-detection bench: check-worthiness F1 on labelled sentences, MAP on whole documents.

    python bench/claim_detection.py --data $D/ct24_english/CT24_checkworthy_english_dev-test.tsv
    python bench/claim_detection.py --ranking $D/clef2019_task1/training   # D=/work/shared/claimdata
    python bench/claim_detection.py --data FILE --extractor openai      # bot.claims.llm.classify_sentences

--data takes a CT24 TSV (Sentence_id, Text, class_label) or a multilingual one (tweet_text, class_label)
and prints precision, recall and F1 of the positive class at the shipped threshold. --ranking takes a
folder of CLEF-2019 TSVs (line, speaker, text, label; no header) and prints each document's average
precision and the MAP, with the shipped model scoring each document in order (score_document). Note the
shipped model was trained on CT24 English train, which contains three of those debates: for an honest
figure use bench/loo_map.py, which retrains per held-out document. Throughput (sentences/s, one call over
the whole input on however many cores numpy uses, normally one) and model load time are printed too.

--share [FILE ...] prints the share of an article's sentences that pass the shipped threshold, for
HTML files (read as the bot reads them: bot.article.parse_article, then its sentence splitter) and
for the built-in news-like texts below (a hard-news item, an opinion column, a preview full of
predictions). It has no labels: it shows whether the threshold filters, not whether it is right.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

csv.field_size_limit(10_000_000)


def load_labelled_tsv(path: Path) -> tuple[list[str], np.ndarray]:
    """CT24 TSV (Sentence_id, Text, class_label) or the multilingual one (..., tweet_text, class_label)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    texts = [(r.get("Text") if r.get("Text") is not None else r.get("tweet_text")) or "" for r in rows]
    texts = [t[1:-1].replace('""', '"') if len(t) > 1 and t[0] == t[-1] == '"' else t for t in texts]
    labels = np.array([r["class_label"].strip().lower() in ("yes", "1") for r in rows], dtype=np.int64)
    return texts, labels


def load_clef_docs(folder: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """CLEF-2019 Task 1 documents (no header: line, speaker, text, label), in document order."""
    docs = {}
    for path in sorted(folder.glob("*.tsv")):
        texts, labels = [], []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 4:
                    texts.append(parts[2])
                    labels.append(int(parts[3]))
        docs[path.stem] = (texts, np.array(labels, dtype=np.int64))
    return docs


def prf(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    tp = int(np.sum((pred == 1) & (y == 1)))
    fp = int(np.sum((pred == 1) & (y == 0)))
    fn = int(np.sum((pred == 0) & (y == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """CLEF-2019 AP: precision at each relevant sentence of the ranking, averaged over relevant ones."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    hits = y[order]
    if hits.sum() == 0:
        return 0.0
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(np.sum(precision_at * hits) / hits.sum())


# Written for this bench (not from any data set): news-like prose of three kinds, one paragraph each.
NEWS_LIKE: dict[str, str] = {
    "hard news": (
        "The city council voted 7-2 on Tuesday to raise the minimum wage to $15 an hour by 2026. "
        "About 40,000 workers earn less than that today, according to the city's labour department. "
        "The measure was introduced in March by councillor Ana Ruiz. "
        "Business groups said the increase would cost employers $120 million a year. "
        "The mayor has 10 days to sign or veto the ordinance. "
        "Unemployment in the city stood at 4.1 percent in September, down from 5.3 percent a year earlier."
    ),
    "opinion column": (
        "I think the council got this one badly wrong. "
        "We should be asking who really pays when wages are set by politicians. "
        "Is this the kind of city we want to be? "
        "Surely there is a better way to help working families. "
        "In my view, the mayor must veto this ordinance and start again. "
        "Frankly, nobody believes the promises being made here."
    ),
    "preview and predictions": (
        "The final will be played on Sunday in front of a sell-out crowd. "
        "Fans are hoping for a close game, and the coach says his team is ready. "
        "It could be the match of the season. "
        "Who will lift the trophy? "
        "Whatever happens, it should be a memorable afternoon. "
        "Tickets sold out within an hour of going on sale last month."
    ),
}


def share_passing(
    sources: Sequence[str], score_document: Callable[[Sequence[str]], list[float]], threshold: float
) -> None:
    """Share of sentences at or above the threshold, per article (HTML file or built-in text)."""
    from bot.claims.embedded import article_sentences
    from bot.claims.sentences import split_sentences

    items: list[tuple[str, list[str]]] = []
    for source in sources:
        if source in NEWS_LIKE:
            items.append((source, split_sentences(NEWS_LIKE[source])))
        else:
            from bot.articles.reading import parse_article

            article = parse_article(Path(source).read_bytes(), "file://" + str(Path(source).resolve()))
            items.append((source, article_sentences(article)))
    for name, sentences in items:
        scores = np.asarray(score_document(sentences), dtype=np.float64)
        passing = int(np.sum(scores >= threshold))
        print(f"{name}: {passing}/{len(sentences)} sentences pass ({passing / max(1, len(sentences)):.0%})")
        for sentence, p in sorted(zip(sentences, scores, strict=True), key=lambda sp: -sp[1]):
            print(f"   {p:.2f} {'PASS' if p >= threshold else '    '} {sentence[:110]}")


def make_scorer(extractor: str, model_path: str | None) -> tuple[Callable, Callable, float, float]:
    """(score, score_document, threshold, load seconds) for the chosen extractor."""
    if extractor == "openai":
        try:
            from bot.claims.llm import classify_sentences  # type: ignore[attr-defined]
        except ImportError as exc:
            print(
                f"error: --extractor openai needs bot.claims.llm.classify_sentences ({exc})", file=sys.stderr
            )
            raise SystemExit(2) from exc
        return classify_sentences, classify_sentences, 0.5, 0.0
    from bot.claims.checkworthiness import CheckworthinessModel

    t0 = time.perf_counter()
    model = CheckworthinessModel.load(model_path)
    load_s = time.perf_counter() - t0
    return model.score, model.score_document, model.threshold, load_s


def run_classification(path: Path, score: Callable[[Sequence[str]], list[float]], threshold: float) -> None:
    texts, labels = load_labelled_tsv(path)
    t0 = time.perf_counter()
    probs = np.asarray(score(texts), dtype=np.float64)
    elapsed = time.perf_counter() - t0
    p, r, f = prf(labels, (probs >= threshold).astype(np.int64))
    print(f"data: {path}  sentences: {len(texts)}  positive share: {labels.mean():.3f}")
    print(f"threshold: {threshold:.2f}  precision: {p:.4f}  recall: {r:.4f}  F1: {f:.4f}")
    print(f"speed: {len(texts) / elapsed:,.0f} sentences/s ({elapsed:.2f} s)")


def run_ranking(folder: Path, score_document: Callable[[Sequence[str]], list[float]]) -> None:
    docs = load_clef_docs(folder)
    aps, total, elapsed = [], 0, 0.0
    for name, (texts, labels) in docs.items():
        t0 = time.perf_counter()
        scores = np.asarray(score_document(texts), dtype=np.float64)
        elapsed += time.perf_counter() - t0
        total += len(texts)
        ap = average_precision(labels, scores)
        aps.append(ap)
        print(f"{name:32s} sentences {len(texts):5d}  positives {int(labels.sum()):3d}  AP {ap:.4f}")
    print(f"MAP over {len(aps)} documents: {np.mean(aps):.4f}")
    print(f"speed: {total / elapsed:,.0f} sentences/s ({elapsed:.2f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, help="labelled TSV (CT24 or multilingual format)")
    parser.add_argument("--ranking", type=Path, help="folder of CLEF-2019 document TSVs")
    parser.add_argument("--model", help="model file (default: the shipped bot/claims/data/checkworthy.npz)")
    parser.add_argument("--extractor", choices=("embedded", "openai"), default="embedded")
    parser.add_argument(
        "--share",
        nargs="*",
        metavar="HTML",
        help="share of sentences passing the threshold: these HTML files (default: samples/*.html) "
        "and the built-in news-like texts",
    )
    args = parser.parse_args(argv)
    if not args.data and not args.ranking and args.share is None:
        parser.error("give --data, --ranking and/or --share")
    score, score_document, threshold, load_s = make_scorer(args.extractor, args.model)
    print(f"extractor: {args.extractor}  model load: {load_s * 1000:.0f} ms")
    if args.data:
        run_classification(args.data, score, threshold)
    if args.ranking:
        run_ranking(args.ranking, score_document)
    if args.share is not None:
        files = args.share or [str(p) for p in sorted((ROOT / "samples").glob("*.html"))]
        share_passing([*files, *NEWS_LIKE], score_document, threshold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
