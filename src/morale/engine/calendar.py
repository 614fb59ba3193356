"""Weeks and dates: week w of a run starts on `start + 7w`; the run covers every week that starts by `end`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

WEEKS_PER_YEAR = 365.25 / 7.0


@dataclass(frozen=True)
class Calendar:
    start: dt.date
    end: dt.date

    @property
    def n_weeks(self) -> int:
        return (self.end - self.start).days // 7 + 1

    def date(self, week: int) -> dt.date:
        return self.start + dt.timedelta(days=7 * week)

    def week_of(self, date: dt.date) -> int:
        """The week containing `date` (negative before the start)."""
        return (date - self.start).days // 7

    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(pd.Timestamp(self.start), periods=self.n_weeks, freq="7D", name="date", unit="ns")

    def year_weeks_in_horizon(self, year: int) -> tuple[float, float]:
        """The part of a calendar year inside the run, in (fractional) weeks since the start."""
        first = max(self.start, dt.date(year, 1, 1))
        last = min(self.end + dt.timedelta(days=1), dt.date(year + 1, 1, 1))
        return (first - self.start).days / 7.0, max((last - self.start).days, (first - self.start).days) / 7.0

    def year_share_in_horizon(self, year: int) -> float:
        first, last = self.year_weeks_in_horizon(year)
        return (last - first) / WEEKS_PER_YEAR
