"""The SimPy model, written for speed: events with callbacks, no process per youth.

A youth is a row of numbers in lists, not a generator. Arrival times are known before the run (see
:mod:`sim.engine.youths`), so the run loop merges that sorted stream with SimPy's event queue instead of pushing
every arrival through the heap. Departures, half of all events, are kept in a heap of their own as plain
``(time, priority, eid, youth)`` tuples numbered from the environment's own event counter, so merging the
two heaps gives exactly the order of one SimPy queue (time, priority, insertion) without creating an event
object per stay. Everything else (withdrawals, planned changes, flexible and emergency places) is a SimPy
event with a callback. At equal times queued events go first (a place freed at time t is free for a youth
arriving at t).

When a place frees it is offered, in this order, to: a youth in an emergency place in the same
institution; a youth whose emergency place is overdue; the first eligible youth on the waiting list; and,
with ``move_nearer_home``, a youth from this region placed elsewhere. Only then does it stay free.

The inner loop avoids attribute look-ups and helper calls on purpose (see ``kapsim bench``): events are
:class:`simpy.Event` objects carrying their payload as value, pushed onto the environment's event queue
exactly as :meth:`simpy.Environment.schedule` does, and :meth:`Model.run` steps the queue like
:meth:`simpy.Environment.run` without its per-step method calls. :mod:`sim.engine.reference` is the base model
written the plain SimPy way (one process per youth) and must give identical records on the same streams.
"""

from __future__ import annotations

import math
from heapq import heappop, heappush

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.engine.allocation import WaitingList
from sim.engine.network import EMERGENCY, FLEXIBLE, Network
from sim.engine.records import MOVE_EMERGENCY_ENDS, MOVE_NEARER_HOME, MOVE_OVERDUE, Records
from sim.engine.youths import Youths


class Call(simpy.Event):
    """An already-triggered event that calls one callback when the environment reaches it."""

    def __init__(self, env: simpy.Environment, value, callback):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True


class FlexPool:
    """State of one flexible pool: how long its waiting list has been long, what is being opened."""

    __slots__ = ("unit", "rule", "queue", "long_since", "pending", "opened_at", "free_since", "check_pending")

    def __init__(self, unit: int, rule):
        self.unit = unit
        self.rule = rule
        self.queue = 0  # youths waiting whom these places may take
        self.long_since: float | None = None  # since when queue >= trigger
        self.pending = 0  # places being prepared (lead time)
        self.opened_at = -math.inf
        self.free_since: list[float] = []  # since when each free place has been free, oldest first
        self.check_pending = False  # a closing check is scheduled


class Model:
    """One replication. Build it, call :meth:`run`, get :class:`~sim.engine.records.Records`."""

    def __init__(self, network: Network, youths: Youths, end: float):
        self.network = network
        self.end = end
        self.env = simpy.Environment()
        self.allocation = network.allocation
        self.waiting = WaitingList(network.priority)
        n = len(youths)
        self.youths = youths
        # plain lists: indexing them in the event loop is several times faster than numpy scalars
        self._arrival = youths.arrival.tolist()
        self._type = youths.type.tolist()
        self._profile = youths.profile.tolist()
        self._home = youths.home.tolist()
        self._stay = youths.stay.tolist()
        self._patience = youths.patience.tolist()
        n_regions = len(network.regions)
        groups = self.allocation.groups
        by_key = [groups[p, h] for p in range(network.n_profiles) for h in range(n_regions)]
        self._groups = list(map(by_key.__getitem__, (youths.profile * n_regions + youths.home).tolist()))
        placed = youths.start_unit >= 0
        self._placed_at_start = list(zip(np.flatnonzero(placed).tolist(), youths.start_unit[placed].tolist()))
        stream = np.flatnonzero(~placed)
        self._stream = stream.tolist()
        self._arrivals_at = np.maximum(youths.arrival[stream], 0.0).tolist()  # those waiting at start come at 0
        self._departures_heap: list[tuple[float, int, int, int]] = []  # (time, NORMAL, eid, youth)
        self.admitted = [math.nan] * n
        self.unit = [-1] * n  # first unit
        self.cur = [-1] * n  # current unit while placed
        self.left = [math.nan] * n
        self.withdrawn = [math.nan] * n
        self._waiting_flag = [False] * n
        units = network.units
        self.kind = [u.kind for u in units]
        self.unit_inst = [u.institution for u in units]
        self.unit_region = [u.region for u in units]
        self.places = list(network.initial_places)
        self.occupied = [0] * network.n_units
        self.free = list(self.places)
        self._elig = [self.allocation.eligibility(u) for u in range(network.n_units)]
        self.open_log: list[tuple[float, int, int]] = [
            (0.0, u, 0 if k == EMERGENCY else p) for u, (p, k) in enumerate(zip(self.places, self.kind))
        ]
        self.moves: list[tuple[float, int, int, int, int]] = []  # (time, youth, from, to, reason)
        self.openings: list[tuple[float, int, int]] = []  # (time, unit, places opened)
        self.overdue: list[tuple[float, int]] = []  # (time, youth) an emergency place passed its limit
        # policies (empty when the scenario has none, and then never touched in the inner loop)
        self._in_emergency = [[] for _ in network.institutions]  # youths in emergency places, by institution
        self._overdue_now: list[int] = []
        self._emergency_days = list(network.emergency_days)
        self._flex = [FlexPool(u, rule) for u, rule in network.flexible]
        self._flex_of_unit = {p.unit: p for p in self._flex}
        self._flex_of_profile = [
            [p for p in self._flex if network.units[p.unit].eligible[k]] for k in range(network.n_profiles)
        ]
        self._nearer = network.move_nearer_home
        self._away = [[] for _ in network.regions]  # by home region: youths placed outside it
        # without emergency places or moves, a freed place goes straight to the waiting list (fast path)
        self._simple = not self._nearer and EMERGENCY not in self.kind

    def _at(self, delay: float, value, callback) -> None:
        """Schedule ``callback(event)`` after ``delay`` days, with ``event.value == value``."""
        env = self.env
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), Call(env, value, callback)))

    # --- the run loop ---------------------------------------------------------------------------
    def run(self) -> Records:
        env, end = self.env, self.end
        for day, u, places in self.network.changes:
            self._at(day, (u, places), self._on_change)
        for i, u in self._placed_at_start:
            self._place_at_start(i, u)
        # two heaps and one sorted list, merged: SimPy's queue (every event but departures), the departures
        # (time, NORMAL, eid, youth) numbered from the same counter, so (time, priority, eid) orders them
        # exactly as one heap would; and the arrivals, which come after anything queued at the same time.
        # A sentinel at infinity in each heap spares the emptiness checks.
        queue, departures = env._queue, self._departures_heap
        heappush(queue, (math.inf, NORMAL, -1, None))
        heappush(departures, (math.inf, NORMAL, -2, -1))
        arrivals = self._arrivals_at
        stream = self._stream
        n = len(arrivals)
        k = 0
        next_arrival = arrivals[0] if n else math.inf
        arrive, depart = self._arrival_handler(), self._departure_handler()
        while True:
            q, d = queue[0], departures[0]
            if d < q:
                if d[0] <= next_arrival:
                    if d[0] >= end:
                        break
                    heappop(departures)
                    env._now = now = d[0]
                    depart(d[3], now)
                    continue
            elif q[0] <= next_arrival:
                if q[0] >= end:
                    break
                env._now, _, _, event = heappop(queue)
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    raise event._value
                continue
            if next_arrival >= end:
                break
            env._now = next_arrival
            arrive(stream[k], next_arrival)
            k += 1
            next_arrival = arrivals[k] if k < n else math.inf
        env._now = end
        left, withdrawn = np.array(self.left), np.array(self.withdrawn)
        handled = np.count_nonzero(~np.isnan(left)) + np.count_nonzero(~np.isnan(withdrawn))  # departures, withdrawals
        return Records(
            youths=self.youths,
            admitted=np.array(self.admitted),
            unit=np.array(self.unit, dtype=np.int64),
            left=left,
            withdrawn=withdrawn,
            open_log=np.array(self.open_log, dtype=float).reshape(-1, 3),
            end=self.end,
            events=len(self._arrival) + int(handled) + len(self.network.changes),
            moves=np.array(self.moves, dtype=float).reshape(-1, 5),
            openings=np.array(self.openings, dtype=float).reshape(-1, 3),
            overdue=np.array(self.overdue, dtype=float).reshape(-1, 2),
        )

    # --- arrivals and placement -----------------------------------------------------------------
    def _arrival_handler(self):
        """``arrive(i, now)``: youth ``i`` arrives. A closure over the model's lists (which are never
        rebound, only changed in place): reading them from closure cells instead of attributes saved about
        6 % of a replication's run time (best of 15 alternating rounds, baseline)."""
        free, occupied, admitted, unit, cur = self.free, self.occupied, self.admitted, self.unit, self.cur
        groups, stay, kind, patience_of = self._groups, self._stay, self.kind, self._patience
        departures, eid = self._departures_heap, self.env._eid

        def arrive(i: int, now: float) -> None:
            # allocation (see Allocation.choose, inlined): home region first, most free places within a region
            for group in groups[i] if any(free) else ():  # nothing free anywhere: straight to the list
                best, most = -1, 0
                for u in group:
                    if free[u] > most:
                        best, most = u, free[u]
                if best >= 0:  # _place, inlined
                    free[best] -= 1
                    occupied[best] += 1
                    admitted[i] = now
                    unit[i] = best
                    cur[i] = best
                    heappush(departures, (now + stay[i], NORMAL, next(eid), i))
                    if kind[best]:
                        self._entered_special(i, best, now)
                    if self._nearer and self.unit_region[best] != self._home[i]:
                        self._away[self._home[i]].append(i)
                    return
            patience = patience_of[i]
            if patience == 0.0:  # a type without a waiting list: diverted at once
                self.withdrawn[i] = now
                return
            self.waiting.push(i, self._type[i])
            self._waiting_flag[i] = True
            if self._flex:
                self._queue_changed(i, +1, now)
            if patience != math.inf:
                arrived = self._arrival[i]
                self._at(patience if arrived == now else arrived + patience - now, i, self._on_withdrawal)

        return arrive

    def _leaves_at(self, time: float, i: int) -> None:
        """Schedule youth ``i``'s departure (the handlers inline this on their hot path)."""
        heappush(self._departures_heap, (time, NORMAL, next(self.env._eid), i))

    def _place(self, i: int, u: int, now: float) -> None:
        """Put youth ``i`` in a place of unit ``u`` already counted out of ``free``."""
        self.occupied[u] += 1
        self.admitted[i] = now
        self.unit[i] = u
        self.cur[i] = u
        self._leaves_at(now + self._stay[i], i)
        if self.kind[u]:
            self._entered_special(i, u, now)
        if self._nearer and self.unit_region[u] != self._home[i]:
            self._away[self._home[i]].append(i)

    def _place_at_start(self, i: int, u: int) -> None:
        """A youth already in unit ``u`` on the start date (may exceed its places: they then drain)."""
        self.occupied[u] += 1
        self.free[u] = max(self.places[u] - self.occupied[u], 0)
        if self.occupied[u] > self.places[u]:
            self.open_log.append((0.0, u, self.occupied[u]))
        self.admitted[i] = self._arrival[i]
        self.unit[i] = u
        self.cur[i] = u
        self._leaves_at(self._arrival[i] + self._stay[i], i)
        if self._nearer and self.unit_region[u] != self._home[i]:
            self._away[self._home[i]].append(i)

    def _entered_special(self, i: int, u: int, now: float) -> None:
        if self.kind[u] == EMERGENCY:
            self._in_emergency[self.unit_inst[u]].append(i)
            self.open_log.append((now, u, self.occupied[u]))
            self._at(self._emergency_days[u], i, self._on_emergency_limit)
        else:
            self._flex_sync(u, now)

    # --- places freeing -------------------------------------------------------------------------
    def _departure_handler(self):
        """``depart(i, now)``: youth ``i`` leaves its place (a closure, like :meth:`_arrival_handler`)."""
        free, occupied, admitted, unit, cur = self.free, self.occupied, self.admitted, self.unit, self.cur
        left, places, stay, kind, elig = self.left, self.places, self._stay, self.kind, self._elig
        waiting, profile, waiting_flag, open_log = self.waiting, self._profile, self._waiting_flag, self.open_log
        departures, eid, simple = self._departures_heap, self.env._eid, self._simple

        def depart(i: int, now: float) -> None:
            u = cur[i]
            left[i] = now
            cur[i] = -1
            n = occupied[u] - 1
            occupied[u] = n
            if simple:  # _vacate and _offer, inlined for the common case
                if n >= places[u]:
                    open_log.append((now, u, n))  # a closure is waiting for this place
                    return
                if waiting.size:
                    j = waiting.first_eligible(elig[u], profile)
                    if j >= 0:
                        waiting_flag[j] = False
                        if self._flex:
                            self._queue_changed(j, -1, now)
                        occupied[u] = n + 1
                        admitted[j] = now
                        unit[j] = u
                        cur[j] = u
                        heappush(departures, (now + stay[j], NORMAL, next(eid), j))
                        if kind[u]:
                            self._entered_special(j, u, now)
                        return
                free[u] += 1
                if kind[u] == FLEXIBLE:
                    self._flex_sync(u, now)
                return
            if kind[u] == EMERGENCY:
                self._in_emergency[self.unit_inst[u]].remove(i)
                if i in self._overdue_now:
                    self._overdue_now.remove(i)
            self._vacate(u, now)

        return depart

    def _vacate(self, u: int, now: float) -> None:
        """A youth has just left a place in unit ``u`` (``occupied`` already lowered)."""
        occupied = self.occupied[u]
        if self.kind[u] == EMERGENCY:
            self.open_log.append((now, u, occupied))  # an emergency bed closes when its youth leaves it ...
            waiting = self.waiting
            if waiting.size:  # ... unless a youth is waiting whom it may take: the institution is still full
                j = waiting.first_eligible(self._elig[u], self._profile)
                if j >= 0:
                    self._waiting_flag[j] = False
                    if self._flex:
                        self._queue_changed(j, -1, now)
                    self._place(j, u, now)
                    return
            self.free[u] += 1
            return
        if occupied >= self.places[u]:
            # a closure is waiting for this place: it closes instead of being refilled
            self.open_log.append((now, u, occupied))
            return
        if not self._offer(u, now):
            self.free[u] += 1
            if self.kind[u] == FLEXIBLE:
                self._flex_sync(u, now)

    def _offer(self, u: int, now: float) -> bool:
        """Give one place of unit ``u`` (not counted in ``free``) to whoever comes first; False if nobody."""
        elig = self._elig[u]
        profile = self._profile
        for j in self._in_emergency[self.unit_inst[u]]:
            if elig[profile[j]]:
                self._move(j, u, now, MOVE_EMERGENCY_ENDS)
                return True
        for j in self._overdue_now:
            if elig[profile[j]]:
                self._move(j, u, now, MOVE_OVERDUE)
                return True
        waiting = self.waiting
        if waiting.size:
            j = waiting.first_eligible(elig, profile)
            if j >= 0:
                self._waiting_flag[j] = False
                if self._flex:
                    self._queue_changed(j, -1, now)
                self._place(j, u, now)
                return True
        if self._nearer and self.kind[u] != FLEXIBLE:  # a move never opens up the need for a flexible place
            return self._bring_home(u, now)
        return False

    def _move(self, j: int, to: int, now: float, reason: int) -> None:
        """Move a placed youth to a place of unit ``to`` (already counted out of ``free``)."""
        frm = self.cur[j]
        self.occupied[frm] -= 1
        self.occupied[to] += 1
        self.cur[j] = to
        self.moves.append((now, j, frm, to, reason))
        if self.kind[frm] == EMERGENCY:
            self._in_emergency[self.unit_inst[frm]].remove(j)
            if j in self._overdue_now:
                self._overdue_now.remove(j)
        if self.kind[to] == FLEXIBLE:
            self._flex_sync(to, now)
        if self._nearer and self.unit_region[to] != self._home[j] and self.unit_region[frm] == self._home[j]:
            self._away[self._home[j]].append(j)
        self._vacate(frm, now)

    def _bring_home(self, u: int, now: float) -> bool:
        """Move the longest-placed youth of this region who sits elsewhere into unit ``u``."""
        region = self.unit_region[u]
        away = self._away[region]
        elig = self._elig[u]
        keep = []
        moved = -1
        for j in away:
            c = self.cur[j]
            if c < 0 or self.unit_region[c] == region:
                continue  # left, or already home: drop from the list
            if moved < 0 and elig[self._profile[j]] and self.kind[c] != EMERGENCY:
                moved = j
                continue
            keep.append(j)
        away[:] = keep
        if moved < 0:
            return False
        self._move(moved, u, now, MOVE_NEARER_HOME)
        return True

    def _fill(self, u: int, now: float) -> None:
        """Give the free places of unit ``u`` to whoever comes first, while anyone does."""
        while self.free[u] > 0:
            self.free[u] -= 1
            if not self._offer(u, now):
                self.free[u] += 1
                return

    # --- other events ---------------------------------------------------------------------------
    def _on_withdrawal(self, event: simpy.Event) -> None:
        i = event._value
        if self._waiting_flag[i]:
            now = self.env._now
            self._waiting_flag[i] = False
            self.waiting.remove(i, self._type[i])
            self.withdrawn[i] = now
            if self._flex:
                self._queue_changed(i, -1, now)

    def _on_change(self, event: simpy.Event) -> None:
        u, places = event._value
        now = self.env._now
        self.places[u] = places
        self.free[u] = places - self.occupied[u] if places > self.occupied[u] else 0
        self.open_log.append((now, u, max(places, self.occupied[u])))
        self._fill(u, now)

    def _on_emergency_limit(self, event: simpy.Event) -> None:
        """An emergency place has been used as long as allowed: its youth moves at the first chance."""
        j = event._value
        c = self.cur[j]
        if c < 0 or self.kind[c] != EMERGENCY:
            return
        now = self.env._now
        self.overdue.append((now, j))
        self._overdue_now.append(j)
        free = self.free
        for group in self._groups[j]:
            for u in group:
                if self.kind[u] != EMERGENCY and free[u] > 0:
                    free[u] -= 1
                    self._move(j, u, now, MOVE_OVERDUE)
                    return

    # --- flexible places ------------------------------------------------------------------------
    def _queue_changed(self, i: int, delta: int, now: float) -> None:
        for pool in self._flex_of_profile[self._profile[i]]:
            pool.queue += delta
            need = pool.rule.trigger.queue_at_least
            if pool.queue >= need:
                if pool.long_since is None:
                    pool.long_since = now
                    self._at(pool.rule.trigger.for_days, (pool, now), self._on_flex_check)
            else:
                pool.long_since = None

    def _on_flex_check(self, event: simpy.Event) -> None:
        pool, since = event._value
        if pool.long_since != since or pool.pending:
            return
        rule = pool.rule
        room = rule.places - self.places[pool.unit] if self.places[pool.unit] < rule.places else 0
        if room <= 0:
            return
        pool.pending = min(rule.step or rule.places, room)
        self._at(rule.lead_days, pool, self._on_flex_open)

    def _on_flex_open(self, event: simpy.Event) -> None:
        pool = event._value
        now = self.env._now
        u = pool.unit
        n, pool.pending = pool.pending, 0
        self.places[u] += n
        self.free[u] += n
        pool.opened_at = now
        self.openings.append((now, u, n))
        self.open_log.append((now, u, max(self.places[u], self.occupied[u])))
        self._fill(u, now)
        self._flex_sync(u, now)
        if pool.queue >= pool.rule.trigger.queue_at_least:  # still long: count again from now
            pool.long_since = now
            self._at(pool.rule.trigger.for_days, (pool, now), self._on_flex_check)

    def _flex_sync(self, u: int, now: float) -> None:
        """Keep one 'free since' time per free place of a flexible pool, and a closing check scheduled.

        A taken place is the most recently freed one, so the places free longest are the ones that close.
        """
        pool = self._flex_of_unit[u]
        since = pool.free_since
        free = self.free[u]
        while len(since) > free:
            since.pop()
        while len(since) < free:
            since.append(now)
        if since and not pool.check_pending:
            pool.check_pending = True
            due = max(since[0] + pool.rule.close_after_empty_days, pool.opened_at + pool.rule.min_open_days)
            self._at(max(due - now, 0.0), pool, self._on_flex_close)

    def _on_flex_close(self, event: simpy.Event) -> None:
        """Close the places free for ``close_after_empty_days``, once open ``min_open_days``."""
        pool = event._value
        pool.check_pending = False
        u = pool.unit
        now = self.env._now
        rule = pool.rule
        if now >= pool.opened_at + rule.min_open_days - 1e-9:
            since = pool.free_since
            due = 0
            while due < len(since) and since[due] + rule.close_after_empty_days <= now + 1e-9:
                due += 1
            if due:
                self.places[u] -= due
                self.free[u] -= due
                del since[:due]
                self.open_log.append((now, u, max(self.places[u], self.occupied[u])))
        self._flex_sync(u, now)
