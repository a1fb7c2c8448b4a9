"""Turn a fetched HTML page into a ParsedArticle: metadata plus the main text only.

trafilatura does the boilerplate removal: navigation, sidebars, "related stories" boxes and footers
are dropped, so a headline from another story never becomes a claim of this one. Headings stay in the
text (quotes must be found in it) but are marked, so claims come only from body paragraphs.

Real pages defeat any one setting, so reading is a short ladder judged on its result:

1. the precise extraction (favor_precision, no tables) is tried first, because it leaves out most
   boilerplate;
2. when it returns nothing, too little, or only a notice (reprint notice, cookie banner, subscription
   wall), the default settings and then a permissive read (favor_recall, tables included) are tried,
   and the read with the most prose wins (the earliest one that is nearly as good, so precision is
   kept when it costs nothing);
3. notice paragraphs are removed from whatever was read; a page that is *only* a notice or a wall
   raises FetchError("paywall") with a plain reason instead of pretending the article had nothing
   check-worthy in it.

Before trafilatura sees the page, inline wrappers inside paragraphs (``<span class="related-link">``
and the like) are unwrapped, because trafilatura drops such elements with their text and leaves a
broken sentence ("... has reported that for his role in the fight.").

Metadata comes from the page's own structured data first (JSON-LD NewsArticle, also inside @graph;
Open Graph and article:* meta tags), then trafilatura's guesses: sites publish their real name,
publication date and authors there, whereas heuristics read "Hosted" from a wire-service host name,
an "updated" date, or a byline with the date glued on.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from bot.articles.fetch import FetchError

MIN_TEXT_CHARS = 200
# CJK text carries about three times the information per character of English.
MIN_CJK_CHARS = 70
# A read with this much prose is taken without trying the more permissive settings.
ENOUGH_PROSE_CHARS = 800
# A later, more permissive read must bring this much more prose to replace an earlier one.
BETTER_READ_RATIO = 1.15
# Longer articles are cut here (about 9,000 English words: more than nearly any news story) and
# flagged as partly read; a 5 MB page of short sentences would otherwise take minutes and gigabytes.
MAX_TEXT_CHARS = 60_000
# trafilatura's time grows faster than the page: the page's text is cut here before it reads it
# (five times MAX_TEXT_CHARS leaves room for menus and comments around the article).
MAX_PAGE_TEXT_CHARS = 300_000

_HTML_LANG = re.compile(rb"<html[^>]*\slang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…:\"”’')\]。！？」』）।؟]$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f]")
_LATIN_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)

# Notices that stand where an article should be: reprint notices, cookie banners, subscription walls.
_NOTICE = re.compile(
    r"for your personal,? non-?commercial use only|order presentation-ready copies|"
    r"distribution and use of this material (?:is|are) governed|"
    r"(?:we|this (?:web)?site|our site) uses? cookies|accept (?:all )?cookies|cookie (?:policy|settings|preferences)|"
    r"by continuing to (?:use|browse) (?:this|our)|"
    r"subscribe (?:now |today )?to (?:continue|keep|read)|(?:continue|keep) reading (?:with|by subscribing)|"
    r"(?:this|the) (?:article|story|content) is (?:only )?(?:available|reserved|exclusive) (?:to|for) "
    r"(?:subscribers|members)|subscribers? only|already a (?:subscriber|member)\??|"
    r"(?:sign|log) in to (?:continue|read|keep reading)|create a free account to (?:continue|read)|"
    r"you have reached (?:your|the) (?:free )?(?:article|story) limit|free articles? (?:left|remaining)|"
    r"please enable javascript|turn off your ad ?blocker|disable your ad ?blocker",
    re.IGNORECASE,
)
# Lines that lead to other stories: "Related:", "READ MORE:", "See also", "RELATED", "Also read" ...
_PROMO_LEAD = re.compile(
    r"^[\W_]*(?:(?:related|read more|read next|see also|also read|also see|more from|more on this|recommended|"
    r"don'?t miss|must read|watch|listen|top stories)(?:\s+(?:stories|story|articles?|"
    r"coverage|reading|news|videos?))?\s*[:|»>›–—]|(?-i:RELATED|READ MORE|SEE ALSO|ALSO READ|MORE FROM|WATCH|"
    r"RECOMMENDED|READ NEXT)\b)",
    re.IGNORECASE,
)
# Sign-up and follow prompts, recognised only in short lines.
_PROMO_LINE = re.compile(
    r"\b(?:sign(?:ing)? up|subscribe|register)\b.{0,80}\b(?:newsletter|inbox|e-?mail|alerts?|updates|briefing)\b|"
    r"\b(?:newsletter|briefing|by e-?mail|daily edition)\b.{0,80}\b(?:sign up|subscribe|delivered|inbox)\b|"
    r"^\W*(?:related|read more|see also|more stories|recommended)\W*$|"
    r"\b(?:follow us|like us) on\b|\bclick here to (?:read|subscribe|sign up|see|watch)\b|"
    r"\bdownload (?:our|the) app\b",
    re.IGNORECASE,
)
PROMO_MAX_WORDS = 40
_PAYWALL_NOTICE = re.compile(
    r"for your personal,? non-?commercial use only|order presentation-ready copies|subscribe|subscriber|"
    r"(?:sign|log) in to|free account|article limit|members only",
    re.IGNORECASE,
)

_ARTICLE_TYPES = frozenset({
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "socialmediaposting", "liveblogposting",
    "scholarlyarticle", "techarticle", "report", "webpage",
})
# Host-name labels that trafilatura (or a careless og:site_name) turns into a site "name".
_GENERIC_SITES = frozenset({"hosted", "home", "homepage", "www", "m", "amp", "mobile", "index", "news", "article",
                            "default", "untitled"})
_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
           r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_AUTHOR_TAIL = re.compile(
    rf"(?:\s*[,|·•–—-]?\s*(?:(?:published|updated|posted|on)\b\.?:?\s*)?(?:\b(?:{_MONTHS})\b\.?|\d[\d:/.,-]*"
    rf"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|[ap]\.?m\.?|(?:et|est|edt|gmt|utc|bst|cet)\b)\s*)+$",
    re.IGNORECASE,
)
_AUTHOR_PREFIX = re.compile(r"^\s*(?:by|von|par|por|di|door)\s+", re.IGNORECASE)
# A site name or a byline longer than this is a sentence, not a name.
MAX_SITE_WORDS = 6
MAX_NAME_WORDS = 6
# Dates in or before this year are a CMS's empty value (0001-01-01, 1970-01-01), not a publication date.
EARLIEST_YEAR = 1970
_NO_AUTHOR = re.compile(r"^(?:no author|unknown|anonymous|admin(?:istrator)?|null|none|undefined|author)$",
                        re.IGNORECASE)
_NOT_A_SITE = re.compile(r"copyright|©|\(c\)|all rights reserved|^\W*\d[\d\s/.:-]*\W*$|^https?:", re.IGNORECASE)
_INLINE_WRAPPERS = ("span", "font", "mark", "abbr", "small", "ins", "u", "cite", "bdi", "bdo", "time")


@dataclass(frozen=True)
class ParsedArticle:
    url: str
    title: str | None
    site: str | None
    author: str | None
    published: str | None
    language: str | None
    description: str | None
    text: str
    paragraphs: list[str] = field(default_factory=list)
    # Only the first MAX_TEXT_CHARS of the article were read: say so next to the claims.
    partial: bool = False
    # Which read produced the text: "precise", "default" or "recall" (see the module docstring).
    reading: str = "precise"
    # The page's own last-modified date, kept apart from `published` so the card never mixes them.
    modified: str | None = None

    @property
    def body_paragraphs(self) -> list[str]:
        """Paragraphs that read as prose: headings and the title are left out of claim-finding."""
        return [p for p in self.paragraphs if p != self.title and is_prose(p)]


def word_count(text: str) -> int:
    """Words, counting two CJK characters as one word (those scripts do not separate words)."""
    cjk = len(_CJK.findall(text))
    return len(_LATIN_WORD.findall(_CJK.sub(" ", text))) + cjk // 2


def is_prose(paragraph: str) -> bool:
    """A paragraph of sentences rather than a heading, a caption, a menu or a byline."""
    words = word_count(paragraph)
    return (words >= 6 and bool(_SENTENCE_END.search(paragraph.rstrip()))) or words >= 25


def is_promo(paragraph: str) -> bool:
    """A line pointing at other stories or at a sign-up ("Related: ...", "READ MORE", "Sign up for our
    newsletter"): part of the page, not of the article, and never a claim of this story."""
    text = paragraph.strip()
    if _PROMO_LEAD.match(text):
        return True
    return word_count(text) <= PROMO_MAX_WORDS and bool(_PROMO_LINE.search(text))


def is_notice(paragraph: str) -> bool:
    """A reprint notice, cookie banner or subscription prompt: never a summary or a claim."""
    return bool(_NOTICE.search(paragraph)) and word_count(paragraph) <= 80


def _language(html: bytes) -> str | None:
    match = _HTML_LANG.search(html[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def _prose_chars(paragraphs: list[str]) -> float:
    """How much readable prose a read produced (CJK characters weigh three)."""
    total = 0.0
    for paragraph in paragraphs:
        if is_prose(paragraph):
            cjk = len(_CJK.findall(paragraph))
            total += len(paragraph) + 2 * cjk
    return total


def _paragraphs(text: str) -> list[str]:
    """Lines of trafilatura's output; table rows ("| a | b |") become one paragraph per cell."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") or line.endswith("|"):
            out.extend(cell.strip() for cell in line.strip("|").split(" | ") if cell.strip(" |-"))
        elif line:
            out.append(line)
    return out


def _bound_tree(tree: HtmlElement) -> bool:
    """Drop scripts and styles, and everything after the first MAX_PAGE_TEXT_CHARS of text.

    Returns True when text was cut, so the article is flagged as partly read.
    """
    for element in tree.xpath("//script[not(contains(@type, 'ld+json'))]|//style|//noscript|//template"):
        element.drop_tree()  # keeps the element's tail text
    used = 0
    for element in tree.iter():
        used += len(element.text or "") + len(element.tail or "")
        if used <= MAX_PAGE_TEXT_CHARS:
            continue
        element.tail = None
        node: HtmlElement | None = element
        while node is not None:
            for sibling in list(node.itersiblings()):
                node.getparent().remove(sibling)
            node = node.getparent()
        return True
    return False


def _join_drop_caps(tree: HtmlElement) -> None:
    """Put a drop cap back: <span class="dropcap">T</span><p>urkey, Poland ...</p> -> <p>Turkey, ...</p>."""
    for element in tree.xpath("//*[string-length(normalize-space(.)) = 1 and not(*)]"):
        letter = element.text_content().strip()
        following = element.getnext()
        if (element.tag in ("p", "li", "td") or not letter.isupper() or following is None
                or following.tag != "p" or not following.text_content()[:1].islower()):
            continue
        following.text = letter + (following.text or "")
        element.drop_tree()


def _unwrap_inline(tree: HtmlElement) -> None:
    """Unwrap span/font/... inside paragraphs so their text (often link text) stays in the sentence."""
    for paragraph in tree.iter("p", "li", "blockquote", "td", "dd"):
        if any(child.tag in _INLINE_WRAPPERS for child in paragraph.iterdescendants()):
            etree.strip_tags(paragraph, *_INLINE_WRAPPERS)


# ---------------------------------------------------------------- structured metadata


def _jsonld_items(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _jsonld_items(item)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _jsonld_items(value["@graph"])


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def _names(value: Any) -> list[str]:
    """Names from a JSON-LD author/publisher value: a string, an object with a name, or a list."""
    if isinstance(value, str):
        return [value] if value.strip() and not value.startswith("http") else []
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass
class PageMetadata:
    """What the page says about itself in JSON-LD and meta tags (None where it says nothing)."""

    title: str | None = None
    site: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    description: str | None = None
    language: str | None = None
    free: bool | None = None
    # og:site_name on its own: the fallback when the preferred site name is not a name.
    og_site: str | None = None


def page_metadata(tree: HtmlElement) -> PageMetadata:
    meta = PageMetadata()
    article: dict[str, Any] | None = None
    website: str | None = None
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        try:
            data = json.loads(script.text_content() or "", strict=False)
        except ValueError:
            continue
        for item in _jsonld_items(data):
            kinds = _types(item)
            if article is None and kinds & _ARTICLE_TYPES and (item.get("headline") or item.get("datePublished")):
                article = item
            if website is None and kinds & {"website", "newsmediaorganization", "organization"}:
                website = _text(item.get("name"))
    tags: dict[str, str] = {}
    for element in tree.xpath("//meta[@content]"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        if key and key not in tags and element.get("content", "").strip():
            tags[key] = element.get("content").strip()
    if article is not None:
        meta.title = _text(article.get("headline"))
        meta.authors = _names(article.get("author"))
        meta.published = _text(article.get("datePublished"))
        meta.modified = _text(article.get("dateModified"))
        meta.description = _text(article.get("description"))
        meta.site = next(iter(_names(article.get("publisher"))), None)
        meta.language = _text(article.get("inLanguage"))
        free = article.get("isAccessibleForFree")
        if isinstance(free, bool | str):
            meta.free = free if isinstance(free, bool) else free.strip().lower() not in ("false", "no", "0")
    meta.title = meta.title or tags.get("og:title")
    meta.og_site = tags.get("og:site_name")
    meta.site = meta.site or meta.og_site or website
    meta.published = (meta.published or tags.get("article:published_time") or tags.get("og:published_time")
                      or tags.get("datepublished") or tags.get("parsely-pub-date") or tags.get("pubdate"))
    meta.modified = meta.modified or tags.get("article:modified_time") or tags.get("og:updated_time")
    meta.description = meta.description or tags.get("og:description") or tags.get("description")
    if not meta.authors:
        meta.authors = _names(tags.get("author") or tags.get("article:author") or tags.get("parsely-author"))
    return meta


def clean_author(author: str | None) -> str | None:
    """An author line without "By", a date glued on ("Carrie Arnold November" -> "Carrie Arnold") or repeats.

    Only names are kept: a sentence that a page put in its author field ("The board met on Monday to
    discuss the budget."), a URL or a handle is dropped rather than shown as the byline.
    """
    if not author:
        return None
    names: list[str] = []
    for part in re.split(r"\s*[;|]\s*|\s+and\s+|\s*&\s*", author):
        name = _AUTHOR_TAIL.sub("", _AUTHOR_PREFIX.sub("", part.strip())).strip(" ,.-–—")
        if (name and not any(c.isdigit() for c in name) and name.casefold() not in (n.casefold() for n in names)
                and is_person_name(name)):
            names.append(name)
    return ", ".join(names) or None


def is_person_name(name: str) -> bool:
    """A byline name: a few words, no sentence punctuation, no link ("Maria van der Berg", "J. R. Smith")."""
    words = name.split()
    if not words or len(words) > MAX_NAME_WORDS or len(name) > 80 or _NO_AUTHOR.match(name):
        return False
    if re.search(r"[!?:;@/\\<>{}\[\]=\"“”]|https?|www\.|\.(?:com|org|net)\b", name, re.IGNORECASE):
        return False
    # A full stop ends a sentence unless it closes an initial or an abbreviation ("J.", "Jr.", "St.").
    if any(w.endswith(".") and len(w.rstrip(".")) > 3 for w in words[:-1]):
        return False
    return any(w[:1].isupper() for w in words) and sum(w[:1].islower() for w in words) <= 2


def day_of(value: str | None, guessed: bool = False, today: date | None = None) -> str | None:
    """An ISO date (YYYY-MM-DD) from an ISO datetime; other forms are passed through.

    A guessed date on 1 January is dropped: it is what a bare copyright year ("© 2020") turns into.
    Placeholders are dropped too: "0001-01-01" and "1970-01-01" (empty dates in a CMS) and dates more
    than a day in the future. No date on the card is better than a wrong one.
    """
    if not value or (guessed and value.strip().endswith("-01-01")):
        return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return value.strip() if not re.match(r"\s*0+\D", value) else None
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    if day.year <= EARLIEST_YEAR or day > (today or datetime.now(UTC).date()) + timedelta(days=1):
        return None
    return day.isoformat()


def _site_name(candidates: list[str | None], url: str) -> str | None:
    """The first real site name, else the host.

    Skipped: "Hosted" (from hosted.ap.org) and other host-name labels, and what is not a name at all:
    a copyright line ("Copyright 2014", "© 2020 Example Media. All rights reserved."), a sentence, a date.
    """
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = {label.lower() for label in host.split(".")}
    for candidate in candidates:
        name = " ".join((candidate or "").split())
        if not name or name.lower() in _GENERIC_SITES or (name.lower() in labels and name.lower() != host):
            continue
        if _NOT_A_SITE.search(name) or len(name.split()) > MAX_SITE_WORDS or re.search(r"\w[.!?]\s+\w", name):
            continue
        return name
    return host or None


# ---------------------------------------------------------------- reading


@dataclass
class _Read:
    name: str
    document: Any
    paragraphs: list[str]
    notices: int
    prose: float


_READS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("precise", {"favor_precision": True, "include_tables": False}),
    ("default", {"include_tables": False}),
    ("recall", {"favor_recall": True, "include_tables": True}),
)


def _read(tree: HtmlElement, url: str, name: str, options: dict[str, Any]) -> _Read:
    document = trafilatura.bare_extraction(
        copy.deepcopy(tree),
        url=url,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        deduplicate=False,  # its cache is process-wide: a second read of the same page would come back empty
        date_extraction_params={"original_date": True, "extensive_search": True},
        **options,
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    paragraphs = _paragraphs(text)
    paragraphs = [p for p in paragraphs if not is_promo(p)]
    kept = [p for p in paragraphs if not is_notice(p)]
    return _Read(name, document, kept, len(paragraphs) - len(kept), _prose_chars(kept))


def _minimum(paragraphs: list[str]) -> int:
    joined = "".join(paragraphs)
    return MIN_CJK_CHARS if len(_CJK.findall(joined)) > len(joined) / 3 else MIN_TEXT_CHARS


def read_body(tree: HtmlElement, url: str, description: str | None = None,
              page: list[tuple[HtmlElement, str]] | None = None) -> _Read | None:
    """The best of the reads (see the module docstring), or None when none has enough prose.

    A read with enough prose that stops before the page's article does (a mid-article ad break) is not
    enough: the next, more permissive read is tried, and wins if it brings the rest.
    """
    reads: list[_Read] = []
    for name, options in _READS:
        current = _read(tree, url, name, options)
        reads.append(current)
        if (current.prose >= ENOUGH_PROSE_CHARS and current.notices == 0
                and not check_against_page(tree, current.paragraphs, description, page)[1]):
            break
    usable = [r for r in reads if r.prose >= _minimum(r.paragraphs)]
    if not usable:
        return None
    best = usable[0]
    for candidate in usable[1:]:
        if candidate.prose > best.prose * BETTER_READ_RATIO:
            best = candidate
    best.notices = sum(r.notices for r in reads)
    return best


def parse_article(html: bytes | str, url: str) -> ParsedArticle:
    """Extract the article.

    Raises FetchError('paywall') when the page is a subscription wall or notice rather than an
    article, and FetchError('no_text') when it has no readable story at all.
    """
    raw = html.encode("utf-8", "replace") if isinstance(html, str) else html
    tree = load_html(raw)
    if tree is None:
        raise FetchError("no_text", "the page has no readable article text (it may need JavaScript, or be an "
                                    "index page)")
    meta = page_metadata(tree)
    cut = _bound_tree(tree)
    _join_drop_caps(tree)
    _unwrap_inline(tree)
    page = _article_paragraphs(tree)
    best = read_body(tree, url, meta.description, page)
    if best is None:
        page_text = " ".join(tree.xpath("//body//text()"))[:200_000]
        if meta.free is False or _PAYWALL_NOTICE.search(page_text):
            raise FetchError("paywall", "the page shows a subscription wall or a reprint notice instead of the "
                                        "article, so there is nothing to check: paste the text or a free copy")
        raise FetchError("no_text", "the page has no readable article text (it may need JavaScript, or be an "
                                    "index page)")
    lede, unread = check_against_page(tree, best.paragraphs, meta.description, page)
    paragraphs, partial = _bounded(lede + best.paragraphs)
    partial = partial or cut or unread
    document = best.document
    site = _site_name([meta.site, meta.og_site, getattr(document, "sitename", None)], url)
    return ParsedArticle(
        url=url,
        title=meta.title or getattr(document, "title", None),
        site=site,
        author=clean_author("; ".join(meta.authors) or getattr(document, "author", None)),
        published=day_of(meta.published) or day_of(getattr(document, "date", None), guessed=True),
        language=(meta.language or getattr(document, "language", None) or _language(raw) or "").lower()[:2] or None,
        description=meta.description or getattr(document, "description", None),
        text="\n".join(paragraphs),
        paragraphs=paragraphs,
        partial=partial,
        reading=best.name,
        modified=day_of(meta.modified),
    )


# ---------------------------------------------------------------- the read against the page

# Containers whose paragraphs are not the article's: comments, related stories, promos, captions.
_NOT_ARTICLE = re.compile(
    r"(?:^|[\s_-])(?:comments?|related|promo|newsletter|footer|sidebar|aside|share|sharing|recommend\w*|"
    r"more-stories|outbrain|taboola|widget|social|subscribe|signup|caption|credit|byline|author|bio|disclaimer|"
    r"copyright|ad|ads|advert\w*|cards?|teasers?|excerpt)(?:$|[\s_-])",
    re.IGNORECASE,
)
_NOT_ARTICLE_TAGS = frozenset({"figure", "figcaption", "aside", "nav", "footer", "form", "button", "label", "table",
                               "blockquote"})
# How far up a paragraph's wrappers are looked at: a page-wide "has-sidebar" class says nothing about it.
_WRAPPER_DEPTH = 4
# Paragraphs of the page's article left after the read's last one, beyond this share of what was read
# (and at least UNREAD_MIN_CHARS), mean the read stopped early (at an ad break, a "continue" widget).
UNREAD_SHARE = 0.25
UNREAD_MIN_CHARS = 600
# At most this many opening paragraphs are put back when the read skipped the lede.
MAX_LEDE_PARAGRAPHS = 2
# A lede is a full opening paragraph; a shorter line before the body is a subtitle or a standfirst.
LEDE_MIN_WORDS = 20
# A page paragraph counts as read when the read has its first OPENING_WORDS words in a row.
OPENING_WORDS = 8
# Paragraphs of the page looked at (a bomb page has hundreds of thousands).
MAX_PAGE_PARAGRAPHS = 3000
# How many boxes after the body are looked into for the rest of the article.
CONTINUATION_BOXES = 3


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _article_paragraphs(tree: HtmlElement) -> list[tuple[HtmlElement, str]]:
    """The page's own prose <p> paragraphs, outside captions, asides, comments and promos, in order."""
    found: list[tuple[HtmlElement, str]] = []
    for count, element in enumerate(tree.iter("p")):
        if count >= MAX_PAGE_PARAGRAPHS:
            break
        wrappers = [element, *list(element.iterancestors())[:_WRAPPER_DEPTH]]
        if any(a.tag in _NOT_ARTICLE_TAGS or _NOT_ARTICLE.search(f"{a.get('class') or ''} {a.get('id') or ''}")
               for a in wrappers):
            continue
        text = " ".join(element.text_content().split())
        if word_count(text) >= 8 and is_prose(text) and not is_notice(text) and not is_promo(text):
            found.append((element, text))
    return found


def _openings(paragraphs: list[str]) -> set[tuple[str, ...]]:
    """Every run of OPENING_WORDS words of the read, to find a page paragraph's opening in it quickly."""
    words = _fold(" ".join(paragraphs)).split()
    return {tuple(words[i:i + OPENING_WORDS]) for i in range(max(0, len(words) - OPENING_WORDS + 1))}


def _was_read(text: str, openings: set[tuple[str, ...]]) -> bool:
    return tuple(_fold(text).split()[:OPENING_WORDS]) in openings


def check_against_page(tree: HtmlElement, paragraphs: list[str], description: str | None,
                       page: list[tuple[HtmlElement, str]] | None = None) -> tuple[list[str], bool]:
    """The lede the read skipped, and whether the read stopped before the article's end.

    trafilatura sometimes starts at the second paragraph (the first sits in a "lede" box) or stops at a
    mid-article ad break. The page's own paragraphs, in the part of the page the read came from, tell:
    opening paragraphs just before the first one read are put back; a long run of unread paragraphs after
    the last one read flags the article as partly read.
    """
    page = _article_paragraphs(tree) if page is None else page
    openings = _openings(paragraphs)
    seen = [i for i, (_, text) in enumerate(page) if _was_read(text, openings)]
    if not seen:
        return [], False
    first, last = page[seen[0]][0], page[seen[-1]][0]
    common = next((a for a in (first, *first.iterancestors()) if a is last or last in a.iterdescendants()), None)
    if common is None:
        return [], False
    if common.tag == "p":
        common = common.getparent() if common.getparent() is not None else common
    # The lede may sit in its own box (the article's <header>, a "hero") just before the body: the prose
    # paragraphs right before the first one read, unless one is the page's description (a standfirst).
    lede: list[str] = []
    folded_description = _fold(description or "")
    for _, text in reversed(page[max(0, seen[0] - MAX_LEDE_PARAGRAPHS): seen[0]]):
        if (word_count(text) < LEDE_MIN_WORDS or not re.search(r"[.!?\"”’]$", text) or _was_read(text, openings)
                or (folded_description and (_fold(text) in folded_description or folded_description in _fold(text)))):
            break
        lede.insert(0, text)
    # The rest of the article: the body's own container, and its continuation after an ad break (a sibling
    # of the same kind: <div class="body-part">, ad, <div class="body-part">).
    # of the same kind, <div class="body-part">, ad, <div class="body-part">, or a run of full paragraphs in
    # one of the next few boxes, not a row of one-paragraph teasers).
    unread_of = {id(element): text for element, text in page[seen[-1] + 1:] if not _was_read(text, openings)}
    unread = sum(len(unread_of.get(id(e), "")) for e in common.iter("p"))
    for sibling in list(common.itersiblings())[:CONTINUATION_BOXES]:
        if not isinstance(sibling.tag, str) or _NOT_ARTICLE.search(f"{sibling.get('class') or ''} "
                                                                   f"{sibling.get('id') or ''}"):
            continue
        texts = [unread_of[id(e)] for e in sibling.iter("p") if id(e) in unread_of]
        same_kind = sibling.tag == common.tag and sibling.get("class") == common.get("class")
        if same_kind or sum(word_count(t) >= 20 for t in texts) >= 3:
            unread += sum(len(t) for t in texts)
    read_chars = sum(len(p) for p in paragraphs)
    return lede, unread >= max(UNREAD_MIN_CHARS, UNREAD_SHARE * read_chars)


def _bounded(paragraphs: list[str]) -> tuple[list[str], bool]:
    """The paragraphs within MAX_TEXT_CHARS, and whether any were left out."""
    kept: list[str] = []
    used = 0
    for paragraph in paragraphs:
        if used + len(paragraph) > MAX_TEXT_CHARS:
            room = MAX_TEXT_CHARS - used
            if room > 200:
                cut = paragraph[:room]
                kept.append(cut[: max(cut.rfind(". "), cut.rfind("。"), room // 2) + 1].rstrip())
            return kept, True
        kept.append(paragraph)
        used += len(paragraph) + 1
    return kept, False
