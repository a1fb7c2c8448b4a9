"""Check what a language model says about an article against the article itself.

A model's answer is not trusted: a quote must really be in the article, a claim must say what its
quote says, a speaker must be named there, a summary must be borne out by the text. This is what makes
a hostile or confused model, or instructions planted in the page, unable to put words on the card that
the article does not contain. It does not make the model's choice of claims right, and a planted
sentence that is itself part of the article can still be quoted (it is really there).

Quotes are compared on a normalised form (Unicode compatibility forms, accents, case, quotes, dashes,
`--` and `...`, white space), and the article's own verbatim span is given back. The article is
normalised once per answer (`ArticleIndex`), so checking many quotes costs one pass plus a search each.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.articles.reading import word_count
from bot.claims.sentences import split_sentences

_TRANSLATE = str.maketrans({
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'", "′": "'", "`": "'",
    "–": "-", "—": "-", "‑": "-", "‒": "-", "―": "-", "−": "-", "\u00a0": " ", "\u00ad": "",
})
# A quote must hold this many words and characters, and cover this share of the sentences it sits in
# unless it is long on its own: "12 characters somewhere in the article" is not a quote.
MIN_QUOTE_WORDS = 4
MIN_QUOTE_CHARS = 20
MIN_SENTENCE_SHARE = 0.5
LONG_QUOTE_WORDS = 8
# A quote spanning more than this is a chunk of the article, not the passage a claim comes from.
MAX_QUOTE_SENTENCES = 3
MAX_QUOTE_CHARS = 900
# A bracketed edit ("[The minister] said") may stand for at most this many characters of the article.
MAX_BRACKET_GAP = 80
_BRACKET = re.compile(r"\[[^\]]{0,80}\]")


def _fold_char(char: str) -> str:
    """One character's normalised form: compatibility-decomposed, accents dropped, case folded."""
    if char < "\x80":
        return char.lower()
    char = char.translate(_TRANSLATE)
    if len(char) != 1 or char < "\x80":
        return char.lower()
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_TRANSLATE).casefold()


def _fold(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of the source character.

    Runs of white space become one space; runs of dashes one "-" with no space around it, so `--`,
    ` - ` and `—` compare equal.
    """
    out: list[str] = []
    positions: list[int] = []
    for index, source in enumerate(text):
        for char in _fold_char(source):
            if char.isspace():
                if not out or out[-1] in (" ", "-"):
                    continue
                char = " "
            elif char == "-":
                if out and out[-1] == "-":
                    continue
                if out and out[-1] == " ":
                    out.pop()
                    positions.pop()
            out.append(char)
            positions.append(index)
    return "".join(out), positions


def normalize(text: str) -> str:
    return _fold(text)[0].strip()


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class ArticleIndex:
    """One article, normalised once, for locating many quotes in it."""

    def __init__(self, text: str, title: str | None = None) -> None:
        self.text = text
        self.folded, self.positions = _fold(text)
        self.title = normalize(title or "")
        self.sentences: list[tuple[int, int]] = []
        offset = 0
        for paragraph in text.split("\n"):
            cursor = 0
            for sentence in split_sentences(paragraph):
                found = paragraph.find(sentence, cursor)
                if found < 0:
                    continue
                self.sentences.append((offset + found, offset + found + len(sentence)))
                cursor = found + len(sentence)
            offset += len(paragraph) + 1

    def sentence_at(self, position: int) -> int | None:
        """The index of the sentence holding this character of the text."""
        low, high = 0, len(self.sentences) - 1
        while low <= high:
            middle = (low + high) // 2
            start, end = self.sentences[middle]
            if position < start:
                high = middle - 1
            elif position >= end:
                low = middle + 1
            else:
                return middle
        return None

    def sentence(self, index: int) -> str:
        start, end = self.sentences[index]
        return self.text[start:end]

    def locate(self, quote: str) -> str | None:
        """The article's verbatim passage for this quote, or None when it is not a usable quote of it."""
        span = self.find(quote)
        return self.text[span.start:span.end] if span else None

    def find(self, quote: str) -> Span | None:
        if len(quote) > MAX_QUOTE_CHARS * 2:
            return None
        # Quote marks around it and dots at its ends ("...the base", "the report said…") are the
        # model's framing, not the article's words.
        pieces = [normalize(piece).strip(" \"'.") for piece in _BRACKET.split(quote)]
        edited = len(pieces) > 1
        pieces = [piece for piece in pieces if piece.strip(" .,;:…")]
        if not pieces:
            return None
        span = self._find_pieces(pieces) if edited else self._find_one(pieces[0])
        if span is None or not self._acceptable(span, " ".join(pieces)):
            return None
        end = span.end
        if quote.rstrip(" \"'”’").endswith((".", "…")):
            while end < len(self.text) and self.text[end] in ".…" and end - span.end < 3:
                end += 1  # the sentence's own full stop (or ellipsis), dropped above with the model's dots
        return Span(span.start, end)

    def _to_source(self, start: int, end: int) -> Span:
        return Span(self.positions[start], self.positions[end - 1] + 1)

    def _find_one(self, needle: str) -> Span | None:
        found = self.folded.find(needle)
        while found >= 0:
            span = self._to_source(found, found + len(needle))
            if self._whole_words(span):
                return span
            found = self.folded.find(needle, found + 1)
        return None

    def _find_pieces(self, pieces: list[str]) -> Span | None:
        """Bracketed edits: each piece in order, with at most MAX_BRACKET_GAP characters between."""
        first = self.folded.find(pieces[0])
        for _ in range(5):
            if first < 0:
                return None
            end = first + len(pieces[0])
            for piece in pieces[1:]:
                found = self.folded.find(piece, end)
                if found < 0 or found - end > MAX_BRACKET_GAP:
                    break
                end = found + len(piece)
            else:
                span = self._to_source(first, end)
                if self._whole_words(span):
                    return self._widen_to_sentence(span)
            first = self.folded.find(pieces[0], first + 1)
        return None

    def _widen_to_sentence(self, span: Span) -> Span:
        """A quote opening or closing on an edit ("[He] said") takes the words the edit stands for."""
        index = self.sentence_at(span.start)
        start = span.start
        if index is not None and 0 < span.start - self.sentences[index][0] <= MAX_BRACKET_GAP:
            start = self.sentences[index][0]
        index = self.sentence_at(span.end - 1)
        end = span.end
        if index is not None and 0 < self.sentences[index][1] - span.end <= MAX_BRACKET_GAP:
            end = self.sentences[index][1]
        return Span(start, end)

    def _whole_words(self, span: Span) -> bool:
        before = self.text[span.start - 1] if span.start else " "
        after = self.text[span.end] if span.end < len(self.text) else " "
        return not (before.isalnum() and self.text[span.start].isalnum()) and not (
            after.isalnum() and self.text[span.end - 1].isalnum())

    def _acceptable(self, span: Span, needle: str) -> bool:
        passage = self.text[span.start:span.end]
        words = word_count(passage)  # two CJK characters count as a word
        if words < MIN_QUOTE_WORDS or len(passage) < MIN_QUOTE_CHARS * (1 if passage.isascii() else 0.5) \
                or len(passage) > MAX_QUOTE_CHARS:
            return False
        if self.title and len(needle) >= 0.6 * len(self.title) and needle.strip(" .") in self.title:
            return False  # the headline is not a claim the article makes in its text
        first, last = self.sentence_at(span.start), self.sentence_at(span.end - 1)
        if first is None or last is None:
            return words >= LONG_QUOTE_WORDS
        if last - first + 1 > MAX_QUOTE_SENTENCES:
            return False
        covered = self.sentences[last][1] - self.sentences[first][0]
        return words >= LONG_QUOTE_WORDS or (span.end - span.start) / max(1, covered) >= MIN_SENTENCE_SHARE


def locate(quote: str, text: str) -> str | None:
    """The verbatim span of `text` matching `quote` after normalisation, or None if it is not there."""
    return ArticleIndex(text).locate(quote)


# ---------------------------------------------------------------- is a statement borne out by a text?

_WORD = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*")
_STOP = frozenset("""a an the of in on at to and or but is are was were be been being has have had that this these
those for with by as it its from not no than then there their they them he she his her him we our you your i
me my who whom which what when where why how said says say saying told tells according also would could
will can may might should shall do does did done into over under about after before between during since
until while if so such very more most much many some any all each other only just per up down out off
says reported reports report stated states added claimed claims -""".split())
_NEGATION = frozenset("not no never none nobody nothing neither nor n't without denied denies deny".split())


def _words_of(text: str) -> list[str]:
    return [w.replace(",", "") for w in _WORD.findall(normalize(text).replace("n't", " n't"))]


def _stem(word: str) -> str:
    """A crude stem, enough to match "killed" with "kill" and "payments" with "paying"."""
    if any(c.isdigit() for c in word):
        return word
    for suffix in ("ings", "ing", "ed", "es", "s", "'s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in _STOP and (len(w) > 1 or w.isdigit())]


class ArticleWords:
    """A text's words and stems, computed once, to check many statements against (the summary's)."""

    def __init__(self, text: str) -> None:
        self.words = _words_of(text)
        self.exact = set(self.words)
        self.stems = {_stem(w) for w in self.words}


def supported(statement: str, support: str | ArticleWords, share: float = 0.8, quote: str | None = None) -> bool:
    """Whether `statement` says nothing `support` does not: its figures, names and most of its words are
    there, and it does not add or drop a negation that `quote` (when given) has or lacks. A faithful
    rewrite passes; a different claim does not.
    """
    words = _words_of(statement)
    content = _content(words)
    if not content:
        return False
    known = support if isinstance(support, ArticleWords) else ArticleWords(support)
    stems, exact = known.stems, known.exact
    if any(any(c.isdigit() for c in w) and w not in exact for w in content):
        return False
    names = {w.casefold().replace(",", "") for w in re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]+", statement)}
    if any(_stem(normalize(n)) not in stems for n in names if normalize(n) not in _STOP):
        return False
    if quote is not None and bool(_NEGATION & set(words)) != bool(_NEGATION & set(_words_of(quote))):
        return False
    return sum(_stem(w) in stems for w in content) / len(content) >= share


def named_in(speaker: str, text: str) -> bool:
    """Whether the speaker is named in the text: every word of the name, or its last word (a surname)."""
    words = _content(_words_of(speaker))
    if not words:
        return False
    present = set(_words_of(text))
    return all(w in present for w in words) or (len(words) > 1 and words[-1] in present and len(words[-1]) > 2)
