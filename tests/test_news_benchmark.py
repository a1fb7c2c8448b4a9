"""The news benchmark's gold data is usable: every page is there, every quote is text the bot reads,
the halves are stratified, and the matching rules do what bench/README.md says they do.

The pages of a set not yet measured (UNMEASURED: split "unseen3") are validated the same way except that no
bot code reads them: the bot runs on them once, for the final measurement, so their quotes are checked
against trafilatura's own reads of the page (`news_gold.plain_reads`)."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache

import pytest

from bench.news_gold import (
    ANNOTATIONS,
    HALVES,
    KINDS,
    NEWS_DIR,
    PLAIN_READS,
    SPLITS,
    UNMEASURED,
    Page,
    PageResult,
    is_name,
    load_pages,
    plain_reads,
    quote_matches,
    read_text,
    same_speaker,
    score,
)

FIELDS = {"id", "file", "url", "split", "kind", "expected", "must_check", "speakers"}


@cache
def raw() -> list[dict]:
    return json.loads(ANNOTATIONS.read_text(encoding="utf-8"))


@cache
def texts() -> dict[str, str]:
    """What the bot reads, for the measured pages only: never a page of a set not yet measured."""
    return {page.id: read_text(page) for page in load_pages("all") if page.split not in UNMEASURED}


def test_every_entry_has_exactly_the_agreed_fields() -> None:
    for item in raw():
        assert FIELDS <= set(item) <= FIELDS | {"notes"}, item["id"]
        assert item["file"] in (f"pages/{item['id']}.html", f"pages/{item['id']}.html.gz")
        assert (NEWS_DIR / item["file"]).is_file(), item["file"]
        assert item["url"].startswith(("https://", "http://")), item["id"]
        assert all(set(s) == {"quote", "speaker"} and s["speaker"].strip() for s in item["speakers"]), item["id"]


def test_ids_are_unique_and_there_are_at_least_sixty_pages() -> None:
    ids = [item["id"] for item in raw()]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 60


def test_kinds_splits_and_expected_counts_are_valid() -> None:
    for item in raw():
        assert item["kind"] in KINDS and item["split"] in SPLITS, item["id"]
        low, high = item["expected"]
        assert 0 <= low <= high <= 25, item["id"]
        if item["kind"] == "nothing":
            assert item["expected"] == [0, 1] and item["must_check"] == [], item["id"]
        else:
            assert 1 <= len(item["must_check"]) <= 5, item["id"]
            assert low >= 1, item["id"]


def test_every_split_holds_every_kind() -> None:
    counts = Counter((item["split"], item["kind"]) for item in raw())
    for split in SPLITS:
        for kind in KINDS:
            assert counts[(split, kind)] > 0, (split, kind)
    assert sum(1 for item in raw() if item["kind"] == "nothing") >= 10
    halves = [sum(counts[(s, k)] for k in KINDS) for s in HALVES]
    assert min(halves) >= 0.4 * sum(halves)
    assert sum(counts[("fresh", k)] for k in KINDS) >= 20
    assert sum(counts[("unseen", k)] for k in KINDS) >= 30
    assert sum(counts[("unseen2", k)] for k in KINDS) >= 20
    assert sum(counts[("unseen3", k)] for k in KINDS) >= 20


def test_every_quote_is_an_exact_substring_of_the_text_the_bot_reads() -> None:
    missing = []
    for page in load_pages("all"):
        if page.split in UNMEASURED:
            continue
        text = texts()[page.id]
        missing += [(page.id, q) for q in page.must_check + [s["quote"] for s in page.speakers] if q not in text]
    assert missing == []


def test_every_unseen_quote_lies_on_one_line_of_each_plain_trafilatura_read() -> None:
    missing = []
    for page in (p for split in UNMEASURED for p in load_pages(split)):
        reads = plain_reads(page)
        for quote in page.must_check + [s["quote"] for s in page.speakers]:
            missing += [(page.id, name, quote) for name, text in reads.items()
                        if not any(quote in line for line in text.splitlines())]
    assert missing == []


def test_the_plain_reads_use_the_bots_own_option_sets() -> None:
    from bot.articles.reading import _READS

    assert PLAIN_READS == _READS


def test_load_pages_filters_by_split() -> None:
    tune, heldout, fresh = load_pages("tune"), load_pages("heldout"), load_pages("fresh")
    unseen, unseen2, unseen3 = load_pages("unseen"), load_pages("unseen2"), load_pages("unseen3")
    assert {p.split for p in tune} == {"tune"} and {p.split for p in heldout} == {"heldout"}
    assert {p.split for p in fresh} == {"fresh"} and {p.split for p in unseen} == {"unseen"}
    assert {p.split for p in unseen2} == {"unseen2"} and {p.split for p in unseen3} == {"unseen3"}
    assert [p.id for p in load_pages("both")] == [p.id for p in load_pages("all") if p.split in ("tune", "heldout")]
    assert [p.id for p in load_pages("seen")] == [p.id for p in load_pages("all")
                                                  if p.split not in ("unseen2", "unseen3")]
    assert len(tune) + len(heldout) + len(fresh) + len(unseen) + len(unseen2) + len(unseen3) == len(load_pages("all"))
    with pytest.raises(ValueError):
        load_pages("test")


def test_a_claim_finds_a_gold_item_by_content_words_and_figures() -> None:
    gold = "67,000 research staff were on fixed-term contracts, making up two-thirds of the total research staff"
    sentence = ("The report explores data showing that 67,000 research staff were on fixed-term contracts, "
                "making up two-thirds of the total research staff employed at universities.")
    assert quote_matches(sentence, gold)
    assert not quote_matches(sentence.replace("67,000", "76,000"), gold)
    assert not quote_matches("Staff on short-term contracts said they felt unable to defend themselves.", gold)
    # Function words alone do not make a match.
    assert not quote_matches("The findings come in the middle of the action over pay.",
                             "universities across the UK are in the midst of industrial action over this issue")


def test_speaker_names_match_by_surname_part_or_initials_and_non_names_never() -> None:
    assert same_speaker("Levy", "Joshua Levy")
    assert same_speaker("Mr. Marcus", "David Marcus")
    assert same_speaker("BPD", "Brookhaven Police Department")
    assert same_speaker("California ISO", "California Independent System Operator")
    assert same_speaker("the Health Ministry", "Health Ministry")
    assert not same_speaker("Joshua Levy", "Christine Elow")
    for non_name in ("the report", "As AnandTech", "What", "in the statement", "the tool was", None):
        assert not is_name(non_name)
        assert not same_speaker(non_name, "AnandTech")


def test_score_counts_card_recall_speakers_count_fit_and_raised_pages() -> None:
    page = Page(id="p", file="pages/p.html", url="https://example.org/p", split="tune", kind="news",
                expected=(1, 2), must_check=["Three people have been arrested for running the network"],
                speakers=[{"quote": "the case is still open, Levy said", "speaker": "Joshua Levy"}])
    nothing = Page(id="n", file="pages/n.html", url="https://example.org/n", split="tune", kind="nothing",
                   expected=(0, 1), must_check=[], speakers=[])
    results = [
        PageResult(page=page, shown=[{"quote": "Three people have been arrested for running the network.",
                                      "speaker": None},
                                     {"quote": "The case is still open, Levy said.", "speaker": "the report"}]),
        PageResult(page=nothing, shown=[{"quote": "A", "speaker": None}, {"quote": "B", "speaker": None}]),
        PageResult(page=page, error="IndexError"),
    ]
    figures = score(results)
    assert figures["recall_card"] == 0.5            # found on the first page, lost on the raised one
    assert figures["speakers"]["wrong"] == 1 and figures["speakers"]["non_names"] == ["the report"]
    assert figures["count_fit"] == 0.5              # the news page fits, the nothing page does not
    assert figures["nothing_over_one"] == ["n"]
    assert figures["raised"] == ["p"]
    assert figures["shown_gold_share"] == 0.25
