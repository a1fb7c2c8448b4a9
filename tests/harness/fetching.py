"""What the fetcher tests share: a policy that admits the local article server, and a refusal catcher."""

from __future__ import annotations

import pytest

from bot.articles.fetch import FetchError, FetchPolicy, fetch
from tests.harness.article_server import ArticleServer


def policy_for(server: ArticleServer, **kwargs: object) -> FetchPolicy:
    """The bot's policy, with only this local test server exempt from the private-address block."""
    return FetchPolicy(allowed_private_hosts=frozenset({f"127.0.0.1:{server.port}"}), **kwargs)  # type: ignore[arg-type]


def refused(url: str, policy: FetchPolicy, **kwargs: object) -> FetchError:
    """The FetchError the fetcher raises for url (the test fails if it fetches instead)."""
    with pytest.raises(FetchError) as caught:
        fetch(url, policy, **kwargs)  # type: ignore[arg-type]
    return caught.value
