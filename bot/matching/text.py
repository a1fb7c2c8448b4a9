"""Normalising and tokenising claim text for matching.

Why a module of its own: the same normalisation must run on what is stored and on what is asked, or a
reworded claim and its stored twin end up in different vocabularies. Social posts carry a lot that is
not the claim (links, `pic.twitter.com` ids, the "— Name (@handle) January 14, 2020" signature that
embedded tweets end with, `#CamelCaseHashtags`); it is stripped or split here, before anything else.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_URL = re.compile(r"(?:https?://|www\.)\S+|pic\.twitter\.com/\S+|\b\S+\.(?:com|org|net|ly|co)/\S*", re.I)
# The signature of an embedded tweet: "— Display Name (@handle) Month DD, YYYY" at the end.
_SIGNATURE = re.compile(r"[—–-]+\s*[^—–]{0,80}?\(@\w+\)\s*[A-Z][a-z]+\.? \d{1,2},? \d{4}\s*$")
_HANDLE = re.compile(r"@(\w+)")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")
_WORD = re.compile(r"[a-z0-9]+")

# A short English stop list: words that carry no evidence of "the same claim" and would only make the
# full-text candidate query slow (their posting lists cover most of the store).
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
    not now of off on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself yourselves rt amp via
    s t don didn doesn isn wasn aren weren won wouldn shouldn couldn ll re ve d m""".split()
)


def normalise(text: str) -> str:
    """Lower-cased text with links, tweet signatures and markup removed, accents folded."""
    text = unicodedata.normalize("NFKC", text)
    text = _SIGNATURE.sub(" ", text.strip())
    text = _URL.sub(" ", text)
    text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    text = _HANDLE.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("'", "").replace("’", "")
    return " ".join(_WORD.findall(text))


def words(normalised: str) -> list[str]:
    """Content words of normalised text (stop words and single characters dropped)."""
    return [w for w in normalised.split() if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def char_ngrams(normalised: str, low: int = 3, high: int = 5) -> Counter[str]:
    """Character n-grams within word boundaries (like scikit-learn's `char_wb`).

    Why characters: paraphrases and tweets share word pieces more often than exact words (plurals,
    "vaccinated"/"vaccine", hashtags glued together, misspellings), and the reference baseline shows
    character 3-5-grams beat word BM25 on this task.
    """
    grams: list[str] = []
    for word in normalised.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            grams.extend([padded[i:i + n] for i in range(size - n + 1)])
    return Counter(grams)
