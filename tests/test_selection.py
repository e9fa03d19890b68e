"""The KN ranking-and-selection procedure on systems whose true means are known."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.selection import kn_constants, kn_select


def normal_sampler(means, sd, rho, seed):
    """Systems with the given means and common random numbers (correlation rho between systems), as a sampler:
    replication j of every system uses the same draws (seeded by j), as kapsim's CRN does."""
    means = np.asarray(means, dtype=float)

    def sample(systems, first, stop):
        out = np.empty((len(systems), stop - first))
        for col, j in enumerate(range(first, stop)):
            rng = np.random.default_rng([seed, j])
            common, own = rng.standard_normal(), rng.standard_normal(len(means))
            x = means + sd * (np.sqrt(rho) * common + np.sqrt(1 - rho) * own)
            out[:, col] = x[systems]
        return out

    return sample


def test_h2_matches_kim_and_nelson():
    """Kim and Nelson (2001), section 3: eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2 and
    h^2 = 2 eta (n0 - 1). For k=2, alpha=0.05, n0=10: 0.1 ** (-2/9) = 1.6681, eta = 0.33404, h^2 = 6.0129,
    worked by hand; for k=5 the error is split over 4 pairs: 0.025 ** (-2/9) = 2.2699, h^2 = 11.429."""
    assert kn_constants(2, 0.05, 10)[1] == pytest.approx(6.0129, abs=1e-3)
    assert kn_constants(5, 0.05, 10)[1] == pytest.approx(11.429, abs=1e-3)


@pytest.mark.parametrize("rho", [0.0, 0.8])
def test_the_best_is_selected_with_the_stated_probability(rho):
    """Slippage configuration (the least favourable for KN): the best 0.1 below four others, delta 0.1, sd 1,
    alpha 0.05. Over 300 macro-replications (fixed seeds) the share of correct selections must be at least
    0.95 less 3 binomial standard errors (sqrt(0.95 * 0.05 / 300) = 0.0126): 0.912; KN is conservative and
    usually gives about 0.98."""
    means = [0.0, 0.1, 0.1, 0.1, 0.1]
    correct = 0
    for macro in range(300):
        sel = kn_select(normal_sampler(means, 1.0, rho, macro), 5, delta=0.1, alpha=0.05, n0=10, max_n=100_000)
        assert sel.decided
        correct += sel.best == 0
    assert correct / 300 >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 300), correct


def test_common_random_numbers_need_fewer_replications():
    means = [0.0, 0.3, 0.6]
    independent = kn_select(normal_sampler(means, 1.0, 0.0, 1), 3, delta=0.2, max_n=100_000)
    paired = kn_select(normal_sampler(means, 1.0, 0.9, 1), 3, delta=0.2, max_n=100_000)
    assert independent.best == paired.best == 0
    assert paired.replications < 0.5 * independent.replications


def test_a_budget_too_small_to_decide_says_so():
    sel = kn_select(normal_sampler([0.0, 0.01], 1.0, 0.0, 3), 2, delta=0.01, n0=10, max_n=40, batch=10)
    assert not sel.decided and sorted(sel.survivors) == [0, 1] and sel.replications == 80
