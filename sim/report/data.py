"""The aggregated outputs of a run, read back from its folder, and the small summaries the charts plot.

Reads only summary.csv, timeseries.parquet, scenario.resolved.yaml and manifest.json (and observed.csv,
the observed occupancy a user gave with ``--observed``): never the per-replication files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.run import folder

FILES = (folder.SUMMARY, folder.TIMESERIES, folder.RESOLVED, folder.MANIFEST)
OBSERVED = folder.OBSERVED
OBSERVED_COLUMNS = ["date", "scope", "occupied", "places", "period", "source"]


@dataclass(frozen=True)
class ReportData:
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    scenario: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    observed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OBSERVED_COLUMNS))
    by_year: pd.DataFrame = field(default_factory=pd.DataFrame)  # summary_by_year.csv (empty for older runs)
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # decisions.csv (with a capacity rule)


def observed_table(occupancy, institutions: list[str], types: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Observed occupancy to draw against a run, and notes on what was left out.

    Per date (a day's census, or a month's mean dated on its first day) and institution of the scenario:
    the row for all types, else the sum of the rows by type when every type of the scenario has one.
    Nationally: the sum over the scenario's institutions, on the dates all of them report. Institutions the
    scenario does not have are left out (their names are not copied).
    """
    rows = occupancy.rows
    notes = []
    unknown = set(rows.institution) - set(institutions)
    if unknown:
        notes.append(f"{len(unknown)} institution name(s) in the file are not in the scenario and are left out")
    rows = rows[rows.institution.isin(institutions)]
    keys = ["start", "institution"]
    total = rows[rows.placement_type == "all"][[*keys, "occupied", "places"]]
    typed = (
        rows[rows.placement_type != "all"]
        .groupby(keys, as_index=False)
        .agg(occupied=("occupied", "sum"), places=("places", "max"), kinds=("placement_type", "nunique"))
    )
    typed = typed[typed.kinds == len(types)].drop(columns="kinds")
    typed = typed.merge(total[keys], how="left", indicator=True)
    typed = typed[typed["_merge"] == "left_only"].drop(columns="_merge")
    each = pd.concat([total, typed], ignore_index=True)
    reporting = each.groupby("start").institution.nunique()
    complete = reporting.index[reporting == len(institutions)]
    if len(reporting) and len(complete) < len(reporting):
        notes.append(
            f"the national line covers the {len(complete)} of {len(reporting)} dates on which every "
            f"institution of the scenario reports"
        )
    national = each[each.start.isin(complete)].groupby("start", as_index=False)[["occupied", "places"]].sum()
    table = pd.concat([national.assign(institution="national"), each], ignore_index=True)
    table = (
        pd.DataFrame(
            {
                "date": pd.to_datetime(table["start"]).dt.strftime("%Y-%m-%d"),
                "scope": table["institution"],
                "occupied": table["occupied"].astype(float),
                "places": table["places"].astype(float),
                "period": "day" if occupancy.daily else "month",
                "source": Path(occupancy.path).name,
            }
        )
        .sort_values(["scope", "date"], kind="stable")
        .reset_index(drop=True)
    )
    return table, notes


def write_observed(out_dir: Path, occupancy) -> list[str]:
    """Save the observed occupancy beside a finished run's outputs, so its report draws it; return notes on
    what was left out (institutions the scenario does not have, dates outside the run)."""
    from sim.run.files import atomic_text

    out_dir = Path(out_dir)
    scenario = yaml.safe_load((out_dir / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    table, notes = observed_table(occupancy, list(scenario["institutions"]), list(scenario["placement_types"]))
    dates = pd.read_parquet(out_dir / folder.TIMESERIES, columns=["date"])["date"]
    if len(dates):
        first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
        start = pd.to_datetime(table.date)
        end = start + (pd.Timedelta(days=1) if occupancy.daily else pd.offsets.MonthBegin(1))
        if not ((start <= last) & (end > first)).any():
            notes.append(f"no observed date falls in the run ({first.date()} to {last.date()})")
    atomic_text(out_dir / OBSERVED, table.to_csv(index=False, float_format="%.6g", lineterminator="\n"))
    return notes


def load(out_dir: Path) -> ReportData:
    """Read a run's aggregated outputs. summary.csv and timeseries.parquet are required."""
    out_dir = Path(out_dir)
    missing = [name for name in FILES[:2] if not (out_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{out_dir} is not a kapsim output folder: {', '.join(missing)} missing")
    summary = folder.read_summary(out_dir)
    ts = pd.read_parquet(out_dir / folder.TIMESERIES)
    if len(ts):
        ts["date"] = pd.to_datetime(ts["date"])
    scenario_file = out_dir / folder.RESOLVED
    scenario = yaml.safe_load(scenario_file.read_text(encoding="utf-8")) if scenario_file.is_file() else {}
    manifest_file = out_dir / folder.MANIFEST
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    observed_file = out_dir / OBSERVED
    if observed_file.is_file():
        observed = pd.read_csv(observed_file, keep_default_na=False, na_values=[""], dtype={"scope": str})
        observed["date"] = pd.to_datetime(observed["date"])
    else:
        observed = pd.DataFrame(columns=OBSERVED_COLUMNS)
    by_year_file = out_dir / folder.SUMMARY_BY_YEAR
    by_year = pd.read_csv(by_year_file, keep_default_na=False, na_values=[""]) if by_year_file.is_file() else None
    decisions_file = out_dir / folder.DECISIONS
    decisions = pd.read_csv(decisions_file) if decisions_file.is_file() else pd.DataFrame()
    by_year = by_year if by_year is not None else pd.DataFrame()
    return ReportData(summary, ts, scenario or {}, manifest, observed, by_year, decisions)


def metric(summary: pd.DataFrame, name: str, scope: str = "national", ptype: str = "all") -> dict | None:
    """One summary row as a dict (mean, ci_low, ci_high, std, n), or None if the run has no such metric."""
    rows = summary[(summary.metric == name) & (summary.scope == scope) & (summary.placement_type == ptype)]
    if not len(rows):
        return None
    r = rows.iloc[0]
    return {k: float(r[k]) for k in ("mean", "ci_low", "ci_high", "std", "n")}


def series(ts: pd.DataFrame, measure: str, scope: str) -> pd.DataFrame:
    """One daily series (date, mean, p05 ... p95), in date order."""
    if not len(ts):
        return ts
    return ts[(ts.measure == measure) & (ts.scope == scope)].sort_values("date").reset_index(drop=True)


def scopes(ts: pd.DataFrame, measure: str) -> list[str]:
    """Scopes of a measure in the order they were written (national or all first)."""
    if not len(ts):
        return []
    return list(pd.unique(ts.loc[ts.measure == measure, "scope"]))


def institutions(ts: pd.DataFrame) -> list[str]:
    return [s for s in scopes(ts, "occupancy") if s != "national"]


def monthly_mean(ts: pd.DataFrame, measure: str, scope: str, column: str = "mean") -> pd.Series:
    """Mean of a daily series by calendar month (1-12), over all days of that month in the horizon."""
    s = series(ts, measure, scope)
    if not len(s):
        return pd.Series(np.nan, index=pd.RangeIndex(1, 13, name="month"))
    return s.groupby(s.date.dt.month)[column].mean().reindex(range(1, 13)).rename_axis("month")


def utilisation_by_month(ts: pd.DataFrame) -> pd.DataFrame:
    """Occupied ÷ open places by calendar month: rows national then each institution, columns months 1-12.

    Each cell is the mean daily occupancy of the month over the mean daily open places of the month (the
    ratio of place-days), NaN where no place was open.
    """
    rows = {}
    for scope in scopes(ts, "occupancy"):
        occ = monthly_mean(ts, "occupancy", scope)
        places = monthly_mean(ts, "places_open", scope)
        rows[scope] = (occ / places.where(places > 0)).to_numpy()
    return pd.DataFrame.from_dict(rows, orient="index", columns=range(1, 13))


def is_daily(dates: pd.Series) -> bool:
    """True if the dates are consecutive days (then a chart needs only the first date and a step)."""
    if len(dates) < 2:
        return len(dates) == 1
    step = np.diff(dates.to_numpy().astype("datetime64[D]").astype(np.int64))
    return bool(np.all(step == 1))


def compact(values) -> np.ndarray:
    """Values as the smallest exact array for the page: uint16 for small whole numbers, else float32."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == v.size and (finite.size == 0 or (finite.min() >= 0 and finite.max() < 65535)):
        if np.all(v == np.round(v)):
            return v.astype(np.uint16)
    return v.astype(np.float32)
