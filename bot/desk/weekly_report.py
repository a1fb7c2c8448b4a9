"""The weekly verdict summary: what the desk opened, resolved and still has open, week by week.

Weeks are ISO weeks in SUMMARY_TZ. The summary posted at a scheduled time covers the ISO week of the
day before it (so the default, Monday 09:00, reports the week that just ended). `due_week` answers
"which week should have been posted by now", which is how a bot that was down on Monday catches up.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.casework.state import everyone_who_took
from bot.config.schedule import Schedule
from storage.models import Article, Claim, VerdictChange, Vote

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in tz, as UTC datetimes (DST-correct)."""
    match = _WEEK.match(week)
    if not match:
        raise ValueError(f"{week!r} is not an ISO week like 2026-W47")
    monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def due_week(schedule: Schedule, now: datetime) -> tuple[str, datetime]:
    """The week whose summary should have been posted by now, and when it fell due."""
    due = schedule.last_due(now)
    return iso_week((due - timedelta(days=1)).date()), due


@dataclass(frozen=True)
class SummaryClaim:
    id: int
    text: str
    verdict: str | None
    permalink: str | None
    created_at: datetime
    article_title: str | None
    resolved_by: tuple[str, ...] = ()  # who was on it, else who cast the deciding vote


@dataclass
class WeeklyReport:
    week: str
    start: datetime
    end: datetime
    tz: str
    opened: int = 0
    resolved: list[SummaryClaim] = field(default_factory=list)  # those the audience may see
    resolved_count: int = 0  # all resolved that week, seen or not
    by_verdict: dict[str, int] = field(default_factory=dict)
    still_open: int = 0
    disputed: int = 0
    oldest_open: SummaryClaim | None = None
    contributors: list[tuple[str, int]] = field(default_factory=list)
    resolvers: list[tuple[str, int]] = field(default_factory=list)  # among the claims listed


def _summary_claim(claim: Claim, title: str | None) -> SummaryClaim:
    return SummaryClaim(claim.id, claim.text, claim.verdict, claim.permalink, claim.created_at, title)


def build_report(session: Session, week: str, tz: str = "UTC", quotable: Collection[str] | None = None) -> WeeklyReport:
    """Everything the weekly post says, read from the database (a few indexed queries).

    `quotable` is the set of channels whose claims the audience may read (None: all). Claims from other
    channels are never quoted or linked (resolved list, oldest open claim), and votes on them are not
    counted under "Votes this week" (who worked on a private claim is private too); the other counts stay
    desk-wide, since a number reveals no claim.
    """
    zone = ZoneInfo(tz)
    start, end = week_bounds(week, zone)
    summary = WeeklyReport(week=week, start=start, end=end, tz=tz)
    posted = Claim.message_ts.is_not(None)
    summary.opened = int(session.scalar(select(func.count(Claim.id)).where(
        posted, Claim.created_at >= start, Claim.created_at < end)) or 0)
    resolved = session.execute(
        select(Claim, Article.title).join(Article, Article.id == Claim.article_id)
        .where(posted, Claim.status == "resolved", Claim.resolved_at >= start, Claim.resolved_at < end)
        .order_by(Claim.verdict, Claim.resolved_at, Claim.id)).all()
    summary.by_verdict = dict(Counter(c.verdict or "" for c, _title in resolved))
    summary.resolved_count = len(resolved)
    shown = [c for c, _title in resolved if quotable is None or c.channel_id in quotable]
    by = resolved_by(session, shown)
    summary.resolved = [replace(_summary_claim(c, title), resolved_by=tuple(by.get(c.id, ()))) for c, title in resolved
                        if quotable is None or c.channel_id in quotable]
    tally = Counter(user for claim in summary.resolved for user in claim.resolved_by)
    summary.resolvers = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    # status IN (open, disputed) rather than != resolved, so the (status, created_at) index is used.
    unresolved = (posted, Claim.status.in_(("open", "disputed")), Claim.created_at < end)
    summary.still_open = int(session.scalar(select(func.count(Claim.id)).where(*unresolved)) or 0)
    summary.disputed = int(session.scalar(select(func.count(Claim.id)).where(
        *unresolved, Claim.status == "disputed")) or 0)
    oldest_query = select(Claim, Article.title).join(Article, Article.id == Claim.article_id).where(*unresolved)
    if quotable is not None:
        oldest_query = oldest_query.where(Claim.channel_id.in_(sorted(quotable)))
    oldest = session.execute(oldest_query.order_by(Claim.created_at, Claim.id).limit(1)).first()
    summary.oldest_open = _summary_claim(oldest[0], oldest[1]) if oldest else None
    # Who voted on what is activity in that claim's channel: only votes on claims the audience may see.
    votes = select(Vote.user_id, func.count(Vote.id)).where(Vote.created_at >= start, Vote.created_at < end,
                                                            Vote.action == "added", Vote.eligible.is_(True))
    if quotable is not None:
        votes = votes.join(Claim, Claim.id == Vote.claim_id).where(Claim.channel_id.in_(sorted(quotable)))
    voters = session.execute(votes.group_by(Vote.user_id).order_by(func.count(Vote.id).desc(), Vote.user_id)).all()
    summary.contributors = [(user, int(count)) for user, count in voters]
    return summary


def resolved_by(session: Session, claims: Collection[Claim]) -> dict[int, list[str]]:
    """Who resolved each claim: the people who took it ("I'm on it"), else whoever cast the deciding vote."""
    ids = [c.id for c in claims]
    found = everyone_who_took(session, ids)
    missing = [i for i in ids if not found.get(i)]
    if missing:
        deciding = session.execute(
            select(VerdictChange.claim_id, Vote.user_id).join(Vote, Vote.id == VerdictChange.vote_id)
            .where(VerdictChange.claim_id.in_(missing), VerdictChange.new_status == "resolved")
            .order_by(VerdictChange.id)).all()
        for claim_id, user in deciding:
            found[claim_id] = [user]  # the latest change to resolved wins
    return found


def first_activity(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Claim.created_at)))
