"""Exports for the newsroom's site and archives.

* ClaimReview: schema.org JSON-LD for every resolved claim, the markup search engines and fact-check
  aggregators read (claimReviewed, itemReviewed as a Claim with where it appeared, reviewRating with
  the verdict's label as alternateName and its 1-5 rating, datePublished, the organisation as author).
* CSV: every claim with its current state and its full verdict history, for archives and audits.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.verdicts.scale import BEST_RATING, WORST_RATING, VerdictScale
from storage.models import Article, Claim, VerdictChange

CSV_FIELDS = ["claim_id", "created_at", "status", "verdict", "verdict_label", "rating", "resolved_at", "claim",
              "quote", "speaker", "article_title", "article_url", "site", "article_author", "article_published",
              "slack_channel", "slack_permalink", "verdict_history"]


def claimreview(session: Session, scale: VerdictScale, organization: str, organization_url: str | None,
                since: datetime | None = None) -> list[dict[str, Any]]:
    statement = (select(Claim, Article).join(Article, Article.id == Claim.article_id)
                 .where(Claim.status == "resolved", Claim.verdict.is_not(None)).order_by(Claim.resolved_at, Claim.id))
    if since:
        statement = statement.where(Claim.resolved_at >= since)
    author: dict[str, Any] = {"@type": "Organization", "name": organization}
    if organization_url:
        author["url"] = organization_url
    reviews = []
    for claim, article in session.execute(statement).all():
        verdict = scale.get(claim.verdict)
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": verdict.label if verdict else claim.verdict,
                                  "bestRating": BEST_RATING, "worstRating": WORST_RATING}
        if verdict and verdict.rating is not None:
            rating["ratingValue"] = verdict.rating
        appearance: dict[str, Any] = {"@type": "CreativeWork", "url": article.final_url or article.url}
        if article.title:
            appearance["headline"] = article.title
        if article.published:
            appearance["datePublished"] = article.published
        item: dict[str, Any] = {"@type": "Claim", "appearance": [appearance]}
        claimant = claim.speaker or article.author
        if claimant:
            item["author"] = {"@type": "Person" if claim.speaker else "Organization", "name": claimant}
        if article.published:
            item["datePublished"] = article.published
        review: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "ClaimReview", "claimReviewed": claim.text,
            "itemReviewed": item, "reviewRating": rating, "author": author,
            "datePublished": (claim.resolved_at or claim.updated_at).date().isoformat(),
        }
        if claim.permalink:
            review["url"] = claim.permalink
        reviews.append(review)
    return reviews


def _history(changes: list[VerdictChange]) -> str:
    return "; ".join(
        f"{c.changed_at:%Y-%m-%dT%H:%M:%SZ} {c.old_verdict or c.old_status}->{c.new_verdict or c.new_status}"
        for c in changes)


def claims_csv(session: Session, scale: VerdictScale, since: datetime | None = None) -> str:
    statement = select(Claim, Article).join(Article, Article.id == Claim.article_id).order_by(Claim.id)
    if since:
        statement = statement.where(Claim.created_at >= since)
    rows = session.execute(statement).all()
    history: dict[int, list[VerdictChange]] = {}
    ids = [claim.id for claim, _ in rows]
    for start in range(0, len(ids), 500):
        for change in session.scalars(select(VerdictChange).where(VerdictChange.claim_id.in_(ids[start:start + 500]))
                                      .order_by(VerdictChange.id)):
            history.setdefault(change.claim_id, []).append(change)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for claim, article in rows:
        verdict = scale.get(claim.verdict)
        writer.writerow({
            "claim_id": claim.id, "created_at": claim.created_at.isoformat(), "status": claim.status,
            "verdict": claim.verdict or "", "verdict_label": verdict.label if verdict else "",
            "rating": verdict.rating if verdict and verdict.rating is not None else "",
            "resolved_at": claim.resolved_at.isoformat() if claim.resolved_at else "", "claim": claim.text,
            "quote": claim.quote, "speaker": claim.speaker or "", "article_title": article.title or "",
            "article_url": article.final_url or article.url, "site": article.site or "",
            "article_author": article.author or "", "article_published": article.published or "",
            "slack_channel": claim.channel_id or "", "slack_permalink": claim.permalink or "",
            "verdict_history": _history(history.get(claim.id, [])),
        })
    return out.getvalue()
