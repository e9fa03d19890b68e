"""The random inputs of one replication: every youth who will arrive, drawn before the model runs.

Drawing all attributes up front from per-purpose streams is what makes common random numbers exact: the
youths, their stays and their patience do not depend on capacity, allocation or anything the model does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import demand, stays
from sim.clock import Clock
from sim.network import Network
from sim.schema import Scenario
from sim.streams import stream


@dataclass(frozen=True)
class Youths:
    """One row per youth, sorted by arrival time (days). ``patience`` is inf without a withdrawal rule."""

    arrival: np.ndarray
    type: np.ndarray  # index into Network.types
    home: np.ndarray  # index into Network.regions
    high_security: np.ndarray  # bool
    stay: np.ndarray  # days
    patience: np.ndarray  # days on the waiting list before withdrawal

    def __len__(self) -> int:
        return self.arrival.size


def draw_youths(scenario: Scenario, network: Network, clock: Clock, replication: int) -> Youths:
    seed = scenario.horizon.seed
    parts = []
    for k, tname in enumerate(network.types):
        ptype = scenario.placement_types[tname]
        t = demand.arrival_times(ptype.demand, clock, stream(seed, replication, f"arrivals/{tname}"))
        n = t.size
        route = stream(seed, replication, f"routing/{tname}")
        names = list(ptype.demand.regions)
        shares = np.array([ptype.demand.regions[r] for r in names])
        home_idx = np.array([network.regions.index(r) for r in names])
        home = home_idx[np.minimum(np.searchsorted(np.cumsum(shares), route.random(n), side="right"), len(names) - 1)]
        hs = route.random(n) < ptype.demand.high_security_share
        unit_stay = stays.unit_draws(ptype.stay, n, stream(seed, replication, f"stays/{tname}"))
        mean = stays.mean_of(ptype.stay) * (1.0 + ptype.stay.drift) ** clock.years_since_start(t)
        if ptype.withdrawal is not None:
            w = ptype.withdrawal
            patience = stays.mean_of(w) * stays.unit_draws(w, n, stream(seed, replication, f"withdrawal/{tname}"))
        else:
            patience = np.full(n, np.inf)
        parts.append((t, np.full(n, k, dtype=np.int64), home, hs, unit_stay * mean, patience))
    cols = [np.concatenate(c) for c in zip(*parts)] if parts else [np.empty(0)] * 6
    order = np.argsort(cols[0], kind="stable")
    arrival, typ, home, hs, stay, patience = (c[order] for c in cols)
    return Youths(arrival, typ.astype(np.int64), home.astype(np.int64), hs.astype(bool), stay, patience)
