"""Claim matching ("seen before", issue #13) on a real database: SQLite here, PostgreSQL with
TEST_DATABASE_URL. Each test gets a fresh, migrated store; nothing is mocked except the embeddings
provider, which is the local OpenAI-compatible stand-in reached through the real `openai` client.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select, text

from bot.matching import ClaimMatcher, Embedder
from bot.matching.text import normalise
from storage.db import MIGRATIONS, Database
from storage.models import Article, Claim, ClaimEmbedding, ClaimSearchDocument, utcnow
from tests.harness.openai_server import OpenAIStandIn

NEWS = "C0NEWS"
SECRET = "C0SECRET"

# Claims a desk might have checked over the months: the store the matcher searches.
STORED = [
    "Bill Gates plans to use COVID-19 vaccines to implant microchips in people.",
    "5G mobile phone masts spread the coronavirus.",
    "Drinking hot water with lemon cures the coronavirus.",
    "Hillary Clinton was arrested for child trafficking in 2019.",
    "A photograph shows a shark swimming on a flooded highway during Hurricane Harvey.",
    "The Australian bushfires were started by climate activists.",
    "Nancy Pelosi diverted Social Security money to pay for the impeachment inquiry.",
    "The CBC removed Donald Trump's cameo from Home Alone 2.",
    "Unemployment among Black Americans fell to its lowest level on record in 2019.",
    "The European Union banned curved bananas.",
    "Eating carrots improves night vision.",
    "Kenya's tetanus immunisation campaign secretly sterilised women.",
    "Greta Thunberg was photographed eating lunch in front of poor children on a train.",
    "The city council voted to rename Main Street after a local football coach.",
    "Wind turbines kill more birds each year than cats do.",
    "A new law lets police fine drivers who eat behind the wheel.",
]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def store(db: Database, texts: list[str], channel: str | None = NEWS, url: str = "https://example.org/a") -> list[int]:
    """Store claims as the pipeline does (plain inserts); the migration's triggers index them."""
    with db.session() as session:
        article_id = session.execute(insert(Article).values(canonical_url=url, url=url).returning(Article.id)
                                     ).scalar_one()
        ids = []
        for position, claim in enumerate(texts):
            ids.append(session.execute(insert(Claim).values(
                article_id=article_id, position=position, text=claim, quote=claim, score=0.9, channel_id=channel,
                created_at=utcnow(), updated_at=utcnow()).returning(Claim.id)).scalar_one())
    return ids


def find(db: Database, matcher: ClaimMatcher, query: str, **kwargs: object) -> list[tuple[int, float]]:
    with db.session() as session:
        return [(m.claim_id, m.score) for m in matcher.find(session, query, **kwargs)]  # type: ignore[arg-type]


def fts_ids(db: Database, word: str) -> set[int]:
    """What the full-text index itself (not claim_search) returns for one word."""
    with db.session() as session:
        if db.is_postgres:
            sql = "SELECT claim_id FROM claim_search WHERE tsv @@ to_tsquery('english', :w)"
        else:
            sql = "SELECT rowid FROM claim_search_fts WHERE claim_search_fts MATCH :w"
        return set(session.execute(text(sql), {"w": word}).scalars())


def test_a_reworded_claim_is_found_and_an_unrelated_one_is_not(db: Database) -> None:
    ids = store(db, STORED)
    matcher = ClaimMatcher()
    tweet = ("Wake up people!!! Bill Gates wants to put a microchip in everyone through the coronavirus vaccine "
             "#BillGates #Covid19 pic.twitter.com/AbC123 — Concerned Mom (@concerned_mom) April 2, 2020")
    found = find(db, matcher, tweet)
    assert found, "the reworded claim was not found"
    assert found[0][0] == ids[0]
    assert found[0][1] >= matcher.threshold
    # Another rewording, of a different stored claim.
    found = find(db, matcher, "Did the CBC cut Trump's cameo out of Home Alone 2 when it aired at Christmas?")
    assert found[0][0] == ids[7]
    # Unrelated claims share a few words with the store ("police", "city", "people") but match nothing.
    assert find(db, matcher, "The mayor says city police will hire 200 new officers next year.") == []
    assert find(db, matcher, "Stock markets in Asia closed higher on Tuesday after a volatile week.") == []
    # With the threshold lowered to zero, the same query does return candidates: the cut-off is what stops them.
    assert find(db, matcher, "The mayor says city police will hire 200 new officers next year.", threshold=0.0)


def test_claims_from_invisible_channels_are_never_returned(db: Database) -> None:
    secret = store(db, ["Bill Gates plans to use COVID-19 vaccines to implant microchips in people."],
                   channel=SECRET, url="https://example.org/secret")
    public = store(db, STORED[1:], channel=NEWS)
    unposted = store(db, ["5G masts spread the coronavirus, a leaked report says."], channel=None,
                     url="https://example.org/draft")
    matcher = ClaimMatcher()
    query = "Bill Gates will implant microchips in people with the COVID-19 vaccine"
    assert [cid for cid, _ in find(db, matcher, query)][:1] == secret  # visible to an audience seeing everything
    assert find(db, matcher, query, visible_channels={NEWS}) == []
    assert find(db, matcher, query, visible_channels=set()) == []
    assert [cid for cid, _ in find(db, matcher, query, visible_channels={SECRET, NEWS})][:1] == secret
    # A claim not posted to any channel is only returned without a channel restriction.
    five_g = "Do 5G masts spread the coronavirus?"
    visible = [cid for cid, _ in find(db, matcher, five_g, visible_channels={NEWS})]
    assert unposted[0] not in visible and public[0] in visible
    assert unposted[0] in [cid for cid, _ in find(db, matcher, five_g)]


def test_the_article_being_checked_is_excluded(db: Database) -> None:
    ids = store(db, STORED)
    with db.session() as session:
        article_id = session.get(Claim, ids[0]).article_id  # type: ignore[union-attr]
    matcher = ClaimMatcher()
    assert find(db, matcher, STORED[0])[0][0] == ids[0]
    assert all(cid not in ids for cid, _ in find(db, matcher, STORED[0], exclude_article_id=article_id))


def test_the_full_text_index_stays_in_step_with_claims(db: Database) -> None:
    ids = store(db, STORED)
    matcher = ClaimMatcher()
    assert fts_ids(db, "bananas") == {ids[9]}
    # Update: the old words leave the index, the new ones enter it.
    with db.session() as session:
        session.get(Claim, ids[9]).text = "The European Union banned straight cucumbers."  # type: ignore[union-attr]
    assert fts_ids(db, "bananas") == set()
    assert fts_ids(db, "cucumbers") == {ids[9]}
    assert find(db, matcher, "EU bans straight cucumbers")[0][0] == ids[9]
    assert all(cid != ids[9] for cid, _ in find(db, matcher, "EU bans curved bananas"))
    # Insert: found at once, no explicit index call.
    (new,) = store(db, ["Penguins were spotted on a beach in Florida."], url="https://example.org/new")
    assert fts_ids(db, "penguins") == {new}
    assert find(db, matcher, "penguins seen on Florida beach")[0][0] == new
    # An explicit document (claim plus headline) replaces the claim text in the index.
    with db.session() as session:
        matcher.index(session, new, "Penguins were spotted on a beach in Florida. Are Penguins Vacationing in Miami?")
    assert fts_ids(db, "miami") == {new} and fts_ids(db, "penguins") == {new}
    # Delete: gone from the index and from the results.
    with db.session() as session:
        session.delete(session.get(Claim, new))
    assert fts_ids(db, "penguins") == set() and fts_ids(db, "miami") == set()
    assert find(db, matcher, "penguins seen on Florida beach") == []
    with db.session() as session:
        assert session.execute(text("SELECT count(*) FROM claim_search")).scalar_one() == len(STORED)
        if not db.is_postgres:  # FTS5's own consistency check against its content table
            session.execute(text("INSERT INTO claim_search_fts(claim_search_fts) VALUES ('integrity-check')"))


def test_embeddings_path_with_a_local_openai_compatible_server(db: Database) -> None:
    ids = store(db, STORED)
    with OpenAIStandIn(api_key="sk-embed-test") as server:
        embedder = Embedder("sk-embed-test", model="test-embedding", base_url=server.base_url, max_retries=0)
        matcher = ClaimMatcher(embedder=embedder)
        with db.session() as session:
            assert matcher.index_embeddings(session) == len(STORED)
            assert matcher.index_embeddings(session) == 0  # vectors are stored, not recomputed
        with db.session() as session:
            rows = session.query(ClaimEmbedding).all()
        assert {r.claim_id for r in rows} == set(ids) and {r.dimensions for r in rows} == {256}
        assert {r.model for r in rows} == {"test-embedding"}
        assert server.requests[0]["model"] == "test-embedding"
        # No word of this query is in the full-text index ("immunity" and "immunisation" differ after
        # stemming), so only the embedding can connect it to the stored Kenya claim.
        query = "Kenyan immunity drive sterility"
        assert find(db, ClaimMatcher(), query) == []
        found = find(db, matcher, query, threshold=0.2)
        assert found and found[0][0] == ids[11]
        # A changed text makes the stored vector stale: it is no longer used until re-embedded.
        with db.session() as session:
            session.get(Claim, ids[11]).text = "Kenya's measles campaign was a success."  # type: ignore[union-attr]
        assert all(cid != ids[11] for cid, _ in find(db, matcher, query, threshold=0.2))
        # The provider failing does not break matching: it falls back to full text.
        server.queue_error(500)
        assert find(db, matcher, "Bill Gates vaccine microchips")[0][0] == ids[0]


def test_normalise_strips_tweet_furniture() -> None:
    tweet = ("#DefundTheCBC now https://t.co/CsHG8R9cHp pic.twitter.com/0eJtwJyS1J @BradTrostCPC — "
             "Brad Trost (@BradTrostCPC) December 26, 2019")
    assert normalise(tweet) == "defund the cbc now brad trost cpc"


def test_claim_search_migration_downgrades_and_upgrades(db: Database) -> None:
    ids = store(db, STORED[:3])
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    with db.session() as session:  # the triggers are gone with the tables: storing a claim still works
        # Plain SQL: the ORM model has columns of later migrations that this schema lacks.
        session.execute(text("UPDATE claims SET text = 'changed' WHERE id = :id"), {"id": ids[0]})
    db.migrate()
    assert fts_ids(db, "changed") == {ids[0]}  # existing claims are indexed by the upgrade
    assert fts_ids(db, "masts") == {ids[1]}


def test_a_search_never_waits_for_the_word_statistics(db: Database) -> None:
    """Fitting the statistics takes 4-20 s at 100k claims on PostgreSQL; the first card after a start must
    not wait for it. The fit is held here until the search has returned: before the first fit the search
    matches nothing (no card is held), after it the claim is found, and stale statistics are used while
    they are re-fitted, again without waiting."""
    import threading
    import time

    from bot.matching.rerank import IdfModel

    ids = store(db, STORED)
    release = threading.Event()
    fits: list[float] = []

    def held_fit(texts: object) -> IdfModel:
        release.wait(30)
        fits.append(time.monotonic())
        return IdfModel.fit(texts)  # type: ignore[arg-type]

    matcher = ClaimMatcher(read_session=db.read_session, fit_inline_below=0, fit=held_fit)
    query = "Bill Gates wants to put microchips in people through COVID vaccines"

    def timed_find() -> tuple[float, list[tuple[int, float]]]:
        outcome: list[list[tuple[int, float]]] = []
        started = time.monotonic()
        searcher = threading.Thread(target=lambda: outcome.append(find(db, matcher, query)), daemon=True)
        searcher.start()
        searcher.join(5)
        assert outcome, "the search waited for the word statistics to be fitted"
        return time.monotonic() - started, outcome[0]

    elapsed, found = timed_find()
    assert found == [] and not matcher.has_statistics and not fits
    assert elapsed < 2.0
    release.set()
    deadline = time.monotonic() + 10
    while not matcher.has_statistics and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [claim_id for claim_id, _ in timed_find()[1]][:1] == [ids[0]]

    # Stale (the store grew): the old statistics answer while new ones are fitted in the background.
    release.clear()
    store(db, ["A brand new claim about tidal power stations in Wales."], url="https://example.org/b")
    elapsed, found = timed_find()
    assert [claim_id for claim_id, _ in found][:1] == [ids[0]] and elapsed < 2.0
    assert len(fits) == 1
    release.set()
    while len(fits) < 2 and time.monotonic() < deadline + 10:
        time.sleep(0.02)
    assert len(fits) == 2


def test_a_growing_small_store_adds_new_claims_to_the_statistics_instead_of_refitting(db: Database) -> None:
    """Each card adds claims; re-fitting every stored claim for each one cost the worker 0.4 s at 1,300
    claims. The new claims are added to the counts instead: the model is the one a full fit would give,
    and a claim stored after the last fit is found."""
    from bot.matching.rerank import IdfModel

    fits: list[int] = []

    def counted_fit(texts: object) -> IdfModel:
        model = IdfModel.fit(texts)  # type: ignore[arg-type]
        fits.append(model.documents)
        return model

    store(db, STORED[:4])
    matcher = ClaimMatcher(read_session=db.read_session, fit=counted_fit)
    assert find(db, matcher, "5G masts spread the coronavirus")  # fitted once, inline (a small store)
    later = store(db, STORED[4:], url="https://example.org/b")
    found = find(db, matcher, "Climate activists started the Australian bushfires")
    assert [claim_id for claim_id, _ in found][:1] == [later[1]]
    assert fits == [4]  # no second fit: the new claims were added to the first one's counts

    with db.read_session() as session:
        documents = [normalise(d) for d in session.scalars(select(ClaimSearchDocument.document))]
    full, added = IdfModel.fit(documents), IdfModel.fit(documents[:4]).extended(documents[4:])
    assert (added.documents, added.word_df, added.gram_df) == (full.documents, full.word_df, full.gram_df)
    assert added.word_table == full.word_table and added.gram_table == full.gram_table
