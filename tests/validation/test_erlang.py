"""M/M/c against Erlang C: one pool of c places, Poisson arrivals, exponential stays, nobody withdraws.

Theory (Erlang C, computed in :mod:`tests.validation.theory`, not by ``sim``): with offered load
a = lambda E[S] and C = P(wait), the mean wait is Wq = C / (c mu - lambda), the mean queue Lq = lambda Wq and
P(Wq > t) = C exp(-(c mu - lambda) t).

Tolerance: each of 20 replications (fixed seed, 20 observed years each) gives one estimate of each quantity
from its own observation window; replications are independent, so their spread gives the standard error of
the mean. We require |mean - theory| < k SE with k = 3.88, the t(19) quantile for a two-sided false alarm of
0.1 % (see :mod:`tests.validation.theory`). So that the check has power, the SE must be below 2.5 % of the
value for P(wait) and 5 % for Wq, Lq and the tail probability: bands of at most +-10 % and +-19 %; the SE
measured over five other seeds was 0.5-0.8 % and 1.5-3.0 %, so the bands are in practice +-3 % and +-12 %.
At rho = 0.9 one place more or less changes Wq threefold (c = 9 is unstable), and a load 1 % too high
raises it by 14 %. The warm-up of 100 mean stays makes the start-from-empty bias negligible: the slowest
M/M/c relaxation here (c = 10, rho = 0.9) is about 1 / (c mu (1 - sqrt(rho))^2) = 38 days, so the bias
decays as exp(-100 / 38) and is then averaged over a 20-year window, far below 1 % of the values.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.run.worker import Experiment
from tests.helpers import pool, scenario_of
from tests.validation.theory import DAYS_PER_YEAR, assert_close, mmc

REPS = 20


def _runs(c: int, rho: float, years: float):
    lam = rho * c  # per day, with mean stay 1 day (mu = 1)
    data = pool(places=c, per_year=lam * DAYS_PER_YEAR, mean_stay=1.0, years=years, warmup_days=100, seed=7)
    exp = Experiment(scenario_of(data))
    idx = {k: j for j, k in enumerate(exp.layout.keys)}
    W, E = exp.clock.warmup, exp.clock.end
    out = {"p_wait": [], "wq": [], "lq": [], "p_wait_over_1": []}
    for r in range(REPS):
        rec = exp.records(r)
        values = exp.measures(rec).values
        a = rec.youths.arrival
        inside = (a >= W) & (a < E)
        # waited: admitted later than arrival (1e-9 days absorbs float rounding of the arrival timeout),
        # or still waiting at the end of the run
        waited = np.where(np.isnan(rec.admitted), np.inf, rec.admitted) - a > 1e-9
        out["p_wait"].append(np.mean(waited[inside]))
        out["wq"].append(values[idx["wait_days_mean", "national", "all"]])
        out["lq"].append(values[idx["queue_length_mean", "national", "all"]])
        out["p_wait_over_1"].append(values[idx["p_wait_over_1_day", "national", "all"]])
    return lam, {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("c, rho, years", [(5, 0.7, 20), (10, 0.9, 20)])
def test_mmc_matches_erlang_c(c, rho, years):
    lam, sim = _runs(c, rho, years)
    th = mmc(c, lam, 1.0)
    assert_close(f"P(wait) c={c} rho={rho}", sim["p_wait"], th["p_wait"], max_rel_se=0.025)
    assert_close(f"Wq c={c} rho={rho}", sim["wq"], th["wq"], max_rel_se=0.05)
    assert_close(f"Lq c={c} rho={rho}", sim["lq"], th["lq"], max_rel_se=0.05)
    # the tail of the wait: P(Wq > 1 day) = C exp(-(c mu - lambda)); checks the whole wait distribution
    assert_close(
        f"P(Wq > 1) c={c} rho={rho}",
        sim["p_wait_over_1"],
        th["p_wait"] * np.exp(-th["decay"] * 1.0),
        max_rel_se=0.05,
    )


def test_theory_helpers_reproduce_closed_forms():
    # exact identities, so float tolerance: M/M/1 waits with probability rho; M/M/2 with 2 rho^2 / (1 + rho)
    assert mmc(1, 0.6, 1.0)["p_wait"] == pytest.approx(0.6, rel=1e-12)
    assert mmc(2, 1.2, 1.0)["p_wait"] == pytest.approx(2 * 0.6**2 / 1.6, rel=1e-12)
    # a published value: c = 10, a = 9 Erlang gives C = 0.6687 (four digits as tabulated)
    assert mmc(10, 9.0, 1.0)["p_wait"] == pytest.approx(0.6687, abs=5e-5)
