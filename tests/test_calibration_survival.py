"""Stays by maximum likelihood with ongoing stays right-censored, on data drawn with scipy (truth known).

Tolerances: each estimate must lie within 4 bootstrap standard errors of the truth (40 case resamples).
Under the asymptotic normality of the MLE that fails with probability 6e-5 per comparison; six comparisons
are made. The naive estimate that drops ongoing stays must miss by more than that, or the test could not
tell censoring from no censoring.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.calibration.survival import fit_family, fit_stays, kaplan_meier

N = 2500
CASES = {  # family: (scipy distribution, mean, cv)
    "lognormal": (stats.lognorm(s=np.sqrt(np.log1p(0.8**2)), scale=65 * np.exp(-np.log1p(0.8**2) / 2)), 65, 0.8),
    "gamma": (stats.gamma(2.0, scale=30.0), 60, 0.7071),
    "weibull": (stats.weibull_min(2.5, scale=90.0), None, None),
}


def censored_sample(dist, seed: int):
    """Stays begun uniformly over 300 days, observed until their end: the later ones are cut short."""
    rng = np.random.default_rng(seed)
    s = dist.rvs(N, random_state=rng)
    remaining = rng.uniform(0, 300, N)  # days from admission to the end of the data
    return np.minimum(s, remaining), s > remaining


@pytest.mark.parametrize("family", list(CASES))
def test_censored_mle_recovers_mean_and_cv(family):
    dist, mean, cv = CASES[family]
    cv = dist.std() / dist.mean() if cv is None else cv
    x, censored = censored_sample(dist, seed=11)
    assert 0.05 < censored.mean() < 0.4
    fit = fit_family(family, x, censored)
    rng = np.random.default_rng(3)
    boot = []
    for _ in range(40):
        pick = rng.integers(0, N, N)
        f = fit_family(family, x[pick], censored[pick])
        boot.append((f.mean, f.cv))
    se_mean, se_cv = np.std(boot, axis=0, ddof=1)
    assert abs(fit.mean - dist.mean()) < 4 * se_mean, (fit.mean, dist.mean(), se_mean)
    assert abs(fit.cv - cv) < 4 * se_cv, (fit.cv, cv, se_cv)
    # dropping the ongoing stays shortens the mean by far more than the estimate's uncertainty
    naive = fit_family(family, x[~censored], np.zeros((~censored).sum(), bool))
    assert dist.mean() - naive.mean > 4 * se_mean


@pytest.mark.parametrize("family", list(CASES))
def test_aic_picks_the_family_the_data_came_from(family):
    x, censored = censored_sample(CASES[family][0], seed=29)
    fits = fit_stays(x, censored)
    assert fits[0].distribution == family
    assert fits[1].aic - fits[0].aic > 4  # not a coin toss


def test_kaplan_meier_follows_the_true_survival():
    dist = CASES["lognormal"][0]
    x, censored = censored_sample(dist, seed=5)
    days, surv = kaplan_meier(x, censored)
    inside = days < np.quantile(x, 0.9)
    # about 1.36 / sqrt(n at risk) (Dvoretzky-Kiefer-Wolfowitz at 95 %) with at least 250 still at risk
    assert np.max(np.abs(surv[inside] - dist.sf(days[inside]))) < 1.36 / np.sqrt(250)
