"""Links the bot cannot read get exactly one plain-words reply in the thread, and no claim threads."""

from __future__ import annotations

import pytest

from tests.conftest import NEWS_CHANNEL, RunningBot
from tests.harness.posts import bot_replies, claim_posts
from tests.harness.waiting import assert_quiet, wait_for_card, wait_until

NO_CLAIMS_PAGE = """<html lang="en"><head><title>Tasting notes</title></head><body><article>
<h1>Tasting notes</h1>
<p>We love the smell of fresh bread in the morning and we hope you will enjoy it too when you visit us.</p>
<p>Come and see us whenever you like, and bring your friends along for a relaxed afternoon together.</p>
<p>Thanks for reading and have a lovely week, wherever you are and whatever you are planning to do.</p>
</article></body></html>"""

EMPTY_PAGE = "<html><head><title>App</title></head><body><div id='root'></div><script>load()</script></body></html>"


def reply_for(bot: RunningBot, path: str) -> dict:
    ts = bot.post_link(f"<{bot.article_url(path)}>")
    reply = wait_for_card(bot, NEWS_CHANNEL, ts)
    assert_quiet(bot.slack, 0.3, "chat.postMessage")  # nothing else (wrongly) posted after the reply
    replies = bot_replies(bot.slack, NEWS_CHANNEL, ts)
    assert len(replies) == 1, replies
    assert not claim_posts(bot.slack, NEWS_CHANNEL)
    return reply


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda a: None, "not found (HTTP 404)"),
        (lambda a: a.add("/page", b"%PDF-1.4 ...", content_type="application/pdf"), "PDF"),
        (lambda a: a.add("/page", b"%PDF-1.7 binary", content_type="text/html"), "PDF"),
        (lambda a: a.add("/page", b"x", status=403), "paywall or login"),
        (lambda a: a.add("/page", b"oops", status=503), "try again later"),
        (lambda a: a.add("/page", EMPTY_PAGE), "no readable article text"),
        (lambda a: a.add_stream("/page", total_bytes=50 * 1024 * 1024, content_type="text/html"), "too big"),
        (lambda a: a.add_stream("/page", total_bytes=50 * 1024 * 1024, content_type="text/html",
                                declare_length=False), "too big"),
        (lambda a: a.add("/page", b"<html>slow</html>", delay=8.0), "took too long"),
        (lambda a: a.add_redirect("/page", "/page"), "redirects more than"),
    ],
    ids=["404", "pdf", "pdf-as-html", "paywall", "server-error", "no-text", "50MB", "50MB-unannounced",
         "slow", "redirect-loop"],
)
def test_unreadable_page_gets_one_clear_reply(bot: RunningBot, setup, expected: str) -> None:
    setup(bot.articles)
    reply = reply_for(bot, "/page")
    assert "couldn't check" in reply["text"]
    assert expected in reply["text"]


def test_article_without_checkworthy_claims_says_so(bot: RunningBot) -> None:
    bot.articles.add("/bread", NO_CLAIMS_PAGE)
    reply = reply_for(bot, "/bread")
    # Issue 17: a page with nothing to check says what it looks like instead of "no check-worthy claims".
    assert "nothing to check" in reply["text"].lower()
    assert "No claim threads were opened." in str(reply["blocks"])


def test_private_address_is_refused_and_never_requested(bot: RunningBot) -> None:
    # 127.0.0.1 on the article server's port is allowed by the test settings; 127.0.0.2 is not.
    url = f"http://127.0.0.2:{bot.articles.port}/bagram-bounty"
    ts = bot.post_link(f"<{url}>")
    reply = wait_for_card(bot, NEWS_CHANNEL, ts)
    assert "private or internal network" in reply["text"]
    assert bot.articles.hits("/bagram-bounty") == 0


def test_too_many_links_are_capped_and_the_bot_says_so(bot: RunningBot) -> None:
    for index in range(6):
        bot.articles.add(f"/n{index}", b"", status=404)
    links = " ".join(f"<{bot.article_url(f'/n{i}')}>" for i in range(6))
    ts = bot.post_link(f"lots: {links}")
    wait_until(lambda: len(bot_replies(bot.slack, NEWS_CHANNEL, ts)) >= 4, 15, "four replies")
    texts = [m["text"] for m in bot_replies(bot.slack, NEWS_CHANNEL, ts)]
    assert sum("couldn't check" in t for t in texts) == 3
    assert sum("checking the first 3" in t and "left out 3" in t for t in texts) == 1
    assert all(bot.articles.hits(f"/n{i}") == 0 for i in range(3, 6))


def test_claim_channel_the_bot_cannot_post_in_is_explained(bot_factory, slack) -> None:
    slack.add_channel("C0LOCKED", "factcheck-private", is_private=True)
    with slack._lock:
        slack.channels["C0LOCKED"].members.remove("U0BOT")
    bot = bot_factory(factcheck_channel="C0LOCKED")
    ts = bot.post_link(f"<{bot.article_url('/bagram-bounty')}>")
    reply = wait_for_card(bot, NEWS_CHANNEL, ts)
    # Slack answers channel_not_found (not not_in_channel) for a private channel the bot is not in.
    assert "can't see the claim channel (C0LOCKED)" in reply["text"]
    assert "if it is private, invite me there with /invite" in reply["text"]
