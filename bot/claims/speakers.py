"""Who made each claim: the speaker of reported speech, read from the sentence's structure.

A card that names the wrong speaker misleads the desk more than one that names none, so a speaker
is only ever a name (a person, an outlet, a body: "Hogan Gidley", "CNN", "Berrien County Health
Department", "US military"). Words that merely sit where a subject could ("As of October", "What",
"While", "in the statement"), an unresolved document ("the report") and an unnamed group or person
("officials", "An official") are never returned: whatever rule found a speaker, `plausible_speaker` checks
it last and drops what is not a name (missing rather than wrong).

The structure read, in order of trust:

* "according to X" (X's review, a report in X, a new X poll -> X), "per X's tracker", "In X's words", "in
  the words of X";
* the reporting verb's subject: "X said", "X, the deputy secretary, said", "X said in a statement",
  "Berrien County Health Department officials said" and "officials at X said" (-> the named body), "the US
  military said", "In a statement, the Ministry of Health said", the base form after a plural subject
  ("Prosecutors allege", "Democrats argue", "FBI data show"), past an age and a home town ("Jane Doe, 54, of
  Dover, said"), degrees ("Jo Roe, MD, MPH, ...") and a role at a body ("Dr Lena Marsh, managing director of
  X, a security firm, said" -> the person);
* the inverted form: '"...," said X' and ", said X, the ..." (not ", said X's reversal hurt ...": what was
  said);
* the passive's agent ("was told by X", "as reported by X", "as confirmed by U.S. Secretary ...") and a
  publisher ("X published an editorial");
* "According to a post for X, Y predicts": Y, who makes the claim X only carries;
* an interview set out as a transcript ("Rick: ..."), each answer its label's.

Shapes that look like a speaker but are not one are skipped: a reporting verb in a clause saying when
("after X announced", "As she concluded the debate, ..."), an order reported by someone else ("X warned
people to leave, a step Y said ..."), a place after "in" ("the pub in Douglas say"), people speaking about a
name ("critics of X"), a noun that looks like a verb ("TV shows").

What the sentence names is then resolved against the sentences before it: a pronoun ("he", "she",
"they", "it") is the speaker or subject of the sentence before, and "he" or "she" is otherwise the one
person the four sentences before name in full, if they name exactly one and mention no unnamed person
("the man in red shorts") it could as well stand for. "He" and "she" agree with what the page itself
calls a name ("Harry said he ...", "Ms. Price"), never find a name inside someone's quotation, and find
no one when the sentence before is about a person it does not name ("The duchess has hinted ...") or
already spoke of "he" before naming anyone. "The report", "the statement" or "the study" is the outlet,
person or body named with it, in this sentence or the one before, and "the affidavit" the one named with
its issuer a few sentences before. A quotation standing alone takes the speaker introduced just before
(': "...'), just after, or the person whose words the sentence before reports; a run of quoted
paragraphs, each opening again without the last closing, keeps the speaker who opened it; first-person
testimony ("I did not ...") is the person the article says testified; and the byline's author is the
speaker of their own first person only until the article reproduces anyone else's words after them (a
statement set out unquoted after "He said:" is not the reporter's), and is never what "he" or a title
stands for; in an interview set out without labels (the article asks, the next sentence answers in the
first person, twice or more) the first person is nobody's rather than the interviewer's.

A title ("the former mayor", "the Director") is the one person the article gave that title before
("Michael Bloomberg, the former mayor of New York", "PAHO Director Carissa F. Etienne"), when it gave it to
exactly one; otherwise it is resolved like "he". Last, a speaker given by rank or surname alone ("Supt
Peters", "Ms. Price", "Peters") is written as the full name the article used for that person before
("Audley Peters"), when it used exactly one: the desk sees who spoke without reading back through the story.

No NLP model is used: stanza and flair download their models at run time, and spaCy's English models
are on the package registry only as third parties' re-uploads; these rules run offline at thousands
of sentences a second.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

_SAY = (r"said|says|say|told|tells|reported|reports|stated|states|claimed|claims|announced|announces|wrote|writes|"
        r"added|adds|argued|argues|estimated|estimates|warned|warns|confirmed|confirms|denied|denies|insisted|"
        r"insists|noted|notes|explained|explains|concluded|concludes|found|finds|alleged|alleges|testified|testifies|"
        r"predicted|predicts|acknowledged|acknowledges|admitted|admits|tweeted|posted|showed|shows|revealed|reveals|"
        r"suggested|suggests|believes|contends|contended|maintained|maintains|recalled|recalls|countered|replied|"
        r"responded|asserted|asserts|cautioned|emphasized|stressed|observed|boasted|replied|remembers|remembered|"
        r"emphasizes|emphasises|emphasised|likens|pledged|described|continued|recounted|confided|reiterated|"
        r"points out|pointed out|quipped|quips|"
        r"reiterates|cited|cites|indicated|declared|accused|accuses|touted|touts|commented|comments|"
        # The base form after a plural subject ("Prosecutors allege", "Critics argue"); not "claim", "report",
        # "estimate" or "state", which are as often nouns.
        r"allege|warn|argue|insist|predict|deny|admit|acknowledge|contend|concede|concedes|conceded|assert|"
        # "show" only after a document ("FBI data show"): "the TV show" is no one's claim.
        r"(?<=data )show|(?<=figures )show|(?<=records )show|(?<=statistics )show|(?<=numbers )show|"
        r"(?<=polls )show|(?<=surveys )show|(?<=studies )show|(?<=documents )show")
_SAY_VERB = re.compile(rf"\b(?:{_SAY})\b")
# A reporting clause set inside the sentence between commas: "The Central Bank, he continued, intervenes ...".
_PARENTHETICAL = re.compile(r"\S,\s+(?:[Hh]e|[Ss]he|[Tt]hey|(?:[A-Z][\w'’.-]*\s+){0,2}[A-Z][\w'’-]*)\s+"
                            r"(?:continued|added|said|says|noted|explained|argued|insisted|stressed|warned),$")
# Reported speech and quotations (the brief's "X said", "said X", "according to X", "X told Y", quotes);
# evidence verbs ("found", "showed") and the passive ("was announced") are not someone's claim.
_ATTRIBUTION_CUE = re.compile(
    r"(?<!\bwas )(?<!\bwere )(?<!\bbeen )(?<!\bbe )\b(?:said|says|told|tells|according to|reported|reports|stated|"
    r"states|claimed|claims|announced|wrote|writes|added|argued|argues|estimated|warned|confirmed|denied|insisted|"
    r"alleged|testified|tweeted)\b|^[\"“‘«]|[\"”’»]\s*$",
    re.IGNORECASE,
)
# "according to X", and "per X" before a name ("per FiveThirtyEight's tracker"; not "per cent", "per day").
_ACCORDING = re.compile(r"\b(?:[Aa]ccording to\s+|per\s+(?=(?:the\s+)?[A-Z]))(?P<np>[^,;:()\"“”]{2,160})")
# "In Dr. Shadlen's words, ...", "in the words of the UN's envoy, ...": whose words the sentence gives.
_WORDS_OF = re.compile(r"\b[Ii]n\s+(?:the\s+words\s+of\s+(?P<of>[^,;:()\"“”]{2,80})|(?P<own>(?:[A-Z][\w.'’-]*\s+){0,4}"
                       r"[A-Z][\w.-]*)['’]s?\s+(?:own\s+)?words)\b")
# Words before a reporting verb that are not part of its subject ("has said", "also told").
_AUXILIARY = re.compile(r"(?:\s+(?:has|have|had|also|first|later|previously|earlier|recently|then|further|"
                        r"publicly|once|repeatedly|never|often|again|already|would|will|could|may|might|"
                        r"did|does|do|had|not|now|still|just|ever|since|\w+ly))+$", re.IGNORECASE)
_PASSIVE = re.compile(r"\b(?:was|were|been|be|being|is|are|to|it's|it is|it was|we're|we’re|they're|they’re|"
                      r"you're|you’re|I'm|I’m|get|gets|got)\s*$", re.IGNORECASE)
# When a statement was made, between its speaker and the verb: "Mr. Ruano last week said".
_WHEN = re.compile(r"(?:\s+(?:(?:last|this|on|earlier|late|early)\s+)?(?:week|month|year|weekend|night|"
                   r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|January|February|March|April|May|June|July|August|"
                   r"September|October|November|December)|\s+(?:yesterday|today|again|recently|once))+$")

_CONNECTORS = frozenset({"of", "for", "and", "de", "del", "da", "do", "dos", "van", "von", "al", "bin", "the", "&",
                         "la", "le", "du", "der", "den", "on", "in"})
# Opening words that sit where a subject could but never are one.
_NOT_A_NAME = frozenset("""what while when whenever as if in on at after before but and so because although though
    since until during for with this that these those there here how why where who whom whose which whether yes no
    meanwhile however still also then now today tonight yesterday tomorrow last next earlier later according instead
    even only just some many most both all each every other such our my your his her its their we they he she it i
    you me us them one none nobody everyone someone anyone people thanks despite given under over from into by
    about around across against among between through without within once hence thus whatever whoever nor or
    not never much more less few several any another again like unlike per via de el la le il others online
    tests records data results figures reports""".split())
_TIME_WORDS = frozenset("""january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    spring summer fall autumn winter morning afternoon evening night week month year day""".split())
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i"})
# Plural or anonymous people: kept as the speaker when no name goes with them ("police said").
_PEOPLE = frozenset("""officials official authorities police investigators prosecutors researchers scientists experts
    analysts economists witnesses residents sources doctors lawyers attorneys critics organizers organisers
    spokesperson spokespeople spokesman spokeswoman representatives executives leaders lawmakers legislators
    advocates activists agents firefighters deputies troopers officers detectives staff aides observers
    regulators inspectors epidemiologists physicians health""".split())
# People who speak about someone, not for them: "critics of X", "supporters of X".
_AROUND = frozenset("critics advocates activists observers witnesses".split())
# Bodies named by a modifier ("the US military", "Chicago police"): the modifier and the noun together.
_BODIES = frozenset("""military army navy government ministry department administration police agency court council
    commission committee office company firm bank board service services authority party campaign team club
    league union university hospital institute foundation center centre""".split())
# Documents and statements that speak for whoever issued them.
_DOCUMENTS = frozenset("""report reports statement statements study studies survey surveys poll polls review reviews
    analysis paper data filing filings lawsuit complaint document documents records release letter memo figures
    tally estimate estimates audit investigation ruling website post tweet article story interview broadcast
    findings research assessment forecast indictment affidavit testimony transcript""".split())
# Titles between a body and a person ("Department of Correction spokesman Jason Kersten").
_TITLES = frozenset("""spokesman spokeswoman spokesperson president chief executive director minister secretary
    senator governor mayor chairman chairwoman chair ceo cmo cfo mp mep analyst economist professor coach manager
    attorney lawyer
    officer commissioner founder head leader member representative rep sen gov adviser advisor official researcher
    scientist editor reporter correspondent columnist owner partner deputy press""".split())
_ORGANIZATION_WORDS = frozenset("""inc ltd llc plc corp co gmbh ag sa news times post press journal tribune herald
    gazette daily magazine radio tv television network networks media channel agency associated reuters bloomberg
    cnn bbc npr pbs afp ap nbc abc cbs fox msnbc ministry department council committee commission university
    college school institute association society federation union group bank fund trust party police military
    army navy government administration office service bureau board court center centre foundation organization
    organisation coalition alliance league club team senate congress parliament assembly house city county state
    republic kingdom airlines airways motors systems technologies labs laboratories hospital clinic church
    studio studios records pharmaceuticals partners holdings capital weekly monthly insider digest chronicle
    examiner courier dispatch bulletin inquirer observer guardian telegraph""".split())
_DESCRIPTORS = _BODIES | _PEOPLE | _DOCUMENTS | _TITLES | frozenset({"news", "wire", "press", "state", "federal",
                                                                  "local", "public", "health", "media"})
_TESTIMONY = re.compile(r"\b(?:testified|testifies|testimony|told (?:the |a )?(?:committee|lawmakers|investigators|"
                        r"jurors|jury|court|panel|senators|congress)|under oath|deposition|opening statement|"
                        r"on the stand)\b",
                        re.IGNORECASE)
_FIRST_PERSON = re.compile(r"(?:^|[\s\"“‘(])(?:I|I'm|I’m|I've|I’ve|I'd|I’d|I'll|I’ll|[Mm]y|[Mm]e)\b")
_WORD = re.compile(r"[^\s]+")
_AUTHOR_VOICE = re.compile(r"\b(?:I|we|We|our|Our|my|My|us)\b")
# Words opening a clause before its subject: "but", "while", "as", "under questioning".
# How many sentences back "the bank" or "the report" is looked up.
REFERENCE_WINDOW = 6
# A person the text does not name, who could be what "he" or "she" stands for.
_UNNAMED_PERSON = re.compile(
    r"\b(?:the|a|an|this|that|one)\s+(?:[\w-]+\s+){0,2}?(?:man|woman|boy|girl|person|suspect|victim|driver|child|"
    r"teen|teenager|customer|patient|student|father|mother|son|daughter|husband|wife|friend|owner|worker|employee|"
    r"resident|witness|officer|neighbou?r|passenger|defendant|plaintiff|caller|gunman|attacker)\b", re.IGNORECASE)
# How many sentences back "he" or "she" may find its person, when those sentences name only one.
PRONOUN_WINDOW = 4
# How many sentences after someone else speaks the first person is not taken for the byline's author.
WRITER_GAP = 3
# How many unquoted sentences in a row a quotation left open carries its speaker over.
QUOTE_RUN = 6
# Places, which a run of capitalised words names as often as it names people.
_PLACE_WORDS = frozenset("""island islands street st avenue road bridge river lake mountain mount park square county
    city
    town village valley bay beach coast harbor harbour airport station hill hills heights falls forest desert sea
    ocean north south east west central""".split())
# A capitalised word standing alone: after a lower-case word, a punctuation mark or the start.
_ALONE = re.compile(r"(?:^|[^\w\s]\s*|\b[a-z][\w'’-]*\s+)([A-Z][\w'’-]*)\b(?!\s+[A-Z])")
# Verbs that report speech only when they end the clause ('"...," she continued.').
_SPEECH_ONLY = frozenset({"continued", "recounted", "remembered", "observed", "declared"})
# A participle reporting speech: the main clause's subject speaks ("..., adding: “...”", "after saying").
_PARTICIPLE = re.compile(r"\b(?:saying|adding|telling|noting|writing|arguing|warning|explaining|insisting|"
                         r"stressing|claiming)\b")
_HONORIFICS = frozenset("mr mrs ms miss dr prof sen rep gov judge sir dame rev president senator governor mayor"
                        .split())
_OPENERS = frozenset("""but and so yet while as when although though because since after before once until unless
    under questioning now then meanwhile still however also even""".split())
# A scholarly citation closing the sentence: "... by 0.1°C (Copernicus Climate Change Service, 2023)."
_CITATION = re.compile(r"\((?P<who>[A-Z][^()]{1,80}?),\s*(?:19|20)\d\d[a-z]?\)[.!]?$")


# A body or person issuing a document: "X published a misleading editorial", "X issued a statement".
_ISSUED = re.compile(r"^(?P<who>[^,;:\"“”]{2,120}?)\s+(?:has\s+|have\s+)?(?:published|issued|released|publishes|issues|"
                     r"releases)\s+(?:a|an|its|their|his|her)\s+(?:[\w-]+\s+){0,3}?(?:"
                     + "|".join(sorted(_DOCUMENTS | {"editorial", "column", "op-ed", "advisory", "warning"}))
                     + r")\b")


# The passive with its agent: "was told by X", "were assured by X", "was confirmed by X".
_PASSIVE_AGENT = re.compile(r"(?:\b(?:was|were|been|being|is|are)\s+(?:\w+ly\s+)?(?:told|informed|assured|warned|said|"
                            r"reported|stated|claimed|announced|confirmed|alleged)|\b[Aa]s\s+(?:first\s+)?(?:reported|"
                            r"stated|announced|confirmed|noted))\s+by\s+(?P<np>[^\"“”]{2,160})")


# A reporting verb inside a clause that says when ("after X announced", "hours before X said").
_TIME_CLAUSE = re.compile(r"\b(?:[Aa]fter|[Bb]efore|[Uu]ntil|[Oo]nce|[Ww]hen)\s+(?:[\w.'’-]+\s+){1,6}$")


# "As she concluded the debate, ...", "While he noted the figures, ...": a clause opening on "as" or "while"
# whose verb takes an object before the comma says when, not who claims; "As AnandTech reports, ..." does not.
_AS_CLAUSE = re.compile(r"(?:^|[,;]\s*)(?:[Aa]s|[Ww]hile)\s+(?:[\w.'’-]+\s+){1,4}$")
_OBJECT_THEN_COMMA = re.compile(r"\s+(?:the|a|an|his|her|their|its|this|that)\s+[^,;:\"“”]{1,50},")


@dataclass(frozen=True)
class Mention:
    """What a sentence says about who is speaking.

    kind: "name" (a name or a named body), "group" (an unnamed group: "police"), "pronoun" ("she"),
    or "reference" ("the report": resolved from the sentences around it).
    """

    kind: str
    text: str


def is_attributed(sentence: str) -> bool:
    """Reported speech or a quotation: a sentence whose claim belongs to someone."""
    return bool(_ATTRIBUTION_CUE.search(sentence.strip()))


# ---------------------------------------------------------------- names


def _bare(word: str) -> str:
    return word.strip(".,;:!?\"“”‘’'()[]«»").removesuffix("'s").removesuffix("’s")


def _stop(word: str) -> bool:
    """An opening or function word ("What", "While", "As"); "US" in capitals is a name, "us" is not."""
    bare = _bare(word)
    return bare.casefold() in _NOT_A_NAME and not (len(bare) > 1 and bare.isupper())


def _capitalised(word: str) -> bool:
    bare = _bare(word)
    return bool(bare) and (bare[0].isupper() or (bare[0].isdigit() and any(c.isupper() for c in bare))
                           or (bare[:1] == "i" and bare[1:2].isupper()))


def is_name(text: str) -> bool:
    """A person's, outlet's or body's name: capitalised words, not an opening word or a date."""
    words = [_bare(w) for w in text.split() if _bare(w)]
    if not words or len(words) > 10 or len(text) > 90:
        return False
    if _stop(words[0]) or (words[0].casefold() in ("the", "a", "an") and len(words) == 1):
        return False
    content = [w for w in words if w.casefold() not in _CONNECTORS]
    if not content or not all(_capitalised(w) or w.casefold() in _BODIES | _PEOPLE | _TITLES for w in content):
        return False
    if not any(_capitalised(w) for w in content):
        return False
    return not all(w.casefold() in _TIME_WORDS or _stop(w) for w in content)


def _trailing_name(words: list[str]) -> list[str]:
    """The run of capitalised words (and connectors inside it) at the end of `words`."""
    run: list[str] = []
    for word in reversed(words):
        name_word = _capitalised(word) and not _stop(word) and _bare(word).casefold() not in _TIME_WORDS
        if name_word or (run and _bare(word).casefold() in _CONNECTORS - {"the", "on", "in"}):
            run.insert(0, word)
        else:
            break
    while run and _bare(run[0]).casefold() in _CONNECTORS and run[0] != "The":
        run.pop(0)
    return run


def _leading_name(words: list[str]) -> list[str]:
    """The run of capitalised words (and connectors inside it) at the start of `words`."""
    run: list[str] = []
    for index, word in enumerate(words):
        bare = _bare(word)
        if _capitalised(word) and (index or not _stop(word)):
            run.append(word)
            if word.endswith(("'s", "’s", ",", ".")) and not re.fullmatch(r"(?:[A-Z]\.)+|[A-Z][a-z]{0,3}\.", word):
                break
        elif run and bare.casefold() in _CONNECTORS - {"on", "in"} and index + 1 < len(words) and _capitalised(
                words[index + 1]):
            run.append(word)
        else:
            break
    return run


def _join(words: list[str]) -> str:
    text = " ".join(words).strip(" ,;:\"“”‘’'()[]")
    text = re.sub(r"(?:'s|’s)$", "", text).rstrip(".,")
    # A capital "The" belongs to names ("The Verge"); a lower-case article does not.
    return re.sub(r"^(?:the|[Aa]n?)\s+", "", text)


def _group(words: list[str]) -> str:
    """An unnamed group as the article puts it, without its article: "the energy experts" -> "energy experts"."""
    text = _join(words)
    return re.sub(r"^The\s+", "", text) if text[:4] == "The " else text


# ---------------------------------------------------------------- one sentence


def _phrase(np: str, subject: bool = False) -> Mention | None:
    """What a noun phrase (a reporting verb's subject or object, "according to ...") names.

    A subject is read from its end ("the service that Mr. Cleckley" -> "Mr. Cleckley"), an object from its start.
    """
    np = np.strip(" ,;:\"“”‘’'")
    parts = re.split(r"\s+(?:which|who|that|whose|where|when|while|as|because|after|before|since|but|and then)\b", np)
    np = parts[-1] if subject else parts[0]
    words = np.split()
    if not words:
        return None
    lowered = [_bare(w).casefold() for w in words]
    if lowered[0] in _PRONOUNS and len(words) == 1:
        return Mention("pronoun", _bare(words[0]))
    # "David Reay from Edinburgh University": the person, not the place they work; "the Health Ministry in
    # Gaza": the body, not the place.
    start = 1 if lowered[0] in ("the", "a", "an") else 0
    person = _leading_name(words[start:])
    if (not subject and person and start + len(person) + 1 < len(words) and lowered[start + len(person)] == "and"
            and words[start + len(person) + 1].islower() and is_name(_join(person))):
        return Mention("name", _join(person))  # "according to Levy and authorities from ...": the one named
    if (person and start + len(person) < len(words) and lowered[start + len(person)] in ("from", "of", "at", "with",
                                                                                          "in")
            and not all(_bare(w).casefold() in _PEOPLE for w in person)  # "Officials at X": X speaks
            and (_is_person(_join(person)) or (is_organization(_join(person)) and is_name(_join(person))))):
        return Mention("name", _join(person))
    # "the Conservative MP said", "The CMO told": a title standing for the person named before.
    the = max((i for i, w in enumerate(lowered) if w == "the"), default=-1)
    if the >= 0 and 2 <= len(words) - the <= 4 and lowered[-1] in _TITLES and (
            the == 0 or all(w.islower() for w in words[the:])):
        # ... also after an opening phrase, in lower case: "At the time the former mayor argued" (not "a report
        # in the Argus Leader", "a study by The Economist": names).
        return Mention("title", _join(words[the:]))
    # "The Verge's Stadia review", "CNN's report": the owner of a possessive.
    for index, word in enumerate(words):
        if word.endswith(("'s", "’s")):
            # "Brazil's National Institute for Space Research", "CNN's Jake Tapper": the name after it speaks.
            after = words[index + 1:]
            if len(after) > 1 and _leading_name(after) == after and is_name(_join(after)):
                return Mention("name", _join(after))
            owner = _trailing_name(words[: index + 1])
            if owner and is_name(_join(owner)):
                return Mention("name", _join(owner))
            break
    # "a report in the Argus Leader", "a study by researchers at Yale", "officials at the institution".
    for index, word in enumerate(lowered):
        if word in _DOCUMENTS | _PEOPLE and index + 1 < len(words) and lowered[index + 1] in (
                "in", "by", "from", "of", "at", "with", "for", "published", "released", "issued"):
            if word in _AROUND and lowered[index + 1] in ("of", "for", "with"):
                return None  # "critics of Senator Amy Holt": people around the name speak, not the name
            rest = words[index + 1:]
            while rest and _bare(rest[0]).casefold() in {"in", "by", "from", "of", "at", "with", "for", "published",
                                                         "released", "issued", "the", "a", "an"}:
                rest = rest[1:]
            named = _leading_name(rest)
            if named and is_name(_join(named)):
                return Mention("name", _join(named))
            if word in _PEOPLE:
                return Mention("group", _group(words))
            break
    head = lowered[-1]
    # A capitalised head closing a multi-word name ("the Ministry of Health", "the Health Department") is part
    # of that name, read below; only a common noun ("officials", "the report", "the US military") is a head.
    proper_head = _capitalised(words[-1]) and len(_trailing_name(words[start:])) >= 2
    if head in _DOCUMENTS | _PEOPLE | _BODIES and not proper_head:
        # "Berrien County Health Department officials" -> the body; "the Associated Press news agency" -> the
        # name; "the US military" -> both words.
        descriptors = 1
        while (descriptors < len(words) and lowered[-descriptors - 1] in _DESCRIPTORS
               and words[-descriptors - 1].islower()):
            descriptors += 1
        before = _trailing_name(words[:-descriptors])
        if not before and head in _DOCUMENTS and len(words) > 2:
            # "Cirium schedule data", "a Pew Research online survey": lower-case words between name and document.
            for skip in (2, 3):
                before = _trailing_name(words[:-skip]) if all(w.islower() for w in words[-skip:]) else []
                if before:
                    break
        if before and is_name(_join(before)):
            return Mention("name", _join(before + (words[-1:] if head in _BODIES and descriptors == 1 else [])))
        if head in _DOCUMENTS or (head in _BODIES - _PEOPLE and len(words) <= 3):
            return Mention("reference", _join(words))
        if head in _PEOPLE:
            modifiers = [w for w in words[:-1] if _bare(w).casefold() not in ("the", "a", "an")]
            if len(modifiers) <= 2 and all(w.islower() for w in modifiers):
                return Mention("group", _group(words))
        return None
    if not _capitalised(words[-1]) and not words[-1].endswith(","):
        return None
    named = _trailing_name(words)
    if not named:
        return None
    if subject and len(named) < len(words) and lowered[-len(named) - 1] in ("in", "at", "near") and (
            len(named) < len(words) - 1):
        return None  # "The Briar in Douglas say": Douglas is where the speaker is, not who speaks
    named = _person_after_office(named)
    # "Department of Correction spokesman Jason Kersten", "White House press secretary Sarah Sanders".
    start = len(words) - len(named)
    titles = start
    while titles > 0 and _bare(words[titles - 1]).casefold() in _TITLES:
        titles -= 1
    if titles < start:
        body = _trailing_name(words[:titles])
        named = body + words[titles:start] + named if body and is_name(_join(body)) else named
    text = _join(named)
    return Mention("name", text) if is_name(text) else None


def _person_after_office(run: list[str]) -> list[str]:
    """"President and Chief Financial Officer of Super Value Debra Symonette" -> "Debra Symonette": a
    capitalised office "of" (or "at") a body, then the holder's name, read as one run of capitals. The
    holder is the last two words; the office and the body describe them (the guideline wants the name).
    Anything else is returned as it is."""
    lowered = [_bare(w).casefold() for w in run]
    links = [i for i, w in enumerate(lowered) if w in ("of", "at")]
    if len(run) < 5 or not links or lowered[0] not in _TITLES:
        return run
    holder = run[-2:]
    if not all(_capitalised(w) and _bare(w).casefold() not in _TITLES | _ORGANIZATION_WORDS | _CONNECTORS
               for w in holder):
        return run
    return holder if links[-1] < len(run) - 2 else run


def _subject_before(prefix: str) -> str | None:
    """The words that are the reporting verb's subject, from the text before the verb."""
    prefix = _AUXILIARY.sub("", _WHEN.sub("", _AUXILIARY.sub("", prefix.rstrip())))
    if _PASSIVE.search(prefix):
        return None
    # "X (D-Mass.) said", "Montoya-Lewis herself said".
    prefix = re.sub(r"\s*\([^()]{1,60}\)$|\s+(?:himself|herself|themselves|itself)$", "", prefix)
    # "Christine Laine, MD, MPH, Editor in Chief, reports": degrees after a name are part of it, not a speaker.
    prefix = _CREDENTIALS.sub("", prefix)
    # "Jane Doe, 54, of Dover, said": an age and a home town between the name and the verb.
    prefix = re.sub(r"(\w),\s*\d{1,3},(?:\s*(?:of|from)\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3},)?$", r"\1",
                    prefix)
    # "the Asheville Tea PAC, a local organization which said": the name the relative clause hangs on.
    relative = re.match(r"^(.*\w)\s*,\s*(?:a|an|the)\s[^,\"“”]{1,80}\s(?:which|who|that)$", prefix)
    if relative:
        prefix = relative.group(1)
    if prefix.endswith(","):
        # '"...," Nathaniel Pieper, senior vice president of fleet, finances and alliances at Alaska, said'
        after_quote = re.search(r"[”\"]\s*,?\s*([^,\"“”]{2,80}),[^\"“”]*,$", prefix)
        if after_quote and _leading_name(after_quote.group(1).split()) == after_quote.group(1).split():
            return after_quote.group(1)
    # "..., a lawyer in attendance, Jane Roe, tweeted": the name after an unnamed description of someone.
    described = re.search(r"(?:^|,)\s*(?:a|an|the)\s[^,\"“”]{1,60},\s*([^,\"“”]{2,60}),$", prefix)
    if described and _leading_name(described.group(1).split()) == described.group(1).split() and _is_person(
            described.group(1)):
        return described.group(1)
    # "X, the deputy secretary, said": drop the appositive ("X, who ..., said", "X, the entity that ..., said").
    appositive = re.match(r"^(.*?\w)\s*,\s*((?:the|a|an|who|which|whose)\b[^\"“”]{2,300}),$", prefix) or re.match(
        r"^(.*\S)\s*,\s*([^,\"“”]{2,120}),$", prefix)
    if appositive and re.search(r"\w$", appositive.group(1)) and (
            len(appositive.group(2).split()) <= 12 or re.match(r"(?:the|a|an|who|which|whose)\b", appositive.group(2))):
        inner = appositive.group(2).split()
        before = re.split(r"[,;:\"“”—–(!?]", appositive.group(1))[-1].split()
        # "the group's president, Stephen Ubl, said": the appositive is the name; otherwise it describes one.
        if before and _leading_name(inner) == inner and is_name(" ".join(inner)) and (
                before[0].islower() or (_bare(before[-1]).casefold() in _TITLES and _is_person(" ".join(inner)))):
            return " ".join(inner)  # ... or "VFI Chief Executive, Padraig Cribben, said"
        prefix = appositive.group(1)
    elif prefix.endswith(","):
        return None
    parts = re.split(r"[,;:\"“”—–(!?]|\s[-‘’']\s", prefix)
    chunk = parts[-1].strip()
    words = chunk.split()
    if len(parts) > 1 and words and words[0].islower() and _bare(words[0]).casefold() not in _OPENERS | {
            "the", "a", "an", "who", "which", "whose", "its", "his", "her", "their"}:
        # "Dr Ronald Walcott, managing director of Precision Ltd, a security firm, said": a role without an
        # article after a person's name describes that person, and the person speaks.
        named = parts[-2].split()
        if named and _leading_name(named) == named and _is_person(_join(named)):
            return _join(named)
    # "What she said" is no subject; "While the company said", "but Acting U.S. Attorney ... Joshua Levy said"
    # and "As AnandTech reports" carry one after their opening word.
    if not words or _bare(words[0]).casefold() in {"what", "how", "why", "whether", "if", "whatever"}:
        return None
    while words and _bare(words[0]).casefold() in _OPENERS:
        words = words[1:]
    return " ".join(words[-12:]) or None


# Degrees and post-nominal letters written after a name ("Jo Roe, MD, MPH, ...").
_CREDENTIALS = re.compile(r",\s*(?:MD|M\.D\.|PhD|Ph\.D\.|MPH|MSc|MS|MA|MBA|MHS|MSCE|JD|RN|DO|DDS|DPhil|BSc|BA|FRCP|FRS|"
                          r"OBE|"
                          r"MBE|CBE|KC|QC|Esq\.?|Jr\.?|Sr\.?)(?=,|\s*$)")


def _inverted(after: str) -> Mention | None:
    """The speaker after the verb: ', said Hogan Gidley, the ...', ', said the company's spokesman, John Doe.'"""
    np = re.split(r"[,;!?](?:\s|$)|(?<=[a-z]{3})\.(?:\s|$)|\.$|\s+(?:in|on|at|during|after|before|when|that|"
                  r"last|this|earlier|about)\s", after.strip())[0]
    words = np.split()
    owner = next((i for i, w in enumerate(words[:6]) if w.endswith(("'s", "’s"))), None)
    if owner is not None and owner + 1 < len(words) and words[owner + 1].islower() and _bare(
            words[owner + 1]).casefold() not in _TITLES | _PEOPLE:
        return None  # '..., said Velázquez's reversal hurt her': what was said, not who said it
    found = _phrase(np)
    if found and found.kind in ("name", "group"):
        return found
    appositive = re.match(r"\s*[^,]{2,60},\s*([^,.;]{2,60})", after)
    if appositive:
        named = _leading_name(appositive.group(1).split())
        if named and is_name(_join(named)):
            return Mention("name", _join(named))
    return None


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Where quotations are: curly pairs, straight pairs, and an opening mark never closed (to the end)."""
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"[“\"][^”\"“]*(?:[”\"]|$)|«[^»]*(?:»|$)", text):
        spans.append((match.start(), match.end()))
    if text.count("”") > text.count("“") and text.find("”") >= 0:
        spans.append((0, text.find("”") + 1))  # a quotation carried over from the sentence before
    return spans


def mention_in(sentence: str) -> Mention | None:
    """The speaker or source one sentence names (pronouns and references still to be resolved)."""
    text = sentence.strip()
    match = _ACCORDING.search(text)
    if match:
        found = _phrase(match.group("np"))
        # "according to its operator, Japan Atomic Power Co.": the name in the appositive.
        named = _leading_name(text[match.end():].lstrip(" ,").split()) if text[match.end():].startswith(",") else []
        if (found is None or found.kind != "name") and named and is_name(_join(named)):
            return Mention("name", _join(named))
        rest = text[match.end():]
        if found and match.start() == 0 and rest.startswith(","):
            # "According to a post for X, Y predicts that ...": Y makes the claim, X only carries it.
            inner = mention_in(rest.lstrip(" ,"))
            if inner and inner.kind == "name":
                return inner
        if found:
            return found
    quoted = _quoted_spans(text)
    words_of = _WORDS_OF.search(text)
    if words_of and not any(start <= words_of.start() < end for start, end in quoted):
        found = _phrase(words_of.group("of") or words_of.group("own"))
        if found and found.kind == "name":
            return found
    for verb in _SAY_VERB.finditer(text):
        if any(start <= verb.start() < end for start, end in quoted):
            continue  # the speaker of a quotation is never inside it
        if verb.group(0) in ("shows", "showed") and not re.match(
                r"\s+(?:(?:that|how|what|why|a|an|the|no|some|more|less|little)\b|[\d$£€]|[A-Z])", text[verb.end():]):
            continue  # "TV shows and movies": a noun; "the poll shows that ..." / "shows Smith leading" report
        if verb.group(0) in _SPEECH_ONLY and not (re.match(r"\s*(?:[.,;:!?]|$)", text[verb.end():])
                                                  and re.search(r"[”\"’],?\s+(?:\S+\s+){0,4}$", text[: verb.start()])) \
                and not _PARENTHETICAL.search(text[: verb.end() + 1]):
            continue  # "as Trump's rise continued": not '"...," she continued.' nor "The bank, he continued, ..."
        if (verb.group(0) in ("warned", "warns", "urged", "urges")
                and re.match(r"\s+(?:[\w’'-]+\s+){1,6}?to\s+[a-z]", text[verb.end():])
                and not re.match(r"\s+(?:[\w’'-]+\s+){0,6}?that\b", text[verb.end():])
                and any(later.start() > verb.end() and not any(a <= later.start() < b for a, b in quoted)
                        for later in _SAY_VERB.finditer(text))):
            continue  # "X warned people to leave — a step Y said was unlawful": an order, not X's claim
        before = text[: verb.start()]
        if _TIME_CLAUSE.search(before) or (_AS_CLAUSE.search(before) and _OBJECT_THEN_COMMA.match(text[verb.end():])):
            continue  # "... soared after Trump announced tariffs", "As she concluded the debate, X proposed ..."
        inverts = verb.group(0) not in ("told", "tells", "showed", "shows", "found", "finds")
        if inverts and re.search(r"(?:^|[,\"”’])\s*$", before) and text[verb.end():].strip()[:1].isupper():
            found = _inverted(text[verb.end():])  # '..., said Justice Secretary Humza Yousaf.'
            if found:
                return found
        subject = _subject_before(before)
        if subject:
            found = _phrase(subject, subject=True)
            if found:
                return found
        if inverts and re.search(r"(?:^|[,\"”’])\s*$", before):
            found = _inverted(text[verb.end():])
            if found:
                return found
    agent = _PASSIVE_AGENT.search(text)
    if agent and not any(start <= agent.start() < end for start, end in quoted):
        # Not at an abbreviation's dot: "as confirmed by U.S. Secretary of State Antony Blinken".
        np = re.split(r"\s+(?:that|to|about|on|in|at|during)\s|[,;:!?](?:\s|$)"
                      r"|(?<![A-Z])(?<!\b[DM]r)(?<!\bMs)\.(?:\s|$)", agent.group("np"))[0]
        found = _phrase(np)
        if found and found.kind in ("name", "group"):
            return found  # "The jury was told by Detective Jo Ames that ...": the one telling
    participle = next((m for m in _PARTICIPLE.finditer(text)
                       if not any(start <= m.start() < end for start, end in quoted)), None)
    if participle:
        # "Mr Grayling ... used his speech to warn ..., adding: “...”": whoever acts in the clause before.
        clause = re.split(r"(?<=[.;])\s|\bif\b[^,]*,", text[: participle.start()])[-1]
        acting = re.search(r"(?:^|,\s+)((?:[A-Z][\w'’.-]*\s+){0,4}[A-Z][\w'’-]*)\s+(?:[a-z]+\s+){0,3}?"
                           r"(?:[a-z]+ed|had|has|would|will|was|is|used|came|went|made|took)\b", clause)
        if acting and is_name(acting.group(1)) and not acting.group(1).endswith(("'s", "’s")):
            return Mention("name", _join(acting.group(1).split()))
        if re.match(r"\s*(?:He|She)\b", clause):
            return Mention("pronoun", clause.split()[0])
    issued = _ISSUED.search(text)
    if issued:
        found = _phrase(_subject_before(issued.group("who")) or "", subject=True)
        if found and found.kind == "name":
            return found  # "The Tribune published an editorial saying ...": the publisher's claim
    citation = _CITATION.search(text)
    if citation and is_name(citation.group("who")):
        return Mention("name", _join(citation.group("who").split()))
    return None


# ---------------------------------------------------------------- a run of sentences


def _owner_of_document(sentence: str, nouns: frozenset[str] = _DOCUMENTS) -> str | None:
    """The outlet, person or body a sentence names with a report or statement ("a report in X"), with one
    of `nouns` when given ("an affidavit from X")."""
    for match in re.finditer(r"\b(?:" + "|".join(sorted(nouns)) + r")\b", sentence):
        after = sentence[match.end():].split()
        if after and after[0] in ("in", "by", "from", "of", "published", "released", "issued"):
            rest = after[1:]
            while rest and rest[0].casefold() in ("the", "a", "an", "by", "in"):
                rest = rest[1:]
            named = _leading_name(rest)
            if named and is_name(_join(named)):
                return _join(named)
        before = _trailing_name(sentence[: match.start()].split())
        if before and is_name(_join(before)):
            return _join(before)
    if nouns != _DOCUMENTS:
        return None
    # "X released a report", "X said in a statement".
    issued = re.search(r"(?P<who>(?:[A-Z][\w'’.&-]*\s+){0,6}[A-Z][\w'’.&-]*)\s+(?:released|published|issued|"
                       r"put out|said in|wrote in)\s+(?:a|an|its|his|her|their|the)\b", sentence)
    if issued:
        named = _trailing_name(issued.group("who").split())
        if named and is_name(_join(named)):
            return _join(named)
    return None


def _resolve_reference(reference: str, window: list[str], previous: str | None) -> str | None:
    """"the report" / "the statement" -> its issuer; "the ministry" -> the ministry named before.

    `window` is the sentence itself last, after up to three before it.
    """
    noun = _bare(reference.split()[-1]).casefold()
    if noun in _BODIES:
        # "the department" after "Berrien County Health Department officials said": the name holding the noun.
        for sentence in reversed(window):
            for match in re.finditer(rf"\b{re.escape(noun)}\b", sentence, re.IGNORECASE):
                if not sentence[match.start()].isupper():
                    continue
                words = sentence[: match.end()].split()
                named = _trailing_name(words)
                tail = _leading_name(sentence[match.start():].split())
                candidate = _join(named[:-1] + tail if named else tail)
                if len(candidate.split()) > 1 and is_name(candidate):
                    return candidate
        return None
    for sentence in (window[-1], *reversed(window[-2:-1])):
        owner = _owner_of_document(sentence)
        if owner:
            return owner
    if noun in _DOCUMENTS:
        # "... according to a criminal complaint affidavit from Homeland Security. ... . ..., the affidavit
        # said": the same document, named with its issuer a few sentences before.
        for sentence in reversed(window[:-2]):
            owner = _owner_of_document(sentence, frozenset({noun}))
            if owner:
                return owner
    # "According to DigiTimes, ... The report said": the outlet the sentence just before cites.
    cited = len(window) > 1 and re.search(r"\b[Aa]ccording to\b|\b(?:reported|reports)\b", window[-2])
    return previous if cited and previous and not _is_person(previous) else None


def _sentence_subject(sentence: str) -> str | None:
    """A name opening a sentence ("Pharmaceutical Research and Manufacturers of America spent ...",
    "Presumptive Democratic nominee Joe Biden said ...")."""
    words = sentence.strip().lstrip("\"“‘(").split()
    end = 0
    while end < len(words) and (_capitalised(words[end]) or _bare(words[end]).casefold() in _TITLES | _CONNECTORS):
        end += 1
        if words[end - 1].endswith((",", "'s", "’s")):
            break
    found = _phrase(" ".join(words[:end])) if end else None
    return found.text if found and found.kind == "name" else None


def _unquoted(text: str) -> str:
    """`text` with its quotations blanked: a name inside someone's quoted words is not who "she" is."""
    for start, end in _quoted_spans(text):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


_MALE = frozenset("he him his himself".split())
_FEMALE = frozenset("she her hers herself".split())
# Honorifics and titles that say whether the name after them is a man's or a woman's.
_GENDERED_TITLE = re.compile(r"\b(?:(?P<m>Mr|Sir|Lord|Prince|King|Duke|Father|Brother)|(?P<f>Mrs|Ms|Miss|Dame|Lady|"
                             r"Princess|Queen|Duchess|Sister))\.?\s+(?:[A-Z][\w'’-]+\s+){0,2}(?P<name>[A-Z][\w'’-]+)")
# How many words after a name its pronoun is looked for ("Meghan said she ...", "Massy said it ...").
GENDER_REACH = 12


def _genders(sentences: list[str], mentions: list[Mention | None]) -> dict[str, str]:
    """What the article itself calls each speaker: "m" ("Harry said he ...", "Mr. Cole") or "f" ("Meghan said
    she ...", "Ms. Price"), keyed by the name's last word, when at least two thirds of the evidence agree.
    "He" and "she" are then never resolved to a name the article calls otherwise: agreement, read from the
    page, not a list of first names. ("It" is no evidence: "Peters said it was possible".)"""
    votes: dict[str, list[str]] = {}
    for sentence, mention in zip(sentences, mentions, strict=True):
        for match in _GENDERED_TITLE.finditer(sentence):
            votes.setdefault(_bare(match.group("name")), []).append("m" if match.group("m") else "f")
        if mention is None or mention.kind != "name" or (" " in mention.text and not _is_person(mention.text)):
            continue
        text = _unquoted(sentence)
        at = text.find(mention.text)
        if at < 0:
            continue
        for word in re.findall(r"[\w'’-]+", text[at + len(mention.text):])[:GENDER_REACH]:
            low = word.casefold()
            if word[:1].isupper() and low not in _MALE | _FEMALE:
                break  # someone else named first: the pronoun may be theirs
            if low in _MALE | _FEMALE:
                votes.setdefault(_bare(mention.text.split()[-1]), []).append("m" if low in _MALE else "f")
                break
    genders: dict[str, str] = {}
    for name, found in votes.items():
        male = found.count("m")
        if male * 3 >= len(found) * 2 or (len(found) - male) * 3 >= len(found) * 2:
            genders[name] = "m" if male * 3 >= len(found) * 2 else "f"
    return genders


def _agrees(pronoun: str, speaker: str | None, genders: dict[str, str]) -> bool:
    """Whether "he" or "she" can stand for `speaker`, given what the article calls that name."""
    if not speaker:
        return True
    known = genders.get(_bare(speaker.split()[-1]))
    wanted = "m" if pronoun.casefold() == "he" else "f" if pronoun.casefold() == "she" else None
    return known is None or wanted is None or known == wanted


def _capital_runs(sentence: str) -> Iterator[list[str]]:
    """The runs of capitalised words in a sentence, in order (an opening function word is no run's start)."""
    words = sentence.split()
    index = 0
    while index < len(words):
        run = _leading_name(words[index:]) if index or not _stop(words[0]) else []
        if run:
            yield run
            index += len(run)
        else:
            index += 1


def _people_in(sentence: str, surnames: set[str]) -> list[str]:
    """People named in a sentence, in order: a full name whose surname the article also uses alone, a titled
    name ("Ms. Price"), or such a surname."""
    people: list[str] = []
    for named in _capital_runs(sentence):
        text = _join(named)
        last = _bare(named[-1])
        if (_is_person(text) and (last in surnames or _bare(named[0]).casefold().rstrip(".") in _HONORIFICS)) or (
                len(named) == 1 and last in surnames):
            people.append(text)
    return people


def _only_person(window: list[str], surnames: set[str]) -> str | None:
    """The one person the sentences in `window` name, in their fullest form; None when they name two or more
    (or none): "he" then has a single possible antecedent, whatever lies between."""
    people = [p for sentence in window for p in _people_in(sentence, surnames)]
    if len({_bare(p.split()[-1]) for p in people}) != 1 or any(_UNNAMED_PERSON.search(s) for s in window):
        return None  # two people, or someone unnamed ("the man in red shorts") "he" may as well be
    fullest = max(people, key=lambda p: len(p.split()))
    # Only a person the text names in full ("John Smith"): a lone capitalised word may be a thing's name.
    return fullest if _is_person(fullest) else None


# A sentence whose subject is a person the text does not name there ("The duchess has hinted ...", "A former
# aide said ..."): "she" in the sentence after is most likely that person, not whoever else it names.
_DESCRIBED_SUBJECT = re.compile(
    r"\s*(?:[\"“‘(]\s*)?(?:The|A|An)\s+(?:[a-z][\w-]*\s+){0,2}?(?:" + "|".join(sorted(_TITLES | {
        "duchess", "duke", "prince", "princess", "king", "queen", "couple", "pair", "man", "woman", "boy", "girl",
        "person", "suspect", "victim", "driver", "teen", "teenager", "customer", "patient", "student", "father",
        "mother", "son", "daughter", "husband", "wife", "friend", "worker", "employee", "resident", "witness",
        "neighbor", "neighbour", "passenger", "defendant", "plaintiff", "aide", "actor", "actress", "singer",
        "player", "star", "author", "writer", "doctor", "nurse", "teacher", "judge", "lawmaker", "politician"}))
    + r")\b")


def _recent_person(speakers: list[str | None], before: str, surnames: set[str], focus: str | None,
                   window: list[str] | None = None, genders: dict[str, str] | None = None,
                   pronoun: str = "") -> str | None:
    """Who "he" or "she" is: the speaker of the sentence before, else the person the text is about (the
    subject carried from sentence to sentence: "Warren ... She compares him to Trump. ..., she said"),
    else the last person the sentence before names, else a recent speaker, else the only person the few
    sentences before name."""
    if speakers and speakers[-1] and (_person_like(speakers[-1], surnames) or (
            genders and genders.get(_bare(speakers[-1])) and not is_organization(speakers[-1]))):
        return speakers[-1]  # ... or one the article calls "he" or "she" ("Meghan added. ..., she said")
    if focus:
        return focus
    if _DESCRIBED_SUBJECT.match(before):
        return None  # "The duchess has hinted ... with Winfrey. She revealed ...": she is the duchess
    before = _unquoted(before)
    people = _people_in(before, surnames)
    same = re.search(rf"\b{pronoun}\b", before, re.IGNORECASE) if pronoun else None
    if same and not any(re.search(rf"(?<![\w'’]){re.escape(p)}", before[: same.start()]) for p in people):
        # "Although he is making one Frühburgunder, he agrees ...": the sentence before already speaks of "he"
        # before naming anyone, so what it names is not who "he" is.
        people = []
    # The person doing something in the sentence before ("..., Schwartz disavowed the book"), not one
    # merely named in it ("Trump's rise") or next to another subject ("with Winfrey she spoke").
    acting = [p for p in people if re.search(rf"(?<![\w'’]){re.escape(p)}(?:,[^,]{{1,80}},)?\s+(?!(?:he|she|they|"
                                             rf"it|we|i|and|or|but|that|who|which|to)\b)[a-z]", before)]
    if acting:
        return acting[0]
    if people:
        return people[-1]
    for speaker in reversed(speakers[-3:]):
        if speaker and _person_like(speaker, surnames):
            # Not an earlier speaker when the sentence just before brings in someone else by name.
            return None if _names_another_person(before, speaker) else speaker
    return _only_person(window or [], surnames)


def _titled_person(title: str, before: list[str]) -> str | None:
    """Who "the former mayor" or "the Conservative MP" is: the one person the article has given that title
    ("Michael Bloomberg, the former mayor of New York", "Mayor Michael Bloomberg"), if it gave it to one."""
    noun = re.escape(_bare(title.split()[-1]))
    name = r"(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,3})"
    patterns = (re.compile(rf"{name},\s+(?:the|a|an)\s+(?:[\w'’-]+\s+){{0,5}}?(?i:{noun})\b"),
                re.compile(rf"\b(?i:{noun})\s+{name}"))
    found: dict[str, str] = {}
    for sentence in before:
        for pattern in patterns:
            for match in pattern.finditer(_unquoted(sentence)):
                person = _join(match.group("name").split())
                # The title says it is a person, even one whose name is also a company's ("Bloomberg").
                if is_name(person) and not _stop(person.split()[0]) and not any(
                        _bare(w).casefold() in _BODIES | _PLACE_WORDS | _TIME_WORDS for w in person.split()):
                    found.setdefault(_bare(person.split()[-1]), person)
    return next(iter(found.values())) if len(found) == 1 else None


def _leaves_quote_open(sentence: str, open_before: bool) -> bool:
    """Whether a quotation is still open after `sentence`: a quoted paragraph runs on, unclosed, into the
    sentences after it (each new quoted paragraph opens again without the last one closing)."""
    opens, closes = sentence.count("“") + sentence.count("«"), sentence.count("”") + sentence.count("»")
    straight = sentence.count('"')
    if opens or closes:
        return opens > closes or (opens == closes and open_before and not re.match(r"\s*[“«]", sentence))
    if straight:
        return (straight % 2 == 1) != (open_before and not re.match(r'\s*"', sentence))
    return open_before


def _names_another_person(sentence: str, speaker: str | None) -> bool:
    """The sentence names someone (a first name and surname, titles allowed) other than `speaker`."""
    words = sentence.split()
    for index in range(len(words)):
        named = _leading_name(words[index:])
        if len(named) >= 2 and _is_person(_join(named)) and (
                not speaker or _bare(named[-1]) != _bare(speaker.split()[-1])):
            return True
    return False


def _person_like(name: str, surnames: set[str]) -> bool:
    """A person's name, alone or after their body and title ("New York City Mayor Jo Ruiz", "Ministry of
    Finance Brian Manning" read from "Minister in the Ministry of Finance Brian Manning")."""
    words = name.split()
    titled = [i for i, w in enumerate(words) if _bare(w).casefold() in _TITLES]
    if titled and 0 < titled[-1] < len(words) - 2 and _is_person(" ".join(words[titled[-1] + 1:])):
        return True
    if len(words) > 3 and _bare(words[-1]) in surnames and _is_person(" ".join(words[-2:])) and is_organization(
            " ".join(words[:-2])):
        return True
    return _is_person(name) or (" " not in name and name in surnames)


def _focus_after(sentence: str, speaker: str | None, focus: str | None, surnames: set[str]) -> str | None:
    """The person the text is about after `sentence`: its speaker, the person opening it, or, when it opens
    on "He"/"She", the same one as before; anything else ends the chain."""
    if speaker and _person_like(speaker, surnames):
        return speaker
    opening = sentence.strip().lstrip("\"“‘(")
    if re.match(r"(?:He|She)\b", opening):
        return focus
    people = _people_in(" ".join(opening.split()[:6]), surnames)
    if people and opening.startswith(people[0].split()[0]) and not re.match(
            rf"{re.escape(people[0])}(?:'s?|’s?)\s", opening):
        return people[0]  # "Warren, who ..., makes an exception", not "Meadows' plans were kept"
    return None


def is_organization(name: str) -> bool:
    """An outlet or a body rather than a person: "CNN", "US military", "Berrien County Health Department",
    "Acme Inc", "The New York Times", "police"."""
    words = [_bare(w) for w in name.split() if _bare(w)]
    if not words:
        return False
    titles = [i for i, w in enumerate(words) if w.casefold() in _TITLES]
    if titles and titles[-1] + 1 < len(words) and all(_capitalised(w) for w in words[titles[-1] + 1:]):
        return False  # "Department of Correction spokesman Jason Kersten" is the spokesman
    if any(w.casefold() in _ORGANIZATION_WORDS | _BODIES | _DOCUMENTS for w in words):
        return True
    if words[0] == "The" or all(w.casefold() in _PEOPLE or w.islower() for w in words):
        return True
    # An acronym standing alone or leading ("CNN", "NASA", "BBC News", "US military").
    return bool(re.fullmatch(r"[A-Z][A-Z0-9&.]{1,7}", words[0].replace(".", "")) and not re.fullmatch(
        r"(?:[A-Z]\.){1,2}", _bare(name.split()[0]) + "."))


def _is_person(name: str) -> bool:
    words = name.split()
    if any(_bare(w).casefold() in _PLACE_WORDS for w in words):
        return False
    return 2 <= len(words) <= 5 and not _stop(words[0]) and not is_organization(name) and all(
        _capitalised(w) or _bare(w).casefold() in _CONNECTORS | _TITLES for w in words) and not any(
        _bare(w).casefold() in _TIME_WORDS for w in words)


# A word ending the way English verb forms and adverbs do ("Taking", "Responding", "Finally"): as a name's
# first word it is a clause's opening, unless the article never writes it in lower case ("Ewing", "King").
_VERB_FORM = re.compile(r"[A-Z][a-z]+(?:ing|ed|ly)")
# A fragment of an abbreviation cut at its dots ("U.S" from "U.S. Secretary of State ...").
_CUT_ABBREVIATION = re.compile(r"(?:[A-Z]\.)*[A-Z]")


def plausible_speaker(speaker: str, lower_words: frozenset[str] | set[str] = frozenset(),
                      inner_capitals: frozenset[str] | set[str] | None = None) -> bool:
    """The last check before a speaker is shown: is it a name (a person, a body, an outlet)?

    Whatever rule found it, a wrong speaker misleads more than a missing one, so anything that is not a
    name is dropped here: an opening or function word ("As of October", "What", "While", "In the
    statement"), a date or time, an unresolved document ("the report"), an unnamed group or individual
    ("officials", "An official"), a clause's verb form ("Taking Archie"), a cut abbreviation ("U.S"), and
    a common word the article also writes in lower case ("Tests"). `lower_words` are the words the article
    writes in lower case, `inner_capitals` the capitalised words it writes inside a sentence, as names are
    written ("Boeing" is one, "Responding" at a sentence's start is not).
    """
    words = speaker.split()
    bare = [_bare(w) for w in words]
    if not words or not all(bare) or not is_name(speaker):
        return False
    first = bare[0]
    if first.casefold() in {"a", "an", "according"} or first.casefold() in _TIME_WORDS or _stop(words[0]):
        return False  # "An official", "According to ...", "October", "What"
    if _CUT_ABBREVIATION.fullmatch(speaker.strip()) and "." in speaker:
        return False
    if re.fullmatch(r"(?:I|We|You|They|He|She|It)['’](?:ll|d|m|ve|re|s)", first) or _CREDENTIALS.fullmatch(
            ", " + speaker.strip()):
        return False  # "I’ll admit ...", a degree cut from its name ("MPH")
    if _VERB_FORM.fullmatch(first) and (first.casefold() in lower_words or (
            inner_capitals is not None and first not in inner_capitals)):
        return False  # "Taking Archie", "Responding officers"
    if len(words) == 1 and first.casefold() in set(lower_words) - _PEOPLE - _BODIES:
        return False  # a common word written with a capital at the start of a sentence ("Tests found")
    # A title or a group standing alone ("Spokesman", "Police", "Officials") names nobody.
    return len(words) > 1 or first.casefold() not in _TITLES | _PEOPLE | _DESCRIPTORS or first.isupper()


# A sentence opening on a speaker's label, as transcripts and Q&A interviews set them out.
_LABEL = re.compile(r"\s*((?:[A-Z][\w'’.-]*\s+){0,2}[A-Z][\w'’-]*):\s+\S")
# Labels that are not people: "Update: ...", "Photo: ...", "Q: ...".
_LABEL_WORDS = frozenset("""q a note update editor editors source sources photo photos related read watch listen warning
    caption credit credits correction disclaimer tags tag category posted share email subscribe advertisement
    step tip tips ingredients method image video audio transcript summary background context""".split())


# Ranks and forms of address that stand before a surname ("Supt Peters", "Det. Sgt. Lewis", "President Biden"):
# once the article has named the person in full, the card gives that full name.
_RANKS = _HONORIFICS | frozenset("""supt superintendent insp inspector sgt sergeant det detective cpl corporal const
    constable cmdr commander capt captain lt lieutenant col colonel gen general maj major adm admiral fr father
    justice chief minister premier ambassador commissioner officer prime deputy assistant acting senior""".split())


def _full_names(sentences: list[str]) -> dict[str, dict[str, int]]:
    """The people the article names in full, by surname, each with the sentence that first names them
    ("Peters" -> {"Audley Peters": 3}).

    A full name is a run of two to four capitalised words, past any ranks and titles that open it
    ("police press liaison officer Superintendent Audley Peters" -> "Audley Peters"), that reads as a person.
    """
    named: dict[str, dict[str, int]] = {}
    for index, sentence in enumerate(sentences):
        for run in _capital_runs(_unquoted(sentence)):
            cut = next((i for i, w in enumerate(run) if w.endswith((":", ";"))), None)
            run = run[:cut] if cut is not None else run  # "Mara: Rick's team": a label, then another name
            while run and _bare(run[0]).casefold().rstrip(".") in _RANKS | _TITLES:
                run = run[1:]
            name = _join(run)
            if 2 <= len(name.split()) <= 4 and _is_person(name) and not name.split()[-1].endswith("."):
                named.setdefault(_bare(name.split()[-1]), {}).setdefault(name, index)
    return named


def _in_full(speaker: str, named: dict[str, dict[str, int]], index: int) -> str:
    """"Supt Peters" or "Peters" in sentence `index` as the full name the article gave that one person up to
    there, if it gave exactly one."""
    words = speaker.split()
    ranks = 0
    while ranks < len(words) - 1 and _bare(words[ranks]).casefold().rstrip(".") in _RANKS:
        ranks += 1
    if not words or len(words) > 3 or ranks < len(words) - 1:
        return speaker
    names = [name for name, first in named.get(_bare(words[-1]), {}).items() if first <= index]
    return names[0] if len(names) == 1 else speaker


def _interview_in_prose(sentences: list[str]) -> bool:
    """An interview set out without labels: the article asks, in its own voice, two questions or more, each
    answered in the first person by the sentence after it ("What brought you to L.A.? I was born here ...").
    Its first person is the interviewee's, not the byline author's."""
    answered = sum(1 for question, answer in pairwise(sentences)
                   if question.rstrip().endswith("?") and not re.match(r"\s*[\"“‘«]", question)
                   and _AUTHOR_VOICE.search(_unquoted(answer)) and not re.match(r"\s*[\"“‘«]", answer))
    return answered >= 2


def attribute(sentences: list[str], author: str | None = None) -> list[str | None]:
    """The speaker of every sentence, in order: names, pronouns and references resolved, quotes joined.

    `author` is the article's byline: the first person outside quotation marks ("In our research, we found")
    is the author writing, when the byline is one person's name.
    """
    # A byline that is a column's or a desk's name ("Letters To The Editor") is nobody writing.
    writer = author if author and _is_person(author) and "," not in author and not any(
        _bare(w).casefold() in _TITLES | {"to", "the", "of", "for", "and", "&", "letters", "editors", "staff", "desk"}
        for w in author.split()[1:-1] + author.split()[:1]) and not any(_stop(w) for w in author.split()) else None
    mentions = [mention_in(s) for s in sentences]
    # An interview set out as a transcript ("Rick: I got into tech ...", "Marissa: ..."): each answer is the
    # person its label names, when the same label opens two sentences or more, and nothing on such a page is
    # the byline's author writing in the first person.
    labels = [_LABEL.match(s) for s in sentences]
    label_counts = Counter(m.group(1) for m in labels if m)
    labelled = {name for name, count in label_counts.items() if count >= 2 and is_name(name)
                and not any(_bare(w).casefold() in _LABEL_WORDS for w in name.split())}
    # ... when the article names them elsewhere too ("Rick's team"): "Fixed:" is no one's label, and a
    # sentence under a label that is not a name has no speaker rather than whoever its answer mentions.
    interviewees = {name for name in labelled if any(re.search(rf"(?<=\S\s){re.escape(name)}\b", s)
                                                     for s in sentences)}
    if labelled or _interview_in_prose(sentences):
        writer = None
    genders = _genders(sentences, mentions)
    lower_words = {word for s in sentences for word in re.findall(r"\b[a-z][a-z'’-]+\b", s)}
    inner_capitals = {word for s in sentences for word in re.findall(r"(?<=[\w,;] )[A-Z][\w'’-]+", s)}
    surnames = {run.split()[-1] for s in sentences
                for run in re.findall(r"\b[A-Z][\w'’-]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][\w'’-]+)+", s)
                if _is_person(" ".join(run.split()[-2:]))}
    # A surname counts when the article also uses it on its own ("Betancourt said"), as it does for people.
    alone = {m.group(1) for s in sentences for m in _ALONE.finditer(s)}
    surnames = {name for name in surnames if name.casefold() not in _TIME_WORDS | _ORGANIZATION_WORDS
                and not _stop(name) and not name.isupper() and name in alone}
    speakers: list[str | None] = []
    testifier: str | None = None
    focus: str | None = None
    quote_open = False      # a quotation still open after the sentence before
    quote_speaker: str | None = None
    quote_run = 0
    borrowed = False        # a first-person run that follows someone else's words
    # Who speaks in each sentence the article reports, the byline's author writing in the first person left
    # out: "he", "the Vox founder" and a quotation's speaker are found among these, never the reporter.
    heard: list[str | None] = []
    for index, mention in enumerate(mentions):
        sentence = sentences[index]
        previous = heard[index - 1] if index else None
        speaker: str | None = None
        if mention is None:
            pass
        elif mention.kind == "name":
            speaker = mention.text
        elif mention.kind in ("pronoun", "title"):
            if mention.text.casefold() in ("i", "we"):
                speaker = None
            elif (mention.text.casefold() in ("he", "she") and index and previous and is_organization(previous)
                  and re.search(r"\bspokes(?:man|woman|person)\s+(?:for|at|of)\b", sentences[index - 1])):
                speaker = previous  # "A spokesperson for X said ... . '...,' he said": he speaks for X
            elif mention.kind == "title" and (titled := _titled_person(mention.text, sentences[:index])):
                speaker = titled  # "the former mayor": the one person the article has called mayor
            elif mention.text.casefold() in ("he", "she") or mention.kind == "title":
                # "Soon after Ms. Price was elected, she said": a person named earlier in the same sentence first.
                earlier = _people_in(re.split(rf"\b{mention.text}\b", _unquoted(sentence), maxsplit=1,
                                              flags=re.IGNORECASE)[0], surnames)
                speaker = earlier[-1] if earlier else _recent_person(
                    heard, sentences[index - 1] if index else "", surnames, focus,
                    sentences[max(0, index - PRONOUN_WINDOW): index], genders, mention.text)
                if not _agrees(mention.text, speaker, genders):
                    speaker = None  # "she" is never the man the article calls "he"
            else:
                before = sentences[index - 1] if index else ""
                speaker = previous or (_sentence_subject(before) if before else None)
                if speaker and mention.text.casefold() == "it" and _is_person(speaker):
                    speaker = None  # "it" is a body or an outlet, never a person
                opening = _sentence_subject(sentence)
                if (speaker is None and mention.text.casefold() == "it" and opening
                        and not _person_like(opening, surnames)):
                    speaker = opening  # "Microsoft's goal ... encompasses ..., it said."
        elif mention.kind == "reference":
            speaker = _resolve_reference(mention.text, sentences[max(0, index - REFERENCE_WINDOW): index + 1],
                                         previous)
        if speaker is None and mention is None and re.match(r"^\s*[\"“‘«]", sentence):
            # A quotation on its own: its speaker is named just before (': "...') or just after.
            if index and previous and re.search(r"[\"”’:]\s*$|[\"”’][^\"“”]*$", sentences[index - 1]):
                speaker = previous
            elif index + 1 < len(mentions) and (following := mentions[index + 1]) is not None and re.match(
                    r"^\s*\w+(?:\s+\w+){0,3}\s+(?:said|says|added)\b", sentences[index + 1]):
                if following.kind == "name":
                    speaker = following.text
                elif following.kind == "pronoun" and previous:
                    speaker = previous
            elif (index and previous and mentions[index - 1] is not None and _person_like(previous, surnames)
                  and re.search(r"[\"”]\s*$", sentence) and not re.search(r"[\"“”]", sentences[index - 1])
                  and not (index + 1 < len(mentions) and mentions[index + 1] is not None
                           and re.match(r"^\s*[\"“]", sentences[index + 1]))):
                # A whole quotation after someone's reported words ("He said he was not deterred. "..."."):
                # the same person goes on in their own words.
                speaker = previous
        if speaker is None and mention is None and re.search(r":\s*[“\"]", sentence):
            # "Okafor admits the risk, but he is firm: “...”": the person the sentence opens on introduces it.
            words = sentence.split()
            head = _leading_name(words)
            name = _join(head)
            if (head and len(head) < len(words) and words[len(head)][:1].islower()
                    and not head[-1].endswith(("'s", "’s", ",")) and _person_like(name, surnames)):
                speaker = name
        if speaker is None and mention is None and quote_open and quote_speaker and quote_run < QUOTE_RUN:
            # Inside a quotation opened sentences before ('X said: "A. B. "C.'): the one who opened it.
            speaker = quote_speaker
        if speaker is None and testifier and _FIRST_PERSON.search(sentence) and not mention:
            # First-person testimony the article quotes at length: the person it says testified.
            speaker = testifier
        voice = (speaker is None and writer is not None and not quote_open
                 and (mention is None or mention.kind == "pronoun") and not re.search(r"[\"“”«»]", sentence)
                 and bool(_AUTHOR_VOICE.search(sentence)))
        # Not right after someone else's words, nor anywhere after that has happened once: an article that
        # reproduces someone's statement unquoted after "He said:" (first person, no quotation marks) does
        # not tell its author's voice from theirs.
        borrowed = borrowed or (voice and any(heard[-WRITER_GAP:]))
        if voice and not borrowed:
            speaker = writer
        label = labels[index]
        if label and label.group(1) in labelled:
            speaker = label.group(1) if label.group(1) in interviewees else None
        if speaker and _TESTIMONY.search(sentence) and _is_person(speaker):
            testifier = speaker
        if speaker and not plausible_speaker(speaker, lower_words, inner_capitals):
            speaker = None
        speakers.append(speaker)
        own_words = voice and not borrowed
        heard.append(None if own_words else speaker)
        focus = _focus_after(sentence, None if own_words else speaker, focus, surnames)
        still_open = _leaves_quote_open(sentence, quote_open)
        if still_open and not (quote_open and mention is None):
            quote_speaker, quote_run = speaker, 0
        # Each quoted paragraph opening again renews the run; unquoted sentences use it up.
        quote_run = 0 if re.match(r"\s*[\"“«]", sentence) else quote_run + 1
        quote_open = still_open
    named = _full_names(sentences)
    return [_in_full(s, named, i) if s else s for i, s in enumerate(speakers)]
