"""Block Kit builders for the desk views: /claims answers, its help, the weekly summary, App Home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.config.verdict_scale import VerdictScale
from bot.desk.listing import ClaimPage, ListedClaim
from bot.desk.query import ClaimQuery
from bot.desk.weekly_report import WeeklyReport
from bot.slack.blocks import HOME_BLOCKS, SECTION_LIMIT, as_dicts, clip, escape, fit_mrkdwn, link
from bot.slack.messages import Message, request_metadata, weekly_metadata

HELP = """*`/claims`* lists the claims the desk is checking (only you see the answer).
• `/claims` — open claims, oldest first
• `/claims disputed` · `/claims resolved` · `/claims all` — by status
• `/claims #politics` — claims whose threads are in that channel
• `/claims @maria` — claims Maria voted on
• `/claims mine` — claims you are on (you clicked *I'm on it* or reacted on the claim)
• `/claims since:7d` · `since:2w` · `since:24h` · `since:2026-11-01` — opened since then
• `/claims page 2` — the next page
• `/claims summary` — this week's verdict summary, privately
• `/claims search <words>` — claims the desk has seen before that are like these words
They combine: `/claims resolved #politics since:30d page 2`.
*`/factcheck <url>`* checks an article in this channel, as if you had pasted the link;
`/factcheck search <words>` is the same as `/claims search`."""

USAGE_TAIL = "Try `/claims help` for everything it understands."


def age(created: datetime, now: datetime) -> str:
    delta = now - created
    if delta < timedelta(hours=1):
        return f"{max(1, int(delta.total_seconds() // 60))} min"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)} h"
    return f"{delta.days} days"


def _claim_line(claim: ListedClaim, scale: VerdictScale, now: datetime) -> str:
    text = clip(claim.text, 200)
    title = link(claim.permalink, text) if claim.permalink else escape(text)
    article = link(claim.article_url, claim.article_title or claim.article_url)
    line = (f"*{title}*\n{article} · {age(claim.created_at, now)} old · "
            f"{scale.status_label(claim.status, claim.verdict)}")
    if claim.assignees:
        line += " · on it: " + ", ".join(f"<@{user}>" for user in claim.assignees)
    if claim.sources:
        line += f" · {claim.sources} source{'s' if claim.sources != 1 else ''}"
    if claim.published_url:
        line += " · " + link(claim.published_url, "published")
    return line


def _describe(query: ClaimQuery) -> str:
    words = {"open": "Open claims", "disputed": "Disputed claims", "resolved": "Resolved claims",
             "all": "All claims"}[query.status]
    if query.channel_id:
        words += f" in <#{query.channel_id}>"
    if query.user_id:
        words += f" voted on by <@{query.user_id}>"
    if query.assignee_id:
        words += " you are on"
    if query.since:
        words += f" since {query.since:%Y-%m-%d}"
    return words


def claims_list(query: ClaimQuery, page: ClaimPage, scale: VerdictScale, now: datetime) -> Message:
    count = f"{page.total:,}+" if page.more else str(page.total)
    heading = f"{_describe(query)}: {count}" + (f" (page {page.page} of {page.pages})" if page.pages > 1 else "")
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=f"*{heading}*"))]
    if not page.claims:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="Nothing here. " + USAGE_TAIL)))
    for claim in page.claims:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(_claim_line(claim, scale, now),
                                                                      SECTION_LIMIT))))
    if page.page < page.pages:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"More: `/claims {query.status} page {page.page + 1}` (same filters)")]))
    plain = "\n".join(f"- {c.text[:120]} ({c.status})" for c in page.claims)
    return Message(text=escape(clip(f"{heading}\n{plain}", 3000)), blocks=as_dicts(*blocks))


@dataclass(frozen=True)
class SearchHit:
    text: str
    status: str
    verdict: str | None
    permalink: str | None
    created_at: datetime
    resolved_at: datetime | None


def search_results(words: str, hits: list[SearchHit], scale: VerdictScale) -> Message:
    """The /claims search answer: past claims like the words, best first, with verdict, date and thread."""
    heading = f"*Claims like “{escape(clip(words, 200))}”*: {len(hits) or 'none found'}"
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=heading))]
    for hit in hits:
        title = link(hit.permalink, clip(hit.text, 200)) if hit.permalink else escape(clip(hit.text, 200))
        when = hit.resolved_at if hit.status == "resolved" and hit.resolved_at else hit.created_at
        label = "decided" if hit.status == "resolved" else "opened"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(
            f"*{title}*\n{scale.status_label(hit.status, hit.verdict)} · {label} {when:%-d %b %Y}", SECTION_LIMIT))))
    if not hits:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="Nothing the desk has seen matches. " + USAGE_TAIL)))
    plain = "\n".join(f"- {h.text[:120]} ({scale.status_label(h.status, h.verdict)})" for h in hits)
    return Message(text=escape(clip(f"Claims like {words}: {len(hits)}\n{plain}", 3000)), blocks=as_dicts(*blocks))


def help_message() -> Message:
    return Message(text=HELP, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=HELP))))


def usage_message(problem: str) -> Message:
    text = f"{problem}. {USAGE_TAIL}"
    return Message(text=escape(text), blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=escape(text)))))


def factcheck_usage() -> Message:
    text = ("Give me the link of an article to check, like `/factcheck https://example.org/story`. "
            "I'll post it here and open a thread per claim, as if you had pasted it. "
            "`/factcheck search <words>` finds claims the desk has seen before.")
    return Message(text=text, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=text))))


def factcheck_request(user: str, url: str, trigger: str) -> Message:
    text = f"<@{user}> asked me to check {link(url, url)}"
    blocks = as_dicts(SectionBlock(text=MarkdownTextObject(text=text)))
    return Message(text=escape(f"Fact-check requested: {url}"), blocks=blocks, metadata=request_metadata(trigger))


def _week_title(summary: WeeklyReport) -> str:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(summary.tz)
    first = summary.start.astimezone(zone)
    last = (summary.end.astimezone(zone) - timedelta(days=1))
    return f"Fact-check desk, week {summary.week} ({first:%a %d %b} – {last:%a %d %b %Y})"


def weekly_summary(summary: WeeklyReport, scale: VerdictScale, now: datetime, channel: str) -> Message:
    """The weekly verdict summary; its metadata (week, channel) is what finds an earlier copy of the post."""
    counts = " · ".join(f"{scale.label(k)}: {n}" for k, n in
                        sorted(summary.by_verdict.items(), key=lambda item: -item[1])) or "none"
    lines = [f"*Opened:* {summary.opened}   *Resolved:* {summary.resolved_count}   *Still open:* {summary.still_open}"
             + (f" ({summary.disputed} disputed)" if summary.disputed else ""), f"*Verdicts:* {counts}"]
    blocks: list[Any] = [HeaderBlock(text=PlainTextObject(text=clip(_week_title(summary), 150))),
                         SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))]
    groups: dict[str, list[str]] = {}
    for claim in summary.resolved:
        label = scale.label(claim.verdict)
        entry = link(claim.permalink, clip(claim.text, 150)) if claim.permalink else escape(clip(claim.text, 150))
        if claim.resolved_by:
            entry += " — " + ", ".join(f"<@{user}>" for user in claim.resolved_by[:5])
        groups.setdefault(label, []).append(f"• {entry}")
    for label, entries in groups.items():
        blocks.append(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(f"*{label}*\n" + "\n".join(entries),
                                                                      SECTION_LIMIT))))
    hidden = summary.resolved_count - len(summary.resolved)
    if hidden > 0:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"{hidden} more resolved in private channels {'is' if hidden == 1 else 'are'} not listed here.")]))
    if summary.oldest_open:
        oldest = summary.oldest_open
        entry = link(oldest.permalink, clip(oldest.text, 150)) if oldest.permalink else escape(oldest.text[:150])
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=f"*Oldest open claim* ({age(oldest.created_at, now)} old): {entry}")))
    if summary.resolvers:
        people = ", ".join(f"<@{user}> ({count})" for user, count in summary.resolvers[:30])
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(f"Resolved by: {people}", 2000))]))
    if summary.contributors:
        people = ", ".join(f"<@{user}> ({count})" for user, count in summary.contributors[:30])
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=fit_mrkdwn(f"Votes this week: {people}", 2000))]))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="No votes this week.")]))
    text = (f"{_week_title(summary)}: {summary.opened} opened, {summary.resolved_count} resolved, "
            f"{summary.still_open} still open.")
    return Message(text=text, blocks=as_dicts(*blocks), metadata=weekly_metadata(summary.week, channel))


def home_view(page: ClaimPage, summary: WeeklyReport, scale: VerdictScale, now: datetime) -> dict[str, Any]:
    counts = (f"This week: *{summary.opened}* opened · *{summary.resolved_count}* resolved · "
              f"*{summary.still_open}* still open")
    total = f"{page.total:,}+" if page.more else str(page.total)
    blocks: list[Any] = [HeaderBlock(text=PlainTextObject(text="Fact-check desk")),
                         SectionBlock(text=MarkdownTextObject(text=counts)), DividerBlock(),
                         SectionBlock(text=MarkdownTextObject(text=f"*Open claims* ({total}), oldest first"))]
    for claim in page.claims:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(_claim_line(claim, scale, now),
                                                                      SECTION_LIMIT))))
    if not page.claims:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No open claims. Paste an article link in a "
                                                                "channel I'm in to start.")))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Updated {now:%Y-%m-%d %H:%M} UTC · "
                                                                 "`/claims help` for filters")]))
    return {"type": "home", "blocks": as_dicts(*blocks, max_blocks=HOME_BLOCKS)}
