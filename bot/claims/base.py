"""The claim-extraction interface shared by the embedded and the LLM extractors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.articles.reading import ParsedArticle


@dataclass(frozen=True)
class ExtractedClaim:
    """One check-worthy claim; `quote` is verbatim article text, so editors can find it on the page."""

    text: str
    quote: str
    score: float
    # Who made the claim when the article attributes it ("said Hogan Gidley", "According to CNN").
    speaker: str | None = None
    # The sentence before the quote, when the quote leans on it ("He ...", "However, ...", "The company ...").
    context: str | None = None


@dataclass(frozen=True)
class Extraction:
    """What the extractor read and decided.

    `claims` are the ones to post now; `more` holds the other candidates, best first, so the card can
    say "N of M candidates shown" (M = `candidates`) and offer the rest without reading the page again.
    """

    summary: str
    claims: list[ExtractedClaim]
    extractor: str
    # Sentences above the model's threshold, near-duplicates merged (shown claims included).
    candidates: int = 0
    # Candidates not shown, best first.
    more: list[ExtractedClaim] = field(default_factory=list)
    # Where the summary came from: "page description", "lead", "model" (LLM), or None when empty.
    summary_source: str | None = None
    # Only part of the article was read (it was cut at the size bound): the reply should say so.
    partial: bool = False
    # A page with nothing to check ("shopping", "results", ...; None for an article) and the card's line
    # saying what it looks like ("This looks like a shopping page: nothing to check.").
    page_kind: str | None = None
    page_note: str | None = None


class ClaimExtractor(Protocol):
    """Anything that reads an article and returns a summary and at most `max_claims` grounded claims."""

    name: str

    def extract(self, article: ParsedArticle, max_claims: int) -> Extraction: ...
