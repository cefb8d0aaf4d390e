"""Quiet hours (SURVEY_QUIET_HOURS, local time, default 21:00-08:00): when no customer is
disturbed. The send queue holds SMS during them (``survey.distribution.sending``) and a phone
call-back is not proposed inside them (``survey.collect.phone``), so both read one rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time

from survey.core.config import Settings
from survey.core.errors import Refused


@dataclass(frozen=True)
class QuietHours:
    start: clock_time
    end: clock_time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """ "21:00-08:00" -> QuietHours; "" or "off" -> None."""
        if not text or text.strip().lower() in ("off", "none", "0"):
            return None
        try:
            start, end = (clock_time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise Refused(key="errors.core.quiet_hours_format", text=text) from None
        return cls(start, end)

    def covers(self, moment: datetime, config: Settings) -> bool:
        local = moment.astimezone(config.timezone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ended(self, moment: datetime, config: Settings) -> datetime:
        """``moment`` itself when it is outside the quiet hours, else the local time they end."""
        if not self.covers(moment, config):
            return moment
        local = moment.astimezone(config.timezone)
        end = datetime.combine(local.date(), self.end, config.timezone)
        return end if end > local else end + timedelta(days=1)


def outside_quiet_hours(moment: datetime, config: Settings) -> datetime:
    """The first time at or after ``moment`` that the quiet hours (if any) allow."""
    quiet = QuietHours.parse(config.quiet_hours)
    return moment if quiet is None else quiet.ended(moment, config)
