"""Processes that die cleanly (issue 18): a parallel run killed with SIGKILL or SIGTERM, or interrupted with
Ctrl-C, leaves no worker process alive, and SIGTERM and Ctrl-C stop it as a message (exit 1) that keeps its
finished replications for a resume.

Real processes: ``kapsim run`` on two workers, stopped as soon as its first chunk is saved (so its workers are
busy), with a baseline of one year and more replications than it can finish before that.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import BASELINE

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
RUN = ["run", str(BASELINE), "-n", "4000", "-w", "2", "--seed", "18", "-q", "--set", "horizon.years=1"]


def children(pid: int) -> set[int]:
    """The child processes of ``pid`` (from /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is dead: it only waits to be reaped, holding no memory)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def started(out: Path, **popen) -> tuple[subprocess.Popen, set[int]]:
    """A parallel run into ``out``, once it has saved its first chunk; and its worker processes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *RUN, "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list((out / ".partial").glob("chunk-*.npz")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no chunk saved within a minute"
        time.sleep(0.02)
    workers = children(proc.pid)
    assert len(workers) >= 2, workers  # a pool of two (and perhaps its resource tracker)
    return proc, workers


def gone_within(pids: set[int], seconds: float) -> set[int]:
    """The processes of ``pids`` still alive after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return set()
        time.sleep(0.05)
    return {p for p in pids if alive(p)}


def test_kill_9_of_a_parallel_run_takes_its_workers_with_it(tmp_path):
    proc, workers = started(tmp_path / "out")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert gone_within(workers, 5) == set()


def test_sigterm_stops_a_parallel_run_as_ctrl_c_does(tmp_path):
    out = tmp_path / "out"
    proc, workers = started(out)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert "terminated:" in err and "finished and kept; run the same command again to resume" in err
    assert "Traceback" not in err
    assert gone_within(workers, 5) == set()
    assert list((out / ".partial").glob("chunk-*.npz")) and not (out / "manifest.json").exists()


def test_ctrl_c_reaches_the_whole_group_and_the_run_says_what_it_kept(tmp_path):
    """A terminal's Ctrl-C signals every process of the group: the workers leave it to the run, which stops
    them and says what it kept, with no worker's traceback on the terminal."""
    proc, workers = started(tmp_path / "out", start_new_session=True)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "interrupted:" in err and "Traceback" not in err, err
    assert gone_within(workers, 5) == set()
