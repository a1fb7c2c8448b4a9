"""Sentence splitting (issue #17): no exception on any input, no glued sentences, abbreviations kept."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.claims.sentences import split_sentences


@pytest.mark.parametrize("paragraph", ["? 1", "… 24-17 final", "! Smith 3, Jones 2", "?! ?!", ". . ."])
def test_punctuation_at_a_paragraph_start_does_not_crash_the_splitter(paragraph: str) -> None:
    # "? 1" made the old hand-written splitter raise IndexError on a real sports page.
    for sentence in split_sentences(paragraph):
        assert sentence in paragraph


def test_a_sentence_after_a_single_capital_letter_is_not_glued_on() -> None:
    text = "It runs at native 4K on the Xbox One X. So, a little better than the PS4 Pro, which tops out at 1440p."
    assert split_sentences(text) == ["It runs at native 4K on the Xbox One X.",
                                     "So, a little better than the PS4 Pro, which tops out at 1440p."]


@pytest.mark.parametrize(("text", "expected"), [
    ("Dr. Jane Smith of the U.S. Army arrived on Jan. 5 with $4.5 million. She left.",
     ["Dr. Jane Smith of the U.S. Army arrived on Jan. 5 with $4.5 million.", "She left."]),
    ("George W. Bush and J. R. R. Tolkien were named. It ended.",
     ["George W. Bush and J. R. R. Tolkien were named.", "It ended."]),
    ("He arrived at 5 p.m. Monday and left at 6 p.m. The next day he returned.",
     ["He arrived at 5 p.m. Monday and left at 6 p.m.", "The next day he returned."]),
    ("The No. 5 seed won 24-17. It was ranked No. 3 in Vol. 2 of the guide.",
     ["The No. 5 seed won 24-17.", "It was ranked No. 3 in Vol. 2 of the guide."]),
    ('"It is over," she said. "Really?" No one answered.',
     ['"It is over," she said.', '"Really?"', "No one answered."]),
])
def test_abbreviations_initials_decimals_and_quotes(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_japanese_and_hindi_end_at_their_own_marks() -> None:
    assert split_sentences("東京都は10日、新たに5人の感染を確認した。重症者は2人。「大丈夫です」と話した！", "ja") == [
        "東京都は10日、新たに5人の感染を確認した。", "重症者は2人。", "「大丈夫です」と話した！"]
    assert split_sentences("यह एक वाक्य है। यह दूसरा है।", "hi") == ["यह एक वाक्य है।", "यह दूसरा है।"]


_PROSE = st.lists(st.sampled_from(["Mr.", "U.S.", "X.", "So,", "3.5", "p.m.", "No.", "“Yes.”", "?", "!", "…", "(", ")",
                                   "he", "said", "The", "。", "新た", "\n", "  ", "J.", "said:", "—", "'", "\""]),
                  max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _PROSE), st.sampled_from([None, "en", "ja", "de", "zz", "", "EN-us", "?"]))
def test_any_text_splits_without_error_into_verbatim_sentences(text: str, language: str | None) -> None:
    sentences = split_sentences(text, language)
    position = 0
    for sentence in sentences:
        assert sentence and sentence == sentence.strip()
        found = text.find(sentence, position)
        assert found >= 0, (sentence, text)  # verbatim and in order
        position = found + len(sentence)
    # No word or figure is lost: only runs of bare punctuation may be left out.
    assert re.sub(r"\W", "", "".join(sentences)) == re.sub(r"\W", "", text)
