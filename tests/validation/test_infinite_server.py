"""M/G/infinity: a pool with far more places than are ever used, so nobody waits and occupancy is Poisson.

Theory: with Poisson arrivals at rate lambda from time 0 (the start of the warm-up, empty), the number
present at time t is Poisson with mean lambda * int_0^t P(S > u) du, whatever the stay distribution; in the
long run this is lambda E[S]. The time average over the observation window [W, E] has expectation
lambda E[S] - (lambda / T) int_W^inf P(S > u) (min(u, E) - W) du (the start-from-empty deficit, computed and
included although it is below 1e-9 here). Two censuses h days apart have correlation
int_h^inf P(S > u) du / E[S]; censuses are taken at the shortest whole-day spacing that makes it below 0.004
(20 days for lognormal cv 1.5, 3 days for gamma cv 0.5), so they are nearly independent draws of
Poisson(lambda E[S]).

Tolerances:
- mean occupancy and the dispersion index (variance / mean of the daily census, 1 for Poisson) per
  replication, compared over 20 independent replications (their spread absorbs the day-to-day correlation;
  the bias of a sample variance from a correlated series, about (1 + cv^2) E[S] / n = 0.15 %, is
  negligible): |mean - theory| < 3.88 SE (t(19) quantile, false alarm 0.1 %), with the SE required
  below 1 % (mean) and 5 % (dispersion) of the value, so the checks have power;
- the shape of the census distribution: Pearson chi-square of the pooled spaced censuses against
  Poisson(lambda E[S]) (no parameter fitted), cells merged until every expected count is at least 5,
  rejected only if p < 0.001. The test's power is shown by rejecting a Poisson with a mean 10 % off.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from sim.engine.stays import frozen
from sim.run.worker import Experiment
from sim.scenario.schema import Duration
from tests.helpers import pool, scenario_of
from tests.validation.theory import ALPHA, DAYS_PER_YEAR, assert_close

REPS = 20
LAM = 5.0  # arrivals per day; mean stay 1 day, so 5 youths present on average
MAX_CORR = 0.004  # census correlation allowed between the censuses treated as independent


def _pooled_chi_square_p(counts: np.ndarray, mean: float) -> float:
    """Chi-square p-value of integer counts against Poisson(mean), tails merged to expected >= 5."""
    n = counts.size
    top = int(max(counts.max(), stats.poisson.ppf(1 - 1e-12, mean))) + 1
    expected = n * stats.poisson.pmf(np.arange(top + 1), mean)
    expected[-1] += n * stats.poisson.sf(top, mean)
    observed = np.bincount(counts, minlength=top + 1).astype(float)
    # merge cells from both tails inward until each expected count is at least 5
    cells_o, cells_e = [], []
    acc_o = acc_e = 0.0
    for o, e in zip(observed, expected):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            cells_o.append(acc_o)
            cells_e.append(acc_e)
            acc_o = acc_e = 0.0
    cells_o[-1] += acc_o
    cells_e[-1] += acc_e
    o, e = np.array(cells_o), np.array(cells_e)
    stat = float(np.sum((o - e) ** 2 / e))
    return float(stats.chi2.sf(stat, o.size - 1))  # total fixed at n: one degree of freedom fewer


@pytest.mark.parametrize("distribution, cv", [("lognormal", 1.5), ("gamma", 0.5)])
def test_occupancy_is_poisson_with_mean_lambda_es(distribution, cv):
    data = pool(
        places=1000,
        per_year=LAM * DAYS_PER_YEAR,
        mean_stay=1.0,
        distribution=distribution,
        cv=cv,
        years=6,
        warmup_days=50,
        seed=3,
    )
    exp = Experiment(scenario_of(data))
    idx = {k: j for j, k in enumerate(exp.layout.keys)}
    series = exp.layout.series.index(("occupancy", "national"))
    W, E = exp.clock.warmup, exp.clock.end
    sf = frozen(Duration(distribution=distribution, mean=1.0, cv=cv)).sf
    deficit = LAM / (E - W) * integrate.quad(lambda u: sf(u) * (min(u, E) - W), W, np.inf, limit=200)[0]
    m = LAM * 1.0
    # the shortest spacing (whole days) at which the census correlation int_h^inf P(S > u) du / E[S] is small
    spacing = next(h for h in range(1, 100) if integrate.quad(sf, h, np.inf)[0] / 1.0 < MAX_CORR)

    occ_mean, dispersion, censuses = [], [], []
    for r in range(REPS):
        values, daily, *_ = exp.replicate(r)
        assert values[idx["queue_length_max", "national", "all"]] == 0  # nobody ever waited
        assert daily[series].max() < 1000
        occ_mean.append(values[idx["occupancy_mean", "national", "all"]])
        census = daily[series].astype(np.int64)
        dispersion.append(census.var(ddof=1) / census.mean())
        censuses.append(census[spacing - 1 :: spacing])
    assert_close(f"{distribution} occupancy mean", np.array(occ_mean), m - deficit, max_rel_se=0.01)
    assert_close(f"{distribution} census variance/mean", np.array(dispersion), 1.0, max_rel_se=0.05)
    pooled = np.concatenate(censuses)
    assert _pooled_chi_square_p(pooled, m) > ALPHA
    # power: the same data reject a Poisson law whose mean is 10 % off
    assert _pooled_chi_square_p(pooled, 1.1 * m) < ALPHA
    assert _pooled_chi_square_p(pooled, 0.9 * m) < ALPHA
