"""The claim-extraction interface shared by the embedded and the LLM extractors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.articles.reading import Article


@dataclass(frozen=True)
class Claim:
    """One check-worthy claim; `quote` is verbatim article text, so editors can find it on the page."""

    text: str
    quote: str
    score: float
    speaker: str | None = None


@dataclass(frozen=True)
class Extraction:
    summary: str
    claims: list[Claim]
    extractor: str


class ClaimExtractor(Protocol):
    """Anything that reads an article and returns a summary and at most `max_claims` grounded claims."""

    name: str

    def extract(self, article: Article, max_claims: int) -> Extraction: ...
