"""The desk workflow from vote to published fact-check (issue #14), end to end through the real HTTP
endpoint with signed events and interactions, the Slack stand-in and a real database: taking a claim,
evidence from its thread, the explanation modal, stale-claim nudges, /claims mine, the weekly "who
resolved what", and a ClaimReview export checked against Google's requirements."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bot.casework.explanations import check_url, validate
from bot.casework.stale import StaleClaims
from bot.casework.trail import events_for
from bot.casework.views import (
    EXPLAIN_ACTION,
    EXPLANATION_INPUT,
    RELEASE_ACTION,
    TAKE_ACTION,
    URL_INPUT,
)
from bot.config.settings import ConfigError, load_settings
from bot.desk.exports import claimreview, claims_csv
from bot.desk.query import parse
from bot.desk.views import weekly_summary
from bot.desk.weekly_report import build_report
from bot.infra.job_kinds import ClaimRef
from bot.infra.worker import JobContext
from storage.models import Article, Claim, ClaimAssignee, ClaimExplanation, ClaimSource, LinkPost
from tests.conftest import NEWS_CHANNEL, QUOTES, REPORTER, RunningBot, llm_settings
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.posts import claim_posts, row_count
from tests.harness.waiting import wait_for_card, wait_idle
from tests.test_cli import run

EDITOR = "U0EDITOR"
PRIVATE = "C0PRIVATE"
NEWSROOM = "Desk Weekly"
NEWSROOM_URL = "https://desk.example"
# Named in the sentence before the first quote: the LLM path keeps only speakers the article names there.
SPEAKER = "CNN"


# -- Google's ClaimReview requirements, as a checker ----------------------------------------------


def _http_url(value: Any) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme in ("http", "https") and parts.hostname)


def claimreview_problems(item: dict[str, Any], *, draft: bool = False) -> list[str]:
    """What keeps `item` from being a ClaimReview that Google's fact-check rich results accept.

    Required by Google: claimReviewed, reviewRating (a Rating with alternateName), url (the fact-check
    page). Recommended, and demanded by issue #14: author (the newsroom: name and url),
    datePublished, itemReviewed (a Claim with author and appearance). A draft has no url and says so.
    """
    problems = []
    if item.get("@context") != "https://schema.org" or item.get("@type") != "ClaimReview":
        problems.append("not a schema.org ClaimReview")
    if not isinstance(item.get("claimReviewed"), str) or not item["claimReviewed"].strip():
        problems.append("claimReviewed missing")
    rating = item.get("reviewRating") or {}
    if rating.get("@type") != "Rating" or not str(rating.get("alternateName") or "").strip():
        problems.append("reviewRating.alternateName missing")
    if "ratingValue" in rating and not rating.get("worstRating", 1) <= rating["ratingValue"] <= rating.get(
            "bestRating", 5):
        problems.append("ratingValue outside worstRating..bestRating")
    if draft:
        if "url" in item or item.get("creativeWorkStatus") != "Draft":
            problems.append("a draft must have no url and be marked creativeWorkStatus Draft")
    elif not _http_url(item.get("url")):
        problems.append("url (the published fact-check) missing or not http(s)")
    if "slack.com" in json.dumps(item):
        problems.append("a Slack link leaked into the export")
    author = item.get("author") or {}
    if author.get("@type") != "Organization" or not author.get("name") or not _http_url(author.get("url")):
        problems.append("author must be the newsroom (Organization with name and url)")
    try:
        datetime.strptime(str(item.get("datePublished")), "%Y-%m-%d")
    except ValueError:
        problems.append("datePublished is not an ISO date")
    reviewed = item.get("itemReviewed") or {}
    if reviewed.get("@type") != "Claim":
        problems.append("itemReviewed must be a Claim")
    claim_author = reviewed.get("author") or {}
    if claim_author.get("@type") not in ("Person", "Organization") or not claim_author.get("name"):
        problems.append("itemReviewed.author (who made the claim) missing")
    appearance = reviewed.get("appearance") or []
    if not appearance or not all(_http_url(a.get("url")) for a in appearance):
        problems.append("itemReviewed.appearance (the article) missing")
    return problems


def test_the_checker_catches_what_google_would_reject() -> None:
    good = {"@context": "https://schema.org", "@type": "ClaimReview", "url": "https://desk.example/fc/1",
            "claimReviewed": "c", "reviewRating": {"@type": "Rating", "alternateName": "False", "ratingValue": 1,
                                                   "bestRating": 5, "worstRating": 1},
            "author": {"@type": "Organization", "name": "D", "url": "https://desk.example"},
            "datePublished": "2026-11-25",
            "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "P"},
                             "appearance": [{"@type": "CreativeWork", "url": "https://news.example/a"}]}}
    assert claimreview_problems(good) == []
    assert claimreview_problems({**good, "url": "https://test.slack.com/archives/C1/p1"}) == [
        "a Slack link leaked into the export"]
    for key in ("url", "claimReviewed", "reviewRating", "author", "itemReviewed", "datePublished"):
        assert claimreview_problems({k: v for k, v in good.items() if k != key}), key


# -- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture
def bot(bot_factory: Any, llm: OpenAIStandIn, articles: Any) -> RunningBot:
    """A bot whose three claims come from the scripted LLM; the first has a named speaker."""
    claims = [{"claim": q, "quote": q, "speaker": SPEAKER if i == 0 else None} for i, q in enumerate(QUOTES)]
    llm.responder = lambda request: json.dumps({"summary": "CNN reports Iran paid bounties.", "claims": claims})
    for name, title in (("un-report", "UN report on Bagram &amp; bounties"), ("pentagon", "Pentagon briefing")):
        articles.add(f"/evidence/{name}", f"<html><head><title>{title}</title></head><body>x</body></html>")
    return bot_factory(**llm_settings(llm), newsroom_name=NEWSROOM, newsroom_url=NEWSROOM_URL)


def open_claims(bot: RunningBot) -> list[dict]:
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    wait_for_card(bot, NEWS_CHANNEL, ts)
    return sorted(claim_posts(bot.slack, NEWS_CHANNEL), key=lambda m: float(m["ts"]))


def claim_row(bot: RunningBot, ts: str) -> Claim:
    with bot.services.db.session() as session:
        return session.scalars(select(Claim).where(Claim.message_ts == ts)).one()


def shown(bot: RunningBot, ts: str) -> str:
    return json.dumps(bot.slack.message(NEWS_CHANNEL, ts)["blocks"])


def wait_shown(bot: RunningBot, ts: str, *needles: str, absent: str | None = None, timeout: float = 10) -> str:
    """Wait until the claim message shows every needle (and not `absent`)."""
    def ready() -> str | None:
        text = shown(bot, ts)
        ok = all(n in text for n in needles) and (absent is None or absent not in text)
        return text if ok else None
    return str(bot.slack.wait_for(ready, timeout, f"claim message never showed {needles}"))


def click(bot: RunningBot, user: str, claim_ts: str, action_id: str, claim_id: int, *,
          thread_ts: str | None = None, message_ts: str | None = None) -> None:
    payload = bot.sender.block_action_payload(user, NEWS_CHANNEL, message_ts or claim_ts, action_id, str(claim_id),
                                              thread_ts=thread_ts)
    response = bot.sender.action(payload)
    assert response.status_code == 200, response.text


def react(bot: RunningBot, ts: str, user: str, name: str, added: bool = True) -> None:
    if added:
        bot.slack.add_reaction(NEWS_CHANNEL, ts, name, user)
    else:
        bot.slack.remove_reaction(NEWS_CHANNEL, ts, name, user)
    event = bot.sender.reaction_event(kind="reaction_added" if added else "reaction_removed", user=user,
                                      reaction=name, channel=NEWS_CHANNEL, ts=ts)
    assert bot.sender.event(event).status_code == 200
    bot.settle()


def open_modal(bot: RunningBot, user: str, claim_ts: str, claim_id: int, note_ts: str) -> dict[str, Any]:
    before = len(bot.slack.opened_views)
    click(bot, user, claim_ts, EXPLAIN_ACTION, claim_id, thread_ts=claim_ts, message_ts=note_ts)
    bot.slack.wait_for(lambda: len(bot.slack.opened_views) > before, 10, "views.open was never called")
    return bot.slack.opened_views[-1]["view"]


def submit(bot: RunningBot, user: str, view: dict[str, Any], text: str, url: str | None) -> Any:
    payload = bot.sender.view_submission_payload(user, view, {"explanation": {EXPLANATION_INPUT: text},
                                                              "published_url": {URL_INPUT: url}})
    response = bot.sender.action(payload)
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def export(bot: RunningBot, database_url: str, *args: str) -> Any:
    env = {"DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-test-token-0000",
           "SLACK_API_URL": bot.slack.api_url, "NEWSROOM_NAME": NEWSROOM, "NEWSROOM_URL": NEWSROOM_URL}
    done = run("export", *args, env=env)
    assert done.returncode == 0, done.stderr
    return done


# -- the whole workflow -----------------------------------------------------------------------------


def test_claim_taken_sourced_rated_explained_published_and_exported(bot: RunningBot, database_url: str) -> None:
    posts = open_claims(bot)
    first, second = posts[0]["ts"], posts[1]["ts"]
    claim_id = claim_row(bot, first).id

    # Taken: a button, then a second person joins with the reaction and hands it back by removing it.
    click(bot, REPORTER, first, TAKE_ACTION, claim_id)
    wait_shown(bot, first, "*On it:* <@U0MARIA> (since <!date^")
    react(bot, first, EDITOR, "eyes")
    wait_shown(bot, first, "<@U0MARIA> (since", "<@U0EDITOR> (since")
    react(bot, first, EDITOR, "eyes", added=False)
    wait_shown(bot, first, "<@U0MARIA> (since", absent="<@U0EDITOR> (since")
    click(bot, EDITOR, first, RELEASE_ACTION, claim_id)  # not on it: changes nothing

    # Evidence: two links in the thread become sources, with titles read in the background.
    un, pentagon = bot.article_url("/evidence/un-report"), bot.article_url("/evidence/pentagon")
    bot.post_link(f"UN says otherwise <{un}>", thread_ts=first, user=EDITOR)
    bot.post_link(f"and the briefing <{pentagon}>", thread_ts=first)
    wait_shown(bot, first, "*Sources:* 2 posted in the thread")

    def titles() -> list[str | None] | None:
        with bot.services.db.session() as session:
            rows = session.scalars(select(ClaimSource).order_by(ClaimSource.id)).all()
            return [r.title for r in rows] if rows and all(r.title_status != "pending" for r in rows) else None
    assert bot.slack.wait_for(titles, 15) == ["UN report on Bagram & bounties", "Pentagon briefing"]
    with bot.services.db.session() as session:
        posters = [(s.url, s.posted_by) for s in session.scalars(select(ClaimSource).order_by(ClaimSource.id))]
    assert posters == [(un, EDITOR), (pentagon, REPORTER)]
    assert row_count(bot, LinkPost) == 1  # evidence links are not new articles to check

    # Verdict: the thread note offers the explanation button.
    react(bot, first, REPORTER, "x")
    note = bot.slack.wait_for(lambda: [m for m in bot.slack.thread(NEWS_CHANNEL, first)
                                       if EXPLAIN_ACTION in json.dumps(m.get("blocks"))], 10)[0]
    wait_shown(bot, first, "Verdict: *False*", EXPLAIN_ACTION)

    # The modal: a bad URL is refused inside the modal, then a good one is saved and shown.
    view = open_modal(bot, REPORTER, first, claim_id, note["ts"])
    assert view["callback_id"] == "claim_explanation" and "initial_value" not in json.dumps(view["blocks"])
    refused = submit(bot, REPORTER, view, "The UN report shows no such attacks.", "ftp://desk.example/fc")
    assert refused["response_action"] == "errors" and "http" in refused["errors"]["published_url"]
    assert submit(bot, REPORTER, view, "   ", None)["errors"].keys() == {"explanation"}
    published = "https://desk.example/fact-checks/bagram-bounties"
    assert submit(bot, REPORTER, view, "The UN report shows no such attacks.", published) is None
    wait_shown(bot, first, "*Explanation:* The UN report shows no such attacks.", published)

    # Editable later: the modal opens pre-filled; the history keeps both versions.
    again = open_modal(bot, EDITOR, first, claim_id, note["ts"])
    assert "The UN report shows no such attacks." in json.dumps(again["blocks"]) and published in json.dumps(again)
    better = "The UN report and the Pentagon briefing record no attack on Bagram in that period."
    assert submit(bot, EDITOR, again, better, published) is None
    wait_shown(bot, first, better[:40])
    with bot.services.db.session() as session:
        history = session.scalars(select(ClaimExplanation).where(ClaimExplanation.claim_id == claim_id)
                                  .order_by(ClaimExplanation.id)).all()
        assert [(h.user_id, h.text[:7]) for h in history] == [(REPORTER, "The UN "), (EDITOR, "The UN ")]
        kinds = [(e.kind, e.user_id) for e in events_for(session, claim_id)]
    assert kinds == [("assigned", REPORTER), ("assigned", EDITOR), ("released", EDITOR),
                     ("source_added", EDITOR), ("source_added", REPORTER),
                     ("explanation_set", REPORTER), ("explanation_set", EDITOR)]

    # A second claim reaches a verdict but is never published.
    react(bot, second, EDITOR, "white_check_mark")
    bot.slack.wait_for(lambda: claim_row(bot, second).status == "resolved", 10)

    # /claims shows who is on it, the sources and the publication; mine lists it for Maria only.
    mine = claims_list(bot, "mine all", REPORTER)
    assert "bagram" in mine.lower() and "on it: <@U0MARIA>" in mine and "2 sources" in mine and published in mine
    assert "Nothing here" in claims_list(bot, "mine all", EDITOR)

    # The export: the published claim, with every field Google wants; the unpublished one is left out.
    reviews = json.loads(export(bot, database_url, "--format", "claimreview").stdout)
    assert len(reviews) == 1
    review = reviews[0]
    assert claimreview_problems(review) == []
    assert review["url"] == published and review["claimReviewed"] == QUOTES[0]
    assert review["reviewRating"]["alternateName"] == "False" and review["reviewRating"]["ratingValue"] == 1
    assert review["reviewBody"] == better and review["reviewRating"]["ratingExplanation"] == better
    assert review["author"] == {"@type": "Organization", "name": NEWSROOM, "url": NEWSROOM_URL}
    assert review["itemReviewed"]["author"] == {"@type": "Organization", "name": SPEAKER}  # an outlet
    assert review["itemReviewed"]["appearance"][0]["url"] == bot.article_url("/bagram-bounty")
    assert review["datePublished"] == datetime.now(UTC).date().isoformat()
    assert [c["url"] for c in review["citation"]] == [un, pentagon]

    drafts = json.loads(export(bot, database_url, "--format", "claimreview", "--include-drafts").stdout)
    draft = next(r for r in drafts if r["claimReviewed"] == QUOTES[1])
    assert claimreview_problems(draft, draft=True) == []
    assert draft["itemReviewed"]["author"]["@type"] == "Organization"  # no speaker: the publication

    rows = list(csv.DictReader(io.StringIO(export(bot, database_url, "--format", "csv").stdout)))
    row = next(r for r in rows if r["claim"] == QUOTES[0])
    assert (row["review_status"], row["url"], row["claimant"], row["verdict_label"]) == (
        "published", published, SPEAKER, "False")
    assert row["explanation"] == better and row["source_count"] == "2" and row["assignees"] == REPORTER
    assert row["newsroom"] == NEWSROOM and un in row["sources"]
    unpublished = next(r for r in rows if r["claim"] == QUOTES[1])
    assert unpublished["review_status"] == "draft" and unpublished["url"] == ""


def claims_list(bot: RunningBot, text: str, user: str) -> str:
    name = f"r{time.monotonic_ns()}"
    response = bot.sender.command("/claims", text, user_id=user, response_url=bot.slack.response_url(name))
    assert response.status_code == 200
    found = bot.slack.wait_for(lambda: [r for r in bot.slack.responses if r["path"].endswith(name)], 10)
    return json.dumps(found[0]["blocks"])


# -- seeded claims (where the flow that makes them is beside the point) ----------------------------


def seed(bot: RunningBot, text: str, *, channel: str = NEWS_CHANNEL, status: str = "open",
         verdict: str | None = None, created: datetime | None = None, published_url: str | None = None) -> int:
    created = created or datetime.now(UTC) - timedelta(hours=1)
    with bot.services.db.session() as session:
        article = Article(canonical_url=f"https://news.example/{text}", url=f"https://news.example/{text}",
                          title=f"{text} story", site="News Example", status="published")
        session.add(article)
        session.flush()
        ts = bot.slack.post_human_message(channel, text, user="U0BOT")
        claim = Claim(article_id=article.id, position=1, text=text, quote=text, score=0.9, status=status,
                      verdict=verdict, channel_id=channel, message_ts=ts, created_at=created,
                      permalink=f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}",
                      resolved_at=created + timedelta(minutes=5) if status == "resolved" else None,
                      published_url=published_url, explanation="Because." if published_url else None,
                      published_at=created + timedelta(minutes=6) if published_url else None)
        session.add(claim)
        session.flush()
        return claim.id


def assign(bot: RunningBot, claim_id: int, user: str) -> None:
    with bot.services.db.session() as session:
        session.add(ClaimAssignee(claim_id=claim_id, user_id=user, active=True))


def test_stale_claims_get_one_nudge_per_period_naming_the_assignee(bot: RunningBot) -> None:
    wait_idle(bot)  # the bot's own start-up sweep ends before the stale claims exist: the sweeps below are ours
    old = datetime.now(UTC) - timedelta(days=5)
    taken = seed(bot, "Taken but quiet", created=old)
    assign(bot, taken, EDITOR)
    orphan = seed(bot, "Nobody on it", created=old)
    resolved = seed(bot, "Resolved long ago", created=old, status="resolved", verdict="false")
    busy = seed(bot, "Fresh and discussed", created=datetime.now(UTC) - timedelta(hours=2))
    quiet = seed(bot, "Fresh and quiet", created=datetime.now(UTC) - timedelta(hours=2))
    services = bot.services

    def sweeper(now: datetime) -> StaleClaims:
        return StaleClaims(services.db, services.gateway, stale_after_days=3, assign_emoji="eyes",
                           wake=services.worker.wake, clock=lambda: now)

    def nudges() -> list[dict]:
        return [m for m in bot.slack.messages(NEWS_CHANNEL) if m.get("thread_ts")
                and (m.get("metadata") or {}).get("event_type") == "factcheck_nudge"]

    now = datetime.now(UTC)
    assert sweeper(now).sweep() == 2
    assert sweeper(now).sweep() == 0  # a second process's sweep in the same period: nothing more
    found = bot.slack.wait_for(lambda: nudges() if len(nudges()) == 2 else None, 10)
    texts = sorted(m["text"] for m in found)
    assert "<@U0EDITOR>, any news?" in texts[1] and "nobody is on it" in texts[0]
    assert sweeper(now + timedelta(days=1)).sweep() == 0  # nudged within the period

    # Activity in a thread keeps a claim from going stale: of two claims opened together, only the quiet
    # one is nudged three days later.
    busy_ts = claim_row_by_id(bot, busy).message_ts
    bot.post_link("still digging on this", thread_ts=busy_ts, user=EDITOR)
    bot.slack.wait_for(lambda: claim_row_by_id(bot, busy).last_activity_at is not None, 5)
    assert sweeper(now + timedelta(days=3) - timedelta(minutes=30)).sweep() == 1
    assert claim_row_by_id(bot, quiet).nudged_at is not None and claim_row_by_id(bot, busy).nudged_at is None
    # A period after the first nudge, claims still quiet get their next one; resolved ones never do.
    assert sweeper(now + timedelta(days=4)).sweep() == 3
    with bot.services.db.session() as session:
        assert [e.kind for e in events_for(session, orphan)] == ["nudged", "nudged"]
        assert events_for(session, resolved) == []


def claim_row_by_id(bot: RunningBot, claim_id: int) -> Claim:
    with bot.services.db.session() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        return claim


def test_exports_leave_out_private_channels_unless_asked(bot: RunningBot, database_url: str) -> None:
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    seed(bot, "Public and published", status="resolved", verdict="false", published_url="https://desk.example/a")
    seed(bot, "Secret and published", channel=PRIVATE, status="resolved", verdict="true",
         published_url="https://desk.example/b")
    done = export(bot, database_url, "--format", "claimreview")
    assert [r["claimReviewed"] for r in json.loads(done.stdout)] == ["Public and published"]
    assert "--include-private" in done.stderr
    csv_text = export(bot, database_url, "--format", "csv").stdout
    assert "Public and published" in csv_text and "Secret" not in csv_text
    everything = json.loads(export(bot, database_url, "--format", "claimreview", "--include-private").stdout)
    assert sorted(r["claimReviewed"] for r in everything) == ["Public and published", "Secret and published"]
    for review in everything:
        assert claimreview_problems(review) == []
    # The first export recorded which channels are private: later runs need no Slack at all.
    no_token = run("export", env={"DATABASE_URL": database_url})
    assert no_token.returncode == 0, no_token.stderr
    assert [r["claimReviewed"] for r in json.loads(no_token.stdout)] == ["Public and published"]
    # A channel never recorded, with no token: nobody can tell, and unknown means left out.
    seed(bot, "Never recorded", channel="C0NEVER", status="resolved", verdict="true",
         published_url="https://desk.example/c")
    no_token = run("export", env={"DATABASE_URL": database_url})
    assert "Never recorded" not in no_token.stdout and "SLACK_BOT_TOKEN" in no_token.stderr


def test_claimreview_leaves_out_unpublished_claims_and_never_uses_a_permalink(bot: RunningBot) -> None:
    seed(bot, "Published", status="resolved", verdict="false", published_url="https://desk.example/p")
    seed(bot, "Unpublished", status="resolved", verdict="misleading")
    with bot.services.db.session() as session:
        published = claimreview(session, bot.services.scale, NEWSROOM, NEWSROOM_URL)
        with_drafts = claimreview(session, bot.services.scale, NEWSROOM, NEWSROOM_URL, include_drafts=True)
        rows = list(csv.DictReader(io.StringIO(claims_csv(session, bot.services.scale))))
    assert [r["claimReviewed"] for r in published] == ["Published"]
    draft = next(r for r in with_drafts if r["claimReviewed"] == "Unpublished")
    assert claimreview_problems(draft, draft=True) == [] and "url" not in draft
    assert draft["itemReviewed"]["author"] == {"@type": "Organization", "name": "News Example",
                                               "url": "https://news.example/"}
    assert {r["claim"]: r["url"] for r in rows} == {"Published": "https://desk.example/p", "Unpublished": ""}


def test_weekly_summary_says_who_resolved_what(bot: RunningBot) -> None:
    start = datetime(2026, 11, 16, 10, tzinfo=UTC)
    taken = seed(bot, "Taken and resolved", status="resolved", verdict="false", created=start)
    assign(bot, taken, EDITOR)
    seed(bot, "Resolved without a taker", status="resolved", verdict="true", created=start)
    with bot.services.db.session() as session:
        report = build_report(session, "2026-W47")
    by = {c.text: c.resolved_by for c in report.resolved}
    assert by == {"Taken and resolved": (EDITOR,), "Resolved without a taker": ()}
    assert report.resolvers == [(EDITOR, 1)]
    text = json.dumps(weekly_summary(report, bot.services.scale, start, "C0CHECK").blocks, ensure_ascii=False)
    assert "Taken and resolved" in text and "— <@U0EDITOR>" in text and "Resolved by: <@U0EDITOR> (1)" in text


# -- pieces -------------------------------------------------------------------------------------------


def test_claims_mine_parses_and_is_in_the_help() -> None:
    assert parse("mine").mine and parse("resolved MINE page 2").page == 2
    from bot.desk.views import HELP

    assert "/claims mine" in HELP


@pytest.mark.parametrize(("url", "ok"), [
    ("https://desk.example/fc/1", True), ("http://desk.example", True), ("ftp://desk.example/x", False),
    ("javascript:alert(1)", False), ("https://", False), ("https://desk .example/x", False), ("desk.example", False),
])
def test_published_url_must_be_http(url: str, ok: bool) -> None:
    assert (check_url(url) is None) is ok
    assert ("published_url" not in validate("An explanation.", url)) is ok


def test_newsroom_settings_accept_the_old_names_and_assign_emoji_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORT_ORGANIZATION_NAME", "Old Desk")
    monkeypatch.setenv("EXPORT_ORGANIZATION_URL", "https://old.example")
    settings = load_settings(_env_file=None)
    assert (settings.newsroom_name, settings.newsroom_url) == ("Old Desk", "https://old.example")
    monkeypatch.setenv("NEWSROOM_NAME", "New Desk")
    assert load_settings(_env_file=None).newsroom_name == "New Desk"
    assert load_settings(_env_file=None, assign_emoji=":Raising_Hand:").assign_emoji == "raising_hand"
    with pytest.raises(ConfigError, match="ASSIGN_EMOJI"):
        load_settings(_env_file=None, assign_emoji="x")
    with pytest.raises(ConfigError, match="NEWSROOM_URL"):
        load_settings(_env_file=None, newsroom_url="ftp://desk.example")


def test_workflow_state_survives_a_restart_and_double_clicks_count_once(bot: RunningBot, bot_factory: Any,
                                                                        llm: OpenAIStandIn) -> None:
    claim_ts = open_claims(bot)[0]["ts"]
    claim_id = claim_row(bot, claim_ts).id
    clicks = [threading.Thread(target=click, args=(bot, EDITOR, claim_ts, TAKE_ACTION, claim_id)) for _ in range(3)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    wait_shown(bot, claim_ts, "*On it:* <@U0EDITOR> (since")
    bot.services.stop(timeout=5)  # the first process goes away; a new one starts on the same database

    restarted = bot_factory(**llm_settings(llm))
    assert "on it: <@U0EDITOR>" in claims_list(restarted, "mine", EDITOR)
    click(restarted, EDITOR, claim_ts, RELEASE_ACTION, claim_id)
    wait_shown(restarted, claim_ts, "*On it:* nobody yet")
    with restarted.services.db.session() as session:
        assert [(e.kind, e.user_id) for e in events_for(session, claim_id)] == [("assigned", EDITOR),
                                                                             ("released", EDITOR)]


def test_assignment_reactions_missed_while_the_bot_was_away_are_caught_up(bot: RunningBot) -> None:
    """Reconciliation reads the :eyes: reactions Slack holds: a missed take is taken, a missed removal of a
    reaction take is handed back, and someone who handed back by button with their reaction left on is
    not put back."""
    first, second, third = (m["ts"] for m in open_claims(bot))
    third_id = claim_row(bot, third).id
    # Missed add: the reaction is in Slack, its event never reached the bot.
    bot.slack.add_reaction(NEWS_CHANNEL, first, "eyes", EDITOR)
    # Took by reaction (event delivered), then removed it while the bot was away.
    react(bot, second, REPORTER, "eyes")
    wait_shown(bot, second, f"<@{REPORTER}>")
    bot.slack.remove_reaction(NEWS_CHANNEL, second, "eyes", REPORTER)
    # Took and handed back by button, and left a reaction on (its event missed).
    click(bot, EDITOR, third, TAKE_ACTION, third_id)
    click(bot, EDITOR, third, RELEASE_ACTION, third_id)
    bot.slack.add_reaction(NEWS_CHANNEL, third, "eyes", EDITOR)

    for ts in (first, second, third):
        run = JobContext(job_id=0, attempts=1, payload=ClaimRef(claim_row(bot, ts).id))
        bot.services.reconciler.reconcile_claim(run)
        bot.services.reconciler.reconcile_claim(run)  # a second pass changes nothing

    def on_it(ts: str) -> list[str]:
        with bot.services.db.session() as session:
            claim_id = session.scalars(select(Claim.id).where(Claim.message_ts == ts)).one()
            return sorted(session.scalars(select(ClaimAssignee.user_id).where(
                ClaimAssignee.claim_id == claim_id, ClaimAssignee.active.is_(True))))

    assert (on_it(first), on_it(second), on_it(third)) == ([EDITOR], [], [])
    with bot.services.db.session() as session:
        events = events_for(session, claim_row(bot, first).id)
        trail = [(e.kind, e.user_id, (e.detail or {}).get("via")) for e in events]
    assert trail == [("assigned", EDITOR, "reconcile")]  # once, though reconciled twice
    wait_shown(bot, first, f"<@{EDITOR}>")
