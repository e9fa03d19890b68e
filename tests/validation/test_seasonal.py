"""Seasonal M(t)/G/infinity: cosine seasonal arrivals, exponential stays, places never short.

Theory. With arrival rate lambda(t) from time 0 (empty at the start of the warm-up) and nobody waiting, the
number present at time t is Poisson with mean

    m(t) = int_0^t lambda(s) P(S > t - s) ds,

computed here numerically (midpoint rule on a 0.05-day grid, error far below 1e-3 youths) from
``sim.engine.demand.rate`` and ``sim.engine.stays.survival``. For exponential stays with mean E[S] and
lambda(t) = lambda0 (1 + A cos(w (t - t_peak))), w = 2 pi / 365.25, the periodic regime is the closed form

    m(t) = lambda0 E[S] (1 + A / sqrt(1 + (w E[S])^2) cos(w (t - t_peak) - atan(w E[S]))),

so occupancy swings less than arrivals, by the factor 1 / sqrt(1 + (w E[S])^2), and peaks atan(w E[S]) / w
days later. With E[S] = 58.13 days (w E[S] = 1) that is a factor 0.7071 and a lag of 365.25 / 8 = 45.66 days.

Tolerances: 40 independent replications (fixed seed) give per-replication estimates, compared with theory
by |mean - theory| < k SE, k the t(39) quantile (see :mod:`tests.validation.theory`). The twelve monthly
means must all pass, so each uses alpha = 0.001 / 12 (Bonferroni; k = 4.4); the amplitude ratio and the lag
use alpha = 0.001 (k = 3.56). So that the tests have power the SE is required below 2 % of the value (3 %
for the amplitude ratio, 1 day for the lag; measured over five other seeds: 0.5-1 %, 1-1.4 %, 0.4-0.7 day):
an undamped swing (relative amplitude 0.5 instead of 0.354) or a peak without lag are dozens of SE away.
The closed form assumes a continuous cosine; the model's cosine restarts its day count every 1 January (a
jump of at most one day in phase), so the closed form is compared with the exact numerical m(t) first,
within 0.1 % in ratio and 0.1 day in lag (found: 1e-6 and 0.001 day), far below the simulation's SE.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import signal

from sim.engine import demand, stays
from sim.run.worker import Experiment
from tests.helpers import pool, scenario_of
from tests.validation.theory import ALPHA, DAYS_PER_YEAR, assert_close

REPS = 40
W_ANGULAR = 2 * np.pi / DAYS_PER_YEAR
MEAN_STAY = 1 / W_ANGULAR  # w E[S] = 1: damping 1 / sqrt(2), lag an eighth of a year
AMPLITUDE = 0.5
PEAK_MONTH = 3
LAM0 = 0.5  # arrivals per day on average: 29 youths present on average


@pytest.fixture(scope="module")
def seasonal():
    data = pool(
        places=1000,
        per_year=LAM0 * DAYS_PER_YEAR,
        mean_stay=MEAN_STAY,
        distribution="exponential",
        years=20,
        warmup_days=730,
        seed=5,
    )
    data["placement_types"]["remand"]["demand"]["seasonality"] = {"amplitude": AMPLITUDE, "peak_month": PEAK_MONTH}
    scenario = scenario_of(data)
    exp = Experiment(scenario)
    series = exp.layout.series.index(("occupancy", "national"))
    census = [exp.replicate(r)[1][series].astype(float) for r in range(REPS)]
    return exp, scenario.placement_types["remand"], np.array(census)


def _census_times(exp) -> np.ndarray:
    clock = exp.clock
    return clock.warmup + np.arange(1, round(clock.end - clock.warmup) + 1, dtype=float)


def _m_numerical(exp, ptype, t: np.ndarray) -> np.ndarray:
    """m(t) = int_0^t lambda(s) P(S > t - s) ds by the midpoint rule on a fine grid, at integer times t."""
    h = 0.05
    per_day = round(1 / h)
    n = round(exp.clock.end / h)
    mid = (np.arange(n) + 0.5) * h
    lam = demand.rate(ptype.demand, exp.clock, mid)
    kernel = stays.survival(ptype.stay, mid)  # P(S > t - s) at the midpoints, for t on the grid
    m = h * signal.fftconvolve(lam, kernel)[:n]  # m[i] is m((i + 1) h)
    return m[np.round(t * per_day).astype(int) - 1]


def _day_of_year_phase(exp, t: np.ndarray) -> np.ndarray:
    """Angle w * (day of year) at census times t, computed from the calendar (not from sim.engine.demand)."""
    origin = exp.clock.origin
    out = np.empty(t.size)
    for i, ti in enumerate(t):
        d = origin + dt.timedelta(days=int(np.floor(ti)))
        out[i] = W_ANGULAR * ((d - dt.date(d.year, 1, 1)).days + (ti - np.floor(ti)))
    return out


def _harmonic_fit(y: np.ndarray, phase: np.ndarray) -> tuple[float, float]:
    """Least squares y = a + b cos(phase) + c sin(phase): (relative amplitude sqrt(b^2+c^2)/a, peak angle)."""
    X = np.column_stack([np.ones_like(phase), np.cos(phase), np.sin(phase)])
    a, b, c = np.linalg.lstsq(X, y, rcond=None)[0]
    return float(np.hypot(b, c) / a), float(np.arctan2(c, b))


def test_mean_occupancy_by_month_follows_the_convolution(seasonal):
    exp, ptype, census = seasonal
    t = _census_times(exp)
    m = _m_numerical(exp, ptype, t)
    month = (np.datetime64(exp.clock.origin, "D") + np.floor(t).astype("timedelta64[D]")).astype("datetime64[M]")
    month = month.astype(int) % 12
    for k in range(12):
        days = month == k
        assert_close(
            f"occupancy in month {k + 1}",
            census[:, days].mean(axis=1),
            m[days].mean(),
            max_rel_se=0.02,
            alpha=ALPHA / 12,
        )


def test_occupancy_peak_is_damped_and_lags_arrivals(seasonal):
    exp, ptype, census = seasonal
    t = _census_times(exp)
    phase = _day_of_year_phase(exp, t)
    wes = W_ANGULAR * MEAN_STAY
    ratio_theory = AMPLITUDE / np.sqrt(1 + wes**2)
    arrival_peak = (PEAK_MONTH - 0.5) * DAYS_PER_YEAR / 12  # the middle of the peak month, in days of the year
    lag_theory = np.arctan(wes) / W_ANGULAR

    # the closed form against the exact numerical m(t), on the model's calendar
    ratio_m, angle_m = _harmonic_fit(_m_numerical(exp, ptype, t), phase)
    assert ratio_m == pytest.approx(ratio_theory, rel=1e-3)
    assert angle_m / W_ANGULAR - arrival_peak == pytest.approx(lag_theory, abs=0.1)

    fits = np.array([_harmonic_fit(y, phase) for y in census])
    lag = fits[:, 1] / W_ANGULAR - arrival_peak
    assert_close("occupancy amplitude / mean", fits[:, 0], ratio_theory, max_rel_se=0.03)
    assert np.std(lag, ddof=1) / np.sqrt(REPS) < 1.0  # power: SE of the lag below one day
    assert_close("lag of the occupancy peak (days)", lag, lag_theory)
