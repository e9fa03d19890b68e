"""kapsim writes only what it owns (issue 18): an output folder must be new, empty or kapsim's, a run replaces
the previous one as a whole, and a folder whose files disagree gets no report.

A folder is kapsim's when it holds the mark ``.kapsim`` (or, written before the mark, a manifest kapsim
wrote). Everything here runs in-process on runs of a few replications of a fifth of a year.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.run import folder as files
from tests.helpers import BASELINE, ROOT

TINY = ["-q", "--set", "horizon.years=0.2", "--set", "horizon.warmup_days=30"]
EPISODES = ROOT / "calibration" / "examples" / "episodes.csv"


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def run(out, *extra: str):
    return invoke("run", BASELINE, "-n", "2", "--out", out, *TINY, *extra)


def refused(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    for w in words:
        assert w in result.output, (w, result.output)


@pytest.mark.parametrize("name", ["summary.csv", "report.html", "manifest.json", "notes.txt"])
def test_a_folder_of_someone_elses_files_is_refused(tmp_path, name):
    out = tmp_path / "mine"
    out.mkdir()
    (out / name).write_text("my own work\n")
    refused(run(out), f"{out} holds files kapsim did not write ({name})", "--force")
    assert [p.name for p in out.iterdir()] == [name] and (out / name).read_text() == "my own work\n"
    if name == "summary.csv":
        forced = run(out, "--force")
        assert forced.exit_code == 0, forced.output
        assert (out / files.OWNER).is_file() and files.run_problems(out) == []


def test_new_empty_and_kapsims_own_folders_are_written(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new" / "deeper", empty):
        result = run(out)
        assert result.exit_code == 0, result.output
    (empty / files.OWNER).unlink()  # a run folder from before the mark: its manifest is kapsim's
    assert run(empty, "--seed", "3").exit_code == 0


def test_a_users_file_in_the_partial_store_survives_the_run(tmp_path):
    out = tmp_path / "out"
    assert run(out).exit_code == 0
    (out / ".partial").mkdir()
    (out / ".partial" / "keep.txt").write_text("mine\n")
    assert run(out, "--seed", "9").exit_code == 0
    assert (out / ".partial" / "keep.txt").read_text() == "mine\n"


def test_a_refused_command_leaves_no_folder_behind(tmp_path):
    out = tmp_path / "never"
    bad = invoke("size", BASELINE, "--target", "p_wait_over_7_dayz[remand] <= 0.05", "--out", out, *TINY)
    assert bad.exit_code == 1 and not out.exists()


def test_a_folder_in_use_by_another_command_is_refused(tmp_path):
    out = tmp_path / "busy"
    held = files.claim(out)  # as a second kapsim process running into it holds it
    try:
        refused(run(out, "--seed", "5"), "in use by another kapsim command")
    finally:
        held.release()
    assert run(out, "--seed", "5").exit_code == 0


def test_resuming_with_other_settings_is_refused_with_a_message_then_discarded_with_force(tmp_path):
    from sim.run.partial import PartialStore

    out = tmp_path / "out"
    assert run(out).exit_code == 0
    PartialStore(out, "the hash of another run").open()  # an unfinished run of other settings, left by a kill
    refused(run(out, "--seed", "11"), "unfinished run with other settings", "--force")
    forced = run(out, "--seed", "11", "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / files.MANIFEST).read_text())["seed"] == 11 and not (out / ".partial").exists()


def test_a_rerun_killed_while_writing_leaves_no_mix_and_no_report(tmp_path, monkeypatch):
    """A new run into a finished folder dies between two of its files: the folder then holds files of the new
    run only, no manifest and no report, and ``kapsim report`` refuses it; running again completes it."""
    from sim.run.runner import run as run_all
    from sim.scenario.loading import load_scenario, with_horizon

    out = tmp_path / "out"
    assert run(out).exit_code == 0
    scenario = with_horizon(load_scenario(BASELINE, ["horizon.years=0.2", "horizon.warmup_days=30"]), replications=3)
    result = run_all(scenario, out, progress=False)
    written = []

    def dies_on_the_third(path, write, mode="wb"):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(path.name)
        real(path, write, mode)

    real = files.atomic_write
    monkeypatch.setattr(files, "atomic_write", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        files.write_run(out, scenario, result, "kapsim run", 1.0)
    monkeypatch.undo()
    left = {p.name for p in out.iterdir()}
    assert left == {files.OWNER, files.PARTIAL, *written}, left
    assert files.run_problems(out)[0].startswith(f"no {files.MANIFEST}")
    refused(invoke("report", out), "does not hold one finished run", "no manifest.json")
    again = run(out, "-n", "3")
    assert again.exit_code == 0 and "3 replications (3 resumed)" in again.output


def test_report_refuses_files_of_two_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(a).exit_code == 0 and run(b, "--seed", "4").exit_code == 0
    (a / files.SUMMARY).write_bytes((b / files.SUMMARY).read_bytes())
    refused(invoke("report", a), "summary.csv is not the file of the manifest's run")
    assert invoke("report", b).exit_code == 0


def test_report_checks_an_old_manifest_by_the_scenario_seed_and_replications(tmp_path):
    out = tmp_path / "out"
    assert run(out).exit_code == 0
    manifest = json.loads((out / files.MANIFEST).read_text())
    manifest.pop("file_sha256")
    manifest["seed"] = 99
    (out / files.MANIFEST).write_text(json.dumps(manifest))
    refused(invoke("report", out), "the seed differs: 2024 in scenario.resolved.yaml, 99 in manifest.json")


def test_a_closed_pipe_leaves_the_new_report_not_the_old(tmp_path):
    """``kapsim run ... | head -1`` into a finished folder: the pipe closes after the first line, and the
    folder must still hold the new run's report, not the old one."""
    out = tmp_path / "out"
    assert run(out).exit_code == 0
    old = (out / files.REPORT).read_bytes()
    cmd = [sys.executable, "-m", "sim.cli", "run", str(BASELINE), "-n", "3", "--seed", "8", "--out", str(out), *TINY]
    shell = " ".join(f"'{c}'" for c in cmd) + " | head -1"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert "3 replications" in done.stdout and "Traceback" not in done.stderr
    assert files.run_problems(out) == []
    assert (out / files.REPORT).read_bytes() != old
    assert (out / files.REPORT).stat().st_mtime >= (out / files.MANIFEST).stat().st_mtime


def test_snapshot_never_overwrites_a_file_it_did_not_write(tmp_path):
    target = tmp_path / "other.yaml"
    target.write_text("# my notes\n")
    args = ["snapshot", BASELINE, "--episodes", EPISODES, "--date", "2023-01-01", "--out", target]
    refused(invoke(*args), f"{target} exists and kapsim snapshot did not write it", "--force")
    assert target.read_text() == "# my notes\n"
    assert invoke(*args, "--force").exit_code == 0
    assert invoke(*args).exit_code == 0  # now it is kapsim's: written again


def test_compare_and_calibrate_and_bench_refuse_someone_elses_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "comparison.csv").write_text("my own comparison\n")
    refused(invoke("compare", BASELINE, BASELINE, "-n", "2", "--out", out, *TINY), "kapsim did not write")
    refused(invoke("calibrate", BASELINE, "--episodes", EPISODES, "--out", out), "kapsim did not write")
    assert (out / "comparison.csv").read_text() == "my own comparison\n" and len(list(out.iterdir())) == 1
    notes = tmp_path / "bench.json"
    notes.write_text('{"mine": 1}')
    args = ["bench", "--years", "0.1", "-n", "2", "--parallel", "0", "--sweep-points", "0", "--no-memory"]
    refused(invoke(*args, "--json", notes), "kapsim bench did not write it")
    assert notes.read_text() == '{"mine": 1}'


def test_an_experiment_replaces_its_own_results_as_a_whole(tmp_path):
    out = tmp_path / "cmp"
    first = invoke("compare", BASELINE, BASELINE, "-n", "2", "--out", out, *TINY)
    assert first.exit_code == 0, first.output
    assert {"comparison.csv", "comparison.html", files.OWNER} <= {p.name for p in out.iterdir()}
    for mark in out.rglob(files.OWNER):  # a comparison from before the mark: its run folders are kapsim's
        mark.unlink()
    again = invoke("compare", BASELINE, BASELINE, "-n", "2", "--out", out, *TINY)
    assert again.exit_code == 0 and "(2 reused)" in again.output
