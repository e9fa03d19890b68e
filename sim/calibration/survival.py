"""Lengths of stay by maximum likelihood, with stays still going on treated as right-censored.

A stay that has not ended by the end of the data is only known to be longer than what it has lasted so
far. Dropping such stays, or counting them as ended, shortens the estimate (long stays are the ones most
often still going on); the censored likelihood uses each ongoing stay through P(S > x) instead of f(x).

Lognormal, gamma and Weibull are fitted and compared by AIC (all three have two parameters, so AIC ranks
them by likelihood). Results are given as the scenario states them: mean (days) and coefficient of
variation. The Kaplan-Meier estimate is the model-free curve to hold a fitted survival function against.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> s = rng.gamma(4.0, 15.0, 3000)                     # mean 60 days, cv 0.5
>>> fit = fit_stays(np.minimum(s, 90.0), s > 90.0, ["gamma"])[0]
>>> round(fit.mean), round(fit.cv, 2)
(60, 0.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

FAMILIES = ("lognormal", "gamma", "weibull")
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
SHORTEST_DAYS = 0.5  # a stay that began and ended on the same date counts as half a day


@dataclass(frozen=True)
class StayFit:
    """One fitted family: mean (days), coefficient of variation, log-likelihood and AIC on ``n`` stays."""

    distribution: str
    mean: float
    cv: float
    loglik: float
    aic: float
    n: int
    n_censored: int

    def survival(self, days: np.ndarray) -> np.ndarray:
        """P(S > days) under this fit."""
        return _frozen(self.distribution, self.mean, self.cv).sf(np.asarray(days, dtype=float))


def _frozen(name: str, mean: float, cv: float):
    if name == "lognormal":
        s2 = math.log1p(cv * cv)
        return stats.lognorm(s=math.sqrt(s2), scale=mean * math.exp(-s2 / 2))
    if name == "gamma":
        k = 1.0 / (cv * cv)
        return stats.gamma(k, scale=mean / k)
    if name == "weibull":
        from sim.engine.stays import weibull_shape

        k = weibull_shape(cv)
        return stats.weibull_min(k, scale=mean / math.gamma(1 + 1 / k))
    raise ValueError(f"unknown family {name}")


def _loglik(name: str, theta: np.ndarray, x: np.ndarray, censored: np.ndarray) -> float:
    """Log-likelihood in each family's natural parameters (log scale for positive ones)."""
    a, b = theta
    xo, xc = x[~censored], x[censored]
    if name == "lognormal":  # a = mean of log S, b = log sigma
        sigma = math.exp(b)
        zo, zc = (np.log(xo) - a) / sigma, (np.log(xc) - a) / sigma
        ll_obs = -0.5 * zo * zo - _LOG_SQRT_2PI - b - np.log(xo)
        ll_cen = special.log_ndtr(-zc)
    elif name == "gamma":  # a = log shape, b = log scale
        k, scale = math.exp(a), math.exp(b)
        ll_obs = (k - 1) * np.log(xo) - xo / scale - special.gammaln(k) - k * b
        with np.errstate(divide="ignore"):
            ll_cen = np.log(special.gammaincc(k, xc / scale))
    else:  # weibull: a = log shape, b = log scale
        k = math.exp(a)
        zo, zc = xo / math.exp(b), xc / math.exp(b)
        ll_obs = a - b + (k - 1) * np.log(zo) - zo**k
        ll_cen = -(zc**k)
    total = float(np.sum(ll_obs) + np.sum(ll_cen))
    return total if math.isfinite(total) else -1e300


def _start(name: str, x: np.ndarray) -> np.ndarray:
    m, v = float(np.mean(x)), float(np.var(x)) + 1e-9
    cv = max(math.sqrt(v) / m, 0.1)
    if name == "lognormal":
        s2 = math.log1p(cv * cv)
        return np.array([math.log(m) - s2 / 2, 0.5 * math.log(s2)])
    if name == "gamma":
        k = 1 / cv**2
        return np.array([math.log(k), math.log(m / k)])
    k = min(max(1.2 / cv, 0.2), 20.0)
    return np.array([math.log(k), math.log(m / math.gamma(1 + 1 / k))])


def _mean_cv(name: str, theta: np.ndarray) -> tuple[float, float]:
    a, b = theta
    if name == "lognormal":
        s2 = math.exp(2 * b)
        return math.exp(a + s2 / 2), math.sqrt(math.expm1(s2))
    if name == "gamma":
        k, scale = math.exp(a), math.exp(b)
        return k * scale, 1 / math.sqrt(k)
    k, scale = math.exp(a), math.exp(b)
    g1, g2 = special.gammaln(1 + 1 / k), special.gammaln(1 + 2 / k)
    return scale * math.exp(g1), math.sqrt(max(math.exp(g2 - 2 * g1) - 1, 0.0))


def fit_family(name: str, x: np.ndarray, censored: np.ndarray) -> StayFit:
    """Maximum-likelihood fit of one family to stays ``x`` (days); ``censored`` marks stays still going on."""
    x = np.maximum(np.asarray(x, dtype=float), SHORTEST_DAYS)
    censored = np.asarray(censored, dtype=bool)
    if (~censored).sum() < 2:
        raise ValueError("at least two completed stays are needed to fit a stay distribution")
    res = optimize.minimize(
        lambda th: -_loglik(name, th, x, censored),
        _start(name, x[~censored]),
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
    )
    mean, cv = _mean_cv(name, res.x)
    ll = -float(res.fun)
    return StayFit(name, mean, cv, ll, 2 * 2 - 2 * ll, int(x.size), int(censored.sum()))


def fit_stays(x: np.ndarray, censored: np.ndarray, families=FAMILIES) -> list[StayFit]:
    """Fits of the given families, best (lowest AIC) first."""
    fits = [fit_family(name, x, censored) for name in families]
    return sorted(fits, key=lambda f: f.aic)


def kaplan_meier(x: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(days, P(S > days)) of the Kaplan-Meier estimate: a step down at each completed stay's length."""
    from statsmodels.duration.survfunc import SurvfuncRight

    x = np.maximum(np.asarray(x, dtype=float), SHORTEST_DAYS)
    km = SurvfuncRight(x, (~np.asarray(censored, dtype=bool)).astype(int))
    return np.asarray(km.surv_times, dtype=float), np.asarray(km.surv_prob, dtype=float)
