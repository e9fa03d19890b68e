"""Arrivals per placement type: seasonal, trending and over-dispersed non-homogeneous Poisson.

The rate at time t (days) is::

    lambda(t) = per_year / 365.25 * (1 + growth) ** years(t) * season(t) * D(t) * G[month(t)]

``years(t)`` counts from the statistics start, so ``per_year`` is the demand on the start date.
``season`` is a step function of the calendar month (twelve factors rescaled to average 1) or a cosine
``1 + amplitude * cos(2 pi (day_of_year - peak) / 365.25)``. ``G`` is an independent gamma multiplier per
calendar month with mean 1 and coefficient of variation ``dispersion`` (0 gives a plain Poisson process):
monthly counts then vary more than Poisson, as observed demand does. ``D`` is the step factor of
``changes`` (1 until the first: a wave of remands, a change in the law), ``factor`` from each ``date`` on.

Arrival times are drawn exactly by thinning, month by month, with the candidate rate bounded by the rate's
maximum within that month: the bound is evaluated per month, never at the wrong time.
"""

from __future__ import annotations

import numpy as np

from sim.engine.clock import DAYS_PER_YEAR, Clock
from sim.scenario import trend
from sim.scenario.schema import Demand, Seasonality


def season_factors(seasonality: Seasonality | None) -> np.ndarray | None:
    """Twelve monthly factors averaging 1, or None for a cosine profile or no seasonality."""
    if seasonality is None or seasonality.monthly is None:
        return None
    f = np.asarray(seasonality.monthly, dtype=float)
    return f / f.mean()


def season_at(seasonality: Seasonality | None, clock: Clock, t: np.ndarray) -> np.ndarray:
    """Seasonal factor at simulation times ``t`` (days)."""
    t = np.asarray(t, dtype=float)
    if seasonality is None:
        return np.ones_like(t)
    dates = np.datetime64(clock.origin, "D") + np.floor(t).astype("timedelta64[D]")
    if seasonality.monthly is not None:
        month = dates.astype("datetime64[M]").astype(int) % 12
        return season_factors(seasonality)[month]
    year_start = dates.astype("datetime64[Y]").astype("datetime64[D]")
    day_of_year = (dates - year_start).astype(float) + (t - np.floor(t))
    peak = (seasonality.peak_month - 0.5) * DAYS_PER_YEAR / 12  # middle of the peak month
    return 1.0 + seasonality.amplitude * np.cos(2 * np.pi * (day_of_year - peak) / DAYS_PER_YEAR)


def rate(demand: Demand, clock: Clock, t: np.ndarray, multipliers: np.ndarray | None = None) -> np.ndarray:
    """Arrival rate (youths per day) at times ``t``; ``multipliers`` are the monthly gamma factors."""
    t = np.asarray(t, dtype=float)
    lam = demand.per_year / DAYS_PER_YEAR * trend.factor(demand.growth, clock.years_since_start(t))
    lam = lam * season_at(demand.seasonality, clock, t)
    if demand.changes:
        lam = lam * change_factor(demand, clock, t)
    if multipliers is not None:
        starts = clock.month_starts()
        lam = lam * multipliers[np.searchsorted(starts, t, side="right") - 1]
    return lam


def change_factor(demand: Demand, clock: Clock, t: np.ndarray) -> np.ndarray:
    """The factor of ``demand.changes`` in force at times ``t`` (1 before the first change)."""
    days = np.array([clock.day_of(c.date) for c in demand.changes])
    factors = np.concatenate([[1.0], [c.factor for c in demand.changes]])
    return factors[np.searchsorted(days, np.asarray(t, dtype=float), side="right")]


def _change_max(demand: Demand, clock: Clock, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per month [lo, hi): the largest factor of ``demand.changes`` in force in it."""
    out = change_factor(demand, clock, lo)
    for c in demand.changes:
        day = clock.day_of(c.date)
        inside = (day > lo) & (day < hi)
        out[inside] = np.maximum(out[inside], c.factor)
    return out


def monthly_multipliers(demand: Demand, n_months: int, rng: np.random.Generator) -> np.ndarray:
    """Gamma(mean 1, cv = dispersion) rate multiplier per calendar month of the run."""
    if demand.dispersion < 1e-8:  # 1 / cv**2 would overflow; such a cv is a plain Poisson rate anyway
        return np.ones(n_months)
    shape = 1.0 / demand.dispersion**2
    return rng.gamma(shape, 1.0 / shape, size=n_months)


def arrival_times(demand: Demand, clock: Clock, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times (days) in [0, clock.end) for one placement type."""
    starts = clock.month_starts()
    edges = np.append(starts, clock.end)
    edges = edges[: np.searchsorted(edges, clock.end) + 1]
    lo, hi = edges[:-1], edges[1:]
    n_months = len(lo)
    mult = monthly_multipliers(demand, n_months, rng)
    if demand.per_year == 0 or n_months == 0:
        return np.empty(0)
    growth = trend.factor(demand.growth, clock.years_since_start(np.stack([lo, hi])))
    season = demand.seasonality
    if season is None:
        season_max = np.ones(n_months)
    elif season.monthly is not None:
        season_max = season_factors(season)[clock.month_of_year(np.arange(n_months))]
    else:
        season_max = np.full(n_months, 1.0 + season.amplitude)
    bound = demand.per_year / DAYS_PER_YEAR * growth.max(axis=0) * season_max * mult
    if demand.changes:
        bound = bound * _change_max(demand, clock, lo, hi)
    counts = rng.poisson(bound * (hi - lo))
    month = np.repeat(np.arange(n_months), counts)
    t = lo[month] + rng.random(month.size) * (hi - lo)[month]
    accept = rng.random(month.size) * bound[month] < rate(demand, clock, t, mult)
    # when the run ends inside a month, that month's candidates are drawn up to the month's end: keep only
    # those before clock.end (a Poisson process restricted to [lo, end) is the process on [lo, end))
    accept &= t < clock.end
    return np.sort(t[accept])
