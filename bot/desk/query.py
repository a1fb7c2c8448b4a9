"""`/claims` arguments, parsed without Slack: what an editor typed -> a ClaimQuery, or a usage error.

Accepted, in any order, case-insensitive:
    open | disputed | resolved | all           which claims (default: open)
    #channel, <#C123|name>, C0123ABCD           claims of one channel
    @user, <@U123|name>, U0123ABCD              claims that person voted on
    mine                                        claims you are on ("I'm on it")
    since:7d | since:2w | since:24h | since:2026-11-01
    page N  | page:N                           which page of results
    help                                       the help text
    summary                                    this week's summary, privately
    search WORDS...                            past claims like these words (the rest of the line)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

STATUSES = ("open", "disputed", "resolved", "all")
MAX_PAGE = 10_000

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$")
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_ID_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,}$")
_ID_USER = re.compile(r"^[UW][A-Z0-9]{6,}$")
_SINCE_RELATIVE = re.compile(r"^(\d{1,4})([hdw])$")


class QueryError(ValueError):
    """The arguments cannot be understood; the message says which one, in plain words."""


@dataclass(frozen=True)
class ClaimQuery:
    status: str = "open"
    channel_id: str | None = None
    channel_name: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    since: datetime | None = None
    page: int = 1
    action: str = "list"  # list | help | summary | search
    words: str | None = None  # what to search for (action "search")
    mine: bool = False  # claims the person asking is on
    assignee_id: str | None = None  # filled in with the asker's id when `mine` is answered


def _since(value: str, now: datetime) -> datetime:
    relative = _SINCE_RELATIVE.match(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
        if delta > timedelta(days=3660):
            raise QueryError(f"`since:{value}` goes back too far")
        return now - delta
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise QueryError(f"`since:{value}` is not a date (2026-11-01) or an age (7d, 2w, 24h)") from None
    if day > now:
        raise QueryError(f"`since:{value}` is in the future")
    return day


def parse(text: str | None, now: datetime | None = None) -> ClaimQuery:
    """Parse `/claims` text; raise QueryError naming the first argument that makes no sense."""
    now = now or datetime.now(UTC)
    tokens = (text or "").split()
    values: dict[str, object] = {}
    index = 0
    while index < len(tokens):
        raw = tokens[index]
        token = raw.lower()
        index += 1
        if token in ("help", "-h", "--help", "?"):
            return ClaimQuery(action="help")
        if token == "summary":
            values["action"] = "summary"
        elif token == "mine":
            values["mine"] = True
        elif token == "search":
            words = " ".join(tokens[index:]).strip()
            if not words:
                raise QueryError("`search` needs words to look for, like `search vaccines microchips`")
            return ClaimQuery(action="search", words=words[:500])
        elif token in STATUSES:
            values["status"] = token
        elif token == "page" or token.startswith("page:"):
            number = token.partition(":")[2]
            if not number:
                if index >= len(tokens):
                    raise QueryError("`page` needs a number, like `page 2`")
                number = tokens[index]
                index += 1
            if not number.isdigit() or not 1 <= int(number) <= MAX_PAGE:
                raise QueryError(f"`page {number[:20]}` is not a page number")
            values["page"] = int(number)
        elif token.startswith("since:"):
            values["since"] = _since(token[len("since:"):], now)
        elif match := _CHANNEL.match(raw):
            values["channel_id"], values["channel_name"] = match.group(1), match.group(2) or None
        elif match := _USER.match(raw):
            values["user_id"], values["user_name"] = match.group(1), match.group(2) or None
        elif _ID_CHANNEL.match(raw):
            values["channel_id"] = raw
        elif _ID_USER.match(raw):
            values["user_id"] = raw
        elif raw.startswith("#") and re.fullmatch(r"#[a-z0-9_\-]{1,80}", token):
            values["channel_name"] = token[1:]
        elif raw.startswith("@") and re.fullmatch(r"@[\w.\-]{1,80}", raw):
            values["user_name"] = raw[1:]
        else:
            shown = raw if len(raw) <= 30 else raw[:30] + "…"
            raise QueryError(f"I don't understand `{shown}`")
    return ClaimQuery(**values)  # type: ignore[arg-type]
