"""Speed figures for ``kapsim bench``, measured in one run on one machine.

- replications per second of the fast core and of the plain SimPy process-per-youth reference, timed in
  nine rounds that alternate which goes first (medians; the speed-up is the median of the rounds' ratios,
  with its range);
- events per second and the memory of one replication;
- N replications with 1, 2 and all workers, and the parallel efficiency;
- a sweep of 20 points of 200 replications each;
- ``kapsim place --add 12 --step 4`` over the institutions, with home-first placement for remand (14 days),
  on 2 workers: wall time, allocations simulated and replications;
- the peak memory of a whole run at two replication counts (it must not grow with them).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from sim.run.worker import Experiment
from sim.scenario.schema import Scenario


def _rate(fn, replications) -> float:
    """Replications per second of CPU time for fn(r), r in ``replications`` (CPU time: steadier on a shared
    machine); an int n means 0..n-1."""
    reps = range(replications) if isinstance(replications, int) else replications
    start = time.process_time()
    for r in reps:
        fn(r)
    return len(reps) / (time.process_time() - start)


_PEAK = """
import json, resource, sys
from sim.run.runner import run
from sim.scenario.loading import load_scenario, with_horizon
s = with_horizon(load_scenario(sys.argv[1], ["horizon.years=" + sys.argv[2]]), replications=int(sys.argv[3]))
run(s, workers=2, progress=False)
print(json.dumps({"main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def peak_memory_mb(path: str, years: float, replications: int) -> dict[str, float]:
    """Peak resident memory (MB) of the collecting process and of the largest worker, in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, path, str(years), str(replications)],
        capture_output=True,
        text=True,
        check=True,
    )
    rss = json.loads(out.stdout.strip().splitlines()[-1])
    return {k: round(v / 1024, 1) for k, v in rss.items()}


def benchmark(
    scenario: Scenario,
    path: str,
    replications: int,
    parallel_reps: int,
    sweep_points: int = 20,
    sweep_reps: int = 200,
    memory: bool = True,
    say=print,
) -> dict[str, object]:
    """Every figure of ``kapsim bench`` for one scenario (its file is ``path``), in the order printed."""
    figures: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "scenario": scenario.name,
        "years": scenario.horizon.years,
    }
    say("timing the fast core and the reference ...")
    figures.update(core_and_reference(scenario, replications))
    if parallel_reps:
        figures.update(parallel(scenario, parallel_reps, say))
    if sweep_points:
        say(f"sweep of {sweep_points} points x {sweep_reps} replications ...")
        figures.update(sweep_time(scenario, path, sweep_points, sweep_reps))
    if sweep_points:
        say("place --add 12 --step 4 over the institutions, 2 workers ...")
        figures.update(place_time(scenario))
    if memory:
        say("peak memory at two replication counts ...")
        for n in (200, 1000):
            mb = peak_memory_mb(path, scenario.horizon.years, n)
            figures[f"peak_memory_mb_{n}_reps_main"] = mb["main"]
            figures[f"peak_memory_mb_{n}_reps_worker"] = mb["worker"]
    figures["peak_memory_mb"] = figures.get("peak_memory_mb_1000_reps_main", figures["replication_peak_memory_mb"])
    return figures


def core_and_reference(scenario: Scenario, replications: int) -> dict[str, object]:
    """Replications per second of the core and the reference, their ratio, events and one run's memory.

    Nine rounds, each timing the reference on replications 0..m-1 (m = n/4, at least 2) and the core on the
    same replications four times over, in turn first, so a machine that slows down for a while (a shared VM
    does) slows both sides of a round alike; the speed-up is the median of the rounds' ratios, with its range.
    """
    exp = Experiment(scenario)
    exp.replicate(0)  # warm caches and imports before timing
    same = list(range(max(2, replications // 4)))
    cores, refs = [], []
    for k in range(9):
        for side in (0, 1) if k % 2 == 0 else (1, 0):
            if side == 0:
                cores.append(_rate(lambda r: exp.records(r), same * 4))
            else:
                refs.append(_rate(lambda r: exp.records(r, reference=True), same))
    ratios = sorted(c / r for c, r in zip(cores, refs))
    core, ref = float(np.median(cores)), float(np.median(refs))
    full = _rate(exp.replicate, 4 * replications)
    sample = range(min(4 * replications, 10))
    events = sum(exp.records(r).events for r in sample) / len(sample)
    tracemalloc.start()
    exp.replicate(0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "kapsim_reps_per_s": round(core, 2),
        "kapsim_with_statistics_reps_per_s": round(full, 2),
        "reference_reps_per_s": round(ref, 2),
        "speedup": round(float(np.median(ratios)), 2),
        "speedup_range": [round(ratios[0], 2), round(ratios[-1], 2)],
        "events_per_replication": round(events),
        "events_per_s": round(events * core),
        "replication_peak_memory_mb": round(peak / 2**20, 1),
    }


def parallel(scenario: Scenario, replications: int, say=print) -> dict[str, object]:
    """Wall time of ``replications`` with 1, 2 and all workers, and the parallel efficiency."""
    from sim.run.runner import run
    from sim.scenario.loading import with_horizon

    s = with_horizon(scenario, replications=replications)
    counts = sorted({1, 2, os.cpu_count() or 1})
    timings, out = {}, {}
    for workers in counts:
        say(f"{replications} replications with {workers} worker(s) ...")
        timings[workers] = run(s, workers=workers, progress=False).wall_seconds
        out[f"reps_{replications}_workers_{workers}_s"] = round(timings[workers], 2)
    for workers in counts[1:]:
        out[f"parallel_efficiency_{workers}_workers"] = round(timings[1] / (workers * timings[workers]), 3)
    return out


def sweep_time(scenario: Scenario, path: str, points: int, replications: int) -> dict[str, object]:
    """Wall time of a sweep of ``points`` points of the same size (seeds 1..points) with all workers."""
    from sim.experiments import sweep

    spec = f"horizon.seed=1:{points}:1"
    sets = [f"horizon.years={scenario.horizon.years}"]
    base, axes, grid = sweep.prepare(path, vary=[spec], sets=sets, replications=replications)
    with tempfile.TemporaryDirectory(prefix="kapsim-bench-") as tmp:
        start = time.perf_counter()
        sweep.run_sweep(grid, axes, Path(tmp), "kapsim bench", workers=os.cpu_count() or 1, progress=False)
        return {f"sweep_{len(grid)}x{replications}_s": round(time.perf_counter() - start, 2)}


def place_time(scenario: Scenario) -> dict[str, object]:
    """Wall time of ``kapsim place --add 12 --step 4 --target wait_days_mean[remand] --delta 0.2`` over the
    institutions, remanded youths offered places at home for their first 14 days, on 2 workers."""
    from sim.experiments.place import parse_objective, place
    from sim.scenario import overrides

    if "remand" not in scenario.placement_types:
        return {}
    s = overrides.derive(scenario, [(["allocation", "home_first_days", "remand"], 14.0, "kapsim bench")])
    start = time.perf_counter()
    result = place(s, parse_objective("wait_days_mean[remand]", s), 12, 4, "institutions", 0.2, workers=2,
                   progress=False)  # fmt: skip
    simulated = sum(c.replications > 0 for c in result.candidates)
    return {
        "place_12_by_4_s": round(time.perf_counter() - start, 2),
        "place_12_by_4_allocations": f"{len(result.candidates)} considered, {simulated} simulated",
        "place_12_by_4_replications": result.replications,
    }
