"""SQLAlchemy 2.x models: the newsroom's verification record.

Timestamps are stored in UTC (SQLite keeps no zone, so UTCDateTime restores it on the way out).
Unique keys carry the idempotency guarantees: one article per canonical URL, one link post per
(channel, message, URL), one claim per (article, position) and per Slack message, one row per Slack
event id, one job per dedupe key. Concurrent or repeated deliveries collide on these keys instead of
creating twins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


def column_length(column: Any) -> int:
    """The declared length of a String(n) column attribute (e.g. `Article.author`)."""
    return int(column.property.columns[0].type.length)


def fit_column(column: Any, value: str | None) -> str | None:
    """A value from outside (a page's author, an LLM's speaker) clipped to its String(n) column.

    SQLite stores any length; PostgreSQL refuses the whole row ("value too long"), which would fail the
    job. Clipping at the edge keeps both backends the same.
    """
    if value is None:
        return None
    limit = column_length(column)
    return value if len(value) <= limit else value[: limit - 1] + "…"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    final_url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(255))
    author: Mapped[str | None] = mapped_column(String(255))
    published: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    extractor: Mapped[str | None] = mapped_column(String(64))
    # What the reader found besides the text (see bot.articles.reading.ParsedArticle).
    description: Mapped[str | None] = mapped_column(Text)
    modified: Mapped[str | None] = mapped_column(String(64))
    partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reading: Mapped[str | None] = mapped_column(String(16))
    # "page description" | "lead" | "model": the card says which the summary is.
    summary_source: Mapped[str | None] = mapped_column(String(32))
    # Why the embedded extractor answered instead of the language model (the card says it). 0009.
    extractor_note: Mapped[str | None] = mapped_column(Text)
    # Check-worthy sentences found (shown or not): the card says "N of M candidates shown".
    candidates: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # pending -> fetched -> extracted -> published | failed
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    owner_link_post_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    claims: Mapped[list[Claim]] = relationship(back_populates="article", order_by="Claim.position")


class LinkPost(Base):
    __tablename__ = "link_posts"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts", "canonical_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    canonical_url: Mapped[str] = mapped_column(String(2048))
    team_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    # queued -> done | failed | duplicate
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reply_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("article_id", "position"),
        UniqueConstraint("channel_id", "message_ts"),
        Index("ix_claims_status_created", "status", "created_at"),
        Index("ix_claims_created", "created_at"),
        Index("ix_claims_channel_status_created", "channel_id", "status", "created_at"),
        Index("ix_claims_resolved", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str | None] = mapped_column(String(255))
    # The sentence before the quote, when the claim leans on it ("He ...", "However, ...").
    context: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    # False for a candidate kept back when the article had more than MAX_CLAIMS_PER_ARTICLE: it is
    # posted only when someone asks for the rest ("Show more" on the card).
    shown: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The earlier claim this one matched when it was extracted ("Checked before"), among the claims its
    # audience may see, and the matcher's score. No foreign key: the earlier claim's row is never deleted.
    seen_claim_id: Mapped[int | None] = mapped_column(Integer)
    seen_score: Mapped[float | None] = mapped_column(Float)
    # open | resolved | disputed  (verdict holds the decided verdict key when resolved)
    status: Mapped[str] = mapped_column(String(16), default="open")
    verdict: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    permalink: Mapped[str | None] = mapped_column(String(512))
    # Vote-state version (bumped on every recorded vote) and the version last shown in Slack, with a
    # short lease so that only one worker at a time rewrites the message.
    version: Mapped[int] = mapped_column(Integer, default=0)
    rendered_version: Mapped[int] = mapped_column(Integer, default=0)
    render_lease_until: Mapped[datetime | None] = mapped_column()
    announced_status: Mapped[str] = mapped_column(String(16), default="open")
    announced_verdict: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None] = mapped_column()
    reconciled_at: Mapped[datetime | None] = mapped_column()
    # Desk workflow (0006): the current explanation and published fact-check URL (history in
    # claim_explanations), the last human activity (votes, takes, sources, thread replies) and the last
    # stale-claim nudge.
    explanation: Mapped[str | None] = mapped_column(Text)
    published_url: Mapped[str | None] = mapped_column(String(2048))
    published_at: Mapped[datetime | None] = mapped_column()
    last_activity_at: Mapped[datetime | None] = mapped_column()
    nudged_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    article: Mapped[Article] = relationship(back_populates="claims")


class SlackEvent(Base):
    """Event ids already accepted: a retried or re-delivered event is recognised and skipped."""

    __tablename__ = "slack_events"
    __table_args__ = (Index("ix_slack_events_received", "received_at"),)

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxEvent(Base):
    """An event Slack has been acknowledged for and a worker has not applied yet (storage.inbox).

    The acknowledgement's only write: one row, keyed by Slack's event id so a retried delivery is one
    row. Deleted once applied; applying records the event id in `slack_events`, so a delivery that comes
    after its row was applied and deleted is recognised there.
    """

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """Durable background work: recorded before Slack is acknowledged, claimed by lease, resumable."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_ready", "status", "run_after"),
        Index("ix_jobs_lane_ready", "status", "lane", "run_after"),
        Index("ix_jobs_finished", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # 0 user-facing, 1 background, 2 maintenance: workers take the lowest lane first (bot.infra.job_kinds).
    lane: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # pending -> running -> done | failed   (running with an expired lease is taken over)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Vote(Base):
    """One vote event, append-only: a reaction or button click added, or withdrawn.

    `event_key` makes recording idempotent (the same Slack event, a retry, or a reconciliation that
    finds what an event already recorded). Nothing here is ever updated or deleted.
    """

    __tablename__ = "votes"
    __table_args__ = (Index("ix_votes_claim_created", "claim_id", "created_at"), Index("ix_votes_user", "user_id"),
                      Index("ix_votes_created", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(32))
    # reaction:<emoji> | button
    source: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(16))  # added | withdrawn
    eligible: Mapped[bool] = mapped_column(default=True)
    origin: Mapped[str] = mapped_column(String(16), default="event")  # event | button | reconcile
    event_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActiveVote(Base):
    """The current state derived from the vote events: which (claim, user, source) slots are on now."""

    __tablename__ = "active_votes"
    __table_args__ = (UniqueConstraint("claim_id", "user_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(80))
    verdict: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerdictChange(Base):
    """The verdict history of a claim: every change of status or verdict, when, and the vote behind it."""

    __tablename__ = "verdict_changes"
    __table_args__ = (Index("ix_verdict_changes_claim", "claim_id", "id"), Index("ix_verdict_changes_at", "changed_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    old_status: Mapped[str] = mapped_column(String(16))
    old_verdict: Mapped[str | None] = mapped_column(String(32))
    new_status: Mapped[str] = mapped_column(String(16))
    new_verdict: Mapped[str | None] = mapped_column(String(32))
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class WeeklySummaryPost(Base):
    """One row per (ISO week, channel): the claim that makes the weekly post happen once."""

    __tablename__ = "weekly_summaries"
    __table_args__ = (UniqueConstraint("week", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(10))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A poster holds the row until then while it posts (with no session open); others wait for its ts.
    claimed_until: Mapped[datetime | None] = mapped_column()


class ClaimSearchDocument(Base):
    """The text the claim matcher (bot.matching) searches for each claim: "has this been checked before?".

    One row per claim, kept in step with `claims` by database triggers (migration 0006): a new claim is
    indexed with its text, a changed text re-indexed, a deleted claim removed. `ClaimMatcher.index` may
    replace the document with a richer text (claim plus quote or headline). The full-text index over it
    lives outside this model because it is dialect-specific: an FTS5 table `claim_search_fts` on
    SQLite, a generated `tsv` tsvector column with a GIN index on PostgreSQL.

    No foreign key on purpose: SQLite batch migrations recreate `claims`, and a cascading key would
    empty this table when they drop the old copy. A future migration that recreates `claims` on
    SQLite must recreate the triggers of 0006 too.
    """

    __tablename__ = "claim_search"

    claim_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[str] = mapped_column(Text)


class ClaimEmbedding(Base):
    """An embedding vector of a claim's search document (optional OpenAI-compatible embeddings path).

    `vector` is little-endian float32 bytes; `document_hash` says which text it was computed from, so a
    vector left behind by a changed text is recognised and not used. Deleted with the claim (trigger).
    """

    __tablename__ = "claim_embeddings"

    claim_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    model: Mapped[str] = mapped_column(String(128))
    document_hash: Mapped[str] = mapped_column(String(64))
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- desk workflow: who is on a claim, its evidence, its published explanation (migration 0008) ----------


class ClaimEvent(Base):
    """The desk workflow's audit trail, append-only: who did what to a claim, and when.

    Kinds: assigned, released, source_added, explanation_set, nudged. `event_key` makes recording
    idempotent (a redelivered Slack event or a retried job records nothing twice).
    """

    __tablename__ = "claim_events"
    __table_args__ = (Index("ix_claim_events_claim", "claim_id", "id"), Index("ix_claim_events_at", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    user_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    event_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimAssignee(Base):
    """Who is on a claim now: one row per (claim, person), switched off when they hand it back."""

    __tablename__ = "claim_assignees"
    __table_args__ = (UniqueConstraint("claim_id", "user_id"), Index("ix_claim_assignees_user", "user_id", "active"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimSource(Base):
    """A link posted in a claim's thread: evidence, with who posted it and when; the title comes later."""

    __tablename__ = "claim_sources"
    __table_args__ = (UniqueConstraint("claim_id", "message_ts", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    posted_by: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str | None] = mapped_column(Text)
    # pending -> read | unreadable
    title_status: Mapped[str] = mapped_column(String(16), default="pending")


class ClaimExplanation(Base):
    """Every version of a claim's explanation and published URL, append-only; the newest is current."""

    __tablename__ = "claim_explanations"
    __table_args__ = (Index("ix_claim_explanations_claim", "claim_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    published_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- language-model spend (migration 0009) ------------------------------------------------------------


class LLMUsage(Base):
    """What one extraction cost at the language model, append-only: per article, per week, per month.

    One row per extraction that asked the model (a cached or embedded-only one adds none), so totals
    over any period are sums, and OPENAI_MONTHLY_TOKEN_BUDGET is checked against this month's sum.
    """

    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    model: Mapped[str] = mapped_column(String(128))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelRecord(Base):
    """What the bot knows about a Slack channel: whether it is private, archived, and whether its member
    list (channel_members) is complete. Recorded when the bot first sees the channel and kept current from
    Slack's channel events, so the private-channel rule and exports do not ask Slack on every run."""

    __tablename__ = "channels"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    is_private: Mapped[bool] = mapped_column(Boolean, default=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # True once conversations.members was read and member events have kept it current since.
    members_known: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelMember(Base):
    """One row per (channel, person) for channels whose members the bot has recorded."""

    __tablename__ = "channel_members"

    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
