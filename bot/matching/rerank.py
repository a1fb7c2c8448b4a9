"""Re-ranking full-text candidates: character n-gram and word TF-IDF cosine, plus the full-text rank.

Why re-rank at all: the databases' full-text ranking (FTS5 bm25, PostgreSQL ts_rank) only sees whole
stemmed words and, for speed, is given only the query's rarest words; the candidates it returns are
then scored with the measures that worked best on the CheckThat! 2020 training queries
(bench/claim_matching.py). The IDF comes from the stored claims (a sample of up to `SAMPLE` of them),
so it follows whatever the desk has checked rather than a fixed outside corpus.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.matching.text import char_ngrams, words

SAMPLE = 20_000


@dataclass
class IdfModel:
    """Document frequencies of words and character n-grams over (a sample of) the stored claims."""

    documents: int = 0
    word_df: Counter[str] = field(default_factory=Counter)
    gram_df: Counter[str] = field(default_factory=Counter)

    # IDF tables, computed once by fit(): a dict lookup per n-gram is what the re-ranking's time goes to.
    word_table: dict[str, float] = field(default_factory=dict)
    gram_table: dict[str, float] = field(default_factory=dict)
    unseen: float = 1.0

    @classmethod
    def fit(cls, normalised_texts: Iterable[str]) -> IdfModel:
        return cls()._counted(normalised_texts)

    def extended(self, normalised_texts: Iterable[str]) -> IdfModel:
        """A new model: these documents' counts added to this one's. The same as fitting every document
        again, for the cost of the new ones (a card adds a few claims; re-fitting 1,300 took 0.4 s)."""
        model = IdfModel(documents=self.documents, word_df=Counter(self.word_df), gram_df=Counter(self.gram_df))
        return model._counted(normalised_texts)

    def _counted(self, normalised_texts: Iterable[str]) -> IdfModel:
        for text in normalised_texts:
            self.documents += 1
            self.word_df.update(set(words(text)))
            self.gram_df.update(char_ngrams(text).keys())
        base = self.documents + 1
        self.unseen = math.log(base) + 1.0
        self.word_table = {w: math.log(base / (df + 1)) + 1.0 for w, df in self.word_df.items()}
        self.gram_table = {g: math.log(base / (df + 1)) + 1.0 for g, df in self.gram_df.items()}
        return self

    def word_idf(self, word: str) -> float:
        return self.word_table.get(word, self.unseen)

    def gram_idf(self, gram: str) -> float:
        return self.gram_table.get(gram, self.unseen)


Vector = dict[str, float]


_LOG = [0.0, *(1.0 + math.log(n) for n in range(1, 64))]


def _tfidf(counts: Mapping[str, int], idf: Mapping[str, float]) -> Vector:
    vector = {key: (_LOG[count] if count < 64 else 1.0 + math.log(count)) * idf[key] for key, count in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {key: v / norm for key, v in vector.items()}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum([v * get(k, 0.0) for k, v in a.items()])


@dataclass(frozen=True)
class Weights:
    """How the three signals are combined (chosen on train/ queries; see bench/claim_matching.py)."""

    chars: float = 0.6
    words: float = 0.3
    fts: float = 0.1
    # The full-text rank enters as 1 / (1 + position / fts_decay).
    fts_decay: float = 10.0
    # When embeddings are configured: weight of the embedding cosine, the rest scaled to 1 - embedding.
    embedding: float = 0.5


class Reranker:
    """Scores (query, candidate) pairs. Vectors are cached per text: the same claims come back often."""

    def __init__(self, model: IdfModel, weights: Weights | None = None, cache_size: int = 50_000) -> None:
        self.model = model
        self.weights = weights or Weights()
        self._cache: dict[str, tuple[Vector, Vector]] = {}
        self._cache_size = cache_size

    def vectors(self, normalised: str) -> tuple[Vector, Vector]:
        cached = self._cache.get(normalised)
        if cached is not None:
            return cached
        grams = char_ngrams(normalised)
        table, unseen = self.model.gram_table, self.model.unseen
        gram_vector = _tfidf(grams, {g: table.get(g, unseen) for g in grams})
        word_counts = Counter(words(normalised))
        table = self.model.word_table
        word_vector = _tfidf(word_counts, {w: table.get(w, unseen) for w in word_counts})
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[normalised] = (gram_vector, word_vector)
        return gram_vector, word_vector

    def score(self, query: str, candidate: str, fts_position: int, embedding: float | None = None) -> float:
        """Combined similarity in [0, 1] of normalised query and candidate texts."""
        q_grams, q_words = self.vectors(query)
        c_grams, c_words = self.vectors(candidate)
        w = self.weights
        lexical = (w.chars * cosine(q_grams, c_grams) + w.words * cosine(q_words, c_words)
                   + w.fts / (1.0 + fts_position / w.fts_decay))
        if embedding is None:
            return lexical
        return (1.0 - w.embedding) * lexical + w.embedding * max(0.0, embedding)
