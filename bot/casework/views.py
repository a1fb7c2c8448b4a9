"""Block Kit for the desk workflow: the claim message's workflow lines and buttons, the explanation
modal, and the stale-claim reminder. Builders only; what to show is decided in bot.casework."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, PlainTextObject, SectionBlock

from bot.casework.explanations import EXPLANATION_BLOCK, EXPLANATION_LIMIT, URL_BLOCK, ExplanationDraft
from bot.slack.blocks import as_dicts, clip, escape, link
from bot.slack.messages import Message, nudge_metadata

TAKE_ACTION = "casework:take"
RELEASE_ACTION = "casework:release"
EXPLAIN_ACTION = "casework:explain"
EXPLANATION_CALLBACK = "claim_explanation"
EXPLANATION_INPUT = "explanation_input"
URL_INPUT = "published_url_input"


def slack_date(at: datetime) -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def casework_buttons(claim_id: int, *, resolved: bool, explained: bool = False) -> ActionsBlock:
    """"I'm on it" / "Hand back", and, once the claim has a verdict, the explanation button."""
    buttons = [
        ButtonElement(text=PlainTextObject(text="I'm on it"), action_id=TAKE_ACTION,
                      value=str(claim_id)),
        ButtonElement(text=PlainTextObject(text="Hand back"), action_id=RELEASE_ACTION, value=str(claim_id)),
    ]
    if resolved:
        buttons.append(explain_button(claim_id, explained))
    return ActionsBlock(block_id=f"casework-{claim_id}", elements=buttons)


def explain_button(claim_id: int, explained: bool) -> ButtonElement:
    label = "Edit explanation" if explained else "Explain the rating"
    return ButtonElement(text=PlainTextObject(text=label), action_id=EXPLAIN_ACTION, value=str(claim_id),
                         style=None if explained else "primary")


def explain_prompt_block(claim_id: int) -> dict[str, Any]:
    """The button under a verdict note in the thread: write (or edit) the explanation."""
    return ActionsBlock(block_id=f"explain-{claim_id}", elements=[explain_button(claim_id, False)]).to_dict()


def casework_details(people: Sequence[tuple[str, datetime]], sources: int, explanation: str | None,
                     published_url: str | None, assign_emoji: str) -> list[str]:
    """The claim message's workflow lines: who is on it since when, evidence, explanation, publication."""
    if people:
        on_it = ", ".join(f"<@{user}> (since {slack_date(since)})" for user, since in people)
        lines = [f"*On it:* {on_it}"]
    else:
        lines = [f"*On it:* nobody yet — click *I'm on it* or react :{assign_emoji}:"]
    lines.append(f"*Sources:* {sources} posted in the thread" if sources else
                 "*Sources:* none yet — post evidence links in the thread")
    if explanation:
        lines.append(f"*Explanation:* {escape(clip(explanation, 700))}")
    if published_url:
        lines.append(f"*Published fact-check:* {link(published_url, published_url)}")
    return lines


def explanation_modal(draft: ExplanationDraft, metadata: str) -> dict[str, Any]:
    """The modal for the explanation and the published URL, pre-filled with the current ones."""
    explanation: dict[str, Any] = {"type": "plain_text_input", "action_id": EXPLANATION_INPUT, "multiline": True,
                                   "max_length": EXPLANATION_LIMIT,
                                   "placeholder": {"type": "plain_text", "text": "Why this rating, in brief"}}
    if draft.explanation:
        explanation["initial_value"] = draft.explanation
    url: dict[str, Any] = {"type": "url_text_input", "action_id": URL_INPUT,
                           "placeholder": {"type": "plain_text", "text": "https://newsroom.example/fact-check/..."}}
    if draft.published_url:
        url["initial_value"] = draft.published_url
    claim = f"*Claim:* {escape(clip(draft.claim_text, 1500))}\n*Rating:* {escape(draft.verdict_label)}"
    return {
        "type": "modal",
        "callback_id": EXPLANATION_CALLBACK,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Explain the rating"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            SectionBlock(text=MarkdownTextObject(text=claim)).to_dict(),
            {"type": "input", "block_id": EXPLANATION_BLOCK, "element": explanation,
             "label": {"type": "plain_text", "text": "Explanation of the rating"}},
            {"type": "input", "block_id": URL_BLOCK, "element": url, "optional": True,
             "label": {"type": "plain_text", "text": "Published fact-check URL"},
             "hint": {"type": "plain_text", "text": "Where the newsroom published it. Exports (ClaimReview) "
                                                    "only include claims with this URL."}},
        ],
    }


def stale_nudge(claim_id: int, stamp: str, people: Sequence[str], days: int, assign_emoji: str) -> Message:
    if people:
        who = ", ".join(f"<@{user}>" for user in people)
        text = (f":hourglass: This claim has had no activity for {days} days. {who}, any news? Post what you "
                "found here, or click *Hand back* on the claim if you can't take it further.")
    else:
        text = (f":hourglass: This claim has had no activity for {days} days and nobody is on it. Click "
                f"*I'm on it* on the claim (or react :{assign_emoji}:) to take it.")
    return Message(text=text, blocks=as_dicts(SectionBlock(text=MarkdownTextObject(text=text))),
                   metadata=nudge_metadata(claim_id, stamp))
