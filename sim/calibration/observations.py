"""What was observed, as one table of rows that the surrogate fit and the simulation check both predict.

Every row is one number over a period [start, end): admissions per year, a share of admissions, the mean
stay of the youths admitted, the mean census, occupancy (census / places) or bed-days per year, for a set
of placement types, nationally or for one institution. Each row carries its standard error ``sd``, whether
it is ``used`` in the fit (and if not, why, in ``note``) and whether it is ``censored`` by capacity.

**Capacity-censored rows.** When the institutions are full, occupancy and admissions show how many places
there were, not how many youths needed one. Such rows only say that demand was *at least* what was seen:
the fit penalises a model below them and never one above. A period counts as full when a yearly row flags
it (``capacity_bound``), when its occupancy was 95 % or more, or, for occupancy series, on days when
national free places were at most max(2, 5 % of places) or the full institutions held at least half of all
places (high-security places, kept free for their own target group, hide a shortage in the national total).

**Standard errors.** A yearly row's ``sd`` column if given; otherwise 5 % of the value, 10 % when its unit
says "about" (an assumption about how precise a published figure is). A weekly or monthly mean census from
an occupancy series: sqrt(census x max(1, T / days)), the Poisson spread inflated because days close
together share the same youths (T, the census's integrated autocorrelation time, is mean stay x (1 + cv^2)).
This weighs a series by its effective number of independent observations against the yearly figures.

**After a full period** the youths who waited are placed late and stay on: for one mean stay after the last
full day, series rows are shown but not fitted (they would read as demand above the model's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.data import TYPE_GROUPS, Episodes, Occupancy, Yearly
from sim.engine.clock import DAYS_PER_YEAR
from sim.engine.stays import mean_of
from sim.scenario.schema import Scenario

COLUMNS = [
    "source", "period", "start", "end", "measure", "scope", "placement_type", "observed", "sd", "places",
    "censored", "used", "note", "tag",
]  # fmt: skip
FITTED = ("admissions", "share_of_admissions", "mean_stay", "mean_census", "occupancy", "bed_days")
CAPACITY_LIMITED = ("admissions", "mean_census", "occupancy", "bed_days")
FULL_OCCUPANCY = 0.95
REL_SD, REL_SD_ABOUT = 0.05, 0.10


def census_time(scenario: Scenario) -> float:
    """Integrated autocorrelation time of the census (days): mean stay x (1 + cv^2), weighted by load."""
    num = den = 0.0
    for p in scenario.placement_types.values():
        m = mean_of(p.stay)
        cv = 1.0 if p.stay.distribution == "exponential" else (p.stay.cv or 1.0)
        load = p.demand.per_year * m
        num, den = num + load * m * (1 + cv * cv), den + load
    return num / den if den else 60.0


def mean_stay(scenario: Scenario) -> float:
    """Mean stay of all youths (days), weighted by demand."""
    total = sum(p.demand.per_year for p in scenario.placement_types.values())
    stays = sum(p.demand.per_year * mean_of(p.stay) for p in scenario.placement_types.values())
    return stays / total if total else 60.0


def _recovering(bound_ends: np.ndarray, start: pd.Timestamp, days: float) -> bool:
    """Whether ``start`` lies within ``days`` after the end of a capacity-bound day."""
    if bound_ends.size == 0:
        return False
    before = bound_ends[bound_ends <= np.datetime64(start.date(), "D")]
    return bool(before.size) and (np.datetime64(start.date(), "D") - before.max()).astype(int) < days


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
    for col in ("observed", "sd", "places"):
        frame[col] = frame[col].astype(float)
    for col in ("censored", "used"):
        frame[col] = frame[col].astype(bool)
    return frame


def _places_over(places: pd.DataFrame, start, end) -> float:
    """Time-average national places over [start, end) from yearly ``places`` rows, NaN if any year lacks one."""
    total, days = 0.0, 0
    for year in range(start.year, end.year if end.month == 1 and end.day == 1 else end.year + 1):
        a, b = max(pd.Timestamp(year, 1, 1), start), min(pd.Timestamp(year + 1, 1, 1), end)
        cover = places[(places.start <= a) & (places.end >= b)]
        if cover.empty:
            return np.nan
        n = (b - a).days
        total, days = total + float(cover["value"].iloc[-1]) * n, days + n
    return total / days if days else np.nan


def from_yearly(yearly: Yearly, scenario: Scenario) -> pd.DataFrame:
    rows = yearly.rows
    source = yearly.path.rsplit("/", 1)[-1]
    national = rows[rows.scope == "national"]
    places = national[national.measure == "places"]
    bound = national[(national.measure == "capacity_bound") & (national.value > 0)]
    full = national[(national.measure == "occupancy") & (national.value >= FULL_OCCUPANCY)]
    limits = pd.concat([bound, full])
    out = []
    for r in rows.itertuples():
        if r.measure in ("places", "capacity_bound"):
            continue
        sd = r.sd if np.isfinite(r.sd) else r.value * (REL_SD_ABOUT if "about" in r.unit.lower() else REL_SD)
        row = dict(
            source=source, period=r.period, start=r.start, end=r.end, measure=r.measure, scope=r.scope,
            placement_type=r.placement_type, observed=r.value, sd=max(sd, 1e-9), places=np.nan,
            censored=False, used=True, note="", tag=r.tag,
        )  # fmt: skip
        missing = [t for t in TYPE_GROUPS[r.placement_type] if t not in scenario.placement_types]
        if r.scope != "national":
            row.update(used=False, note="institution figure: shown, not fitted")
        elif missing and r.placement_type != "all":
            row.update(used=False, note=f"the scenario has no {', '.join(missing)}")
        elif r.tag == "D":
            row.update(used=False, note="derived from other rows: shown, not fitted twice")
        if r.measure == "occupancy":
            row["places"] = _places_over(places, r.start, r.end)
            if not np.isfinite(row["places"]) and row["used"]:
                row.update(used=False, note="no places figure for this period")
        overlaps = ((limits.start < r.end) & (limits.end > r.start)).any()
        if r.measure in CAPACITY_LIMITED and overlaps and r.scope == "national":
            row["censored"] = True
            row["note"] = (row["note"] + "; " if row["note"] else "") + "capacity-bound: demand at least this"
        out.append(row)
    return _frame(out)


def national_daily(occupancy: Occupancy) -> pd.DataFrame:
    """National census per day (or month) with places and the capacity-bound flag; per type if given."""
    rows = occupancy.rows
    # with a placement_type column an institution has one row per type: occupied adds up, places repeat
    by_inst = rows.groupby(["start", "end", "institution"], sort=True).agg(
        occupied=("occupied", "sum"), places=("places", "max")
    )
    by_inst = by_inst.reset_index()
    full = by_inst["occupied"] >= by_inst["places"]
    by_inst["full_places"] = np.where(full, by_inst["places"], 0.0)
    nat = by_inst.groupby(["start", "end"], sort=True)[["occupied", "places", "full_places"]].sum()
    free = nat["places"] - nat["occupied"]
    nat["bound"] = (free <= np.maximum(2.0, 0.05 * nat["places"])) | (nat["full_places"] >= 0.5 * nat["places"])
    types = sorted(set(rows["placement_type"]) - {"all"})
    for t in types:
        nat[t] = rows[rows.placement_type == t].groupby(["start", "end"])["occupied"].sum()
    return nat.reset_index()


def from_occupancy(occupancy: Occupancy, scenario: Scenario) -> pd.DataFrame:
    """Weekly (daily data) or monthly national mean census rows, fitted; yearly rows per institution, shown."""
    source = occupancy.path.rsplit("/", 1)[-1]
    nat = national_daily(occupancy)
    tau = census_time(scenario)
    if occupancy.daily:
        block = ((nat["start"] - nat["start"].iloc[0]).dt.days // 7).to_numpy()
    else:
        block = np.arange(len(nat))
    bound_days = nat.loc[nat["bound"], "end"].to_numpy(dtype="datetime64[D]")
    recovery = mean_stay(scenario)
    types = [c for c in ("remand", "sentence", "social") if c in nat.columns]
    series = [("all", "occupied")] + [(t, t) for t in types] if types else [("all", "occupied")]
    out = []
    for _, g in nat.groupby(block, sort=True):
        start, end = g["start"].iloc[0], g["end"].iloc[-1]
        days = (end - start).days
        for ptype, col in series:
            value = float(g[col].mean())
            if ptype == "all" and types:  # the types' rows carry the information; the total is shown
                used, note = False, "sum of the placement types' rows"
            else:
                used, note = True, ""
            censored = bool(g["bound"].any())
            if not censored and used and _recovering(bound_days, start, recovery):
                used, note = False, "after a capacity-bound period: the backlog is still being placed"
            out.append(dict(
                source=source, period=start.strftime("%Y-%m-%d"), start=start, end=end, measure="mean_census",
                scope="national", placement_type=ptype, observed=value,
                sd=np.sqrt(max(value, 1.0) * max(1.0, tau / max(days, 1))), places=float(g["places"].mean()),
                censored=censored, used=used, note="capacity-bound: demand at least this" if censored else note,
                tag="",
            ))  # fmt: skip
    rows = occupancy.rows
    for (inst, year), g in rows.groupby(["institution", rows["start"].dt.year]):
        days = g.groupby("start").agg(occupied=("occupied", "sum"), places=("places", "max"))
        out.append(dict(
            source=source, period=str(year), start=pd.Timestamp(year, 1, 1), end=pd.Timestamp(year + 1, 1, 1),
            measure="mean_census", scope=inst, placement_type="all", observed=float(days["occupied"].mean()),
            sd=np.nan, places=float(days["places"].mean()), censored=False, used=False,
            note="institution: shown, not fitted", tag="",
        ))  # fmt: skip
    return _frame(out)


def episode_census(episodes: Episodes, days: pd.DatetimeIndex) -> np.ndarray:
    """Youths in place at the end of each day, from the episodes."""
    rows = episodes.rows
    ends = rows["discharge"].fillna(episodes.as_of + pd.Timedelta(days=1)).to_numpy(dtype="datetime64[D]")
    starts = rows["admission"].to_numpy(dtype="datetime64[D]")
    t = days.to_numpy(dtype="datetime64[D]")
    return np.searchsorted(np.sort(starts), t, side="right") - np.searchsorted(np.sort(ends), t, side="right")


def from_episodes(episodes: Episodes, scenario: Scenario) -> pd.DataFrame:
    """Yearly admissions by type and monthly mean census from the episodes: shown against the simulation.

    The census starts a year into the data, since stays begun before the file's period are not in it.
    """
    source = episodes.path.rsplit("/", 1)[-1]
    rows = episodes.rows
    first, end = rows["need"].min().normalize(), episodes.as_of
    out = []
    for year in range(first.year, end.year + 1):
        a, b = max(pd.Timestamp(year, 1, 1), first), min(pd.Timestamp(year + 1, 1, 1), end)
        if (b - a).days < 28:
            continue
        years = (b - a).days / DAYS_PER_YEAR
        for t in sorted(set(rows["placement_type"])):
            n = int(((rows.placement_type == t) & (rows.admission >= a) & (rows.admission < b)).sum())
            out.append(dict(
                source=source, period=str(year), start=a, end=b, measure="admissions", scope="national",
                placement_type=t, observed=n / years, sd=np.sqrt(max(n, 1)) / years, places=np.nan,
                censored=False, used=False, note="fitted from the episodes directly (GLM)", tag="",
            ))  # fmt: skip
    months = pd.date_range(first + pd.DateOffset(years=1), end, freq="MS")
    for a, b in zip(months[:-1], months[1:]):
        census = episode_census(episodes, pd.date_range(a, b - pd.Timedelta(days=1), freq="D"))
        out.append(dict(
            source=source, period=a.strftime("%Y-%m"), start=a, end=b, measure="mean_census", scope="national",
            placement_type="all", observed=float(census.mean()), sd=np.nan, places=np.nan, censored=False,
            used=False, note="from the episodes: shown, not fitted", tag="",
        ))  # fmt: skip
    return _frame(out)
