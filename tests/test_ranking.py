"""Which claims the card shows, how many, and what it says on a page with nothing to check (issue 17).

The pages under tests/fixtures/pages/ are small invented pages in real sites' shapes: a deals page
(`deals.html`), a hard-news story whose key fact is a plan ("NASA plans to spend $2.6 billion", which the
old hand rules sank for saying "plans to") padded with filler (`nasa-budget.html`), and the pages the
reading tests use.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.articles.reading import ParsedArticle, parse_article
from bot.claims.embedded import EmbeddedExtractor, describe_page
from bot.claims.page_kind import DEFAULT_PAGE_MODEL_PATH, PageKind, PageRules
from bot.claims.ranking import DEFAULT_RANKER_PATH, FEATURES, Ranker, default_ranker, select, sentence_features
from bot.publishing.views import ArticleInfo, no_claims_notice

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
EXTRACTOR = EmbeddedExtractor()


def read(name: str) -> ParsedArticle:
    return parse_article((PAGES / f"{name}.html").read_bytes(), "https://news.example/story")


# ---------------------------------------------------------------- pages with nothing to check


def test_a_deals_page_shows_no_claim_and_says_it_is_a_shopping_page() -> None:
    extraction = EXTRACTOR.extract(read("deals"), 5)
    assert len(extraction.claims) <= 1
    assert extraction.page_kind == "shopping"
    assert extraction.page_note == "This looks like a shopping page: nothing to check."
    # Its sentences are not thrown away: they stay as kept-back candidates.
    assert extraction.candidates == len(extraction.claims) + len(extraction.more)


def test_the_card_of_a_page_with_nothing_to_check_says_what_the_page_looks_like() -> None:
    article = read("deals")
    note = describe_page(article).note
    assert note == "This looks like a shopping page: nothing to check."
    message = no_claims_notice(7, ArticleInfo(url=article.url, title=article.title), "", note=note)
    assert "This looks like a shopping page: nothing to check." in message.blocks[0]["text"]["text"]
    assert "found no check-worthy factual claims" not in message.blocks[0]["text"]["text"]
    assert message.text.startswith("This looks like a shopping page")


def test_the_candidates_of_a_page_with_nothing_to_check_can_still_be_shown() -> None:
    article = read("deals")
    extraction = EXTRACTOR.extract(article, 5)
    assert extraction.more  # kept back, not thrown away
    message = no_claims_notice(7, ArticleInfo(url=article.url, title=article.title), "",
                               note=extraction.page_note, kept_back=len(extraction.more))
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        ("more_claims", "7", f"Show {len(extraction.more)} more")]
    assert not [b for b in no_claims_notice(7, ArticleInfo(url=article.url), "").blocks if b["type"] == "actions"]


def test_a_news_page_is_not_a_page_with_nothing_to_check() -> None:
    for name in ("nasa-budget", "dense-report", "wire-jsonld", "attribution", "table-layout"):
        kind = describe_page(read(name))
        assert not kind.nothing_to_check, (name, kind.features)
        assert kind.note is None


@pytest.mark.parametrize(("features", "expected"), [
    ({"prose_sentences": 2.0, "checkworthy_share": 0.9}, "navigation"),  # almost no prose
    ({"checkworthy_share": 0.01}, "listing"),  # prose, but nothing in it a desk would check
    ({"prices_per_100": 4.0, "promo_per_100": 3.0, "attribution": 0.0}, "shopping"),
    ({"prices_per_100": 4.0, "promo_per_100": 3.0, "attribution": 0.5}, "article"),  # news about prices
    ({"checkworthy_share": 0.02, "numeric_lines": 0.5}, "results"),
    ({"checkworthy_share": 0.02, "imperative": 0.3, "second_person": 0.4}, "tips"),
    # A police blotter: every paragraph an entry, full of check-worthy-looking sentences and attribution.
    ({"entries": 10.0, "entry_paragraphs": 1.0, "attribution": 0.35, "checkworthy_share": 0.65}, "records"),
    ({"entries": 1.0, "entry_paragraphs": 0.1}, "article"),  # a news story opening on a dateline
    # A recipe or a how-to: many sentences are instructions, nobody is quoted; its figures (grams, minutes,
    # degrees) make the model's share of check-worthy sentences look like news.
    ({"imperative": 0.2, "second_person": 0.1, "attribution": 0.0}, "tips"),
    ({"imperative": 0.2, "second_person": 0.1, "attribution": 0.3}, "article"),  # a story quoting advice
])
def test_page_rules(features: dict[str, float], expected: str) -> None:
    base = {"words": 500.0, "prose_sentences": 20.0, "prices_per_100": 0.0, "promo_per_100": 0.0,
            "numeric_lines": 0.0, "list_lines": 0.0, "imperative": 0.0, "second_person": 0.0, "attribution": 0.2,
            "contact_per_100": 0.0, "thread": 0.0, "dated": 0.2, "checkworthy_share": 0.5}
    from bot.claims.page_kind import classify

    assert classify({**base, **features}) == expected


def test_page_rules_come_from_the_shipped_file() -> None:
    data = json.loads(DEFAULT_PAGE_MODEL_PATH.read_text())
    rules = PageRules.load()
    assert rules.min_checkworthy_share == data["min_checkworthy_share"] > 0
    assert "seen pages" in data["trained_on"]
    assert PageKind("article", {}).note is None


# ---------------------------------------------------------------- the ranking


def test_a_hard_news_page_shows_its_key_figure_claim_first() -> None:
    extraction = EXTRACTOR.extract(read("nasa-budget"), 5)
    quotes = [c.quote for c in extraction.claims]
    key = ("NASA plans to spend a total of $2.6 billion on a new lunar lander over the next five years, the agency "
           "said in budget documents released on Monday.")
    assert quotes[0] == key
    # The key fact is the ranker's surest pick, above the filler around it.
    assert extraction.claims[0].score == max(c.score for c in [*extraction.claims, *extraction.more])
    filler = [c for c in [*extraction.claims, *extraction.more]
              if c.quote == "Officials did not immediately provide any other details."]
    assert not filler or filler[0].score < extraction.claims[0].score
    assert "You can watch the agency's briefing online." not in quotes


def test_the_ranker_is_learned_not_a_word_list() -> None:
    """The weights come from the shipped JSON, and a plan with a figure outranks the same sentence without."""
    ranker = Ranker.load()
    assert ranker.metadata["features"] == list(FEATURES)
    assert "seen pages" in ranker.metadata["trained_on"]
    sentences = ["NASA plans to spend a total of $2.6 billion on a new lunar lander, the agency said.",
                 "NASA plans to spend more on a new lunar lander, the agency said."]
    features = sentence_features(sentences, [0.8, 0.8], "NASA plans to spend $2.6 billion on new lunar lander")
    with_figure, without = ranker.probabilities(features)
    assert with_figure > without
    # Zeroing the learned weights removes the preference: it is the weights, not a rule, that rank.
    flat = Ranker(ranker.mean, ranker.scale, np.zeros_like(ranker.coef), 0.0, ranker.show_threshold,
                  ranker.lead_threshold, ranker.candidate_threshold, {})
    assert flat.probabilities(features)[0] == flat.probabilities(features)[1]


def test_the_shipped_ranker_file_is_small_and_records_how_it_was_chosen() -> None:
    assert DEFAULT_RANKER_PATH.stat().st_size < 20_000
    data = json.loads(DEFAULT_RANKER_PATH.read_text())
    assert 0 < data["candidate_threshold"] <= data["lead_threshold"] <= data["show_threshold"] < 1
    assert set(data["leave_one_page_out"]) >= {"recall_card", "count_fit", "recall_candidates"}
    assert default_ranker() is default_ranker()


# ---------------------------------------------------------------- the count follows the article


def _ranker(show: float, lead: float = 0.0, candidate: float = 0.0, count: tuple[float, float] = (99.0, 0.0)
            ) -> Ranker:
    zeros = np.zeros(len(FEATURES))
    return Ranker(zeros, zeros + 1, zeros, 0.0, show, lead, candidate, {}, count_base=count[0],
                  count_slope=count[1])


def test_a_short_page_shows_fewer_claims_than_a_long_one_however_many_are_sure() -> None:
    """The count limit grows with the log of the page's length: a four-sentence item is not padded."""
    limit = _ranker(0.5, count=(1.0, 1.0))
    short = [" ".join(f"s{i}x{j}" for j in range(6)) for i in range(4)]
    long = [" ".join(f"l{i}x{j}" for j in range(6)) for i in range(60)]
    assert select(short, [0.9] * 4, [True] * 4, limit, 5).shown == [0, 1]  # round(1 + ln 4) = 2
    assert len(select(long, [0.9] * 60, [True] * 60, limit, 5).shown) == 5  # round(1 + ln 60) = 5: the cap
    assert len(select(long, [0.9] * 60, [True] * 60, limit, 3).shown) == 3  # MAX_CLAIMS_PER_ARTICLE still caps
    assert select(short, [0.9] * 4, [True] * 4, limit, 5).more == [2, 3]  # the rest kept back, not lost
    assert len(select(short, [0.9] * 4, [True] * 4, _ranker(0.5), 5).shown) == 4  # no limit: the cut alone
    assert _ranker(0.5, count=(0.0, 0.25)).most_shown(2, 5) == 1  # never below one


def test_the_count_is_what_the_ranker_is_sure_of_and_the_cap_is_only_a_cap() -> None:
    texts = [" ".join(f"w{i}x{j}" for j in range(6)) for i in range(8)]  # no two share a word
    probabilities = [0.9, 0.1, 0.8, 0.05, 0.3, 0.6, 0.02, 0.01]
    eligible = [True] * 8
    picked = select(texts, probabilities, eligible, _ranker(0.5, 0.2, 0.03), 5)
    assert picked.shown == [0, 2, 5]  # three sure ones, not padded to the cap of 5
    assert picked.more == [4, 1, 3]  # the other candidates, best first; 6 and 7 are below the floor
    capped = select(texts, probabilities, eligible, _ranker(0.5, 0.2, 0.03), 2)
    assert capped.shown == [0, 2] and capped.more == [5, 4, 1, 3]


def test_a_page_with_no_sure_claim_shows_its_best_one_only_above_the_lead_threshold() -> None:
    texts = [" ".join(f"w{i}x{j}" for j in range(6)) for i in range(3)]
    assert select(texts, [0.1, 0.3, 0.2], [True] * 3, _ranker(0.5, 0.25), 5).shown == [1]
    assert select(texts, [0.1, 0.2, 0.2], [True] * 3, _ranker(0.5, 0.25), 5).shown == []


def test_near_duplicates_are_merged_into_the_better_one() -> None:
    texts = ["The council approved a budget of $4.2 million on Monday night.",
             "On Monday night the council approved a $4.2 million budget, officials said.",
             "The mayor has ten days to sign or veto the ordinance."]
    picked = select(texts, [0.9, 0.8, 0.7], [True] * 3, _ranker(0.5), 5)
    assert picked.shown == [0, 2] and picked.more == []


def test_a_page_with_nothing_to_check_shows_none_and_keeps_its_candidates() -> None:
    texts = [" ".join(f"w{i}x{j}" for j in range(6)) for i in range(3)]
    picked = select(texts, [0.9, 0.8, 0.1], [True] * 3, _ranker(0.5, 0.2, 0.05), 5, nothing_to_check=True)
    assert picked.shown == [] and picked.more == [0, 1, 2]


def test_a_dense_report_shows_more_than_a_short_wire_story() -> None:
    dense = EXTRACTOR.extract(read("dense-report"), 5)
    wire = EXTRACTOR.extract(read("wire-jsonld"), 5)
    assert len(wire.claims) < len(dense.claims) <= 5
    assert len(EXTRACTOR.extract(read("dense-report"), 2).claims) == 2


BLOTTER = """<html><head><title>County police blotter</title></head><body><article>
<h1>County police blotter</h1>
<p>SPRINGVILLE — The following are arrest and accident reports as recorded by the Springville Police Department.</p>
<p>March 3: ACCIDENT – A vehicle driven by Dana Price, 41, was northbound on Route 9 when a deer entered the roadway.
The car sustained $4,000 in damage, police said.</p>
<p>March 3: ARRESTS – Lee Grant, 22, Springville, was arrested for retail theft. Sam Oduya, 35, Marion, was arrested
for driving with a suspended licence.</p>
<p>March 4: ACCIDENT – A truck driven by Ken Wall, 58, struck a parked car on Main Street at 10:20 a.m., according
to the report. No one was injured.</p>
<p>March 5: ARRESTS – Ana Ruiz, 30, Dover, was arrested by state police for domestic battery. She was released on
$1,500 bond.</p>
<p>March 6: ACCIDENT – A vehicle driven by Tom Hale, 67, slid off Route 4 into a ditch in heavy rain, the sheriff's
office said. The driver was cited for speeding.</p>
</article></body></html>"""


def test_a_police_blotter_is_a_records_listing_with_nothing_to_check() -> None:
    """Every paragraph opens on an entry head ("March 3: ACCIDENT –"): routine records, however many names,
    figures and "police said" they hold."""
    article = parse_article(BLOTTER.encode(), "https://news.example/blotter")
    kind = describe_page(article)
    assert kind.kind == "records", kind.features
    assert kind.note == "This looks like a listing of records (a blotter or a log): nothing to check."
    assert EXTRACTOR.extract(article, 5).claims == []


SHORT_NEWS = """<html><head><title>Council approves $12 million bridge repair</title></head><body><article>
<h1>Council approves $12 million bridge repair</h1>
<p>SPRINGVILLE — The city council voted 6-1 on Tuesday to spend $12 million repairing the Main Street bridge,
which inspectors rated structurally deficient in 2022. Work will begin in May and take 14 months, the city's public
works director, Ana Ruiz, said. The bridge carries about 18,000 vehicles a day.</p>
<p>Council member Tom Hale, who cast the only vote against, said the state should pay half of the cost. The state
transportation department said it had offered $3 million in 2023. Mayor Dana Price said the city could not wait
any longer.</p>
</article></body></html>"""


def test_a_dateline_alone_does_not_make_a_short_news_story_a_records_listing() -> None:
    """Half of this story's two paragraphs open on an entry head (its dateline): one entry is no listing."""
    kind = describe_page(parse_article(SHORT_NEWS.encode(), "https://news.example/bridge"))
    assert kind.features["entries"] == 1 and kind.features["entry_paragraphs"] == 0.5
    assert kind.kind == "article", kind.features
