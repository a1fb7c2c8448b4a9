"""Exports for the newsroom's site and archives.

* ClaimReview: schema.org JSON-LD as Google's fact-check rich results require it
  (developers.google.com/search/docs/appearance/structured-data/factcheck): `claimReviewed`,
  `reviewRating` with the verdict's label as `alternateName` (plus its 1-5 `ratingValue` when the verdict
  has one, and the explanation as `ratingExplanation`), `url` = the page where the newsroom published
  the fact-check, `author` = the newsroom, `datePublished`, and `itemReviewed` = the Claim with who made
  it (`author`: the claim's speaker, typed Organization for an outlet or body and Person otherwise, else
  the publication) and where it appeared (`appearance`: the
  article). The explanation is also the `reviewBody`; the evidence links are `citation`s.
  A claim without a published URL has no page to point to: it is left out, never exported with a Slack
  permalink in its place (Google would reject it, and it would leak an internal link). With
  include_drafts it is exported without `url`, marked `creativeWorkStatus: Draft`, for review.
  The JSON is written with `<`, `>` and `&` as JSON unicode escapes, so text from articles or explanations
  cannot close the script tag it is pasted into.
* CSV: every claim with its current state, the same ClaimReview fields, who is on it, its sources and
  its full verdict history, for archives and audits. A cell that starts like a formula (`=`, `+`, `-`,
  `@`, tab, carriage return) gets a leading `'`, so a spreadsheet shows it as text (OWASP CSV injection).

Both take the channels whose claims may be exported: the private-channel rule decides (app.py),
private channels' claims only with an explicit flag.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.casework.state import assignees, sources
from bot.claims.speakers import is_organization
from bot.config.verdict_scale import BEST_RATING, WORST_RATING, VerdictScale
from bot.desk.channels import ChannelFacts
from storage.models import Article, Claim, ClaimSource, VerdictChange

CSV_FIELDS = ["claim_id", "created_at", "status", "verdict", "verdict_label", "rating", "resolved_at", "claim",
              "quote", "speaker", "claimant", "claimant_type", "article_title", "article_url", "site",
              "article_author", "article_published", "review_status", "url", "date_published", "explanation",
              "newsroom", "newsroom_url", "assignees", "source_count", "sources", "slack_channel",
              "slack_permalink", "verdict_history"]


def _restricted(statement: Select, channels: Collection[str] | None) -> Select:
    if channels is None:
        return statement
    return statement.where(Claim.channel_id.in_(sorted(channels)))


def claimant(claim: Claim, article: Article) -> dict[str, Any]:
    """Who made the claim: its speaker when the article names one, else the publication that printed it."""
    if claim.speaker:
        # An outlet or body ("CNN", "US military", "Health Department") is an Organization, not a Person.
        return {"@type": "Organization" if is_organization(claim.speaker) else "Person", "name": claim.speaker}
    url = article.final_url or article.url
    parts = urlsplit(url)
    host = parts.hostname or url
    author: dict[str, Any] = {"@type": "Organization", "name": article.site or host.removeprefix("www.")}
    if parts.scheme in ("http", "https") and parts.hostname:
        author["url"] = f"{parts.scheme}://{parts.netloc}/"
    return author


def _citation(source: ClaimSource) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "url": source.url}
    if source.title:
        work["name"] = source.title
    return work


def _date_published(claim: Claim) -> str:
    return (claim.published_at or claim.resolved_at or claim.updated_at).date().isoformat()


def claimreview(session: Session, scale: VerdictScale, organization: str, organization_url: str | None,
                since: datetime | None = None, *, channels: Collection[str] | None = None,
                include_drafts: bool = False) -> list[dict[str, Any]]:
    """ClaimReview items for resolved claims (published ones; drafts too when asked)."""
    statement = (select(Claim, Article).join(Article, Article.id == Claim.article_id)
                 .where(Claim.status == "resolved", Claim.verdict.is_not(None)).order_by(Claim.resolved_at, Claim.id))
    if not include_drafts:
        statement = statement.where(Claim.published_url.is_not(None))
    if since:
        statement = statement.where(Claim.resolved_at >= since)
    rows = session.execute(_restricted(statement, channels)).all()
    evidence = sources(session, [claim.id for claim, _ in rows])
    author: dict[str, Any] = {"@type": "Organization", "name": organization}
    if organization_url:
        author["url"] = organization_url
    reviews = []
    for claim, article in rows:
        verdict = scale.get(claim.verdict)
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": verdict.label if verdict else claim.verdict,
                                  "bestRating": BEST_RATING, "worstRating": WORST_RATING}
        if verdict and verdict.rating is not None:
            rating["ratingValue"] = verdict.rating
        if claim.explanation:
            rating["ratingExplanation"] = claim.explanation
        appearance: dict[str, Any] = {"@type": "CreativeWork", "url": article.final_url or article.url}
        if article.title:
            appearance["headline"] = article.title
        if article.published:
            appearance["datePublished"] = article.published
        if article.site:
            appearance["publisher"] = {"@type": "Organization", "name": article.site}
        item: dict[str, Any] = {"@type": "Claim", "author": claimant(claim, article), "appearance": [appearance]}
        if article.published:
            item["datePublished"] = article.published
        review: dict[str, Any] = {"@context": "https://schema.org", "@type": "ClaimReview"}
        if claim.published_url:
            review["url"] = claim.published_url
        else:
            review["creativeWorkStatus"] = "Draft"
        review.update({"claimReviewed": claim.text, "itemReviewed": item, "reviewRating": rating, "author": author,
                       "datePublished": _date_published(claim)})
        if claim.explanation:
            review["reviewBody"] = claim.explanation
        if evidence.get(claim.id):
            review["citation"] = [_citation(source) for source in evidence[claim.id]]
        reviews.append(review)
    return reviews


# Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), with their
# full-width forms, which some spreadsheet programs accept as well.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralised(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting like one gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# In a <script type="application/ld+json"> block, "</script>" (or "<!--") in a string would end the
# script; JSON allows any character as a unicode escape, so these never appear raw.
_SCRIPT_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def claimreview_json(reviews: list[dict[str, Any]]) -> str:
    """ClaimReview items as JSON that is safe to paste inside a script tag on the newsroom's site."""
    text = json.dumps(reviews, indent=2, ensure_ascii=False)
    return "".join(_SCRIPT_SAFE.get(character, character) for character in text)


def _history(changes: list[VerdictChange]) -> str:
    return "; ".join(
        f"{c.changed_at:%Y-%m-%dT%H:%M:%SZ} {c.old_verdict or c.old_status}->{c.new_verdict or c.new_status}"
        for c in changes)


def _sources_cell(found: list[ClaimSource]) -> str:
    return " | ".join(f"{s.url} ({s.title})" if s.title else s.url for s in found)


def claims_csv(session: Session, scale: VerdictScale, since: datetime | None = None, *,
               channels: Collection[str] | None = None, organization: str = "", organization_url: str | None = None
               ) -> str:
    statement = select(Claim, Article).join(Article, Article.id == Claim.article_id).order_by(Claim.id)
    if since:
        statement = statement.where(Claim.created_at >= since)
    rows = session.execute(_restricted(statement, channels)).all()
    history: dict[int, list[VerdictChange]] = {}
    ids = [claim.id for claim, _ in rows]
    for start in range(0, len(ids), 500):
        for change in session.scalars(select(VerdictChange).where(VerdictChange.claim_id.in_(ids[start:start + 500]))
                                      .order_by(VerdictChange.id)):
            history.setdefault(change.claim_id, []).append(change)
    on_it = assignees(session, ids)
    evidence = sources(session, ids)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for claim, article in rows:
        verdict = scale.get(claim.verdict)
        who = claimant(claim, article)
        resolved = claim.status == "resolved" and claim.verdict is not None
        status = ("published" if claim.published_url else "draft") if resolved else "unresolved"
        writer.writerow({key: neutralised(value) for key, value in {
            "claim_id": claim.id, "created_at": claim.created_at.isoformat(), "status": claim.status,
            "verdict": claim.verdict or "", "verdict_label": verdict.label if verdict else "",
            "rating": verdict.rating if verdict and verdict.rating is not None else "",
            "resolved_at": claim.resolved_at.isoformat() if claim.resolved_at else "", "claim": claim.text,
            "quote": claim.quote, "speaker": claim.speaker or "", "claimant": who["name"],
            "claimant_type": who["@type"], "article_title": article.title or "",
            "article_url": article.final_url or article.url, "site": article.site or "",
            "article_author": article.author or "", "article_published": article.published or "",
            "review_status": status, "url": claim.published_url or "",
            "date_published": _date_published(claim) if resolved else "", "explanation": claim.explanation or "",
            "newsroom": organization, "newsroom_url": organization_url or "",
            "assignees": " ".join(user for user, _since in on_it.get(claim.id, [])),
            "source_count": len(evidence.get(claim.id, [])), "sources": _sources_cell(evidence.get(claim.id, [])),
            "slack_channel": claim.channel_id or "", "slack_permalink": claim.permalink or "",
            "verdict_history": _history(history.get(claim.id, [])),
        }.items()})
    return out.getvalue()


def exportable_channels(channels: Collection[str], facts: Callable[[str], ChannelFacts | None],
                        include_private: bool) -> tuple[set[str] | None, list[str], list[str]]:
    """The channels whose claims may be exported, then those left out as private, then those left out
    because nobody can tell (the private-channel rule: unknown means private).

    Exports leave Slack, so a private channel's claims go only when asked for explicitly. `facts` reads
    what the bot recorded about a channel (bot.desk.channels), asking Slack only about a channel it
    never recorded.
    """
    if include_private:
        return None, [], []
    private, unknown = [], []
    for channel in channels:
        known = facts(channel)
        if known is None:
            unknown.append(channel)
        elif known.is_private:
            private.append(channel)
    return set(channels) - set(private) - set(unknown), private, unknown
