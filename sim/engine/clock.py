"""Simulation time: days (floats) since the start of the warm-up, and the calendar behind them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import Horizon

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Clock:
    """Maps simulation days to dates. Day 0 is the first day of the warm-up."""

    origin: dt.date  # date at simulation time 0
    warmup: float  # days; statistics start here
    end: float  # days; the run stops here

    @classmethod
    def from_horizon(cls, horizon: Horizon) -> Clock:
        warm = float(np.ceil(horizon.warmup_days))
        origin = horizon.start - dt.timedelta(days=warm)
        return cls(origin=origin, warmup=warm, end=warm + round(horizon.years * DAYS_PER_YEAR))

    @property
    def days(self) -> int:
        """Whole days simulated, warm-up included."""
        return int(np.ceil(self.end))

    @property
    def observed_years(self) -> float:
        return (self.end - self.warmup) / DAYS_PER_YEAR

    def day_of(self, date: dt.date) -> float:
        return float((date - self.origin).days)

    def dates(self) -> np.ndarray:
        """Calendar date of every simulated day (numpy datetime64[D])."""
        return np.datetime64(self.origin, "D") + np.arange(self.days)

    def month_starts(self) -> np.ndarray:
        """Simulation day at which each calendar month begins, covering [0, end], first at 0."""
        first = np.datetime64(self.origin, "M")
        months = first + np.arange(int(self.end / 28) + 3)
        starts = (months.astype("datetime64[D]") - np.datetime64(self.origin, "D")).astype(float)
        starts[0] = 0.0
        return starts[: np.searchsorted(starts, self.end, side="left") + 1]

    def month_of_year(self, month_index: np.ndarray) -> np.ndarray:
        """Calendar month (0 = January) of the months returned by :meth:`month_starts`."""
        first = np.datetime64(self.origin, "M").astype(int)
        return (first + np.asarray(month_index)) % 12

    def calendar_years(self) -> list[tuple[int, float, float, bool]]:
        """(year, first day, end day, partial) of every calendar year the observation window touches.

        The window [warmup, end) cut at each 1 January; ``partial`` when the window holds only part of
        the year (a start or an end that is not 1 January).
        """
        first = self.origin + dt.timedelta(days=self.warmup)
        last = self.origin + dt.timedelta(days=self.end - 1)
        out = []
        for year in range(first.year, last.year + 1):
            lo = max(self.warmup, self.day_of(dt.date(year, 1, 1)))
            hi = min(self.end, self.day_of(dt.date(year + 1, 1, 1)))
            whole = self.day_of(dt.date(year + 1, 1, 1)) - self.day_of(dt.date(year, 1, 1))
            if hi > lo:
                out.append((year, lo, hi, hi - lo < whole))
        return out

    def years_since_start(self, t: np.ndarray | float) -> np.ndarray | float:
        """Years from the statistics start (negative during the warm-up), for growth and drift."""
        return (np.asarray(t) - self.warmup) / DAYS_PER_YEAR
