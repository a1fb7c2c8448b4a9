"""Read and extract without Slack or a database: what `python app.py check` prints."""

from __future__ import annotations

from pathlib import Path

from bot.articles.fetch import FetchPolicy, Resolver, fetch, system_resolver
from bot.articles.reading import ParsedArticle, parse_article
from bot.claims.base import ClaimExtractor, Extraction


def check_source(source: str, extractor: ClaimExtractor, policy: FetchPolicy, max_claims: int,
                 resolver: Resolver = system_resolver) -> tuple[ParsedArticle, Extraction]:
    """The same read-and-extract steps without Slack or a database: for `python app.py check`."""
    path = Path(source)
    if "://" not in source and path.is_file():
        article = parse_article(path.read_bytes(), path.resolve().as_uri())
    else:
        page = fetch(source, policy, resolver=resolver)
        article = parse_article(page.body, page.final_url)
    return article, extractor.extract(article, max_claims)

