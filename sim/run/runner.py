"""Replications: serial or in worker processes, chunked, streamed into statistics, resumable.

Each replication's random numbers depend only on the scenario seed and the replication number, so the
results are the same whatever the order, the chunking or the number of workers.
"""

from __future__ import annotations

import hashlib
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
from sim.run.partial import PartialStore
from sim.run.progress import progress_bar
from sim.run.worker import Chunk, Experiment, Probe, run_chunk
from sim.scenario.loading import scenario_hash
from sim.scenario.schema import Scenario


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
    by_year: np.ndarray | None = None  # [replication, year, metric] (Layout.years), rows in ``reps`` order
    extra: np.ndarray | None = None  # [replication, probe value], rows in ``reps`` order, with a probe
    decisions: np.ndarray | None = None  # [review, 6]: replication, day, action, before, after, reason


def chunks_of(reps: list[int], size: int) -> list[list[int]]:
    return [reps[i : i + size] for i in range(0, len(reps), size)]


def store_key(scenario: Scenario, probe: Probe | None) -> str:
    """What a partial store belongs to: the resolved scenario, and the probe's measures if there is one."""
    digest = scenario_hash(scenario)
    if probe is None:
        return digest
    return hashlib.sha256(f"{digest}\n{probe.key}".encode()).hexdigest()


def run(
    scenario: Scenario,
    out: Path | None = None,
    workers: int = 1,
    progress: bool = True,
    chunk_size: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    probe: Probe | None = None,
) -> RunResult:
    """Run all replications of a scenario (``horizon.replications``), resuming from ``out/.partial``.

    ``executor`` is ``processes`` (``workers`` local processes; one means in this process) or ``dask``
    (an existing dask.distributed cluster at ``scheduler``, or a LocalCluster of ``workers`` processes).
    With a ``probe``, its values of every replication come back in ``RunResult.extra``.
    """
    started = time.perf_counter()
    n = scenario.horizon.replications
    layout = Experiment(scenario).layout
    daily = DailyQuantiles(len(layout.series), layout.days)
    values: dict[int, np.ndarray] = {}
    by_year: dict[int, np.ndarray] = {}
    extra: dict[int, np.ndarray] = {}
    decisions: dict[int, np.ndarray] = {}

    def keep(chunk: Chunk) -> None:
        for k, r in enumerate(chunk.reps.tolist()):
            values[r] = chunk.values[k]
            by_year[r] = chunk.by_year[k]
            daily.add(chunk.daily[k])
            if chunk.extra is not None:
                extra[r] = chunk.extra[k]
            if chunk.decisions is not None:
                decisions[r] = chunk.decisions[chunk.decisions[:, 0] == r]

    store = PartialStore(out, store_key(scenario, probe)) if out is not None else None
    if store is not None:
        store.open()
        for chunk in store.chunks():
            rows = [k for k, r in enumerate(chunk.reps.tolist()) if r < n and r not in values]
            if rows and (probe is None or chunk.extra is not None):
                keep(chunk.take(rows))
    resumed = len(values)
    todo = [r for r in range(n) if r not in values]
    size = chunk_size or max(1, min(25, math.ceil(len(todo) / (max(workers, 1) * 8)) if todo else 1))
    bar = progress_bar(n, "replications", "rep", progress, initial=resumed)

    def absorb(chunk: Chunk) -> None:
        fresh = [k for k, r in enumerate(chunk.reps.tolist()) if r not in values]  # a retried task counts once
        if not fresh:
            return
        chunk = chunk.take(fresh)
        if store is not None:
            store.save(chunk)
        keep(chunk)
        bar.update(len(chunk.reps))

    payload = scenario.model_dump_json()
    try:
        if executor == "dask":
            from sim.run.cluster import run_on_dask

            run_on_dask(payload, chunks_of(todo, size), workers, scheduler, absorb, probe)
        elif workers <= 1:
            for reps in chunks_of(todo, size):
                absorb(run_chunk(payload, reps, probe))
        else:
            _run_parallel(payload, chunks_of(todo, size), workers, absorb, probe)
    except KeyboardInterrupt:
        bar.close()
        raise Interrupted(f"interrupted: {len(values)} of {n} replications finished and kept") from None
    bar.close()
    reps = np.array(sorted(values))
    matrix = np.vstack([values[r] for r in reps]) if len(reps) else np.empty((0, len(layout.keys)))
    years = np.stack([by_year[r] for r in reps]) if len(reps) else np.empty((0, len(layout.years), len(layout.keys)))
    more = None
    if probe is not None:
        more = np.vstack([extra[r] for r in reps]) if len(reps) else np.empty((0, probe.width))
    reviews = np.vstack([decisions.get(r, np.empty((0, 6))) for r in reps]).reshape(-1, 6)
    return RunResult(layout, reps, matrix, daily, time.perf_counter() - started, resumed, years, more, reviews)


def _run_parallel(payload: str, chunks: Iterable[list[int]], workers: int, absorb, probe: Probe | None) -> None:
    ctx = get_context("fork") if sys.platform.startswith("linux") else get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    pending: set[Future] = set()
    queue = list(chunks)
    try:
        # keep only a few chunks in flight so an interrupt loses little and memory stays flat
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                pending.add(pool.submit(run_chunk, payload, queue.pop(0), probe))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                absorb(f.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
