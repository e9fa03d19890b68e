"""The random inputs of one replication: every youth who will arrive, drawn before the model runs.

Drawing all attributes up front from per-purpose streams is what makes common random numbers exact: the
youths, their stays and their patience do not depend on capacity, allocation or anything the model does.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.engine import demand, stays
from sim.engine.clock import Clock
from sim.engine.network import Network
from sim.engine.streams import stream
from sim.scenario import trend
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Youths:
    """One row per youth, sorted by arrival time (days). ``patience`` is inf without a withdrawal rule."""

    arrival: np.ndarray
    type: np.ndarray  # index into Network.types
    home: np.ndarray  # index into Network.regions
    high_security: np.ndarray  # bool
    stay: np.ndarray  # days, from admission
    patience: np.ndarray  # days on the waiting list, from arrival, before withdrawal
    start_unit: np.ndarray  # unit of a youth already placed on the start date, else -1
    profile: np.ndarray  # what eligibility depends on: type, high security, attributes (Network.profile)
    attributes: np.ndarray | None = None  # [youth, attribute]: value index of each of Network.attributes
    refused: np.ndarray | None = None  # [youth, institution]: the institution refuses the youth (refuses)

    def __len__(self) -> int:
        return self.arrival.size

    def subset(self, index: np.ndarray) -> Youths:
        """The youths at ``index`` (positions), in that order."""
        return Youths(*(None if (a := getattr(self, f.name)) is None else a[index] for f in fields(self)))

    @classmethod
    def empty(cls, attributes: int = 0, institutions: int = 0) -> Youths:
        f, i = np.empty(0), np.empty(0, dtype=np.int64)
        values, refused = np.zeros((0, attributes), dtype=np.int64), np.zeros((0, institutions), dtype=bool)
        return cls(f, i, i, np.empty(0, dtype=bool), f, f, i, i, values, refused)


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
        mean = stays.mean_of(ptype.stay) * trend.factor(ptype.stay.drift, clock.years_since_start(t))
        if ptype.withdrawal is not None:
            w = ptype.withdrawal
            patience = stays.mean_of(w) * stays.unit_draws(w, n, stream(seed, replication, f"withdrawal/{tname}"))
        else:
            patience = np.full(n, np.inf if ptype.waiting_list else 0.0)  # 0: diverted when no place is free
        attrs = _attributes(scenario, tname, n, seed, replication)
        profile = network.profile(k, hs.astype(np.int64), attrs)
        values = np.column_stack(attrs) if attrs else np.zeros((n, 0), dtype=np.int64)
        refused = _refusals(network, values, tname, seed, replication)
        parts.append((t, np.full(n, k), home, hs, unit_stay * mean, patience, np.full(n, -1), profile, values, refused))
    if scenario.start_state is not None:
        parts.extend(_start_state(scenario, network, clock, replication))
    if not parts:
        return Youths.empty(len(network.attributes), len(network.institutions))
    cols = [np.concatenate(c) for c in zip(*parts)]
    order = np.argsort(cols[0], kind="stable")
    arrival, typ, home, hs, stay, patience, start_unit, profile, values, refused = (c[order] for c in cols)
    as_int = np.int64
    return Youths(
        arrival,
        typ.astype(as_int),
        home.astype(as_int),
        hs.astype(bool),
        stay,
        patience,
        start_unit.astype(as_int),
        profile.astype(as_int),
        values.astype(as_int),
        refused.astype(bool),
    )


def _refusals(network: Network, values: np.ndarray, tname: str, seed: int, replication: int, prefix: str = ""):
    """[youth, institution]: whether each institution refuses each youth. One uniform draw per youth and
    institution, from the institution's own stream (so that scenarios stay paired); the youth is refused with
    probability 1 - prod(1 - p) over the institution's refusal rules that match the youth's values."""
    n = len(values)
    out = np.zeros((n, len(network.institutions)), dtype=bool)
    for i, rules in enumerate(network.refuses):
        if not rules:
            continue
        keep = np.ones(n)
        for attr, probs in rules:
            keep *= 1.0 - np.asarray(probs)[values[:, attr]]
        u = stream(seed, replication, f"{prefix}refusals/{network.institutions[i]}/{tname}").random(n)
        out[:, i] = u < 1.0 - keep
    return out


def _attributes(scenario: Scenario, tname: str, n: int, seed: int, replication: int, prefix: str = "") -> list:
    """Value index of each scenario attribute for n youths of a type (its own shares, else the scenario's)."""
    out = []
    for name, shares in scenario.attributes.items():
        shares = scenario.placement_types[tname].demand.attributes.get(name, shares)
        values = list(scenario.attributes[name])
        p = np.array([shares.get(v, 0.0) for v in values])
        u = stream(seed, replication, f"{prefix}attributes/{tname}/{name}").random(n)
        out.append(np.minimum(np.searchsorted(np.cumsum(p), u, side="right"), len(values) - 1))
    return out


def _start_state(scenario: Scenario, network: Network, clock: Clock, replication: int):
    """Rows for the youths placed or waiting on the start date (arrival times are negative: days ago).

    Remaining stays and patience are drawn conditional on the time already spent.
    """
    seed = scenario.horizon.seed
    state = scenario.start_state
    rows = []
    for group, rng_name in ((state.placed, "start/placed"), (state.waiting, "start/waiting")):
        rng = stream(seed, replication, rng_name)
        for row in group:
            ptype = scenario.placement_types[row.type]
            k = network.types.index(row.type)
            n = row.count
            if group is state.placed:
                u = network.unit_index(row.institution, row.unit)
                elapsed = np.full(n, row.days_stayed)
                mean = stays.mean_of(ptype.stay) * trend.factor(ptype.stay.drift, clock.years_since_start(-elapsed))
                stay = stays.residual_draws(ptype.stay, mean, elapsed, rng)
                home = row.home or scenario.regions[network.units[u].region]
                hs = network.units[u].high_security if row.high_security is None else row.high_security
                patience, unit = np.full(n, np.inf), u
            else:
                elapsed = np.full(n, row.days_waited)
                mean = stays.mean_of(ptype.stay) * trend.factor(ptype.stay.drift, clock.years_since_start(-elapsed))
                stay = mean * stays.unit_draws(ptype.stay, n, rng)
                if ptype.withdrawal is not None:
                    w = ptype.withdrawal
                    patience = stays.residual_draws(w, stays.mean_of(w), elapsed, rng)
                else:
                    patience = np.full(n, np.inf)
                home, hs, unit = row.home, row.high_security, -1
            prefix = f"{rng_name}/{len(rows)}/"
            attrs = _attributes(scenario, row.type, n, seed, replication, prefix=prefix)
            profile = network.profile(k, np.full(n, int(hs)), attrs)
            values = np.column_stack(attrs) if attrs else np.zeros((n, 0), dtype=np.int64)
            refused = _refusals(network, values, row.type, seed, replication, prefix)
            rows.append((
                clock.warmup - elapsed, np.full(n, k), np.full(n, network.regions.index(home)),
                np.full(n, hs, dtype=bool), stay, patience, np.full(n, unit), profile, values, refused,
            ))  # fmt: skip
    return rows
