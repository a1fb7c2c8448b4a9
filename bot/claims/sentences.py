"""Split article paragraphs into sentences, keeping each sentence verbatim.

Claims quote the article exactly, so the splitter never rewrites text: every sentence it returns is
a substring of its paragraph. It is rule-based (abbreviations, initials, decimals, quotes) because it
must run offline, in any language with Latin-like punctuation, at thousands of sentences a second.
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
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’»)\]]*)(\s+)(?=[\"'“‘«(\[]?[A-ZÀ-ÖØ-Þ0-9])")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, in order, each stripped and verbatim."""
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
