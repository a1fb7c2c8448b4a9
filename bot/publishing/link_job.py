"""From a recorded link post to a card and one verification thread per claim.

`process_link` is a durable job (see bot.infra.worker): it may run more than once (a crash, a lost lease,
a retry after an error), so it keeps its progress in the database and picks up where it stopped:

1. mark the message as seen (:mag:);
2. become the article's owner, or, if another post of the same canonical URL owns it, wait for it
   and then reply with a pointer to the existing claim threads instead of opening new ones;
3. fetch and read the article (or record why not and say so in the thread, once);
4. extract the summary and claims, stored with their positions;
5. post each claim message, recording its ts before posting the next;
6. post the article card in the link's thread, linking to the claim threads.

Every post is idempotent through gateway.post(resume=...), which looks for an earlier copy when a
step is being repeated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Literal

from bot.articles.fetch import FetchError, FetchPolicy, Resolver, fetch, system_resolver
from bot.articles.reading import ParsedArticle, parse_article
from bot.claims import ClaimExtractor, Extraction
from bot.claims.embedded import describe_page
from bot.claims.llm import OpenAIExtractor
from bot.config.verdict_scale import VerdictScale
from bot.infra.job_kinds import (
    LLM_BUDGET_NOTICE,
    MORE_CLAIMS,
    PUBLISHED_LOOKUP,
    RETURNING_NOTE,
    ClaimRef,
    LinkPostJob,
    LLMBudgetSpent,
    MoreClaims,
)
from bot.infra.worker import MAX_ATTEMPTS, JobContext, RetryLater
from bot.intake.links import MAX_URL_LENGTH
from bot.publishing.llm_spend import budget_spent, record_usage
from bot.publishing.rows import article_info, claim_view, stored_article
from bot.publishing.seen_before import SeenBefore
from bot.publishing.views import (
    CardFacts,
    article_card,
    claim_message,
    duplicate_notice,
    failure_notice,
    more_claims_note,
    no_claims_notice,
)
from bot.slack.gateway import PostError, SlackGateway
from bot.slack.messages import Message
from storage.db import Database
from storage.models import Article, Claim, LinkPost, column_length, fit_column, utcnow

log = logging.getLogger(__name__)

WAIT_FOR_OWNER_SECONDS = 2.0
Role = Literal["owner", "duplicate", "wait", "done"]


@dataclass(frozen=True)
class LinkJobOptions:
    factcheck_channel: str | None
    max_claims: int
    # OPENAI_MONTHLY_TOKEN_BUDGET: past it the embedded extractor answers (0: no limit).
    monthly_token_budget: int = 0


class LinkJob:
    """The process_link job: from a recorded link post to a card and its claim threads."""

    def __init__(
        self,
        db: Database,
        gateway: SlackGateway,
        extractor: ClaimExtractor,
        policy: FetchPolicy,
        scale: VerdictScale,
        options: LinkJobOptions,
        resolver: Resolver = system_resolver,
        seen: SeenBefore | None = None,
    ) -> None:
        self.db = db
        self.gateway = gateway
        self.extractor = extractor
        self.policy = policy
        self.scale = scale
        self.options = options
        self.resolver = resolver
        self.seen = seen

    # -- jobs ---------------------------------------------------------------------------------

    def process_link(self, context: JobContext[LinkPostJob]) -> None:
        link_id = context.payload.link_post_id
        resume = context.attempts > 1
        try:
            self._process_link(link_id, resume)
        except RetryLater:
            raise
        except Exception as exc:
            if context.attempts < MAX_ATTEMPTS:
                raise
            log.exception("giving up on link post %s after %d attempts", link_id, context.attempts)
            self._give_up(link_id, _reason_for(exc), resume=True)

    # -- steps --------------------------------------------------------------------------------

    def _process_link(self, link_id: int, resume: bool) -> None:
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            if link is None or link.status != "queued":
                return
            channel, message_ts = link.channel_id, link.message_ts
        self.gateway.mark_seen(channel, message_ts)
        role = self._take_ownership(link_id)
        if role == "wait":
            raise RetryLater(WAIT_FOR_OWNER_SECONDS, "another post of this article is being processed")
        if role == "duplicate":
            self._reply_duplicate(link_id, resume)
            return
        if role == "done":
            return
        if not self._ensure_fetched(link_id, resume):
            return
        self._ensure_extracted(link_id)
        self._publish(link_id, resume)

    def _take_ownership(self, link_id: int) -> Role:
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            assert link is not None
            article = session.get(Article, link.article_id, with_for_update=True)
            assert article is not None
            if link.status != "queued":
                return "done"
            if article.owner_link_post_id == link.id:
                return "owner"
            if article.status == "published":
                return "duplicate"
            owner = session.get(LinkPost, article.owner_link_post_id) if article.owner_link_post_id else None
            if owner is None or article.status == "failed" or owner.status == "failed":
                article.owner_link_post_id = link.id
                if article.status == "failed":
                    article.error_code = article.error_message = None
                    if article.claims:
                        # It failed after its claims were stored (e.g. the bot was not in the claim
                        # channel): keep them, and the messages already posted, and publish the rest.
                        article.status = "extracted"
                    else:
                        # A fetch or extraction that failed is a fresh try: the page may be fixed.
                        article.status, article.text = "pending", None
                return "owner"
            return "wait"

    def _ensure_fetched(self, link_id: int, resume: bool) -> bool:
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            article = session.get(Article, link.article_id) if link else None
            assert link is not None and article is not None
            if article.text is not None:
                return True
            url = article.canonical_url
        try:
            page = fetch(url, self.policy, resolver=self.resolver)
            parsed = parse_article(page.body, page.final_url)
        except FetchError as error:
            log.info("cannot check %s: %s", url, error.code)
            self._record_failure(link_id, error.code, error.message, resume)
            return False
        with self.db.session() as session:
            article = session.get(Article, link.article_id)
            assert article is not None
            # Page metadata is outside input: clipped to its columns (PostgreSQL refuses longer values).
            # A final URL too long to store is left out; the link as posted is shown instead.
            article.final_url = page.final_url if len(page.final_url) <= MAX_URL_LENGTH else None
            article.title = parsed.title
            article.site = fit_column(Article.site, parsed.site)
            article.author = fit_column(Article.author, parsed.author)
            article.published = fit_column(Article.published, parsed.published)
            article.language = fit_column(Article.language, parsed.language)
            article.text = parsed.text
            article.description = parsed.description
            article.modified = parsed.modified
            article.partial = parsed.partial
            article.reading = parsed.reading
            article.status = "fetched"
        return True

    def _ensure_extracted(self, link_id: int) -> None:
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            article = session.get(Article, link.article_id) if link else None
            assert link is not None and article is not None
            if article.status != "fetched":
                return
            parsed = stored_article(article)
            audience = self.options.factcheck_channel or link.channel_id
        extraction = self._extract(parsed, audience)
        found: list[tuple[int, float] | None] = []
        if self.seen is not None:
            # Only the claims posted now are matched: matching costs a search per claim (about 0.2 s on
            # PostgreSQL with 100k stored claims), and the kept-back candidates are matched when someone
            # asks for them (post_more), so the card does not wait for them.
            found = self.seen.match([claim.text for claim in extraction.claims], article_id=article.id,
                                    audience=audience)
        self._store_extraction(article.id, extraction, found)
        if self.seen is not None:
            self.seen.embed_claims(article.id)

    def _extract(self, parsed: ParsedArticle, audience: str) -> Extraction:
        """The extractor's answer; past the month's LLM budget the embedded one's, and the desk told once."""
        budget = self.options.monthly_token_budget
        if budget and isinstance(self.extractor, OpenAIExtractor):
            with self.db.session() as session:
                spent = budget_spent(session, budget, utcnow())
                if spent is not None:
                    month, tokens = spent
                    LLM_BUDGET_NOTICE.enqueue(session, LLMBudgetSpent(month, audience, budget, tokens),
                                              f"llm-budget:{month}")
            if spent is not None:
                reason = (f"this month's language-model budget is spent: {spent[1]:,} of {budget:,} tokens, "
                          "OPENAI_MONTHLY_TOKEN_BUDGET")
                return self.extractor.embedded(parsed, self.options.max_claims, reason)
        return self.extractor.extract(parsed, self.options.max_claims)

    def _store_extraction(self, article_id: int, extraction: Extraction,
                          found: list[tuple[int, float] | None] | None = None) -> None:
        with self.db.session() as session:
            article = session.get(Article, article_id, with_for_update=True)
            assert article is not None
            # Spent whether or not this run's answer is the one kept.
            record_usage(session, article_id, self.extractor.name, extraction.usage)
            if article.status != "fetched":
                return
            stored = {claim.position for claim in article.claims}
            shown = [(claim, True) for claim in extraction.claims]
            kept_back = [(claim, False) for claim in extraction.more]
            matches = list(found or []) + [None] * (len(shown) + len(kept_back))
            for position, (claim, is_shown) in enumerate(shown + kept_back, start=1):
                if position in stored:
                    continue  # stored by an earlier run that failed later: reuse it, never insert twice
                match = matches[position - 1]
                session.add(Claim(article_id=article_id, position=position, text=claim.text, quote=claim.quote,
                                  speaker=fit_column(Claim.speaker, claim.speaker), context=claim.context,
                                  score=claim.score, status="open", shown=is_shown,
                                  seen_claim_id=match[0] if match else None,
                                  seen_score=round(match[1], 4) if match else None))
            article.summary = extraction.summary
            article.summary_source = extraction.summary_source
            article.candidates = max(extraction.candidates, len(shown) + len(kept_back))
            article.partial = article.partial or extraction.partial
            article.extractor = fit_column(Article.extractor, extraction.extractor)
            article.extractor_note = extraction.note
            article.status = "extracted"

    def _publish(self, link_id: int, resume: bool) -> None:
        target = None
        # Reading and rendering in read sessions: on SQLite a write session holds the write lock (BEGIN
        # IMMEDIATE) that the web process's acknowledgements queue behind, for as long as rendering takes.
        with self.db.read_session() as session:
            link = session.get(LinkPost, link_id)
            assert link is not None
            article = session.get(Article, link.article_id)
            assert article is not None
            info = article_info(article)
            pending = [(c.id, claim_view(c, self.scale)) for c in article.claims if c.shown and c.message_ts is None]
            target = self.options.factcheck_channel or link.channel_id
            origin_channel, thread_ts = link.channel_id, link.thread_ts
        for claim_id, view in pending:
            try:
                ts = self.gateway.post(target, claim_message(claim_id, view, info, self.scale), resume=resume)
            except PostError as error:
                if error.code in ("not_in_channel", "channel_not_found", "is_archived", "restricted_action"):
                    self._record_failure(link_id, "claim_channel", _channel_problem(target, error.code), resume)
                    return
                raise
            permalink = self.gateway.permalink(target, ts)
            with self.db.session() as session:
                row = session.get(Claim, claim_id)
                assert row is not None
                row.channel_id, row.message_ts = target, ts
                row.permalink = permalink if permalink and len(permalink) <= column_length(Claim.permalink) else None
                if row.seen_claim_id is not None:
                    RETURNING_NOTE.enqueue(session, ClaimRef(claim_id), f"returning:{claim_id}")
                if self.seen is not None and self.seen.published is not None:
                    PUBLISHED_LOOKUP.enqueue(session, ClaimRef(claim_id), f"published:{claim_id}")
        with self.db.read_session() as session:
            link = session.get(LinkPost, link_id)
            article = session.get(Article, link.article_id) if link else None
            assert link is not None and article is not None
            if link.reply_ts:
                return
            card = self._card(link_id, article)
        reply_ts = self.gateway.post(origin_channel, card, thread_ts=thread_ts, resume=resume)
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            article = session.get(Article, link.article_id) if link else None
            assert link is not None and article is not None
            link.reply_ts, link.status, link.finished_at = reply_ts, "done", utcnow()
            article.status = "published"

    def _card(self, link_id: int, article: Article) -> Message:
        """The card for an article as stored now (call inside a session)."""
        info = article_info(article)
        views = [claim_view(c, self.scale) for c in article.claims if c.shown]
        if not views:
            # A page with nothing to check (a shop, a results table, tips...): the card says what it looks like.
            note = describe_page(stored_article(article)).note if article.text else None
            return no_claims_notice(link_id, info, article.summary or "", partial=article.partial, note=note,
                                    kept_back=sum(1 for c in article.claims if not c.shown),
                                    extractor_note=article.extractor_note)
        kept_back = sum(1 for c in article.claims if not c.shown)
        facts = CardFacts(summary_source=article.summary_source, candidates=article.candidates,
                          kept_back=kept_back, partial=article.partial, extractor=article.extractor or "embedded",
                          note=article.extractor_note)
        return article_card(link_id, info, article.summary or "", views, facts)

    def request_more(self, link_post_id: int, user: str) -> None:
        """Someone asked for the candidates the card kept back: queue posting them (once)."""
        with self.db.session() as session:
            MORE_CLAIMS.enqueue(session, MoreClaims(link_post_id, user), f"more:{link_post_id}")

    def post_more(self, context: JobContext[MoreClaims]) -> None:
        """Post the kept-back candidates as claim messages, then show them on the card."""
        link_id = context.payload.link_post_id
        resume = context.attempts > 1
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            article = session.get(Article, link.article_id) if link else None
            if link is None or article is None or not link.reply_ts or link.status != "done":
                return
            claim_ids = list(context.payload.claim_ids)
            if not claim_ids:
                # Which claims this request shows, recorded with marking them shown: a run after a crash
                # (every claim already shown) still lists them in its note.
                claim_ids = [c.id for c in article.claims if not c.shown]
                MORE_CLAIMS.remember(session, context.job_id,
                                     replace(context.payload, claim_ids=tuple(claim_ids)))
            for claim in article.claims:
                claim.shown = True
            unmatched = [(c.id, c.text) for c in article.claims
                         if c.id in claim_ids and c.message_ts is None and c.seen_claim_id is None]
            article_id, audience = article.id, self.options.factcheck_channel or link.channel_id
        self._match_kept_back(article_id, audience, unmatched)
        self._publish(link_id, resume=True)
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            article = session.get(Article, link.article_id) if link else None
            assert link is not None and article is not None and link.reply_ts
            card = self._card(link_id, article)
            channel, card_ts, thread_ts = link.channel_id, link.reply_ts, link.thread_ts
            posted = [claim_view(c, self.scale) for c in article.claims if c.id in claim_ids]
        self.gateway.update(channel, card_ts, card)
        if posted:
            self.gateway.post(channel, more_claims_note(link_id, context.payload.user, posted), thread_ts=thread_ts,
                              resume=resume)

    def _match_kept_back(self, article_id: int, audience: str, claims: list[tuple[int, str]]) -> None:
        """Match the kept-back candidates about to be posted against earlier claims (outside any session)."""
        if self.seen is None or not claims:
            return
        found = self.seen.match([text for _, text in claims], article_id=article_id, audience=audience)
        with self.db.session() as session:
            for (claim_id, _), match in zip(claims, found, strict=True):
                row = session.get(Claim, claim_id)
                if match and row is not None and row.message_ts is None and row.seen_claim_id is None:
                    row.seen_claim_id, row.seen_score = match[0], round(match[1], 4)

    def _reply_duplicate(self, link_id: int, resume: bool) -> None:
        """Point to the article's existing threads, showing only those this channel may see: an article
        first checked in a private channel must not bring its claims, verdicts or links into another."""
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            assert link is not None
            article = session.get(Article, link.article_id)
            assert article is not None
            owner = session.get(LinkPost, article.owner_link_post_id) if article.owner_link_post_id else None
            audience = link.channel_id
            channels = {c.channel_id for c in article.claims if c.shown and c.channel_id}
            channels |= {owner.channel_id} if owner else set()
        # The private-channel rule (recorded facts; Slack only for a channel never seen): outside any session.
        quotable = self.seen.directory.quotable_in(audience, channels) if self.seen is not None else {audience}
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            article = session.get(Article, link.article_id) if link else None
            assert link is not None and article is not None
            owner = session.get(LinkPost, article.owner_link_post_id) if article.owner_link_post_id else None
            shown = [c for c in article.claims if c.shown]
            views = [claim_view(c, self.scale) for c in shown if c.channel_id in quotable]
            hidden = len(shown) - len(views)
            info = article_info(article)
            channel, thread_ts = link.channel_id, link.thread_ts
            first = (owner.channel_id, owner.message_ts) if owner and owner.channel_id in quotable else None
        first_link = self.gateway.permalink(*first) if first else None
        message = duplicate_notice(link_id, info, views, first_link, hidden=hidden)
        ts = self.gateway.post(channel, message, thread_ts=thread_ts, resume=resume)
        self._finish_link(link_id, "duplicate", ts)

    def _record_failure(self, link_id: int, code: str, reason: str, resume: bool) -> None:
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            assert link is not None
            article = session.get(Article, link.article_id)
            assert article is not None
            article.status, article.error_message = "failed", reason
            article.error_code = fit_column(Article.error_code, code)
            if link.reply_ts:
                return
            url, channel, thread_ts = article.canonical_url, link.channel_id, link.thread_ts
        ts = self.gateway.post(channel, failure_notice(link_id, url, reason), thread_ts=thread_ts, resume=resume)
        self._finish_link(link_id, "failed", ts)

    def _give_up(self, link_id: int, reason: str, resume: bool) -> None:
        try:
            self._record_failure(link_id, "internal", reason, resume)
        except Exception:
            log.exception("could not even report the failure of link post %s", link_id)
            self._finish_link(link_id, "failed", None)

    def _finish_link(self, link_id: int, status: str, reply_ts: str | None) -> None:
        with self.db.session() as session:
            link = session.get(LinkPost, link_id)
            assert link is not None
            link.status, link.reply_ts, link.finished_at = status, reply_ts, utcnow()


def _reason_for(exc: Exception) -> str:
    if isinstance(exc, PostError):
        return f"Slack refused a message ({exc.code}); please try again later"
    return "something went wrong on the bot's side; please post the link again later"


def _channel_problem(channel: str, code: str) -> str:
    if code == "not_in_channel":
        return f"I'm not a member of the claim channel ({channel}): invite me there with /invite"
    if code == "channel_not_found":
        # Slack says this too for a private channel the bot was never invited to.
        return (f"I can't see the claim channel ({channel}): if it is private, invite me there with /invite; "
                "otherwise check the FACTCHECK_CHANNEL setting")
    return f"I can't post claims in the claim channel ({channel}, Slack says {code}): check FACTCHECK_CHANNEL"
