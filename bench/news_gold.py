"""The news benchmark's gold data and the rules that match the bot's output against it.

Kept apart from `bench/news_claims.py` so that a ranker (or any other tool) scores its picks with the
very same rules the benchmark prints: import `load_pages`, `quote_matches`, `speaker_verdict` and
`score` from here.

Rules (also in bench/README.md, "News pages"):

* A page's text is what `python app.py check FILE --json` reads: `parse_article(bytes, file URI)`
  (a `.html.gz` page is decompressed first and read under the URI of the file without `.gz`).
* A claim *finds* a must-check item when their content tokens overlap substantially. Tokens are words
  and figures, lower-cased, with function words ("the", "of", "said" is kept) left out; the shared
  tokens (as a multiset) must cover at least 60% of the gold item's tokens, or at least 80% of the
  claim's tokens when the claim is the shorter one (a claim quoting part of a long gold sentence); at
  least 3 tokens must be shared (all of them when a side has fewer than 3); and every figure (a token
  with a digit) of the gold item must be in the claim (and, for a shorter claim, every figure of the
  claim in the gold item): "6,500 were on zero-hours contracts" is not found by a sentence about
  zero-hours contracts without that number.
* A shown claim is *attributed* when its quote matches an annotated speaker quote by the same rule.
  Its speaker is *correct* when it names the same person or body as the gold speaker after
  normalising case, whitespace, punctuation, a leading "the" and titles (Mr, Ms, Dr, ...); a name
  counts when its words are a contiguous part of the other's (so "Levy" and "Joshua Levy", "Health
  Ministry" and "Gaza Health Ministry" agree), and an all-capitals word may stand for the initials of
  consecutive words ("BPD" for "Brookhaven Police Department", "California ISO" for "California
  Independent System Operator"). A name without a capitalised word ("the report", "officials") names
  nobody, and one that starts with a function word ("As AnandTech", "While", "In the statement") is
  not a name. No speaker is *missing*; any other speaker is *wrong*.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NEWS_DIR = Path(__file__).resolve().parent / "news"
ANNOTATIONS = NEWS_DIR / "annotations.json"
KINDS = ("news", "opinion", "nothing")
# The tuning and held-out halves, stratified by kind, then sets annotated later (issue 17) so that each
# final measurement runs on pages nobody has seen the bot's output for: "fresh" and "unseen", each
# measured once and since then seen like the halves, "unseen2", measured once and not yet fitted on, and
# "unseen3", annotated for the next measurement and never read by the bot. The shipped ranker and page
# rules are fitted on SEEN; nothing reads an UNMEASURED split but its one final measurement.
HALVES = ("tune", "heldout")
SEEN = (*HALVES, "fresh", "unseen")
UNMEASURED = ("unseen3",)
SPLITS = (*SEEN, "unseen2", *UNMEASURED)
SELECTIONS = {"both": HALVES, "seen": SEEN, "all": SPLITS}

OVERLAP = 0.6
INSIDE = 0.8
MIN_SHARED = 3
# Function words carry no claim: they are left out before tokens are compared.
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet if then than that this these those there here of in on at to for from by with
about as into onto over under after before since until while during per via is are was were be been being am
has have had do does did will would shall should can could may might must it its it's he him his she her hers
they them their theirs we us our you your i me my who whom whose which what when where why how not no
also just only very more most much many some any all each every both either neither one such own same other
""".split())
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "gov", "governor", "judge",
           "rev", "president", "senator", "sen", "rep", "chief", "executive"}
_STOP = {"the", "a", "an", "of", "and", "for", "in", "on", "at", "to", "s"}


@dataclass
class Page:
    """One annotated page and the text the bot reads from it."""

    id: str
    file: str
    url: str
    split: str
    kind: str
    expected: tuple[int, int]
    must_check: list[str]
    speakers: list[dict[str, str]]
    notes: str = ""
    path: Path = field(default=Path())

    def html(self) -> bytes:
        data = self.path.read_bytes()
        return gzip.decompress(data) if self.path.suffix == ".gz" else data

    def uri(self) -> str:
        """The URI `app.py check` would read this page under (the plain .html name for a .gz page)."""
        plain = self.path.with_suffix("") if self.path.suffix == ".gz" else self.path
        return plain.resolve().as_uri()


def load_annotations(path: Path = ANNOTATIONS) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_pages(split: str = "all", path: Path = ANNOTATIONS) -> list[Page]:
    """The annotated pages of one split (SPLITS) or of a selection of them ("both": the tuning and held-out
    halves; "seen": every split but "unseen"; "all"), in file order."""
    if split not in (*SPLITS, *SELECTIONS):
        raise ValueError(f"unknown split {split!r}")
    wanted = set(SELECTIONS.get(split, (split,)))
    pages = []
    for item in load_annotations(path):
        if item["split"] not in wanted:
            continue
        pages.append(Page(id=item["id"], file=item["file"], url=item["url"], split=item["split"],
                          kind=item["kind"], expected=tuple(item["expected"]),
                          must_check=list(item["must_check"]), speakers=list(item["speakers"]),
                          notes=item.get("notes", ""), path=path.parent / item["file"]))
    return pages


def read_text(page: Page) -> str:
    """The article text the bot reads from the page (the `text` field of `app.py check --json`)."""
    from bot.articles.reading import parse_article

    return parse_article(page.html(), page.uri()).text


# trafilatura's option sets the bot tries, in its order (bot/articles/reading.py, _READS; a test keeps the
# two equal). Used by `plain_reads` only.
PLAIN_READS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("precise", {"favor_precision": True, "include_tables": False}),
    ("default", {"include_tables": False}),
    ("recall", {"favor_recall": True, "include_tables": True}),
)


def plain_reads(page: Page) -> dict[str, str]:
    """The page's text as trafilatura alone extracts it with each of the bot's option sets, no bot code.

    The unseen pages may not be read by the bot before their one final measurement, so their quotes are
    checked against these reads instead of `read_text`: a quote that lies on one line of all three is in
    whichever read the bot keeps, unless the bot's own clean-up (promo and notice lines) drops its line.
    """
    import copy

    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(page.html())
    reads = {}
    for name, options in PLAIN_READS:
        document = trafilatura.bare_extraction(
            copy.deepcopy(tree), url=page.uri(), with_metadata=True, include_comments=False,
            include_images=False, include_links=False, deduplicate=False, **options)
        reads[name] = (getattr(document, "text", None) or "").strip() if document is not None else ""
    return reads


def tokens(text: str) -> list[str]:
    """The content words and figures of a text, lower-cased ("$3,664" -> "3,664", "U.S." -> "u.s")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return [t for t in re.findall(r"[^\W_]+(?:['.,][^\W_]+)*", text) if t not in FUNCTION_WORDS]


def overlap(claim: str, gold: str) -> float:
    """How much of the gold item the claim covers (see the module rules); 0.0 when it cannot match."""
    a, b = Counter(tokens(claim)), Counter(tokens(gold))
    if not a or not b:
        return 0.0
    shared = sum((a & b).values())
    gold_n, claim_n = sum(b.values()), sum(a.values())
    if shared < min(MIN_SHARED, gold_n, claim_n):
        return 0.0
    # The figures are what a desk checks: a claim that drops or changes one is another claim.
    if any(_figure(t) and t not in a for t in b):
        return 0.0
    if claim_n < gold_n:
        if any(_figure(t) and t not in b for t in a):
            return 0.0
        inside = shared / claim_n
        return max(shared / gold_n, OVERLAP if inside >= INSIDE else 0.0)
    return shared / gold_n


def _figure(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


def quote_matches(claim: str, gold: str) -> bool:
    """Does a claim's quote cover a gold quote (or lie almost wholly inside it)? See the module rules."""
    return overlap(claim, gold) >= OVERLAP


def _name_words(name: str) -> list[str]:
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", name).replace("’", "'").replace("'s ", " "))
    while words and (words[0].lower() in _TITLES or words[0].lower() == "the"):
        words = words[1:]
    return words


def _fits(short: list[str], long: list[str]) -> bool:
    """Do the `short` words appear contiguously in `long`, an all-caps word standing for initials?"""
    def at(i: int, j: int) -> bool:
        if i == len(short):
            return True
        word = short[i]
        if j < len(long) and word.lower() == long[j].lower() and at(i + 1, j + 1):
            return True
        if len(word) >= 2 and word.isupper():
            letters = word.lower()
            k, n = j, 0
            while k < len(long) and n < len(letters):
                if long[k].lower() in _STOP and long[k][0].lower() != letters[n]:
                    k += 1
                    continue
                if long[k][0].lower() != letters[n]:
                    break
                k, n = k + 1, n + 1
            if n == len(letters) and at(i + 1, k):
                return True
        return False

    return any(at(0, j) for j in range(len(long)))


def is_name(speaker: str | None) -> bool:
    """Could this speaker name someone? "As AnandTech", "the report", "What" and "the tool was" cannot."""
    words = _name_words(speaker or "")
    return bool(words) and _proper(words) and words[0].lower() not in FUNCTION_WORDS | {"according"}


def same_speaker(predicted: str | None, gold: str) -> bool:
    """Do two speaker names name the same person or body under the module's alias rule?"""
    if not predicted:
        return False
    p, g = _name_words(predicted), _name_words(gold)
    if not p or not g:
        return False
    if not is_name(predicted) or not _proper(g):
        return False
    return _fits(p, g) or _fits(g, p)


def _proper(words: list[str]) -> bool:
    """Does a name hold a proper noun (a capitalised word or a figure)? "the report" does not."""
    return any(w[0].isupper() or w[0].isdigit() for w in words if w.lower() not in _STOP)


def speaker_verdict(claim_quote: str, predicted: str | None, page: Page) -> str | None:
    """'correct', 'wrong' or 'missing' for a shown claim on an annotated attributed sentence, else None."""
    best = max(page.speakers, key=lambda s: overlap(claim_quote, s["quote"]), default=None)
    if best is None or not quote_matches(claim_quote, best["quote"]):
        return None
    if not predicted:
        return "missing"
    return "correct" if same_speaker(predicted, best["speaker"]) else "wrong"


@dataclass
class PageResult:
    """What the extractor did on one page: the claims on the card and the kept-back candidates."""

    page: Page
    shown: list[dict[str, Any]] = field(default_factory=list)   # {"quote", "speaker"} per shown claim
    more: list[dict[str, Any]] = field(default_factory=list)    # kept-back candidates, same shape
    error: str | None = None      # the extractor raised: counted as "raised", never a crash of the run
    refused: str | None = None    # the bot declined the page (paywall, no text): no claims shown


def _found(claims: Iterable[dict[str, Any]], gold: str) -> bool:
    return any(quote_matches(c.get("quote") or c.get("claim") or "", gold) for c in claims)


def score(results: list[PageResult]) -> dict[str, Any]:
    """The benchmark's figures over some page results (one split or all)."""
    gold_n = card_hits = cand_hits = 0
    verdicts: Counter[str] = Counter()
    fit = fit_n = 0
    nothing_over = []
    shown_n = shown_gold = 0
    non_names: list[str] = []
    raised = []
    per_kind: dict[str, dict[str, int]] = {}
    for r in results:
        p = r.page
        kind = per_kind.setdefault(p.kind, {"pages": 0, "gold": 0, "card": 0, "fit": 0})
        kind["pages"] += 1
        if r.error is not None:
            raised.append(p.id)
            gold_n += len(p.must_check)
            kind["gold"] += len(p.must_check)
            continue
        for gold in p.must_check:
            gold_n += 1
            kind["gold"] += 1
            on_card = _found(r.shown, gold)
            card_hits += on_card
            kind["card"] += on_card
            cand_hits += on_card or _found(r.more, gold)
        for claim in r.shown:
            quote = claim.get("quote") or claim.get("claim") or ""
            verdict = speaker_verdict(quote, claim.get("speaker"), p)
            if verdict:
                verdicts[verdict] += 1
            if claim.get("speaker") and not is_name(claim["speaker"]):
                non_names.append(claim["speaker"])
            shown_n += 1
            shown_gold += any(quote_matches(quote, g) for g in p.must_check)
        fit_n += 1
        lo, hi = p.expected
        if lo <= len(r.shown) <= hi:
            fit += 1
            kind["fit"] += 1
        if p.kind == "nothing" and len(r.shown) > 1:
            nothing_over.append(p.id)
    attributed = sum(verdicts.values())
    return {
        "pages": len(results),
        "raised": raised,
        "must_check": gold_n,
        "recall_card": card_hits / gold_n if gold_n else None,
        "recall_candidates": cand_hits / gold_n if gold_n else None,
        "speakers": {"attributed_shown": attributed, "correct": verdicts["correct"], "wrong": verdicts["wrong"],
                     "missing": verdicts["missing"],
                     "accuracy": verdicts["correct"] / attributed if attributed else None,
                     "wrong_share": verdicts["wrong"] / attributed if attributed else None,
                     # Every shown claim, annotated or not: a speaker that cannot be a name.
                     "non_names": non_names},
        "count_fit": fit / fit_n if fit_n else None,
        "nothing_pages": sum(1 for r in results if r.page.kind == "nothing"),
        "nothing_over_one": nothing_over,
        "shown": shown_n,
        "shown_gold_share": shown_gold / shown_n if shown_n else None,
        "per_kind": per_kind,
    }
