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

from bot.casework.views import casework_buttons, explain_prompt_block
from bot.config.verdict_scale import VerdictScale
from bot.intake.links import MAX_URL_LENGTH
from bot.slack.blocks import SECTION_LIMIT, as_dicts, clip, escape, fit_mrkdwn, link, quote_block
from bot.slack.messages import (
    Message,
    card_metadata,
    claim_metadata,
    llm_budget_metadata,
    more_claims_metadata,
    notice_metadata,
    published_metadata,
    returned_metadata,
    verdict_note_metadata,
)


@dataclass(frozen=True)
class ArticleInfo:
    url: str
    title: str | None = None
    site: str | None = None
    published: str | None = None
    author: str | None = None
    modified: str | None = None


@dataclass(frozen=True)
class CardFacts:
    """What the card says about how the article was read besides its claims."""

    summary_source: str | None = None  # "page description" | "lead" | "model"
    candidates: int = 0  # check-worthy sentences found, shown or not
    kept_back: int = 0  # candidates not posted yet ("Show more")
    partial: bool = False  # only the first part of a very long article was read
    extractor: str = "embedded"
    # Why the embedded extractor answered instead of the language model, when it did.
    note: str | None = None


MORE_CLAIMS_ACTION = "more_claims"
_SUMMARY_SOURCES = {"page description": "the page's own description", "lead": "the article's first sentences",
                    "model": "written by the language model"}
PARTIAL_NOTE = "This article is very long: I read only its first part, so later claims may be missing."


@dataclass(frozen=True)
class SeenView:
    """The earlier claim a new one matched, as its audience may see it."""

    claim_id: int
    status: str  # open | disputed | resolved
    verdict_label: str | None
    decided_on: str | None  # "12 Oct 2026"
    deciders: Sequence[str] = ()  # user ids
    permalink: str | None = None


SAME_CLAIM_ACTION = "same_claim"


@dataclass(frozen=True)
class ClaimView:
    number: int
    text: str
    quote: str
    permalink: str | None = None
    speaker: str | None = None
    status: str = "Open"
    details: Sequence[str] = field(default_factory=tuple)
    context: str | None = None  # the sentence before the quote, when the claim leans on it
    seen: SeenView | None = None  # "Checked before" / "Being checked now"
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
    if claim.context:
        quote = f"*Just before it:* _{escape(clip(claim.context, 600))}_\n{quote}"
    status = f"*Status:* {claim.status}"
    if claim.seen is not None:
        status += "\n" + seen_line(claim.seen)
    if claim.details:
        status += "\n" + "\n".join(claim.details)
    blocks = as_dicts(
        SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(body, SECTION_LIMIT))),
        SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(quote, SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Source: {source}")]),
        SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(status, SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Record a verdict by reacting: {scale.legend()}, "
                                                       "or with a button. Discuss the evidence in this thread.")]),
        verdict_buttons(claim_id, scale, same_claim=claim.seen is not None and claim.seen.status == "resolved"),
        casework_buttons(claim_id, resolved=claim.resolved, explained=claim.explained),
    )
    # The fallback text is mrkdwn too (notifications show it): text from the article is escaped here as well.
    text = escape(f"Claim {claim.number}: {clip(claim.text, 300)} — status {claim.status}. Source: {article.url}")
    metadata = claim_metadata(claim_id)
    return Message(text=text, blocks=blocks, metadata=metadata)


VOTE_ACTION_PREFIX = "vote:"


def verdict_buttons(claim_id: int, scale: VerdictScale, *, same_claim: bool = False) -> ActionsBlock:
    """One button per verdict (at most Slack's 25 elements); the value carries the claim id.

    With `same_claim`, a last button carries the earlier claim's verdict over in one click.
    """
    buttons = [
        ButtonElement(text=PlainTextObject(text=clip(f":{v.emoji[0]}: {v.label}", 75), emoji=True),
                      action_id=f"{VOTE_ACTION_PREFIX}{v.key}", value=str(claim_id))
        for v in scale.verdicts[:24 if same_claim else 25]
    ]
    if same_claim:
        buttons.append(ButtonElement(text=PlainTextObject(text=":recycle: Same claim", emoji=True),
                                     action_id=SAME_CLAIM_ACTION, value=str(claim_id)))
    return ActionsBlock(block_id=f"verdict-{claim_id}", elements=buttons)


def seen_line(seen: SeenView) -> str:
    """`Checked before: *False*, 12 Oct 2026, by @checker — earlier thread`, or `Being checked now — thread`."""
    where = f" — {link(seen.permalink, 'earlier thread')}" if seen.permalink else ""
    if seen.status == "resolved" and seen.verdict_label:
        by = f", by {', '.join(f'<@{u}>' for u in seen.deciders[:5])}" if seen.deciders else ""
        when = f", {seen.decided_on}" if seen.decided_on else ""
        return (f":recycle: *Checked before:* *{escape(seen.verdict_label)}*{when}{by}{where}. If it is the same "
                "claim, *Same claim* carries that verdict over.")
    state = "disputed" if seen.status == "disputed" else "being checked now"
    return f":recycle: *Seen before:* a matching claim is {state}{where}."


def returning_note(claim_id: int, article: ArticleInfo, new_permalink: str | None) -> Message:
    """The note in an earlier claim's thread when the claim comes back in another article."""
    where = f" — {link(new_permalink, 'new thread')}" if new_permalink else ""
    text = f":recycle: This claim came back in {link(article.url, _article_label(article))}{where}."
    return Message(text=escape(f"This claim came back in {article.url}"), metadata=returned_metadata(claim_id),
                   blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, SECTION_LIMIT)))))


@dataclass(frozen=True)
class PublishedView:
    publisher: str
    rating: str
    url: str
    review_date: str | None = None
    claim_text: str | None = None


def published_checks_note(claim_id: int, checks: Sequence[PublishedView]) -> Message:
    """What fact-checking organisations have published about claims like this one (Fact Check Tools)."""
    lines = []
    for check in checks:
        date = f", {escape(check.review_date[:10])}" if check.review_date else ""
        about = f" on “{escape(clip(check.claim_text, 160))}”" if check.claim_text else ""
        lines.append(f"• *{escape(clip(check.publisher, 80))}*: {escape(clip(check.rating, 80))}{date}{about} — "
                     f"{link(check.url, 'read it')}")
    text = "Published fact-checks of similar claims (Google Fact Check Tools):\n" + "\n".join(lines)
    plain = "; ".join(f"{c.publisher}: {c.rating} ({c.url})" for c in checks)
    return Message(text=escape(f"Published fact-checks: {plain}"[:3000]), metadata=published_metadata(claim_id),
                   blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, SECTION_LIMIT)))))


def verdict_note(claim_id: int, version: int, status_text: str, previous_text: str, voters_line: str,
                 *, explain: bool = False) -> Message:
    """The short thread note posted when a claim's verdict actually changes (with a verdict reached,
    the button that opens the explanation modal)."""
    text = f"{status_text} (was {previous_text})." + (f" {voters_line}" if voters_line else "")
    blocks = as_dicts(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text))))
    if explain:
        blocks.append(explain_prompt_block(claim_id))
    return Message(text=text, blocks=blocks, metadata=verdict_note_metadata(claim_id, version))


def ineligible_notice(user: str) -> Message:
    text = (f"<@{user}>, thanks: your reaction is kept, but verdicts on this desk are recorded only from the "
            "fact-checkers listed in the bot's FACTCHECKERS setting. Ask an editor if you should be on it.")
    return Message(text=text, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=text))))


def article_card(
    link_post_id: int, article: ArticleInfo, summary: str, claims: Sequence[ClaimView], facts: CardFacts
) -> Message:
    """The thread reply under the pasted link: what the article is, what it says, where its claims are."""
    dated = f"published {article.published}" if article.published else None
    updated = f"updated {article.modified}" if article.modified and article.modified != article.published else None
    about = " · ".join(escape(part) for part in (article.site, dated, updated, article.author) if part)
    lines = []
    for claim in claims:
        label = clip(claim.text, 180)
        lines.append(f"{claim.number}. {link(claim.permalink, label) if claim.permalink else escape(label)}")
    claims_text = "\n".join(lines)
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(_article_label(article), 150)))]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"{about + ' · ' if about else ''}"
                                                                 f"{link(article.url, 'open article')}")]))
    if summary:
        source = _SUMMARY_SOURCES.get(facts.summary_source or "")
        label = f"*Summary* ({source}):" if source else "*Summary:*"
        # Clipped to 1,500 visible characters, then fitted after escaping: each & becomes 5 characters.
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=fit_mrkdwn(f"{label} {escape(clip(summary, 1500))}", SECTION_LIMIT))))
    if facts.partial:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":scissors: {PARTIAL_NOTE}")]))
    blocks.append(DividerBlock())
    total = max(facts.candidates, len(claims) + facts.kept_back)
    shown = f"{len(claims)} of {total} candidates shown" if total > len(claims) else None
    heading = (f"*{len(claims)} claim{'s' if len(claims) != 1 else ''} to check* (each has its own thread"
               f"{'; ' + shown if shown else ''}):")
    blocks.append(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(f"{heading}\n{claims_text}", SECTION_LIMIT))))
    if facts.kept_back:
        button = ButtonElement(text=PlainTextObject(text=f"Show {facts.kept_back} more"), action_id=MORE_CLAIMS_ACTION,
                               value=str(link_post_id))
        blocks.append(ActionsBlock(block_id=f"more-{link_post_id}", elements=[button]))
    footer = f"Claims found by the {escape(facts.extractor)} extractor. React on each claim to record a verdict."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    if facts.note:
        blocks.append(_note_block(facts.note))
    plain_claims = "\n".join(f"{c.number}. {clip(c.text, 180)}" for c in claims)
    counted = f" ({shown})" if shown else ""
    text = f"{_article_label(article)}\n{summary}\nClaims to check{counted}:\n{plain_claims}"
    return Message(text=escape(clip(text, 3000)), blocks=as_dicts(*blocks), metadata=card_metadata(link_post_id))


def more_claims_note(link_post_id: int, user: str, claims: Sequence[ClaimView]) -> Message:
    """The thread note when someone asked for the candidates the card kept back."""
    lines = [f"{c.number}. {link(c.permalink, clip(c.text, 180)) if c.permalink else escape(clip(c.text, 180))}"
             for c in claims]
    text = f"<@{user}> asked for the other candidates; {len(claims)} more claim threads:\n" + "\n".join(lines)
    return Message(text=f"{len(claims)} more claims to check", blocks=as_dicts(
        SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, SECTION_LIMIT)))),
        metadata=more_claims_metadata(link_post_id))


def _note_block(note: str) -> ContextBlock:
    """How the claims were found, when the reader should know (the LLM's answer was not used, and why)."""
    return ContextBlock(elements=[MarkdownTextObject(text=fit_mrkdwn(f":information_source: {escape(clip(note, 600))}",
                                                                     SECTION_LIMIT))])


def llm_budget_notice(month: str, budget: int, spent: int) -> Message:
    """Posted once a month when OPENAI_MONTHLY_TOKEN_BUDGET is spent."""
    text = (f":moneybag: This month's language-model budget is spent ({spent:,} of {budget:,} tokens, "
            f"{month}): until the month ends, claims are found by the embedded extractor, and each card says so. "
            "Raise OPENAI_MONTHLY_TOKEN_BUDGET to use the language model again.")
    return Message(text=text, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=text))),
                   metadata=llm_budget_metadata(month))


def no_claims_notice(link_post_id: int, article: ArticleInfo, summary: str, *, partial: bool = False,
                     note: str | None = None, kept_back: int = 0, extractor_note: str | None = None) -> Message:
    """The reply when no claim is shown.

    `note` says what a page with nothing to check looks like; `kept_back` candidates (sentences the
    ranker did not put on the card) can still be posted with the Show more button; `extractor_note` says
    why the embedded extractor answered instead of the language model.
    """
    label = link(article.url, _article_label(article))
    if note:
        text = f"I read {label}. {escape(note)} No claim threads were opened."
    elif kept_back:
        text = (f"I read {label} but none of its sentences stood out as a claim to check first, so no claim "
                "threads were opened.")
    else:
        text = (f"I read {label} but found no check-worthy factual claims "
                "in it (no statements of fact, numbers or attributions worth verifying), so no claim threads "
                "were opened.")
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if summary:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=fit_mrkdwn(f"Summary: {escape(clip(summary, 1500))}", SECTION_LIMIT))]))
    if partial:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":scissors: {PARTIAL_NOTE}")]))
    if kept_back:
        button = ButtonElement(text=PlainTextObject(text=f"Show {kept_back} more"), action_id=MORE_CLAIMS_ACTION,
                               value=str(link_post_id))
        blocks.append(ActionsBlock(block_id=f"more-{link_post_id}", elements=[button]))
    if extractor_note:
        blocks.append(_note_block(extractor_note))
    metadata = card_metadata(link_post_id)
    plain = escape(f"{note} {_article_label(article)}" if note
                   else f"No check-worthy claims found in {_article_label(article)}.")
    return Message(text=plain, blocks=as_dicts(*blocks), metadata=metadata)


def failure_notice(link_post_id: int, url: str, reason: str) -> Message:
    """One plain-words reply when a link cannot be checked."""
    text = f":warning: I couldn't check {link(url, url)}: {escape(reason)}."
    metadata = card_metadata(link_post_id)
    return Message(text=escape(f"I couldn't check {url}: {reason}."), blocks=as_dicts(
        SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(text, SECTION_LIMIT)))), metadata=metadata)


def duplicate_notice(link_post_id: int, article: ArticleInfo, claims: Sequence[ClaimView],
                     first_post_link: str | None, *, hidden: int = 0) -> Message:
    """The same article posted again: point to the threads that already exist instead of new ones.

    `claims` are only those this channel may see; `hidden` counts the others (in private channels),
    which are never named, linked or described here.
    """
    where = f" (first shared {link(first_post_link, 'here')})" if first_post_link else ""
    lines = [f"{c.number}. {link(c.permalink, clip(c.text, 180)) if c.permalink else escape(clip(c.text, 180))}"
             f" — {c.status}" for c in claims]
    head = f"This article is already being checked{where}: {link(article.url, _article_label(article))}."
    if lines:
        body = head + "\nIts claim threads:\n" + "\n".join(lines)
    elif hidden:
        body = head + "\nIts claim threads are in a channel not open to everyone here, so I can't list them."
    else:
        body = head + "\nIt had no check-worthy claims."
    metadata = card_metadata(link_post_id)
    plain = escape(f"This article is already being checked: {article.url}")
    return Message(text=plain, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=fit_mrkdwn(body)))),
                   metadata=metadata)


def too_many_links_notice(channel: str, message_ts: str, checked: int, dropped: int, too_long: int = 0) -> Message:
    """Which links of a message were left out: over the per-message cap, or too long to store."""
    parts = []
    if dropped:
        parts.append(f"This message has {checked + dropped} links; I'm checking the first {checked} and left out "
                     f"{dropped}. Post the others separately (or use `/factcheck <url>`) to check them too.")
    if too_long:
        parts.append(f"I left out {too_long} link{'s' if too_long != 1 else ''} longer than {MAX_URL_LENGTH:,} "
                     "characters; post a shorter link to the same article to check it"
                     + (f" (I'm checking the other {checked})." if checked else "."))
    text = " ".join(parts)
    metadata = notice_metadata(channel, message_ts)
    return Message(text=text, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=text))), metadata=metadata)
