"""kapsim compare: documented columns, paired differences from common random numbers, reuse on a rerun."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.experiments.compare import COLUMNS, folder_names
from tests.helpers import BASELINE

SHORT = {"horizon": {"years": 2, "warmup_days": 100}}


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Today's places against five more at Egely, ten replications of two years, run once for the module."""
    folder = tmp_path_factory.mktemp("compare")
    base = folder / "today.yaml"
    base.write_text(yaml.safe_dump({"extends": str(BASELINE), "name": "today", **SHORT}), encoding="utf-8")
    more = folder / "more.yaml"
    more.write_text(
        "extends: today.yaml\nname: egely-plus-5\ninstitutions: {Egely: {units: {ordinary: {places: 19}}}}\n",
        encoding="utf-8",
    )
    out = folder / "out"
    args = ["compare", str(base), str(more), "-n", "10", "--seed", "3", "--out", str(out), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out, args, result.output


def test_comparison_has_the_documented_columns(compared):
    out, _, output = compared
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == COLUMNS
    assert set(table.scenario) == {"today", "egely-plus-5"}
    ref = table[table.scenario == "today"]
    assert ref.diff_mean.isna().all() and (ref.diff_n == 0).all()
    other = table[(table.scenario == "egely-plus-5") & (table.scope == "national")]
    assert other.diff_mean.notna().any()
    assert (table.n[table.metric == "occupancy_mean"] == 10).all()
    assert "2 scenarios (0 reused)" in output and "difference" in output


def test_each_scenario_has_its_full_outputs_with_one_seed(compared):
    out, _, _ = compared
    for name in ("today", "egely-plus-5"):
        manifest = json.loads((out / name / "manifest.json").read_text())
        assert manifest["seed"] == 3 and manifest["replications"] == 10
        assert (out / name / "summary.csv").is_file() and (out / name / "replications.parquet").is_file()


def test_paired_difference_is_the_mean_of_per_replication_differences(compared):
    out, _, _ = compared
    table = pd.read_csv(out / "comparison.csv")
    key = ("queue_length_mean", "national", "all")

    def values(name):
        reps = pd.read_parquet(out / name / "replications.parquet")
        rows = reps[(reps.metric == key[0]) & (reps.scope == key[1]) & (reps.placement_type == key[2])]
        return rows.sort_values("replication").value.to_numpy()

    diff = values("egely-plus-5") - values("today")
    row = table[(table.scenario == "egely-plus-5") & (table.metric == key[0]) & (table.scope == key[1])]
    row = row[row.placement_type == key[2]].iloc[0]
    assert row.diff_mean == pytest.approx(diff.mean(), rel=1e-5)
    assert row.diff_ci_low < row.diff_mean < row.diff_ci_high
    assert row.diff_mean < 0  # five more places: fewer youths waiting


@pytest.mark.parametrize(
    "metric, ptype",
    [
        ("occupancy_mean", "all"),
        ("queue_length_mean", "all"),
        ("p_wait_over_1_day", "remand"),
        ("cost_per_year", "all"),
    ],
)
def test_paired_interval_is_much_tighter_than_unpaired(compared, metric, ptype):
    """Common random numbers: the same youths in both scenarios, so the difference's noise mostly cancels."""
    out, _, _ = compared
    table = pd.read_csv(out / "comparison.csv")
    row = table[
        (table.scenario == "egely-plus-5")
        & (table.metric == metric)
        & (table.scope == "national")
        & (table.placement_type == ptype)
    ].iloc[0]
    paired = (row.diff_ci_high - row.diff_ci_low) / 2
    assert paired < 0.5 * row.unpaired_half_width


def test_rerun_reuses_finished_scenarios(compared):
    out, args, _ = compared
    before = {n: (out / n / "manifest.json").stat().st_mtime_ns for n in ("today", "egely-plus-5")}
    table_before = pd.read_csv(out / "comparison.csv")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 scenarios (2 reused)" in result.output
    assert before == {n: (out / n / "manifest.json").stat().st_mtime_ns for n in before}
    pd.testing.assert_frame_equal(table_before, pd.read_csv(out / "comparison.csv"))


def test_a_refused_scenario_stops_everything_before_running(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\ninstitutions: {{Koglen: {{units: {{main: {{places: -1}}}}}}}}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(BASELINE), str(bad), "--out", str(out)])
    assert result.exit_code != 0
    assert "institutions.Koglen.units.main.places" in result.output
    assert not out.exists()


def test_folder_names_are_distinct():
    assert folder_names(["a", "b"], ["x", "y"]) == ["a", "b"]
    assert folder_names(["a", "a"], ["x", "y"]) == ["x", "y"]
    assert folder_names(["a", "a"], ["x", "x"]) == ["x", "x-2"]


def test_compare_says_what_it_writes():
    result = CliRunner().invoke(main, ["compare", "--help"])
    assert "Writes" in result.output and "comparison.csv" in result.output
