"""Every kind of background job, declared once: its name and its typed payload.

Producers (the Slack handlers' calls into bot/, the scheduler, other jobs) and the consumer (the job's
handler, bound in bot.runtime.composition) share the payload class, so they cannot drift apart the
way untyped dicts did. Payloads are stored as JSON in the jobs table; `load` tolerates keys written by
older versions, so jobs queued before an upgrade still run.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from storage import jobs

P = TypeVar("P")


@dataclasses.dataclass(frozen=True)
class JobKind(Generic[P]):
    name: str
    payload_type: type[P]

    def enqueue(self, session: Session, payload: P, key: str, run_after: datetime | None = None) -> bool:
        """Queue the job in the caller's transaction unless one with this dedupe key exists."""
        return jobs.enqueue(session, self.name, key, dataclasses.asdict(payload), run_after)  # type: ignore[call-overload]

    def load(self, raw: dict[str, Any]) -> P:
        names = {f.name for f in dataclasses.fields(self.payload_type)}  # type: ignore[arg-type]
        return self.payload_type(**{k: v for k, v in raw.items() if k in names})


# -- payloads -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LinkPostJob:
    """Read the article of one pasted link and open its claim threads."""

    link_post_id: int


@dataclasses.dataclass(frozen=True)
class MoreClaims:
    """Post the candidates an article's card kept back, asked for by `user`."""

    link_post_id: int
    user: str


@dataclasses.dataclass(frozen=True)
class TooManyLinks:
    """Tell the poster which of their links were left out."""

    channel: str
    thread_ts: str
    checked: int
    dropped: int
    too_long: int = 0


@dataclasses.dataclass(frozen=True)
class ClaimRef:
    """A job about one stored claim."""

    claim_id: int


@dataclasses.dataclass(frozen=True)
class IneligibleVoter:
    user: str
    channel: str | None
    thread_ts: str | None


@dataclasses.dataclass(frozen=True)
class ChannelRef:
    """A job about one Slack channel (recording its privacy and members)."""

    channel: str


@dataclasses.dataclass(frozen=True)
class ClickAnswer:
    """A private answer to whoever clicked a button, through the click's response_url."""

    response_url: str
    text: str


@dataclasses.dataclass(frozen=True)
class Tick:
    """A periodic job; `stamp` is its time bucket (or a start-up marker), part of its dedupe key."""

    stamp: str = ""


@dataclasses.dataclass(frozen=True)
class WeeklyPost:
    week: str
    channel: str


@dataclasses.dataclass(frozen=True)
class FactcheckRequest:
    channel: str
    user: str
    url: str
    team_id: str | None
    trigger: str
    response_url: str | None


@dataclasses.dataclass(frozen=True)
class HomeTab:
    user: str


@dataclasses.dataclass(frozen=True)
class SourceRef:
    """Read the page title of one evidence link posted in a claim's thread."""

    source_id: int


@dataclasses.dataclass(frozen=True)
class StaleNudge:
    """Remind a claim's thread that it has been quiet; `stamp` names this nudge (one post per stamp)."""

    claim_id: int
    stamp: str


@dataclasses.dataclass(frozen=True)
class LLMBudgetSpent:
    """Tell the desk, once per month, that OPENAI_MONTHLY_TOKEN_BUDGET is spent."""

    month: str  # YYYY-MM (UTC)
    channel: str
    budget: int
    spent: int


# -- kinds (the names are stored in the database: never rename one) -----------------------------

PROCESS_LINK = JobKind("process_link", LinkPostJob)
POST_NOTICE = JobKind("post_notice", TooManyLinks)
MORE_CLAIMS = JobKind("more_claims", MoreClaims)
REFRESH_CLAIM = JobKind("refresh_claim", ClaimRef)
RETURNING_NOTE = JobKind("returning_note", ClaimRef)
PUBLISHED_LOOKUP = JobKind("published_lookup", ClaimRef)
NOTIFY_INELIGIBLE = JobKind("notify_ineligible", IneligibleVoter)
RECONCILE_SWEEP = JobKind("reconcile_sweep", Tick)
RECONCILE_CLAIM = JobKind("reconcile_claim", ClaimRef)
WEEKLY_SUMMARY = JobKind("weekly_summary", WeeklyPost)
SUMMARY_TICK = JobKind("summary_tick", Tick)
FACTCHECK_REQUEST = JobKind("factcheck_request", FactcheckRequest)
PUBLISH_HOME = JobKind("publish_home", HomeTab)
SOURCE_TITLE = JobKind("source_title", SourceRef)
STALE_SWEEP = JobKind("stale_sweep", Tick)
NUDGE_CLAIM = JobKind("nudge_claim", StaleNudge)
SYNC_CHANNEL = JobKind("sync_channel", ChannelRef)
ANSWER_CLICK = JobKind("answer_click", ClickAnswer)
LLM_BUDGET_NOTICE = JobKind("llm_budget_notice", LLMBudgetSpent)

ALL_KINDS: tuple[JobKind[Any], ...] = (
    PROCESS_LINK, POST_NOTICE, MORE_CLAIMS, RETURNING_NOTE, PUBLISHED_LOOKUP, REFRESH_CLAIM, NOTIFY_INELIGIBLE,
    RECONCILE_SWEEP, RECONCILE_CLAIM, WEEKLY_SUMMARY, SUMMARY_TICK, FACTCHECK_REQUEST, PUBLISH_HOME,
    SOURCE_TITLE, STALE_SWEEP, NUDGE_CLAIM, SYNC_CHANNEL, ANSWER_CLICK, LLM_BUDGET_NOTICE,
)
