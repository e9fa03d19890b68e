"""Write the synthetic calibration examples by simulating ``truth.yaml`` once with kapsim.

Three files, in the formats of ``calibration/README.md``, from one replication (the same youths in all):

- ``occupancy.csv``: occupied and open places per institution at the end of every day;
- ``episodes.csv``: one row per stay of a youth whose need arose in the period (admission, discharge, empty
  while still placed at the end, placement type, institution, home region, need date);
- ``yearly.csv``: per year, admissions and mean stay by placement type (with standard errors), mean open
  places, and a ``capacity_bound`` flag for years in which the institutions were full on more than 5 % of
  days.

Usage: python calibration/examples/make_examples.py [OUT_DIR]   (default: this folder)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario

HERE = Path(__file__).resolve().parent
REPLICATION = 0
FULL_DAYS_FLAG = 0.05  # share of days with no free place above which a year is flagged capacity-bound


def simulate(truth: Path = HERE / "truth.yaml"):
    scenario = load_scenario(truth)
    exp = Experiment(scenario)
    records = exp.records(REPLICATION)
    daily = exp.measures(records).daily
    return scenario, exp, records, daily


def occupancy_rows(scenario, exp, daily) -> pd.DataFrame:
    series = list(exp.layout.series)
    dates = pd.date_range(scenario.horizon.start, periods=exp.layout.days, freq="D")
    frames = []
    for name in exp.network.institutions:
        frames.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "institution": name,
                    "occupied": daily[series.index(("occupancy", name))],
                    "places": daily[series.index(("places_open", name))],
                }
            )
        )
    return pd.concat(frames).sort_values(["date", "institution"], kind="stable").reset_index(drop=True)


def _date(origin: pd.Timestamp, t: np.ndarray) -> pd.Series:
    return pd.Series(origin + pd.to_timedelta(np.floor(t), unit="D")).dt.strftime("%Y-%m-%d")


def episode_rows(scenario, exp, records) -> pd.DataFrame:
    clock, net, y = exp.clock, exp.network, records.youths
    origin = pd.Timestamp(clock.origin)
    keep = (records.unit >= 0) & (y.arrival >= clock.warmup) & (records.admitted < clock.end)
    left = records.left[keep]
    discharge = _date(origin, np.where(np.isnan(left) | (left >= clock.end), 0.0, left))
    discharge[np.isnan(left) | (left >= clock.end)] = ""
    inst = np.array([net.institutions[u.institution] for u in net.units])[records.unit[keep]]
    rows = pd.DataFrame(
        {
            "admission_date": _date(origin, records.admitted[keep]),
            "discharge_date": discharge.to_numpy(),
            "placement_type": np.array(net.types)[y.type[keep]],
            "institution": inst,
            "home_region": np.array(net.regions)[y.home[keep]],
            "need_date": _date(origin, y.arrival[keep]),
        }
    )
    return rows.sort_values(["admission_date", "need_date"], kind="stable").reset_index(drop=True)


def yearly_rows(scenario, exp, records, daily) -> pd.DataFrame:
    clock, net, y = exp.clock, exp.network, records.youths
    origin = pd.Timestamp(clock.origin)
    admitted = records.unit >= 0
    when = origin + pd.to_timedelta(np.where(admitted, records.admitted, 0.0), unit="D")
    series = list(exp.layout.series)
    dates = pd.date_range(scenario.horizon.start, periods=exp.layout.days, freq="D")
    occupied, places = daily[series.index(("occupancy", "national"))], daily[series.index(("places_open", "national"))]
    rows = []
    source = "synthetic: calibration/examples/make_examples.py from truth.yaml"
    for year in sorted(set(dates.year)):
        in_year = admitted & (when.year == year)
        for k, t in enumerate(net.types):
            stays = y.stay[in_year & (y.type == k)]
            n = stays.size
            dispersion = scenario.placement_types[t].demand.dispersion
            # Poisson count with the scenario's monthly gamma factor: variance n + dispersion^2 n^2 / 12
            sd_n = np.sqrt(n + dispersion**2 * n**2 / 12)
            rows.append((str(year), "admissions", t, n, "admissions per year", f"{sd_n:.1f}"))
            sd_stay = stays.std(ddof=1) / np.sqrt(n)
            rows.append(
                (str(year), "mean_stay", t, f"{stays.mean():.2f}", "days (stays begun in the year)", f"{sd_stay:.2f}")
            )
        days = dates.year == year
        rows.append((str(year), "places", "all", f"{places[days].mean():.2f}", "open places (time average)", ""))
        if np.mean(occupied[days] >= places[days]) > FULL_DAYS_FLAG:
            rows.append((str(year), "capacity_bound", "all", 1, "flag: full on more than 5 % of days", ""))
    frame = pd.DataFrame(rows, columns=["period", "measure", "placement_type", "value", "unit", "sd"])
    frame.insert(1, "scope", "national")
    frame["tag"] = "E"
    frame["source"] = source
    return frame


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    scenario, exp, records, daily = simulate()
    files = {
        "occupancy.csv": occupancy_rows(scenario, exp, daily),
        "episodes.csv": episode_rows(scenario, exp, records),
        "yearly.csv": yearly_rows(scenario, exp, records, daily),
    }
    for name, frame in files.items():
        frame.to_csv(out / name, index=False, lineterminator="\n")
        print(f"{len(frame):6d} rows -> {out / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
