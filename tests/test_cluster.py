"""Replications on a dask.distributed LocalCluster of two workers give exactly the serial numbers,
even when a worker is killed mid-run (its chunks are retried and nothing is counted twice)."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from sim.run.runner import run
from sim.scenario.loading import load_scenario, with_horizon
from tests.helpers import BASELINE

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def scenario():
    return with_horizon(load_scenario(BASELINE, ["horizon.years=3"]), replications=40)


def same(a, b):
    assert np.array_equal(a.reps, b.reps)
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert np.array_equal(a.daily.mean(), b.daily.mean())
    for k in range(len(a.layout.series)):
        assert np.array_equal(a.daily.quantile(k, 0.95), b.daily.quantile(k, 0.95))


def test_dask_gives_the_serial_numbers(cluster, scenario):
    serial = run(scenario, progress=False)
    on_dask = run(scenario, progress=False, executor="dask", scheduler=cluster.scheduler_address, chunk_size=3)
    same(serial, on_dask)


def test_a_lost_worker_is_retried_and_nothing_counts_twice(cluster, scenario, tmp_path):
    serial = run(scenario, progress=False)
    out = tmp_path / "out"
    result = {}

    def go():
        result["run"] = run(
            scenario, out, progress=False, executor="dask", scheduler=cluster.scheduler_address, chunk_size=2
        )

    thread = threading.Thread(target=go)
    thread.start()
    deadline = time.monotonic() + 60
    while not list((out / ".partial").glob("chunk-*.npz")) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert thread.is_alive(), "the run finished before a worker could be killed: the test would prove nothing"
    nanny = next(iter(cluster.workers.values()))
    os.kill(nanny.process.process.pid, signal.SIGKILL)  # the worker dies with the chunks it holds
    thread.join(timeout=180)
    assert not thread.is_alive()
    same(serial, result["run"])
    assert result["run"].daily.n == scenario.horizon.replications
