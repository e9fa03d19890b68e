"""kapsim rerun regenerates a run from its folder and notices any difference."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from sim.cli import main
from tests.helpers import BASELINE


def test_rerun_regenerates_exactly_and_detects_a_changed_number(tmp_path):
    out = tmp_path / "run"
    runner = CliRunner()
    args = ["run", str(BASELINE), "-n", "4", "-q", "--out", str(out), "--set", "horizon.years=1", "-w", "2"]
    assert runner.invoke(main, args).exit_code == 0
    same = runner.invoke(main, ["rerun", str(out), "-q"])  # serially this time: must not matter
    assert same.exit_code == 0, same.output
    assert "identical" in same.output

    summary = pd.read_csv(out / "summary.csv")
    summary.loc[summary.metric == "utilisation", "mean"] += 1e-6
    summary.to_csv(out / "summary.csv", index=False)
    changed = runner.invoke(main, ["rerun", str(out), "-q"])
    assert changed.exit_code == 1
    assert "DIFFERENT summary.csv" in changed.output


def test_rerun_of_a_folder_that_is_not_a_run_says_so(tmp_path):
    result = CliRunner().invoke(main, ["rerun", str(tmp_path)])
    assert result.exit_code != 0
    assert "no manifest.json" in result.output
