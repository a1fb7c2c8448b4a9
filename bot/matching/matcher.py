"""ClaimMatcher: "has this claim been checked already?" over the claims stored before.

Two stages. The database's full-text index returns up to `candidates` claims sharing the query's rarest
words (bot.matching.index); those are re-scored in Python (bot.matching.rerank) and, when an embeddings
endpoint is configured, blended with the cosine of stored embedding vectors. Anything scoring under
`threshold` is not reported: a false "already checked" costs the desk more than a miss, because the
reporter might skip a claim that was never actually checked.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import TextClause, bindparam, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from bot.matching import index as search_index
from bot.matching.embeddings import Embedder, document_hash, pack, unpack
from bot.matching.rerank import SAMPLE, IdfModel, Reranker, Weights
from bot.matching.text import normalise, words
from storage.models import Claim, ClaimEmbedding, ClaimSearchDocument

log = logging.getLogger(__name__)

# Chosen on the CheckThat! 2020 train/ queries (bench/claim_matching.py --choose-threshold): the score
# that best separates "the top result is the claim checked before" from "the best result when the
# claim checked before is absent". Reported once on dev/ in README.md.
DEFAULT_THRESHOLD = 0.37
# After a failed background fit, searches wait this long before asking for another.
FAILED_FIT_PAUSE = 60.0


@dataclass(frozen=True)
class Match:
    """A stored claim that looks like the one asked about; `score` in [0, 1], higher is closer."""

    claim_id: int
    score: float
    document: str
    article_id: int
    channel_id: str | None
    permalink: str | None
    status: str
    verdict: str | None
    created_at: datetime | None


class ClaimMatcher:
    """Find stored claims that state the same thing as a new one. Thread-safe; keep one per process."""

    def __init__(self, *, threshold: float = DEFAULT_THRESHOLD, candidates: int = 30, query_terms: int = 20,
                 posting_budget: int = 5_000, pair_terms: int = 6,
                 single_term_postings: int = 300,
                 weights: Weights | None = None, embedder: Embedder | None = None, embed_all_below: int = 5_000,
                 statistics_ttl: float = 3600.0, sample_size: int = SAMPLE,
                 read_session: Callable[[], AbstractContextManager[Session]] | None = None,
                 fit_inline_below: int = 2_000,
                 fit: Callable[[Iterable[str]], IdfModel] = IdfModel.fit) -> None:
        """`read_session`: where the word statistics are fitted in the background (e.g. Database.read_session).

        Fitting them on a 20,000-claim sample takes 4-20 s at 100k claims on PostgreSQL; with
        `read_session` a search never waits for it: stale statistics are used while new ones are fitted
        on a thread of their own, and before the first fit a search on a store of more than
        `fit_inline_below` claims matches nothing (a miss, never an unweighted false "checked before").
        A store up to that size is fitted inline, as before: it takes milliseconds. Without `read_session` (the CLI,
        benchmarks) statistics are fitted inline when needed. `fit` builds the model from the sample.
        """
        self.threshold = threshold
        self.candidates = candidates
        self.query_terms = query_terms
        self.posting_budget = posting_budget
        self.pair_terms = pair_terms
        self.single_term_postings = single_term_postings
        self.weights = weights or Weights()
        self.embedder = embedder
        self.embed_all_below = embed_all_below
        self.statistics_ttl = statistics_ttl
        self.sample_size = sample_size
        self.read_session = read_session
        self.fit_inline_below = fit_inline_below
        self._fit = fit
        self._refitting = False
        self._refit_failed_at = -math.inf
        self._lock = threading.Lock()
        self._reranker: Reranker | None = None
        self._fitted_at = 0.0
        self._fitted_max_id = 0
        self._fitted_total = 0

    # -- writing -------------------------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """Embedding vectors of texts, None each when embeddings are off or the call failed.

        A network call: make it before opening a database session and pass the vectors to index() and
        find(), so no transaction (on SQLite, the process's write lock) waits on the embeddings API.
        """
        if self.embedder is None or not texts:
            return [None] * len(texts)
        try:
            return [np.asarray(v, dtype=np.float32) for v in self.embedder.embed(list(texts))]
        except Exception:  # the openai client raises many kinds; none may lose the claim itself
            log.warning("embedding %d texts failed; matching on full text only", len(texts), exc_info=True)
            return [None] * len(texts)

    def index(self, session: Session, claim_id: int, text: str, *, vector: np.ndarray | None = None,
              embed: bool = True) -> None:
        """Make `text` the searchable document of claim `claim_id` (e.g. claim plus quote or headline).

        Claims are indexed with their own text by trigger as they are stored, so calling this is only
        needed for a richer document, and (with embeddings configured) to store the claim's vector:
        `vector` from embed(), computed before the session; with embed=False and no vector none is stored.
        Without either, the vector is asked for here, inside the caller's session (the CLI's backfill).
        An embeddings failure is logged and skipped: the claim stays findable through the full-text path.
        """
        search_index.upsert(session, claim_id, text)
        if self.embedder is None:
            return
        if vector is None and embed:
            vector = self.embed([text])[0]
        if vector is None:
            return
        self._store_vector(session, claim_id, text, [float(x) for x in vector])

    def index_embeddings(self, session: Session, batch: int = 64) -> int:
        """Embed the search documents that have no current vector (backfill); returns how many."""
        if self.embedder is None:
            return 0
        rows = session.execute(
            select(ClaimSearchDocument.claim_id, ClaimSearchDocument.document, ClaimEmbedding.document_hash)
            .outerjoin(ClaimEmbedding, ClaimEmbedding.claim_id == ClaimSearchDocument.claim_id)
        ).all()
        todo = [(cid, doc) for cid, doc, digest in rows if digest != document_hash(doc)]
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            vectors = self.embedder.embed([doc for _, doc in chunk])
            for (claim_id, doc), vector in zip(chunk, vectors, strict=True):
                self._store_vector(session, claim_id, doc, vector)
        return len(todo)

    def _store_vector(self, session: Session, claim_id: int, document: str, vector: Sequence[float]) -> None:
        assert self.embedder is not None
        row = session.get(ClaimEmbedding, claim_id)
        if row is None:
            row = ClaimEmbedding(claim_id=claim_id)
            session.add(row)
        row.model = self.embedder.model
        row.document_hash = document_hash(document)
        row.dimensions = len(vector)
        row.vector = pack(vector)
        session.flush()

    # -- reading -------------------------------------------------------------------------------------

    def refresh_statistics(self, session: Session) -> None:
        """Re-fit the IDF model on (a sample of) the stored claims now."""
        total, documents = search_index.sample_documents(session, self.sample_size)
        max_id = session.execute(select(func.max(ClaimSearchDocument.claim_id))).scalar() or 0
        model = self._fit(normalise(d) for d in documents)
        with self._lock:
            self._reranker = Reranker(model, self.weights)
            self._fitted_at = time.monotonic()
            self._fitted_total = total
            self._fitted_max_id = int(max_id)

    def _extend_statistics(self, session: Session, max_id: int) -> None:
        """Add the claims indexed since the last fit to the word statistics, instead of re-fitting all.

        The count is read too: a claim whose id is below the last one seen but that was committed after
        it (concurrent writers on PostgreSQL) leaves the model a document short, so it is not taken as
        exact (`query_terms_for`) until the next full fit, at the TTL."""
        reranker = self._reranker
        assert reranker is not None
        documents = session.execute(select(ClaimSearchDocument.document)
                                    .where(ClaimSearchDocument.claim_id > self._fitted_max_id)).scalars().all()
        total = int(session.execute(select(func.count()).select_from(ClaimSearchDocument)).scalar() or 0)
        model = reranker.model.extended(normalise(d) for d in documents)
        with self._lock:
            self._reranker = Reranker(model, self.weights)
            self._fitted_total = total
            self._fitted_max_id = max_id

    @property
    def has_statistics(self) -> bool:
        return self._reranker is not None

    def refit_in_background(self) -> bool:
        """Start fitting the word statistics on a thread of its own (at start-up, or when they are stale);
        False when one is already under way or there is nowhere to read from."""
        if self.read_session is None:
            return False
        with self._lock:
            if self._refitting:
                return False
            self._refitting = True
        threading.Thread(target=self._refit, name="matcher-refit", daemon=True).start()
        return True

    def _refit(self) -> None:
        assert self.read_session is not None
        started = time.monotonic()
        try:
            with self.read_session() as session:
                self.refresh_statistics(session)
            log.info("claim matcher: word statistics fitted in %.1f s (%d claims stored)",
                     time.monotonic() - started, self._fitted_total)
        except Exception:  # a failed fit leaves the old statistics in use; the next search asks again
            self._refit_failed_at = time.monotonic()
            log.warning("claim matcher: fitting the word statistics failed; keeping what there is", exc_info=True)
        finally:
            with self._lock:
                self._refitting = False

    def _current_reranker(self, session: Session) -> tuple[Reranker | None, bool]:
        """The reranker, re-fitted when stale, and whether claims were added since it was fitted.

        Stale means: after the TTL, or once the store grew by a tenth (small stores: by anything, as
        re-fitting them is cheap). Growth is read from max(claim_id), one index lookup, not count(*).
        With `read_session`, stale statistics are re-fitted in the background and used meanwhile; None
        means there are none yet on a store too big to fit them inline.
        """
        reranker = self._reranker
        max_id = int(session.execute(select(func.max(ClaimSearchDocument.claim_id))).scalar() or 0)
        grown = max_id - self._fitted_max_id
        fresh = reranker is not None and time.monotonic() - self._fitted_at < self.statistics_ttl
        if fresh and (grown <= 0 or (self._fitted_total >= 1000 and grown <= 0.1 * self._fitted_total)):
            return reranker, grown > 0
        if self.read_session is None or max_id <= self.fit_inline_below:
            if fresh and self._fitted_total <= self.sample_size:
                self._extend_statistics(session, max_id)  # the model holds every claim: add the new ones
            else:
                self.refresh_statistics(session)
            assert self._reranker is not None
            return self._reranker, False
        if time.monotonic() - self._refit_failed_at > FAILED_FIT_PAUSE:
            self.refit_in_background()
        if reranker is None:
            log.info("claim matcher: word statistics are being fitted; matching nothing until they are")
        return reranker, grown > 0

    def query_terms_for(self, reranker: Reranker, normalised: str, grown: bool = True) -> list[str]:
        """The query's rarest words (by stored-corpus IDF), at most `query_terms` of them.

        When the model was fitted on every stored claim and none was added since (`grown` False), a word
        it never saw cannot match anything and is left out rather than crowding out words that can.
        """
        model = reranker.model
        exact = model.documents >= self._fitted_total and not grown
        unique = dict.fromkeys(words(normalised))
        terms = [w for w in unique if not (exact and model.word_df.get(w, 0) == 0)]
        terms.sort(key=model.word_idf, reverse=True)
        return terms[: self.query_terms]

    def query_groups_for(self, reranker: Reranker, normalised: str, grown: bool = True,
                         dialect: str = "sqlite") -> list[list[str]]:
        """The full-text query: claims containing all the words of any group are candidates.

        While the claims containing the query's rarest words (estimated from the sample) fit
        `posting_budget`, the query is simply any of those words; on a small store that is all of them
        and nothing is lost. Beyond the budget the backends differ, because their costs do:
        * SQLite: FTS5 ranks from its own index, so the cost is the length of the posting lists read;
          words are added rarest first only while the budget allows (at least 4).
        * PostgreSQL: ts_rank reads every matching claim's tsvector from the heap, so the number of
          matches is the cost; the query asks for two of the `pair_terms` rarest words at once, or any
          single word found in fewer than `single_term_postings` claims. The GIN index intersects the
          posting lists and only claims that share real evidence with the query are ranked.
        """
        model = reranker.model
        terms = self.query_terms_for(reranker, normalised, grown)
        scale = self._fitted_total / max(1, model.documents)
        postings = {t: model.word_df.get(t, 0) * scale for t in terms}
        if sum(postings.values()) <= self.posting_budget or len(terms) < 2:
            return [[t] for t in terms]
        if dialect != "postgresql":
            chosen: list[list[str]] = []
            total = 0.0
            for term in terms:
                total += postings[term]
                if len(chosen) >= 4 and total > self.posting_budget:
                    break
                chosen.append([term])
            return chosen
        rare = terms[: self.pair_terms]
        singles = [t for t in rare if postings[t] <= self.single_term_postings]
        others = [t for t in rare if t not in singles]
        pairs = [[a, b] for i, a in enumerate(others) for b in others[i + 1:]]
        return [[t] for t in singles] + pairs

    def find(self, session: Session, text: str, *, exclude_article_id: int | None = None,
             visible_channels: Collection[str] | None = None, limit: int = 5,
             threshold: float | None = None, query_vector: np.ndarray | None = None,
             embed: bool = True) -> list[Match]:
        """Stored claims that match `text`, best first, each scoring at least the threshold.

        `visible_channels`: only claims posted in these channels can be returned (the caller decides
        what the audience may see; claims not yet posted to any channel are then excluded too). None
        means no restriction, for callers whose audience sees every channel. `exclude_article_id`
        leaves out the claims of the article being checked now. `query_vector`: the text's embedding
        from embed(), computed before the session (with embed=False and none, full text only); without
        either, it is asked for here, inside the session.
        """
        cutoff = self.threshold if threshold is None else threshold
        normalised = normalise(text)
        if not normalised:
            return []
        reranker, grown = self._current_reranker(session)
        if reranker is None:
            return []
        groups = self.query_groups_for(reranker, normalised, grown, session.get_bind().dialect.name)
        found = search_index.search(session, groups, limit=self.candidates, exclude_article_id=exclude_article_id,
                                    visible_channels=visible_channels)
        candidates = {c.claim_id: c for c in found}
        similarities: dict[int, float] = {}
        if self.embedder is not None:
            if query_vector is None and embed:
                query_vector = self.embed([text])[0]
            if query_vector is not None:
                similarities = self._embedding_similarities(session, query_vector, candidates,
                                                            exclude_article_id, visible_channels)
        scored: list[tuple[float, int]] = []
        for claim_id, candidate in candidates.items():
            score = reranker.score(normalised, normalise(candidate.document), candidate.position,
                                   similarities.get(claim_id) if self.embedder is not None else None)
            if score >= cutoff:
                scored.append((score, claim_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return self._matches(session, scored[:limit], candidates)

    def _embedding_similarities(self, session: Session, query: np.ndarray,
                                candidates: dict[int, search_index.Candidate], exclude_article_id: int | None,
                                visible_channels: Collection[str] | None) -> dict[int, float]:
        """Cosine of the query's embedding with stored vectors: of the candidates, or of every visible
        claim when the store is small (then claims without a shared word can be found too)."""
        assert self.embedder is not None
        everything = self._fitted_total <= self.embed_all_below
        where, params = search_index._filters(exclude_article_id, visible_channels)
        sql = ("SELECT e.claim_id, e.vector, e.document_hash, s.document FROM claim_embeddings e "
               "JOIN claims c ON c.id = e.claim_id JOIN claim_search s ON s.claim_id = e.claim_id WHERE 1=1" + where)
        if not everything:
            if not candidates:
                return {}
            sql += " AND e.claim_id IN :ids"
            params["ids"] = list(candidates)
        statement = text_clause(sql, visible_channels is not None, not everything)
        norm = float(np.linalg.norm(query)) or 1.0
        similarities: dict[int, float] = {}
        for claim_id, blob, digest, document in session.execute(statement, params).all():
            if digest != document_hash(document):
                continue  # the text changed since this vector was computed
            vector = unpack(blob)
            if vector.shape != query.shape:
                continue  # another embedding model
            similarities[claim_id] = float(vector @ query) / (norm * (float(np.linalg.norm(vector)) or 1.0))
            if claim_id not in candidates:
                candidates[claim_id] = search_index.Candidate(claim_id, document, self.candidates)
        return similarities

    def _matches(self, session: Session, scored: list[tuple[float, int]],
                 candidates: dict[int, search_index.Candidate]) -> list[Match]:
        if not scored:
            return []
        ids = [claim_id for _, claim_id in scored]
        rows = {c.id: c for c in session.execute(select(Claim).where(Claim.id.in_(ids))).scalars()}
        matches = []
        for score, claim_id in scored:
            claim = rows.get(claim_id)
            if claim is None:
                continue
            matches.append(Match(claim_id=claim_id, score=round(min(1.0, max(0.0, score)), 4),
                                 document=candidates[claim_id].document, article_id=claim.article_id,
                                 channel_id=claim.channel_id, permalink=claim.permalink, status=claim.status,
                                 verdict=claim.verdict, created_at=claim.created_at))
        return matches


def text_clause(sql: str, channels: bool, ids: bool) -> TextClause:
    """A text() statement with expanding IN parameters for the channel and id lists."""
    statement = sql_text(sql)
    if channels:
        statement = statement.bindparams(bindparam("channels", expanding=True))
    if ids:
        statement = statement.bindparams(bindparam("ids", expanding=True))
    return statement

