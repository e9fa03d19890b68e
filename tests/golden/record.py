"""Fingerprints of a scenario's records and outputs (see the package docstring)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from sim.run.folder import write_run
from sim.run.runner import run
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario, with_horizon

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REPLICATIONS = 4  # enough to exercise the statistics (intervals, quantiles) and keep the test quick
RECORD_FIELDS = ("admitted", "unit", "left", "withdrawn", "open_log", "moves", "openings", "overdue")
YOUTH_FIELDS = ("arrival", "type", "home", "high_security", "stay", "patience", "start_unit", "profile")


def scenario_paths() -> list[Path]:
    """Every shipped scenario, the calibration truth and the policy scenarios of the golden set."""
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    paths.append(ROOT / "calibration" / "examples" / "truth.yaml")
    paths.extend(sorted((HERE / "scenarios").glob("*.yaml")))
    return paths


def golden_name(path: Path) -> str:
    return f"{path.parent.name}-{path.stem}"


def _digest(arrays: list[tuple[str, np.ndarray]]) -> str:
    h = hashlib.sha256()
    for name, a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def records_digest(rec) -> str:
    """SHA-256 over the arrays of one replication's records and its youths."""
    arrays = [(f, getattr(rec.youths, f)) for f in YOUTH_FIELDS]
    arrays += [(f, np.asarray(getattr(rec, f))) for f in RECORD_FIELDS]
    arrays.append(("end", np.array([rec.end])))
    return _digest(arrays)


def _frame_digest(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for col in frame.columns:
        h.update(str(col).encode())
        values = frame[col].to_numpy()
        if values.dtype == object:
            h.update("\x1f".join(map(str, values)).encode())
        else:
            h.update(np.ascontiguousarray(values.astype(values.dtype.newbyteorder("<"))).tobytes())
    return h.hexdigest()


def fingerprint(path: Path) -> dict:
    """The golden record of one scenario file (records per replication, then the run folder's files)."""
    scenario = with_horizon(load_scenario(path), replications=REPLICATIONS)
    exp = Experiment(scenario)
    records = {str(r): records_digest(exp.records(r)) for r in range(REPLICATIONS)}
    with tempfile.TemporaryDirectory(prefix="kapsim-golden-") as tmp:
        out = Path(tmp) / "run"
        result = run(scenario, out, workers=1, progress=False)
        write_run(out, scenario, result, "golden", 0.0)
        summary = (out / "summary.csv").read_text(encoding="utf-8")
        by_year = (out / "summary_by_year.csv").read_text(encoding="utf-8")
        frame = pd.read_parquet(out / "replications.parquet")
        window = frame[frame["year"].isna()].drop(columns="year").reset_index(drop=True)
        reps = _frame_digest(window)
        reps_by_year = _frame_digest(frame[frame["year"].notna()].reset_index(drop=True))
        ts = _frame_digest(pd.read_parquet(out / "timeseries.parquet"))
    return {
        "scenario": str(path.relative_to(ROOT)),
        "records": records,
        "summary_csv": summary.splitlines(),
        "replications_parquet": reps,
        "timeseries_parquet": ts,
        "summary_by_year_csv": hashlib.sha256(by_year.encode()).hexdigest(),
        "replications_by_year": reps_by_year,
    }


def golden_file(path: Path) -> Path:
    return HERE / f"{golden_name(path)}.json"


def write_all() -> list[Path]:
    written = []
    for path in scenario_paths():
        target = golden_file(path)
        target.write_text(json.dumps(fingerprint(path), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written
