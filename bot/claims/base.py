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
class Usage:
    """What reading one article cost at the language model: tokens and requests, as the server reported them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    # The answer came from the cache (URL and text unchanged): nothing was spent.
    cached: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def plus(self, prompt_tokens: int, completion_tokens: int, requests: int = 1) -> Usage:
        return Usage(self.prompt_tokens + prompt_tokens, self.completion_tokens + completion_tokens,
                     self.requests + requests, self.cached)

    def as_dict(self) -> dict[str, int | bool]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens, "requests": self.requests, "cached": self.cached}


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
    # Said on the card and in the log: why the embedded extractor answered instead of the language
    # model, or what else the reader should know about how the claims were found.
    note: str | None = None
    # The language model's cost for this article (zero for the embedded extractor).
    usage: Usage = field(default_factory=Usage)
    # A page with nothing to check ("shopping", "results", ...; None for an article) and the card's line
    # saying what it looks like ("This looks like a shopping page: nothing to check.").
    page_kind: str | None = None
    page_note: str | None = None


class ClaimExtractor(Protocol):
    """Anything that reads an article and returns a summary and at most `max_claims` grounded claims."""

    name: str

    def extract(self, article: ParsedArticle, max_claims: int) -> Extraction: ...
