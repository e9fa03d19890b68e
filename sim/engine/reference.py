"""The same model written the plain SimPy way: one process per youth. Kept only as a reference.

It exists to check :mod:`sim.engine.model` (both must give identical records on the same streams) and to measure
how much the callback design gains (``kapsim bench``). Do not use it for studies: it is several times slower.
It covers the base model (places, planned changes, waiting list, withdrawal, start state), not the capacity
policies (flexible and emergency places, moves nearer home), and refuses scenarios that use them.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.engine.allocation import Allocation, WaitingList
from sim.engine.network import Network
from sim.engine.records import Records
from sim.engine.youths import Youths


def run_reference(network: Network, youths: Youths, end: float) -> Records:
    if network.flexible or network.move_nearer_home or any(u.kind for u in network.units):
        raise NotImplementedError("the reference model covers the base model only, without capacity policies")
    env = simpy.Environment()
    allocation = Allocation(network)
    waiting = WaitingList(network.priority)
    n = len(youths)
    admitted = [math.nan] * n
    unit = [-1] * n
    left = [math.nan] * n
    withdrawn = [math.nan] * n
    places = list(network.initial_places)
    occupied = [0] * network.n_units
    free = list(places)
    offer: dict[int, simpy.Event] = {}
    open_log: list[tuple[float, int, int]] = [(0.0, u, p) for u, p in enumerate(places)]
    events = [0]

    profile = youths.profile.tolist()

    def fill(u: int) -> None:
        while free[u] > 0 and waiting.size:
            j = waiting.first_eligible(allocation.eligibility(u), profile)
            if j < 0:
                return
            free[u] -= 1
            occupied[u] += 1
            unit[j] = u
            offer.pop(j).succeed(u)

    def youth(i: int):
        k, home = int(youths.type[i]), int(youths.home[i])
        events[0] += 1
        u = allocation.choose(allocation.groups[int(youths.profile[i]), home], free)
        if youths.start_unit[i] >= 0:  # already placed on the start date
            u = int(youths.start_unit[i])
            occupied[u] += 1
            free[u] = max(places[u] - occupied[u], 0)
            if occupied[u] > places[u]:
                open_log.append((0.0, u, occupied[u]))
            unit[i] = u
            admitted[i] = float(youths.arrival[i])
            yield env.timeout(admitted[i] + float(youths.stay[i]))
        elif u >= 0:
            free[u] -= 1
            occupied[u] += 1
            unit[i] = u
        elif float(youths.patience[i]) == 0.0:  # no waiting list: diverted at once
            events[0] += 1
            withdrawn[i] = env.now
            return
        else:
            offer[i] = place = env.event()
            waiting.push(i, k)
            patience = float(youths.patience[i])
            arrived = float(youths.arrival[i])
            if arrived != env.now:  # waiting since before the start date
                patience = arrived + patience - env.now
            if patience == math.inf:
                u = yield place
            else:
                result = yield place | env.timeout(patience)
                if place not in result:
                    events[0] += 1
                    waiting.remove(i, k)
                    del offer[i]
                    withdrawn[i] = env.now
                    return
                u = result[place]
        if youths.start_unit[i] < 0:
            admitted[i] = env.now
            yield env.timeout(float(youths.stay[i]))
        events[0] += 1
        left[i] = env.now
        occupied[u] -= 1
        if occupied[u] >= places[u]:
            open_log.append((env.now, u, occupied[u]))
            return
        free[u] += 1
        fill(u)

    def arrivals():
        for i in np.flatnonzero(youths.start_unit >= 0).tolist():
            env.process(youth(i))
        for i in np.flatnonzero(youths.start_unit < 0).tolist():
            yield env.timeout(max(float(youths.arrival[i]), 0.0) - env.now)
            env.process(youth(i))

    def change(day: float, u: int, new: int):
        yield env.timeout(day)
        events[0] += 1
        places[u] = new
        free[u] = max(new - occupied[u], 0)
        open_log.append((env.now, u, max(new, occupied[u])))
        fill(u)

    env.process(arrivals())
    for day, u, new in network.changes:
        env.process(change(day, u, new))
    env.run(until=end)
    return Records(
        youths=youths,
        admitted=np.array(admitted),
        unit=np.array(unit, dtype=np.int64),
        left=np.array(left),
        withdrawn=np.array(withdrawn),
        open_log=np.array(open_log, dtype=float).reshape(-1, 3),
        end=end,
        events=events[0],
    )
