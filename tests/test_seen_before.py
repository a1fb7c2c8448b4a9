"""Seen before (issue #13), end to end: signed events in, the local Slack stand-in out, a real database.

A claim checked in one article comes back, reworded, in another: its new message says "Checked before"
with the earlier verdict, who gave it and a link; the earlier thread hears that it came back; "Same
claim" carries the verdict over as a vote. Claims from a private channel never leak into a public one.
With a Fact Check Tools key, published fact-checks are posted in the claim's thread, and a failing API
delays nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Claim, Vote
from tests.conftest import NEWS_CHANNEL, REPORTER, RunningBot
from tests.harness.factcheck_tools import FactCheckToolsStandIn
from tests.harness.posts import claim_posts
from tests.harness.waiting import wait_for_card, wait_idle

PAGES = Path(__file__).resolve().parent / "fixtures" / "seen"
EDITOR = "U0EDITOR"
PRIVATE = "C0PRIVATE"
FIRST = "Mayor Anna Rossi said the city had cut its carbon emissions"
AGAIN = "Anna Rossi told delegates that since 2015 the city had reduced its carbon emissions"


@pytest.fixture
def tools() -> Iterator[FactCheckToolsStandIn]:
    with FactCheckToolsStandIn() as server:
        server.publish("City cut carbon emissions by 38 percent since 2015, mayor says", publisher="Regional Checks",
                       rating="Half true", url="https://checks.example/emissions", review_date="2026-03-02T00:00:00Z",
                       claimant="Anna Rossi")
        yield server


def serve_pages(bot: RunningBot) -> None:
    bot.articles.add("/council-budget", (PAGES / "council-budget.html").read_bytes())
    bot.articles.add("/mayor-summit", (PAGES / "mayor-summit.html").read_bytes())


def post_article(bot: RunningBot, path: str, channel: str = NEWS_CHANNEL) -> list[dict[str, Any]]:
    before = {m["ts"] for m in claim_posts(bot.slack, channel)}
    ts = bot.post_link(f"<{bot.article_url(path)}>", channel=channel)
    wait_for_card(bot, channel, ts)
    return [m for m in claim_posts(bot.slack, channel) if m["ts"] not in before]


def message_with(messages: list[dict[str, Any]], text: str) -> dict[str, Any]:
    found = [m for m in messages if text in m["text"]]
    assert len(found) == 1, [m["text"][:80] for m in messages]
    return found[0]


def vote_false(bot: RunningBot, channel: str, message: dict[str, Any], user: str = EDITOR) -> None:
    bot.slack.add_reaction(channel, message["ts"], "x", user)
    event = bot.sender.reaction_event(kind="reaction_added", user=user, reaction="x", channel=channel,
                                      ts=message["ts"], item_user="U0BOT")
    assert bot.sender.event(event).status_code == 200
    bot.slack.wait_for(lambda: claim_row(bot, message["ts"]).status == "resolved", 10)


def claim_row(bot: RunningBot, ts: str) -> Claim:
    with bot.services.db.session() as session:
        return session.scalars(select(Claim).where(Claim.message_ts == ts)).one()


def current_blocks(bot: RunningBot, channel: str, ts: str) -> str:
    message = bot.slack.message(channel, ts)
    assert message is not None
    return json.dumps(message["blocks"])


def test_reworded_claim_says_checked_before_and_same_claim_carries_the_verdict(bot: RunningBot) -> None:
    serve_pages(bot)
    earlier = message_with(post_article(bot, "/council-budget"), FIRST)
    vote_false(bot, NEWS_CHANNEL, earlier)
    earlier_row = claim_row(bot, earlier["ts"])

    again = message_with(post_article(bot, "/mayor-summit"), AGAIN)
    blocks = json.dumps(again["blocks"])
    assert "*Checked before:* *False*" in blocks
    assert f"<@{EDITOR}>" in blocks and "earlier thread" in blocks
    assert earlier_row.permalink and earlier_row.permalink in blocks.replace("%7C", "|")
    assert f"{earlier_row.resolved_at:%-d %b %Y}" in blocks
    new_row = claim_row(bot, again["ts"])
    assert new_row.seen_claim_id == earlier_row.id and new_row.seen_score and new_row.seen_score >= 0.37

    # The earlier thread hears that the claim came back, once, with the new article.
    note = bot.slack.wait_for(lambda: [m for m in bot.slack.thread(NEWS_CHANNEL, earlier["ts"])
                                       if "came back" in m.get("text", "")], 10)
    assert len(note) == 1 and "mayor-summit" in json.dumps(note[0]["blocks"])

    # Claims that match nothing say nothing about it.
    others = [m for m in claim_posts(bot.slack, NEWS_CHANNEL) if m["ts"] not in (earlier["ts"], again["ts"])]
    assert others and not any("Checked before" in json.dumps(m["blocks"]) for m in others)

    # "Same claim": one click records the earlier verdict as this person's vote, in the audit trail.
    click = bot.sender.block_action_payload(user=REPORTER, channel=NEWS_CHANNEL, message_ts=again["ts"],
                                            action_id="same_claim", value=str(new_row.id))
    assert bot.sender.action(click).status_code == 200
    bot.slack.wait_for(lambda: claim_row(bot, again["ts"]).status == "resolved", 10)
    assert claim_row(bot, again["ts"]).verdict == "false"
    with bot.services.db.session() as session:
        vote = session.scalars(select(Vote).where(Vote.claim_id == new_row.id)).one()
    assert (vote.user_id, vote.verdict, vote.origin, vote.source) == (REPORTER, "false", "same_claim", "button")
    wait_idle(bot)
    assert "Verdict: *False*" in current_blocks(bot, NEWS_CHANNEL, again["ts"])


def test_a_claim_still_open_says_it_is_being_checked(bot: RunningBot) -> None:
    serve_pages(bot)
    earlier = message_with(post_article(bot, "/council-budget"), FIRST)
    again = message_with(post_article(bot, "/mayor-summit"), AGAIN)
    blocks = json.dumps(again["blocks"])
    assert "being checked now" in blocks and "Checked before" not in blocks
    assert "same_claim" not in blocks  # nothing to carry over yet
    assert claim_row(bot, again["ts"]).seen_claim_id == claim_row(bot, earlier["ts"]).id


def test_a_claim_first_seen_in_a_private_channel_does_not_leak_into_a_public_one(bot: RunningBot) -> None:
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    serve_pages(bot)
    secret = message_with(post_article(bot, "/council-budget", channel=PRIVATE), FIRST)
    vote_false(bot, PRIVATE, secret, user=REPORTER)

    public = message_with(post_article(bot, "/mayor-summit"), AGAIN)
    blocks = json.dumps(public["blocks"])
    assert "Checked before" not in blocks and "Seen before" not in blocks and PRIVATE not in blocks
    assert claim_row(bot, public["ts"]).seen_claim_id is None
    wait_idle(bot)
    assert not [m for m in bot.slack.thread(PRIVATE, secret["ts"]) if "came back" in m.get("text", "")]

    # Search from Slack: the member finds the private claim, someone outside the channel does not.
    def search(user: str) -> str:
        name = f"s{time.monotonic_ns()}"
        response = bot.sender.command("/claims", "search carbon emissions 2015", user_id=user,
                                      response_url=bot.slack.response_url(name))
        assert response.status_code == 200
        answer = bot.slack.wait_for(lambda: [r for r in bot.slack.responses if r["path"].endswith(name)], 10)
        return json.dumps(answer[0])

    assert "Mayor Anna Rossi said" in search(REPORTER) and "False" in search(REPORTER)
    outsider = search(EDITOR)
    assert "Mayor Anna Rossi said" not in outsider and "Anna Rossi told delegates" in outsider


def test_published_fact_checks_are_posted_in_the_claim_thread(bot_factory, tools: FactCheckToolsStandIn) -> None:
    bot = bot_factory(factcheck_tools_api_key=tools.api_key, factcheck_tools_url=tools.base_url)
    serve_pages(bot)
    claim = message_with(post_article(bot, "/council-budget"), FIRST)
    note = bot.slack.wait_for(lambda: [m for m in bot.slack.thread(NEWS_CHANNEL, claim["ts"])
                                       if "Published fact-checks" in m.get("text", "")], 10)
    text = json.dumps(note[0]["blocks"])
    assert "Regional Checks" in text and "Half true" in text and "https://checks.example/emissions" in text
    assert "2026-03-02" in text
    wait_idle(bot)
    assert len([m for m in bot.slack.thread(NEWS_CHANNEL, claim["ts"]) if "Published" in m.get("text", "")]) == 1
    assert all(r["key"] == tools.api_key for r in tools.requests)


def test_a_failing_fact_check_api_never_delays_the_claims(bot_factory, tools: FactCheckToolsStandIn) -> None:
    tools.fail_next(503, times=50, seconds=3.0)  # slow, then an error, every time
    bot = bot_factory(factcheck_tools_api_key=tools.api_key, factcheck_tools_url=tools.base_url)
    serve_pages(bot)
    started = time.monotonic()
    claims = post_article(bot, "/council-budget")
    assert claims and time.monotonic() - started < 8
    for claim in claims:
        assert not [m for m in bot.slack.thread(NEWS_CHANNEL, claim["ts"]) if "Published" in m.get("text", "")]
    bot.slack.wait_for(lambda: len(tools.requests) >= 1, 10)  # it was asked, and its failure changed nothing
