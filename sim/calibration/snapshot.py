"""Today's occupancy and waiting list from episode records: a scenario's ``start_state`` on a date.

A youth is in place on date D when admitted before D and not discharged before D (a discharge on D still
counts: the youth is there when the day starts); waiting on D when the need arose before D and the admission
is on or after D. Only what was known on D is used. Dates are whole days, so an admission on day A means
some time during A: the time already stayed on D is taken as D - A - 0.5 days (D - need - 0.5 waited). The
result is aggregated counts (institution, unit, placement type, days stayed or waited, home region): no row
of the episodes file and nothing that identifies a person is copied.

Two things the records cannot tell:

- Stays begun before the file's first date are not in it. A date is refused until the 99th percentile of
  the file's stays has passed since its first date; before that, youths would be missing from the count.
- Episodes do not say which unit of an institution a youth is in. Youths fill the institution's units open
  on the date that take their type, ordinary units first and then high-security ones, up to their places
  (a youth put in a high-security unit counts as needing one); any left over go to the first such unit,
  which then drains instead of evicting anyone.

Youths who waited but were never admitted (withdrawn) have no episode, nor have youths still waiting when
the file ends: on dates in the file's last weeks the waiting list is undercounted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.calibration.data import DataError, Episodes
from sim.scenario.schema import Scenario


def complete_from(episodes: Episodes) -> pd.Timestamp:
    """The first date on which (nearly) every youth in place has an episode in the file: the file's first
    date plus the 99th percentile of its stays (ongoing ones counted up to the file's end)."""
    rows = episodes.rows
    first = rows["need"].min()
    length = (rows["discharge"].fillna(episodes.as_of) - rows["admission"]).dt.days
    return first + pd.Timedelta(days=int(np.ceil(np.percentile(length, 99))))


def _line(rows: pd.DataFrame, mask: pd.Series) -> int:
    return int(rows.index[mask.to_numpy()][0]) + 2


def start_state(episodes: Episodes, scenario: Scenario, date: Any) -> dict[str, list[dict[str, Any]]]:
    """The ``start_state`` (``placed`` and ``waiting`` rows) of the youths in place and waiting on ``date``."""
    date = pd.Timestamp(date).normalize()
    path, rows = episodes.path, episodes.rows
    if date > episodes.as_of:
        last = episodes.as_of - pd.Timedelta(days=1)
        raise DataError(f"{path}: the records end on {last.date()}; they cannot give the state on {date.date()}")
    complete = complete_from(episodes)
    if date < complete:
        raise DataError(
            f"{path}: the records begin on {rows['need'].min().date()}, so on {date.date()} youths admitted "
            f"before then would be missing from the count; choose a date from {complete.date()} on (the "
            f"99th percentile of the stays after the first date)"
        )
    placed = rows[(rows["admission"] < date) & (rows["discharge"].isna() | (rows["discharge"] >= date))]
    waiting = rows[(rows["need"] < date) & (rows["admission"] >= date)]
    both = pd.concat([placed, waiting])
    checks = (
        ("placement_type", both, scenario.placement_types),
        ("home_region", both, scenario.regions),
        ("institution", placed, scenario.institutions),
    )
    for column, frame, known in checks:
        bad = ~frame[column].isin(list(known))
        if bad.any():
            raise DataError(
                f"{path}: column '{column}', line {_line(frame, bad)}: '{frame[column][bad].iloc[0]}' (in place "
                f"or waiting on {date.date()}) is not in the scenario '{scenario.name}' (it has {', '.join(known)})"
            )
    return {"placed": _placed(placed, scenario, date, path), "waiting": _waiting(waiting, date)}


def _placed(placed: pd.DataFrame, scenario: Scenario, date: pd.Timestamp, path: str) -> list[dict[str, Any]]:
    placed = placed.assign(days=(date - placed["admission"]).dt.days - 0.5)
    placed = placed.sort_values(["institution", "placement_type", "days", "home_region"], kind="stable")
    counts: dict[tuple, int] = {}
    for inst, group in placed.groupby("institution", sort=True):
        units = scenario.institutions[inst].units
        room = {name: u.places_on(date.date()) for name, u in units.items()}
        for r in group.itertuples():
            taking = [name for name, u in units.items() if r.placement_type in u.accepts]
            if not taking:
                raise DataError(
                    f"{path}: column 'institution', line {int(r.Index) + 2}: '{inst}' has a {r.placement_type} "
                    f"youth on {date.date()}, but none of its units takes {r.placement_type} in the scenario "
                    f"'{scenario.name}'"
                )
            order = [n for n in taking if not units[n].high_security] + [n for n in taking if units[n].high_security]
            free = [n for n in order if room[n] > 0]
            unit = free[0] if free else next((n for n in order if units[n].places_on(date.date()) > 0), order[0])
            room[unit] -= 1
            key = (inst, unit, r.placement_type, float(r.days), r.home_region)
            counts[key] = counts.get(key, 0) + 1
    return [
        {"institution": i, "unit": u, "type": t, "days_stayed": d, "count": n, "home": h}
        for (i, u, t, d, h), n in counts.items()
    ]


def _waiting(waiting: pd.DataFrame, date: pd.Timestamp) -> list[dict[str, Any]]:
    waiting = waiting.assign(days=(date - waiting["need"]).dt.days - 0.5)
    counts = waiting.groupby(["placement_type", "days", "home_region"]).size()
    return [{"type": t, "days_waited": float(d), "count": int(n), "home": h} for (t, d, h), n in counts.items()]


def snapshot_data(scenario: Scenario, episodes: Episodes, date: Any) -> dict[str, Any]:
    """The body of a scenario file that extends ``scenario`` and starts on ``date`` from the episodes' state.

    Demand and mean stays (and parameter draws) are moved to the date along their growth and drift, which
    count from the start date."""
    from sim.calibration.check import moved_start

    date = pd.Timestamp(date).normalize()
    moved = moved_start(scenario, date)
    body: dict[str, Any] = {
        "name": f"{scenario.name}-from-{date.date()}",
        "description": f"{scenario.name} started on {date.date()} from the youths placed and waiting then, "
        f"counted from {Path(episodes.path).name} by kapsim snapshot.",
        "horizon": {"start": dt.date.fromisoformat(moved["horizon"]["start"]), "warmup_days": 0},
        "placement_types": {},
        "start_state": start_state(episodes, scenario, date),
    }
    for name, p in moved["placement_types"].items():
        entry: dict[str, Any] = {"demand": {"per_year": _significant(p["demand"]["per_year"])}}
        if p["stay"].get("mean") is not None:
            entry["stay"] = {"mean": _significant(p["stay"]["mean"])}
        body["placement_types"][name] = entry
    if moved.get("parameter_uncertainty"):
        pu = moved["parameter_uncertainty"]
        draws = [{k: _significant(v) for k, v in d.items()} for d in pu["draws"]]
        body["parameter_uncertainty"] = {**pu, "draws": draws}
    return body


def _significant(x: float) -> float:
    return float(f"{x:.6g}")


def snapshot_yaml(extends: str, body: dict[str, Any], episodes: Episodes, date: Any) -> str:
    """The scenario file's text: ``extends`` (a path relative to the file) and ``body``, with a header."""
    state = body["start_state"]
    placed = sum(r["count"] for r in state["placed"])
    waiting = sum(r["count"] for r in state["waiting"])
    head = [
        f"# Start state on {pd.Timestamp(date).date()} from {Path(episodes.path).name} by kapsim snapshot: "
        f"{placed} youths placed, {waiting} waiting.",
        "# Aggregated counts only. Demand and mean stays are moved to this date along their growth and drift.",
        "# Episodes do not name units: youths fill the units that take their type, ordinary ones first",
        "# (see sim/calibration/snapshot.py).",
    ]
    text = yaml.safe_dump(
        {"extends": extends, **body}, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120
    )
    return "\n".join(head) + "\n" + text
