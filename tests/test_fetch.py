"""The fetcher against real local servers: SSRF refusals in every spelling and on every hop (with a
server on the forbidden address proving it got no request), and resource limits in bounded time."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.articles.fetch import FetchError, FetchPolicy, check_destination, fetch, system_resolver
from bot.articles.reading import parse_article
from tests.conftest import SAMPLE_HTML
from tests.harness.article_server import ArticleServer
from tests.harness.fetching import policy_for, refused


@pytest.fixture
def server() -> Iterator[ArticleServer]:
    with ArticleServer() as started:
        started.add("/story", SAMPLE_HTML.read_bytes())
        yield started


def test_allowed_page_is_fetched_with_a_descriptive_user_agent(server: ArticleServer) -> None:
    page = fetch(server.url("/story?x=1"), policy_for(server))
    assert page.status == 200 and page.content_type == "text/html"
    assert "FactcheckDeskBot" in server.requests[0].headers["User-Agent"]
    assert parse_article(page.body, page.final_url).title.startswith("Report Indicates Iran")


@pytest.mark.parametrize("spelling", [
    "127.0.0.2", "2130706434", "0x7f.0.0.2", "0x7f000002", "127.2", "017700000002", "[::ffff:127.0.0.2]",
    "localhost", "[::1]", "169.254.169.254", "[fd00::1]", "10.0.0.1", "192.168.1.1", "172.16.0.1",
    "100.64.0.1", "224.0.0.1", "0.0.0.0", "[::]", "255.255.255.255", "240.0.0.1",
])
def test_private_addresses_are_refused_in_every_spelling(spelling: str, forbidden: ArticleServer) -> None:
    error = refused(f"http://{spelling}:{forbidden.port}/secret", FetchPolicy())
    assert error.code == "blocked"
    assert forbidden.hits("/secret") == 0


def test_user_info_tricks_and_other_schemes_are_refused(forbidden: ArticleServer) -> None:
    assert refused(f"http://news.example@127.0.0.2:{forbidden.port}/secret", FetchPolicy()).code == "blocked"
    for url in ("file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.org/a", "data:text/html,hi",
                "javascript:alert(1)"):
        assert refused(url, FetchPolicy()).code in ("scheme", "invalid_url")
    assert forbidden.hits("/secret") == 0


def test_a_public_name_resolving_to_a_private_address_is_refused(forbidden: ArticleServer) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.2"] if host == "innocent.example" else system_resolver(host, port)

    error = refused(f"http://innocent.example:{forbidden.port}/secret", FetchPolicy(), resolver=resolver)
    assert error.code == "blocked"
    assert forbidden.hits("/secret") == 0


def test_a_name_with_any_private_address_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]  # round-robin with one internal answer

    with pytest.raises(FetchError) as caught:
        check_destination("http://mixed.example/", FetchPolicy(), resolver)
    assert caught.value.code == "blocked"


def test_the_connection_goes_to_the_checked_address(server: ArticleServer) -> None:
    """DNS rebinding: the first answer is checked, a second lookup would say otherwise. The fetcher
    connects to the address it checked (URL pinned to the IP, Host header kept), so it never asks again."""
    answers = iter([["127.0.0.1"], ["127.0.0.2"]])
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    policy = FetchPolicy(allowed_private_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    page = fetch(f"http://rebind.example:{server.port}/story", policy, resolver=rebinding)
    assert page.status == 200
    assert lookups == ["rebind.example"]
    assert server.requests[-1].headers["Host"] == f"rebind.example:{server.port}"


def test_every_redirect_hop_is_checked(server: ArticleServer, forbidden: ArticleServer) -> None:
    server.add_redirect("/hop", f"http://127.0.0.2:{forbidden.port}/secret")
    server.add_redirect("/hop-decimal", f"http://2130706434:{forbidden.port}/secret", status=301)
    for path in ("/hop", "/hop-decimal"):
        assert refused(server.url(path), policy_for(server)).code == "blocked"
    assert forbidden.hits("/secret") == 0


def test_redirect_loops_and_long_chains_end(server: ArticleServer) -> None:
    server.add_redirect("/loop", "/loop")
    for index in range(30):
        server.add_redirect(f"/r{index}", f"/r{index + 1}")
    started = time.monotonic()
    assert refused(server.url("/loop"), policy_for(server)).code == "redirects"
    assert refused(server.url("/r0"), policy_for(server)).code == "redirects"
    assert server.hits("/r6") == 0  # stopped after the allowed number of hops
    assert time.monotonic() - started < 5


def test_body_cap_is_enforced_while_streaming(server: ArticleServer) -> None:
    server.add_stream("/huge", total_bytes=200 * 1024 * 1024)
    server.add_stream("/huge-unannounced", total_bytes=200 * 1024 * 1024, declare_length=False)
    server.add("/one-line", "<html><body><p>" + "a" * (10 * 1024 * 1024) + "</p></body></html>")
    for path in ("/huge", "/huge-unannounced", "/one-line"):
        started = time.monotonic()
        assert refused(server.url(path), policy_for(server, max_bytes=5 * 1024 * 1024)).code == "too_large"
        assert time.monotonic() - started < 5


def test_gzip_bomb_is_cut_at_the_cap(server: ArticleServer) -> None:
    server.add_gzip_bomb("/bomb", expanded_bytes=200 * 1024 * 1024)
    started = time.monotonic()
    assert refused(server.url("/bomb"), policy_for(server)).code == "too_large"
    assert time.monotonic() - started < 10


def test_a_trickling_server_hits_the_total_deadline(server: ArticleServer) -> None:
    server.add_trickle("/trickle", total=1000, chunk=b"x", interval=0.2)
    started = time.monotonic()
    error = refused(server.url("/trickle"), policy_for(server, total_timeout=1.5))
    assert error.code == "timeout"
    assert time.monotonic() - started < 3


def test_a_silent_server_hits_the_deadline(server: ArticleServer) -> None:
    server.add("/silent", "<html></html>", delay=5)
    started = time.monotonic()
    assert refused(server.url("/silent"), policy_for(server, total_timeout=1.0)).code == "timeout"
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(("body", "content_type", "expected"), [
    (b"%PDF-1.5\n...", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n....", "text/html", "image"),
    (b"GIF89a....", "image/gif", "image"),
    (b"{}", "application/json", "application/json"),
])
def test_non_html_is_refused_by_type_or_by_content(server: ArticleServer, body: bytes, content_type: str,
                                                   expected: str) -> None:
    server.add("/thing", body, content_type=content_type)
    error = refused(server.url("/thing"), policy_for(server))
    assert error.code == "not_html" and expected in error.message


def test_mislabelled_and_non_utf8_charsets_are_read(server: ArticleServer) -> None:
    text = ("<html><head><meta charset='iso-8859-1'><title>Caffè</title></head><body><article><p>"
            + "Il governo ha speso 3,5 miliardi di euro nel 2023, secondo la Corte dei conti, più del previsto. " * 4
            + "</p></article></body></html>")
    server.add("/latin1", text.encode("iso-8859-1"), content_type="text/html; charset=utf-8")
    page = fetch(server.url("/latin1"), policy_for(server))
    article = parse_article(page.body, page.final_url)
    assert "più del previsto" in article.text
