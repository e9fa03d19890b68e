"""Speed figures for ``kapsim bench``: the fast core against the plain SimPy reference, in one run."""

from __future__ import annotations

import math
import os
import platform
import resource
import time
import tracemalloc

from sim.experiment import Experiment
from sim.schema import Scenario


def _rate(fn, n: int) -> tuple[float, float]:
    """(replications per second, seconds) for calling fn(r) for r in range(n)."""
    start = time.perf_counter()
    for r in range(n):
        fn(r)
    seconds = time.perf_counter() - start
    return n / seconds, seconds


def benchmark(scenario: Scenario, replications: int, parallel_reps: int) -> dict[str, object]:
    exp = Experiment(scenario)
    exp.replicate(0)  # warm caches and imports before timing
    core_rate, core_s = _rate(lambda r: exp.records(r), replications)
    full_rate, _ = _rate(exp.replicate, replications)
    n_ref = max(2, replications // 4)
    ref_rate, _ = _rate(lambda r: exp.records(r, reference=True), n_ref)
    events = sum(exp.records(r).events for r in range(min(replications, 10))) / min(replications, 10)

    tracemalloc.start()
    exp.replicate(0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    figures: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "scenario": scenario.name,
        "years": scenario.horizon.years,
        "kapsim_reps_per_s": round(core_rate, 2),
        "kapsim_with_statistics_reps_per_s": round(full_rate, 2),
        "reference_reps_per_s": round(ref_rate, 2),
        "speedup": round(core_rate / ref_rate, 2),
        "events_per_replication": round(events),
        "events_per_s": round(events * core_rate),
        "replication_peak_memory_mb": round(peak / 2**20, 1),
    }
    if parallel_reps:
        from sim.runner import run
        from sim.scenario import with_horizon

        s = with_horizon(scenario, replications=parallel_reps)
        timings = {}
        for workers in (1, 2):
            result = run(s, out=None, workers=workers, progress=False)
            timings[workers] = result.wall_seconds
            figures[f"reps_{parallel_reps}_workers_{workers}_s"] = round(result.wall_seconds, 2)
        figures["parallel_efficiency_2_workers"] = round(timings[1] / (2 * timings[2]), 3)
    figures["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if not math.isfinite(core_s):
        raise RuntimeError("benchmark timing failed")
    return figures
