"""The verdict scale: which reactions mean which verdict, with labels and ClaimReview ratings.

Configured by VERDICT_EMOJI as `emoji=verdict` pairs (`white_check_mark=true,x=false,...`); several
emoji may name one verdict, and skin-tone variants count as their base emoji. Ratings follow the
schema.org ClaimReview convention (1 = worst .. 5 = best) so exports can carry them; a verdict outside
the known ones gets a neutral label and no numeric rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_VERDICT_EMOJI = "white_check_mark=true,heavy_check_mark=true,x=false,warning=misleading,question=unverifiable"
BEST_RATING = 5
WORST_RATING = 1

_KNOWN: dict[str, tuple[str, int | None]] = {
    "true": ("True", 5),
    "mostly_true": ("Mostly true", 4),
    "half_true": ("Half true", 3),
    "misleading": ("Misleading", 2),
    "mostly_false": ("Mostly false", 2),
    "false": ("False", 1),
    "unverifiable": ("Unverifiable", None),
}
_EMOJI_NAME = re.compile(r"^[a-z0-9_+'\-]+$")
_VERDICT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class VerdictScaleError(ValueError):
    pass


@dataclass(frozen=True)
class Verdict:
    key: str
    label: str
    rating: int | None
    emoji: tuple[str, ...]


def base_emoji(name: str) -> str:
    """`+1::skin-tone-3` -> `+1`: Slack reports skin tones as a suffix of the reaction name."""
    return name.split("::", 1)[0].strip(":").lower()


class VerdictScale:
    def __init__(self, verdicts: list[Verdict]) -> None:
        if not verdicts:
            raise VerdictScaleError("the verdict scale is empty")
        self.verdicts = verdicts
        self._by_emoji = {emoji: v for v in verdicts for emoji in v.emoji}
        self._by_key = {v.key: v for v in verdicts}

    @classmethod
    def parse(cls, spec: str | None) -> VerdictScale:
        """Parse `emoji=verdict,...`; raise VerdictScaleError naming the bad entry."""
        order: list[str] = []
        emoji_for: dict[str, list[str]] = {}
        seen_emoji: set[str] = set()
        for raw in (spec or DEFAULT_VERDICT_EMOJI).replace(";", ",").split(","):
            entry = raw.strip()
            if not entry:
                continue
            emoji, sep, key = entry.partition("=")
            emoji, key = base_emoji(emoji), key.strip().lower()
            if not sep or not _EMOJI_NAME.match(emoji) or not _VERDICT_KEY.match(key):
                raise VerdictScaleError(f"VERDICT_EMOJI entry {entry!r} is not of the form emoji=verdict")
            if emoji in seen_emoji:
                raise VerdictScaleError(f"VERDICT_EMOJI maps :{emoji}: twice")
            seen_emoji.add(emoji)
            if key not in emoji_for:
                order.append(key)
                emoji_for[key] = []
            emoji_for[key].append(emoji)
        verdicts = []
        for key in order:
            label, rating = _KNOWN.get(key, (key.replace("_", " ").capitalize(), None))
            verdicts.append(Verdict(key=key, label=label, rating=rating, emoji=tuple(emoji_for[key])))
        return cls(verdicts)

    def for_emoji(self, reaction: str) -> Verdict | None:
        return self._by_emoji.get(base_emoji(reaction))

    def get(self, key: str | None) -> Verdict | None:
        return self._by_key.get(key or "")

    def label(self, key: str | None) -> str:
        """The verdict's label, or the key itself for a verdict no longer on the scale ("?" for none)."""
        verdict = self.get(key)
        return verdict.label if verdict is not None else (key or "?")

    def status_label(self, status: str, verdict: str | None) -> str:
        """`Verdict: False`, `Open`, `Disputed`: the plain words for a claim's state."""
        found = self.get(verdict)
        if status == "resolved" and found:
            return f"Verdict: {found.label}"
        return {"open": "Open", "disputed": "Disputed"}.get(status, status.capitalize())

    def legend(self) -> str:
        """`:white_check_mark: true · :x: false · ...` using each verdict's first emoji."""
        return "  ·  ".join(f":{v.emoji[0]}: {v.label.lower()}" for v in self.verdicts)
