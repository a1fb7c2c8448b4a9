"""The embedded claim extractor: offline, CPU-only, no key.

Sentences of the article body are scored with the shipped check-worthiness model (trained on the
CLEF CheckThat! data, see training/ and bench/README.md), in document order so the model can use
context. Claims are the best sentences above the model's calibrated threshold, at most the cap,
near-duplicates merged; an article with nothing above the threshold yields no claims rather than
invented ones. The summary is extractive: the lead plus the strongest claims, 2-3 sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.articles.reading import Article
from bot.claims.base import Claim, Extraction
from bot.claims.sentences import split_sentences

if TYPE_CHECKING:
    from bot.claims.checkworthiness import CheckworthinessModel

_WORD = re.compile(r"\w+", re.UNICODE)
_LEADING_CONNECTIVE = re.compile(
    r"^(?:however|but|and|so|also|meanwhile|moreover|furthermore|still|yet|regarding \w+)\s*,?\s+", re.IGNORECASE
)
DUPLICATE_OVERLAP = 0.6
SUMMARY_MAX_CHARS = 600


@dataclass(frozen=True)
class ScoredSentence:
    position: int
    text: str
    score: float


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text) if len(w) > 2}


def is_near_duplicate(a: str, b: str) -> bool:
    """Two sentences saying the same thing: most of the shorter one's words are in the other."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return a.strip().casefold() == b.strip().casefold()
    return len(wa & wb) / min(len(wa), len(wb)) >= DUPLICATE_OVERLAP


def claim_text(sentence: str) -> str:
    """The claim as shown: the sentence without a leading connective ("However, ..."), capitalised."""
    stripped = _LEADING_CONNECTIVE.sub("", sentence, count=1).strip()
    return stripped[:1].upper() + stripped[1:] if stripped else sentence


def article_sentences(article: Article) -> list[str]:
    return [s for paragraph in article.body_paragraphs for s in split_sentences(paragraph)]


class EmbeddedExtractor:
    name = "embedded"

    def __init__(self, model: CheckworthinessModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> CheckworthinessModel:
        if self._model is None:
            # Loaded on first use (and cached process-wide), so commands that never extract start fast.
            from bot.claims.checkworthiness import default_model

            self._model = default_model()
        return self._model

    def score(self, article: Article) -> list[ScoredSentence]:
        sentences = article_sentences(article)
        scores = self.model.score_document(sentences) if sentences else []
        return [ScoredSentence(i, s, float(p)) for i, (s, p) in enumerate(zip(sentences, scores, strict=True))]

    def extract(self, article: Article, max_claims: int) -> Extraction:
        scored = self.score(article)
        threshold = self.model.threshold
        chosen: list[ScoredSentence] = []
        for candidate in sorted(scored, key=lambda s: (-s.score, s.position)):
            if candidate.score < threshold or len(chosen) >= max_claims:
                break
            if len(candidate.text.split()) < 5:
                continue
            if any(is_near_duplicate(candidate.text, kept.text) for kept in chosen):
                continue
            chosen.append(candidate)
        chosen.sort(key=lambda s: s.position)
        claims = [Claim(text=claim_text(s.text), quote=s.text, score=round(s.score, 4)) for s in chosen]
        return Extraction(summary=summarize(scored, chosen), claims=claims, extractor=self.name)


def summarize(scored: list[ScoredSentence], chosen: list[ScoredSentence]) -> str:
    """Lead sentence plus up to two of the strongest claims, in article order, within a length budget."""
    if not scored:
        return ""
    picked = [scored[0]]
    for candidate in sorted(chosen, key=lambda s: -s.score):
        if len(picked) >= 3:
            break
        if all(not is_near_duplicate(candidate.text, p.text) for p in picked):
            picked.append(candidate)
    if len(picked) < 2 and len(scored) > 1:
        picked.append(scored[1])
    picked.sort(key=lambda s: s.position)
    summary = ""
    for sentence in picked:
        if summary and len(summary) + len(sentence.text) + 1 > SUMMARY_MAX_CHARS:
            break
        summary = f"{summary} {sentence.text}".strip()
    return summary
