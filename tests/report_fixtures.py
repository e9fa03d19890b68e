"""A short baseline run for the report tests: two years, a few replications, written as `kapsim run` would."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import BASELINE

AGGREGATED = ("summary.csv", "timeseries.parquet", "scenario.resolved.yaml", "manifest.json")


def short_run(out: Path, replications: int = 6, seed: int = 11) -> Path:
    """Run the baseline for two years and write its outputs into ``out`` (no report)."""
    from sim.outputs import write_run
    from sim.runner import run
    from sim.scenario import load_scenario

    scenario = load_scenario(
        BASELINE,
        ["horizon.years=2", "horizon.warmup_days=100", f"horizon.replications={replications}", f"horizon.seed={seed}"],
    )
    result = run(scenario, out, workers=1, progress=False)
    write_run(out, scenario, result, "pytest short_run", result.wall_seconds)
    return out
