"""``kapsim calibrate`` and ``kapsim backtest``: read the data, fit, simulate the fit, write the files.

From episodes the parameters are estimated directly (:mod:`sim.calibration.episodes`); otherwise from
occupancy series and yearly figures through the surrogate (:mod:`sim.calibration.aggregates`). Either way
the calibrated scenario is then simulated over the data's period (:mod:`sim.calibration.check`), through
the runner: on ``workers`` processes or Dask, resumable from the partial stores in ``OUT/history`` and
``OUT/projection``, which are removed once the fit table is written.

Files written to the output folder (names from :mod:`sim.run.folder`), data only:

- ``calibrated.yaml``: ``extends`` the input scenario (relative path) and sets the fitted values; its
  ``parameter_uncertainty`` holds the bootstrap draws (``kapsim run --parameter-uncertainty`` uses them);
- ``parameters.csv``: each fitted key path with estimate, bootstrap standard error and 90 % interval;
- ``fit.csv``: every observed row against the simulated mean and 90 % range (see ``check.FIT_COLUMNS``);
- ``facts.json``: what the page says that the tables do not: the scenario, data files, method, simulated
  period, cut, notes, the fitted stay families and the command (see :func:`page_facts`);
- ``curves.csv`` (with episodes): ``placement_type, curve, days, month, value``: the Kaplan-Meier estimate
  and each fitted family's survival curve (``days``), the monthly counts and the GLM's means (``month``).

A backtest fits on the data before the cut date and writes ``backtest.csv`` (the fit table with a
``window`` column, ``fit`` or ``test``) and ``backtest.json`` (error and 90 % coverage per window) instead
of ``fit.csv``. The pages (``calibration.html``, ``backtest.html``) are rendered from these files by the
report package (``sim.report.write_calibration_report``, ``write_backtest_report``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim import __version__
from sim.calibration import check, observations
from sim.calibration.aggregates import AggregateFit, fit_aggregates
from sim.calibration.data import DataError, Episodes, Occupancy, Yearly, load
from sim.calibration.episodes import EpisodesFit, fit_episodes
from sim.run.files import atomic_text
from sim.run.folder import (
    BACKTEST_CSV,
    BACKTEST_JSON,
    CALIBRATED,
    CALIBRATION_CURVES,
    CALIBRATION_FACTS,
    FIT,
    PARAMETERS,
    git_commit,
)
from sim.scenario.loading import load_scenario, scenario_hash
from sim.scenario.schema import Scenario

Progress = Callable[[str], None]


@dataclass
class Inputs:
    yearly: Yearly | None = None
    occupancy: Occupancy | None = None
    episodes: Episodes | None = None

    def files(self) -> list[str]:
        return [Path(x.path).name for x in (self.yearly, self.occupancy, self.episodes) if x is not None]


def read_inputs(data: str | None = None, episodes: str | None = None, occupancy: str | None = None) -> Inputs:
    """Load the files; ``data`` may be any of the three formats (told by its header)."""
    inputs = Inputs()
    for path, expect in ((data, None), (episodes, "episodes"), (occupancy, "occupancy")):
        if path is None:
            continue
        loaded = load(path, expect)
        kind = {Yearly: "yearly", Occupancy: "occupancy", Episodes: "episodes"}[type(loaded)]
        if getattr(inputs, kind) is not None:
            raise DataError(f"{path}: a second {kind} file; give one file of each format")
        setattr(inputs, kind, loaded)
    if inputs == Inputs():
        raise DataError("no data: give --data FILE (and optionally --episodes FILE, --occupancy FILE)")
    return inputs


def observation_table(inputs: Inputs, scenario: Scenario) -> pd.DataFrame:
    parts = []
    if inputs.yearly is not None:
        parts.append(observations.from_yearly(inputs.yearly, scenario))
    if inputs.occupancy is not None:
        parts.append(observations.from_occupancy(inputs.occupancy, scenario))
    if inputs.episodes is not None:
        parts.append(observations.from_episodes(inputs.episodes, scenario))
    obs = pd.concat(parts, ignore_index=True)
    if inputs.episodes is not None:  # the episodes give the parameters; the other rows check them
        others = obs["used"] & (obs["source"] != Path(inputs.episodes.path).name)
        obs.loc[others, "used"] = False
        obs.loc[others, "note"] = "shown: the parameters come from the episodes"
    return obs


def truncate(inputs: Inputs, cut: pd.Timestamp) -> Inputs:
    """The data as they were known on the day before ``cut``: later rows dropped, later discharges unknown."""
    out = Inputs()
    if inputs.yearly is not None:
        rows = inputs.yearly.rows
        keep = (rows["end"] <= cut) | (rows["measure"] == "places")  # places are a decision, known ahead
        out.yearly = replace(inputs.yearly, rows=rows[keep].reset_index(drop=True))
    if inputs.occupancy is not None:
        rows = inputs.occupancy.rows
        out.occupancy = replace(inputs.occupancy, rows=rows[rows["start"] < cut].reset_index(drop=True))
    if inputs.episodes is not None:
        rows = inputs.episodes.rows
        rows = rows[rows["admission"] < cut].copy()
        rows.loc[rows["discharge"] >= cut, "discharge"] = pd.NaT
        out.episodes = replace(inputs.episodes, rows=rows.reset_index(drop=True), as_of=cut)
    return out


@dataclass
class Fit:
    values: dict[str, Any]  # key path -> value
    draws: list[dict[str, float]]
    parameters: pd.DataFrame
    obs: pd.DataFrame
    surrogate: np.ndarray | None
    notes: list[str] = field(default_factory=list)
    episodes: EpisodesFit | None = None
    aggregates: AggregateFit | None = None
    method: str = ""


def _flat(values: dict[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in values.items():
        if isinstance(v, dict) and "amplitude" in v:
            out[f"{k}.amplitude"] = float(v["amplitude"])
        elif isinstance(v, float | int) and not isinstance(v, bool):
            out[k] = float(v)
    return out


def parameter_table(values: dict[str, Any], draws: list[dict[str, float]], sources: dict[str, str]) -> pd.DataFrame:
    rows = []
    for path, est in _flat(values).items():
        d = np.array([x[path] for x in draws if path in x], dtype=float)
        se = float(d.std(ddof=1)) if d.size > 1 else np.nan
        lo, hi = np.quantile(d, [0.05, 0.95]) if d.size > 1 else (np.nan, np.nan)
        rows.append((path, est, se, float(lo), float(hi), d.size, sources.get(path, "")))
    return pd.DataFrame(rows, columns=["parameter", "estimate", "se", "p05", "p95", "draws", "method"])


def fit(
    scenario: Scenario,
    inputs: Inputs,
    bootstrap: int = 50,
    seed: int = 0,
    hold=(),
    seasonality: str = "fourier",
) -> Fit:
    obs = observation_table(inputs, scenario)
    if inputs.episodes is not None:
        ep = fit_episodes(inputs.episodes, scenario, bootstrap, seed, seasonality)
        sources = {}
        for t, tf in ep.types.items():
            for k in ("per_year", "growth", "seasonality.amplitude"):
                sources[f"placement_types.{t}.demand.{k}"] = f"Poisson GLM of monthly counts ({seasonality} season)"
            aic = ", ".join(f"{f.distribution} {f.aic:.1f}" for f in tf.stays)
            for k in ("mean", "cv"):
                sources[f"placement_types.{t}.stay.{k}"] = f"censored MLE, {tf.stay.distribution} (AIC: {aic})"
        table = parameter_table(ep.values, ep.draws, sources)
        notes = list(ep.notes)
        if any(obs["source"] != Path(inputs.episodes.path).name):
            notes.append("with episodes, the yearly figures and occupancy series are shown, not fitted")
        return Fit(ep.values, ep.draws, table, obs, None, notes, episodes=ep, method="episodes")
    ag = fit_aggregates(obs, scenario, hold, bootstrap, seed)
    sources = {}
    for f in ag.frees:
        for t in f.types:
            path = {
                "level": f"placement_types.{t}.demand.per_year",
                "growth": f"placement_types.{t}.demand.growth",
                "stay": f"placement_types.{t}.stay.mean",
                "drift": f"placement_types.{t}.stay.drift",
                "amplitude": f"placement_types.{t}.demand.seasonality.amplitude",
            }[f.kind]
            sources[path] = f"surrogate least squares: {f.name}" + (
                f" (peak month {ag.peak_month})" if f.kind == "amplitude" else ""
            )
    table = parameter_table(ag.values, ag.draws, sources)
    return Fit(ag.values, ag.draws, table, obs, ag.predicted, list(ag.notes), aggregates=ag, method="surrogate")


def _rounded(path: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(f"{path}.{k}", v) for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    digits = 5 if path.endswith(("growth", "drift", "amplitude")) else 4 if path.endswith(("cv", "regions")) else 3
    return round(float(value), digits)


def _significant(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}") if math.isfinite(x) else x


def _nested(values: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """Key paths -> a nested mapping that ``extends`` merges correctly over the input scenario."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        keys = path.split(".")
        node = out
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        last = keys[-1]
        if last == "seasonality" and value is not None:  # replace the parent's form, never mix the two
            value = {"monthly": None, "amplitude": None, "peak_month": None, **value}
        if last == "distribution" and value != "empirical":
            node["observed"] = None
        if last == "regions":  # shares already rounded so that they sum to exactly 1
            node[last] = value
        elif isinstance(value, dict):
            node[last] = {k: _rounded(f"{path}.{k}", v) for k, v in value.items()}
        else:
            node[last] = _rounded(path, value)
    return out


def calibrated_yaml(scenario_path: Path, out: Path, scenario: Scenario, result: Fit, inputs: Inputs) -> str:
    rel = os.path.relpath(Path(scenario_path).resolve(), Path(out).resolve())
    body: dict[str, Any] = {
        "extends": rel,
        "name": f"{scenario.name}-calibrated",
        "description": f"{scenario.name} with demand and stays fitted to {', '.join(inputs.files())} "
        f"by kapsim calibrate ({result.method}).",
    }
    body.update(_nested(result.values, scenario))
    if result.draws:
        body["parameter_uncertainty"] = {
            "source": f"kapsim calibrate: {len(result.draws)} bootstrap draws ({result.method}) from "
            f"{', '.join(inputs.files())}",
            "apply": False,
            "draws": [{k: _significant(v) for k, v in d.items()} for d in result.draws],
        }
    head = [
        f"# Calibrated from {', '.join(inputs.files())} by kapsim calibrate ({result.method}).",
        "# Fitted values (estimate, bootstrap standard error):",
    ]
    for r in result.parameters.itertuples():
        head.append(f"#   {r.parameter} = {r.estimate:.5g} (se {r.se:.2g})")
    for note in result.notes:
        head.append(f"# Note: {note}")
    head.append("# kapsim run --parameter-uncertainty uses the draws: replication r takes draw r mod N.")
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)
    return "\n".join(head) + "\n" + text


def _span(obs: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    return obs["start"].min().normalize(), obs["end"].max().normalize()


@dataclass
class Outcome:
    calibrated: Scenario
    fit: Fit
    table: pd.DataFrame
    history_notes: list[str]
    files: list[Path]
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None  # what was simulated: [first, last)
    replications: int = 0


def calibrate(
    scenario_path: str | Path,
    inputs: Inputs,
    out: str | Path,
    bootstrap: int = 50,
    replications: int = 40,
    seed: int = 0,
    hold=(),
    seasonality: str = "fourier",
    progress: Progress | None = None,
    fit_inputs: Inputs | None = None,
    until: pd.Timestamp | None = None,
    cut: pd.Timestamp | None = None,
    workers: int = 1,
    executor: str = "processes",
    scheduler: str | None = None,
    progress_bar: bool = False,
) -> Outcome:
    """Fit (on ``fit_inputs`` if given, else ``inputs``), write calibrated.yaml and parameters.csv, simulate
    the calibrated scenario over the data (to ``until`` if given) and return the fit table.

    ``progress`` is told each step; the replications run on ``workers`` processes (or ``executor="dask"``,
    at ``scheduler``), with the runner's progress bar if ``progress_bar``, keeping their partial stores
    under ``out`` (see :func:`check.store_folders`) until :func:`check.remove_stores`.
    """
    say = progress or (lambda _: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(scenario_path)
    say(f"fitting to {', '.join((fit_inputs or inputs).files())}")
    result = fit(scenario, fit_inputs or inputs, bootstrap, seed, hold, seasonality)
    yaml_path = out / CALIBRATED
    atomic_text(yaml_path, calibrated_yaml(Path(scenario_path), out, scenario, result, fit_inputs or inputs))
    calibrated = load_scenario(yaml_path)
    params_path = out / PARAMETERS
    atomic_text(params_path, result.parameters.to_csv(index=False, float_format="%.6g", lineterminator="\n"))

    obs = observation_table(inputs, scenario) if fit_inputs is not None else result.obs
    if cut is not None:  # what came after the cut was not seen by the fit
        after = (obs["end"] > cut).to_numpy()
        obs.loc[after, "used"] = False
        obs.loc[after, "note"] = "after the cut: not fitted"
    first, last = _span(obs)
    known = check.places_known_from(inputs.yearly, inputs.occupancy)
    if known is not None and known > first:  # before it the places, and so the simulation, are a guess
        first = known
    if until is not None:
        last = max(last, until)
    history, notes = check.history_scenario(calibrated, first, last, replications, inputs.yearly, inputs.occupancy)
    say(f"simulating {replications} replications of {first.date()} to {last.date()}")
    past, ahead = check.store_folders(out)
    runs = check.RunOptions(past, workers, executor, scheduler, progress_bar, progress)
    simulated = check.simulate(history, obs, runs)
    surrogate = result.surrogate if fit_inputs is None else None
    table = check.fit_table(obs, simulated, surrogate)
    if cut is not None and inputs.episodes is not None:
        runs = replace(runs, folder=ahead)
        table, note = _project_from_cut(table, obs, calibrated, inputs, cut, last, replications, say, runs)
        notes = notes + [note]
    before = (obs["start"] < first).to_numpy()
    if before.any():
        table.loc[before, "note"] = [
            (n + "; " if n else "") + f"not simulated: before {first.date()}, the first date with places in the data"
            for n in table.loc[before, "note"]
        ]
        notes = notes + [f"{int(before.sum())} rows before {first.date()} are compared with the surrogate only"]
    return Outcome(calibrated, result, table, notes, [yaml_path, params_path], (first, last), replications)


def _project_from_cut(
    table: pd.DataFrame,
    obs: pd.DataFrame,
    calibrated: Scenario,
    inputs: Inputs,
    cut: pd.Timestamp,
    last: pd.Timestamp,
    replications: int,
    say: Progress,
    runs: check.RunOptions | None = None,
) -> tuple[pd.DataFrame, str]:
    """Replace the simulated columns of the rows from ``cut`` on by a run that starts on the cut date from
    what was known then, the youths placed and waiting (episodes), when the episodes can count them all."""
    from sim.calibration.snapshot import complete_from, start_state

    if cut < complete_from(inputs.episodes):
        return table, (
            f"rows from {cut.date()} on are projected from the simulated history: the episodes begin "
            f"too late to count the youths in place on the cut date"
        )
    state = start_state(inputs.episodes, calibrated, cut)
    ahead, _ = check.history_scenario(
        calibrated, cut, last, replications, inputs.yearly, inputs.occupancy, start_state=state
    )
    placed, waiting = (sum(r["count"] for r in state[k]) for k in ("placed", "waiting"))
    say(f"projecting {replications} replications from {cut.date()}: {placed} placed and {waiting} waiting")
    test = (obs["start"] >= cut).to_numpy()
    if test.any():
        part = check.fit_table(obs[test].reset_index(drop=True), check.simulate(ahead, obs[test], runs), None)
        part["note"] = [(n + "; " if n else "") + f"projected from the state on {cut.date()}" for n in part["note"]]
        for column in (
            "simulated_mean",
            "simulated_p05",
            "simulated_p95",
            "error",
            "relative_error",
            "inside_90",
            "note",
        ):
            table.loc[test, column] = part[column].to_numpy()
    return table, (
        f"rows from {cut.date()} on are projected from the {placed} youths placed and {waiting} "
        f"waiting on that date (episodes), not from the simulated history"
    )


def write_fit_table(path: Path, table: pd.DataFrame) -> None:
    atomic_text(path, table.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def page_facts(
    page: str, scenario_path, inputs: Inputs, outcome: Outcome, command: str = "", **more: Any
) -> dict[str, Any]:
    """What calibration.html or backtest.html (``page``) says that the tables do not, as plain data.

    ``title`` (the scenario file calibrated), ``scenario`` (its name), ``data`` (the files), ``method``,
    ``bootstrap`` draws, ``replications``, the ``simulated`` period, the fit's and the simulation's ``notes``,
    each type's ``stays`` (episodes: how many, how many censored, the fitted ``families``), and what made the
    files (``kapsim_version``, ``command``, ``commit``, ``scenario_sha256`` of the calibrated scenario);
    ``more`` adds the backtest's ``cut``, ``years`` and ``test_until``.
    """
    fit = outcome.fit
    first, last = outcome.period or (None, None)
    stays = {}
    if fit.episodes is not None:
        for t, tf in fit.episodes.types.items():
            stays[t] = {
                "stays": int(tf.stays_x.size),
                "censored": int(np.sum(tf.stays_censored)),
                "families": [
                    {"distribution": f.distribution, "mean": f.mean, "cv": f.cv, "aic": f.aic} for f in tf.stays
                ],
            }
    return {
        "page": page,
        "title": Path(scenario_path).name,
        "scenario": outcome.calibrated.name,
        "data": inputs.files(),
        "method": fit.method,
        "bootstrap": len(fit.draws),
        "replications": outcome.replications,
        "simulated": {
            "start": str(first.date()) if first is not None else None,
            "end": str(last.date()) if last is not None else None,
        },
        "notes": {"fit": list(fit.notes), "simulation": list(outcome.history_notes)},
        "stays": stays,
        **more,
        "kapsim_version": __version__,
        "command": command,
        "commit": git_commit(),
        "scenario_sha256": scenario_hash(outcome.calibrated),
    }


def curves_table(episodes: EpisodesFit | None) -> pd.DataFrame | None:
    """Per placement type of an episodes fit: the Kaplan-Meier estimate and each family's survival P(S > days)
    on 200 days up to the 99th percentile of the stays, the monthly counts of need arising and the GLM's
    means (``month``, the first day of the month); None without episodes."""
    if episodes is None:
        return None
    parts = []
    for t, tf in episodes.types.items():
        days, surv = tf.km
        parts.append(pd.DataFrame({"curve": "kaplan_meier", "days": days, "value": surv}).assign(placement_type=t))
        grid = np.linspace(0, float(np.quantile(tf.stays_x, 0.99)), 200)
        for f in tf.stays:
            parts.append(
                pd.DataFrame({"curve": f.distribution, "days": grid, "value": f.survival(grid)}).assign(
                    placement_type=t
                )
            )
        a = tf.admissions.table
        month = pd.to_datetime(a["start"]).dt.strftime("%Y-%m-%d").to_numpy()
        for curve, column in (("admissions", "count"), ("glm", "fitted")):
            parts.append(
                pd.DataFrame({"curve": curve, "month": month, "value": a[column].to_numpy(dtype=float)}).assign(
                    placement_type=t
                )
            )
    columns = ["placement_type", "curve", "days", "month", "value"]
    return pd.concat(parts, ignore_index=True).reindex(columns=columns) if parts else pd.DataFrame(columns=columns)


def write_page_data(out: Path, facts: dict[str, Any], outcome: Outcome) -> list[Path]:
    """facts.json, and curves.csv with episodes (a stale one removed without): what the page needs besides
    the tables."""
    out = Path(out)
    written = [out / CALIBRATION_FACTS]
    atomic_text(out / CALIBRATION_FACTS, json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
    curves = curves_table(outcome.fit.episodes)
    if curves is None:
        (out / CALIBRATION_CURVES).unlink(missing_ok=True)
    else:
        atomic_text(out / CALIBRATION_CURVES, curves.to_csv(index=False, float_format="%.6g", lineterminator="\n"))
        written.append(out / CALIBRATION_CURVES)
    return written


def run_calibrate(scenario_path, inputs: Inputs, out, command: str = "", **kw) -> Outcome:
    """``kapsim calibrate``: calibrated.yaml, parameters.csv, fit.csv, facts.json (and curves.csv), the data
    of calibration.html; the partial stores are removed once fit.csv is written."""
    out = Path(out)
    outcome = calibrate(scenario_path, inputs, out, **kw)
    write_fit_table(out / FIT, outcome.table)
    outcome.files.append(out / FIT)
    outcome.files += write_page_data(out, page_facts("calibration", scenario_path, inputs, outcome, command), outcome)
    check.remove_stores(out)
    return outcome


def summarise_backtest(table: pd.DataFrame) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for window in ("fit", "test"):
        rows = table[(table["window"] == window) & table["observed"].notna() & table["simulated_mean"].notna()]
        rel = rows["relative_error"].abs()
        summary[window] = {
            "rows": len(rows),
            "mean_absolute_relative_error": float(rel.mean()) if len(rows) else None,
            "inside_90_share": float(rows["inside_90"].mean()) if len(rows) else None,
        }
        by = {}
        for (measure, ptype), g in rows.groupby(["measure", "placement_type"]):
            by[f"{measure}[{ptype}]"] = {
                "rows": len(g),
                "mean_absolute_relative_error": float(g["relative_error"].abs().mean()),
                "mean_relative_error": float(g["relative_error"].mean()),
                "inside_90_share": float(g["inside_90"].mean()),
            }
        summary[window]["by_measure"] = by
    return summary


def run_backtest(
    scenario_path,
    inputs: Inputs,
    cut: pd.Timestamp,
    years: float,
    out,
    progress: Progress | None = None,
    command: str = "",
    **kw,
) -> tuple[Outcome, dict[str, Any]]:
    """``kapsim backtest``: fit on the data before ``cut``, project ``years`` and compare with what followed.

    Writes calibrated.yaml, parameters.csv, backtest.csv, backtest.json, facts.json (and curves.csv), the data
    of backtest.html; the partial stores are removed once backtest.csv is written.
    """
    out = Path(out)
    cut = pd.Timestamp(cut).normalize()
    horizon = cut + pd.DateOffset(days=round(years * 365.25))
    before = truncate(inputs, cut)
    if not before.files() or all(
        x is None or len(x.rows) == 0 for x in (before.yearly, before.occupancy, before.episodes)
    ):
        raise DataError(f"no data before the cut {cut.date()}")
    outcome = calibrate(scenario_path, inputs, out, progress=progress, fit_inputs=before, until=horizon, cut=cut, **kw)
    table = outcome.table
    start = pd.to_datetime(table["start"])
    end = pd.to_datetime(table["end"])
    window = np.where(end <= cut, "fit", np.where((start >= cut) & (start < horizon), "test", ""))
    table = table.assign(window=window)
    table = table[table["window"] != ""].reset_index(drop=True)
    summary = {
        "cut": str(cut.date()),
        "years": years,
        "test_until": str(horizon.date()),
        "data": inputs.files(),
        "method": outcome.fit.method,
        **summarise_backtest(table),
    }
    write_fit_table(out / BACKTEST_CSV, table)
    atomic_text(out / BACKTEST_JSON, json.dumps(summary, indent=2, ensure_ascii=False))
    outcome = replace(outcome, table=table)
    outcome.files += [out / BACKTEST_CSV, out / BACKTEST_JSON]
    facts = page_facts("backtest", scenario_path, inputs, outcome, command, cut=summary["cut"], years=years,
                       test_until=summary["test_until"])  # fmt: skip
    outcome.files += write_page_data(out, facts, outcome)
    check.remove_stores(out)
    return outcome, summary
