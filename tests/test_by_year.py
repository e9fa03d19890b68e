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


def test_report_draws_the_headline_figures_per_year_in_both_languages(tmp_path):
    from sim.report import write_report
    from sim.report.data import load
    from sim.report.labels import Labels
    from sim.report.yearly import by_year_figure, figures_shown

    out = tmp_path / "run"
    args = ["run", str(BASELINE), "-n", "4", "--out", str(out), "-q", "--set", "horizon.years=3"]
    assert CliRunner().invoke(main, args).exit_code == 0
    data = load(out)
    fig = by_year_figure(data.by_year, Labels("en"))
    specs = figures_shown(data.by_year)
    assert len(fig.data) == len(specs) >= 8
    for trace, h in zip(fig.data, specs):
        rows = data.by_year[(data.by_year.metric == h.metric) & (data.by_year.scope == "national")]
        rows = rows[rows.placement_type == h.placement_type].sort_values("year")
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), rows["mean"] * trace.meta["scale"])
        assert list(trace.x) == [2025, 2026, 2027, 2028]
    # three years from 1 January 2025 are 1,096 days: 2028 is a partial year of one day, drawn open
    assert list(fig.data[0].marker.symbol) == ["circle", "circle", "circle", "circle-open"]
    for lang, words in (
        ("en", ("Year by year", "Key figures by year", "2027")),
        ("da", ("År for år", "Nøgletal år for år")),
    ):
        html = write_report(out, lang).read_text(encoding="utf-8")
        assert 'id="years"' in html and 'id="chart-years"' in html
        assert all(w in html for w in words), lang
        assert "2028*" in html  # the partial year is starred in the table


def test_compare_and_sweep_write_their_year_views(tmp_path):
    extra = ROOT / "scenarios" / "extra-places.yaml"
    short = ["-n", "4", "-q", "--set", "horizon.years=2"]
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", str(BASELINE), str(extra), "-o", str(out), "--by-year", *short])
    assert result.exit_code == 0, result.output
    assert "Remanded youths waiting > 1 day, by year" in result.output and "2026" in result.output
    table = pd.read_csv(out / "comparison_by_year.csv")
    assert list(table.columns[:2]) == ["year", "scenario"] and sorted(table.year.unique()) == [2025, 2026]
    # the paired difference in a year is the mean of the replications' differences in that year
    key = ("p_wait_over_1_day", "national", "remand")
    row = table[(table.year == 2026) & (table.scenario == "extra-places")]
    row = row[(row.metric == key[0]) & (row.scope == key[1]) & (row.placement_type == key[2])].iloc[0]

    def values(name):
        reps = pd.read_parquet(out / name / "replications.parquet")
        reps = reps[(reps.year == 2026) & (reps.metric == key[0]) & (reps.scope == key[1])]
        return reps[reps.placement_type == key[2]].sort_values("replication").value.to_numpy()

    # comparison_by_year.csv keeps six significant digits
    assert row.diff_mean == pytest.approx(np.mean(values("extra-places") - values("baseline")), rel=1e-5)
    out = tmp_path / "sweep"
    args = ["sweep", str(BASELINE), "--vary", "institutions.Egely.places=19:21:2", "-o", str(out), "--by-year"]
    result = CliRunner().invoke(main, [*args, *short])
    assert result.exit_code == 0, result.output
    yearly = pd.read_csv(out / "sweep_by_year.csv")
    assert {"point", "institutions.Egely.places", "year", "days", "partial"} <= set(yearly.columns)
    assert len(yearly) == 2 * 2 * len(pd.read_csv(out / "sweep.csv")) / 2
