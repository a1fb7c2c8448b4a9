"""Which sentences of a news page a desk would check first, and how many: a ranker learned from news.

The check-worthiness model was trained on debate sentences; it knows what a checkable statement looks
like, not which few of a news page's many checkable statements matter. That part is learned here from
the seen pages of bench/news (tuning, held-out and fresh: pages annotated with the claims a desk would
check): a logistic regression over a handful of features of each sentence in its page, trained by
training/train_ranker.py and shipped as a small JSON file (bot/claims/data/ranker.json). No word list
decides anything by hand; cues such as "first person" or "a question" are features whose weights the
data sets, so "NASA plans to spend $2.6 billion" is not sunk for saying "plans to".

Features (all computed from the page alone, no network, numpy only), fifteen, each one a thing
docs/claim-guideline.md says a desk looks for or passes over:

* the check-worthiness model's score (its logit);
* position: the lede (first sentences) and how far into the body the sentence is;
* figures: any number, and money or a percentage;
* names: capitalised spans inside the sentence (people, places, organisations);
* attribution: reported speech ("said", "according to");
* the headline's words: the share of the title's content words the sentence repeats;
* a near-duplicate of an earlier sentence (the lede restated later, a pull quote);
* what a desk does not check: first person, second person, an imperative opening, a question, a modal
  or future verb, promo words (prices and "deal", "save").

Issue 17's first ranker had 26 features (the score's rank and standing within the page, sentence length,
quotation marks, exclamations, "leans on the sentence before" and others); leave-one-page-out CV on the
tuning half put this smaller set level with it or ahead (card recall 0.565 vs 0.543, count fit equal), so
the features that only fitted the tuning pages went.

A later pass (training/try_ranker_variants.py, every choice out of fold) tried more: the score standardised
within the page, sentence length, a count of figures, dates, opening on a quotation mark, centrality (words
the page keeps returning to), dropping the three weakest features, each page weighing the same, and a
pairwise objective (must-check above the rest within a page); outside that script, headline / lede /
centroid similarity over the check-worthiness model's TF-IDF vectors, a wider near-duplicate merge and
MMR diversity, and gradient-boosted trees and random forests over the same features. None raised card
recall beyond a gold item or two without lowering count fit, so none shipped: on the tuning half the
ranker's top five (the cap) hold about 59% of the must-check items whatever the model, and card recall is
bounded by that, not by the cut.

The output is a probability that the sentence is one a desk would check; the shipped threshold on it,
and a limit that grows with the log of the page's length in sentences (both chosen by cross-validation
grouped by page, for count fit and recall together), decide how many claims a page shows, so the count
follows the article and MAX_CLAIMS_PER_ARTICLE stays a cap.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_RANKER_PATH = Path(__file__).resolve().parent / "data" / "ranker.json"

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MONEY_OR_PCT = re.compile(
    r"[$€£¥]\s?\d|\d\s?(?:%|percent|per cent)\b|\b\d[\d.,]*\s?(?:million|billion|trillion|bn|m)\b", re.IGNORECASE)
_CAPSPAN = re.compile(r"(?<=\s)(?:[A-Z][\w'’.-]*|[A-Z]{2,})(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'’.-]*)*")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|according to|reported|reports|stated|claimed|claims|announced|wrote|writes|"
    r"added|argued|estimated|warned|confirmed|denied|insisted|alleged|testified|tweeted)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|we|we're|we've|our|us)\b")
_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|you'll|you've|yourself)\b", re.IGNORECASE)
_MODAL = re.compile(r"\b(?:will|would|could|might|may|should|must|can|won't|going to)\b", re.IGNORECASE)
_PROMO = re.compile(r"\b(?:deals?|sale|discount|save|savings|lowest price|buy|shop|coupon|order|grab)\b|\$\d",
                    re.IGNORECASE)
_STOP = frozenset(
    "the a an of to in on for and or but with at by from as is are was were be been has have had it its this that "
    "these those he she they his her their who what when where why how will would can could says said after over "
    "into about than more new not no".split()
)
DUPLICATE_OVERLAP = 0.6
LEDE_SENTENCES = 3

FEATURES = (
    "cw_logit", "lede", "log_index", "has_figure", "money_or_pct", "names", "attribution", "headline", "duplicate",
    "first_person", "second_person", "imperative", "question", "modal", "promo",
)


def content_words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text) if len(w) > 2 and w.casefold() not in _STOP}


def _imperative(sentence: str) -> bool:
    """Opens on a bare verb-like word followed by an object: "Score the watch...", "Try this..."."""
    words = sentence.lstrip("\"“‘(*•- ").split()
    if len(words) < 2 or not words[0][:1].isupper():
        return False
    first, second = words[0].casefold(), words[1].casefold().strip(",.")
    return first.isalpha() and not first.endswith(("s", "ed", "ly")) and second in (
        "the", "a", "an", "your", "this", "these", "our", "up", "out", "it", "them", "some", "any", "to", "in", "on")


def sentence_features(sentences: Sequence[str], scores: Sequence[float], title: str | None) -> np.ndarray:
    """One row of FEATURES per sentence, in document order."""
    n = len(sentences)
    headline = content_words(title or "")
    rows = np.zeros((n, len(FEATURES)), dtype=np.float64)
    seen: list[set[str]] = []
    for i, (text, score) in enumerate(zip(sentences, scores, strict=True)):
        words = content_words(text)
        p = min(max(float(score), 1e-4), 1 - 1e-4)
        numbers = len(_NUMBER.findall(text))
        stripped = text.rstrip().rstrip("\"”’»)")
        duplicate = any(words and prev and len(words & prev) / min(len(words), len(prev)) >= DUPLICATE_OVERLAP
                        for prev in seen)
        values = {
            "cw_logit": math.log(p / (1 - p)),
            "lede": float(i < LEDE_SENTENCES),
            "log_index": math.log1p(i) / 4,
            "has_figure": float(numbers > 0),
            "money_or_pct": float(bool(_MONEY_OR_PCT.search(text))),
            "names": min(len(_CAPSPAN.findall(text)), 4) / 4,
            "attribution": float(bool(_ATTRIBUTION.search(text))),
            "headline": len(words & headline) / len(headline) if headline else 0.0,
            "duplicate": float(duplicate),
            "first_person": float(bool(_FIRST_PERSON.search(text))),
            "second_person": float(bool(_SECOND_PERSON.search(text))),
            "imperative": float(_imperative(text)),
            "question": float(stripped.endswith("?")),
            "modal": float(bool(_MODAL.search(text))),
            "promo": float(bool(_PROMO.search(text))),
        }
        rows[i] = [values[name] for name in FEATURES]
        seen.append(words)
    return rows


@dataclass(frozen=True)
class Ranker:
    """Logistic regression over FEATURES (standardised), with the thresholds that decide the count.

    `show_threshold`: a sentence at or above it is shown (up to the cap). `lead_threshold`: on a page
    where nothing reaches `show_threshold`, the best sentence is still shown when it reaches this.
    `candidate_threshold`: sentences at or above it are candidates, kept back for "Show more".
    `count_base`, `count_slope`: the most a page of n sentences shows is round(base + slope * ln n), at least
    one and at most MAX_CLAIMS_PER_ARTICLE: a four-paragraph item is not padded to five claims because five
    of its sentences clear the threshold (`count_base` 99: no such limit).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    show_threshold: float
    lead_threshold: float
    candidate_threshold: float
    metadata: dict
    count_base: float = 99.0
    count_slope: float = 0.0

    def most_shown(self, sentences: int, max_claims: int) -> int:
        """How many claims a page of `sentences` sentences shows at most."""
        if self.count_base >= 99.0:
            return max(max_claims, 0)
        limit = round(self.count_base + self.count_slope * math.log(max(sentences, 1)))
        return max(0, min(max_claims, max(1, limit)))

    @classmethod
    def load(cls, path: Path | None = None) -> Ranker:
        data = json.loads((path or DEFAULT_RANKER_PATH).read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError("ranker file was trained on other features; retrain it (training/train_ranker.py)")
        return cls(mean=np.array(data["mean"]), scale=np.array(data["scale"]), coef=np.array(data["coef"]),
                   intercept=float(data["intercept"]), show_threshold=float(data["show_threshold"]),
                   lead_threshold=float(data["lead_threshold"]),
                   candidate_threshold=float(data["candidate_threshold"]), metadata=data,
                   count_base=float(data.get("count_base", 99.0)), count_slope=float(data.get("count_slope", 0.0)))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if features.shape[0] == 0:
            return np.zeros(0)
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


@functools.cache
def default_ranker() -> Ranker:
    """The shipped ranker, loaded once per process (a second load under a race is harmless)."""
    return Ranker.load()


@dataclass(frozen=True)
class Selection:
    """Sentence indices: `shown` on the card (best first), `more` kept back for "Show more" (best first)."""

    shown: list[int]
    more: list[int]


def select(texts: Sequence[str], probabilities: Sequence[float], eligible: Sequence[bool], ranker: Ranker,
           max_claims: int, nothing_to_check: bool = False) -> Selection:
    """How many claims, and which: every candidate the ranker is sure of, up to the page's limit.

    Candidates are eligible sentences at or above `candidate_threshold`, best first, a near-duplicate of a
    better one merged into it. The card shows those at or above `show_threshold` (none to the cap: the
    count follows the article), at most `ranker.most_shown` for a page of this length; when none is, the
    best one if it reaches `lead_threshold`. A page with nothing to check shows none: its candidates are all
    kept back.
    """
    order = sorted((i for i in range(len(texts)) if eligible[i] and probabilities[i] >= ranker.candidate_threshold),
                   key=lambda i: (-probabilities[i], i))
    candidates: list[int] = []
    kept_words: list[set[str]] = []
    for i in order:
        words = content_words(texts[i])
        if any(words and kept and len(words & kept) / min(len(words), len(kept)) >= DUPLICATE_OVERLAP
               for kept in kept_words):
            continue
        candidates.append(i)
        kept_words.append(words)
    sure = [i for i in candidates if probabilities[i] >= ranker.show_threshold]
    if nothing_to_check:
        shown = []
    elif sure:
        shown = sure[:max_claims]
    else:
        shown = candidates[:1] if candidates and probabilities[candidates[0]] >= ranker.lead_threshold else []
    shown = shown[:ranker.most_shown(len(texts), max_claims)]
    return Selection(shown=shown, more=[i for i in candidates if i not in shown])
