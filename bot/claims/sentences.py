"""Split article paragraphs into sentences, keeping each sentence verbatim.

Claims quote the article exactly, so the splitter never rewrites text: every sentence it returns is
a substring of its paragraph. It is rule-based (abbreviations, initials, decimals, quotes) because it
must run offline, in any language, at thousands of sentences a second.

Scripts without spaces between words (Japanese, Chinese) end sentences with full-width marks
(。！？) that need no space or capital after them, and Hindi (।), Arabic (؟) and Greek/Armenian marks
have no letter case: those boundaries are cut first, then the Latin rules apply within each piece.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt gov sen rep rev pres vs etc inc ltd co corp
    dept univ approx est no nos fig jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e
    a.m p.m sig dott ing avv pag art cf""".split()
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then an
# opening quote/bracket or an upper-case letter or digit.
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’»)\]]*)(\s+)(?=[\"'“‘«(\[]?[A-ZÀ-ÖØ-ÞΑ-ΩА-Я0-9])")
# Full-width and caseless-script sentence ends, with any closing quotes or brackets after them.
_CASELESS_BOUNDARY = re.compile(r"[。！？!?．｡।॥؟۔።]+[」』）】〕》〉\"'”’»)\]]*\s*")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, in order, each stripped and verbatim."""
    sentences: list[str] = []
    start = 0
    for match in _CASELESS_BOUNDARY.finditer(paragraph):
        if not _is_caseless_end(paragraph, match):
            continue
        sentences.extend(_split_latin(paragraph[start:match.end()]))
        start = match.end()
    sentences.extend(_split_latin(paragraph[start:]))
    return sentences


def _is_caseless_end(paragraph: str, match: re.Match[str]) -> bool:
    """A full-width mark always ends a sentence; ASCII ?/! only between CJK characters."""
    mark = match.group(0)[0]
    if mark not in "!?":
        return True
    before = paragraph[match.start() - 1] if match.start() else ""
    return bool(before) and "\u3000" <= before <= "\u9fff"


def _split_latin(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end(1)
        candidate = paragraph[start:end]
        last_word = candidate[: -len(match.group(1))].rsplit(None, 1)[-1] if candidate.strip() else ""
        token = last_word.lower().strip("\"'“‘(")
        if match.group(1).startswith(".") and (token in _ABBREVIATIONS or _is_initial(token)):
            continue
        if candidate.strip():
            sentences.append(candidate.strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_initial(token: str) -> bool:
    # "J. Smith", "U.S.", "a.m." : single letters or dotted letter groups are not sentence ends.
    bare = token.replace(".", "")
    return (len(bare) == 1 and bare.isalpha()) or (bool(bare) and "." in token and len(bare) <= 3)
