"""Finding and canonicalising article links in Slack messages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.intake.links import canonicalize, find_article_links, is_article_candidate


def test_slack_formatted_link_with_label_and_escaped_ampersand() -> None:
    found = find_article_links("is this right? <https://news.example/story?id=3&amp;utm_source=nl|news.example>")
    assert found.urls == ["https://news.example/story?id=3"]


def test_tracking_parameters_fragment_and_case_are_canonicalised() -> None:
    a = canonicalize("HTTPS://News.Example:443/a?utm_medium=x&b=2&a=1&fbclid=zz#comments")
    b = canonicalize("https://news.example/a?a=1&b=2")
    assert a == b == "https://news.example/a?a=1&b=2"


def test_same_article_twice_in_text_and_blocks_counts_once() -> None:
    blocks = [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": "see "}, {"type": "link", "url": "https://news.example/a#top"}]}]}]
    found = find_article_links("see <https://news.example/a>", blocks)
    assert found.urls == ["https://news.example/a"]


def test_links_only_in_rich_text_blocks_are_found() -> None:
    blocks = [{"type": "rich_text", "elements": [{"type": "rich_text_list", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "link", "url": "https://a.example/x"}]},
        {"type": "rich_text_section", "elements": [{"type": "link", "url": "https://b.example/y"}]}]}]}]
    assert find_article_links("", blocks).urls == ["https://a.example/x", "https://b.example/y"]


def test_slack_urls_images_and_non_http_are_skipped() -> None:
    text = ("<https://myteam.slack.com/archives/C1/p1> <https://files.slack.com/x/cat.png> "
            "<https://cdn.example/photo.JPG> <mailto:a@b.example|mail> <https://zoom.us/j/1> <ftp://x.example/a>")
    assert find_article_links(text).urls == []
    assert not is_article_candidate("https://news.example/chart.png")


def test_links_are_capped_and_the_rest_counted() -> None:
    text = " ".join(f"<https://news.example/{i}>" for i in range(50))
    found = find_article_links(text, limit=3)
    assert found.urls == [f"https://news.example/{i}" for i in range(3)]
    assert found.dropped == 47


def test_user_info_is_kept_for_the_fetcher_to_refuse() -> None:
    assert canonicalize("http://good.example@127.0.0.1/x") == "http://good.example@127.0.0.1/x"


@given(st.text(max_size=300))
def test_link_finding_never_crashes_on_any_text(text: str) -> None:
    found = find_article_links(text)
    assert all(url.startswith(("http://", "https://")) for url in found.urls)


@given(st.from_regex(r"https?://[a-z]{1,10}\.example/[a-z0-9/]{0,20}(\?[a-z]{1,5}=[a-z0-9]{0,5})?", fullmatch=True))
def test_canonicalisation_is_idempotent(url: str) -> None:
    once = canonicalize(url)
    assert once is not None
    assert canonicalize(once) == once
