"""Scale and bounded work (issue 18): nothing that reads a page or an API runs unbounded, background work
stays behind user-facing work, reconciliation walks a large desk in paced batches, the queue's tables
are pruned, and no Slack call is made inside a database session or before an ack."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.articles.reading import TITLE_LIMIT, page_title
from bot.infra import job_kinds as kinds
from bot.infra.bounded_http import DeadlineExceeded, TooLarge
from bot.infra.pruning import Pruner
from bot.infra.worker import JobContext
from bot.matching.embeddings import Embedder
from bot.matching.published import FactCheckTools, PublishedLookupError
from bot.verdicts.eligibility import Eligibility
from storage import jobs
from storage.models import Claim, ClaimSource, Job, LinkPost, SlackEvent, Vote, utcnow
from tests.conftest import NEWS_CHANNEL, REPORTER, RunningBot
from tests.harness.article_server import ArticleServer
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.posts import claim_posts
from tests.harness.waiting import wait_for_card, wait_idle, wait_until
from tests.test_desk import EDITOR, claims_answer, desk_at, seed
from tests.test_desk_workflow import bot as workflow_bot  # noqa: F401  (the fixture, for evidence links)
from tests.test_desk_workflow import open_claims
from tests.test_verdicts import (
    llm_bot_factory,  # noqa: F401  (the fixture)
    react,
    wait_rendered,
)
from tests.test_verdicts import open_claims as open_llm_claims

IN_SESSION = "called inside a database session"


def finishes(function: Callable[[], Any], within: float) -> tuple[bool, Any]:
    """Run function in a thread; (finished, result or exception). A guard against a hang, not a timing."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(function())
        except BaseException as exc:  # handed to the test
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(within)
    return (not thread.is_alive(), box[0] if box else None)


# -- 1. a page title cannot freeze the process -------------------------------------------------------


REPEATED_TITLES = b"<html><head>" + b"<title>" * 28_000 + b"</head><body><p>x</p></body></html>"


def test_a_head_of_repeated_title_tags_is_read_like_any_page() -> None:
    done, title = finishes(lambda: page_title(REPEATED_TITLES), 15)
    assert done, "reading the title of a 200 KB head of <title> tags did not finish"
    assert title is not None and title.startswith("<title><title>") and len(title) <= TITLE_LIMIT
    assert page_title(b"<html><head><meta property='og:title' content='Headline &amp; more'>"
                      b"<title>Site</title></head></html>") == "Headline & more"


def test_evidence_title_comes_from_the_metadata_reader(workflow_bot: RunningBot) -> None:  # noqa: F811
    bot = workflow_bot
    bot.articles.add("/evidence/frozen", REPEATED_TITLES)
    bot.articles.add("/evidence/og", "<html><head><title>Site name</title>"
                     "<meta property='og:title' content='The real headline'></head><body>x</body></html>")
    first = open_claims(bot)[0]["ts"]
    bot.post_link(f"<{bot.article_url('/evidence/frozen')}> and <{bot.article_url('/evidence/og')}>", thread_ts=first)

    def titles() -> list[str | None] | None:
        with bot.services.db.session() as session:
            rows = session.scalars(select(ClaimSource).order_by(ClaimSource.id)).all()
            return [r.title for r in rows] if len(rows) == 2 and all(r.title_status != "pending" for r in rows) \
                else None
    found = bot.slack.wait_for(titles, 20)
    assert found[0] is not None and found[0].startswith("<title>") and len(found[0]) <= TITLE_LIMIT
    assert found[1] == "The real headline"


# -- 4. outbound calls: a total deadline and a size cap ----------------------------------------------


def test_a_trickling_fact_check_api_is_cut_off_at_the_deadline(articles: ArticleServer) -> None:
    articles.add_trickle("/v1alpha1/claims:search", chunk=b" ", interval=0.2, total=100_000,
                         content_type="application/json")
    tools = FactCheckTools("key", articles.url("/v1alpha1"), timeout=1.0)
    done, outcome = finishes(lambda: tools.search("Vaccines contain microchips"), 20)
    assert done, "a server sending a byte every 0.2 s held the lookup (each read was on time)"
    assert isinstance(outcome, PublishedLookupError) and "DeadlineExceeded" in str(outcome)
    assert isinstance(outcome.__context__, DeadlineExceeded)


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_huge_fact_check_answer_is_refused_unread(articles: ArticleServer, declare_length: bool) -> None:
    articles.add_stream("/v1alpha1/claims:search", 50 * 1024 * 1024, content_type="application/json",
                        declare_length=declare_length, chunk=b" " * 65536)
    tools = FactCheckTools("key", articles.url("/v1alpha1"), timeout=10.0)
    with pytest.raises(PublishedLookupError, match="TooLarge") as raised:
        tools.search("Vaccines contain microchips")
    assert isinstance(raised.value.__context__, TooLarge)


def test_embeddings_have_a_size_cap_and_a_total_deadline(llm: OpenAIStandIn, articles: ArticleServer) -> None:
    embedder = Embedder("sk-test", model="m", base_url=llm.base_url, timeout=5.0, max_retries=0, max_bytes=64_000)
    assert len(embedder.embed(["a claim"])[0]) > 0
    llm.queue_raw(json.dumps({"object": "list", "data": [{"object": "embedding", "index": 0,
                                                           "embedding": [0.5] * 20_000}]}))
    with pytest.raises(Exception) as raised:
        embedder.embed(["a claim"])
    assert isinstance(raised.value.__cause__ or raised.value.__context__, TooLarge)


# -- lanes: user-facing work first ------------------------------------------------------------------


def test_user_facing_jobs_are_taken_before_background_and_maintenance(bot: RunningBot) -> None:
    bot.services.worker.stop(timeout=2)  # this test takes jobs by hand
    with bot.services.db.session() as session:
        for index in range(30):
            kinds.RECONCILE_CLAIM.enqueue(session, kinds.ClaimRef(index), f"flood:{index}")
        kinds.PUBLISHED_LOOKUP.enqueue(session, kinds.ClaimRef(1), "lookup:1")
        kinds.PROCESS_LINK.enqueue(session, kinds.LinkPostJob(1), "link:late")
    names = ["reconcile_claim", "published_lookup", "process_link"]  # not the start-up ticks
    order = []
    with bot.services.db.session() as session:
        assert jobs.claim(session, "user-only", names, max_lane=kinds.USER).kind == "process_link"
        assert jobs.claim(session, "user-only", names, max_lane=kinds.USER) is None  # kept for user work
        order = [jobs.claim(session, "any", names).kind for _ in range(2)]
    assert order == ["published_lookup", "reconcile_claim"]


def test_a_new_links_card_arrives_while_reconciliation_floods_the_queue(bot_factory: Any, slack: Any) -> None:
    bot = bot_factory(reconcile_per_minute=10_000, worker_threads=2)
    seed(bot, 300, prefix="Open")
    slack.delay_next("reactions.get", 1.0, times=10_000)  # every reconciliation is slow
    with bot.services.db.session() as session:
        kinds.RECONCILE_SWEEP.enqueue(session, kinds.Tick("flood"), "reconcile_sweep:flood")
    bot.services.worker.wake()
    wait_until(lambda: len(slack.calls_to("reactions.get")) >= 1, 10, "reconciliation to start")
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    wait_for_card(bot, NEWS_CHANNEL, ts, timeout=20)  # FIFO, 300 slow jobs stood in front: 150 s
    assert len(slack.calls_to("reactions.get")) < 100


# -- reconciliation: bounded, paced, once per sweep, resumable ---------------------------------------


def _reconcile_jobs(bot: RunningBot, kind: str) -> list[Job]:
    with bot.services.db.session() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def _make_due(bot: RunningBot) -> None:
    with bot.services.db.session() as session:
        session.execute(update(Job).where(Job.lane == kinds.MAINTENANCE, Job.status == "pending")
                        .values(run_after=utcnow()))
    bot.services.worker.wake()


def test_a_sweep_queues_bounded_paced_batches_and_a_restart_does_not_start_another(bot_factory: Any) -> None:
    bot = bot_factory(reconcile_per_minute=10)
    wait_idle(bot)  # the start-up sweep over an empty desk
    ids = seed(bot, 25, prefix="Open")
    bot.services.reconciler.reconcile_sweep(JobContext(0, 1, kinds.Tick("w1")))
    bot.services.worker.wake()
    wait_until(lambda: len(_reconcile_jobs(bot, "reconcile_claim")) == 10, 15, "the first batch")
    due = [job.run_after for job in _reconcile_jobs(bot, "reconcile_claim")]
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(due)]
    assert all(5.9 <= gap <= 6.1 for gap in gaps), gaps  # 10 a minute, evenly
    pending = [b for b in _reconcile_jobs(bot, "reconcile_batch") if b.status == "pending"]
    assert len(pending) == 1 and pending[0].payload == {"sweep": "w1", "after": ids[9]}
    assert (pending[0].run_after - due[0]).total_seconds() >= 59.9 and pending[0].lane == kinds.MAINTENANCE

    # A restart (a new start-up tick) while the sweep is under way: no second sweep.
    batches = len(_reconcile_jobs(bot, "reconcile_batch"))
    restarted = bot_factory(reconcile_per_minute=10)
    restarted.services.reconciler.reconcile_sweep(JobContext(0, 1, kinds.Tick("start-again")))
    assert len(_reconcile_jobs(bot, "reconcile_batch")) == batches

    # As the batches come due, the sweep goes on from its cursor to the end, each claim once.
    for total in (20, 25):
        _make_due(bot)
        wait_until(lambda total=total: len(_reconcile_jobs(bot, "reconcile_claim")) == total, 15, f"{total} queued")
    _make_due(bot)
    wait_idle(bot, 15)
    reconciled = sorted(j.payload["claim_id"] for j in _reconcile_jobs(bot, "reconcile_claim"))
    assert reconciled == sorted(ids)
    assert not [b for b in _reconcile_jobs(bot, "reconcile_batch") if b.status == "pending"]


# -- pruning -----------------------------------------------------------------------------------------


def test_finished_jobs_and_old_event_ids_are_pruned_in_batches(bot: RunningBot) -> None:
    bot.services.worker.stop(timeout=2)
    old = utcnow() - timedelta(days=30)
    with bot.services.db.session() as session:
        for index in range(23):
            jobs.enqueue(session, "refresh_claim", f"old:{index}", {"claim_id": index})
        jobs.enqueue(session, "notify_ineligible", "ineligible:U0OLD", {"user": "U0OLD"})
        jobs.enqueue(session, "refresh_claim", "old:failed", {"claim_id": 99})
        jobs.enqueue(session, "refresh_claim", "old:pending", {"claim_id": 98})
        jobs.enqueue(session, "refresh_claim", "recent:done", {"claim_id": 97})
        session.execute(update(Job).where(Job.dedupe_key.like("old:%") | (Job.kind == "notify_ineligible"))
                        .values(status="done", updated_at=old))
        session.execute(update(Job).where(Job.dedupe_key == "old:failed").values(status="failed", updated_at=old))
        session.execute(update(Job).where(Job.dedupe_key == "old:pending").values(status="pending", updated_at=old))
        session.execute(update(Job).where(Job.dedupe_key == "recent:done").values(status="done"))
        for index in range(12):
            session.add(SlackEvent(event_id=f"Ev-old-{index}", received_at=old))
        session.add(SlackEvent(event_id="Ev-new", received_at=utcnow()))
    pruner = Pruner(bot.services.db, job_retention_days=7, event_retention_days=2, batch=5)
    assert pruner.prune() == (24, 12)  # 23 done and 1 failed, in batches of 5
    with bot.services.db.session() as session:
        kept = set(session.scalars(select(Job.dedupe_key).where(Job.dedupe_key.in_(
            ["ineligible:U0OLD", "old:pending", "recent:done"]))))
        assert kept == {"ineligible:U0OLD", "old:pending", "recent:done"}  # once-only record, unfinished, recent
        assert session.scalar(select(func.count()).select_from(Job).where(Job.dedupe_key.like("old:%"))) == 1
        assert list(session.scalars(select(SlackEvent.event_id))) == ["Ev-new"]
    assert pruner.prune() == (0, 0)


# -- 5. no Slack call inside a database session or before an ack --------------------------------------


def test_a_slow_slack_answer_to_claims_holds_no_database_session(bot: RunningBot,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.slack.gateway")
    seed(bot, 2, prefix="Listed")
    bot.slack.delay_next("conversations.info", 4.0)
    answer: dict[str, Any] = {}
    waiting = threading.Thread(target=lambda: answer.update(claims_answer(bot, "")))
    waiting.start()
    wait_until(lambda: bot.slack.calls_to("conversations.info"), 10, "the /claims listing to ask Slack")
    # While Slack sits on conversations.info, an unrelated link message is acknowledged (and recorded).
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    answered = [r for r in bot.slack.responses if r["path"].endswith("conversations.info")]
    # Recorded: in the inbox, or (read second: a row is deleted only once applied) already applied.
    recorded = any(item.payload.get("message_ts") == ts for item in bot.services.inbox.waiting())
    with bot.services.db.session() as session:
        recorded = recorded or session.scalar(select(LinkPost.id).where(LinkPost.message_ts == ts)) is not None
    still_waiting = waiting.is_alive()
    waiting.join(20)
    assert recorded and still_waiting and not answered, "the ack waited for the slow Slack answer"
    assert "Listed 0" in json.dumps(answer["blocks"])
    assert IN_SESSION not in caplog.text


def _home(bot: RunningBot) -> Any:
    bot.sender.event({"type": "app_home_opened", "user": REPORTER, "channel": "D0HOME", "tab": "home",
                      "event_ts": f"{time.time():.6f}"})
    return bot.slack.wait_for(lambda: bot.slack.home_views.get(REPORTER), 10)


SURFACES: dict[str, Callable[[RunningBot], Any]] = {
    "claims summary": lambda bot: claims_answer(bot, "summary")["blocks"],
    "claims search": lambda bot: claims_answer(bot, "search Done")["blocks"],
    "app home": _home,
    "weekly post": lambda bot: desk_at(bot, utcnow()).post_weekly("2026-W48", "C0CHECK"),
}


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_desk_surfaces_call_slack_outside_sessions(bot: RunningBot, caplog: pytest.LogCaptureFixture,
                                                   surface: str) -> None:
    caplog.set_level(logging.WARNING, logger="bot.slack.gateway")
    bot.slack.add_channel("C0PRIVATE", "investigations", is_private=True, members=[REPORTER])
    seed(bot, 2, status="resolved", verdict="false", prefix="Done")
    seed(bot, 1, channel="C0PRIVATE", prefix="Secret")
    assert SURFACES[surface](bot)
    assert bot.slack.calls_to("conversations.info")  # the private-channel rule asked Slack
    assert IN_SESSION not in caplog.text


def test_embeddings_are_asked_for_outside_sessions(bot_factory: Any, llm: OpenAIStandIn,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.infra.bounded_http")
    bot = bot_factory(embeddings_model="test-embedding", openai_api_key="sk-test", openai_base_url=llm.base_url,
                      claim_extractor="embedded")
    for path in ("/bagram-bounty", "/bagram-bounty?again"):  # the second matches the first's claims
        ts = bot.post_link(f"<{bot.article_url(path)}>")
        wait_for_card(bot, NEWS_CHANNEL, ts)
    wait_idle(bot)
    assert "blocks" in claims_answer(bot, "search Bagram")
    embedded = [r for r in llm.requests if "input" in r]
    assert len(embedded) >= 3  # claims stored, claims matched, the search
    assert IN_SESSION not in caplog.text


def test_weekly_post_is_made_once_by_concurrent_posters_without_holding_a_session(bot: RunningBot) -> None:
    seed(bot, 1, status="resolved", verdict="true", prefix="Week")
    bot.slack.delay_next("chat.postMessage", 1.5, act_first=True)  # the first poster waits on Slack
    desk = desk_at(bot, utcnow())
    results: list[str] = []
    posters = [threading.Thread(target=lambda: results.append(desk.post_weekly("2026-W49", "C0CHECK")))
               for _ in range(3)]
    for poster in posters:
        poster.start()
    wait_until(lambda: bot.slack.calls_to("chat.postMessage"), 10, "the weekly post")
    with bot.services.db.session() as session:  # a session is free while the post is in flight
        session.execute(select(Job.id).limit(1))
    for poster in posters:
        poster.join(20)
    assert len(set(results)) == 1 and len(results) == 3
    assert len([m for m in bot.slack.messages("C0CHECK") if m.get("bot_id")]) == 1


def test_votes_are_judged_on_group_members_read_in_the_background(llm_bot_factory: Any,  # noqa: F811
                                                                   slack: Any) -> None:
    slack.add_usergroup("S0CHECKERS", "checkers", [EDITOR])
    bot = llm_bot_factory(factcheckers="S0CHECKERS")
    claim = open_llm_claims(bot)[0]
    read_at_start = len(slack.calls_to("usergroups.users.list"))
    assert read_at_start >= 1 and bot.services.recorder.eligibility.known
    # Slack now fails every read: recording votes never asks it, and a failure never empties the group.
    slack.fail_next("usergroups.users.list", status=500, times=100)
    assert not bot.services.recorder.eligibility.refresh()
    react(bot, claim, EDITOR, "warning")
    assert wait_rendered(bot, claim["ts"]).verdict == "misleading"
    with bot.services.db.session() as session:
        assert session.scalars(select(Vote.eligible)).all() == [True]
    assert len(slack.calls_to("usergroups.users.list")) == read_at_start + 4  # the refresh, with 3 retries
    slack.clear_faults()


def test_a_failed_group_read_is_never_cached_and_is_retried_in_the_background() -> None:
    answers: list[Any] = [RuntimeError("slack down"), ["U7"], RuntimeError("down again"), ["U7", "U8"]]

    def members(group: str) -> list[str]:
        answer = answers.pop(0) if answers else ["U7", "U8"]
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    eligibility = Eligibility(["S9"], group_members=members, ttl=0.05, retry=0.05)
    eligibility.start(wait_at_most=0)  # the first read fails; the thread tries again soon
    try:
        wait_until(lambda: eligibility("U8"), 5, "the group read to succeed after failures")
        assert eligibility("U7") and not eligibility("U2")
    finally:
        eligibility.stop()
    assert not answers


# -- 13. Show more after a crash still posts its note -----------------------------------------------


def test_show_more_interrupted_after_marking_claims_still_posts_its_note(bot_factory: Any, slack: Any) -> None:
    bot = bot_factory(max_claims_per_article=1)
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    card = wait_for_card(bot, NEWS_CHANNEL, ts)
    with bot.services.db.session() as session:
        link_post_id = session.scalars(select(LinkPost.id)).one()
    shown_before = len(claim_posts(slack, NEWS_CHANNEL))
    slack.error_next("chat.postMessage", "fatal_error")  # the run dies after marking the candidates shown
    click = bot.sender.block_action_payload(user=EDITOR, channel=NEWS_CHANNEL, message_ts=card["ts"],
                                            thread_ts=ts, action_id="more_claims", value=str(link_post_id))
    assert bot.sender.action(click).status_code == 200
    note = slack.wait_for(lambda: [m for m in slack.thread(NEWS_CHANNEL, ts)
                                   if "asked for the other candidates" in str(m.get("blocks"))], 20)
    assert len(note) == 1 and "<@U0EDITOR>" in str(note[0]["blocks"])
    assert len(claim_posts(slack, NEWS_CHANNEL)) > shown_before


def _show_more(bot: RunningBot, ts: str, card: dict[str, Any], link_post_id: int) -> None:
    click = bot.sender.block_action_payload(user=EDITOR, channel=NEWS_CHANNEL, message_ts=card["ts"],
                                            thread_ts=ts, action_id="more_claims", value=str(link_post_id))
    assert bot.sender.action(click).status_code == 200
    bot.slack.wait_for(lambda: [m for m in bot.slack.thread(NEWS_CHANNEL, ts)
                                if "asked for the other candidates" in str(m.get("blocks"))], 20)


def test_kept_back_candidates_are_matched_when_shown_not_before_the_card(bot_factory: Any) -> None:
    bot = bot_factory(max_claims_per_article=1)
    links = []
    for path in ("/bagram-bounty", "/bagram-bounty?copy=2"):
        ts = bot.post_link(f"<{bot.article_url(path)}>")
        card = wait_for_card(bot, NEWS_CHANNEL, ts)
        with bot.services.db.session() as session:
            link_post_id = session.scalars(select(LinkPost.id).where(LinkPost.message_ts == ts)).one()
            article_id = session.get(LinkPost, link_post_id).article_id
        links.append((ts, card, link_post_id, article_id))
        if len(links) == 1:
            _show_more(bot, ts, card, link_post_id)  # the first article's claims are all posted
    second = links[1][3]
    with bot.services.db.session() as session:
        rows = session.scalars(select(Claim).where(Claim.article_id == second).order_by(Claim.position)).all()
        assert rows[0].seen_claim_id is not None  # the claim on the card was matched before it was posted
        assert len(rows) > 1 and all(r.seen_claim_id is None for r in rows[1:])  # the rest not yet
    _show_more(bot, *links[1][:3])
    with bot.services.db.session() as session:
        rows = session.scalars(select(Claim).where(Claim.article_id == second).order_by(Claim.position)).all()
        assert all(r.seen_claim_id is not None and r.message_ts for r in rows)
