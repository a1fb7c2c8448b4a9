"""Find the article links in a Slack message and give each article one canonical URL.

Slack delivers links twice: in `text` as `<https://example.org/a|label>` (with `&`, `<`, `>` escaped)
and in `rich_text` blocks as `link` elements. Both are read, so a message edited in a client that
only sends blocks still works, and the same link in both places counts once.

Canonicalisation exists so that the same story shared from a newsletter (utm_* tags), a social
post (fbclid) or with a `#comments` anchor is recognised as one article and gets one set of claim
threads.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>", re.IGNORECASE)
# Bare URLs only appear in text from API clients that skip Slack's formatting; be conservative.
_BARE_URL = re.compile(r"(?<![<|\w])(https?://[^\s<>|]+)", re.IGNORECASE)

_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi",
        "mkt_tok", "ocid", "cmpid", "ncid", "sr_share", "smid", "ito", "at_medium", "at_campaign",
        # Where the reader came from (?ref=homepage, ?ref_src=twsrc): the same article either way.
        "ref", "ref_src", "ref_url",
    }
)
_TRACKING_PREFIXES = ("utm_", "at_", "__twitter")

# Hosts whose links are never articles: Slack itself and meeting/calendar tools.
_NON_ARTICLE_HOSTS = (
    "slack.com", "slack-edge.com", "slack-files.com", "slack-redir.net", "zoom.us",
    "meet.google.com", "calendar.google.com", "teams.microsoft.com",
)
_MEDIA_EXTENSIONS = (
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".ico", ".heic", ".tif", ".tiff",
    ".mp4", ".mov", ".webm", ".avi", ".mkv", ".mp3", ".wav", ".ogg", ".m4a", ".zip", ".gz", ".dmg", ".exe",
)


# The longest URL stored (the article columns are String(2048)). A longer link is left out, and the
# poster told so, rather than letting the database refuse the whole message and its other links.
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class FoundLinks:
    """Article URLs found in one message, in order, how many more were left out by the cap, and how
    many were left out for being longer than MAX_URL_LENGTH."""

    urls: list[str]
    dropped: int = 0
    too_long: int = 0


def canonicalize(url: str) -> str | None:
    """Return the canonical form of an http(s) URL, or None when it is not a usable web link."""
    url = html.unescape(url.strip()).strip(".,;:!?)\"'")
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower() if not _is_ip_literal(host) else host.lower()
    except UnicodeError:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        netloc = f"{netloc}:{port}"
    if parts.username or parts.password:
        # Keep user-info visible: the fetcher must see (and refuse) `http://good@127.0.0.1/` tricks.
        userinfo = parts.username or ""
        if parts.password:
            userinfo += ":" + parts.password
        netloc = f"{userinfo}@{netloc}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_PARAMS and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    query.sort()
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def _is_ip_literal(host: str) -> bool:
    return ":" in host or host.replace(".", "").isdigit()


def is_article_candidate(url: str) -> bool:
    """Whether a canonical URL may be an article: not Slack's own, not a picture or download."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if any(host == bad or host.endswith("." + bad) for bad in _NON_ARTICLE_HOSTS):
        return False
    return not parts.path.lower().endswith(_MEDIA_EXTENSIONS)


def _urls_in_blocks(blocks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Walk rich_text blocks (sections, lists, quotes, preformatted) for `link` elements."""
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop(0)
        if isinstance(node, Mapping):
            if node.get("type") == "link" and isinstance(node.get("url"), str):
                yield node["url"]
            for value in node.values():
                if isinstance(value, list):
                    stack.extend(value)
        elif isinstance(node, list):
            stack.extend(node)


def raw_urls(text: str | None, blocks: Iterable[Mapping[str, Any]] | None = None) -> Iterator[str]:
    """Every URL written in a message, in reading order, before filtering."""
    text = text or ""
    yield from _SLACK_LINK.findall(text)
    yield from _BARE_URL.findall(_SLACK_LINK.sub(" ", text))
    if blocks:
        yield from _urls_in_blocks(blocks)


def find_article_links(
    text: str | None, blocks: Iterable[Mapping[str, Any]] | None = None, *, limit: int = 3
) -> FoundLinks:
    """Distinct canonical article URLs in a message, at most `limit`, with the count left out."""
    seen: list[str] = []
    too_long: set[str] = set()
    for raw in raw_urls(text, blocks):
        canonical = canonicalize(raw)
        if canonical and canonical not in seen and is_article_candidate(canonical):
            if len(canonical) > MAX_URL_LENGTH:
                too_long.add(canonical)
                continue
            seen.append(canonical)
    return FoundLinks(urls=seen[:limit], dropped=max(0, len(seen) - limit), too_long=len(too_long))
