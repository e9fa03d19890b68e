"""Parameters from episode records: admissions by a Poisson GLM, stays by censored maximum likelihood.

**Admissions.** For each placement type the monthly number of youths whose need arose (``need_date``, else
the admission date) is a Poisson GLM with log link, the days of the month inside the data as exposure, a
linear trend in years since the scenario's start date and either one Fourier pair (cosine and sine of the
day of the year; the default) or eleven month terms. Over-dispersion (the scenario's monthly gamma factor)
is allowed for by estimating the scale from the Pearson statistic (quasi-Poisson). The fit maps onto the
scenario's demand exactly: ``per_year`` is the mean yearly rate on the start date, ``growth = exp(trend) -
1``, and the Fourier pair ``exp(R cos(2 pi (d - phase) / 365.25))`` becomes ``1 + amplitude cos(...)`` with
the same first harmonic, ``amplitude = 2 I1(R) / I0(R)``, and the peak in the nearest month.

**Stays.** Stays from admission to discharge, those still going on at the end of the data censored, are
fitted by :mod:`sim.calibration.survival`; the family with the lowest AIC is kept. With a ``drift`` in the
scenario each stay is first divided by the drift factor of its admission date, so ``mean`` is the mean on
the start date, as the scenario means it.

**Uncertainty.** Parametric bootstrap for admissions (monthly counts redrawn from the fitted means with the
fitted dispersion, the GLM refitted) and case resampling for stays (the chosen family refitted); draw ``i``
of every type forms one parameter draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from sim.calibration.data import TYPES, Episodes
from sim.calibration.survival import FAMILIES, StayFit, fit_family, fit_stays, kaplan_meier
from sim.engine.clock import DAYS_PER_YEAR
from sim.scenario import trend
from sim.scenario.schema import Scenario

MONTH_DAYS = DAYS_PER_YEAR / 12


@dataclass
class AdmissionsFit:
    """One placement type's demand as the scenario states it, and the GLM behind it."""

    placement_type: str
    per_year: float
    growth: float
    seasonality: dict | None  # {amplitude, peak_month} or {monthly: [...]}, as in a scenario
    scale: float  # Pearson dispersion: variance / mean of the monthly counts
    table: pd.DataFrame  # per month: start, days, count, fitted
    coefficients: dict[str, float]
    standard_errors: dict[str, float]


def monthly_table(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp, origin: pd.Timestamp) -> pd.DataFrame:
    """Counts of ``dates`` per calendar month of [start, end), with exposure days and month-mean covariates."""
    days = pd.date_range(start.normalize(), end.normalize() - pd.Timedelta(days=1), freq="D")
    if len(days) == 0:
        raise ValueError("the episodes cover no whole day")
    month = days.to_period("M")
    doy = (days.day_of_year.to_numpy() - 1) + 0.5
    angle = 2 * np.pi * doy / DAYS_PER_YEAR
    frame = pd.DataFrame(
        {
            "month": month,
            "years": ((days - origin).days.to_numpy() + 0.5) / DAYS_PER_YEAR,
            "cos": np.cos(angle),
            "sin": np.sin(angle),
        }
    )
    table = frame.groupby("month", sort=True).agg(
        days=("years", "size"), years=("years", "mean"), cos=("cos", "mean"), sin=("sin", "mean")
    )
    d = pd.to_datetime(dates).dt.normalize()
    d = d[(d >= start.normalize()) & (d < end.normalize())]
    counts = d.dt.to_period("M").value_counts()
    table["count"] = counts.reindex(table.index, fill_value=0).to_numpy()
    table["calendar_month"] = table.index.month
    table["start"] = table.index.to_timestamp()
    return table.reset_index(drop=True)


def _design(table: pd.DataFrame, seasonality: str, trend: bool) -> pd.DataFrame:
    X = pd.DataFrame({"const": np.ones(len(table))})
    if trend:
        X["trend"] = table["years"].to_numpy()
    if seasonality == "fourier":
        X["cos"], X["sin"] = table["cos"].to_numpy(), table["sin"].to_numpy()
    elif seasonality == "monthly":
        for m in range(2, 13):
            X[f"m{m}"] = (table["calendar_month"] == m).astype(float).to_numpy()
    return X


def _glm(counts: np.ndarray, X: pd.DataFrame, days: np.ndarray):
    import statsmodels.api as sm

    model = sm.GLM(counts, X, family=sm.families.Poisson(), exposure=days)
    return model.fit(scale="X2")


def _as_demand(params: pd.Series, seasonality: str) -> tuple[float, float, dict | None]:
    """(per_year on the start date, growth, scenario seasonality) from GLM coefficients."""
    b0 = float(params["const"])
    growth = math.expm1(float(params.get("trend", 0.0)))
    if seasonality == "fourier":
        c, s = float(params["cos"]), float(params["sin"])
        r = math.hypot(c, s)
        peak_day = (math.atan2(s, c) * DAYS_PER_YEAR / (2 * np.pi)) % DAYS_PER_YEAR
        peak_month = int(math.floor(peak_day / MONTH_DAYS)) % 12 + 1  # the month holding the peak
        amplitude = float(special.i1e(r) / special.i0e(r)) * 2  # first harmonic of exp(r cos)
        level = math.exp(b0) * float(special.i0(r))  # mean over the year of exp(b0 + r cos)
        return DAYS_PER_YEAR * level, growth, {"amplitude": min(amplitude, 0.95), "peak_month": peak_month}
    if seasonality == "monthly":
        gamma = np.array([0.0] + [float(params[f"m{m}"]) for m in range(2, 13)])
        factors = np.exp(gamma)
        level = math.exp(b0) * factors.mean()
        return DAYS_PER_YEAR * level, growth, {"monthly": [float(f) for f in factors / factors.mean()]}
    return DAYS_PER_YEAR * math.exp(b0), growth, None


def fit_admissions(
    table: pd.DataFrame, placement_type: str, seasonality: str = "fourier", trend: bool = True
) -> AdmissionsFit:
    """The GLM of one type's monthly counts, as demand parameters."""
    X = _design(table, seasonality, trend)
    res = _glm(table["count"].to_numpy(), X, table["days"].to_numpy())
    per_year, growth, season = _as_demand(res.params, seasonality)
    table = table.assign(fitted=np.asarray(res.mu, dtype=float))
    return AdmissionsFit(
        placement_type,
        per_year,
        growth,
        season,
        float(res.scale),
        table,
        {k: float(v) for k, v in res.params.items()},
        {k: float(v) for k, v in res.bse.items()},
    )


def bootstrap_admissions(
    fit: AdmissionsFit, n: int, rng: np.random.Generator, seasonality: str = "fourier", trend: bool = True
) -> list[tuple[float, float, dict | None]]:
    """``n`` parametric-bootstrap refits: counts redrawn with mean ``fitted`` and variance scale x mean."""
    table = fit.table
    mu = table["fitted"].to_numpy()
    X = _design(table, seasonality, trend)
    phi = max(fit.scale, 1.0)
    out = []
    for _ in range(n):
        if phi > 1.0 + 1e-9:  # negative binomial with variance phi * mean
            counts = rng.negative_binomial(mu / (phi - 1.0), 1.0 / phi)
        else:
            counts = rng.poisson(mu)
        res = _glm(counts, X, table["days"].to_numpy())
        out.append(_as_demand(res.params, seasonality))
    return out


@dataclass
class TypeFit:
    admissions: AdmissionsFit
    stays: list[StayFit]  # every family, best first
    km: tuple[np.ndarray, np.ndarray]
    regions: dict[str, float] | None
    stays_x: np.ndarray = field(repr=False)
    stays_censored: np.ndarray = field(repr=False)

    @property
    def stay(self) -> StayFit:
        return self.stays[0]


@dataclass
class EpisodesFit:
    """Point estimates (``values``: key path -> value), bootstrap ``draws`` and each type's fits."""

    types: dict[str, TypeFit]
    values: dict[str, object]
    draws: list[dict[str, float]]
    notes: list[str]
    window: tuple[pd.Timestamp, pd.Timestamp]


def stays_of(rows: pd.DataFrame, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """(days, still going on) per episode: to the discharge, or to the end of the data."""
    end = rows["discharge"].fillna(as_of)
    return (end - rows["admission"]).dt.days.to_numpy(dtype=float), rows["discharge"].isna().to_numpy()


def _shares(rows: pd.DataFrame, regions: list[str]) -> dict[str, float] | None:
    counts = rows["home_region"].value_counts()
    if not set(counts.index) <= set(regions) or counts.sum() == 0:
        return None
    shares = {r: round(float(counts.get(r, 0)) / float(counts.sum()), 4) for r in regions}
    biggest = max(shares, key=shares.get)
    shares[biggest] = round(1.0 - sum(v for k, v in shares.items() if k != biggest), 4)
    return shares


def fit_episodes(
    episodes: Episodes,
    scenario: Scenario,
    bootstrap: int = 100,
    seed: int = 0,
    seasonality: str = "fourier",
    families=FAMILIES,
) -> EpisodesFit:
    """Fit demand, stays and home regions of every placement type found in the episodes."""
    rows = episodes.rows
    origin = pd.Timestamp(scenario.horizon.start)
    start, end = rows["need"].min().normalize(), episodes.as_of
    rng = np.random.default_rng(seed)
    types: dict[str, TypeFit] = {}
    values: dict[str, object] = {}
    draws: list[dict[str, float]] = [{} for _ in range(bootstrap)]
    notes: list[str] = []
    for t in TYPES:
        sub = rows[rows["placement_type"] == t]
        if t not in scenario.placement_types:
            if len(sub):
                notes.append(f"{len(sub)} {t} episodes ignored: the scenario has no placement type '{t}'")
            continue
        if len(sub) < 10:
            notes.append(f"{t}: {len(sub)} episodes are too few to fit; the scenario's values are kept")
            continue
        adm = fit_admissions(monthly_table(sub["need"], start, end, origin), t, seasonality)
        x, censored = stays_of(sub, end)
        drift = scenario.placement_types[t].stay.drift
        if drift:
            years = ((sub["admission"] - origin).dt.days.to_numpy() + 0.5) / DAYS_PER_YEAR
            x = x / trend.factor(drift, years)
        fits = fit_stays(x, censored, families)
        regions = _shares(sub, scenario.regions)
        if regions is None:
            notes.append(f"{t}: home regions not all in the scenario; regional shares kept")
        types[t] = TypeFit(adm, fits, kaplan_meier(x, censored), regions, x, censored)
        base = f"placement_types.{t}"
        values[f"{base}.demand.per_year"] = adm.per_year
        values[f"{base}.demand.growth"] = adm.growth
        values[f"{base}.demand.seasonality"] = adm.seasonality
        if regions is not None:
            values[f"{base}.demand.regions"] = regions
        values[f"{base}.stay.distribution"] = fits[0].distribution
        values[f"{base}.stay.mean"] = fits[0].mean
        values[f"{base}.stay.cv"] = fits[0].cv
        for i, (per_year, growth, season) in enumerate(bootstrap_admissions(adm, bootstrap, rng, seasonality)):
            draws[i][f"{base}.demand.per_year"] = per_year
            draws[i][f"{base}.demand.growth"] = growth
            if season is not None and "amplitude" in season:
                draws[i][f"{base}.demand.seasonality.amplitude"] = season["amplitude"]
        for i in range(bootstrap):
            pick = rng.integers(0, x.size, x.size)
            f = fit_family(fits[0].distribution, x[pick], censored[pick])
            draws[i][f"{base}.stay.mean"] = f.mean
            draws[i][f"{base}.stay.cv"] = f.cv
    return EpisodesFit(types, values, draws, notes, (start, end))
