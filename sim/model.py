"""The SimPy model, written for speed: events with callbacks, no process per youth.

A youth is a row of numbers in lists, not a generator. Arrival times are known before the run (see
:mod:`sim.youths`), so the run loop merges that sorted stream with SimPy's event queue instead of pushing
every arrival through the heap; each placement schedules its own departure as a SimPy event, and a
withdrawal event is scheduled only for youths who wait. At equal times queued events go first (a place
freed at time t is free for a youth arriving at t). :mod:`sim.reference` is the same model written the plain SimPy way
(one process per youth) and must give identical records on the same streams.

The inner loop avoids attribute look-ups and helper calls on purpose (see ``kapsim bench``): events are
:class:`simpy.Event` objects carrying the youth's index as their value, pushed onto the environment's
event queue exactly as :meth:`simpy.Environment.schedule` does, and :meth:`Model.run` steps the queue like
:meth:`simpy.Environment.run` without its per-step method calls (same order: time, priority, insertion).
"""

from __future__ import annotations

import math
from heapq import heappop, heappush

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.allocation import Allocation, WaitingList
from sim.network import Network
from sim.records import Records
from sim.youths import Youths


class Call(simpy.Event):
    """An already-triggered event that calls one callback when the environment reaches it."""

    def __init__(self, env: simpy.Environment, value, callback):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True


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
        self._key = (2 * youths.type + youths.high_security).tolist()
        self._stay = youths.stay.tolist()
        self._patience = youths.patience.tolist()
        start_unit = youths.start_unit.tolist()
        self._placed_at_start = [(i, u) for i, u in enumerate(start_unit) if u >= 0]
        self._stream = [i for i, u in enumerate(start_unit) if u < 0]
        groups = self.allocation.groups
        self._groups = [groups[k] for k in zip(self._type, youths.high_security.tolist(), youths.home.tolist())]
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
        self._departures = 0
        self._withdrawals = 0

    def _at(self, delay: float, value, callback) -> None:
        """Schedule ``callback(event)`` after ``delay`` days, with ``event.value == value``."""
        env = self.env
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), Call(env, value, callback)))

    # --- scheduling -----------------------------------------------------------------------------
    def run(self) -> Records:
        env, end = self.env, self.end
        for day, u, places in self.network.changes:
            self._at(day, (u, places), self._on_change)
        for i, u in self._placed_at_start:
            self._place_at_start(i, u)
        queue = env._queue
        arrivals = [max(self._arrival[i], 0.0) for i in self._stream]  # those waiting at start come at 0
        stream = self._stream
        n = len(arrivals)
        k = 0
        next_arrival = arrivals[0] if n else math.inf
        arrive = self._arrive
        while True:
            if queue and queue[0][0] <= next_arrival:
                if queue[0][0] >= end:
                    break
                env._now, _, _, event = heappop(queue)
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    raise event._value
            else:
                if next_arrival >= end:
                    break
                env._now = next_arrival
                arrive(stream[k], next_arrival)
                k += 1
                next_arrival = arrivals[k] if k < n else math.inf
        env._now = end
        return Records(
            youths=self.youths,
            admitted=np.array(self.admitted),
            unit=np.array(self.unit, dtype=np.int64),
            left=np.array(self.left),
            withdrawn=np.array(self.withdrawn),
            open_log=np.array(self.open_log, dtype=float).reshape(-1, 3),
            end=self.end,
            events=len(self._arrival) + self._departures + self._withdrawals + len(self.network.changes),
        )

    # --- events ---------------------------------------------------------------------------------
    def _arrive(self, i: int, now: float) -> None:
        # allocation (see Allocation.choose, inlined): home region first, most free places within a region
        free = self.free
        for group in self._groups[i]:
            best, most = -1, 0
            for u in group:
                if free[u] > most:
                    best, most = u, free[u]
            if best >= 0:
                free[best] -= 1
                self.occupied[best] += 1
                self.admitted[i] = now
                self.unit[i] = best
                self._at(self._stay[i], i, self._on_departure)
                return
        self.waiting.push(i, self._type[i])
        self._waiting_flag[i] = True
        patience = self._patience[i]
        if patience != math.inf:
            arrived = self._arrival[i]
            self._at(patience if arrived == now else arrived + patience - now, i, self._on_withdrawal)

    def _place_at_start(self, i: int, u: int) -> None:
        """A youth already in unit ``u`` on the start date (may exceed its places: they then drain)."""
        self.occupied[u] += 1
        self.free[u] = max(self.places[u] - self.occupied[u], 0)
        if self.occupied[u] > self.places[u]:
            self.open_log.append((0.0, u, self.occupied[u]))
        self.admitted[i] = self._arrival[i]
        self.unit[i] = u
        self._at(self._arrival[i] + self._stay[i], i, self._on_departure)

    def _on_departure(self, event: simpy.Event) -> None:
        i = event._value
        u = self.unit[i]
        now = self.env._now
        self._departures += 1
        self.left[i] = now
        occupied = self.occupied[u] - 1
        self.occupied[u] = occupied
        if occupied >= self.places[u]:
            # a closure is waiting for this place: it closes instead of being refilled
            self.open_log.append((now, u, occupied))
            return
        if self.waiting.size:
            elig = self._elig[u]
            key = self._key
            j = self.waiting.first_eligible(lambda y: elig[key[y]])
            if j >= 0:
                self._waiting_flag[j] = False
                self.occupied[u] = occupied + 1
                self.admitted[j] = now
                self.unit[j] = u
                self._at(self._stay[j], j, self._on_departure)
                return
        self.free[u] += 1

    def _fill(self, u: int, now: float) -> None:
        """Give the free places of unit ``u`` to the first eligible youths on the waiting list."""
        elig = self._elig[u]
        key = self._key
        while self.free[u] > 0 and self.waiting.size:
            j = self.waiting.first_eligible(lambda y: elig[key[y]])
            if j < 0:
                return
            self._waiting_flag[j] = False
            self.free[u] -= 1
            self.occupied[u] += 1
            self.admitted[j] = now
            self.unit[j] = u
            self._at(self._stay[j], j, self._on_departure)

    def _on_withdrawal(self, event: simpy.Event) -> None:
        i = event._value
        if self._waiting_flag[i]:
            self._waiting_flag[i] = False
            self._withdrawals += 1
            self.waiting.remove(i, self._type[i])
            self.withdrawn[i] = self.env._now

    def _on_change(self, event: simpy.Event) -> None:
        u, places = event._value
        now = self.env._now
        self.places[u] = places
        self.free[u] = places - self.occupied[u] if places > self.occupied[u] else 0
        self.open_log.append((now, u, max(places, self.occupied[u])))
        self._fill(u, now)
