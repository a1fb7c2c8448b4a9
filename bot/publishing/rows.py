"""Stored rows turned into what the views and extractors take (one mapping, shared by every job)."""

from __future__ import annotations

from bot.articles.reading import ParsedArticle
from bot.slack.claim_views import ArticleInfo, ClaimView
from bot.verdicts.scale import VerdictScale
from storage.models import Article, Claim


def article_info(row: Article) -> ArticleInfo:
    return ArticleInfo(url=row.final_url or row.url, title=row.title, site=row.site, published=row.published,
                       author=row.author, modified=row.modified)


def claim_view(row: Claim, scale: VerdictScale) -> ClaimView:
    return ClaimView(number=row.position, text=row.text, quote=row.quote, permalink=row.permalink,
                     speaker=row.speaker, context=row.context, status=scale.status_label(row.status, row.verdict))


def stored_article(row: Article) -> ParsedArticle:
    """Rebuild the parsed article from its row, so a resumed job extracts from the same text."""
    paragraphs = (row.text or "").splitlines()
    return ParsedArticle(url=row.final_url or row.url, title=row.title, site=row.site, author=row.author,
                         published=row.published, language=row.language, description=row.description,
                         text=row.text or "", paragraphs=paragraphs, partial=row.partial,
                         reading=row.reading or "precise", modified=row.modified)
