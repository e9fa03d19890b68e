"""M/M/c+M (Erlang A): exponential patience on the waiting list, against the birth-death chain.

The number of youths in the system is a birth-death chain: births at rate lambda, deaths at rate
min(n, c) mu + (n - c)+ theta (theta = 1 / mean patience). Its stationary law, solved numerically with the
chain truncated where the remaining mass is below 1e-12 (see :func:`tests.validation.theory.mmc_abandonment`),
gives P(wait) (by PASTA), the mean queue Lq and P(withdraw) = theta Lq / lambda (withdrawals per arrival).

Two loads: rho = 0.95 and an overloaded rho = 1.2, which only patience keeps stable.

Tolerance: as in the Erlang C test, |mean - theory| < 4.78 replication standard errors (10 replications,
t(9) quantile, false alarm 0.1 % per comparison), with the SE required below 2.5 % of the value so the test
has power (measured over five other seeds: 0.25-1.5 %, so the bands are in practice +-1 % to +-7 %). P(wait)
and P(withdraw) are measured per arriving youth in [warm-up, end - 20 days]: a youth has left the list
within 20 days unless their patience exceeds 20 days, probability exp(-20 theta) = exp(-40), so no outcome
is censored.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.run.worker import Experiment
from tests.helpers import pool, scenario_of
from tests.validation.theory import DAYS_PER_YEAR, assert_close, mmc_abandonment

REPS = 10
C = 8
PATIENCE = 0.5  # mean days on the list before withdrawal; mean stay is 1 day


@pytest.mark.parametrize("rho, years", [(0.95, 15), (1.2, 10)])
def test_withdrawal_matches_birth_death_chain(rho, years):
    lam = rho * C
    data = pool(
        places=C,
        per_year=lam * DAYS_PER_YEAR,
        mean_stay=1.0,
        years=years,
        warmup_days=100,
        seed=11,
        withdrawal_mean=PATIENCE,
    )
    exp = Experiment(scenario_of(data))
    idx = {k: j for j, k in enumerate(exp.layout.keys)}
    W, E = exp.clock.warmup, exp.clock.end
    p_wait, p_abandon, lq = [], [], []
    for r in range(REPS):
        rec = exp.records(r)
        values = exp.measures(rec).values
        a = rec.youths.arrival
        judged = (a >= W) & (a < E - 20)
        left_list = np.where(np.isnan(rec.admitted), rec.withdrawn, rec.admitted)
        assert not np.isnan(left_list[judged]).any()  # nobody judged is still waiting
        p_wait.append(np.mean((left_list - a)[judged] > 1e-9))
        p_abandon.append(np.mean(~np.isnan(rec.withdrawn[judged])))
        lq.append(values[idx["queue_length_mean", "national", "all"]])
    th = mmc_abandonment(C, lam, 1.0, 1.0 / PATIENCE)
    assert_close(f"P(wait) rho={rho}", np.array(p_wait), th["p_wait"], max_rel_se=0.025)
    assert_close(f"P(withdraw) rho={rho}", np.array(p_abandon), th["p_abandon"], max_rel_se=0.025)
    assert_close(f"Lq rho={rho}", np.array(lq), th["lq"], max_rel_se=0.025)


def test_chain_solution_reduces_to_known_cases():
    # patience as long as a stay (theta = mu): the chain is M/M/infinity, n ~ Poisson(lambda / mu), so
    # P(wait) = P(Poisson >= c). Exact identity up to truncation and float error.
    from scipy import stats

    th = mmc_abandonment(5, 4.0, 1.0, 1.0)
    assert th["p_wait"] == pytest.approx(stats.poisson.sf(4, 4.0), rel=1e-9)
    # E[(N - c)+] for Poisson gives Lq
    n = np.arange(200)
    assert th["lq"] == pytest.approx(np.sum(np.maximum(n - 5, 0) * stats.poisson.pmf(n, 4.0)), rel=1e-9)
