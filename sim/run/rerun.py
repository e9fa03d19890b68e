"""Regenerate a run from its output folder and check that every number comes out identical."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.run.folder import MANIFEST, REPLICATIONS, RESOLVED, SUMMARY, TIMESERIES, environment, write_run
from sim.run.runner import run
from sim.scenario.loading import load_scenario, scenario_hash

COMPARED = (SUMMARY, REPLICATIONS, TIMESERIES)


@dataclass
class RerunReport:
    identical: bool
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def rerun(folder: Path, workers: int = 1, progress: bool = True) -> RerunReport:
    """Run the scenario in ``folder/scenario.resolved.yaml`` again with the manifest's seed and replications.

    Compares summary, replications and daily series with the saved files. Differences in the Python or
    package versions are reported as notes: they are the usual reason a rerun differs.
    """
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    scenario = load_scenario(folder / RESOLVED)
    notes = []
    if scenario_hash(scenario) != manifest["scenario_sha256"]:
        notes.append("scenario.resolved.yaml does not match the manifest's hash: it was edited after the run")
    now = environment()
    then = manifest.get("environment", {})
    for key in ("python",):
        if then.get(key) != now[key]:
            notes.append(f"{key} {then.get(key)} then, {now[key]} now")
    for name, version in now["packages"].items():
        old = then.get("packages", {}).get(name)
        if old != version:
            notes.append(f"{name} {old} then, {version} now")
    differences = []
    with tempfile.TemporaryDirectory(prefix="kapsim-rerun-") as tmp:
        out = Path(tmp) / "rerun"
        result = run(scenario, out, workers=workers, progress=progress)
        write_run(out, scenario, result, manifest.get("command", ""), result.wall_seconds)
        for name in COMPARED:
            old, new = folder / name, out / name
            if not old.exists():
                differences.append(f"{name}: missing from {folder}")
                continue
            a, b = _read(old), _read(new)
            try:
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            except AssertionError as exc:
                first = str(exc).strip().splitlines()
                differences.append(f"{name}: differs ({' '.join(first[:3])})")
    return RerunReport(identical=not differences, differences=differences, notes=notes)
