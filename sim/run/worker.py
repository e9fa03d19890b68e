"""One scenario, compiled once, that runs any replication by number: the seam between runner and model.

The runner only needs :meth:`Experiment.replicate`; it knows nothing of SimPy.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from sim.engine.allocation import Allocation
from sim.engine.clock import Clock
from sim.engine.model import Model
from sim.engine.network import Network, compile_network
from sim.engine.records import Records
from sim.engine.youths import draw_youths
from sim.results.measures import Layout, Measures
from sim.scenario.schema import Scenario


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

    def replicate(self, replication: int) -> tuple[np.ndarray, np.ndarray]:
        """(metric vector, daily [series, day] int32 array) of one replication."""
        exp = self.for_replication(replication)
        return exp.measures(exp.records(replication))
