"""Arrival streams against their definition: monthly seasonal profile, growth and over-dispersion.

The youths are drawn with ``sim.engine.youths.draw_youths``, the model's own input path (no SimPy run is needed:
arrivals never depend on what the model does). Expected counts are computed here from first principles --
per_year / 365.25 per day, monthly factors rescaled to average 1 and applied per calendar month, so a month
expects (days in it) x rate; growth (1 + g) ** (years since the start) integrated in closed form -- and
``sim.engine.demand.rate`` is checked against the same integrals.

Tolerances:
- counts: Pearson chi-square against the fully specified Poisson means (no parameter fitted, one degree of
  freedom per cell), rejected only if p < 0.001. Each check also shows power: the same counts reject a
  slightly wrong expectation (month lengths ignored; growth 0.08 instead of 0.10) at p < 0.001;
- over-dispersion: each replication estimates cv^2 from its months (below); 20 independent replications give
  the SE, and |mean - cv^2| < 3.88 SE (t(19), false alarm 0.1 %) with SE below 3 % of cv^2 (measured about
  1.5-2 %);
- arrival times lie in [0, end) exactly (no tolerance). Runs that stopped inside a calendar month used to
  draw arrivals up to that month's end, after the run's end; ``sim.engine.demand.arrival_times`` now drops them.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import integrate

from sim.engine import demand
from sim.engine.youths import draw_youths
from sim.run.worker import Experiment
from tests.helpers import pool, scenario_of
from tests.validation.theory import ALPHA, DAYS_PER_YEAR, assert_close, poisson_chi_square_p

PROFILE = [1.4, 1.3, 1.1, 1.0, 0.9, 0.7, 0.5, 0.8, 1.0, 1.1, 1.2, 1.3]  # averages 1.025: rescaled by the model


def _experiment(per_year: float, years: float, warmup_days: float, **demand_extra) -> Experiment:
    data = pool(places=10, per_year=per_year, years=years, warmup_days=warmup_days, seed=17)
    data["placement_types"]["remand"]["demand"].update(demand_extra)
    return Experiment(scenario_of(data))


def _arrivals(exp: Experiment, replication: int) -> np.ndarray:
    return draw_youths(exp.scenario, exp.network, exp.clock, replication).arrival


def _month_edges(exp: Experiment) -> tuple[np.ndarray, np.ndarray]:
    """Start day of every calendar month from the origin up to the end (end appended), and its month 0-11."""
    origin, end = exp.clock.origin, exp.clock.end
    edges, months = [0.0], [origin.month - 1]
    y, m = origin.year, origin.month
    while True:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        day = float((dt.date(y, m, 1) - origin).days)
        if day >= end:
            break
        edges.append(day)
        months.append(m - 1)
    edges.append(end)
    return np.array(edges), np.array(months)


@pytest.mark.parametrize("years, warmup_days", [(1.5, 0), (2.3, 10), (3, 365), (10.1, 50)])
def test_arrivals_stay_inside_the_run(years, warmup_days):
    # arrival_times promises times in [0, clock.end); runs that end in the middle of a month must not draw
    # arrivals after the end (they would be youths who never arrive but look as if still waiting)
    exp = _experiment(3650, years, warmup_days)
    a = _arrivals(exp, 0)
    assert a.min() >= 0 and a.max() < exp.clock.end
    rec = exp.records(0) if years < 2 else None
    if rec is not None:
        never = np.isnan(rec.admitted) & np.isnan(rec.withdrawn)
        assert np.all(rec.youths.arrival[never] < rec.end)


def test_monthly_profile_chi_square_per_calendar_month():
    per_year, years = 3000.0, 40
    exp = _experiment(per_year, years, 0, seasonality={"monthly": PROFILE})
    assert exp.clock.origin == dt.date(2025, 1, 1) and exp.clock.end == 14610  # 40 whole calendar years
    edges, month = _month_edges(exp)
    factor = np.array(PROFILE) / np.mean(PROFILE)
    expected = per_year / DAYS_PER_YEAR * factor[month] * np.diff(edges)
    # sim.engine.demand.rate integrated over each month gives the same expectation (it is constant within a month)
    ptype = exp.scenario.placement_types["remand"]
    for k in range(0, edges.size - 1, 37):
        integral = integrate.quad(lambda t: float(demand.rate(ptype.demand, exp.clock, t)), edges[k], edges[k + 1])[0]
        assert integral == pytest.approx(expected[k], rel=1e-6)
    counts = np.histogram(_arrivals(exp, 0), bins=edges)[0]

    by_month = np.bincount(month, weights=counts, minlength=12)
    exp_by_month = np.bincount(month, weights=expected, minlength=12)
    assert poisson_chi_square_p(by_month, exp_by_month) > ALPHA  # 12 cells: the profile
    assert poisson_chi_square_p(counts, expected) > ALPHA  # 480 cells: every month of every year
    # power: ignoring month lengths (every month 1/12 of the year's demand) is rejected
    naive = per_year / 12 * np.bincount(month, weights=factor[month], minlength=12)
    assert poisson_chi_square_p(by_month, naive) < ALPHA


def _growth_integral(per_year: float, g: float, warmup: float, a: float, b: float) -> float:
    """int_a^b per_year / 365.25 * (1 + g) ** ((t - warmup) / 365.25) dt, in closed form."""
    c = per_year / DAYS_PER_YEAR
    k = math.log1p(g) / DAYS_PER_YEAR
    return c / k * (math.exp(k * (b - warmup)) - math.exp(k * (a - warmup)))


def test_growth_gives_the_yearly_counts():
    per_year, g, reps = 1000.0, 0.10, 5
    exp = _experiment(per_year, 10, 365, growth=g)
    clock = exp.clock
    # bins: the warm-up, then each calendar year from the start date (demand is per_year on the start date)
    edges = [0.0] + [clock.day_of(dt.date(2025 + k, 1, 1)) for k in range(11)]
    assert edges[1] == clock.warmup and edges[-1] == clock.end
    expected = np.array([_growth_integral(per_year, g, clock.warmup, a, b) for a, b in zip(edges, edges[1:])])
    ptype = exp.scenario.placement_types["remand"]
    integral = integrate.quad(lambda t: float(demand.rate(ptype.demand, clock, t)), edges[5], edges[6])[0]
    assert integral == pytest.approx(expected[5], rel=1e-6)
    counts = np.array([np.histogram(_arrivals(exp, r), bins=edges)[0] for r in range(reps)])
    assert poisson_chi_square_p(counts, np.tile(expected, (reps, 1))) > ALPHA
    # power: a growth of 0.08 a year is rejected by the same counts
    wrong = np.array([_growth_integral(per_year, 0.08, clock.warmup, a, b) for a, b in zip(edges, edges[1:])])
    assert poisson_chi_square_p(counts, np.tile(wrong, (reps, 1))) < ALPHA


def test_dispersion_gives_gamma_poisson_monthly_variance():
    # monthly count N = Poisson(G mu), G ~ gamma with mean 1 and cv: E N = mu, Var N = mu + cv^2 mu^2.
    # Per month D = ((N - mu)^2 - mu) / mu^2 has expectation cv^2 exactly, and months are independent;
    # each replication's mean of D over its 480 months is one estimate of cv^2.
    per_year, cv, reps = 1200.0, 0.3, 20
    exp = _experiment(per_year, 40, 0, dispersion=cv)
    edges, _ = _month_edges(exp)
    mu = per_year / DAYS_PER_YEAR * np.diff(edges)
    cv2, mean_ratio = [], []
    for r in range(reps):
        n = np.histogram(_arrivals(exp, r), bins=edges)[0]
        cv2.append(np.mean(((n - mu) ** 2 - mu) / mu**2))
        mean_ratio.append(n.sum() / mu.sum())
    assert_close("monthly cv^2", np.array(cv2), cv**2, max_rel_se=0.03)
    # the mean is unchanged by dispersion: total count / expected total per replication
    assert_close("count / expected", np.array(mean_ratio), 1.0, max_rel_se=0.01)


def test_demand_changes_step_the_rate_on_their_dates():
    """A factor 2 from 1 July 2025 and 0.5 from 1 January 2026: the monthly arrivals of 40 replications follow
    the steps. Each half-year mean is within 4 standard errors of its expected count (Poisson, so the variance
    is the mean): a false alarm about once in 16,000 tests."""
    from sim.engine.clock import Clock
    from sim.engine.demand import arrival_times
    from sim.engine.streams import stream

    data = pool(per_year=365.25 * 4, years=2, warmup_days=0)
    data["placement_types"]["remand"]["demand"]["changes"] = [
        {"date": "2025-07-01", "factor": 2.0},
        {"date": "2026-01-01", "factor": 0.5},
    ]
    s = scenario_of(data)
    clock = Clock.from_horizon(s.horizon)
    wave = s.placement_types["remand"].demand
    cuts = [clock.day_of(dt.date.fromisoformat(d)) for d in ("2025-07-01", "2026-01-01")]
    periods = [(0.0, cuts[0], 4.0), (cuts[0], cuts[1], 8.0), (cuts[1], clock.end, 2.0)]
    counts = np.zeros((40, 3))
    for r in range(40):
        t = arrival_times(wave, clock, stream(1, r, "arrivals/remand"))
        counts[r] = [np.sum((t >= lo) & (t < hi)) for lo, hi, _ in periods]
    for k, (lo, hi, per_day) in enumerate(periods):
        expected = per_day * (hi - lo)
        assert abs(counts[:, k].mean() - expected) < 4 * np.sqrt(expected / 40), (k, counts[:, k].mean(), expected)
