"""One scenario, compiled once, that runs any replication by number: the seam between runner and model.

The runner only needs :meth:`Experiment.replicate`; it knows nothing of SimPy.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from sim.clock import Clock
from sim.measures import Layout, Measures
from sim.model import Model
from sim.network import Network, compile_network
from sim.records import Records
from sim.schema import Scenario
from sim.youths import draw_youths


class Experiment:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.clock = Clock.from_horizon(scenario.horizon)
        self.network: Network = compile_network(scenario, self.clock)

    @cached_property
    def measures(self) -> Measures:
        return Measures(self.scenario, self.network, self.clock)

    @property
    def layout(self) -> Layout:
        return self.measures.layout

    def records(self, replication: int, reference: bool = False) -> Records:
        """Simulate one replication and return its raw records."""
        youths = draw_youths(self.scenario, self.network, self.clock, replication)
        if reference:
            from sim.reference import run_reference

            return run_reference(self.network, youths, self.clock.end)
        return Model(self.network, youths, self.clock.end).run()

    def replicate(self, replication: int) -> tuple[np.ndarray, np.ndarray]:
        """(metric vector, daily [series, day] int32 array) of one replication."""
        return self.measures(self.records(replication))
