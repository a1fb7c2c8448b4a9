"""Block Kit builders for every message the bot posts.

Kept apart from the code that posts them (publisher) and the code that decides what to post
(pipeline), so the Slack look can change without touching logic. Every builder returns a `Message`
with a plain `text` fallback (notifications, screen readers, clients without Block Kit) and blocks.
Text that comes from articles or people is escaped so it cannot inject mentions or links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.verdict_scale import VerdictScale

SECTION_LIMIT = 2900  # Slack allows 3000 characters per section text
CLAIM_METADATA_EVENT = "factcheck_claim"
CARD_METADATA_EVENT = "factcheck_card"


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class ArticleInfo:
    url: str
    title: str | None = None
    site: str | None = None
    published: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class ClaimView:
    number: int
    text: str
    quote: str
    permalink: str | None = None
    speaker: str | None = None
    status: str = "Open"
    details: Sequence[str] = field(default_factory=tuple)


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{escape(_clip(label, 200)).replace('|', '¦')}>"


def _blocks(*blocks: Block) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def _quote_block(text: str) -> str:
    return "\n".join(f">{line}" for line in escape(text).splitlines() or [""])


def _article_label(article: ArticleInfo) -> str:
    return article.title or article.site or article.url


def claim_message(claim_id: int, claim: ClaimView, article: ArticleInfo, scale: VerdictScale) -> Message:
    """The top-level message that opens one claim's verification thread."""
    source = _link(article.url, _article_label(article))
    attribution = f" (said by {escape(claim.speaker)})" if claim.speaker else ""
    body = f"*Claim {claim.number}*{attribution}: {escape(_clip(claim.text, 1200))}"
    quote = f"*Quote from the article:*\n{_quote_block(_clip(claim.quote, 1500))}"
    status = f"*Status:* {claim.status}"
    if claim.details:
        status += "\n" + "\n".join(claim.details)
    blocks = _blocks(
        SectionBlock(text=MarkdownTextObject(text=_clip(body, SECTION_LIMIT))),
        SectionBlock(text=MarkdownTextObject(text=_clip(quote, SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Source: {source}")]),
        SectionBlock(text=MarkdownTextObject(text=_clip(status, SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Record a verdict by reacting: {scale.legend()}, "
                                                       "or with a button. Discuss the evidence in this thread.")]),
        verdict_buttons(claim_id, scale),
    )
    text = f"Claim {claim.number}: {_clip(claim.text, 300)} — status {claim.status}. Source: {article.url}"
    metadata = {"event_type": CLAIM_METADATA_EVENT, "event_payload": {"claim_id": claim_id}}
    return Message(text=text, blocks=blocks, metadata=metadata)


VOTE_ACTION_PREFIX = "vote:"


def verdict_buttons(claim_id: int, scale: VerdictScale) -> ActionsBlock:
    """One button per verdict (at most Slack's 25 elements); the value carries the claim id."""
    buttons = [
        ButtonElement(text=PlainTextObject(text=_clip(f":{v.emoji[0]}: {v.label}", 75), emoji=True),
                      action_id=f"{VOTE_ACTION_PREFIX}{v.key}", value=str(claim_id))
        for v in scale.verdicts[:25]
    ]
    return ActionsBlock(block_id=f"verdict-{claim_id}", elements=buttons)


def verdict_note(status_text: str, previous_text: str, voters_line: str) -> Message:
    """The short thread note posted when a claim's verdict actually changes."""
    text = f"{status_text} (was {previous_text})." + (f" {voters_line}" if voters_line else "")
    return Message(text=text, blocks=_blocks(SectionBlock(text=MarkdownTextObject(text=_clip(text, SECTION_LIMIT)))))


def ineligible_notice(user: str) -> Message:
    text = (f"<@{user}>, thanks: your reaction is kept, but verdicts on this desk are recorded only from the "
            "fact-checkers listed in the bot's FACTCHECKERS setting. Ask an editor if you should be on it.")
    return Message(text=text, blocks=_blocks(SectionBlock(text=MarkdownTextObject(text=text))))


def article_card(
    link_post_id: int, article: ArticleInfo, summary: str, claims: Sequence[ClaimView], extractor: str
) -> Message:
    """The thread reply under the pasted link: what the article is, what it says, where its claims are."""
    facts = " · ".join(escape(part) for part in (article.site, article.published, article.author) if part)
    lines = []
    for claim in claims:
        label = _clip(claim.text, 180)
        lines.append(f"{claim.number}. {_link(claim.permalink, label) if claim.permalink else escape(label)}")
    claims_text = "\n".join(lines)
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=_clip(_article_label(article), 150)))]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"{facts + ' · ' if facts else ''}"
                                                                 f"{_link(article.url, 'open article')}")]))
    if summary:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Summary:* {escape(_clip(summary, 1500))}")))
    blocks.append(DividerBlock())
    heading = f"*{len(claims)} claim{'s' if len(claims) != 1 else ''} to check* (each has its own thread):"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip(f"{heading}\n{claims_text}", SECTION_LIMIT))))
    footer = f"Claims found by the {escape(extractor)} extractor. React on each claim to record a verdict."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    plain_claims = "\n".join(f"{c.number}. {_clip(c.text, 180)}" for c in claims)
    text = f"{_article_label(article)}\n{summary}\nClaims to check:\n{plain_claims}"
    metadata = {"event_type": CARD_METADATA_EVENT, "event_payload": {"link_post_id": link_post_id}}
    return Message(text=_clip(text, 3000), blocks=_blocks(*blocks), metadata=metadata)


def no_claims_notice(link_post_id: int, article: ArticleInfo, summary: str) -> Message:
    text = (f"I read {_link(article.url, _article_label(article))} but found no check-worthy factual claims "
            "in it (no statements of fact, numbers or attributions worth verifying), so no claim threads "
            "were opened.")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if summary:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Summary: {escape(_clip(summary, 1500))}")]))
    metadata = {"event_type": CARD_METADATA_EVENT, "event_payload": {"link_post_id": link_post_id}}
    plain = f"No check-worthy claims found in {_article_label(article)}."
    return Message(text=plain, blocks=_blocks(*blocks), metadata=metadata)


def failure_notice(link_post_id: int, url: str, reason: str) -> Message:
    """One plain-words reply when a link cannot be checked."""
    text = f":warning: I couldn't check {_link(url, url)}: {escape(reason)}."
    metadata = {"event_type": CARD_METADATA_EVENT, "event_payload": {"link_post_id": link_post_id}}
    return Message(text=f"I couldn't check {url}: {reason}.", blocks=_blocks(
        SectionBlock(text=MarkdownTextObject(text=_clip(text, SECTION_LIMIT)))), metadata=metadata)


def duplicate_notice(link_post_id: int, article: ArticleInfo, claims: Sequence[ClaimView],
                     first_post_link: str | None) -> Message:
    """The same article posted again: point to the threads that already exist instead of new ones."""
    where = f" (first shared {_link(first_post_link, 'here')})" if first_post_link else ""
    lines = [f"{c.number}. {_link(c.permalink, _clip(c.text, 180)) if c.permalink else escape(_clip(c.text, 180))}"
             f" — {c.status}" for c in claims]
    head = f"This article is already being checked{where}: {_link(article.url, _article_label(article))}."
    body = head + ("\nIts claim threads:\n" + "\n".join(lines) if lines else "\nIt had no check-worthy claims.")
    metadata = {"event_type": CARD_METADATA_EVENT, "event_payload": {"link_post_id": link_post_id}}
    plain = f"This article is already being checked: {article.url}"
    return Message(text=plain, blocks=_blocks(SectionBlock(text=MarkdownTextObject(text=_clip(body, SECTION_LIMIT)))),
                   metadata=metadata)


def too_many_links_notice(channel: str, message_ts: str, checked: int, dropped: int) -> Message:
    text = (f"This message has {checked + dropped} links; I'm checking the first {checked} and left out "
            f"{dropped}. Post the others separately (or use `/factcheck <url>`) to check them too.")
    metadata = {"event_type": "factcheck_notice", "event_payload": {"channel": channel, "ts": message_ts}}
    return Message(text=text, blocks=_blocks(SectionBlock(text=MarkdownTextObject(text=text))), metadata=metadata)
