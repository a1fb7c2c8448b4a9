"""Seen before: does a new claim match one the desk has stored (and perhaps checked) already?

Issue #13. Offline by default, on the database the bot already uses; independent of the Slack side.

Public API (integration into the Slack flow is left to the caller)::

    from bot.matching import ClaimMatcher, Match, Embedder

    matcher = ClaimMatcher()                     # one per process; thread-safe
    # optional: ClaimMatcher(embedder=Embedder(api_key, model="text-embedding-3-small", base_url=...))

    with db.session() as session:
        # Claims are indexed with their text automatically (triggers of migration 0006) when stored.
        # Call index() for a richer document (claim + quote / headline), and to store an embedding:
        matcher.index(session, claim_id, text)

        matches: list[Match] = matcher.find(
            session, new_claim_text,
            exclude_article_id=article.id,        # not the article being checked now
            visible_channels={"C0NEWS"},          # privacy: only claims posted in these channels
            limit=5,                              # threshold=... overrides the default cut-off
        )
        for m in matches:  # best first; m.score in [0, 1] and >= matcher.threshold
            m.claim_id, m.score, m.document, m.article_id, m.channel_id, m.permalink, m.status, m.verdict

`visible_channels=None` means "no restriction": use it only when the audience sees every channel.
`matcher.refresh_statistics(session)` re-fits the IDF statistics at once (they also refresh by
themselves after an hour or when the store grew by a tenth); `matcher.index_embeddings(session)`
backfills vectors for claims stored before embeddings were configured.

How it works and how well: bot/matching/matcher.py and README.md ("Seen before: claim matching");
the benchmark is bench/claim_matching.py.
"""

from bot.matching.embeddings import Embedder
from bot.matching.matcher import DEFAULT_THRESHOLD, ClaimMatcher, Match
from bot.matching.rerank import Weights

__all__ = ["DEFAULT_THRESHOLD", "ClaimMatcher", "Embedder", "Match", "Weights"]
