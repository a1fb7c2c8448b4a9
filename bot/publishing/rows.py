"""Stored rows turned into what the views and extractors take (one mapping, shared by every job)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import object_session

from bot.articles.reading import ParsedArticle
from bot.config.verdict_scale import VerdictScale
from bot.desk.channels import ChannelDirectory
from bot.publishing.views import ArticleInfo, ClaimView, SeenView
from storage.models import ActiveVote, Article, Claim


def article_info(row: Article) -> ArticleInfo:
    return ArticleInfo(url=row.final_url or row.url, title=row.title, site=row.site, published=row.published,
                       author=row.author, modified=row.modified)


def claim_view(row: Claim, scale: VerdictScale) -> ClaimView:
    """The claim as its message shows it; call with the row attached to a session (for `seen`)."""
    return ClaimView(number=row.position, text=row.text, quote=row.quote, permalink=row.permalink,
                     speaker=row.speaker, context=row.context, status=scale.status_label(row.status, row.verdict),
                     seen=seen_view(row, scale))


def seen_view(row: Claim, scale: VerdictScale) -> SeenView | None:
    """The earlier claim this one matched, in its present state (it may have been decided since).

    Which earlier claim may be shown was settled when the match was made (bot.publishing.seen_before):
    only claims from channels the new claim's audience may read are ever stored here. Channels change,
    though: once the claim is posted, the earlier one is shown only while its channel may still be
    quoted in this one (recorded facts, bot.desk.channels), so a channel made private stops showing.
    """
    session = object_session(row)
    if row.seen_claim_id is None or session is None:
        return None
    earlier = session.get(Claim, row.seen_claim_id)
    if earlier is None:
        return None
    if row.channel_id and not ChannelDirectory.shareable_in(session, row.channel_id, earlier.channel_id or ""):
        return None
    verdict = scale.get(earlier.verdict) if earlier.verdict else None
    deciders: list[str] = []
    if earlier.status == "resolved" and earlier.verdict:
        deciders = list(session.scalars(select(ActiveVote.user_id).where(
            ActiveVote.claim_id == earlier.id, ActiveVote.active.is_(True), ActiveVote.verdict == earlier.verdict)
            .order_by(ActiveVote.voted_at)))
    decided_on = f"{earlier.resolved_at:%-d %b %Y}" if earlier.resolved_at and earlier.status == "resolved" else None
    return SeenView(claim_id=earlier.id, status=earlier.status,
                    verdict_label=verdict.label if verdict else earlier.verdict, decided_on=decided_on,
                    deciders=tuple(dict.fromkeys(deciders)), permalink=earlier.permalink)


def stored_article(row: Article) -> ParsedArticle:
    """Rebuild the parsed article from its row, so a resumed job extracts from the same text."""
    paragraphs = (row.text or "").splitlines()
    return ParsedArticle(url=row.final_url or row.url, title=row.title, site=row.site, author=row.author,
                         published=row.published, language=row.language, description=row.description,
                         text=row.text or "", paragraphs=paragraphs, partial=row.partial,
                         reading=row.reading or "precise", modified=row.modified)
