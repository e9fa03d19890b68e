"""Stay and patience distributions: draws of ``sim.engine.stays.unit_draws`` have mean 1 and the requested cv, and
follow the distribution ``sim.engine.stays.frozen`` describes (which the theory in the other tests relies on).

Tolerances. N = 200,000 draws from a fixed stream per case.
- ``frozen`` itself: mean 1 and standard deviation cv to 1e-6 (exact moments, root-finding tolerance of the
  Weibull shape).
- sample mean: |mean - 1| < z SE with SE = cv / sqrt(N) from the theoretical variance and z = 3.29, the
  normal quantile for a two-sided false alarm of 0.1 % (N is large enough for the normal approximation);
- sample variance: |s^2 - cv^2| < z SE with SE = cv^2 sqrt((kurtosis_excess + 2) / N), the large-sample
  standard error of a variance, the excess kurtosis taken from ``frozen`` (206 for lognormal cv 1.5, whose
  heavy tail makes this band about +-15 % of cv^2; about +-1 to +-5 % elsewhere). The sample cv is
  reported in the message;
- shape: Kolmogorov-Smirnov against ``frozen(d)``, rejected only if p < 0.001; power is shown by the same
  draws rejecting the distribution with a cv 5 % off.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.engine import stays
from sim.engine.streams import stream
from sim.engine.youths import draw_youths
from sim.run.worker import Experiment
from sim.scenario.schema import Duration
from tests.helpers import pool, scenario_of
from tests.validation.theory import ALPHA

N = 200_000
Z = float(stats.norm.isf(ALPHA / 2))  # 3.29

CASES = [
    ("lognormal", 0.5),
    ("lognormal", 1.5),
    ("gamma", 0.5),
    ("gamma", 2.0),
    ("weibull", 0.5),
    ("weibull", 1.5),
    ("exponential", None),
]


@pytest.mark.parametrize("distribution, cv", CASES)
def test_unit_draws_match_requested_mean_cv_and_law(distribution, cv):
    d = Duration(distribution=distribution, mean=1.0, cv=cv)
    cv = 1.0 if cv is None else cv
    dist = stays.frozen(d, mean=1.0)
    assert dist.mean() == pytest.approx(1.0, rel=1e-6)
    assert dist.std() == pytest.approx(cv, rel=1e-6)

    x = stays.unit_draws(d, N, stream(2024, 0, f"validation/{distribution}/{cv}"))
    assert x.size == N and x.min() > 0
    se_mean = cv / math.sqrt(N)
    assert abs(x.mean() - 1.0) < Z * se_mean, f"mean {x.mean():.5f}, SE {se_mean:.2g}"
    excess = float(dist.stats(moments="k"))
    se_var = cv**2 * math.sqrt((excess + 2) / N)
    s2 = x.var(ddof=1)
    assert abs(s2 - cv**2) < Z * se_var, f"cv {math.sqrt(s2) / x.mean():.4f} wanted {cv}, var SE {se_var:.2g}"

    assert stats.kstest(x, dist.cdf).pvalue > ALPHA
    if distribution != "exponential":  # power: a cv 5 % off is rejected
        off = stays.frozen(Duration(distribution=distribution, mean=1.0, cv=cv * 1.05), mean=1.0)
        assert stats.kstest(x, off.cdf).pvalue < ALPHA


def test_survival_is_the_frozen_tail_and_scales_with_the_mean():
    # exact identities (float tolerance): survival(d, u, mean) = P(mean * unit > u)
    d = Duration(distribution="lognormal", mean=69.0, cv=0.8)
    u = np.array([1.0, 30.0, 69.0, 200.0])
    np.testing.assert_allclose(stays.survival(d, u), stays.frozen(d).sf(u), rtol=1e-12)
    np.testing.assert_allclose(stays.survival(d, u, mean=138.0), stays.frozen(d, 1.0).sf(u / 138.0), rtol=1e-9)


def test_empirical_draws_resample_the_observed_stays_uniformly():
    obs = [10.0, 20.0, 30.0, 60.0, 120.0]
    d = Duration(distribution="empirical", observed=obs)
    x = stays.unit_draws(d, N, stream(2024, 0, "validation/empirical")) * stays.mean_of(d)
    values, counts = np.unique(np.round(x, 9), return_counts=True)
    np.testing.assert_allclose(values, obs, rtol=1e-9)
    # counts are multinomial(N, 1/5 each): chi-square with 4 degrees of freedom, p > 0.001
    assert stats.chisquare(counts).pvalue > ALPHA


def test_stay_drift_rescales_the_mean_by_arrival_year():
    # stay = mean * (1 + drift) ** (years since the start) * unit draw: each youth's stay divided by their
    # own expected mean is a unit draw (mean 1, cv 0.8), checked per year of arrival (Bonferroni over the
    # years: z for 0.1 % / number of years) with SE = cv / sqrt(youths that year)
    data = pool(places=10, per_year=20000, mean_stay=50.0, distribution="lognormal", cv=0.8, years=6, warmup_days=365)
    data["placement_types"]["remand"]["stay"]["drift"] = 0.2
    exp = Experiment(scenario_of(data))
    y = draw_youths(exp.scenario, exp.network, exp.clock, 0)
    years = exp.clock.years_since_start(y.arrival)
    unit = y.stay / (50.0 * 1.2**years)
    year = np.floor(years).astype(int)
    groups = np.unique(year)
    z = float(stats.norm.isf(ALPHA / 2 / groups.size))
    for k in groups:
        sel = year == k
        assert abs(unit[sel].mean() - 1.0) < z * 0.8 / math.sqrt(sel.sum()), f"year {k}"
    # and the drift really acts: youths arriving in year 5 stay 1.2 ** 5 = 2.49 times as long as in year 0
    # (arrivals are uniform in time, so the ratio of expectations is exactly 1.2 ** 5); relative SE of a ratio
    # of two independent means, each with relative SE 0.8 / sqrt(n): sqrt(2) * 0.8 / sqrt(n)
    n = min(np.sum(year == 5), np.sum(year == 0))
    rel_se = math.sqrt(2) * 0.8 / math.sqrt(n)
    assert y.stay[year == 5].mean() / y.stay[year == 0].mean() == pytest.approx(1.2**5, rel=Z * rel_se)
