"""Today's occupancy and waiting list from episode records: a scenario's ``start_state`` on a date.

A youth is in place on date D when admitted before D and not discharged before D (a discharge on D still
counts: the youth is there when the day starts); waiting on D when the need arose before D and the admission
is on or after D. Only what was known on D is used. The result is aggregated counts (institution, unit,
placement type, whole days stayed or waited, home region): no row of the episodes file and nothing that
identifies a person is copied.

Episodes do not say which unit of an institution a youth is in. A youth goes to the institution's only
unit, or else to its first ordinary unit that takes the placement type (a high-security unit only if no
ordinary one does); a run then drains a unit holding more youths than places rather than evicting anyone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.calibration.data import DataError, Episodes
from sim.schema import Scenario


def _unit_for(scenario: Scenario, institution: str, ptype: str) -> str | None:
    units = scenario.institutions[institution].units
    if len(units) == 1:
        return next(iter(units))
    taking = [name for name, u in units.items() if ptype in u.accepts]
    ordinary = [name for name in taking if not units[name].high_security]
    return (ordinary or taking or [None])[0]


def start_state(episodes: Episodes, scenario: Scenario, date: Any) -> dict[str, list[dict[str, Any]]]:
    """The ``start_state`` (``placed`` and ``waiting`` rows) of the youths in place and waiting on ``date``."""
    date = pd.Timestamp(date).normalize()
    path, rows = episodes.path, episodes.rows
    last = episodes.as_of - pd.Timedelta(days=1)
    if date > episodes.as_of:
        raise DataError(f"{path}: the records end on {last.date()}; they cannot give the state on {date.date()}")
    if not (rows["admission"] < date).any():
        raise DataError(f"{path}: no admission before {date.date()}; the records cannot give the state on it")
    placed = rows[(rows["admission"] < date) & (rows["discharge"].isna() | (rows["discharge"] >= date))]
    waiting = rows[(rows["need"] < date) & (rows["admission"] >= date)]
    for column, known in (("institution", scenario.institutions), ("home_region", scenario.regions)):
        for frame in (placed, waiting) if column == "home_region" else (placed,):
            unknown = sorted(set(frame[column]) - set(known))
            if unknown:
                raise DataError(
                    f"{path}: column '{column}': {', '.join(map(repr, unknown))} on {date.date()} is not in the "
                    f"scenario '{scenario.name}' (it has {', '.join(known)})"
                )
    out_placed = []
    keys = ["institution", "placement_type", "days", "home_region"]
    counts = placed.assign(days=(date - placed["admission"]).dt.days).groupby(keys).size()
    for (inst, ptype, days, home), n in counts.items():
        unit = _unit_for(scenario, inst, ptype)
        if unit is None:
            raise DataError(f"{path}: institution '{inst}' has a {ptype} youth on {date.date()}, but none of its "
                            f"units takes {ptype} in the scenario '{scenario.name}'")  # fmt: skip
        out_placed.append(
            {"institution": inst, "unit": unit, "type": ptype, "days_stayed": int(days), "count": int(n), "home": home}
        )
    out_waiting = []
    keys = ["placement_type", "days", "home_region"]
    counts = waiting.assign(days=(date - waiting["need"]).dt.days).groupby(keys).size()
    for (ptype, days, home), n in counts.items():
        out_waiting.append({"type": ptype, "days_waited": int(days), "count": int(n), "home": home})
    return {"placed": out_placed, "waiting": out_waiting}


def snapshot_yaml(scenario_path: Path, out_file: Path, scenario: Scenario, episodes: Episodes, date: Any) -> str:
    """A scenario file that ``extends`` the input and starts on ``date`` from the episodes' state."""
    date = pd.Timestamp(date).normalize()
    state = start_state(episodes, scenario, date)
    rel = os.path.relpath(Path(scenario_path).resolve(), Path(out_file).resolve().parent)
    body = {
        "extends": rel,
        "name": f"{scenario.name}-from-{date.date()}",
        "description": f"{scenario.name} started on {date.date()} from the youths placed and waiting then, "
        f"counted from {Path(episodes.path).name} by kapsim snapshot.",
        "horizon": {"start": date.date(), "warmup_days": 0},
        "start_state": state,
    }
    placed = sum(r["count"] for r in state["placed"])
    waiting = sum(r["count"] for r in state["waiting"])
    head = [
        f"# Start state on {date.date()} from {episodes.path} by kapsim snapshot: {placed} youths placed, "
        f"{waiting} waiting.",
        "# Aggregated counts only. Episodes do not name units: youths are put in the institution's first",
        "# ordinary unit that takes their type (see sim/calibration/snapshot.py).",
    ]
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)
    return "\n".join(head) + "\n" + text
