"""Find a quoted passage in the article text despite typographic differences.

LLMs (and people) straighten curly quotes, change dashes and reflow whitespace when they quote. A
claim is kept only if its quote is really in the article; these helpers compare on a normalised form
and give back the article's own, verbatim span.
"""

from __future__ import annotations

import re

_TRANSLATE = str.maketrans({
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'", "′": "'",
    "–": "-", "—": "-", "‑": "-", "\u00a0": " ", "…": ".",
})
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_TRANSLATE)).strip().casefold()


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text plus, for each of its characters, the index of the source character."""
    out: list[str] = []
    positions: list[int] = []
    previous_space = True
    for index, char in enumerate(text.translate(_TRANSLATE)):
        if char.isspace():
            if previous_space:
                continue
            char = " "
            previous_space = True
        else:
            previous_space = False
        for folded in char.casefold():
            out.append(folded)
            positions.append(index)
    return "".join(out), positions


def locate(quote: str, text: str) -> str | None:
    """The verbatim span of `text` matching `quote` after normalisation, or None if it is not there."""
    needle = normalize(quote).strip(" \"'")
    if len(needle) < 12:
        return None
    haystack, positions = _normalized_with_map(text)
    found = haystack.find(needle)
    if found < 0:
        return None
    start = positions[found]
    end = positions[found + len(needle) - 1] + 1
    return text[start:end]
