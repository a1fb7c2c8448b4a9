"""Verdicts from reactions and buttons, end to end: signed events in, chat.update and thread notes out,
the audit trail in the database, and reconciliation after the bot was down."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from bot.infra.job_kinds import Tick
from bot.infra.worker import JobContext
from bot.verdicts.recorder import verdict_history, vote_history
from storage.models import Claim, Vote
from tests.conftest import NEWS_CHANNEL, REPORTER, RunningBot, llm_settings, scripted_llm
from tests.harness.openai_server import OpenAIStandIn
from tests.harness.posts import claim_posts
from tests.harness.waiting import wait_for_card, wait_idle, wait_until

EDITOR = "U0EDITOR"


@pytest.fixture
def llm_bot_factory(bot_factory: Any, llm: OpenAIStandIn) -> Any:
    """Bots whose claims come from the scripted LLM stand-in: three known claims per article."""
    scripted_llm(llm)
    return lambda **overrides: bot_factory(**llm_settings(llm), **overrides)


@pytest.fixture
def bot(llm_bot_factory: Any) -> RunningBot:
    return llm_bot_factory()


def open_claims(bot: RunningBot) -> list[dict]:
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    wait_for_card(bot, NEWS_CHANNEL, ts)
    return claim_posts(bot.slack, NEWS_CHANNEL)


def react(bot: RunningBot, claim: dict, user: str, name: str, added: bool = True, **kwargs: Any) -> None:
    if added:
        bot.slack.add_reaction(NEWS_CHANNEL, claim["ts"], name, user)
    else:
        bot.slack.remove_reaction(NEWS_CHANNEL, claim["ts"], name, user)
    event = bot.sender.reaction_event(kind="reaction_added" if added else "reaction_removed", user=user,
                                      reaction=name, channel=NEWS_CHANNEL, ts=claim["ts"], item_user="U0BOT")
    response = bot.sender.event(event, **kwargs)
    assert response.status_code == 200
    bot.settle()


def claim_row(bot: RunningBot, ts: str) -> Claim:
    with bot.services.db.session() as session:
        return session.scalars(select(Claim).where(Claim.message_ts == ts)).one()


def wait_rendered(bot: RunningBot, ts: str, timeout: float = 10.0) -> Claim:
    """Wait until the claim message shows the newest recorded vote state."""
    def rendered() -> Claim | None:
        row = claim_row(bot, ts)
        return row if row.version and row.rendered_version >= row.version and row.render_lease_until is None else None

    return wait_until(rendered, timeout, f"claim {ts} to be rendered")


def wait_until_status(bot: RunningBot, ts: str, status: str, timeout: float = 10.0) -> Claim:
    wait_until(lambda: claim_row(bot, ts).status == status, timeout, f"claim {ts} to become {status}")
    return wait_rendered(bot, ts)


def current_text(bot: RunningBot, ts: str) -> str:
    message = next(m for m in bot.slack.messages(NEWS_CHANNEL) if m["ts"] == ts)
    return str(message["blocks"])


def notes(bot: RunningBot, ts: str) -> list[str]:
    return [m["text"] for m in bot.slack.thread(NEWS_CHANNEL, ts) if m.get("bot_id") and m["ts"] != ts]


def test_reactions_become_votes_verdicts_and_notes(bot: RunningBot) -> None:
    claim = open_claims(bot)[0]

    react(bot, claim, REPORTER, "x")
    row = wait_rendered(bot, claim["ts"])
    assert (row.status, row.verdict) == ("resolved", "false")
    assert "Verdict: *False* — <@U0MARIA>" in current_text(bot, claim["ts"])
    assert notes(bot, claim["ts"]) == ["Verdict: False (was Open). Votes: False: <@U0MARIA>"]

    react(bot, claim, EDITOR, "white_check_mark::skin-tone-3")
    row = wait_rendered(bot, claim["ts"])
    assert row.status == "disputed"
    shown = current_text(bot, claim["ts"])
    assert "*Disputed*" in shown and "False: <@U0MARIA>" in shown and "True: <@U0EDITOR>" in shown
    assert len(notes(bot, claim["ts"])) == 2

    react(bot, claim, REPORTER, "x", added=False)
    row = wait_rendered(bot, claim["ts"])
    assert (row.status, row.verdict) == ("resolved", "true")
    assert len(notes(bot, claim["ts"])) == 3

    with bot.services.db.session() as session:
        history = [(c.old_status, c.new_status, c.new_verdict) for c in verdict_history(session, row.id)]
        votes = [(v.user_id, v.verdict, v.action) for v in vote_history(session, row.id)]
    assert history == [("open", "resolved", "false"), ("resolved", "disputed", None),
                       ("disputed", "resolved", "true")]
    assert votes == [(REPORTER, "false", "added"), (EDITOR, "true", "added"), (REPORTER, "false", "withdrawn")]
    assert all(v.created_at.tzinfo is not None for v in vote_history_rows(bot, row.id))


def vote_history_rows(bot: RunningBot, claim_id: int) -> list[Vote]:
    with bot.services.db.session() as session:
        return vote_history(session, claim_id)


def test_no_note_when_the_verdict_does_not_change(bot: RunningBot) -> None:
    claim = open_claims(bot)[0]
    react(bot, claim, REPORTER, "x")
    wait_rendered(bot, claim["ts"])
    react(bot, claim, EDITOR, "x")
    row = wait_rendered(bot, claim["ts"])
    assert row.verdict == "false"
    assert "<@U0MARIA>, <@U0EDITOR>" in current_text(bot, claim["ts"])
    assert len(notes(bot, claim["ts"])) == 1
    assert len(bot.slack.calls_to("chat.update")) >= 2


def test_ignored_reactions(bot: RunningBot) -> None:
    claims = open_claims(bot)
    react(bot, claims[0], REPORTER, "tada")  # means nothing
    react(bot, claims[0], "U0BOT", "x")  # the bot's own
    # A verdict emoji on a message that is not a claim.
    other_ts = bot.slack.post_human_message(NEWS_CHANNEL, "lunch?", user=EDITOR)
    react(bot, {"ts": other_ts}, REPORTER, "x")
    wait_idle(bot)  # the bot records its work before acknowledging: whatever these events caused has run
    with bot.services.db.session() as session:
        assert session.scalars(select(Vote)).all() == []
    assert bot.slack.calls_to("chat.update") == []


def test_duplicate_and_concurrent_events_count_once(bot: RunningBot) -> None:
    claim = open_claims(bot)[0]
    bot.slack.add_reaction(NEWS_CHANNEL, claim["ts"], "x", REPORTER)
    event = bot.sender.reaction_event(kind="reaction_added", user=REPORTER, reaction="x", channel=NEWS_CHANNEL,
                                      ts=claim["ts"], item_user="U0BOT")
    for retry in (None, 1, 2):
        bot.sender.event(event, event_id="Ev0SAMEVOTE", retry_num=retry)
    bot.sender.event(event, event_id="Ev0OTHERDELIVERY")  # same reaction, another delivery

    # Many people reacting at the same moment.
    users = [f"U0P{i:02d}" for i in range(8)]
    threads = []
    for index, user in enumerate(users):
        name = "x" if index % 2 else "white_check_mark"
        bot.slack.add_reaction(NEWS_CHANNEL, claim["ts"], name, user)
        payload = bot.sender.reaction_event(kind="reaction_added", user=user, reaction=name, channel=NEWS_CHANNEL,
                                            ts=claim["ts"], item_user="U0BOT")
        threads.append(threading.Thread(target=bot.sender.event, args=(payload,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row = wait_rendered(bot, claim["ts"])
    # 5 false (maria + 4) against 4 true.
    assert (row.status, row.verdict) == ("resolved", "false")
    with bot.services.db.session() as session:
        assert len(vote_history(session, row.id)) == 9


def test_buttons_vote_and_a_second_click_changes_the_vote(bot: RunningBot) -> None:
    claim = open_claims(bot)[0]
    row = claim_row(bot, claim["ts"])
    actions = next(b for b in claim["blocks"] if b["type"] == "actions")
    assert {e["action_id"] for e in actions["elements"]} >= {"vote:true", "vote:false", "vote:misleading"}

    def click(verdict: str) -> None:
        payload = bot.sender.block_action_payload(user=EDITOR, channel=NEWS_CHANNEL, message_ts=claim["ts"],
                                                  action_id=f"vote:{verdict}", value=str(row.id),
                                                  block_id=actions["block_id"])
        assert bot.sender.action(payload).status_code == 200

    click("misleading")
    assert wait_rendered(bot, claim["ts"]).verdict == "misleading"
    click("false")
    after = wait_rendered(bot, claim["ts"])
    assert after.verdict == "false"
    assert "Verdict: *False* — <@U0EDITOR>" in current_text(bot, claim["ts"])  # the second click replaced the first
    with bot.services.db.session() as session:
        assert bot.services.recorder.decision_for(session, after.id).voters == {"false": [EDITOR]}


def test_factcheckers_decide_and_others_are_told_once(llm_bot_factory) -> None:
    bot = llm_bot_factory(factcheckers="U0EDITOR")
    claim = open_claims(bot)[0]
    react(bot, claim, REPORTER, "x")
    react(bot, claim, REPORTER, "warning")
    wait_idle(bot)
    assert claim_row(bot, claim["ts"]).status == "open"
    react(bot, claim, EDITOR, "white_check_mark")
    assert wait_rendered(bot, claim["ts"]).verdict == "true"
    wait_idle(bot)  # every note to a voter who does not decide has been sent
    ephemerals = bot.slack.calls_to("chat.postEphemeral")
    assert len(ephemerals) == 1 and ephemerals[0].params["user"] == REPORTER


def test_factcheckers_by_user_group(llm_bot_factory, slack) -> None:
    slack.add_usergroup("S0CHECKERS", "checkers", [EDITOR])
    bot = llm_bot_factory(factcheckers="S0CHECKERS")
    claim = open_claims(bot)[0]
    react(bot, claim, REPORTER, "x")
    react(bot, claim, EDITOR, "warning")
    assert wait_rendered(bot, claim["ts"]).verdict == "misleading"


def test_quorum_and_custom_emoji_map(llm_bot_factory) -> None:
    bot = llm_bot_factory(verdict_quorum=2, verdict_emoji="+1=true,-1=false,thinking_face=unverifiable")
    claim = open_claims(bot)[0]
    assert ":+1: true" in str(claim["blocks"])
    react(bot, claim, REPORTER, "-1::skin-tone-2")
    row = wait_rendered(bot, claim["ts"])
    assert row.status == "open" and "1 vote so far, 2 needed" in current_text(bot, claim["ts"])
    react(bot, claim, EDITOR, "-1")
    assert wait_rendered(bot, claim["ts"]).verdict == "false"


def test_reconciliation_after_the_bot_was_down(llm_bot_factory, slack) -> None:
    bot = llm_bot_factory()
    claims = open_claims(bot)
    react(bot, claims[0], REPORTER, "x")
    react(bot, claims[1], REPORTER, "white_check_mark")
    wait_rendered(bot, claims[0]["ts"])
    wait_rendered(bot, claims[1]["ts"])
    bot.services.stop(timeout=5)  # the bot goes down; Slack keeps taking reactions

    slack.add_reaction(NEWS_CHANNEL, claims[0]["ts"], "white_check_mark", EDITOR)  # missed add
    slack.remove_reaction(NEWS_CHANNEL, claims[1]["ts"], "white_check_mark", REPORTER)  # missed removal
    slack.add_reaction(NEWS_CHANNEL, claims[2]["ts"], "warning", EDITOR)  # missed on an untouched claim

    restarted = llm_bot_factory()
    wait_until_status(restarted, claims[0]["ts"], "disputed")
    wait_until_status(restarted, claims[1]["ts"], "open")
    assert wait_until_status(restarted, claims[2]["ts"], "resolved").verdict == "misleading"
    assert "*Disputed*" in current_text(restarted, claims[0]["ts"])
    with restarted.services.db.session() as session:
        origins = sorted(v.origin for v in session.scalars(select(Vote)))
    assert origins == ["event", "event", "reconcile", "reconcile", "reconcile"]

    # A second pass finds nothing new to record: no double counting.
    restarted.services.reconciler.reconcile_sweep(JobContext(job_id=0, attempts=1, payload=Tick("again")))
    wait_idle(restarted)  # the claims the second pass enqueued have been reconciled
    with restarted.services.db.session() as session:
        assert len(session.scalars(select(Vote)).all()) == 5
