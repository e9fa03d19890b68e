"""Demand, growth, stay scale and seasonality fitted to occupancy series and yearly figures.

The free parameters are those the data can tell apart (:func:`choose`), each with the placement types it
moves together:

- ``level:G``: demand of the types in G, as a factor on the scenario's ``per_year`` (their ratio kept).
  Types are told apart only if the data name them: with figures for "all" and "social" only, remand and
  sentence move together as ``court_ordered``; with no type at all, everything moves together;
- ``growth:G``: their yearly growth, if their figures span two years or more;
- ``stay:G``: a factor on their mean stay, if a mean stay of these types alone is observed; the other types
  share one factor, if a mean stay of all types is observed or both admissions and census are (census =
  admissions x stay);
- ``drift``: the yearly change of every mean stay, if mean stays span three years or more over four years;
- ``amplitude``: a cosine season common to all types, if a weekly or monthly series covers two years; its
  peak month is chosen first, by fitting each of the twelve.

``hold`` keeps any of the families ``level, growth, stay, drift, season`` at the scenario's values.

The fit minimises the sum of squared standardised residuals (observed - surrogate) / sd by
``scipy.optimize.least_squares``; a capacity-censored row adds a residual only when the surrogate lies
*below* it. Uncertainty is a parametric bootstrap: yearly figures redrawn as fitted value + sd x normal,
series as fitted value + the fitted residuals resampled in blocks as long as the census remembers (so
their autocorrelation is kept), censored rows as observed; each resample is refitted from the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import optimize

from sim.calibration.data import TYPE_GROUPS
from sim.calibration.observations import census_time
from sim.calibration.surrogate import Predictor, Surrogate, TypeParams, params_of
from sim.scenario.schema import Scenario, Seasonality

FAMILIES = ("level", "growth", "stay", "drift", "season")
SERIES_DAYS = 40  # rows shorter than this are points of a series (weekly or monthly), not yearly figures


@dataclass(frozen=True)
class Free:
    name: str
    kind: str  # level, growth, stay, drift, amplitude
    types: tuple[str, ...]
    x0: float
    lo: float
    hi: float


@dataclass
class AggregateFit:
    frees: list[Free]
    theta: np.ndarray
    draws_theta: np.ndarray  # [draw, parameter]
    peak_month: int | None
    values: dict[str, object]  # key path -> value, as the calibrated scenario sets them
    draws: list[dict[str, float]]
    predicted: np.ndarray  # surrogate at the estimate, one per observation row
    notes: list[str] = field(default_factory=list)
    cost: float = 0.0

    def table(self) -> pd.DataFrame:
        """Estimate, bootstrap standard error and 90 % interval of each free parameter (natural units)."""
        rows = []
        for j, f in enumerate(self.frees):
            est, draws = _natural(f, self.theta[j]), _natural(f, self.draws_theta[:, j])
            se = float(np.std(draws, ddof=1)) if len(draws) > 1 else float("nan")
            lo, hi = np.quantile(draws, [0.05, 0.95]) if len(draws) > 1 else (np.nan, np.nan)
            rows.append((f.name, _unit(f), est, se, float(lo), float(hi)))
        return pd.DataFrame(rows, columns=["parameter", "unit", "estimate", "se", "p05", "p95"])


def _natural(f: Free, x):
    return np.exp(x) if f.kind in ("level", "stay") else x


def _unit(f: Free) -> str:
    return {
        "level": "factor on per_year",
        "stay": "factor on mean stay",
        "growth": "per year",
        "drift": "per year",
        "amplitude": "fraction",
    }[f.kind]


def _groups(obs: pd.DataFrame, types: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Groups of placement types the data tell apart, named as in the data."""
    named = set(obs["placement_type"]) - {"all"}
    if not named:
        return [("all", tuple(types))]
    separate_court = bool(named & {"remand", "sentence"})
    groups = []
    if "remand" in types and "sentence" in types and not separate_court:
        groups.append(("court_ordered", ("remand", "sentence")))
        rest = [t for t in types if t not in ("remand", "sentence")]
    else:
        rest = list(types)
    groups += [(t, (t,)) for t in rest]
    return groups


def _span_years(rows: pd.DataFrame) -> float:
    if rows.empty:
        return 0.0
    return (rows["start"].max() - rows["start"].min()).days / 365.25


def choose(obs: pd.DataFrame, scenario: Scenario, hold=()) -> tuple[list[Free], list[str]]:
    """The free parameters the used rows identify, and notes on what is held and why."""
    used = obs[obs["used"]]
    types = [t for t in ("remand", "sentence", "social") if t in scenario.placement_types]
    notes: list[str] = []
    hold = set(hold)
    unknown = hold - set(FAMILIES)
    if unknown:
        raise ValueError(
            f"--hold: unknown parameter family {', '.join(sorted(unknown))} (known: {', '.join(FAMILIES)})"
        )
    groups = _groups(used, types)

    def touching(g: tuple[str, ...], measures) -> pd.DataFrame:
        hit = used["placement_type"].map(lambda p: bool(set(TYPE_GROUPS[p]) & set(g)))
        return used[hit & used["measure"].isin(measures)]

    demand_measures = ("admissions", "share_of_admissions", "mean_census", "occupancy", "bed_days")
    frees: list[Free] = []
    for name, g in groups:
        rows = touching(g, demand_measures)
        if rows.empty:
            continue
        if "level" not in hold:
            frees.append(Free(f"level:{name}", "level", g, 0.0, -4.0, 4.0))
        g0 = scenario.placement_types[g[0]].demand.growth
        if "growth" not in hold and _span_years(rows) >= 2:
            frees.append(Free(f"growth:{name}", "growth", g, g0, -0.5, 1.0))
    if "stay" not in hold:
        has_admissions = not used[used["measure"].isin(("admissions", "share_of_admissions"))].empty
        has_census = not used[used["measure"].isin(("mean_census", "occupancy", "bed_days"))].empty
        stay_rows = used[used["measure"] == "mean_stay"]
        pooled: list[str] = []
        for name, g in groups:
            own = stay_rows["placement_type"].map(lambda p, g=g: set(TYPE_GROUPS[p]) <= set(g))
            if own.any():  # a stay figure of these types alone
                frees.append(Free(f"stay:{name}", "stay", g, 0.0, -1.0, 1.0))
            else:
                pooled.extend(g)
        if pooled and (not touching(tuple(pooled), ("mean_stay",)).empty or (has_admissions and has_census)):
            frees.append(Free("stay:" + "+".join(pooled), "stay", tuple(pooled), 0.0, -1.0, 1.0))
        elif pooled:
            notes.append(f"mean stay of {', '.join(pooled)} held: no stay figure, and no census with admissions")
    stays = used[used["measure"] == "mean_stay"]
    if "drift" not in hold and stays["start"].dt.year.nunique() >= 3 and _span_years(stays) >= 4:
        d0 = scenario.placement_types[types[0]].stay.drift
        frees.append(Free("drift", "drift", tuple(types), d0, -0.3, 0.3))
    series = used[(used["end"] - used["start"]).dt.days < SERIES_DAYS]
    if "season" not in hold and _span_years(series) >= 2:
        a0 = next(
            (
                p.demand.seasonality.amplitude
                for p in scenario.placement_types.values()
                if p.demand.seasonality is not None and p.demand.seasonality.amplitude
            ),
            0.1,
        )
        frees.append(Free("amplitude", "amplitude", tuple(types), a0, 0.0, 0.9))
    if not frees:
        notes.append("nothing to fit: the data identify no free parameter (or all are held)")
    return frees, notes


class Problem:
    """Residuals of the used rows as a function of the free parameters."""

    def __init__(self, scenario: Scenario, obs: pd.DataFrame, frees: list[Free]):
        self.base = params_of(scenario)
        self.frees = frees
        self.obs = obs
        self.surrogate = Surrogate(scenario, obs["start"].min(), obs["end"].max())
        self.used = obs["used"].to_numpy()
        self.predict = Predictor(self.surrogate, obs, only_used=True)  # fast, for the fit
        self.predict_all = Predictor(self.surrogate, obs)
        self.observed = obs["observed"].to_numpy(dtype=float)
        self.sd = obs["sd"].to_numpy(dtype=float)
        self.censored = obs["censored"].to_numpy()
        self.peak_month: int | None = None

    def params(self, theta: np.ndarray) -> tuple[dict[str, TypeParams], dict[str, np.ndarray] | None]:
        p = dict(self.base)
        seasons = None
        for f, x in zip(self.frees, theta):
            for t in f.types:
                q = p[t]
                if f.kind == "level":
                    p[t] = replace(q, per_year=self.base[t].per_year * math.exp(x))
                elif f.kind == "growth":
                    p[t] = replace(q, growth=x)
                elif f.kind == "stay":
                    p[t] = replace(q, mean_stay=self.base[t].mean_stay * math.exp(x))
                elif f.kind == "drift":
                    p[t] = replace(q, drift=x)
                elif f.kind == "amplitude":
                    season = Seasonality(amplitude=min(max(float(x), 0.0), 0.95), peak_month=self.peak_month)
                    p[t] = replace(q, season=season)
                    seasons = seasons or {}
                    seasons[t] = self.surrogate.cosine(float(x), self.peak_month)
        return p, seasons

    def predicted(self, theta: np.ndarray, every_row: bool = False) -> np.ndarray:
        """Surrogate values of the rows: the used ones, or with ``every_row`` all of them."""
        p, seasons = self.params(theta)
        predict = self.predict_all if every_row else self.predict
        return predict(self.surrogate.evaluate(p, seasons, predict.window))

    def residuals(self, theta: np.ndarray, observed: np.ndarray | None = None) -> np.ndarray:
        obs = self.observed if observed is None else observed
        r = (self.predicted(theta) - obs) / self.sd
        r = np.where(self.censored, np.minimum(r, 0.0), r)  # censored: only a model below the bound costs
        return r[self.used]

    def solve(self, theta0: np.ndarray, observed: np.ndarray | None = None, fast: bool = False):
        lo = np.array([f.lo for f in self.frees])
        hi = np.array([f.hi for f in self.frees])
        x0 = np.clip(theta0, lo + 1e-9, hi - 1e-9)
        return optimize.least_squares(
            self.residuals,
            x0,
            bounds=(lo, hi),
            args=(observed,),
            x_scale=1.0,
            xtol=1e-6 if fast else 1e-10,
            ftol=1e-6 if fast else 1e-10,
            max_nfev=200 if fast else 2000,
        )


def _choose_peak(problem: Problem, theta: np.ndarray) -> int:
    """The peak month whose best amplitude (other parameters as fitted without season) fits best."""
    j = next(i for i, f in enumerate(problem.frees) if f.kind == "amplitude")
    best, best_cost = 1, np.inf
    for month in range(1, 13):
        problem.peak_month = month

        def cost(a: float) -> float:
            th = theta.copy()
            th[j] = a
            return float(np.sum(problem.residuals(th) ** 2))

        res = optimize.minimize_scalar(cost, bounds=(0.0, 0.9), method="bounded", options={"xatol": 1e-4})
        if res.fun < best_cost:
            best, best_cost = month, res.fun
    return best


def _values(problem: Problem, theta: np.ndarray, scenario: Scenario) -> dict[str, object]:
    """Key path -> value for the fitted parameters (only what the free parameters move)."""
    p, _ = problem.params(theta)
    kinds = {f.kind: f for f in problem.frees}
    out: dict[str, object] = {}
    for f in problem.frees:
        for t in f.types:
            base = f"placement_types.{t}"
            if f.kind == "level":
                out[f"{base}.demand.per_year"] = p[t].per_year
            elif f.kind == "growth":
                out[f"{base}.demand.growth"] = p[t].growth
            elif f.kind == "stay":
                out[f"{base}.stay.mean"] = p[t].mean_stay
            elif f.kind == "drift":
                out[f"{base}.stay.drift"] = p[t].drift
            elif f.kind == "amplitude":
                out[f"{base}.demand.seasonality"] = {
                    "amplitude": p[t].season.amplitude,
                    "peak_month": p[t].season.peak_month,
                }
    if "stay" in kinds:
        for t in kinds["stay"].types:
            if scenario.placement_types[t].stay.distribution == "empirical":
                out.pop(f"placement_types.{t}.stay.mean", None)  # an empirical stay has no mean to set
    return out


def _draw_paths(values: dict[str, object]) -> list[str]:
    paths = []
    for k, v in values.items():
        if isinstance(v, dict) and "amplitude" in v:
            paths.append(f"{k}.amplitude")
        elif isinstance(v, float):
            paths.append(k)
    return paths


def _blocks(residuals: np.ndarray, n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """A moving-block resample of length n from ``residuals``."""
    if residuals.size == 0:
        return np.zeros(n)
    block = max(1, min(block, residuals.size))
    out = []
    while sum(len(b) for b in out) < n:
        s = int(rng.integers(0, residuals.size - block + 1))
        out.append(residuals[s : s + block])
    return np.concatenate(out)[:n]


def fit_aggregates(obs: pd.DataFrame, scenario: Scenario, hold=(), bootstrap: int = 50, seed: int = 0) -> AggregateFit:
    """Fit the free parameters to the used rows of ``obs``; bootstrap ``bootstrap`` draws."""
    frees, notes = choose(obs, scenario, hold)
    problem = Problem(scenario, obs, frees)
    if not frees:
        pred = problem.predicted(np.empty(0), every_row=True)
        return AggregateFit([], np.empty(0), np.empty((0, 0)), None, {}, [], pred, notes)
    theta = np.array([f.x0 for f in frees])
    amp = [i for i, f in enumerate(frees) if f.kind == "amplitude"]
    if amp:  # fit without season first, then choose the peak month, then fit everything
        problem.peak_month = 1
        others = [i for i in range(len(frees)) if i not in amp]
        if others:
            sub = Problem(scenario, obs, [frees[i] for i in others])
            theta[others] = sub.solve(theta[others]).x
        theta[amp] = 0.0
        problem.peak_month = _choose_peak(problem, theta)
        theta[amp] = frees[amp[0]].x0
    res = problem.solve(theta)
    theta = res.x
    predicted = problem.predicted(theta, every_row=True)
    values = _values(problem, theta, scenario)
    paths = _draw_paths(values)

    rng = np.random.default_rng(seed)
    series = ((obs["end"] - obs["start"]).dt.days < SERIES_DAYS).to_numpy() & problem.used & ~problem.censored
    resid = (problem.observed - predicted)[series]
    if resid.size:  # (yearly figures alone have no series rows: nothing to centre)
        resid = resid - resid.mean()  # centred, so a resample adds noise, not the fit's average miss
    block_days = int(np.median((obs["end"] - obs["start"]).dt.days[series])) if series.any() else 7
    block = int(math.ceil(census_time(scenario) / max(block_days, 1)))
    draws_theta, draws = [], []
    for _ in range(bootstrap):
        sim_obs = problem.observed.copy()
        yearly = problem.used & ~series & ~problem.censored
        sim_obs[yearly] = predicted[yearly] + problem.sd[yearly] * rng.standard_normal(yearly.sum())
        sim_obs[series] = predicted[series] + _blocks(resid, int(series.sum()), block, rng)
        th = problem.solve(theta, sim_obs, fast=True).x
        draws_theta.append(th)
        v = _values(problem, th, scenario)
        draws.append(_flatten(v, paths))
    fit = AggregateFit(
        frees,
        theta,
        np.array(draws_theta).reshape(bootstrap, len(frees)),
        problem.peak_month,
        values,
        draws,
        predicted,
        notes,
        float(res.cost),
    )
    return fit


def _flatten(values: dict[str, object], paths: list[str]) -> dict[str, float]:
    out = {}
    for p in paths:
        if p.endswith(".amplitude"):
            out[p] = float(values[p.removesuffix(".amplitude")]["amplitude"])
        else:
            out[p] = float(values[p])
    return out
