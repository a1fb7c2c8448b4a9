"""When the weekly summary falls due: SUMMARY_SCHEDULE (`mon 09:00`) in SUMMARY_TZ.

It lives with the settings because it is how SUMMARY_SCHEDULE is checked when configuration is read;
the weekly report builds on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\s+([01]?\d|2[0-3]):([0-5]\d)$", re.IGNORECASE)


@dataclass(frozen=True)
class Schedule:
    weekday: int  # 0 = Monday
    at: time
    tz: ZoneInfo

    @classmethod
    def parse(cls, spec: str, tz: str) -> Schedule:
        match = _SCHEDULE.match(spec.strip())
        if not match:
            raise ValueError(f"{spec!r} is not a day and time like 'mon 09:00'")
        return cls(DAYS.index(match.group(1).lower()[:3]), time(int(match.group(2)), int(match.group(3))),
                   ZoneInfo(tz))

    def last_due(self, now: datetime) -> datetime:
        """The most recent scheduled moment at or before `now` (aware, in the schedule's zone)."""
        local = now.astimezone(self.tz)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        moment = datetime.combine(day, self.at, tzinfo=self.tz)
        if moment > local:
            moment = datetime.combine(day - timedelta(days=7), self.at, tzinfo=self.tz)
        return moment
