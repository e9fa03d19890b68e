"""The SimPy model, written for speed: events with callbacks, no process per youth.

A youth is four numbers in arrays, not a generator. Arrivals are a chain of timeouts (one pending at a
time, so the event heap stays small); each placement schedules its own departure; a withdrawal timeout is
scheduled only for youths who wait. :mod:`sim.reference` is the same model written the plain SimPy way
(one process per youth) and must give identical records on the same streams.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from sim.allocation import Allocation, WaitingList
from sim.network import Network
from sim.records import Records
from sim.youths import Youths


class Model:
    """One replication. Build it, call :meth:`run`, get :class:`~sim.records.Records`."""

    def __init__(self, network: Network, youths: Youths, end: float):
        self.network = network
        self.end = end
        self.env = simpy.Environment()
        self.allocation = Allocation(network)
        self.waiting = WaitingList(network.priority)
        n = len(youths)
        self.youths = youths
        # plain lists: indexing them in the event loop is several times faster than numpy scalars
        self._arrival = youths.arrival.tolist()
        self._type = youths.type.tolist()
        self._hs = youths.high_security.tolist()
        self._home = youths.home.tolist()
        self._key = [2 * k + h for k, h in zip(self._type, self._hs)]
        self._stay = youths.stay.tolist()
        self._patience = youths.patience.tolist()
        self.admitted = [math.nan] * n
        self.unit = [-1] * n
        self.left = [math.nan] * n
        self.withdrawn = [math.nan] * n
        self._waiting_flag = [False] * n
        self.places = list(network.initial_places)
        self.occupied = [0] * network.n_units
        self.free = list(self.places)
        self._elig = [self.allocation.eligibility(u) for u in range(network.n_units)]
        self.open_log: list[tuple[float, int, int]] = [(0.0, u, p) for u, p in enumerate(self.places)]
        self._next = 0
        self.events = 0

    # --- scheduling -----------------------------------------------------------------------------
    def run(self) -> Records:
        env = self.env
        if self._arrival:
            env.timeout(self._arrival[0]).callbacks.append(self._on_arrival)
        for day, u, places in self.network.changes:
            env.timeout(day, value=(u, places)).callbacks.append(self._on_change)
        env.run(until=self.end)
        return Records(
            youths=self.youths,
            admitted=np.array(self.admitted),
            unit=np.array(self.unit, dtype=np.int64),
            left=np.array(self.left),
            withdrawn=np.array(self.withdrawn),
            open_log=np.array(self.open_log, dtype=float).reshape(-1, 3),
            end=self.end,
            events=self.events,
        )

    # --- events ---------------------------------------------------------------------------------
    def _on_arrival(self, event: simpy.Event) -> None:
        env = self.env
        now = env.now
        i = self._next
        self._next = i + 1
        self.events += 1
        if self._next < len(self._arrival):
            env.timeout(self._arrival[self._next] - now).callbacks.append(self._on_arrival)
        u = self.allocation.choose(self._type[i], self._hs[i], self._home[i], self.free)
        if u >= 0:
            self._admit(i, u, now)
            return
        self.waiting.push(i, self._type[i])
        self._waiting_flag[i] = True
        patience = self._patience[i]
        if patience != math.inf:
            env.timeout(patience, value=i).callbacks.append(self._on_withdrawal)

    def _admit(self, i: int, u: int, now: float) -> None:
        self.occupied[u] += 1
        self.free[u] -= 1
        self.admitted[i] = now
        self.unit[i] = u
        self.env.timeout(self._stay[i], value=i).callbacks.append(self._on_departure)

    def _on_departure(self, event: simpy.Event) -> None:
        i = event._value
        u = self.unit[i]
        now = self.env.now
        self.events += 1
        self.left[i] = now
        self.occupied[u] -= 1
        if self.occupied[u] >= self.places[u]:
            # a closure is waiting for this place: it closes instead of being refilled
            self.open_log.append((now, u, self.occupied[u]))
            return
        self.free[u] += 1
        self._fill(u, now)

    def _fill(self, u: int, now: float) -> None:
        """Give the free places of unit ``u`` to the first eligible youths on the waiting list."""
        elig = self._elig[u]
        key = self._key
        flag = self._waiting_flag
        while self.free[u] > 0 and self.waiting.size:
            j = self.waiting.first_eligible(lambda y: elig[key[y]])
            if j < 0:
                return
            flag[j] = False
            self._admit(j, u, now)

    def _on_withdrawal(self, event: simpy.Event) -> None:
        i = event._value
        if not self._waiting_flag[i]:
            return
        self.events += 1
        self._waiting_flag[i] = False
        self.waiting.remove(i, self._type[i])
        self.withdrawn[i] = self.env.now

    def _on_change(self, event: simpy.Event) -> None:
        u, places = event._value
        now = self.env.now
        self.events += 1
        self.places[u] = places
        self.free[u] = places - self.occupied[u] if places > self.occupied[u] else 0
        self.open_log.append((now, u, max(places, self.occupied[u])))
        self._fill(u, now)
