"""The run folder: the names and formats of every file kapsim writes, one home for all of them.

A run folder (``kapsim run``) holds:

- ``summary.csv``: one row per metric, scope and placement type: ``metric, scope, placement_type, mean,
  ci_low, ci_high, std, n`` (95 % Student-t interval over replications);
- ``replications.parquet``: ``replication, metric, scope, placement_type, value``, one row per replication
  and key;
- ``timeseries.parquet``: ``date, measure, scope, mean, p05, p25, p50, p75, p95``, the daily series across
  replications;
- ``scenario.resolved.yaml``: the merged scenario that ran; ``manifest.json``: versions, seed, command,
  timing, and the hashes that identify the run. The manifest is the commit mark: written last;
- ``report.html`` (the report package writes it), ``observed.csv`` (observed occupancy given with
  ``--observed``), and ``.partial/`` while a run is unfinished.

The experiments and calibration write the files named below into their own folders. Every module that
reads or writes one of these files takes its name from here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.run.files import atomic_text, atomic_write

# a run (kapsim run)
SUMMARY = "summary.csv"
SUMMARY_BY_YEAR = "summary_by_year.csv"
REPLICATIONS = "replications.parquet"
TIMESERIES = "timeseries.parquet"
RESOLVED = "scenario.resolved.yaml"
MANIFEST = "manifest.json"
OBSERVED = "observed.csv"
DECISIONS = "decisions.csv"
REPORT = "report.html"
PARTIAL = ".partial"
PARTIAL_META = "meta.json"
# what the manifest lists; the manifest commits them
RUN_FILES = (SUMMARY, SUMMARY_BY_YEAR, REPLICATIONS, TIMESERIES, RESOLVED)
# experiments
COMPARISON = "comparison.csv"
COMPARISON_BY_YEAR = "comparison_by_year.csv"
COMPARISON_PAGE = "comparison.html"
SWEEP = "sweep.csv"
SWEEP_BY_YEAR = "sweep_by_year.csv"
POINTS = "points.csv"
SWEEP_PAGE = "sweep.html"
SIZE_JSON = "size.json"
SIZE_CSV = "size.csv"
SIZE_BY_YEAR_JSON = "size_by_year.json"
SIZE_BY_YEAR_CSV = "size_by_year.csv"
SIZE_BY_YEAR_PAGE = "size_by_year.html"
# calibration
CALIBRATED = "calibrated.yaml"
PARAMETERS = "parameters.csv"
FIT = "fit.csv"
CALIBRATION_PAGE = "calibration.html"
BACKTEST_CSV = "backtest.csv"
BACKTEST_JSON = "backtest.json"
BACKTEST_PAGE = "backtest.html"
CALIBRATION_FACTS = "facts.json"  # what calibration.html / backtest.html say: title, data, method, cut, notes
CALIBRATION_CURVES = "curves.csv"  # with episodes: Kaplan-Meier and fitted stays, monthly admissions and GLM
CALIBRATION_HISTORY = "history"  # sub-folder of the history simulation's partial store (while unfinished)
CALIBRATION_PROJECTION = "projection"  # sub-folder of a backtest projection's partial store (while unfinished)

SUMMARY_COLUMNS = ["metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "std", "n"]
PACKAGES = ("simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "plotly", "click", "PyYAML")


def write_csv(path: Path, frame: pd.DataFrame, float_format: str | None = "%.6g") -> None:
    """A table as CSV, atomically, with the float format of kapsim's tables."""
    atomic_write(path, lambda fh: frame.to_csv(fh, index=False, float_format=float_format), mode="w")


def read_summary(folder: Path) -> pd.DataFrame:
    """``summary.csv`` of a run folder (an empty cell is NaN, a scope named 'NA' stays a name)."""
    return pd.read_csv(Path(folder) / SUMMARY, keep_default_na=False, na_values=[""])


def read_manifest(folder: Path) -> dict[str, Any]:
    """``manifest.json`` of a folder, or {} if it has none or it cannot be read."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def read_resolved(folder: Path) -> dict[str, Any]:
    """``scenario.resolved.yaml`` as plain data, or {} if the folder has none."""
    import yaml

    path = Path(folder) / RESOLVED
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def read_replications(folder: Path):
    """(keys, replication numbers, values [replication, key], years, by_year [replication, year, key]) from
    ``replications.parquet``: the whole window's values and each calendar year's (years: their numbers)."""
    frame = pd.read_parquet(Path(folder) / REPLICATIONS)
    if "year" not in frame:
        frame["year"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    window = frame[frame["year"].isna()]
    reps = np.sort(window.replication.unique())
    first = window[window.replication == reps[0]]
    keys = tuple(zip(first.metric.astype(str), first.scope.astype(str), first.placement_type.astype(str)))

    def matrix(rows: pd.DataFrame) -> np.ndarray:
        rows = rows.sort_values("replication", kind="stable")  # rows keep the key order within a replication
        return rows.value.to_numpy(dtype=float).reshape(len(reps), len(keys))

    years = sorted(int(y) for y in frame["year"].dropna().unique())
    by_year = np.stack([matrix(frame[frame["year"].eq(y).fillna(False)]) for y in years], axis=1) if years else None
    return keys, reps, matrix(window), years, by_year


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the source files that determine a run's numbers (all of sim/ but the CLI and reports).

    Stored results are reused, and partial runs resumed, only under the same fingerprint, so numbers from
    an older model are never mixed with or mistaken for the current one's.
    """
    root = Path(__file__).resolve().parents[1]  # sim/
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root)
        if rel.parts[0] == "report" or rel.name in ("cli.py", "bench.py"):
            continue
        digest.update(str(rel).encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def git_commit() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict[str, Any]:
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": versions}


def write_run(out: Path, scenario, result, command: str, seconds: float) -> dict[str, Any]:
    """Write every output of a finished run into ``out`` and remove its partial store.

    ``manifest.json`` is the commit mark: it is removed first and written last, so a folder with a manifest
    always holds one complete, consistent run, even if this is killed between two files. Returns the
    manifest.
    """
    from sim import __version__
    from sim.engine.clock import Clock
    from sim.results.statistics import QUANTILES, summarise, summarise_by_year
    from sim.scenario.loading import resolved_yaml, scenario_hash

    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    (out / OBSERVED).unlink(missing_ok=True)  # observed data belong to the run that was given them
    layout = result.layout
    write_csv(out / SUMMARY, summarise(layout.keys, result.values), float_format="%.10g")
    by_year = summarise_by_year(layout.keys, layout.years, result.by_year)
    write_csv(out / SUMMARY_BY_YEAR, by_year, float_format="%.10g")
    reps_frame = replications_frame(layout.keys, layout.years, result.reps, result.values, result.by_year)
    atomic_write(out / REPLICATIONS, lambda fh: reps_frame.to_parquet(fh, index=False))
    n_rep = len(result.reps)
    files = list(RUN_FILES)
    (out / DECISIONS).unlink(missing_ok=True)
    if scenario.capacity_rule is not None:
        write_csv(out / DECISIONS, decisions_frame(scenario, result.decisions), float_format="%.10g")
        files.append(DECISIONS)

    clock = Clock.from_horizon(scenario.horizon)
    dates = np.datetime64(scenario.horizon.start, "D") + np.arange(layout.days)
    mean = result.daily.mean()
    frames = []
    for k, (measure, where) in enumerate(layout.series):
        cols = {"date": dates, "measure": measure, "scope": where, "mean": mean[k]}
        for q in QUANTILES:
            cols[f"p{round(q * 100):02d}"] = result.daily.quantile(k, q)
        frames.append(pd.DataFrame(cols))
    ts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    atomic_write(out / TIMESERIES, lambda fh: ts.to_parquet(fh, index=False))

    atomic_text(out / RESOLVED, resolved_yaml(scenario))
    manifest = {
        "kapsim_version": __version__,
        "commit": git_commit(),
        "command": command,
        "scenario": scenario.name,
        "scenario_sha256": scenario_hash(scenario),
        "code_sha256": code_fingerprint(),
        "seed": scenario.horizon.seed,
        "replications": int(n_rep),
        "resumed_replications": int(result.resumed),
        "simulated_days_per_replication": clock.end,
        "observed_days": layout.days,
        "wall_seconds": round(seconds, 3),
        "environment": environment(),
        "files": files,
    }
    atomic_text(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    clear_partial(out)
    return manifest


ACTIONS = {1: "add", -1: "remove", 0: "keep"}


def decisions_frame(scenario, decisions: np.ndarray | None) -> pd.DataFrame:
    """``decisions.csv``: every review of the capacity rule in every replication: ``replication, date,
    action (add, remove, keep), places_before, places_after, reason``; places are the rule's places decided
    (added ones open ``lead_days`` later)."""
    from sim.engine.capacity_rule import REASONS
    from sim.engine.clock import Clock

    columns = ["replication", "date", "action", "places_before", "places_after", "reason"]
    if decisions is None or not len(decisions):
        return pd.DataFrame(columns=columns)
    clock = Clock.from_horizon(scenario.horizon)
    dates = np.datetime64(clock.origin, "D") + np.floor(decisions[:, 1]).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "replication": decisions[:, 0].astype(np.int64),
            "date": pd.to_datetime(dates).strftime("%Y-%m-%d"),
            "action": [ACTIONS[int(a)] for a in decisions[:, 2]],
            "places_before": decisions[:, 3].astype(np.int64),
            "places_after": decisions[:, 4].astype(np.int64),
            "reason": [REASONS[int(r)] for r in decisions[:, 5]],
        },
        columns=columns,
    )


def replications_frame(keys, years, reps: np.ndarray, values: np.ndarray, by_year: np.ndarray) -> pd.DataFrame:
    """``replications.parquet``: ``replication, metric, scope, placement_type, value, year``; first every
    replication's whole-window values (year empty), then each calendar year's. Names are categorical: a
    thousand replications of ten years are millions of rows."""
    n_rep, n_key = values.shape
    n_year = len(years)
    blocks = 1 + n_year
    key_index = np.tile(np.arange(n_key), n_rep * blocks)
    year_of_block = np.array([-1] + [y for y, _, _ in years], dtype=np.int64)
    # rows: block 0 (the window) for every replication, then block 1 for every replication, ...
    cube = np.concatenate([values[None], np.moveaxis(by_year, 1, 0)]) if n_year else values[None]
    names = [list(dict.fromkeys(k[i] for k in keys)) for i in range(3)]
    codes = [np.array([names[i].index(k[i]) for k in keys], dtype=np.int32) for i in range(3)]
    year = pd.array(np.repeat(year_of_block, n_rep * n_key), dtype="Int64")
    year[: n_rep * n_key] = pd.NA
    return pd.DataFrame(
        {
            "replication": np.tile(np.repeat(reps, n_key), blocks),
            **{
                col: pd.Categorical.from_codes(codes[i][key_index], categories=names[i])
                for i, col in enumerate(("metric", "scope", "placement_type"))
            },
            "value": cube.reshape(-1),
            "year": year,
        }
    )


def clear_partial(out: Path) -> None:
    """Remove the partial store of ``out``: the files kapsim wrote there, and the folder if that empties it."""
    folder = Path(out) / PARTIAL
    if not folder.is_dir():
        return
    for f in folder.iterdir():
        ours = f.name == PARTIAL_META or (f.name.startswith("chunk-") and f.suffix == ".npz")
        if ours or (f.name.startswith((".chunk-", f".{PARTIAL_META}.")) and f.suffix == ".tmp"):
            f.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:  # something of somebody else's is in it: leave it
        pass
