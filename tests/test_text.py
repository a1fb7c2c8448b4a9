"""Sentence splitting, quote grounding and the verdict scale: the pure-text pieces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.claims.grounding import locate
from bot.claims.sentences import split_sentences
from bot.config.verdict_scale import VerdictScale, VerdictScaleError, base_emoji


def test_sentences_respect_abbreviations_initials_and_decimals() -> None:
    text = 'Mr. Smith said the U.S. economy grew 2.5 percent in Jan. 2020. It was "great." Then J. Doe left!'
    assert split_sentences(text) == [
        "Mr. Smith said the U.S. economy grew 2.5 percent in Jan. 2020.",
        'It was "great."',
        "Then J. Doe left!",
    ]


def test_every_sentence_is_verbatim_in_its_paragraph() -> None:
    paragraph = "A “quoted” claim—with dashes.  Second sentence?  (Third one.) Fourth"
    for sentence in split_sentences(paragraph):
        assert sentence in paragraph


def test_locate_finds_quotes_despite_curly_quotes_dashes_and_whitespace() -> None:
    article = "Pompeo warned Lavrov that “Russia would pay an enormous price” — if confirmed.\nNext."
    found = locate('Pompeo warned Lavrov that "Russia would pay an   enormous price" - if confirmed', article)
    assert found == "Pompeo warned Lavrov that “Russia would pay an enormous price” — if confirmed"


def test_locate_refuses_text_not_in_the_article() -> None:
    assert locate("Russia would pay a small price", "Russia would pay an enormous price.") is None
    assert locate("short", "short text here") is None


def test_default_scale_and_legend() -> None:
    scale = VerdictScale.parse(None)
    assert scale.for_emoji("x").key == "false"
    assert scale.for_emoji("heavy_check_mark").key == "true"
    assert scale.for_emoji("tada") is None
    assert ":white_check_mark: true" in scale.legend()


def test_custom_scale_with_skin_tones_and_shared_verdicts() -> None:
    scale = VerdictScale.parse("+1=true, thumbsup=true, -1=false, thinking_face=needs_context")
    assert scale.for_emoji("+1::skin-tone-3").key == "true"
    assert base_emoji("+1::skin-tone-3") == "+1"
    assert scale.get("needs_context").label == "Needs context"
    assert scale.get("needs_context").rating is None


@pytest.mark.parametrize("spec", ["x", "x=", "=false", "x=false,x=true", "bad emoji=true"])
def test_malformed_scales_are_rejected_with_the_entry(spec: str) -> None:
    with pytest.raises(VerdictScaleError):
        VerdictScale.parse(spec)


emoji_names = st.from_regex(r"[a-z0-9_+\-]{1,20}", fullmatch=True)
verdict_keys = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)


@given(st.dictionaries(emoji_names, verdict_keys, min_size=1, max_size=8),
       st.sampled_from(["", "::skin-tone-2", "::skin-tone-6"]))
def test_any_well_formed_emoji_map_round_trips(mapping: dict[str, str], tone: str) -> None:
    scale = VerdictScale.parse(",".join(f"{e}={v}" for e, v in mapping.items()))
    for emoji, verdict in mapping.items():
        assert scale.for_emoji(emoji + tone).key == verdict
    assert {v.key for v in scale.verdicts} == set(mapping.values())


@given(st.text(max_size=80))
def test_garbage_emoji_maps_are_rejected_or_parsed_never_crash(spec: str) -> None:
    try:
        scale = VerdictScale.parse(spec)
    except VerdictScaleError:
        return
    assert scale.verdicts
