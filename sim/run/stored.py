"""A scenario's finished results in a folder: reused when they match, otherwise run (resuming) and written.

The experiments (compare, sweep, size) run many scenarios, each into its own folder with the files of
``kapsim run``. A folder counts as finished when its ``manifest.json`` names the same scenario hash (which
covers the seed and the number of replications) and the same model code (``code_sha256``), and its
``replications.parquet`` can be read; then nothing is simulated again. An unfinished folder resumes from
its ``.partial`` store.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.results.measures import Key
from sim.run.folder import (
    PARTIAL,
    PARTIAL_META,
    REPLICATIONS,
    code_fingerprint,
    read_manifest,
    read_replications,
    write_run,
)
from sim.run.partial import PartialStore
from sim.run.runner import run
from sim.scenario.loading import scenario_hash
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Stored:
    """Per-replication values of one scenario's metrics, and where they are on disk."""

    scenario: Scenario
    folder: Path
    keys: tuple[Key, ...]  # (metric, scope, placement_type) of each column
    reps: np.ndarray  # replication numbers, sorted
    values: np.ndarray  # [replication, key]
    reused: bool  # taken from a finished folder, nothing simulated
    seconds: float  # wall time spent now (0 if reused)
    years: tuple[int, ...] = ()  # calendar years of ``by_year``
    by_year: np.ndarray | None = None  # [replication, year, key]

    def column(self, key: Key) -> np.ndarray:
        """Values of one (metric, scope, placement_type) in ``reps`` order; KeyError if the run lacks it."""
        return self.values[:, self.keys.index(key)]


def finished(folder: Path, scenario: Scenario) -> bool:
    """Whether ``folder`` holds a complete run of exactly this scenario."""
    manifest = read_manifest(folder)
    return (
        manifest.get("scenario_sha256") == scenario_hash(scenario)
        and manifest.get("code_sha256") == code_fingerprint()
        and manifest.get("replications") == scenario.horizon.replications
        and (folder / REPLICATIONS).is_file()
    )


def read(folder: Path, scenario: Scenario) -> Stored:
    """The per-replication values of a finished folder (rows of ``replications.parquet`` as a matrix)."""
    keys, reps, values, years, by_year = read_replications(folder)
    return Stored(scenario, folder, keys, reps, values, True, 0.0, tuple(years), by_year)


def obtain(
    scenario: Scenario,
    folder: Path,
    command: str,
    workers: int = 1,
    progress: bool = True,
    executor: str = "processes",
    scheduler: str | None = None,
) -> Stored:
    """The results of ``scenario`` in ``folder``: read if finished, else simulated (resuming) and written.

    ``workers``, ``executor`` and ``scheduler`` are passed to :func:`sim.run.runner.run`. Raises
    ``sim.run.runner.Interrupted`` on Ctrl-C, with the finished replications kept in ``folder/.partial``.
    """
    if finished(folder, scenario):
        try:
            return read(folder, scenario)
        except Exception:  # an unreadable file is as good as no file: simulate again
            pass
    _drop_foreign_partial(folder, scenario_hash(scenario))
    started = time.perf_counter()
    result = run(scenario, folder, workers=workers, progress=progress, executor=executor, scheduler=scheduler)
    write_run(folder, scenario, result, command, result.wall_seconds)
    keys = tuple(result.layout.keys)
    years = tuple(y for y, _, _ in result.layout.years)
    seconds = time.perf_counter() - started
    return Stored(scenario, folder, keys, result.reps, result.values, False, seconds, years, result.by_year)


def _drop_foreign_partial(folder: Path, digest: str) -> None:
    """Remove an unfinished run of a different scenario: experiment folders are named by the experiment,
    so a partial store from an earlier version of a scenario (edited since) can only be stale."""
    meta = folder / PARTIAL / PARTIAL_META
    try:
        old = json.loads(meta.read_text(encoding="utf-8")).get("scenario_sha256")
    except (OSError, ValueError):
        return
    if old != digest:
        PartialStore(folder, digest).remove()
