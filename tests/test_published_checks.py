"""The Fact Check Tools client against a local stand-in that answers in the API's documented shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.matching.published import FactCheckTools, PublishedLookupError, RateLimiter
from tests.harness.factcheck_tools import FactCheckToolsStandIn


@pytest.fixture
def tools() -> Iterator[FactCheckToolsStandIn]:
    with FactCheckToolsStandIn() as server:
        server.publish("Iran paid Taliban fighters bounties to attack the Bagram air base",
                       publisher="Example Checks", rating="Unproven", url="https://checks.example/bagram",
                       review_date="2026-01-20T00:00:00Z", claimant="CNN")
        server.publish("Vaccines contain microchips", publisher="Other Checks", rating="False",
                       url="https://other.example/chips", review_date="2025-03-01T00:00:00Z")
        yield server


def client(server: FactCheckToolsStandIn, **kwargs: object) -> FactCheckTools:
    return FactCheckTools(server.api_key, server.base_url, timeout=2.0, **kwargs)  # type: ignore[arg-type]


def test_a_published_check_is_found_with_publisher_rating_date_and_link(tools: FactCheckToolsStandIn) -> None:
    found = client(tools).search("The bounties Iran paid Taliban fighters led to the attack on Bagram air base.")
    assert [(c.publisher, c.rating, c.url, c.review_date, c.claimant) for c in found] == [
        ("Example Checks", "Unproven", "https://checks.example/bagram", "2026-01-20T00:00:00Z", "CNN")]
    assert tools.requests[0]["key"] == tools.api_key


def test_nothing_published_is_an_empty_answer(tools: FactCheckToolsStandIn) -> None:
    assert client(tools).search("The council approved the new bus lanes on Tuesday evening.") == []


def test_answers_are_cached(tools: FactCheckToolsStandIn) -> None:
    checker = client(tools)
    first = checker.search("Vaccines contain microchips, a post claimed")
    second = checker.search("Vaccines contain microchips, a post claimed")
    assert first == second and len(first) == 1
    assert len(tools.requests) == 1


def test_failures_are_errors_that_do_not_leak_the_key(tools: FactCheckToolsStandIn) -> None:
    tools.fail_next(503)
    with pytest.raises(PublishedLookupError) as unavailable:
        client(tools).search("Vaccines contain microchips")
    assert "503" in str(unavailable.value)
    with pytest.raises(PublishedLookupError) as bad_key:
        FactCheckTools("wrong-key", tools.base_url, timeout=2.0).search("Vaccines contain microchips")
    assert "400" in str(bad_key.value) and "wrong-key" not in str(bad_key.value)


def test_a_slow_api_times_out(tools: FactCheckToolsStandIn) -> None:
    tools.fail_next(0, seconds=1.5)
    with pytest.raises(PublishedLookupError, match="no answer"):
        FactCheckTools(tools.api_key, tools.base_url, timeout=0.5).search("Vaccines contain microchips")


def test_the_rate_limit_refuses_calls_beyond_the_budget() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0])  # bursts of 6, then one a second
    assert [limiter.wait_time() for _ in range(6)] == [0.0] * 6
    assert limiter.wait_time() == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.wait_time() == 0.0
