"""The embedded claim extractor: offline, CPU-only, no key.

Sentences of the article body are scored with the shipped check-worthiness model (trained on the
CLEF CheckThat! data, see training/ and bench/README.md), in document order so the model can use
context. What a fact-checker gets, and why:

* **as many claims as the article has**: candidates are the sentences above the model's threshold
  (`claim_threshold`, one named setting, read from the model file when it carries one); the card
  shows at most one claim per `SENTENCES_PER_CLAIM` body sentences and never more than the cap, and the
  rest stay in `Extraction.more` so "show more" needs no second read of the page. A recipe yields none.
* **checkable facts first**: opinions, predictions and rhetorical questions ("I believe", "will",
  "Surely ...?") are ranked below statements of fact, whatever their score.
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

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.articles.reading import ParsedArticle, is_notice, word_count
from bot.claims.base import ExtractedClaim, Extraction
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
# None: use the model's own threshold (its "claim_threshold" when the model file has one, else its
# "threshold"). Set a probability here to override it everywhere.
CLAIM_THRESHOLD: float | None = None
# At most one claim shown per this many body sentences: a six-sentence wire story gets two.
SENTENCES_PER_CLAIM = 3
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
_OPINION = re.compile(
    r"\b(?:I|we)\s+(?:believe|think|feel|hope|fear|suspect|wish)\b|\bin (?:my|our) (?:view|opinion)\b|"
    r"\b(?:surely|arguably|obviously|clearly|frankly|undoubtedly)\b|\b(?:should|must|ought to)\b|"
    r"\b(?:worst|best|greatest|terrible|wonderful|disgrace|shameful|outrageous)\b",
    re.IGNORECASE,
)
_PREDICTION = re.compile(
    r"\b(?:will|won't|would|could|might|may|is (?:expected|likely|set|going) to|are (?:expected|likely|set|going)"
    r" to|plans? to|intends? to|aims? to|if we)\b",
    re.IGNORECASE,
)


def leans_on_previous(sentence: str) -> bool:
    """Opens on a pronoun, a connective or "The company": unreadable without the sentence before."""
    return bool(_LEANS.match(sentence.strip().lstrip("\"“‘«(")))


def is_soft(sentence: str) -> bool:
    """An opinion, a prediction or a rhetorical question: ranked below statements of fact."""
    text = sentence.strip().rstrip("\"”’»)")
    return text.endswith(("?", "？")) or text.endswith("!") or bool(_OPINION.search(sentence)) or bool(
        _PREDICTION.search(sentence))


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


def claim_threshold(model: CheckworthinessModel) -> float:
    """The probability a sentence needs to be a candidate: CLAIM_THRESHOLD, else what the model says."""
    if CLAIM_THRESHOLD is not None:
        return CLAIM_THRESHOLD
    metadata = getattr(model, "metadata", None) or {}
    value = metadata.get("claim_threshold")
    return float(value) if isinstance(value, int | float) else float(model.threshold)


# Scripts the model was not trained on (it knows English, Dutch and Arabic): Han, kana, Hangul, Thai,
# Devanagari, Cyrillic, Greek, Hebrew. In an article mostly written in one of them the model's scores
# mean little, so rather than "no check-worthy claims" the bot offers the sentences that state figures.
_UNCOVERED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f"
                               r"\u0900-\u097f\u0400-\u04ff\u0370-\u03ff\u0590-\u05ff]")
_LETTER = re.compile(r"[^\W\d_]")
_FIGURE = re.compile(r"\d")
FIGURES_EXTRACTOR = "embedded, figures only (language not covered)"


def uncovered_language(sentences: list[str]) -> bool:
    """Whether most letters of the text are in a script the model was not trained on."""
    text = "".join(sentences)
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_UNCOVERED_SCRIPT.findall(text)) / letters > 0.5


def claim_budget(sentence_count: int, max_claims: int) -> int:
    """How many claims the card shows: follows the article's length, never above the cap."""
    return max(0, min(max_claims, math.ceil(sentence_count / SENTENCES_PER_CLAIM)))


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

    def score(self, article: ParsedArticle) -> list[ScoredSentence]:
        sentences = article_sentences(article)[:MAX_SENTENCES_SCORED]
        scores = self.model.score_document(sentences) if sentences else []
        return [ScoredSentence(i, s, float(p)) for i, (s, p) in enumerate(zip(sentences, scores, strict=True))]

    def extract(self, article: ParsedArticle, max_claims: int) -> Extraction:
        all_sentences = article_sentences(article)
        partial = article.partial or len(all_sentences) > MAX_SENTENCES_SCORED
        scored = self.score(article)
        texts = [s.text for s in scored]
        threshold = claim_threshold(self.model)
        ranked = sorted(
            (s for s in scored if s.score >= threshold and len(s.text) <= MAX_CLAIM_CHARS
             and word_count(s.text) >= MIN_CLAIM_WORDS),
            key=lambda s: (is_soft(s.text), -s.score, s.position),
        )
        extractor = self.name
        if not ranked and uncovered_language(texts):
            # The model cannot judge this language: sentences stating figures (numbers, dates, amounts)
            # are the checkable ones a desk would look at first; the card says how they were picked.
            ranked = sorted((s for s in scored if _FIGURE.search(s.text) and len(s.text) <= MAX_CLAIM_CHARS),
                            key=lambda s: (-len(_FIGURE.findall(s.text)), s.position))
            extractor = FIGURES_EXTRACTOR if ranked else extractor
        candidates: list[ScoredSentence] = []
        for candidate in ranked:
            if not any(is_near_duplicate(candidate.text, kept.text) for kept in candidates):
                candidates.append(candidate)
        budget = claim_budget(len(scored), max_claims)
        speakers = attribute(texts, article.author)
        shown = sorted(candidates[:budget], key=lambda s: s.position)
        claims = [self._claim(s, texts, speakers) for s in shown]
        more = [self._claim(s, texts, speakers) for s in candidates[budget:]]
        summary, source = summarize(article, texts)
        return Extraction(summary=summary, claims=claims, extractor=extractor, candidates=len(candidates),
                          more=more, summary_source=source, partial=partial)

    @staticmethod
    def _claim(sentence: ScoredSentence, texts: list[str], speakers: list[str | None]) -> ExtractedClaim:
        index = sentence.position
        context = texts[index - 1] if index and leans_on_previous(sentence.text) else None
        return ExtractedClaim(text=claim_text(sentence.text), quote=sentence.text, score=round(sentence.score, 4),
                     speaker=speakers[index], context=context)
