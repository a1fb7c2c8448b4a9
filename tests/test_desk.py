"""/claims, /factcheck, the weekly summary, App Home and exports, through the real HTTP endpoint and
database (claims seeded directly in the database where the flow that makes them is beside the point)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.schedule import Schedule
from bot.desk.exports import claimreview, claims_csv
from bot.desk.query import ClaimQuery, QueryError, parse
from bot.desk.weekly_posts import WeeklyPoster
from bot.desk.weekly_report import due_week, iso_week, week_bounds
from bot.infra.job_kinds import WEEKLY_SUMMARY, Tick
from bot.infra.worker import JobContext
from storage.models import Article, Claim, VerdictChange, Vote, WeeklySummaryPost
from tests.conftest import NEWS_CHANNEL, REPORTER, RunningBot
from tests.harness.waiting import assert_quiet, wait_for_card, wait_idle

EDITOR = "U0EDITOR"
PRIVATE = "C0PRIVATE"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


# -- parsing ------------------------------------------------------------------------------------


def test_parse_defaults_and_every_argument() -> None:
    assert parse("") == ClaimQuery()
    query = parse("Resolved <#C0123ABCD|politics> <@U0123ABCD|maria> since:7d page 3", NOW)
    assert (query.status, query.channel_id, query.channel_name, query.user_id, query.page) == (
        "resolved", "C0123ABCD", "politics", "U0123ABCD", 3)
    assert query.since == NOW - timedelta(days=7)
    assert parse("since:2026-11-01", NOW).since == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse("#politics @maria page:2").channel_name == "politics"
    assert parse("help").action == "help" and parse("all summary").action == "summary"


@pytest.mark.parametrize("text", ["bogus", "page", "page zero", "page 0", "since:yesterday", "since:2099-01-01",
                                  "since:99999d", "<script>", "'; DROP TABLE claims; --", "@", "#", "page -1"])
def test_malformed_arguments_give_a_short_usage_message(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text, NOW)
    assert len(str(caught.value)) < 120


@given(st.text(max_size=200))
def test_parser_never_fails_other_than_with_a_usage_error(text: str) -> None:
    try:
        query = parse(text, NOW)
    except QueryError:
        return
    assert query.status in ("open", "disputed", "resolved", "all") and query.page >= 1


# What each argument sets in the query; a later argument overrides an earlier one for the same field.
EFFECTS: dict[str, dict[str, Any]] = {
    "open": {"status": "open"}, "all": {"status": "all"}, "disputed": {"status": "disputed"},
    "RESOLVED": {"status": "resolved"}, "since:3d": {"since": NOW - timedelta(days=3)}, "page 2": {"page": 2},
    "<#C0ABCDEFG|x>": {"channel_id": "C0ABCDEFG", "channel_name": "x"},
    "<@U0ABCDEFG|y>": {"user_id": "U0ABCDEFG", "user_name": "y"},
}


@given(st.lists(st.sampled_from(list(EFFECTS)), max_size=6))
def test_valid_arguments_combine_in_any_order(tokens: list[str]) -> None:
    expected = ClaimQuery(**{field: value for token in tokens for field, value in EFFECTS[token].items()})
    assert parse(" ".join(tokens), NOW) == expected


# -- seeding ------------------------------------------------------------------------------------


def seed(bot: RunningBot, count: int, *, channel: str = NEWS_CHANNEL, status: str = "open", start: datetime = NOW,
         verdict: str | None = None, prefix: str = "Claim") -> list[int]:
    ids = []
    with bot.services.db.session() as session:
        article = Article(canonical_url=f"https://news.example/{prefix}-{channel}-{status}-{start.timestamp()}",
                          url="https://news.example/a", title=f"{prefix} story", status="published")
        session.add(article)
        session.flush()
        for index in range(count):
            created = start + timedelta(hours=index)
            ts = bot.slack.post_human_message(channel, f"{prefix} {index}", user="U0BOT")
            claim = Claim(article_id=article.id, position=index + 1, text=f"{prefix} {index}", quote="q", score=0.9,
                          status=status, verdict=verdict, channel_id=channel, message_ts=ts, created_at=created,
                          permalink=f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}",
                          resolved_at=created + timedelta(hours=1) if status == "resolved" else None)
            session.add(claim)
            session.flush()
            ids.append(claim.id)
    return ids


def claims_answer(bot: RunningBot, text: str, user: str = REPORTER) -> dict[str, Any]:
    name = f"r{time.monotonic_ns()}"
    response = bot.sender.command("/claims", text, user_id=user, response_url=bot.slack.response_url(name))
    assert response.status_code == 200
    if response.content:
        return {"ack": json.loads(response.text)}
    found = bot.slack.wait_for(lambda: [r for r in bot.slack.responses if r["path"].endswith(name)], 10)
    return found[0]


# -- /claims ------------------------------------------------------------------------------------


def test_claims_lists_open_claims_oldest_first_with_paging(bot: RunningBot) -> None:
    seed(bot, 12, start=NOW - timedelta(days=3))
    seed(bot, 2, status="resolved", verdict="false", prefix="Done")
    started = time.monotonic()
    first = claims_answer(bot, "")
    assert time.monotonic() - started < 3
    assert first["response_type"] == "ephemeral"
    text = json.dumps(first["blocks"])
    assert "Open claims: 12 (page 1 of 2)" in text
    assert text.index("Claim 0") < text.index("Claim 9") and "Claim 10" not in text
    assert "https://test.slack.com/archives/C0NEWS/p" in text and "Done" not in text
    second = json.dumps(claims_answer(bot, "page 2")["blocks"])
    assert "Claim 10" in second and "Claim 11" in second and "|Claim 0>" not in second
    resolved = json.dumps(claims_answer(bot, "resolved")["blocks"])
    assert "Done 0" in resolved and "Verdict: False" in resolved


def test_claims_filters_by_channel_person_and_date(bot: RunningBot) -> None:
    bot.slack.add_channel("C0SPORTS", "sports", members=[REPORTER])
    seed(bot, 2, start=NOW - timedelta(days=30), prefix="Old")
    recent = seed(bot, 2, channel="C0SPORTS", start=datetime.now(UTC) - timedelta(hours=5), prefix="Sport")
    with bot.services.db.session() as session:
        session.add(Vote(claim_id=recent[1], user_id=EDITOR, verdict="false", source="button", action="added",
                         event_key="seed-vote"))
    by_channel = json.dumps(claims_answer(bot, "<#C0SPORTS|sports>")["blocks"])
    assert "Sport 0" in by_channel and "Old" not in by_channel
    by_person = json.dumps(claims_answer(bot, f"<@{EDITOR}|ed>")["blocks"])
    assert "Sport 1" in by_person and "Sport 0" not in by_person
    since = json.dumps(claims_answer(bot, "since:7d")["blocks"])
    assert "Sport 0" in since and "Old 0" not in since
    by_name = json.dumps(claims_answer(bot, "#sports")["blocks"])
    assert "Sport 0" in by_name


def test_private_channel_claims_are_listed_only_to_members(bot: RunningBot) -> None:
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    seed(bot, 1, channel=PRIVATE, prefix="Secret")
    seed(bot, 1, prefix="Public")
    member = json.dumps(claims_answer(bot, "", user=REPORTER)["blocks"])
    outsider = json.dumps(claims_answer(bot, "", user=EDITOR)["blocks"])
    assert "Secret 0" in member and "Public 0" in member
    assert "Secret 0" not in outsider and "Public 0" in outsider
    assert "Secret" not in json.dumps(claims_answer(bot, f"<#{PRIVATE}|investigations>", user=EDITOR)["blocks"])


@pytest.mark.parametrize("text", ["help", "bogus words", "page x", "since:tomorrow"])
def test_help_and_mistakes_are_answered_at_once(bot: RunningBot, text: str) -> None:
    answer = claims_answer(bot, text)["ack"]
    assert answer["response_type"] == "ephemeral"
    if text == "help":
        assert "/claims #politics" in answer["text"] and "since:7d" in answer["text"]
    else:
        assert "/claims help" in answer["text"] and "Traceback" not in answer["text"]


def test_claims_summary_privately(bot: RunningBot) -> None:
    seed(bot, 1, status="resolved", verdict="true", start=datetime.now(UTC) - timedelta(minutes=5), prefix="Week")
    answer = claims_answer(bot, "summary")
    assert answer["response_type"] == "ephemeral"
    assert "Week 0" in json.dumps(answer["blocks"])
    assert bot.slack.calls_to("chat.postMessage") == []


# -- /factcheck ---------------------------------------------------------------------------------


def test_factcheck_command_runs_the_link_workflow_in_the_channel(bot: RunningBot) -> None:
    url = bot.article_url("/bagram-bounty")
    response = bot.sender.command("/factcheck", url, user_id=REPORTER, channel_id=NEWS_CHANNEL)
    assert response.status_code == 200 and "On it" in response.text
    request = bot.slack.wait_for(lambda: [m for m in bot.slack.messages(NEWS_CHANNEL)
                                          if "asked me to check" in str(m.get("blocks"))], 10)[0]
    card = wait_for_card(bot, NEWS_CHANNEL, request["ts"])
    assert "Report Indicates Iran" in str(card["blocks"])


@pytest.mark.parametrize("text", ["", "not a url", "ftp://x.example/a", "<https://files.slack.com/a.png>"])
def test_factcheck_without_a_usable_url_explains_usage(bot: RunningBot, text: str) -> None:
    response = bot.sender.command("/factcheck", text)
    assert response.status_code == 200
    assert "/factcheck https://example.org/story" in response.json()["text"]
    assert_quiet(bot.slack, 0.3)
    assert bot.slack.calls_to("chat.postMessage") == []


# -- weekly summary -----------------------------------------------------------------------------


def test_schedule_across_time_zones_and_dst() -> None:
    rome = Schedule.parse("mon 09:00", "Europe/Rome")
    # Monday 2026-10-26 09:00 in Rome is 08:00 UTC (after the clocks went back on the 25th).
    assert rome.last_due(datetime(2026, 10, 26, 8, 0, tzinfo=UTC)) == datetime(2026, 10, 26, 9, 0,
                                                                                  tzinfo=ZoneInfo("Europe/Rome"))
    assert rome.last_due(datetime(2026, 10, 26, 7, 59, tzinfo=UTC)).date().isoformat() == "2026-10-19"
    assert due_week(rome, datetime(2026, 10, 26, 8, 0, tzinfo=UTC))[0] == "2026-W43"
    start, end = week_bounds("2026-W43", ZoneInfo("Europe/Rome"))
    assert (start.isoformat(), end.isoformat()) == ("2026-10-18T22:00:00+00:00", "2026-10-25T23:00:00+00:00")
    new_york = Schedule.parse("Friday 17:30", "America/New_York")
    due = new_york.last_due(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))  # after the US spring-forward
    assert due.isoformat() == "2026-03-06T17:30:00-05:00"
    assert iso_week(datetime(2027, 1, 1).date()) == "2026-W53"
    with pytest.raises(ValueError):
        Schedule.parse("someday 25:00", "UTC")


def desk_at(bot: RunningBot, now: datetime, channel: str = "C0CHECK") -> WeeklyPoster:
    services = bot.services
    return WeeklyPoster(services.db, services.gateway, services.desk.directory, services.scale,
                        summary_channel=channel, schedule=Schedule.parse("mon 09:00", "Europe/Rome"),
                        tz="Europe/Rome", wake=lambda: None, clock=lambda: now)


def summaries(bot: RunningBot, channel: str = "C0CHECK") -> list[dict]:
    return [m for m in bot.slack.messages(channel) if "week" in (m.get("text") or "") and m.get("bot_id")]


def test_weekly_summary_content(bot: RunningBot) -> None:
    week_start = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    resolved = seed(bot, 3, status="resolved", verdict="false", start=week_start, prefix="Busted")
    seed(bot, 1, status="resolved", verdict="true", start=week_start, prefix="Right")
    seed(bot, 2, status="open", start=week_start - timedelta(days=20), prefix="Lingering")
    with bot.services.db.session() as session:
        session.add(Vote(claim_id=resolved[0], user_id=EDITOR, verdict="false", source="reaction:x", action="added",
                         event_key="v1", created_at=week_start))
    desk = desk_at(bot, datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    ts = desk.post_weekly("2026-W47", "C0CHECK")
    post = next(m for m in bot.slack.messages("C0CHECK") if m["ts"] == ts)
    text = json.dumps(post["blocks"])
    assert "week 2026-W47 (Mon 16 Nov" in text
    assert "*Opened:* 4" in text and "*Resolved:* 4" in text and "*Still open:* 2" in text
    assert "False: 3" in text and "True: 1" in text
    assert text.index("*False*") < text.index("Busted 2") and "Lingering 0" in text and "Oldest open claim" in text
    assert "<@U0EDITOR> (1)" in text


def test_weekly_summary_posts_once_with_two_concurrent_posters(bot: RunningBot, bot_factory) -> None:
    seed(bot, 1, status="resolved", verdict="true", start=datetime(2026, 11, 17, tzinfo=UTC))
    other = bot_factory()  # a second process's services on the same database
    desks = [desk_at(bot, NOW), desk_at(other, NOW)]
    results: list[str] = []
    threads = [threading.Thread(target=lambda d=d: results.append(d.post_weekly("2026-W47", "C0CHECK")))
               for d in desks for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(summaries(bot)) == 1
    assert len(set(results)) == 1


def test_a_post_made_before_a_crash_is_not_repeated(bot: RunningBot) -> None:
    desk = desk_at(bot, NOW)
    ts = desk.post_weekly("2026-W46", "C0CHECK")
    with bot.services.db.session() as session:  # the crash: the post happened, its record did not
        row = session.query(WeeklySummaryPost).one()
        row.message_ts = None
    assert desk.post_weekly("2026-W46", "C0CHECK") == ts
    assert len(summaries(bot)) == 1


def test_missed_week_is_posted_when_the_bot_comes_back(bot: RunningBot) -> None:
    seed(bot, 1, start=datetime(2026, 11, 10, tzinfo=UTC))
    # The bot was down on Monday 23 Nov at 09:00 Rome time; it comes back on Tuesday.
    desk = desk_at(bot, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    bot.services.worker.register(WEEKLY_SUMMARY, desk.weekly_job)
    desk.summary_tick(JobContext(job_id=0, attempts=1, payload=Tick()))
    bot.services.worker.wake()
    bot.slack.wait_for(lambda: summaries(bot), 10)
    desk.summary_tick(JobContext(job_id=0, attempts=1, payload=Tick()))  # a later tick or a restart: nothing new
    wait_idle(bot)  # whatever the second tick enqueued has run
    assert len(summaries(bot)) == 1 and "2026-W47" in summaries(bot)[0]["text"]


def test_no_summary_for_weeks_before_the_desk_existed(bot: RunningBot) -> None:
    seed(bot, 1, start=datetime(2026, 11, 24, 10, tzinfo=UTC))
    desk_at(bot, datetime(2026, 11, 24, 15, 0, tzinfo=UTC)).summary_tick(JobContext(0, 1, Tick()))
    with bot.services.db.session() as session:
        assert session.query(WeeklySummaryPost).count() == 0


# -- App Home -----------------------------------------------------------------------------------


def test_app_home_shows_open_claims_and_this_weeks_counts(bot: RunningBot) -> None:
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    seed(bot, 2, prefix="Home")
    seed(bot, 1, channel=PRIVATE, prefix="Secret")
    for user in (REPORTER, EDITOR):
        bot.sender.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                          "event_ts": f"{time.time():.6f}"})
    bot.slack.wait_for(lambda: len(bot.slack.home_views) == 2, 10)
    mine = json.dumps(bot.slack.home_views[REPORTER])
    theirs = json.dumps(bot.slack.home_views[EDITOR])
    assert "Home 0" in mine and "Secret 0" in mine and "This week:" in mine
    assert "Home 0" in theirs and "Secret 0" not in theirs


# -- exports ------------------------------------------------------------------------------------


def test_claimreview_export_has_the_required_fields(bot: RunningBot) -> None:
    ids = seed(bot, 2, status="resolved", verdict="false", prefix="Exported")
    seed(bot, 1, status="resolved", verdict="unverifiable", prefix="Unsure")
    seed(bot, 1, prefix="Pending")
    seed(bot, 1, status="resolved", verdict="false", prefix="Unpublished")
    with bot.services.db.session() as session:  # only claims with a published fact-check URL are exported
        for claim in session.query(Claim).filter(Claim.text.like("Exported%") | Claim.text.like("Unsure%")):
            claim.published_url = f"https://desk.example/fc/{claim.id}"
    with bot.services.db.session() as session:
        reviews = claimreview(session, bot.services.scale, "The Desk", "https://desk.example")
    assert len(reviews) == 3
    assert all(r["url"].startswith("https://desk.example/fc/") for r in reviews)
    for review in reviews:
        assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
        assert review["claimReviewed"] and review["datePublished"]
        assert review["author"] == {"@type": "Organization", "name": "The Desk", "url": "https://desk.example"}
        assert review["itemReviewed"]["@type"] == "Claim"
        assert review["itemReviewed"]["appearance"][0]["url"].startswith("https://news.example/")
        rating = review["reviewRating"]
        assert rating["@type"] == "Rating" and rating["alternateName"]
        assert rating["bestRating"] == 5 and rating["worstRating"] == 1
    false_review = next(r for r in reviews if r["claimReviewed"] == "Exported 0")
    assert false_review["reviewRating"]["ratingValue"] == 1 and false_review["reviewRating"]["alternateName"] == "False"
    assert "ratingValue" not in next(r for r in reviews if r["claimReviewed"] == "Unsure 0")["reviewRating"]
    # Resolved claims only, by resolution time (Exported 0 and Unsure 0 both at 13:00, then by id).
    assert [r["claimReviewed"] for r in reviews] == ["Exported 0", "Unsure 0", "Exported 1"]
    assert {r["datePublished"] for r in reviews} == {"2026-11-24"}
    # Each review's url is its claim's published fact-check, never the Slack permalink.
    assert [r["url"] for r in reviews if r["claimReviewed"].startswith("Exported")] == [
        f"https://desk.example/fc/{claim_id}" for claim_id in ids]
    assert not any("slack.com" in json.dumps(r) for r in reviews)


def test_csv_export_has_every_claim_and_its_history(bot: RunningBot) -> None:
    ids = seed(bot, 2, prefix="Row")
    with bot.services.db.session() as session:
        session.add(VerdictChange(claim_id=ids[0], old_status="open", new_status="resolved", new_verdict="false",
                                  changed_at=NOW))
        session.add(VerdictChange(claim_id=ids[0], old_status="resolved", old_verdict="false", new_status="disputed",
                                  changed_at=NOW + timedelta(hours=1)))
    with bot.services.db.session() as session:
        rows = list(csv.DictReader(io.StringIO(claims_csv(session, bot.services.scale))))
    assert [r["claim"] for r in rows] == ["Row 0", "Row 1"]
    assert rows[0]["verdict_history"] == "2026-11-24T12:00:00Z open->false; 2026-11-24T13:00:00Z false->disputed"
