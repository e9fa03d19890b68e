"""The calibrated scenario simulated over the data's own period: the fit table.

The surrogate ignores places; the simulation does not. Here the calibrated scenario runs over the period of
the data, with the places the data report (per institution from an occupancy series, else the national
totals of the yearly figures spread over the ordinary units, else the scenario's own), and every observed
row is measured in each replication exactly as it was observed. Replication r uses parameter draw r mod N,
so the 90 % range holds both the randomness of the system and the uncertainty of the parameters. In
capacity-bound periods this is the check the surrogate cannot make: the simulation must reproduce the
occupancy the places allowed.

The replications run through the runner (:func:`sim.run.runner.run`) with a :class:`RowProbe`: serially, in
worker processes or on Dask, with the same numbers either way, and resumable from the partial store kept
under the folder it is given (``OUT/history`` and ``OUT/projection`` for ``kapsim calibrate`` and ``kapsim
backtest``), which :func:`remove_stores` clears once the fit table is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.data import TYPE_GROUPS, Occupancy, Yearly
from sim.engine.clock import DAYS_PER_YEAR
from sim.engine.records import Records
from sim.run.folder import CALIBRATION_HISTORY, CALIBRATION_PROJECTION, PARTIAL, PARTIAL_META, clear_partial
from sim.run.runner import run, store_key
from sim.run.worker import Experiment
from sim.scenario import trend
from sim.scenario.loading import resolved_dict, validate_data
from sim.scenario.schema import Scenario

WARMUP_DAYS = 365
FIT_COLUMNS = [
    "source", "period", "start", "end", "measure", "scope", "placement_type", "observed", "simulated_mean",
    "simulated_p05", "simulated_p95", "error", "relative_error", "inside_90", "surrogate", "used_in_fit",
    "censored", "note",
]  # fmt: skip


def _rebase(values: dict[str, Any], years: float) -> None:
    """Move per_year and mean stay of one type from the scenario's start date by ``years`` (in place)."""
    d = values["demand"]
    d["per_year"] = trend.moved(d["per_year"], d.get("growth", 0.0), years)
    s = values["stay"]
    if s.get("mean") is not None:
        s["mean"] = trend.moved(s["mean"], s.get("drift", 0.0), years)


def _rebase_draw(draw: dict[str, float], data: dict[str, Any], years: float) -> dict[str, float]:
    out = dict(draw)
    for t, p in data["placement_types"].items():
        base = f"placement_types.{t}"
        per_year = draw.get(f"{base}.demand.per_year", p["demand"]["per_year"])
        growth = draw.get(f"{base}.demand.growth", p["demand"].get("growth", 0.0))
        out[f"{base}.demand.per_year"] = trend.moved(per_year, growth, years)
        if p["stay"].get("mean") is not None:
            mean = draw.get(f"{base}.stay.mean", p["stay"]["mean"])
            drift = draw.get(f"{base}.stay.drift", p["stay"].get("drift", 0.0))
            out[f"{base}.stay.mean"] = trend.moved(mean, drift, years)
    return out


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(weights)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - out))[: total - out.sum()]:
        out[k] += 1
    return out.tolist()


def _ordinary_units(inst: dict[str, Any]) -> tuple[list[str], int]:
    ordinary = [u for u, spec in inst["units"].items() if not spec.get("high_security", False)]
    secure = sum(spec["places"] for spec in inst["units"].values() if spec.get("high_security", False))
    return ordinary, secure


def _set_places(inst: dict[str, Any], schedule: list[tuple[dt.date, int]]) -> None:
    """Give an institution's ordinary units the total places of ``schedule`` (first entry: from the start)."""
    ordinary, secure = _ordinary_units(inst)
    if not ordinary:
        return
    weights = [max(inst["units"][u]["places"], 1) for u in ordinary]
    for u in ordinary:
        inst["units"][u]["changes"] = []
    for k, (date, total) in enumerate(schedule):
        shares = _largest_remainder(max(total - secure, 0), weights)
        for u, n in zip(ordinary, shares):
            if k == 0:
                inst["units"][u]["places"] = n
            else:
                inst["units"][u]["changes"].append({"date": date.isoformat(), "places": n})
    for u in ordinary:
        inst["units"][u].pop("open_months", None)


def _places_from_occupancy(data: dict[str, Any], occupancy: Occupancy) -> list[str]:
    rows = occupancy.rows
    per = rows.groupby(["institution", "start"]).agg(places=("places", "max")).reset_index()
    matched = []
    for name, g in per.groupby("institution"):
        if name not in data["institutions"]:
            continue
        monthly = g.set_index("start")["places"].resample("MS").min().dropna()
        schedule, last = [], None
        for date, n in monthly.items():
            if n != last:
                schedule.append((date.date(), int(round(n))))
                last = n
        _set_places(data["institutions"][name], schedule)
        matched.append(name)
    return matched


def _places_from_yearly(data: dict[str, Any], yearly: Yearly, first: int, last: int) -> bool:
    rows = yearly.rows
    rows = rows[(rows.measure == "places") & (rows.scope == "national")]
    by_year: dict[int, float] = {}
    for r in rows.itertuples():
        for y in range(r.start.year, r.end.year):
            by_year[y] = r.value
    if not by_year:
        return False
    years = list(range(first, last + 1))
    known = sorted(by_year)
    totals = [by_year.get(y, by_year[min(known, key=lambda k: (abs(k - y), -k))]) for y in years]
    insts = data["institutions"]
    names = list(insts)
    secure = [_ordinary_units(insts[n])[1] for n in names]
    weights = [sum(insts[n]["units"][u]["places"] for u in _ordinary_units(insts[n])[0]) for n in names]
    schedules: dict[str, list] = {n: [] for n in names}
    last_total = None
    for y, total in zip(years, totals):
        if total == last_total:
            continue
        last_total = total
        ordinary = _largest_remainder(int(round(total)) - sum(secure), weights)
        for n, o, s in zip(names, ordinary, secure):
            schedules[n].append((dt.date(y, 1, 1), o + s))
    for n in names:
        _set_places(insts[n], schedules[n])
    return True


def places_known_from(inputs_yearly: Yearly | None, occupancy: Occupancy | None) -> pd.Timestamp | None:
    """First day for which the data give places (an occupancy series, else a yearly national figure)."""
    if occupancy is not None and len(occupancy.rows):
        return occupancy.rows["start"].min().normalize()
    if inputs_yearly is not None:
        rows = inputs_yearly.rows
        rows = rows[(rows.measure == "places") & (rows.scope == "national")]
        if len(rows):
            return rows["start"].min().normalize()
    return None


def moved_start(scenario: Scenario, first: Any) -> dict[str, Any]:
    """The scenario's resolved data starting on ``first``: demand and mean stays (and their parameter draws)
    moved from the old start date along their growth and drift, which count from the start date."""
    data = resolved_dict(scenario)
    years = (pd.Timestamp(first) - pd.Timestamp(scenario.horizon.start)).days / DAYS_PER_YEAR
    for p in data["placement_types"].values():
        _rebase(p, years)
    pu = data.get("parameter_uncertainty")
    if pu:
        pu["draws"] = [_rebase_draw(d, resolved_dict(scenario), years) for d in pu["draws"]]
    data["horizon"]["start"] = pd.Timestamp(first).date().isoformat()
    return data


def history_scenario(
    calibrated: Scenario,
    first: pd.Timestamp,
    last: pd.Timestamp,
    replications: int,
    yearly: Yearly | None = None,
    occupancy: Occupancy | None = None,
    start_state: dict[str, Any] | None = None,
) -> tuple[Scenario, list[str]]:
    """The calibrated scenario over [first, last), with the data's places and its draws applied per replication.

    Demand and mean stays are moved from the scenario's start date to ``first`` along their growth and drift.
    It starts after a warm-up from empty, or from ``start_state`` (the youths placed and waiting on ``first``).
    """
    data = moved_start(calibrated, first)
    notes = []
    pu = data.get("parameter_uncertainty")
    if pu:
        pu["apply"] = True
    data["horizon"].update(
        years=max((pd.Timestamp(last) - pd.Timestamp(first)).days / DAYS_PER_YEAR, 0.1),
        warmup_days=WARMUP_DAYS if start_state is None else 0,
        replications=max(replications, 2),
    )
    data["start_state"] = start_state
    matched = _places_from_occupancy(data, occupancy) if occupancy is not None else []
    if matched:
        notes.append(f"places per institution from the occupancy series ({len(matched)} institutions)")
    elif yearly is not None and _places_from_yearly(data, yearly, pd.Timestamp(first).year, pd.Timestamp(last).year):
        notes.append("places: the yearly national totals, spread over the ordinary units in the scenario's proportions")
    else:
        notes.append("places: the scenario's own (the data give none)")
    return validate_data(data, {}, "history of the calibrated scenario"), notes


def _type_census(rec: Records, exp: Experiment, types: tuple[str, ...], days: int) -> np.ndarray:
    youth, _, start, end = rec.segments()
    k = [exp.network.types.index(t) for t in types if t in exp.network.types]
    sel = np.isin(rec.youths.type[youth], k)
    t = exp.clock.warmup + np.arange(1, days + 1, dtype=float)
    return np.searchsorted(np.sort(start[sel]), t, side="right") - np.searchsorted(np.sort(end[sel]), t, side="right")


def measure(rec: Records, daily: np.ndarray, exp: Experiment, obs: pd.DataFrame) -> np.ndarray:
    """Every row of ``obs`` measured in one replication, as the data measured it."""
    clock, layout = exp.clock, exp.layout
    start = pd.Timestamp(exp.scenario.horizon.start)
    days = layout.days
    series = list(layout.series)
    y = rec.youths
    admitted = rec.unit >= 0
    day_of = np.where(admitted, rec.admitted - clock.warmup, -np.inf)
    census_cache: dict[tuple, np.ndarray] = {}

    def census(scope: str, group: tuple[str, ...]) -> np.ndarray:
        key = (scope, group)
        if key not in census_cache:
            if scope != "national":
                census_cache[key] = daily[series.index(("occupancy", scope))].astype(float)
            elif set(group) >= set(exp.network.types):
                census_cache[key] = daily[series.index(("occupancy", "national"))].astype(float)
            else:
                census_cache[key] = _type_census(rec, exp, group, days).astype(float)
        return census_cache[key]

    places = daily[series.index(("places_open", "national"))].astype(float)
    out = np.full(len(obs), np.nan)
    for j, r in enumerate(obs.itertuples()):
        d0, d1 = (r.start - start).days, min((r.end - start).days, days)
        if d0 < 0 or d1 <= d0:  # before the simulated period, or only partly inside it
            continue
        group = tuple(t for t in TYPE_GROUPS[r.placement_type] if t in exp.network.types)
        if r.scope != "national" and ("occupancy", r.scope) not in series:
            continue
        if r.measure in ("admissions", "share_of_admissions", "mean_stay"):
            inside = (day_of >= d0) & (day_of < d1)
            k = [exp.network.types.index(t) for t in group]
            mine = inside & np.isin(y.type, k)
            if r.measure == "admissions":
                out[j] = mine.sum() * DAYS_PER_YEAR / (d1 - d0)
            elif r.measure == "share_of_admissions":
                out[j] = mine.sum() / max(inside.sum(), 1)
            elif mine.any():
                out[j] = y.stay[mine].mean()
        else:
            c = census(r.scope, group)[d0:d1].mean()
            if r.measure == "mean_census":
                out[j] = c
            elif r.measure == "occupancy":
                out[j] = c / places[d0:d1].mean()
            elif r.measure == "bed_days":
                out[j] = c * DAYS_PER_YEAR
    return out


class RowProbe:
    """Every observed row measured in one replication, as :func:`measure` measures it: a runner probe.

    It holds only the columns :func:`measure` reads, so it pickles small (it travels to worker processes
    and Dask); its ``key``, a hash of those rows, tells the partial store which rows its values measure.
    """

    COLUMNS = ("start", "end", "measure", "scope", "placement_type")

    def __init__(self, obs: pd.DataFrame):
        self.rows = obs.loc[:, list(self.COLUMNS)].reset_index(drop=True)
        self.width = len(self.rows)
        text = self.rows.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S")
        self.key = "calibration rows " + hashlib.sha256(text.encode()).hexdigest()

    def __call__(self, records: Records, daily: np.ndarray, experiment: Experiment) -> np.ndarray:
        return measure(records, daily, experiment, self.rows)


@dataclass(frozen=True)
class RunOptions:
    """How :func:`simulate` runs the replications: the folder of their partial store (None: no store), the
    number of workers, ``processes`` or ``dask`` (at ``scheduler``, else a LocalCluster), whether the
    runner's progress bar is shown, and who is told how many replications were resumed (``say``)."""

    folder: Path | None = None
    workers: int = 1
    executor: str = "processes"
    scheduler: str | None = None
    progress: bool = False
    say: Callable[[str], None] | None = None


def _forget_other_stores(folder: Path, key: str) -> None:
    """Clear a partial store under ``folder`` that another calibration left (other data, fit or replications):
    the calibration rewrites every file of its folder, so its unfinished simulations go the same way."""
    meta = Path(folder) / PARTIAL / PARTIAL_META
    try:
        old = json.loads(meta.read_text(encoding="utf-8")).get("scenario_sha256")
    except (OSError, ValueError):
        return
    if old != key:
        clear_partial(folder)


def simulate(history: Scenario, obs: pd.DataFrame, options: RunOptions | None = None) -> np.ndarray:
    """[replication, row] of every row of ``obs`` measured in each replication of ``history``, run by the runner.

    With ``options.folder`` finished replications are kept in its partial store, and a run stopped part-way
    resumes from them; the values are the same whatever the workers, the executor or the resuming.
    """
    options = options or RunOptions()
    probe = RowProbe(obs)
    if options.folder is not None:
        _forget_other_stores(options.folder, store_key(history, probe))
    result = run(
        history,
        options.folder,
        options.workers,
        options.progress,
        None,
        options.executor,
        options.scheduler,
        probe=probe,
    )
    n = history.horizon.replications
    if result.resumed and options.say is not None:
        options.say(f"  {result.resumed} of {n} replications resumed from {Path(options.folder) / PARTIAL}")
    values = np.full((n, len(obs)), np.nan)
    values[result.reps] = result.extra
    return values


def store_folders(out: Path) -> tuple[Path, Path]:
    """The folders under ``out`` whose partial stores hold the history and the projection (backtests)."""
    return Path(out) / CALIBRATION_HISTORY, Path(out) / CALIBRATION_PROJECTION


def remove_stores(out: Path) -> None:
    """Remove the partial stores of a calibration in ``out``, and their folders if that empties them."""
    for folder in store_folders(out):
        clear_partial(folder)
        try:
            folder.rmdir()
        except OSError:  # not there, or holding something else: leave it
            pass


def fit_table(obs: pd.DataFrame, simulated: np.ndarray, surrogate: np.ndarray | None = None) -> pd.DataFrame:
    """Observed against simulated mean and 90 % range, per row."""
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(simulated, axis=0)
            p05, p95 = np.nanquantile(simulated, [0.05, 0.95], axis=0)
    table = pd.DataFrame(
        {
            "source": obs["source"],
            "period": obs["period"],
            "start": obs["start"].dt.date,
            "end": obs["end"].dt.date,
            "measure": obs["measure"],
            "scope": obs["scope"],
            "placement_type": obs["placement_type"],
            "observed": obs["observed"],
            "simulated_mean": mean,
            "simulated_p05": p05,
            "simulated_p95": p95,
        }
    )
    table["error"] = table["simulated_mean"] - table["observed"]
    table["relative_error"] = table["error"] / table["observed"].where(table["observed"] != 0)
    table["inside_90"] = (table["observed"] >= table["simulated_p05"]) & (table["observed"] <= table["simulated_p95"])
    table["surrogate"] = np.nan if surrogate is None else surrogate
    table["used_in_fit"] = obs["used"].to_numpy()
    table["censored"] = obs["censored"].to_numpy()
    table["note"] = obs["note"].to_numpy()
    return table[FIT_COLUMNS]
