"""The embedded claim extractor: offline, CPU-only, no key.

Sentences of the article body are scored with the shipped check-worthiness model (trained on the
CLEF CheckThat! data, see training/ and bench/README.md), in document order so the model can use
context. What a fact-checker gets, and why:

* **the claims a desk would check, as many as the page has**: a ranker learned from annotated news
  pages (bot/claims/ranking.py, trained by training/train_ranker.py) scores each sentence from the
  model's score, its position, figures, names, attribution, the headline's words and other cues; the
  card shows the sentences it is sure of (its shipped threshold), never more than the cap, and the other
  candidates stay in `Extraction.more` so "show more" needs no second read of the page.
* **nothing on pages with nothing to check**: a shopping page, a results table, a product list, tips,
  navigation, an open thread or a records listing (bot/claims/page_kind.py) shows no claim (its
  candidates are kept back), and the extraction carries a note saying what the page looks like.
* **claims that stand alone**: the speaker or source of reported speech goes in `speaker` ("..., said
  Hogan Gidley", "According to CNN, ...", "X told reporters", a quote whose speaker is named in the
  sentence beside it), and a sentence that leans on the one before it ("He", "They", "However,",
  "The company") carries that sentence as `context`. The quote stays the article's exact text.
* **bounded work**: at most `MAX_SENTENCES_SCORED` sentences are scored; a longer article is flagged
  `partial` so the reply can say it was only partly read.
* **a summary that does not mislead** (`summary`): the page's own description when the body bears it
  out, it names the headline's subject and keeps the body's attribution, else the lead sentences in
  order (never "lead + strongest claims", which stitched sentences out of context); notices are never
  used, and it is never cut mid-word. `summary_source` says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.articles.reading import ParsedArticle, is_notice, word_count
from bot.claims.base import ExtractedClaim, Extraction
from bot.claims.page_kind import PageKind, checkworthy_share, classify, page_features
from bot.claims.ranking import Ranker, Selection, default_ranker, select, sentence_features
from bot.claims.sentences import split_sentences
from bot.claims.speakers import attribute, is_attributed  # noqa: F401  (is_attributed: re-exported for bench/)
from bot.claims.summary import matches_body, summarize  # noqa: F401  (matches_body: re-exported)

if TYPE_CHECKING:
    from bot.claims.checkworthiness import CheckworthinessModel

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LEADING_CONNECTIVE = re.compile(
    r"^(?:however|but|and|so|also|meanwhile|moreover|furthermore|still|yet|regarding \w+)\s*,?\s+", re.IGNORECASE
)
DUPLICATE_OVERLAP = 0.6
# Scoring is linear in sentences; beyond this the article is marked partly read.
MAX_SENTENCES_SCORED = 400
# A "sentence" longer than this is a run-on list or a page without punctuation, not a claim.
MAX_CLAIM_CHARS = 1000
MIN_CLAIM_WORDS = 5

# ---------------------------------------------------------------- context and kinds of sentence

_LEANS = re.compile(
    r"^(?:(?:he|she|they|it|this|these|that|those|his|her|their|its|such|both|the latter|the former)\b|"
    r"(?:however|but|yet|still|meanwhile|moreover|furthermore|nevertheless|instead|also|in addition|as a result|"
    r"despite (?:this|that)|because of (?:this|that)|by contrast|in contrast|even so|and|so)\b|"
    r"the (?:company|firm|group|agency|department|organi[sz]ation|bank|report|study|move|decision|plan|bill|"
    r"order|official|minister|ministry|president|government|court|team|club|board|council|club|city|state|"
    r"country|man|woman|suspect|victim|couple|player|coach|party|lawmaker|senator|spokesman|spokeswoman|"
    r"researchers|scientists|authors|officials)\b)",
    re.IGNORECASE,
)
def leans_on_previous(sentence: str) -> bool:
    """Opens on a pronoun, a connective or "The company": unreadable without the sentence before."""
    return bool(_LEANS.match(sentence.strip().lstrip("\"“‘«(")))


# ---------------------------------------------------------------- selection


@dataclass(frozen=True)
class ScoredSentence:
    position: int
    text: str
    score: float


def _words(text: str) -> set[str]:
    words = {w.casefold() for w in _WORD.findall(_CJK.sub(" ", text)) if len(w) > 2}
    cjk = "".join(_CJK.findall(text))
    return words | {cjk[i:i + 2] for i in range(len(cjk) - 1)}


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


def article_sentences(article: ParsedArticle) -> list[str]:
    return [s for paragraph in article.body_paragraphs for s in split_sentences(paragraph, article.language)
            if not is_notice(s)]


# Scripts the model was not trained on (it learned English; other Latin-script languages share some of
# its character n-grams): Han, kana, Hangul, Thai, Devanagari, Cyrillic, Greek, Hebrew, Arabic. In an
# article mostly written in one of them the model's scores mean little, so rather than "no check-worthy
# claims" the bot offers the sentences that state figures.
_UNCOVERED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f"
                               r"\u0900-\u097f\u0400-\u04ff\u0370-\u03ff\u0590-\u05ff\u0600-\u06ff]")
_LETTER = re.compile(r"[^\W\d_]")
_FIGURE = re.compile(r"\d")
FIGURES_EXTRACTOR = "embedded, figures only (language not covered)"


def uncovered_language(sentences: list[str]) -> bool:
    """Whether most letters of the text are in a script the model was not trained on."""
    text = "".join(sentences)
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_UNCOVERED_SCRIPT.findall(text)) / letters > 0.5


@dataclass(frozen=True)
class RankedPage:
    """A page's sentences with everything the ranker needs: shared by extract() and training."""

    texts: list[str]
    scores: list[float]
    features: np.ndarray
    eligible: list[bool]
    shape: dict[str, float]  # page_kind.page_features: what the page looks like


def eligible(sentence: str) -> bool:
    """Long enough to say something, short enough to be one sentence rather than a run-on list."""
    return len(sentence) <= MAX_CLAIM_CHARS and word_count(sentence) >= MIN_CLAIM_WORDS


class EmbeddedExtractor:
    name = "embedded"

    def __init__(self, model: CheckworthinessModel | None = None, ranker: Ranker | None = None) -> None:
        self._model = model
        self._ranker = ranker

    @property
    def model(self) -> CheckworthinessModel:
        if self._model is None:
            # Loaded on first use (and cached process-wide), so commands that never extract start fast.
            from bot.claims.checkworthiness import default_model

            self._model = default_model()
        return self._model

    @property
    def ranker(self) -> Ranker:
        if self._ranker is None:
            self._ranker = default_ranker()
        return self._ranker

    def score(self, article: ParsedArticle) -> list[ScoredSentence]:
        sentences = article_sentences(article)[:MAX_SENTENCES_SCORED]
        scores = self.model.score_document(sentences) if sentences else []
        return [ScoredSentence(i, s, float(p)) for i, (s, p) in enumerate(zip(sentences, scores, strict=True))]

    def rank_page(self, article: ParsedArticle) -> RankedPage:
        """Score every sentence and compute the ranker's features and the page's kind."""
        scored = self.score(article)
        texts = [s.text for s in scored]
        scores = [s.score for s in scored]
        return RankedPage(texts=texts, scores=scores, features=sentence_features(texts, scores, article.title),
                          eligible=[eligible(t) for t in texts],
                          shape={**page_features(article), "checkworthy_share": checkworthy_share(scores)})

    def extract(self, article: ParsedArticle, max_claims: int) -> Extraction:
        partial = article.partial or len(article_sentences(article)) > MAX_SENTENCES_SCORED
        page = self.rank_page(article)
        texts = page.texts
        extractor = self.name
        if uncovered_language(texts):
            # The model cannot judge this language (nor the ranker, nor the page's shape from its scores):
            # sentences stating figures (numbers, dates, amounts) are the checkable ones a desk would look
            # at first; the card says how they were picked.
            kind = PageKind("article", page.shape)
            ranked = sorted((i for i, t in enumerate(texts) if _FIGURE.search(t) and len(t) <= MAX_CLAIM_CHARS),
                            key=lambda i: (-len(_FIGURE.findall(texts[i])), i))
            ranked = [i for n, i in enumerate(ranked)
                      if not any(is_near_duplicate(texts[i], texts[j]) for j in ranked[:n])]
            picked = Selection(shown=ranked[:max_claims], more=ranked[max_claims:])
            probabilities = page.scores
            extractor = FIGURES_EXTRACTOR if ranked else extractor
        else:
            kind = PageKind(classify(page.shape), page.shape)
            probabilities = [float(p) for p in self.ranker.probabilities(page.features)]
            picked = select(texts, probabilities, page.eligible, self.ranker, max_claims, kind.nothing_to_check)
        speakers = attribute(texts, article.author)

        def claim(index: int) -> ExtractedClaim:
            return self._claim(index, texts, probabilities, speakers)

        summary, source = summarize(article, texts)
        return Extraction(summary=summary, claims=[claim(i) for i in sorted(picked.shown)], extractor=extractor,
                          candidates=len(picked.shown) + len(picked.more), more=[claim(i) for i in picked.more],
                          summary_source=source, partial=partial,
                          page_kind=kind.kind if kind.nothing_to_check else None,
                          page_note=kind.note)

    @staticmethod
    def _claim(index: int, texts: list[str], probabilities: list[float],
               speakers: list[str | None]) -> ExtractedClaim:
        sentence = texts[index]
        context = texts[index - 1] if index and leans_on_previous(sentence) else None
        return ExtractedClaim(text=claim_text(sentence), quote=sentence, score=round(probabilities[index], 4),
                              speaker=speakers[index], context=context)


def describe_page(article: ParsedArticle, model: CheckworthinessModel | None = None) -> PageKind:
    """What the page looks like (bot/claims/page_kind.py), for a card rebuilt from the stored article."""
    page = EmbeddedExtractor(model).rank_page(article)
    if uncovered_language(page.texts):
        return PageKind("article", page.shape)
    return PageKind(classify(page.shape), page.shape)

