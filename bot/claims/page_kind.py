"""What a page looks like, so that pages with nothing to check show no claim threads (or one).

A deals page, a box score, a product listicle, a page of tips, a site's footer and an open thread all
contain sentences the check-worthiness model likes (prices, figures, superlatives), yet a desk checks
nothing on them. What gives them away is the page's shape, not any one sentence:

* **shopping**: prices and promo language ("deal", "save", "lowest price", "shop") per word;
* **results**: lines that are mostly figures or scores ("Smith 12-4", "Arsenal 2, Chelsea 1");
* **product list / tips**: a page of numbered or short heading lines, or sentences that tell the reader
  what to do ("Try...", "Add...", "You'll want...") rather than report what happened;
* **navigation or footer**: almost no prose at all, or contact details (phone, tax number, copyright);
* **open thread**: a post inviting comments;
* **records listing** (a police blotter, a log): paragraph after paragraph opening on the same kind of
  entry head, a date, a time or a capitalised label followed by a colon or a dash ("October 20: ACCIDENT
  – A vehicle driven by ..."). Each entry is a routine record, not a story making claims, however many
  names, figures and "police said" it holds (docs/claim-guideline.md lists police blotters and records
  listings as pages with nothing to check).

Reported speech (said, according to) and dated events point the other way: a news story about a sale is
still news. What decides is how few of the page's sentences the check-worthiness model scores high
(a page of news, even a soft one, has several), plus a rule for pages that sell; their thresholds are
learned on the seen pages of bench/news by training/train_ranker.py and shipped as
bot/claims/data/page_kind.json. Which shape it is (for the card's line, "This looks like a shopping
page: nothing to check.") is then read off the strongest signature above.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.articles.reading import ParsedArticle, word_count
from bot.claims.sentences import split_sentences

_PRICE = re.compile(r"(?:[$€£¥]|\bUS\$|\bRs\.?\s?)\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:dollars|euros|pounds|USD|EUR)\b"
                    r"|\b\d{1,3}\s?%\s?off\b", re.IGNORECASE)
_PROMO = re.compile(
    r"\b(?:deals?|sale|discounts?|coupons?|promo(?:\s+code)?|shop(?:ping)?|buy|save|savings?|lowest\s+price|"
    r"price\s+drop|bargains?|free\s+shipping|add\s+to\s+cart|in\s+stock|checkout|retailers?|black\s+friday|"
    r"cyber\s+monday|prime\s+day|bestsellers?|best\s+buy|amazon|walmart|target|snag|score\s+(?:the|a|this)|"
    r"grab|order\s+now|limited\s+time|msrp|was\s+\$)\b",
    re.IGNORECASE,
)
_SCORE = re.compile(r"\b\d{1,3}\s?[-–:]\s?\d{1,3}\b|\b[A-Z][\w.'-]+\s\d{1,3},\s+[A-Z][\w.'-]+\s\d{1,3}\b")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[•▪●◦*–-]|#\d|No\.\s?\d)\s*\S")
_IMPERATIVE = re.compile(
    r"^(?:try|use|make|add|keep|avoid|don't|do not|never|always|get|grab|buy|shop|check|take|choose|pick|"
    r"consider|remember|click|sign up|subscribe|find|look|give|put|stir|mix|bake|cook|serve|store|let|skip|"
    r"opt|swap|start|stop|eat|drink|go|head|visit|learn|discover|enjoy|treat|save|score|snag|order|see)\b",
    re.IGNORECASE,
)
_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|you'll|you've|yourself)\b", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"\b(?:said|says|told|according to|reported|announced|stated|confirmed|alleged)\b",
                          re.IGNORECASE)
_CONTACT = re.compile(
    r"\b(?:copyright|all rights reserved|privacy policy|terms of (?:use|service)|tax (?:id|number|no)|vat|"
    r"phone|tel\.?|fax|e-?mail|contact us|office hours|opening hours|p\.?o\.? box)\b|©|\(\d{3}\)\s?\d{3}-\d{4}",
    re.IGNORECASE,
)
_THREAD = re.compile(r"\bopen thread\b|\b(?:leave|share|post) (?:a|your) comments?\b|\bin the comments\b|"
                     r"\bcomments? (?:below|section)\b|\bwhat do you think\b|\bsound off\b", re.IGNORECASE)

_DATED = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|last (?:week|month|year)|"
    r"(?:january|february|march|april|june|july|august|september|october|november|december)\s+\d{1,2}|"
    r"(?:19|20)\d\d)\b", re.IGNORECASE)

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
# An entry head: "October 20:", "10/20 -", "10:42 p.m. –", "Tuesday —", "ARRESTS –".
_ENTRY_HEAD = re.compile(
    rf"^\s*(?:(?:{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?|"
    r"\d{1,2}:\d\d\s*(?:[ap]\.?m\.?)?|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)\s*[:–—-]|"
    r"[A-Z][A-Z]{2,}(?:[ /&][A-Z]{2,})*\s*[:–—-])\s")

DEFAULT_PAGE_MODEL_PATH = Path(__file__).resolve().parent / "data" / "page_kind.json"
# Fewer prose sentences than this is navigation, a footer or a gallery whatever the model says.
MIN_PROSE_SENTENCES = 3
KINDS = {
    "shopping": "a shopping page",
    "results": "a results table",
    "list": "a product list",
    "tips": "a page of tips",
    "navigation": "navigation or a footer",
    "thread": "an open thread",
    "listing": "a page of listings",
    "records": "a listing of records (a blotter or a log)",
}


@dataclass(frozen=True)
class PageKind:
    """"article", or one of KINDS for a page with nothing to check, with the shape that decided it."""

    kind: str
    features: dict[str, float]

    @property
    def nothing_to_check(self) -> bool:
        return self.kind in KINDS

    @property
    def note(self) -> str | None:
        """The card's line for a page with nothing to check."""
        return f"This looks like {KINDS[self.kind]}: nothing to check." if self.kind in KINDS else None


def _per_100(count: int, words: int) -> float:
    return 100.0 * count / max(words, 1)


def page_features(article: ParsedArticle) -> dict[str, float]:
    """The shape of the page: densities of prices, promo words and figures; shares of kinds of lines."""
    lines = [p.strip() for p in article.paragraphs if p.strip() and p.strip() != article.title]
    text = "\n".join(lines)
    words = max(word_count(text), 1)
    sentences = [s for p in article.body_paragraphs for s in split_sentences(p)]
    n_sent = max(len(sentences), 1)

    def numeric(line: str) -> bool:
        tokens = line.split()
        figures = len(_NUMBER.findall(line))
        return bool(tokens) and ((figures >= 2 and figures / len(tokens) >= 0.25) or len(_SCORE.findall(line)) >= 2)

    def listy(line: str) -> bool:
        return bool(_LIST_ITEM.match(line)) or (word_count(line) <= 8 and not line.rstrip().endswith((".", "?", "!")))

    n_lines = max(len(lines), 1)
    entries = sum(bool(_ENTRY_HEAD.match(p)) for p in article.body_paragraphs)
    return {
        "words": float(words),
        "prose_sentences": float(len(sentences)),
        "prices_per_100": _per_100(len(_PRICE.findall(text)), words),
        "promo_per_100": _per_100(len(_PROMO.findall(text)), words),
        "numeric_lines": sum(numeric(line) for line in lines) / n_lines,
        "list_lines": sum(listy(line) for line in lines) / n_lines,
        "imperative": sum(bool(_IMPERATIVE.match(s.lstrip("\"“‘(*•- "))) for s in sentences) / n_sent,
        "second_person": sum(bool(_SECOND_PERSON.search(s)) for s in sentences) / n_sent,
        "attribution": sum(bool(_ATTRIBUTION.search(s)) for s in sentences) / n_sent,
        "contact_per_100": _per_100(len(_CONTACT.findall(text)), words),
        "thread": float(bool(_THREAD.search(text))),
        "dated": sum(bool(_DATED.search(s)) for s in sentences) / n_sent,
        "entries": float(entries),
        "entry_paragraphs": entries / max(len(article.body_paragraphs), 1),
    }


# The share of sentences the check-worthiness model scores at least this high: a page of news, even a
# soft one, has several; tips, jokes, tables and service pages have almost none.
CHECKWORTHY_SCORE = 0.5
# Prices per 100 words that make a page a shop whatever its layout. Not learnable from the tuning half (its
# densest shopping page has 1.7, its densest news page 1.1): set by hand at about twice the former.
PRICES_ALONE = 3.0
# A records listing: at least this many paragraphs, and at least this share of them, open on an entry head.
# Set by hand, like PRICES_ALONE: the tuning half has one such page (a police blotter, every paragraph an
# entry) and no news, opinion or other page with a single paragraph opening that way beyond a dateline
# ("TAYLORVILLE — ..."), which the minimum count keeps out.
RECORDS_MIN_ENTRIES = 4
RECORDS_SHARE = 0.5


def records_listing(features: dict[str, float]) -> bool:
    return (features.get("entries", 0.0) >= RECORDS_MIN_ENTRIES
            and features.get("entry_paragraphs", 0.0) >= RECORDS_SHARE)


@dataclass(frozen=True)
class PageRules:
    """The learned thresholds (bot/claims/data/page_kind.json, from training/train_ranker.py).

    A page has nothing to check when it has almost no prose, when it is a records listing, when few of its
    sentences are check-worthy (`checkworthy_share` below `min_checkworthy_share`), when it instructs (a share
    of imperative sentences at `tips_imperative` or above, with little reported speech: recipes, how-tos), or
    when it sells: prices and list lines above their thresholds (or prices above PRICES_ALONE) with little
    reported speech.
    """

    min_checkworthy_share: float
    selling_prices_per_100: float
    selling_list_lines: float
    selling_attribution_below: float
    # Tips, recipes and how-tos: this share of sentences or more open on an instruction, with less reported
    # speech than `tips_attribution_below` (99: no such rule).
    tips_imperative: float = 99.0
    tips_attribution_below: float = 0.0

    @classmethod
    def load(cls, path: Path | None = None) -> PageRules:
        data = json.loads((path or DEFAULT_PAGE_MODEL_PATH).read_text(encoding="utf-8"))
        return cls(**{name: float(data[name]) for name in cls.__dataclass_fields__ if name in data})

    def nothing_to_check(self, features: dict[str, float]) -> bool:
        f = features
        if f["prose_sentences"] < MIN_PROSE_SENTENCES or records_listing(f):
            return True
        if f.get("checkworthy_share", 1.0) < self.min_checkworthy_share:
            return True
        if f["imperative"] >= self.tips_imperative and f["attribution"] < self.tips_attribution_below:
            return True
        sells = ((f["prices_per_100"] >= self.selling_prices_per_100 and f["list_lines"] >= self.selling_list_lines)
                 or f["prices_per_100"] >= PRICES_ALONE)
        return sells and f["attribution"] < self.selling_attribution_below


def shape(features: dict[str, float]) -> str:
    """Which of KINDS a page with nothing to check looks like most (for the card's line)."""
    f = features
    if f["prose_sentences"] < MIN_PROSE_SENTENCES or f["contact_per_100"] >= 3.0:
        return "navigation"
    if records_listing(f):
        return "records"
    if f["prices_per_100"] >= 0.8 and f["promo_per_100"] >= 1.0:
        return "shopping"
    if f["numeric_lines"] >= 0.3:
        return "results"
    if f["thread"]:
        return "thread"
    if f["imperative"] >= 0.05 or f["second_person"] >= 0.3:
        return "tips"
    if f["list_lines"] >= 0.3:
        return "list"
    return "listing"


@functools.cache
def default_rules() -> PageRules:
    """The shipped thresholds, read once per process (a second read under a race is harmless)."""
    return PageRules.load()


def classify(features: dict[str, float], rules: PageRules | None = None) -> str:
    """"article", or the shape of a page with nothing to check."""
    return shape(features) if (rules or default_rules()).nothing_to_check(features) else "article"


def checkworthy_share(scores: list[float]) -> float:
    return sum(score >= CHECKWORTHY_SCORE for score in scores) / len(scores) if scores else 0.0


def page_kind(article: ParsedArticle, scores: list[float], rules: PageRules | None = None) -> PageKind:
    """Read the page's shape (`scores`: the model's, one per body sentence) and say what the page is."""
    features = {**page_features(article), "checkworthy_share": checkworthy_share(scores)}
    return PageKind(classify(features, rules), features)
