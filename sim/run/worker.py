"""One scenario, compiled once, that runs any replication by number: the seam between runner and model.

The runner only needs :func:`run_chunk` (and through it :meth:`Experiment.replicate`); it knows nothing of
SimPy. A :class:`Probe` measures something more in every replication than the metrics catalogue does (the
calibration measures each observed row as the data measured it): it is given each replication's records
and daily series, and its values travel with the replication's through the runner, its chunks, its
partial store and Dask.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from sim.engine.allocation import Allocation
from sim.engine.clock import Clock
from sim.engine.model import Model
from sim.engine.network import Network, compile_network
from sim.engine.records import Records
from sim.engine.youths import draw_youths
from sim.results.measures import Layout, Measured, Measures
from sim.scenario.schema import Scenario


class Probe(Protocol):
    """Extra per-replication measures, computed in the worker (it must pickle: it travels to processes)."""

    key: str  # identifies what it measures: resumed values are reused only under the same key
    width: int  # how many values it gives per replication

    def __call__(self, records: Records, daily: np.ndarray, experiment: Experiment) -> np.ndarray: ...


class Experiment:
    """A compiled scenario. If its ``parameter_uncertainty`` is applied, replication r runs with draw
    r mod the number of draws; each draw is compiled once, when first needed, and kept."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.clock = Clock.from_horizon(scenario.horizon)
        self.network: Network = compile_network(scenario, self.clock)
        pu = scenario.parameter_uncertainty
        self._draws = pu.draws if pu is not None and pu.apply else None
        self._by_draw: dict[int, Experiment] = {}

    def for_replication(self, replication: int) -> Experiment:
        """The experiment that runs ``replication``: this one, or the one compiled for its parameter draw.

        Random streams depend only on the seed and the replication number, never on the draw.
        """
        if not self._draws:
            return self
        k = replication % len(self._draws)
        exp = self._by_draw.get(k)
        if exp is None:
            from sim.scenario.uncertainty import apply_draw

            exp = self._by_draw[k] = Experiment(apply_draw(self.scenario, self._draws[k], f"parameter draw {k}"))
        return exp

    @cached_property
    def allocation(self) -> Allocation:
        """The placement rule's tables, built once for all replications."""
        return Allocation(self.network)

    @cached_property
    def measures(self) -> Measures:
        return Measures(self.scenario, self.network, self.clock)

    @property
    def layout(self) -> Layout:
        return self.measures.layout

    def records(self, replication: int, reference: bool = False) -> Records:
        """Simulate one replication and return its raw records."""
        if self._draws:
            return self.for_replication(replication).records(replication, reference)
        youths = draw_youths(self.scenario, self.network, self.clock, replication)
        if reference:
            from sim.engine.reference import run_reference

            return run_reference(self.network, youths, self.clock.end)
        return Model(self.network, youths, self.clock.end, self.allocation).run()

    def replicate(self, replication: int) -> Measured:
        """The metrics, daily series and metrics by year of one replication."""
        exp = self.for_replication(replication)
        return exp.measures(exp.records(replication))

    def probe(self, replication: int, probe: Probe) -> tuple[Measured, np.ndarray]:
        """What :meth:`replicate` gives, and the probe's values, of one replication."""
        exp = self.for_replication(replication)
        records = exp.records(replication)
        measured = exp.measures(records)
        return measured, np.asarray(probe(records, measured.daily, exp), dtype=float)


_EXPERIMENTS: dict[str, Experiment] = {}


def _experiment(scenario_json: str) -> Experiment:
    """The compiled scenario, kept between the chunks a worker process runs."""
    exp = _EXPERIMENTS.get(scenario_json)
    if exp is None:
        _EXPERIMENTS.clear()
        exp = _EXPERIMENTS[scenario_json] = Experiment(Scenario.model_validate_json(scenario_json))
    return exp


@dataclass
class Chunk:
    """Some replications' results, as a worker sends them back and the partial store keeps them."""

    reps: np.ndarray  # replication numbers
    values: np.ndarray  # [n, key]
    daily: np.ndarray  # [n, series, day] int32
    by_year: np.ndarray  # [n, year, key]
    extra: np.ndarray | None = None  # [n, probe.width] with a probe
    decisions: np.ndarray | None = None  # [review, 6]: replication, then Records.decisions' columns

    def take(self, rows: list[int]) -> Chunk:
        extra = self.extra[rows] if self.extra is not None else None
        decisions = None
        if self.decisions is not None:
            decisions = self.decisions[np.isin(self.decisions[:, 0], self.reps[rows])]
        return Chunk(self.reps[rows], self.values[rows], self.daily[rows], self.by_year[rows], extra, decisions)


def run_chunk(scenario_json: str, reps: list[int], probe: Probe | None = None) -> Chunk:
    """Run the given replications (and the probe in each, if given)."""
    exp = _experiment(scenario_json)
    if probe is None:
        measured, extra = [exp.replicate(r) for r in reps], None
    else:
        measured, more = zip(*(exp.probe(r, probe) for r in reps))
        extra = np.vstack(more)
    values, daily, by_year = (np.stack([getattr(m, f) for m in measured]) for f in ("values", "daily", "by_year"))
    decisions = np.vstack(
        [np.column_stack([np.full(len(m.decisions), r), m.decisions]) for r, m in zip(reps, measured)]
    ).reshape(-1, 6)
    return Chunk(np.asarray(reps), values, daily, by_year, extra, decisions)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def worker_setup(parent: int) -> None:
    """A worker process's first act: die with ``parent``, leave Ctrl-C to it, hold none of its folders."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits the command's handler
    die_with(parent)
    from sim.run.folder import forget_inherited_claims

    forget_inherited_claims()


def die_with(parent: int) -> None:
    """End this process when process ``parent`` ends, however it ends (kill -9 included)."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="kapsim-parent-watch").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
