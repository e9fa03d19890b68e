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

Every folder kapsim writes is kapsim's: it holds the mark ``.kapsim`` (or, from before the mark, a manifest
kapsim wrote). :func:`claim` lets a command write into a folder only if it is new, empty or kapsim's, and
holds it (an exclusive lock on the mark, released when the process ends, however it ends) so that two
commands never write into one folder at once. :func:`write_run` replaces a run as a whole: it removes the
previous run's files (the manifest first) before it writes the new ones (the manifest last), so the folder
holds one run's files or an incomplete set without a manifest, never files of two runs; the manifest
records each file's SHA-256, which :func:`run_problems` checks.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import json
import os
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
OWNER = ".kapsim"  # the mark of a folder kapsim writes, and the lock of the command writing into it
# what the manifest lists; the manifest commits them
RUN_FILES = (SUMMARY, SUMMARY_BY_YEAR, REPLICATIONS, TIMESERIES, RESOLVED)
# every file of a run: removed before a new run in the folder is written, the manifest first
RUN_OUTPUTS = (MANIFEST, REPORT, OBSERVED, DECISIONS, *RUN_FILES)
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
PLACE_JSON = "place.json"
PLACE_CSV = "place.csv"
PLACE_PAGE = "place.html"
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


class FolderRefused(Exception):
    """An output folder (or file) kapsim may not write into now; the message names it and says why."""


def is_kapsim_manifest(manifest: dict[str, Any]) -> bool:
    """Whether a manifest's content is one kapsim wrote (a user's own manifest.json is not)."""
    return isinstance(manifest, dict) and "kapsim_version" in manifest and "scenario_sha256" in manifest


def owned(folder: Path) -> bool:
    """Whether ``folder`` is kapsim's: it holds the mark or, written before the mark, a manifest (or a
    calibration's facts.json) kapsim wrote, or run folders kapsim wrote (an experiment's folder)."""
    folder = Path(folder)
    if (folder / OWNER).is_file() or is_kapsim_manifest(read_manifest(folder)):
        return True
    try:
        facts = json.loads((folder / CALIBRATION_FACTS).read_text(encoding="utf-8"))
        if is_kapsim_manifest(facts):
            return True
    except (OSError, ValueError):
        pass
    try:
        subfolders = [p for p in folder.iterdir() if p.is_dir() and p.name != PARTIAL][:50]
    except OSError:
        return False
    return any(is_kapsim_manifest(read_manifest(p)) for p in subfolders)


def mark(folder: Path) -> None:
    """Make ``folder`` kapsim's: create its mark, unless it has one. The mark is never replaced, since the lock
    of :func:`claim` is on it."""
    try:
        fd = os.open(Path(folder) / OWNER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write('{"written_by": "kapsim", "note": "this folder holds outputs of kapsim, which may replace them"}\n')


_HELD: dict[int, Path] = {}  # descriptors of the marks this process holds locked


class Claim:
    """A folder held by this process for one command; :meth:`release` (or the process's end) lets it go. A
    folder the claim created and the command left empty is removed again: a refused command writes nothing."""

    def __init__(self, folder: Path, fd: int, created: bool):
        self.folder, self.fd, self.created = folder, fd, created

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            if self.created and [p.name for p in self.folder.iterdir()] == [OWNER]:
                (self.folder / OWNER).unlink()
                self.folder.rmdir()
        except OSError:
            pass
        _HELD.pop(self.fd, None)
        os.close(self.fd)
        self.fd = -1


def claim(folder: Path, force: bool = False, what: str = "--out") -> Claim:
    """Create ``folder`` if needed and hold it for writing, or raise FolderRefused naming it.

    It must be new, empty or kapsim's (:func:`owned`), unless ``force``; and no other kapsim command may be
    writing into it (an exclusive lock on its mark, released when this process ends, even by kill -9).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FolderRefused(f"{folder} is a file, not a folder: give {what} a folder")
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolderRefused(f"cannot create the output folder {folder} ({exc.strerror or exc})") from None
    if not owned(folder):
        try:
            entries = sorted(p.name for p in folder.iterdir())
        except OSError as exc:
            raise FolderRefused(f"cannot read the output folder {folder} ({exc.strerror or exc})") from None
        if entries and not force:
            shown = ", ".join(entries[:4]) + (", ..." if len(entries) > 4 else "")
            raise FolderRefused(
                f"{folder} holds files kapsim did not write ({shown}); kapsim writes only into a new or empty "
                f"folder or one it wrote: choose another {what}, or give --force to write into it (files of the "
                "names kapsim writes are then replaced)"
            )
    try:
        mark(folder)
        fd = os.open(folder / OWNER, os.O_RDONLY)
    except OSError as exc:
        raise FolderRefused(f"cannot write into the output folder {folder} ({exc.strerror or exc})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise FolderRefused(
                f"{folder} is in use by another kapsim command writing into it: wait until it ends, or choose "
                f"another {what}"
            ) from None
        raise
    _HELD[fd] = folder
    return Claim(folder, fd, created)


def forget_inherited_claims() -> None:
    """In a worker process forked from a command: close its copies of the command's locked marks (the
    command keeps its own, so the locks hold), so that a worker outliving its command holds no folder."""
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
        _HELD.pop(fd, None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_problems(folder: Path, needed: tuple[str, ...] | None = None) -> list[str]:
    """Why ``folder`` does not hold one complete run whose files agree (empty if it does).

    The manifest must be kapsim's, and every file it commits that is there must have the SHA-256 it records
    (older manifests without them: the resolved scenario's hash, seed and replications must match the
    manifest's). Of the committed files, those in ``needed`` (default: all) must be there: the report, say,
    needs only the aggregated ones.
    """
    import yaml

    folder = Path(folder)
    manifest = read_manifest(folder)
    if not (folder / MANIFEST).is_file():
        return [f"no {MANIFEST}: it is not a kapsim output folder, or its run did not finish"]
    if not is_kapsim_manifest(manifest):
        return [f"{MANIFEST} was not written by kapsim: it is not a kapsim output folder"]
    problems = []
    digests = manifest.get("file_sha256") or {}
    for name in manifest.get("files") or RUN_FILES:
        path = folder / name
        if not path.is_file():
            if needed is None or name in needed:
                problems.append(f"{name} is missing")
        elif name in digests and file_sha256(path) != digests[name]:
            problems.append(f"{name} is not the file of the manifest's run (another run's, or changed since)")
    if digests or problems:
        return problems
    try:
        from sim.scenario.loading import scenario_hash
        from sim.scenario.schema import Scenario

        resolved = yaml.safe_load((folder / RESOLVED).read_text(encoding="utf-8"))
        scenario = Scenario.model_validate(resolved)
    except Exception:  # an old or edited file: say so
        return [f"{RESOLVED} cannot be read as a scenario"]
    if scenario_hash(scenario) != manifest.get("scenario_sha256"):
        problems.append(f"{RESOLVED} is not the scenario of the manifest (its hash differs)")
    if scenario.horizon.seed != manifest.get("seed"):
        seeds = f"{scenario.horizon.seed} in {RESOLVED}, {manifest.get('seed')} in {MANIFEST}"
        problems.append(f"the seed differs: {seeds}")
    n = pd.read_csv(folder / SUMMARY, usecols=["n"])["n"].max()
    if manifest.get("replications") != scenario.horizon.replications or n != manifest.get("replications"):
        problems.append(
            f"the replications differ: {scenario.horizon.replications} in {RESOLVED}, {n} in {SUMMARY}, "
            f"{manifest.get('replications')} in {MANIFEST}"
        )
    return problems


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

    ``manifest.json`` is the commit mark: it is removed first and written last, and every other file of the
    previous run (the report too) goes before a new one is written, so a folder with a manifest always holds
    one complete, consistent run, and one without holds files of one run only, even if this is killed
    between two files. The manifest records each file's SHA-256. Returns the manifest.
    """
    from sim import __version__
    from sim.engine.clock import Clock
    from sim.results.statistics import QUANTILES, summarise, summarise_by_year
    from sim.scenario.loading import resolved_yaml, scenario_hash

    out.mkdir(parents=True, exist_ok=True)
    mark(out)
    for name in RUN_OUTPUTS:  # the manifest first; observed data belong to the run that was given them
        (out / name).unlink(missing_ok=True)
    layout = result.layout
    write_csv(out / SUMMARY, summarise(layout.keys, result.values), float_format="%.10g")
    by_year = summarise_by_year(layout.keys, layout.years, result.by_year)
    write_csv(out / SUMMARY_BY_YEAR, by_year, float_format="%.10g")
    reps_frame = replications_frame(layout.keys, layout.years, result.reps, result.values, result.by_year)
    atomic_write(out / REPLICATIONS, lambda fh: reps_frame.to_parquet(fh, index=False))
    n_rep = len(result.reps)
    files = list(RUN_FILES)
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
        "file_sha256": {name: file_sha256(out / name) for name in files},
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
