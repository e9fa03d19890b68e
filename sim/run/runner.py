"""Replications: serial or in worker processes, chunked, streamed into statistics, resumable.

Each replication's random numbers depend only on the scenario seed and the replication number, so the
results are the same whatever the order, the chunking or the number of workers.

Worker processes die with the run: each asks the kernel for a signal when its parent dies (Linux's
parent-death signal; elsewhere a thread watches the parent's pid), so not even a kill -9 of the run leaves
one computing; they ignore Ctrl-C, which reaches the whole process group, and the run stops them when it is
interrupted. :func:`estimate` says roughly how long a run takes and how much memory it needs, before it runs.
"""

from __future__ import annotations

import hashlib
import math
import os
import signal
import sys
import threading
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
from sim.run.worker import Chunk, Experiment, Probe, run_chunk, worker_setup
from sim.scenario.loading import scenario_hash
from sim.scenario.schema import Scenario


class Interrupted(RuntimeError):
    """The run was stopped (Ctrl-C or SIGTERM); finished replications are kept in the partial store."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, which a command turns into this so that it stops as on Ctrl-C (see :func:`stop_on_sigterm`)."""


def _raise_terminated(signum, frame):
    raise Terminated()


def stop_on_sigterm():
    """Make SIGTERM stop this process as Ctrl-C does (finished work kept, a message, exit 1); returns the
    previous handler, or None where no handler can be set (outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


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
    replace_partial: bool = False,
) -> RunResult:
    """Run all replications of a scenario (``horizon.replications``), resuming from ``out/.partial``.

    ``executor`` is ``processes`` (``workers`` local processes; one means in this process) or ``dask``
    (an existing dask.distributed cluster at ``scheduler``, or a LocalCluster of ``workers`` processes).
    With a ``probe``, its values of every replication come back in ``RunResult.extra``. A partial store of
    other settings raises PartialMismatch, or with ``replace_partial`` is discarded."""
    started = time.perf_counter()
    n = scenario.horizon.replications
    layout = Experiment(scenario).layout
    daily = DailyQuantiles(len(layout.series), layout.days)
    # replication -> its values, its values by year, its probe's values, its capacity rule's decisions
    values, by_year, extra, decisions = {}, {}, {}, {}

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
        store.open(replace=replace_partial)
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
    except KeyboardInterrupt as exc:
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        raise Interrupted(f"{how}: {len(values)} of {n} replications finished and kept") from None
    finally:
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
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker_setup, initargs=(os.getpid(),))
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
        _stop(pool)
        raise
    pool.shutdown()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: queued chunks cancelled, the workers' chunks abandoned, the workers ended."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        try:
            p.terminate()
        except (OSError, AttributeError):
            pass
    for p in processes:
        p.join(timeout=5)


@dataclass(frozen=True)
class Estimate:
    """How long a run takes and how much memory it needs on a machine like this one, roughly (within a factor
    of two or three: enough to tell a run of minutes from one of days)."""

    youths: float  # per replication
    seconds: float  # wall time of all replications
    megabytes: float  # peak memory: the collecting process and its workers

    def describe(self) -> str:
        return f"about {_duration(self.seconds)} and {self.megabytes / 1000:,.1f} GB"


SECONDS_PER_YOUTH = 8e-6  # the core with its measures: 3 to 15 microseconds a youth on this 2-core machine
SECONDS_PER_SERIES_DAY = 1e-7  # the daily series of a replication
SECONDS_PER_REPLICATION = 1e-3
PROCESS_MB = 200  # Python with numpy, pandas and SimPy
BYTES_PER_VALUE = 100  # a replication's value of one key and year, kept and written (replications.parquet)
BYTES_PER_YOUTH = 400  # a youth's arrays and records while its replication runs
CHUNK = 25  # replications a worker returns at most at once


def estimate(scenario: Scenario, workers: int = 1) -> Estimate:
    """The rough time and memory of running ``scenario`` (all its replications) on ``workers`` processes."""
    from sim.scenario.limits import expected_youths

    exp = Experiment(scenario)
    layout, days = exp.layout, exp.clock.days
    n = scenario.horizon.replications
    youths = expected_youths(scenario)
    series_days = len(layout.series) * days
    per_rep = SECONDS_PER_YOUTH * youths + SECONDS_PER_SERIES_DAY * series_days + SECONDS_PER_REPLICATION
    cores = max(1, min(workers, os.cpu_count() or 1))
    seconds = n * per_rep / (1 if cores == 1 else 0.85 * cores)
    kept = n * len(layout.keys) * (1 + len(layout.years)) * BYTES_PER_VALUE
    histograms = series_days * 2048 * 4 // 4 + series_days * 8  # a quarter of the series at the largest bins
    one_run = youths * BYTES_PER_YOUTH + min(CHUNK, n) * series_days * 4 * 2
    collector = PROCESS_MB * 1e6 + kept + histograms + (one_run if workers <= 1 else 0)
    worker_pool = 0 if workers <= 1 else workers * (PROCESS_MB * 1e6 + one_run)
    return Estimate(youths, seconds, (collector + worker_pool) / 1e6)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:,.0f} days"


def memory_mb() -> float | None:
    """This machine's physical memory in MB, or None if it cannot be told."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e6
    except (ValueError, OSError, AttributeError):
        return None
