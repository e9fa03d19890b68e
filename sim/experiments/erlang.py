"""The analytical pre-screen for ``kapsim size``: offered load and the M/M/c (Erlang C) queue.

It brackets a capacity before anything is simulated. The offered load ``a`` is the mean number of youths
that would be in place if every youth got a place at once (an M(t)/G/infinity system): for a steady
demand it is ``sum over types of lambda * E[S]``; with growth, drift or seasons it changes over time, and we
compute its time-average and its peak over the observed window by convolving the arrival rate with the
stay's survival function. The Erlang C formula then gives the waiting of an M/M/c queue with ``c``
places. The model has priorities, withdrawal, non-exponential stays and separate high-security places,
so the answer is only a starting point for the simulated search.

>>> round(erlang_c(2, 1.0), 4)  # one erlang offered to two places: C = 1/3
0.3333
>>> round(erlang_c(3, 2.0), 4)  # 4/9
0.4444
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.engine import stays
from sim.engine.clock import Clock
from sim.engine.demand import rate
from sim.scenario import trend
from sim.scenario.schema import Scenario


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c with ``c`` places and offered load ``a`` erlangs (stable recursion)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with ``c`` places and offered load ``a`` (1 if a >= c)."""
    if c <= 0 or a >= c:
        return 1.0
    if a <= 0:
        return 0.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def p_wait_over(
    c: int, a: float, mean_stay: float, days: float, before: float = 0.0, level: float | None = None
) -> float:
    """P(wait > ``days``) in M/M/c: C(c, a) * exp(-(c - a) * days / E[S]).

    With priorities (non-preemptive, one service rate), for the class whose higher classes offer
    ``before`` erlangs and which with them offers ``level``: C(c, a) * exp(-days / m), m its conditional
    mean wait E[S] / (c (1 - before/c) (1 - level/c)); exact for the first class, the mean right for the others.
    """
    level = a if level is None else level
    if level >= c:
        return 1.0
    m = mean_stay / (c * (1 - before / c) * (1 - level / c))
    return erlang_c(c, a) * math.exp(-days / m)


def mean_wait(c: int, a: float, mean_stay: float, before: float = 0.0, level: float | None = None) -> float:
    """Mean wait in days in M/M/c, C(c, a) * E[S] / (c - a); with priorities as in :func:`p_wait_over`."""
    level = a if level is None else level
    if level >= c:
        return math.inf
    return erlang_c(c, a) * mean_stay / (c * (1 - before / c) * (1 - level / c))


def mean_queue(c: int, a: float, mean_stay: float, before: float = 0.0, level: float | None = None) -> float:
    """Mean number waiting in M/M/c, C(c, a) * a / (c - a); with priorities, of the class (Little's law)."""
    level = a if level is None else level
    own = level - before
    return own / mean_stay * mean_wait(c, a, mean_stay, before, level)


# metric name -> its M/M/c value from (places, load, mean stay in days, load before, load through the class)
FORMULAS = {
    "p_wait_over_1_day": lambda c, a, s, b, lv: p_wait_over(c, a, s, 1.0, b, lv),
    "p_wait_over_7_days": lambda c, a, s, b, lv: p_wait_over(c, a, s, 7.0, b, lv),
    "wait_days_mean": mean_wait,
    "queue_length_mean": mean_queue,
    "days_full_share": lambda c, a, s, b, lv: erlang_c(c, a),  # share of time with every ordinary place taken
}


@dataclass(frozen=True)
class OfferedLoad:
    """Offered load in erlangs (youths in place if nobody waited) of the youths a pool of places serves."""

    average: float  # time-average over the observed window
    peak: float  # highest day in the observed window
    per_day: float  # arrivals per day, time-average over the window
    mean_stay: float  # days: average / per_day (the pool's mean stay, weighted by arrivals)
    by_type: dict[str, float]  # placement type -> its time-average load
    by_year: dict[int, tuple[float, float]] = field(default_factory=dict)  # calendar year -> (average, peak)


def offered_load(scenario: Scenario, high_security: bool = False) -> OfferedLoad:
    """The M(t)/G/infinity load of ordinary youths (or of high-security youths) over the observed window.

    The expected number in place at day t is ``sum over arrival days s of lambda(s) * P(S_s > t - s)``, with
    the stay's mean at arrival day s (drift); rates include growth and seasons, not the random monthly
    factor (its mean is 1). The sum starts far enough before the window that the window starts in balance.
    """
    clock = Clock.from_horizon(scenario.horizon)
    longest = max(_tail_days(p.stay) for p in scenario.placement_types.values())
    first = clock.warmup - longest
    n = int(math.ceil(clock.end - first))
    t = first + np.arange(n) + 0.5  # middle of each day
    in_window = (t >= clock.warmup) & (t < clock.end)
    load = np.zeros(n)
    arrivals = np.zeros(n)
    by_type = {}
    for name, ptype in scenario.placement_types.items():
        before = load[in_window].sum()
        share = ptype.demand.high_security_share
        lam = rate(ptype.demand, clock, t) * (share if high_security else 1.0 - share)
        arrivals += lam
        base = stays.mean_of(ptype.stay)
        block = 30  # the mean stay drifts slowly: one survival curve per 30 days of arrivals
        for i0 in range(0, n, block):
            i1 = min(i0 + block, n)
            mid = 0.5 * (t[i0] + t[i1 - 1])
            mean = base * trend.factor(ptype.stay.drift, clock.years_since_start(mid))
            # P(still in place) averaged over a day of arrival times: Simpson's rule on half days
            half = stays.survival(ptype.stay, np.arange(2 * (n - i0) + 1) / 2.0, mean)
            sf = (half[:-2:2] + 4 * half[1:-1:2] + half[2::2]) / 6
            load[i0:] += np.convolve(lam[i0:i1], sf)[: n - i0]
        by_type[name] = float((load[in_window].sum() - before) / max(in_window.sum(), 1))
    average = float(load[in_window].mean())
    per_day = float(arrivals[in_window].mean())
    by_year = {}
    for year, lo, hi, _ in clock.calendar_years():
        days = (t >= lo) & (t < hi)
        by_year[year] = (float(load[days].mean()), float(load[days].max()))
    return OfferedLoad(
        average=average,
        peak=float(load[in_window].max()),
        per_day=per_day,
        mean_stay=average / per_day if per_day > 0 else 0.0,
        by_type=by_type,
        by_year=by_year,
    )


def _tail_days(stay) -> float:
    """Days after which almost no stay (1 in 10,000) is still running, at the highest drift factor."""
    dist = stays.frozen(stay)
    tail = float(np.max(stay.observed)) if dist is None else float(dist.isf(1e-4))
    return min(tail * trend.factor(max(0.0, stay.drift), 5), 20 * 365.25)


def smallest_places(
    metric: str,
    meets,
    load: float,
    mean_stay: float,
    before: float = 0.0,
    level: float | None = None,
    limit: int = 100_000,
) -> int | None:
    """Smallest c for which the M/M/c value of ``metric`` satisfies ``meets(value)``; None if no formula.

    ``before`` and ``level`` (erlangs) make it the value for one priority class (see :func:`p_wait_over`).
    """
    formula = FORMULAS.get(metric)
    if formula is None:
        return None
    level = load if level is None else level
    c = max(1, math.floor(load) + 1)
    while c < limit and not meets(formula(c, load, mean_stay, before, level)):
        c += 1
    return c
