"""Results per calendar year: the same metrics over each year of the window, consistent with the whole window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.results.metrics import CATALOGUE
from sim.run.worker import Experiment
from tests.helpers import BASELINE, ROOT, pool, scenario_of

POLICIES = ROOT / "tests" / "golden" / "scenarios" / "policies.yaml"


def _experiment(path, **horizon):
    from sim.scenario.loading import load_scenario, with_horizon

    return Experiment(with_horizon(load_scenario(path), **horizon) if horizon else load_scenario(path))


@pytest.mark.parametrize("path", [BASELINE, POLICIES], ids=["baseline", "policies"])
def test_yearly_figures_average_to_the_whole_window_in_every_replication(path):
    """Every metric that adds up (counts per year, time-means, money) is, over the whole window, the
    day-weighted mean of its calendar years: exactly, up to rounding (1e-9), in each replication."""
    exp = _experiment(path)
    days = np.array([d for _, d, _ in exp.layout.years], dtype=float)
    assert days.sum() == exp.layout.days
    summed = [j for j, k in enumerate(exp.layout.keys) if CATALOGUE[k[0]].combines == "sum"]
    assert len(summed) > 100
    for r in range(3):
        m = exp.replicate(r)
        weighted = (np.nan_to_num(m.by_year[:, summed]) * days[:, None]).sum(axis=0) / days.sum()
        np.testing.assert_allclose(weighted, np.nan_to_num(m.values[summed]), rtol=1e-9, atol=1e-9)


def test_yearly_waits_are_those_of_the_youths_who_arrived_that_year():
    """Checked against numpy on the records: each year's mean and quantiles of the waits of the youths whose
    need arose in it (placed, or still waiting at the end of the run and counted to it)."""
    exp = _experiment(BASELINE, replications=2)
    keys = exp.layout.keys
    rec = exp.records(1)
    m = exp.measures(rec)
    a, s = rec.youths.arrival, rec.admitted
    waited = (rec.unit >= 0) | np.isnan(rec.withdrawn)
    wait = np.where(rec.unit >= 0, s, exp.clock.end) - a
    for k, (year, lo, hi, _) in enumerate(exp.clock.calendar_years()):
        mine = waited & (a >= lo) & (a < hi)
        expected = {
            "wait_days_mean": wait[mine].mean(),
            "wait_days_p50": np.quantile(wait[mine], 0.5),
            "wait_days_p95": np.quantile(wait[mine], 0.95),
            "p_wait_over_1_day": np.mean(wait[mine] > 1),
            "arrivals_per_year": np.sum((a >= lo) & (a < hi)) / ((hi - lo) / 365.25),
        }
        for metric, value in expected.items():
            got = m.by_year[k, keys.index((metric, "national", "all"))]
            assert got == pytest.approx(value, rel=1e-12), (year, metric)


def test_under_growing_demand_yearly_utilisation_rises_year_on_year():
    """Demand +15 % a year in a pool far from full: the expected utilisation rises about 15 % a year, while
    a year's mean over 10 replications has a standard error near 1 % of it, so a fall would be a fault."""
    data = pool(places=400, per_year=365 * 100, mean_stay=1.0, years=6, warmup_days=30, replications=10)
    data["placement_types"]["remand"]["demand"]["growth"] = 0.15
    exp = Experiment(scenario_of(data))
    j = exp.layout.keys.index(("utilisation", "national", "all"))
    yearly = np.mean([exp.replicate(r).by_year[:, j] for r in range(10)], axis=0)
    full = [k for k, (_, _, partial) in enumerate(exp.layout.years) if not partial]
    assert len(full) == 6 and np.all(np.diff(yearly[full]) > 0), yearly


def test_partial_years_are_marked():
    """A window from 1 July for one year holds half of two calendar years: both rows say partial."""
    data = pool(years=1, replications=2)
    data["horizon"]["start"] = "2025-07-01"
    exp = Experiment(scenario_of(data))
    assert [(y, p) for y, _, p in exp.layout.years] == [(2025, True), (2026, True)]
    assert sum(d for _, d, _ in exp.layout.years) == exp.layout.days


def test_run_writes_summary_by_year(tmp_path):
    out = tmp_path / "run"
    args = ["run", str(BASELINE), "-n", "4", "--out", str(out), "-q", "--set", "horizon.years=2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    by_year = pd.read_csv(out / "summary_by_year.csv")
    assert list(by_year.columns) == [
        "year", "metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "std", "n", "days", "partial"
    ]  # fmt: skip
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(by_year.year.unique()) == [2025, 2026] and len(by_year) == 2 * len(summary)
    assert not by_year.partial.any() and set(by_year.days) == {365}
    reps = pd.read_parquet(out / "replications.parquet")
    yearly = reps[reps.year == 2026].set_index(["replication", "metric", "scope", "placement_type"]).value
    row = by_year[(by_year.year == 2026) & (by_year.metric == "occupancy_mean") & (by_year.scope == "national")]
    row = row[row.placement_type == "all"].iloc[0]
    assert yearly.xs(("occupancy_mean", "national", "all"), level=[1, 2, 3]).mean() == pytest.approx(row["mean"])
