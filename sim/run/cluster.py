"""Replications on a dask.distributed cluster: an existing one by address, or a LocalCluster.

Each task is a chunk of replications (so scheduler overhead stays small against the work). A replication's
numbers depend only on the scenario seed and its number, so where and how often a chunk runs cannot
change them; a chunk lost with its worker is retried by the scheduler, and a result that arrives twice
is counted once by the runner. The workers of a LocalCluster die with the command that started them (kill -9
included), as the runner's worker processes do; those of an existing cluster are the cluster's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from sim.run.worker import Probe, die_with, run_chunk

RETRIES = 3


def run_on_dask(
    payload: str,
    chunks: Iterable[list[int]],
    workers: int,
    scheduler: str | None,
    absorb: Callable,
    probe: Probe | None = None,
) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        client.run(die_with, os.getpid())  # our own workers: they must not outlive us
    try:
        chunks = list(chunks)
        futures = [
            client.submit(run_chunk, payload, chunk, probe, retries=RETRIES, pure=False, key=f"kapsim-{i}-{chunk[0]}")
            for i, chunk in enumerate(chunks)
        ]
        for future in as_completed(futures):
            absorb(future.result())
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
