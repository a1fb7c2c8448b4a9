"""Block Kit builders for the link workflow and the claim messages.

Kept apart from the gateway that posts them and the jobs that decide what to post, so the Slack look
can change without touching logic. Every builder returns a `Message` with a plain `text` fallback and
blocks, and the metadata that names the post (bot.slack.messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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

from bot.slack.blocks import SECTION_LIMIT, as_dicts, clip, escape, link, quote_block
from bot.slack.casework_views import casework_buttons, explain_prompt_block
from bot.slack.messages import Message, card_metadata, claim_metadata, notice_metadata, verdict_note_metadata
from bot.verdicts.scale import VerdictScale


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
    # Desk workflow: a verdict was reached (the explanation button shows), and whether one is written.
    resolved: bool = False
    explained: bool = False


def _article_label(article: ArticleInfo) -> str:
    return article.title or article.site or article.url


def claim_message(claim_id: int, claim: ClaimView, article: ArticleInfo, scale: VerdictScale) -> Message:
    """The top-level message that opens one claim's verification thread."""
    source = link(article.url, _article_label(article))
    attribution = f" (said by {escape(claim.speaker)})" if claim.speaker else ""
    body = f"*Claim {claim.number}*{attribution}: {escape(clip(claim.text, 1200))}"
    quote = f"*Quote from the article:*\n{quote_block(clip(claim.quote, 1500))}"
    status = f"*Status:* {claim.status}"
    if claim.details:
        status += "\n" + "\n".join(claim.details)
    blocks = as_dicts(
        SectionBlock(text=MarkdownTextObject(text=clip(body, SECTION_LIMIT))),
        SectionBlock(text=MarkdownTextObject(text=clip(quote, SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Source: {source}")]),
        SectionBlock(text=MarkdownTextObject(text=clip(status, SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Record a verdict by reacting: {scale.legend()}, "
                                                       "or with a button. Discuss the evidence in this thread.")]),
        verdict_buttons(claim_id, scale),
        casework_buttons(claim_id, resolved=claim.resolved, explained=claim.explained),
    )
    text = f"Claim {claim.number}: {clip(claim.text, 300)} — status {claim.status}. Source: {article.url}"
    metadata = claim_metadata(claim_id)
    return Message(text=text, blocks=blocks, metadata=metadata)


VOTE_ACTION_PREFIX = "vote:"


def verdict_buttons(claim_id: int, scale: VerdictScale) -> ActionsBlock:
    """One button per verdict (at most Slack's 25 elements); the value carries the claim id."""
    buttons = [
        ButtonElement(text=PlainTextObject(text=clip(f":{v.emoji[0]}: {v.label}", 75), emoji=True),
                      action_id=f"{VOTE_ACTION_PREFIX}{v.key}", value=str(claim_id))
        for v in scale.verdicts[:25]
    ]
    return ActionsBlock(block_id=f"verdict-{claim_id}", elements=buttons)


def verdict_note(claim_id: int, version: int, status_text: str, previous_text: str, voters_line: str,
                 *, explain: bool = False) -> Message:
    """The short thread note posted when a claim's verdict actually changes (with a verdict reached,
    the button that opens the explanation modal)."""
    text = f"{status_text} (was {previous_text})." + (f" {voters_line}" if voters_line else "")
    blocks = as_dicts(SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT))))
    if explain:
        blocks.append(explain_prompt_block(claim_id))
    return Message(text=text, blocks=blocks, metadata=verdict_note_metadata(claim_id, version))


def ineligible_notice(user: str) -> Message:
    text = (f"<@{user}>, thanks: your reaction is kept, but verdicts on this desk are recorded only from the "
            "fact-checkers listed in the bot's FACTCHECKERS setting. Ask an editor if you should be on it.")
    return Message(text=text, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=text))))


def article_card(
    link_post_id: int, article: ArticleInfo, summary: str, claims: Sequence[ClaimView], extractor: str
) -> Message:
    """The thread reply under the pasted link: what the article is, what it says, where its claims are."""
    facts = " · ".join(escape(part) for part in (article.site, article.published, article.author) if part)
    lines = []
    for claim in claims:
        label = clip(claim.text, 180)
        lines.append(f"{claim.number}. {link(claim.permalink, label) if claim.permalink else escape(label)}")
    claims_text = "\n".join(lines)
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(_article_label(article), 150)))]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"{facts + ' · ' if facts else ''}"
                                                                 f"{link(article.url, 'open article')}")]))
    if summary:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Summary:* {escape(clip(summary, 1500))}")))
    blocks.append(DividerBlock())
    heading = f"*{len(claims)} claim{'s' if len(claims) != 1 else ''} to check* (each has its own thread):"
    blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"{heading}\n{claims_text}", SECTION_LIMIT))))
    footer = f"Claims found by the {escape(extractor)} extractor. React on each claim to record a verdict."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    plain_claims = "\n".join(f"{c.number}. {clip(c.text, 180)}" for c in claims)
    text = f"{_article_label(article)}\n{summary}\nClaims to check:\n{plain_claims}"
    metadata = card_metadata(link_post_id)
    return Message(text=clip(text, 3000), blocks=as_dicts(*blocks), metadata=metadata)


def no_claims_notice(link_post_id: int, article: ArticleInfo, summary: str) -> Message:
    text = (f"I read {link(article.url, _article_label(article))} but found no check-worthy factual claims "
            "in it (no statements of fact, numbers or attributions worth verifying), so no claim threads "
            "were opened.")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if summary:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Summary: {escape(clip(summary, 1500))}")]))
    metadata = card_metadata(link_post_id)
    plain = f"No check-worthy claims found in {_article_label(article)}."
    return Message(text=plain, blocks=as_dicts(*blocks), metadata=metadata)


def failure_notice(link_post_id: int, url: str, reason: str) -> Message:
    """One plain-words reply when a link cannot be checked."""
    text = f":warning: I couldn't check {link(url, url)}: {escape(reason)}."
    metadata = card_metadata(link_post_id)
    return Message(text=f"I couldn't check {url}: {reason}.", blocks=as_dicts(
        SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)))), metadata=metadata)


def duplicate_notice(link_post_id: int, article: ArticleInfo, claims: Sequence[ClaimView],
                     first_post_link: str | None) -> Message:
    """The same article posted again: point to the threads that already exist instead of new ones."""
    where = f" (first shared {link(first_post_link, 'here')})" if first_post_link else ""
    lines = [f"{c.number}. {link(c.permalink, clip(c.text, 180)) if c.permalink else escape(clip(c.text, 180))}"
             f" — {c.status}" for c in claims]
    head = f"This article is already being checked{where}: {link(article.url, _article_label(article))}."
    body = head + ("\nIts claim threads:\n" + "\n".join(lines) if lines else "\nIt had no check-worthy claims.")
    metadata = card_metadata(link_post_id)
    plain = f"This article is already being checked: {article.url}"
    return Message(text=plain, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=clip(body, SECTION_LIMIT)))),
                   metadata=metadata)


def too_many_links_notice(channel: str, message_ts: str, checked: int, dropped: int) -> Message:
    text = (f"This message has {checked + dropped} links; I'm checking the first {checked} and left out "
            f"{dropped}. Post the others separately (or use `/factcheck <url>`) to check them too.")
    metadata = notice_metadata(channel, message_ts)
    return Message(text=text, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=text))), metadata=metadata)
