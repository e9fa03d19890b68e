"""Random durations in days: lengths of stay (with a yearly drift of the mean) and waiting-list patience.

Each distribution is set by its mean and coefficient of variation (cv = standard deviation / mean), the two
figures a planner knows. Draws are made as ``mean * unit_draw`` where the unit draw has mean 1, so a drift in
the mean rescales the same underlying random numbers (common random numbers survive a change of mean).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

from sim.scenario.schema import Duration


def weibull_shape(cv: float) -> float:
    """Weibull shape k whose coefficient of variation is ``cv``."""

    def f(log_k: float) -> float:
        k = math.exp(log_k)
        g1 = special.gammaln(1 + 1 / k)
        g2 = special.gammaln(1 + 2 / k)
        return math.exp(g2 - 2 * g1) - 1 - cv**2

    return math.exp(optimize.brentq(f, math.log(0.05), math.log(100.0)))


def mean_of(d: Duration) -> float:
    """Mean duration in days."""
    return float(np.mean(d.observed)) if d.distribution == "empirical" else float(d.mean)


def unit_draws(d: Duration, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws with mean 1 (multiply by the mean in days)."""
    name = d.distribution
    if name == "exponential":
        return rng.exponential(1.0, n)
    if name == "empirical":
        obs = np.asarray(d.observed, dtype=float)
        return rng.choice(obs / obs.mean(), size=n)
    cv = d.cv
    if name == "lognormal":
        s2 = math.log1p(cv * cv)
        return rng.lognormal(-s2 / 2, math.sqrt(s2), n)
    if name == "gamma":
        shape = 1 / (cv * cv)
        return rng.gamma(shape, 1 / shape, n)
    if name == "weibull":
        k = weibull_shape(cv)
        return rng.weibull(k, n) / math.gamma(1 + 1 / k)
    raise ValueError(f"unknown distribution {name}")


def frozen(d: Duration, mean: float | None = None) -> stats.rv_continuous | None:
    """The scipy distribution of one duration with the given mean (for theory and conditional draws).

    Returns None for an empirical distribution (use :func:`empirical_survival`).
    """
    m = mean_of(d) if mean is None else mean
    name = d.distribution
    if name == "exponential":
        return stats.expon(scale=m)
    if name == "lognormal":
        s2 = math.log1p(d.cv**2)
        return stats.lognorm(s=math.sqrt(s2), scale=m * math.exp(-s2 / 2))
    if name == "gamma":
        shape = 1 / d.cv**2
        return stats.gamma(shape, scale=m / shape)
    if name == "weibull":
        k = weibull_shape(d.cv)
        return stats.weibull_min(k, scale=m / math.gamma(1 + 1 / k))
    return None


def survival(d: Duration, u: np.ndarray, mean: float | None = None) -> np.ndarray:
    """P(S > u) for durations ``u`` in days."""
    dist = frozen(d, mean)
    u = np.asarray(u, dtype=float)
    if dist is not None:
        return dist.sf(u)
    obs = np.sort(np.asarray(d.observed, dtype=float))
    if mean is not None:
        obs = obs * mean / obs.mean()
    return 1.0 - np.searchsorted(obs, u, side="right") / obs.size


def residual_draws(d: Duration, mean: np.ndarray, elapsed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Total durations S (days) given S > ``elapsed``, for distributions with the given means.

    Inverse transform on the conditional law: S = F^-1(1 - U * P(S > elapsed)), done with the survival
    function's inverse so long tails stay accurate. Empirical: resampled among observed values above
    ``elapsed`` (the youth leaves at once if none is longer).
    """
    mean = np.broadcast_to(np.asarray(mean, dtype=float), np.shape(elapsed))
    elapsed = np.asarray(elapsed, dtype=float)
    u = rng.random(elapsed.size)
    out = np.empty(elapsed.size)
    for k in range(elapsed.size):
        dist = frozen(d, float(mean[k]))
        if dist is None:
            obs = np.asarray(d.observed, dtype=float) * mean[k] / np.mean(d.observed)
            longer = np.sort(obs[obs > elapsed[k]])
            out[k] = longer[int(u[k] * longer.size)] if longer.size else elapsed[k]
        else:
            out[k] = max(float(dist.isf(u[k] * dist.sf(elapsed[k]))), elapsed[k])
    return out
