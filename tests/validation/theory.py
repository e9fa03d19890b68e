"""Queueing theory written out independently of ``sim/``, plus the replication statistics the tests use.

Tolerances in this suite come from :func:`assert_close`: the mean of n independent replication estimates
(fixed seeds) must lie within k standard errors of theory, the standard error estimated from the spread of
the replications. Because that SE is itself estimated from few replications, k is the Student-t quantile
with n - 1 degrees of freedom for a two-sided false-alarm probability ALPHA = 0.001 (k = 4.78 for 10
replications, 3.88 for 20): a correct model fails one comparison with probability 0.1 %, so a failure is a
real mismatch, not bad luck. ``max_rel_se`` also checks that the comparison has power: the standard error
must be small relative to the value, or a wide band could hide a real error.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

DAYS_PER_YEAR = 365.25  # the model's year, restated here so theory does not import it


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a = lambda * E[S]`` (< c)."""
    # Erlang B by the stable recursion, then C = B / (1 - rho (1 - B))
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def mmc(c: int, lam: float, mu: float) -> dict[str, float]:
    """M/M/c steady state: P(wait), mean wait Wq, mean queue length Lq, P(Wq > t) = C exp(-(c mu - lam) t)."""
    a = lam / mu
    pw = erlang_c(c, a)
    wq = pw / (c * mu - lam)
    return {"p_wait": pw, "wq": wq, "lq": lam * wq, "decay": c * mu - lam}


def mmc_abandonment(c: int, lam: float, mu: float, theta: float, n_max: int | None = None) -> dict[str, float]:
    """M/M/c+M (Erlang A) from the birth-death chain on the number in system, truncated at ``n_max``.

    Birth rate lam; death rate min(n, c) mu + max(n - c, 0) theta. The truncation is checked: the
    probability left in the last state must be negligible.
    """
    if n_max is None:
        n_max = c + int(50 + 20 * lam / theta)
    n = np.arange(n_max + 1)
    death = np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta
    # log pi_n = sum_{k=1..n} log(lam / death_k), normalised
    logp = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(death[1:]))])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    assert p[-1] < 1e-12, "truncate the chain further"
    q = np.maximum(n - c, 0)
    lq = float(np.sum(q * p))
    return {
        "p_wait": float(p[c:].sum()),  # PASTA: an arrival finds all c places taken
        "p_abandon": theta * lq / lam,  # abandonment rate / arrival rate
        "lq": lq,
        "time_on_list": lq / lam,  # Little: mean time on the list, withdrawn youths included
    }


def rep_mean_se(x: np.ndarray) -> tuple[float, float]:
    """Mean of independent replication estimates and its standard error."""
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


ALPHA = 0.001  # two-sided false-alarm probability of one comparison


def t_factor(n: int, alpha: float = ALPHA) -> float:
    """Student-t multiplier k for n replications: P(|mean - theory| > k SE) = alpha for a correct model."""
    return float(stats.t.ppf(1 - alpha / 2, n - 1))


def assert_close(
    label: str, estimates: np.ndarray, theory: float, max_rel_se: float | None = None, alpha: float = ALPHA
) -> None:
    """|mean - theory| < k * SE, SE from independent replications, k = :func:`t_factor` (module docstring).

    ``max_rel_se`` bounds the SE relative to |theory|; ``alpha`` is lowered (Bonferroni) when a test makes
    several comparisons that must all pass.
    """
    estimates = np.asarray(estimates, dtype=float)
    k = t_factor(estimates.size, alpha)
    mean, se = rep_mean_se(estimates)
    assert se > 0, f"{label}: zero spread across replications, cannot judge"
    if max_rel_se is not None:
        assert se < max_rel_se * abs(theory), f"{label}: SE {se:.4g} too large to test {theory:.4g} (power)"
    z = (mean - theory) / se
    message = f"{label}: simulated {mean:.5g} +- {se:.2g} (SE), theory {theory:.5g}, z = {z:.2f}, limit {k:.2f}"
    assert abs(z) < k, message


def poisson_chi_square_p(observed: np.ndarray, expected: np.ndarray) -> float:
    """p-value of Pearson's chi-square for independent Poisson counts with fully specified means.

    The expectations are not fitted to the data (not even the total), so the statistic has one degree of
    freedom per cell.
    """
    observed = np.asarray(observed, dtype=float).ravel()
    expected = np.asarray(expected, dtype=float).ravel()
    assert expected.min() >= 5, "chi-square needs expected counts of at least 5"
    stat = float(np.sum((observed - expected) ** 2 / expected))
    return float(stats.chi2.sf(stat, observed.size))
