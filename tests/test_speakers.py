"""Speakers read from the sentence's structure (issue #17): names only, references and pronouns resolved.

The sentences are the attributions the issue found wrong or missing on real news pages, and ones from
the public pages under tests/fixtures/public/.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.articles.reading import parse_article
from bot.claims.embedded import article_sentences
from bot.claims.speakers import attribute, is_name, is_organization, plausible_speaker
from bot.desk.exports import claimant
from storage.models import Article, Claim

PUBLIC = Path(__file__).resolve().parent / "fixtures" / "public"


@pytest.mark.parametrize(("sentence", "speaker"), [
    ("The man had no known contact with other cases, Berrien County Health Department officials said.",
     "Berrien County Health Department"),
    ("No American troops were hurt, the US military said in a statement.", "US military"),
    ("Games stream at 1080p on a phone, according to The Verge's Stadia review.", "The Verge"),
    ("The plant employs 3,000 people, according to a report in the Argus Leader.", "Argus Leader"),
    ("Apple will move 30% of its production to India, according to DigiTimes.", "DigiTimes"),
    ('"We have seen this before and it did not work," the group\'s president, Stephen Ubl, said in a statement.',
     "Stephen Ubl"),
    ("Sen. Elizabeth Warren (D-Mass.) said the plan would cost $2 trillion.", "Sen. Elizabeth Warren"),
    ("Burials have increased to five days a week, said Department of Correction spokesman Jason Kersten.",
     "Department of Correction spokesman Jason Kersten"),
    ("Sales fell 3%, Reuters reported, citing two people familiar with the matter.", "Reuters"),
    ("Those goats were so smart, remembers Shanna Challenger, coordinator for the programme.", "Shanna Challenger"),
    ("“We are officially joining a family,” Nathaniel Pieper, senior vice president of fleet, finances and alliances "
     "at Alaska, said in a statement on Oct. 12.", "Nathaniel Pieper"),
    ("Turkey, Poland and Bonaire have been removed from the list, said Justice Secretary Humza Yousaf.",
     "Justice Secretary Humza Yousaf"),
    ("The average temperature has already exceeded the previous record by 0.1°C (Copernicus Climate Change Service, "
     "2023).", "Copernicus Climate Change Service"),
    ("Mr. Ruano last week said signal preemption remains his major issue.", "Mr. Ruano"),
    ("David Reay from Edinburgh University likens the statistics to a movie.", "David Reay"),
    ("The plant reported no abnormalities, according to its operator, Japan Atomic Power Co.", "Japan Atomic Power Co"),
    # The speaker of a quotation is outside it, and "told X" names the listener, not the speaker.
    ("\"I think, you know, Elizabeth Warren says it herself, 'This is the fight of our lives,'\" Dossaji said.",
     "Dossaji"),
    ("Dr Anthony Fauci, a key member of the task force, told NBC News the final number of Americans who would die "
     "\"looks more like 60,000\".", "Dr Anthony Fauci"),
    ("The timing raises \"great suspicion,” Woodard said, though he stressed he had no proof.", "Woodard"),
    ("Bennett was endorsed by the Asheville Tea PAC, a local organization which said in a release that its board "
     "met at 6:15 a.m.", "Asheville Tea PAC"),
    ("Mr Grayling earlier used his speech to warn against a one-size-fits-all approach, adding: “It's much easier "
     "for all of us to defend what the Government is doing.”", "Mr Grayling"),
    ("“What Mini Mike is doing is nothing less than a large scale illegal campaign contribution,” Trump declared.",
     "Trump"),
    ("Bloomberg now denies he ever said any of that.", "Bloomberg"),
    ("Microsoft's goal encompasses direct emissions from company vehicles and indirect emissions, it said.",
     "Microsoft"),
])
def test_attributions_the_issue_found_missing(sentence: str, speaker: str) -> None:
    assert attribute([sentence]) == [speaker]


@pytest.mark.parametrize("sentence", [
    "As of October, the company said it had opened 40 stores.",
    "What the president said on Tuesday was not true.",
    "While the mayor said the budget was balanced, auditors found a $3 million gap.",
    "The ministry said in the statement that 12 people had died.",
    "It was not clear what the report said about the 2019 figures.",
    "Others say the billionaire has not confronted a real opponent.",
    "Online records revealed the domain had been registered on Oct. 28.",
    "In 2016, as Trump's rise to power continued, the book fell out of print.",
    # An unnamed group is nobody's name: no speaker rather than "officials" or "Researchers".
    "The room is usually locked, the officials said.",
    "Researchers predicted that California will still have to contend with the drought.",
])
def test_words_that_sit_where_a_subject_could_are_never_a_speaker(sentence: str) -> None:
    assert attribute([sentence]) == [None]


def test_the_report_the_statement_and_the_study_are_whoever_issued_them() -> None:
    assert attribute(["The Argus Leader published a report on the plant on Monday.",
                      "The report said the plant would close in 2021."])[1] == "The Argus Leader"
    assert attribute(["A study by the University of Michigan followed 3,000 drivers.",
                      "The study found that 40 percent used their phones."])[1] == "University of Michigan"
    department = attribute(["Berrien County Health Department officials said the man was 60.",
                            "The department said he had no contact with other cases."])[1]
    assert department == "Berrien County Health Department"
    assert attribute(["Nobody knew.", "The report said the plant would close in 2021."]) == [None, None]


def test_a_pronoun_is_the_person_named_before() -> None:
    sentences = ["At a press conference, a reporter asked Montoya-Lewis about implicit bias in the courts.",
                 "“The biggest hurdle is getting people to understand that we all bring biases,” she replied."]
    assert attribute(["Judge Raquel Montoya-Lewis was sworn in on Monday.", *sentences])[2] == "Raquel Montoya-Lewis"
    assert attribute(["Senator Maria Alvarez told reporters that prices rose 4.5 percent in January.",
                      "She said the order would do nothing to reverse those increases."])[1] == "Senator Maria Alvarez"
    # "He" is a person: an outlet named just before is not who "he" is.
    assert attribute(["The speech was first disclosed by the Aspen Times.",
                      "“You can just take the description,” he said at the time."]) == [None, None]


def test_a_title_standing_for_a_person_is_that_person() -> None:
    speakers = attribute(["Chris Grayling, a former transport secretary, said the decision was wrong.",
                          "Speaking in the Commons, the Conservative MP said: “It does not need to be like this.”"])
    assert speakers == ["Chris Grayling", "Chris Grayling"]


def test_the_author_writing_in_the_first_person_is_the_speaker_when_the_byline_names_one_person() -> None:
    sentences = ["In our research, we found that groups of socially perceptive members did better.",
                 "The effect was first described in 2010.", "“We were surprised,” one member said."]
    assert attribute(sentences, "Thomas W. Malone") == ["Thomas W. Malone", None, None]
    assert attribute(sentences, "Staff and agencies") == [None, None, None]
    assert attribute(sentences) == [None, None, None]


def test_she_is_the_person_the_text_is_about_not_the_last_one_named() -> None:
    speakers = attribute([
        "Sen. Elizabeth Warren of Massachusetts quickly accused Bloomberg of arguing for redlining.",
        "Warren, who has spent most of the race avoiding personal attacks, makes an exception for Bloomberg.",
        "She compares him to Trump.",
        "The debate will give voters “a live demonstration of how we each take on an egomaniac billionaire,” she said.",
    ])
    assert speakers[3] == "Warren"


def test_first_person_testimony_is_the_person_who_testified() -> None:
    speakers = attribute(["Gordon Sondland testified before the House committee on Wednesday.",
                          "I never spoke to the president about Biden.",
                          "The hearing lasted nine hours."])
    assert speakers == ["Gordon Sondland", "Gordon Sondland", None]
    assert attribute(["I never spoke to the president about Biden."]) == [None]


def test_speakers_on_real_pages_are_names_or_plain_groups() -> None:
    for page in sorted(PUBLIC.glob("*.html.gz")):
        article = parse_article(gzip.decompress(page.read_bytes()), "https://news.example/story")
        for sentence, speaker in zip(sentences := article_sentences(article), attribute(sentences), strict=True):
            if speaker is not None:
                assert is_name(speaker) or speaker.islower() or speaker in ("Officials", "Police"), (page.name,
                                                                                                    sentence, speaker)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from([
    "He said.", "The report said it.", "According to", "according to The 's", "I did.", "“", "said ,", ", said",
    "X, the, said", "officials at said", "The statement found", "She replied.", "testified that"])), max_size=8))
def test_attribution_never_raises_and_names_one_speaker_per_sentence(sentences: list[str]) -> None:
    assert len(attribute(sentences)) == len(sentences)


@pytest.mark.parametrize(("speaker", "kind"), [
    ("CNN", "Organization"), ("US military", "Organization"), ("Berrien County Health Department", "Organization"),
    ("Acme Holdings Ltd", "Organization"), ("The New York Times", "Organization"), ("NASA", "Organization"),
    ("Hogan Gidley", "Person"), ("Sen. Elizabeth Warren", "Person"), ("An Afghan official", "Person"),
    ("Department of Correction spokesman Jason Kersten", "Person"), ("J. R. Smith", "Person"),
])
def test_claimreview_types_outlets_and_bodies_as_organizations(speaker: str, kind: str) -> None:
    assert is_organization(speaker) is (kind == "Organization")
    author = claimant(Claim(speaker=speaker), Article(url="https://news.example/story", site="News Example"))
    assert author == {"@type": kind, "name": speaker}


def test_a_run_of_quoted_paragraphs_is_the_person_who_opened_the_quotation() -> None:
    # Each quoted paragraph opens again without the one before closing: one speaker for the whole run.
    speakers = attribute([
        "Harbour board chair Ines Moreau said: “Dredging will start in March.",
        "The work will take two years.",
        "“We have set aside €4m for it.",
        "“Nobody will lose their mooring.”",
        "The council meets on Friday.",
    ])
    assert speakers == ["Ines Moreau"] * 4 + [None]
    # Inside someone's quotation "we" is the speaker's, never the byline's author writing.
    quoted = attribute(["“Our pool closes tonight.", "We thank our members for their patience.",
                        "Lessons resume in May.”"], "Kate Lindqvist")
    assert quoted == [None, None, None]


def test_he_is_not_an_earlier_speaker_when_the_sentence_before_names_someone_else() -> None:
    speakers = attribute([
        "The depot will open in May, Mr. Okafor said.",
        "Regional planner Dana Whitcombe asked for the timetable at the hearing.",
        "“We were promised buses every ten minutes,” he said.",
    ])
    assert speakers == ["Mr. Okafor", None, None]


@pytest.mark.parametrize(("sentence", "speaker"), [
    # A possessive followed by a full name: the name speaks, not its owner.
    ("Norway’s Directorate of Fisheries estimates that cod stocks fell by a third.", "Directorate of Fisheries"),
    # "X and <unnamed others>": the source the sentence names.
    ("Three clinics were shut, according to Okonkwo and inspectors from the Quality Care Commission.", "Okonkwo"),
    # A description of someone, then their name, then the verb.
    ("After the vote on Tuesday, a teacher in the gallery, Miriam Halloway, tweeted that the count was wrong.",
     "Miriam Halloway"),
    # Accusing and touting report what someone claims.
    ("Councillor Ruth Abara accused the mayor of hiding a £2m overspend.", "Councillor Ruth Abara"),
    ("The Treasury has repeatedly touted figures showing 400,000 new jobs.", "The Treasury"),
    # "According to a post for X, Y predicts": Y makes the claim.
    ("According to a newsletter for Harbour Watch, the Maritime Safety Agency predicts that 40 ferries will stop.",
     "Maritime Safety Agency"),
    # A publisher of an editorial or a statement.
    ("The Northern Courier published a scathing editorial blaming the water board for the floods.",
     "The Northern Courier"),
])
def test_attributions_read_from_the_clause_around_the_verb(sentence: str, speaker: str) -> None:
    assert attribute([sentence]) == [speaker]


def test_he_after_a_spokesperson_for_a_body_speaks_for_that_body() -> None:
    speakers = attribute([
        "A spokesperson for the Regional Transport Authority said fares would rise by 3%.",
        "“The increase is below inflation,” he said.",
    ])
    assert speakers == ["Regional Transport Authority", "Regional Transport Authority"]


def test_a_whole_quotation_after_someones_reported_words_is_theirs() -> None:
    speakers = attribute([
        "Ferry operator Lena Vasquez said she would keep the night crossing.",
        "“Nobody else will run it. We carried 9,000 people last winter.”",
        "The port closes at midnight.",
    ])
    assert speakers == ["Lena Vasquez", "Lena Vasquez", None]
    # Not when a new quotation with its own speaker follows at once.
    assert attribute(["Ferry operator Lena Vasquez said she would keep the night crossing.",
                      "“Nobody else will run it.”",
                      "“It loses money,” said harbour master Tom Reilly."])[1] is None


def test_he_is_a_titled_official_named_with_their_city() -> None:
    speakers = attribute(["Springfield City Mayor Alma Quist indicated on Monday that fares might rise.",
                          "“We have no other way to pay for the trams,” he said."])
    assert speakers == ["Springfield City Mayor Alma Quist"] * 2


def test_an_order_is_not_a_claim_when_someone_else_reports_on_it() -> None:
    sentence = ("On Friday, the port authority warned fishermen to stay ashore — a ban that Coastal Rights Trust said "
                "breaks maritime law.")
    assert attribute([sentence]) == ["Coastal Rights Trust"]
    # A warning that states something stays the warner's claim.
    assert attribute(["Transport Minister Ola Brandt warned that 300 bridges need repair."]) == [
        "Transport Minister Ola Brandt"]


def test_a_quotation_after_a_colon_is_the_person_the_sentence_opens_on() -> None:
    speakers = attribute(["Nurse Tamsin Oduya has worked at the clinic for 20 years.",
                          "Oduya knows the waiting list is long, but she is blunt: “Nobody here is turned away.”"])
    assert speakers[1] == "Nurse Tamsin Oduya"  # a title the rules do not know stays with the name
    # A place or a thing opening the sentence introduces no one.
    assert attribute(["Paris has a new rule: “no cars on Sundays”."]) == [None]


def test_the_passive_names_its_speaker_after_by() -> None:
    assert attribute(["The jury was told by Detective Inspector Rhys Moran that the van was stolen."]) == [
        "Detective Inspector Rhys Moran"]
    assert attribute(["The closure was confirmed by Harvell Motors on Friday."]) == ["Harvell Motors"]
    assert attribute(["It was learned that the mine will close."]) == [None]


def test_a_place_after_in_is_where_the_speaker_is_not_who_speaks() -> None:
    assert attribute(["The old pub in Ballymore say they will close on Sunday."]) == [None]
    assert attribute(["The Anchor Inn says it will close on Sunday."]) == ["The Anchor Inn"]


def test_a_byline_naming_a_column_is_nobody_writing_in_the_first_person() -> None:
    sentence = "I believe the recount is worth every cent."
    assert attribute([sentence], "Letters To The Editor") == [None]
    assert attribute([sentence], "Nadia van Dijk") == ["Nadia van Dijk"]


def test_a_reporting_verb_in_a_clause_saying_when_names_no_speaker() -> None:
    sentence = "Shares in Harvell Motors fell 8% on Monday after Finance Minister Pia Lund announced a new levy."
    assert attribute([sentence]) == [None]
    assert attribute(["Finance Minister Pia Lund announced a new levy on Monday."]) == ["Finance Minister Pia Lund"]


def test_people_speaking_about_someone_and_a_bare_article_are_no_speaker() -> None:
    assert attribute(["But critics of Senator Amy Holt say the bill is rushed."]) == [None]
    assert attribute(["A new poll shows Senator Amy Holt leading by 5 points."]) == [None]


@pytest.mark.parametrize(("sentence", "speaker"), [
    # An opening phrase before the subject, and a capitalised head that closes a body's name.
    ("In a statement, the Ministry of Health said 300 new cases had been recorded.", "Ministry of Health"),
    # "Officials at X": the body speaks through its officials, who are not a name.
    ("Officials at the Environmental Protection Agency said the water was safe.", "Environmental Protection Agency"),
    # The base form of a reporting verb after a plural subject.
    ("Democrats argue that the bill would cost $4 billion.", "Democrats"),
    # "as reported by X": the passive's agent without "was".
    ("Sales fell by a third, as reported by the Financial Times.", "Financial Times"),
    # An age and a home town between the name and the verb.
    ("Jane Doe, 54, of Dover, said the plant employs 300 people.", "Jane Doe"),
    # "show" reports only after a document: data, figures, records, polls.
    ("Crime fell 5% last year, FBI data show.", "FBI"),
])
def test_attribution_shapes_common_in_news_copy(sentence: str, speaker: str) -> None:
    assert attribute([sentence]) == [speaker]


def test_a_tv_show_is_not_someone_showing() -> None:
    assert attribute(["The mayor appeared on the TV show on Monday to talk about the 2% tax rise."]) == [None]


def test_he_is_the_only_person_the_sentences_before_name() -> None:
    sentences = ["Union leader John Smith addressed the crowd outside the plant on Friday.",
                 "Smith has led the union since 2015.",
                 "The union wants a 10% raise.",
                 "\"The strike will go on until we are paid fairly,\" he said."]
    assert attribute(sentences)[-1] == "John Smith"


def test_he_is_nobody_when_someone_unnamed_could_be_meant() -> None:
    sentences = ["Union leader John Smith addressed the crowd outside the plant on Friday.",
                 "Smith has led the union since 2015.",
                 "A man in a red jacket shouted from the back of the crowd.",
                 "\"The strike will go on until we are paid fairly,\" he said."]
    assert attribute(sentences)[-1] is None


# ---------------------------------------------------------------- generalising (issue #17, unseen pages)
# Invented sentences, one attribution shape or one trap each: every rule below was chosen on what an
# unseen page got wrong, and each test fails when its rule is taken out.


@pytest.mark.parametrize("speaker", [
    "As of October", "What", "While", "In the statement", "the report", "officials", "An official", "Police",
    "Spokesman", "U.S", "MPH", "I’ll", "October", "According to Reuters",
])
def test_the_last_check_drops_anything_that_is_not_a_name(speaker: str) -> None:
    assert not plausible_speaker(speaker)


@pytest.mark.parametrize("speaker", [
    "Berrien County Health Department", "US military", "Jo Grady", "CNN", "The Verge", "Mr. Ruano", "Boeing",
])
def test_the_last_check_keeps_names_of_people_bodies_and_outlets(speaker: str) -> None:
    assert plausible_speaker(speaker, inner_capitals={"Boeing"})


def test_a_verb_form_opening_a_sentence_is_not_a_body_before_officers() -> None:
    assert attribute(["Responding officers found a man lying on the ground."]) == [None]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([
    "As of October, the company said it had opened 40 stores.", "What the mayor said was wrong.",
    "Responding officers found a man.", "“It is late,” she said.", "He added that the port will close.",
    "Taking the dog out is his favourite part of the day, he said.", "The report said costs rose.",
    "Jo Grady, general secretary of the union, said pay fell.", "I believe the count is wrong.",
    "Mara: We test every page.", "Officials said the road was shut.", "TV shows and films followed.",
]), max_size=8))
def test_every_speaker_shown_passes_the_last_check(sentences: list[str]) -> None:
    for speaker in attribute(sentences, "Sam Reyes"):
        assert speaker is None or plausible_speaker(speaker), speaker


def test_she_is_never_the_man_the_article_calls_he() -> None:
    speakers = attribute(["Councillor Maya Brandt said she would vote against the plan.",
                          "Mayor Tom Okoro said he backed it.",
                          "“It is a mistake,” she said."])
    assert speakers == ["Councillor Maya Brandt", "Mayor Tom Okoro", None]


def test_a_name_inside_the_quotation_is_not_who_she_is() -> None:
    speakers = attribute(["The nurse spoke about her years on the ward.",
                          "“I reached out to one of Dr. Amara Osei's colleagues,” she said."])
    assert speakers == [None, None]


def test_she_after_a_described_subject_is_that_person_not_someone_named_beside_her() -> None:
    speakers = attribute(["Oprah Winfrey hosted the interview, and Winfrey asked most questions.",
                          "The duchess has hinted at this before, but in her talk with Winfrey she spoke openly.",
                          "She said the palace ignored her."])
    assert speakers[2] is None


def test_he_already_spoken_of_before_anyone_is_named_is_not_the_name_that_follows() -> None:
    speakers = attribute(["Vintner Paul Roth opened the cellar in 1981.",
                          "Anna Klee owns the next field, and Klee sells grapes to Roth.",
                          "Although he was tired, he walked with Anna Klee through the harvest.",
                          "“It was a hard year,” he says."])
    assert speakers[3] is None


def test_he_as_the_only_one_named_nearby_must_be_named_in_full() -> None:
    speakers = attribute(["Grauer Burgunder is an old grape.", "It ripens early.", "The vines need care.",
                          "Burgunder is hard to grow, growers say.", "The harvest starts in August.",
                          "“It is a diva,” he says."])
    assert speakers[5] is None


def test_first_person_after_someone_elses_words_is_theirs_not_the_reporters() -> None:
    sentences = ["Governor Ada Lind issued a statement on Friday.", "She said: “The port will close.”",
                 "I would like to thank the harbour staff.", "The ferries stop at noon.",
                 "I will give an update on Monday."]
    assert attribute(sentences, "Sam Reyes")[2:] == [None, None, None]


def test_the_reporters_own_voice_is_no_antecedent_for_a_title() -> None:
    speakers = attribute(["I spoke to the founder of the site last week.",
                          "The answer, the site's founder suggests, is polarisation."], "Eric Lang")
    assert speakers == ["Eric Lang", None]


def test_a_clause_saying_when_with_as_names_no_speaker() -> None:
    speakers = attribute(["Senator Ruth Ode said the vote would be close.",
                          "As she concluded the debate, Deonarine proposed an amendment to the motion."])
    assert speakers == ["Senator Ruth Ode", None]
    assert attribute(["As AnandTech reports, Apple will move 30% of production to India."]) == ["AnandTech"]


def test_the_affidavit_is_the_one_named_with_its_issuer_a_few_sentences_before() -> None:
    speakers = attribute(["The ring ran flats in two states, according to an affidavit from Homeland Security.",
                          "The suspects rented the flats.", "Rent was paid in cash.",
                          "Women were recruited online, the affidavit said."])
    assert speakers[3] == "Homeland Security"


@pytest.mark.parametrize(("sentence", "speaker"), [
    ("In Dr. Ifeoma Obi's words, “the ward was never built for this”.", "Dr. Ifeoma Obi"),
    ("In the words of Mayor Lena Ortiz, the budget is “balanced to the penny”.", "Mayor Lena Ortiz"),
    ("“We can make a difference,” Minister Paulo Reis also commented.", "Minister Paulo Reis"),
    # A person, their role at a body and a description of the body: the person speaks.
    ("Yesterday, Dr Lena Marsh, managing director of Harbour Cyber Solutions, a security firm, said the outage "
     "was an attack.", "Dr Lena Marsh"),
    # Degrees after a name.
    ("Jo Roe, MD, MPH, Deputy Editor, reports that she has no conflicts.", "Jo Roe"),
    # What was said after "said" is not who said it.
    ("Ana Cruz, founder of the Pelham Civic Group, said Velázquez's reversal hurt the plan.", "Ana Cruz"),
    # "as confirmed by" with an abbreviation's dots inside the name.
    ("The talks will go ahead, as confirmed by U.S. Secretary of State Dana Pruitt.",
     "U.S. Secretary of State Dana Pruitt"),
])
def test_more_attribution_shapes(sentence: str, speaker: str) -> None:
    assert attribute([sentence]) == [speaker]


def test_tv_shows_are_not_someone_showing() -> None:
    assert attribute(["The actor has been in many popular TV shows and films."]) == [None]


def test_an_interview_transcript_gives_each_answer_to_its_label() -> None:
    speakers = attribute(["Rick Diaz and Mara Holt lead the web team.",
                          "Rick: We moved to the new stack in 2019.",
                          "Mara: Rick's team wrote most of the code.",
                          "Mara: We test every page.",
                          "Rick: It was quick."], "Alex Duran")
    assert speakers == [None, "Rick", "Mara", "Mara", "Rick"]


@pytest.mark.parametrize(("sentences", "speaker"), [
    (["The pier will reopen in May, Harbour Master Ines Pell said."], "Harbour Master Ines Pell"),
    (["Ferry fares will rise 4%, says Transport Minister Ola Brandt."], "Transport Minister Ola Brandt"),
    (["Finance chief Nadia Rahm told the Ledger that the fund was empty."], "Finance chief Nadia Rahm"),
    (["The dam leaks 40 litres a second, according to the Rivers Agency."], "Rivers Agency"),
    (["Two sailors were hurt, the Coast Guard said in a statement."], "Coast Guard"),
    (["The phone lasts two days, according to Gadget Weekly's Pixel review."], "Gadget Weekly"),
    (["The lake is unsafe, Marlow County Water Board officials said."], "Marlow County Water Board"),
    (["“Nobody was told,” Councillor Ben Asare said."], "Councillor Ben Asare"),
    (["Councillor Ben Asare said the river rose overnight.", "He said 30 homes were flooded."],
     "Councillor Ben Asare"),
    (["Councillor Ben Asare chaired the meeting.", "Asare is new to the council.", "He said 30 homes were flooded."],
     "Councillor Ben Asare"),
    (["Officer Dan Kilby testified before the panel on Tuesday.", "I never saw the warrant."], "Officer Dan Kilby"),
])
def test_each_attribution_shape_the_issue_names(sentences: list[str], speaker: str) -> None:
    assert attribute(sentences)[-1] == speaker


def test_he_after_a_person_named_with_their_body_is_that_person() -> None:
    speakers = attribute(["Manning took office in May.",
                          "Minister in the Ministry of Finance Brian Manning said the rate would hold.",
                          "He added that reserves were low."])
    assert speakers[2] == speakers[1] == "Ministry of Finance Brian Manning"


@pytest.mark.parametrize(("sentence", "speaker"), [
    ('"Sales fell by 12 percent in the quarter," said President and Chief Financial Officer of Super Value '
     "Debra Symonette.", "Debra Symonette"),
    ("Chief Executive Officer of Acme Holdings John Smith said revenue rose 40 percent last year.", "John Smith"),
    ("Minister of Foreign Affairs Sergei Lavrov said 40 diplomats were expelled.", "Sergei Lavrov"),
    ("Secretary of State Antony Blinken said the talks had failed.", "Antony Blinken"),
    # Left whole: a lower-case title after the body, and a title with no body.
    ("Department of Correction spokesman Jason Kersten said 12 inmates were hurt.",
     "Department of Correction spokesman Jason Kersten"),
    ("Finance Minister Brian Manning said the deficit was 3 percent.", "Finance Minister Brian Manning"),
])
def test_an_office_of_a_body_before_a_name_is_the_name(sentence: str, speaker: str) -> None:
    """The guideline wants the speaker resolved to a name: "President ... of Super Value Debra Symonette" is
    Debra Symonette (invented sentences)."""
    assert attribute([sentence]) == [speaker]


def test_a_rank_or_a_surname_is_given_as_the_full_name_the_article_used() -> None:
    speakers = attribute(["At the scene, police press liaison officer Superintendent Audley Peters said officers "
                          "were alerted after noon.",
                          "Supt Peters said the man was at a fruit stall.",
                          "Peters said there was no evidence of a link."])
    assert speakers[1:] == ["Audley Peters", "Audley Peters"]
    # Two people of that surname: the card keeps what the sentence says rather than guess.
    two = attribute(["Anna Peters and Mark Peters run the shop.", "Ms. Peters said sales fell 10 percent."])
    assert two[1] == "Ms. Peters"


def test_a_reporting_clause_between_commas_gives_the_speaker() -> None:
    speakers = attribute(["Brian Manning, the finance minister, said reserves were strong.",
                          "The Central Bank, he continued, intervenes on a fortnightly basis.",
                          "Simultaneously, he continued, Government has reduced VAT on basic food."])
    assert speakers[1:] == ["Brian Manning", "Brian Manning"]
    assert attribute(["Brian Manning spoke.", "As the rally continued, prices rose."])[1] is None


def test_per_before_a_name_is_according_to() -> None:
    assert attribute(["Joe Biden has far more endorsement points than any other candidate, per FiveThirtyEight’s "
                      "endorsement tracker."]) == ["FiveThirtyEight"]
    assert attribute(["Prices rose 5 per cent per year."]) == [None]


def test_a_title_is_the_one_person_the_article_gave_it() -> None:
    assert attribute(["Michael Bloomberg, the former mayor of New York, is running for president.",
                      "In 2015, Bloomberg spoke at the Aspen Institute.",
                      "At the time the former mayor argued that crime fell 30 percent."])[2] == "Michael Bloomberg"
    assert attribute(["Mayor Ann Lee opened the bridge.", "The mayor said it cost $4 million."])[1] == "Ann Lee"
    # Two people with the title: no guess.
    assert attribute(["Labour MP Jo Smith and Tory MP Al Brown met.", "The MP said rates rose."])[1] is None


def test_an_interview_without_labels_is_not_the_byline_authors_first_person() -> None:
    sentences = ["Alexandria Douziech paints plants and the people who grow them.",
                 "What brought you to painting?", "My mother was born on a sugarcane plantation.",
                 "Where do you teach now?", "Currently, I teach art history at a performing arts college."]
    speakers = attribute(sentences, "Shana Nys Dambrot")
    assert "Shana Nys Dambrot" not in speakers  # missing rather than the interviewer
    # A column in its author's own voice keeps its author.
    assert attribute(["I have covered this council for ten years.", "We counted 40 potholes on Main Street."],
                     "Jo Writer") == ["Jo Writer", "Jo Writer"]
