"""Replications: serial or in worker processes, chunked, streamed into statistics, resumable.

Each replication's random numbers depend only on the scenario seed and the replication number, so the
results are the same whatever the order, the chunking or the number of workers.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from sim.results.measures import Layout
from sim.results.statistics import DailyQuantiles
from sim.run.folder import PartialStore
from sim.run.worker import Experiment
from sim.scenario.loading import scenario_hash
from sim.scenario.schema import Scenario

_EXPERIMENTS: dict[str, Experiment] = {}


def _experiment(scenario_json: str) -> Experiment:
    exp = _EXPERIMENTS.get(scenario_json)
    if exp is None:
        _EXPERIMENTS.clear()
        exp = _EXPERIMENTS[scenario_json] = Experiment(Scenario.model_validate_json(scenario_json))
    return exp


def run_chunk(scenario_json: str, reps: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the given replications; returns (reps, values [n, metric], daily [n, series, day] int32)."""
    exp = _experiment(scenario_json)
    values, daily = zip(*(exp.replicate(r) for r in reps))
    return np.asarray(reps), np.vstack(values), np.stack(daily)


class Interrupted(RuntimeError):
    """The run was stopped (Ctrl-C); finished replications are kept in the partial store."""


@dataclass
class RunResult:
    layout: Layout
    reps: np.ndarray  # replication numbers, sorted
    values: np.ndarray  # [replication, metric], rows in ``reps`` order
    daily: DailyQuantiles
    wall_seconds: float
    resumed: int  # replications taken from an earlier, interrupted run


def chunks_of(reps: list[int], size: int) -> list[list[int]]:
    return [reps[i : i + size] for i in range(0, len(reps), size)]


def run(
    scenario: Scenario,
    out: Path | None = None,
    workers: int = 1,
    progress: bool = True,
    chunk_size: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
) -> RunResult:
    """Run all replications of a scenario (``horizon.replications``), resuming from ``out/.partial``.

    ``executor`` is ``processes`` (``workers`` local processes; one means in this process) or ``dask``
    (an existing dask.distributed cluster at ``scheduler``, or a LocalCluster of ``workers`` processes).
    """
    started = time.perf_counter()
    n = scenario.horizon.replications
    exp = Experiment(scenario)
    layout = exp.layout
    daily = DailyQuantiles(len(layout.series), layout.days)
    values: dict[int, np.ndarray] = {}
    store = PartialStore(out, scenario_hash(scenario)) if out is not None else None
    if store is not None:
        store.open()
        for reps, vals, days in store.chunks():
            for r, v, d in zip(reps.tolist(), vals, days):
                if r < n and r not in values:
                    values[r] = v
                    daily.add(d)
    resumed = len(values)
    todo = [r for r in range(n) if r not in values]
    size = chunk_size or max(1, min(25, math.ceil(len(todo) / (max(workers, 1) * 8)) if todo else 1))
    bar = _progress(n, resumed, progress)

    def absorb(reps: np.ndarray, vals: np.ndarray, days: np.ndarray) -> None:
        fresh = [k for k, r in enumerate(reps.tolist()) if r not in values]  # a retried task counts once
        if not fresh:
            return
        reps, vals, days = reps[fresh], vals[fresh], days[fresh]
        if store is not None:
            store.save(reps, vals, days)
        for r, v, d in zip(reps.tolist(), vals, days):
            values[r] = v
            daily.add(d)
        bar.update(len(reps))

    payload = scenario.model_dump_json()
    try:
        if executor == "dask":
            from sim.run.cluster import run_on_dask

            run_on_dask(payload, chunks_of(todo, size), workers, scheduler, absorb)
        elif workers <= 1:
            for chunk in chunks_of(todo, size):
                absorb(*run_chunk(payload, chunk))
        else:
            _run_parallel(payload, chunks_of(todo, size), workers, absorb)
    except KeyboardInterrupt:
        bar.close()
        raise Interrupted(f"interrupted: {len(values)} of {n} replications finished and kept") from None
    bar.close()
    reps = np.array(sorted(values))
    matrix = np.vstack([values[r] for r in reps]) if len(reps) else np.empty((0, len(layout.keys)))
    return RunResult(layout, reps, matrix, daily, time.perf_counter() - started, resumed)


def _run_parallel(payload: str, chunks: Iterable[list[int]], workers: int, absorb) -> None:
    ctx = get_context("fork") if sys.platform.startswith("linux") else get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    pending: set[Future] = set()
    queue = list(chunks)
    try:
        # keep only a few chunks in flight so an interrupt loses little and memory stays flat
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                pending.add(pool.submit(run_chunk, payload, queue.pop(0)))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                absorb(*f.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _progress(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="rep",
        desc="replications",
        file=sys.stderr,
        disable=not enabled or not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
