"""The card's summary: the page's own description when it is fair to the story, else the lead.

A description is written for search results and social cards, so it is used only when:

* the body bears it out (most of its words are in the body);
* it names the story's subject: it shares the headline's names and figures, or, for a headline
  without any, most of its content words (a description stating a side point is not a summary);
* it keeps the body's attribution: when the body's sentence says "according to DigiTimes" and the
  description states the same thing as fact, the rumour would read as news, so the lead is used.

Either way the text is cleaned (HTML entities decoded, "[&hellip;]" and "[…]" trailers removed)
and never cut mid-word: a long summary ends at a sentence, or at a word with an ellipsis.
"""

from __future__ import annotations

import html
import re

from bot.articles.reading import ParsedArticle, is_notice
from bot.claims.speakers import is_attributed, mention_in

SUMMARY_MAX_CHARS = 600
SUMMARY_MAX_SENTENCES = 3
# A page description is used as the summary only if this share of its words is in the body.
DESCRIPTION_OVERLAP = 0.6
# Without names or figures in the headline, this share of its content words must be in the description.
HEADLINE_OVERLAP = 0.3

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_TRAILER = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.|&hellip;|more)\s*\]|\(\s*(?:…|\.\.\.)\s*\)|(?:read|continue reading|"
                      r"read more)\W*)\s*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’»)\]]*(?=\s|$)")
_STOPWORDS = frozenset("""the a an and or but of in on at to for from by with about as into over after before is are
    was were be been has have had will would can could may might it its this that these those there their his her
    they we you he she not no new says said how why what when who which more than up out off just also""".split())


def clean_text(text: str) -> str:
    """Entities decoded (twice: "&amp;hellip;" is common), whitespace folded, "[…]" trailers removed."""
    for _ in range(2):
        text = html.unescape(text)
    text = " ".join(text.split())
    while True:
        stripped = _TRAILER.sub("", text)
        if stripped == text:
            return text
        text = stripped


def cut(text: str, limit: int = SUMMARY_MAX_CHARS) -> str:
    """`text` within `limit` characters, cut at a sentence end, else at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]].rstrip()
    space = head[: limit - 1].rfind(" ")
    if space > 0:
        return head[:space].rstrip(" ,;:-–—") + "…"
    return head[: limit - 1] + "…"  # one unbroken "word" (a URL, CJK text without spaces)


def _words(text: str) -> set[str]:
    words = {w.casefold() for w in _WORD.findall(_CJK.sub(" ", text)) if len(w) > 2}
    cjk = "".join(_CJK.findall(text))
    return words | {cjk[i:i + 2] for i in range(len(cjk) - 1)}


def matches_body(description: str, text: str) -> bool:
    """The page's description says what the body says (most of its words are in the body)."""
    words = _words(description)
    if len(words) < 6 or is_notice(description):
        return False
    return len(words & _words(text)) / len(words) >= DESCRIPTION_OVERLAP


def _stem(word: str) -> str:
    return word.casefold()[:5]


def names_subject(description: str, title: str | None, body: str = "") -> bool:
    """The description names what the headline is about: one of its names or figures, or enough of its words.

    A headline word is a name when the body writes it with a capital inside a sentence ("California",
    "Microsoft"), which tells names from the capitals of headline case.
    """
    if not title or _CJK.search(title):
        return True  # nothing to compare with (or a script without spaces): the body check decides
    words = _WORD.findall(title)
    capitalised = {m.group(1) for m in re.finditer(r"(?<=[a-z,] )([A-Z][\w]*)", body)}
    names = {w for w in words if w.casefold() not in _STOPWORDS and (
        w in capitalised or any(c.isdigit() for c in w) or (len(w) > 1 and w.isupper()))}
    described = {_stem(w) for w in _WORD.findall(description)}
    if any(_stem(name) in described for name in names):
        return True
    content = {_stem(w) for w in words if len(w) > 2 and w.casefold() not in _STOPWORDS}
    return not content or len(content & described) / len(content) >= HEADLINE_OVERLAP


def keeps_attribution(description: str, sentences: list[str]) -> bool:
    """False when the body's sentence saying the same thing is attributed and the description drops it."""
    words = _words(description)
    if not words:
        return True
    for sentence in sentences:
        shared = len(words & _words(sentence)) / len(words)
        if shared < 0.5 or not is_attributed(sentence):
            continue
        mention = mention_in(sentence)
        if mention is None or mention.kind != "name":
            continue
        if mention.text.casefold() not in description.casefold() and not is_attributed(description):
            return False
    return True


def summarize(article: ParsedArticle, sentences: list[str]) -> tuple[str, str | None]:
    """The page's description when it is fair to the story, else the lead sentences, in order.

    Returns the summary and where it came from ("page description" or "lead"; None when empty).
    """
    description = clean_text(article.description or "")
    if (description and matches_body(description, article.text)
            and names_subject(description, article.title, article.text) and keeps_attribution(description, sentences)):
        return cut(description), "page description"
    summary = ""
    for count, sentence in enumerate(sentences):
        if count >= SUMMARY_MAX_SENTENCES or (summary and len(summary) + len(sentence) + 1 > SUMMARY_MAX_CHARS):
            break
        joiner = "" if summary.endswith(("。", "！", "？")) else " "
        summary = f"{summary}{joiner}{clean_text(sentence)}".strip()
    summary = cut(summary)
    return summary, ("lead" if summary else None)
