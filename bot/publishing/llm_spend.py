"""What the language model cost: recorded per extraction, summed per week or month, and the monthly budget.

Rows are appended to `llm_usage` when an extraction's answer is stored (bot.publishing.link_job), so the
newsroom can see tokens per article, per week (`python app.py llm-usage`) and per month, and
OPENAI_MONTHLY_TOKEN_BUDGET can stop spending when the month's total reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.claims import Usage
from storage.models import LLMUsage, fit_column


@dataclass(frozen=True)
class Spend:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    articles: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def record_usage(session: Session, article_id: int | None, model: str, usage: Usage) -> None:
    """Append what one extraction spent (nothing when it made no request)."""
    if usage.requests:
        session.add(LLMUsage(article_id=article_id, model=fit_column(LLMUsage.model, model) or "",
                             prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                             requests=usage.requests))


def spend_between(session: Session, start: datetime, end: datetime) -> Spend:
    row = session.execute(select(
        func.coalesce(func.sum(LLMUsage.prompt_tokens), 0), func.coalesce(func.sum(LLMUsage.completion_tokens), 0),
        func.coalesce(func.sum(LLMUsage.requests), 0), func.count(func.distinct(LLMUsage.article_id)),
    ).where(LLMUsage.created_at >= start, LLMUsage.created_at < end)).one()
    return Spend(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def month_bounds(now: datetime) -> tuple[datetime, datetime, str]:
    """The calendar month (UTC) holding `now`: its start, the next month's start, and "YYYY-MM"."""
    now = now.astimezone(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end, f"{now:%Y-%m}"


def budget_spent(session: Session, budget: int, now: datetime) -> tuple[str, int] | None:
    """("YYYY-MM", tokens spent) when this month's tokens reached `budget` (0: no budget), else None."""
    if budget <= 0:
        return None
    start, end, month = month_bounds(now)
    spent = spend_between(session, start, end).total_tokens
    return (month, spent) if spent >= budget else None
