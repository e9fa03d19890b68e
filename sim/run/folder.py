"""Files on disk: atomic writes, the partial store that lets an interrupted run resume, the manifest."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import platform
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)

PACKAGES = ("simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "plotly", "click", "PyYAML")


def atomic_write(path: Path, write: Callable[[Any], None], mode: str = "wb") -> None:
    """Write through a temporary file in the same folder, then rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_text(path: Path, text: str) -> None:
    atomic_write(path, lambda fh: fh.write(text), mode="w")


def safe_child(folder: Path, name: str) -> Path:
    """``folder / name``, refusing a name that would escape the folder (``..``, absolute paths)."""
    child = (folder / name).resolve()
    if not child.is_relative_to(folder.resolve()):
        raise ValueError(f"output name '{name}' would be written outside {folder}")
    return child


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the source files that determine a run's numbers (all of sim/ but the CLI and reports).

    Stored results are reused, and partial runs resumed, only under the same fingerprint, so numbers from
    an older model are never mixed with or mistaken for the current one's.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root)
        if rel.parts[0] == "report" or rel.name in ("cli.py", "bench.py"):
            continue
        digest.update(str(rel).encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


class PartialStore:
    """Finished replications of an unfinished run, one compressed file per chunk, in ``OUT/.partial``.

    The store belongs to one resolved scenario (its hash) and one model (:func:`code_fingerprint`): a
    store left by a different scenario is refused rather than mixed in, and one left by other model code
    is discarded.
    """

    def __init__(self, out: Path, scenario_hash: str):
        self.dir = out / ".partial"
        self.hash = scenario_hash

    def open(self) -> None:
        meta = self.dir / "meta.json"
        mine = {"scenario_sha256": self.hash, "code_sha256": code_fingerprint()}
        if meta.exists():
            old = json.loads(meta.read_text())
            if old.get("scenario_sha256") != self.hash:
                raise FileExistsError(
                    f"{self.dir} holds an unfinished run of a different scenario; "
                    "delete it or choose another --out folder"
                )
            if old.get("code_sha256") != mine["code_sha256"]:
                self.remove()  # finished by other model code: its numbers must not be mixed in
        if not meta.exists():
            atomic_text(meta, json.dumps(mine))

    def save(self, reps: np.ndarray, values: np.ndarray, daily: np.ndarray) -> None:
        """Save a chunk as .npz; the daily counts as int16 when they fit, deflated at level 1.

        Level 1 compresses these mostly-repeating counts as well as the default level at a tenth of the
        time, which matters because the saving process competes with the workers for the cores.
        """
        name = f"chunk-{int(reps[0]):06d}-{int(reps[-1]):06d}.npz"
        if daily.size and daily.max() < np.iinfo(np.int16).max:
            daily = daily.astype(np.int16)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for key, array in (("reps", reps), ("values", values), ("daily", daily)):
                with archive.open(f"{key}.npy", "w") as fh:
                    np.save(fh, array)
        atomic_write(self.dir / name, lambda fh: fh.write(buf.getvalue()))

    def chunks(self):
        """Yield (reps, values, daily) of every saved chunk; corrupt or foreign files are skipped."""
        if not self.dir.is_dir():
            return
        for f in sorted(self.dir.glob("chunk-*.npz")):
            try:
                with np.load(f) as z:
                    yield z["reps"], z["values"], z["daily"]
            except Exception:  # a file we cannot read is as good as not finished: recompute it
                f.unlink(missing_ok=True)

    def remove(self) -> None:
        if self.dir.is_dir():
            for f in self.dir.iterdir():
                f.unlink()
            self.dir.rmdir()


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
    import pandas as pd

    from sim import __version__
    from sim.engine.clock import Clock
    from sim.results.statistics import QUANTILES, summarise
    from sim.scenario.loading import resolved_yaml, scenario_hash

    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)
    (out / "observed.csv").unlink(missing_ok=True)  # observed data belong to the run that was given them
    layout = result.layout
    summary = summarise(layout.keys, result.values)
    atomic_write(out / "summary.csv", lambda fh: summary.to_csv(fh, index=False, float_format="%.10g"), mode="w")

    metric, scope, ptype = zip(*layout.keys) if layout.keys else ((), (), ())
    n_rep, n_key = result.values.shape
    reps_frame = pd.DataFrame(
        {
            "replication": np.repeat(result.reps, n_key),
            "metric": np.tile(np.array(metric, dtype=object), n_rep),
            "scope": np.tile(np.array(scope, dtype=object), n_rep),
            "placement_type": np.tile(np.array(ptype, dtype=object), n_rep),
            "value": result.values.ravel(),
        }
    )
    atomic_write(out / "replications.parquet", lambda fh: reps_frame.to_parquet(fh, index=False))

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
    atomic_write(out / "timeseries.parquet", lambda fh: ts.to_parquet(fh, index=False))

    atomic_text(out / "scenario.resolved.yaml", resolved_yaml(scenario))
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
        "files": ["summary.csv", "replications.parquet", "timeseries.parquet", "scenario.resolved.yaml"],
    }
    atomic_text(out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    PartialStore(out, "").remove()
    return manifest
