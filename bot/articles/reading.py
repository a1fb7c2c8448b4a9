"""Turn a fetched HTML page into an Article: metadata plus the main text only.

trafilatura does the boilerplate removal: navigation, sidebars, "related stories" boxes and footers
are dropped, so a headline from another story never becomes a claim of this one. Headings stay in the
text (quotes must be found in it) but are marked, so claims come only from body paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import trafilatura

from bot.articles.fetch import FetchError

MIN_TEXT_CHARS = 200
_HTML_LANG = re.compile(rb"<html[^>]*\slang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…:\"”’')\]]$")


@dataclass(frozen=True)
class Article:
    url: str
    title: str | None
    site: str | None
    author: str | None
    published: str | None
    language: str | None
    description: str | None
    text: str
    paragraphs: list[str] = field(default_factory=list)

    @property
    def body_paragraphs(self) -> list[str]:
        """Paragraphs that read as prose: headings and the title are left out of claim-finding."""
        return [p for p in self.paragraphs if p != self.title and _is_prose(p)]


def _is_prose(paragraph: str) -> bool:
    words = paragraph.split()
    return (len(words) >= 6 and bool(_SENTENCE_END.search(paragraph.rstrip()))) or len(words) >= 25


def _language(html: bytes) -> str | None:
    match = _HTML_LANG.search(html[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def parse_article(html: bytes | str, url: str) -> Article:
    """Extract the article; raises FetchError('no_text') when the page has no readable story."""
    raw = html.encode("utf-8", "replace") if isinstance(html, str) else html
    document = trafilatura.bare_extraction(
        raw,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        deduplicate=False,  # its cache is process-wide: a second read of the same page would come back empty
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if len(text) < MIN_TEXT_CHARS:
        raise FetchError("no_text", "the page has no readable article text (it may need JavaScript, or be a paywall "
                                    "or an index page)")
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    site = getattr(document, "sitename", None) or getattr(document, "hostname", None) or urlsplit(url).hostname
    return Article(
        url=url,
        title=getattr(document, "title", None),
        site=site,
        author=getattr(document, "author", None),
        published=getattr(document, "date", None),
        language=getattr(document, "language", None) or _language(raw),
        description=getattr(document, "description", None),
        text="\n".join(paragraphs),
        paragraphs=paragraphs,
    )
