"""The command line as a user meets it: files written, columns, exit codes, interruption and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main
from tests.helpers import BASELINE

REQUIRED = {
    "arrivals_per_year", "admissions_per_year", "withdrawn_per_year", "occupancy_mean", "places_open_mean",
    "utilisation", "queue_length_mean", "queue_length_max", "wait_days_mean", "wait_days_p50", "wait_days_p95",
    "p_wait_over_1_day", "p_wait_over_7_days", "days_full_share", "out_of_region_share", "cost_per_year",
    "idle_place_days_per_year",
}  # fmt: skip
SHORT = ["--set", "horizon.years=2", "--set", "horizon.warmup_days=100"]


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "baseline"
    result = CliRunner().invoke(main, ["run", str(BASELINE), "-n", "8", "--seed", "7", "--out", str(out), "-q", *SHORT])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_writes_every_documented_file(short_run):
    out, output = short_run
    for name in (
        "summary.csv",
        "replications.parquet",
        "timeseries.parquet",
        "scenario.resolved.yaml",
        "manifest.json",
    ):
        assert (out / name).is_file(), name
    assert not (out / ".partial").exists()
    assert "8 replications" in output and "Utilisation" in output


def test_summary_has_the_documented_columns_and_metrics(short_run):
    out, _ = short_run
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "std", "n"]
    assert REQUIRED <= set(summary.metric)
    scopes = set(summary.scope)
    assert {"national", "Hovedstaden", "Egely"} <= scopes
    assert {"all", "remand", "sentence", "social"} == set(summary.placement_type)
    util = summary[(summary.metric == "utilisation") & (summary.scope == "national")].iloc[0]
    assert util.n == 8 and util.ci_low <= util["mean"] <= util.ci_high and 0 < util["mean"] < 1


def test_replications_and_timeseries_tables(short_run):
    out, _ = short_run
    reps = pd.read_parquet(out / "replications.parquet")
    assert list(reps.columns) == ["replication", "metric", "scope", "placement_type", "value", "year"]
    assert sorted(reps.replication.unique()) == list(range(8))
    # the whole window (year empty), then each calendar year of the two: every key in each
    window = reps[reps.year.isna()]
    assert sorted(reps.year.dropna().unique()) == [2025, 2026]
    assert len(reps) == 3 * len(window) and len(window) == 8 * len(pd.read_csv(out / "summary.csv"))
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["date", "measure", "scope", "mean", "p05", "p25", "p50", "p75", "p95"]
    occ = ts[(ts.measure == "occupancy") & (ts.scope == "national")]
    assert len(occ) == round(2 * 365.25)
    assert (occ.p05 <= occ.p50).all() and (occ.p50 <= occ.p95).all()
    assert str(occ.date.iloc[0].date()) == "2025-01-01"


def test_manifest_records_how_to_regenerate(short_run):
    out, _ = short_run
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 7 and m["replications"] == 8
    assert len(m["scenario_sha256"]) == 64
    assert m["environment"]["packages"]["simpy"]
    assert "kapsim" in m["command"]


def test_validate_exit_codes(write_yaml):
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(BASELINE)]).exit_code == 0
    bad = write_yaml("bad.yaml", f"extends: {BASELINE}\nhorizon: {{yeras: 2}}\n")
    result = runner.invoke(main, ["validate", str(BASELINE), str(bad)])
    assert result.exit_code == 1
    assert "horizon.yeras: unknown key (did you mean 'years'?)" in result.output


def test_run_refuses_a_bad_scenario_before_running(tmp_path):
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["run", str(BASELINE), "--out", str(out), "--set", "regions=[]"])
    assert result.exit_code != 0
    assert "regions" in result.output
    assert not out.exists()


@pytest.mark.parametrize("command", ["run", "validate", "bench"])
def test_every_command_says_what_it_writes(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Writes" in result.output or "writes" in result.output


def test_interrupted_run_keeps_finished_work_and_resumes(tmp_path):
    """Ctrl-C a real process mid-run, then run the same command: it resumes and matches a clean run."""
    out = tmp_path / "interrupted"
    args = [sys.executable, "-m", "sim.cli", "run", str(BASELINE), "-n", "64", "--out", str(out), "-q", *SHORT]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((out / ".partial").glob("chunk-*.npz")) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    saved = list((out / ".partial").glob("chunk-*.npz"))
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be interrupted")
    assert "interrupted" in err and "resume" in err
    assert saved, "no finished chunk was kept"
    assert not (out / "summary.csv").exists()  # nothing half-written

    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=os.environ)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["resumed_replications"] > 0

    clean = tmp_path / "clean"
    subprocess.run([*args[:8], str(clean), *args[9:]], check=True, capture_output=True, timeout=120)
    a = pd.read_csv(out / "summary.csv")
    b = pd.read_csv(clean / "summary.csv")
    pd.testing.assert_frame_equal(a, b)
    assert Path(out / "timeseries.parquet").read_bytes() == Path(clean / "timeseries.parquet").read_bytes()


def test_a_partial_run_from_other_model_code_is_discarded_not_mixed_in(tmp_path):
    from sim.run.folder import code_fingerprint
    from sim.run.partial import PartialStore
    from sim.run.runner import run
    from sim.run.worker import Chunk
    from sim.scenario.loading import load_scenario, scenario_hash, with_horizon

    s = with_horizon(load_scenario(BASELINE, ["horizon.years=1"]), replications=4)
    out = tmp_path / "out"
    store = PartialStore(out, scenario_hash(s))
    store.open()
    first = run(with_horizon(s, replications=2), progress=False)
    daily = np.zeros((2, len(first.layout.series), first.layout.days), np.int32)
    store.save(Chunk(first.reps, first.values + 1.0, daily, first.by_year + 1.0))
    meta = json.loads((out / ".partial" / "meta.json").read_text())
    assert meta["code_sha256"] == code_fingerprint()
    meta["code_sha256"] = "an older model"
    (out / ".partial" / "meta.json").write_text(json.dumps(meta))
    result = run(s, out, progress=False)
    assert result.resumed == 0  # the stale chunk was not used
    assert np.array_equal(result.values[:2], first.values, equal_nan=True)
