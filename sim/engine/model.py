"""The SimPy model, written for speed: events with callbacks, no process per youth.

A youth is a row of numbers in lists, not a generator. Arrival times are known before the run (see
:mod:`sim.engine.youths`), so the run loop merges that sorted stream with SimPy's event queue instead of
pushing every arrival through the heap. Departures, half of all events, are kept in a heap of their own as
plain ``(time, priority, eid, youth)`` tuples numbered from the environment's own event counter, so merging
the two heaps gives exactly the order of one SimPy queue (time, priority, insertion) without creating an
event object per stay. Everything else (withdrawals, planned changes, flexible and emergency places) is a
SimPy event with a callback. At equal times queued events go first (a place freed at time t is free for a
youth arriving at t).

Every handler uses the one placement rule of :mod:`sim.engine.allocation` (``choose`` a unit for a youth,
``first_eligible`` youth for a unit) and the one placement action :meth:`Model.place`. When a place frees it
is offered, in this order, to: a youth in an emergency place in the same institution; a youth whose
emergency place is overdue; the first eligible youth on the waiting list; and, with ``move_nearer_home``,
a youth from this region placed elsewhere. Only then does it stay free.

The event loop (:meth:`Model.run`) steps SimPy's queue the way :meth:`simpy.Environment.run` does, without
its per-step method calls, and the arrival and departure handlers are closures over the model's lists (see
``kapsim bench``). :mod:`sim.engine.reference` is the same model written the plain SimPy way (one process
per youth) and must give identical records on the same streams.
"""

from __future__ import annotations

import math
from heapq import heappop, heappush

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.engine import capacity_rule
from sim.engine.allocation import Allocation, WaitingList
from sim.engine.flexible import FlexiblePools
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


class Model:
    """One replication. Build it, call :meth:`run`, get :class:`~sim.engine.records.Records`."""

    def __init__(self, network: Network, youths: Youths, end: float, allocation: Allocation | None = None):
        self.network = network
        self.end = end
        self.env = simpy.Environment()
        self.allocation = allocation or Allocation(network)  # the worker builds it once for all replications
        self.waiting = WaitingList(network.priority)
        self.youths = youths
        self._youth_lists(network, youths)
        self._unit_lists(network)
        self.moves: list[tuple[float, int, int, int, int]] = []  # (time, youth, from, to, reason)
        self.openings: list[tuple[float, int, int]] = []  # (time, unit, places opened)
        self.overdue: list[tuple[float, int]] = []  # (time, youth) an emergency place passed its limit
        # policies (empty when the scenario has none, and then never touched in the inner loop)
        self._in_emergency = [[] for _ in network.institutions]  # youths in emergency places, by institution
        self._overdue_now: list[int] = []
        self._emergency_days = list(network.emergency_days)
        self.flex = FlexiblePools(self, network)
        self._has_flex = bool(self.flex)  # a plain bool: tested on every change of the waiting list
        self._nearer = network.move_nearer_home
        self._away = [[] for _ in network.regions]  # by home region: youths placed outside it
        self._rule = network.capacity_rule
        self._decided = list(self._rule.start) if self._rule else []  # the rule's units' places decided
        self.decisions: list[tuple[float, int, int, int, int]] = []  # (time, action, before, after, reason)
        # without emergency places or moves, a freed place goes straight to the waiting list (fast path)
        self._simple = not self._nearer and EMERGENCY not in self.kind
        # home-first placement and refusals: the general side of the rule (placement.py's checks) is used
        self._hf = list(network.home_first)  # by type: days only home places count
        self._general = any(self._hf) or network.has_refusals
        self._refused = youths.refused.tolist() if network.has_refusals else None
        self.refusals: list[tuple[float, int, int]] = []  # (time, youth, institution), once a pair
        self._refusal_seen: set[tuple[int, int]] = set()
        self.place, self.take = self._placer(), (self._general_taker() if self._general else self._taker())

    def _youth_lists(self, network: Network, youths: Youths) -> None:
        """Per-youth plain lists: indexing them in the event loop is several times faster than numpy scalars."""
        n = len(youths)
        self._arrival = youths.arrival.tolist()
        self._type = youths.type.tolist()
        self._profile = youths.profile.tolist()
        self._home = youths.home.tolist()
        self._stay = youths.stay.tolist()
        self._patience = youths.patience.tolist()
        n_regions = len(network.regions)
        groups, no_emergency = self.allocation.groups, self.allocation.groups_no_emergency
        keys = (youths.profile * n_regions + youths.home).tolist()
        by_key = [groups[p, h] for p in range(network.n_profiles) for h in range(n_regions)]
        self._groups = list(map(by_key.__getitem__, keys))
        if any(network.home_first):
            by_key = [self.allocation.home_groups[p, h] for p in range(network.n_profiles) for h in range(n_regions)]
            self._home_groups = list(map(by_key.__getitem__, keys))
        if no_emergency is not groups:  # only where the network has emergency places
            by_key = [no_emergency[p, h] for p in range(network.n_profiles) for h in range(n_regions)]
            self._groups_no_emergency = list(map(by_key.__getitem__, keys))
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

    def _unit_lists(self, network: Network) -> None:
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

    def at(self, delay: float, value, callback) -> None:
        """Schedule ``callback(event)`` after ``delay`` days, with ``event.value == value``."""
        env = self.env
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), Call(env, value, callback)))

    # --- the run loop ---------------------------------------------------------------------------
    def run(self) -> Records:
        env, end = self.env, self.end
        for day, u, places in self.network.changes:
            self.at(day, (u, places), self._on_change)
        for day in self._rule.review_days if self._rule else ():
            self.at(day, None, self._on_review)
        for i, u in self._placed_at_start:
            self._place_at_start(i, u)
        # two heaps and one sorted list, merged: SimPy's queue (every event but departures), the departures
        # (time, NORMAL, eid, youth) numbered from the same counter, so (time, priority, eid) orders them
        # exactly as one heap would; and the arrivals, which come after anything queued at the same time.
        # A sentinel at infinity in each heap spares the emptiness checks.
        queue, departures = env._queue, self._departures_heap
        heappush(queue, (math.inf, NORMAL, -1, None))
        heappush(departures, (math.inf, NORMAL, -2, -1))
        arrivals = self._arrivals_at + [math.inf]  # a sentinel here too
        stream = self._stream
        k = 0
        next_arrival = arrivals[0]
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
            next_arrival = arrivals[k]
        env._now = end
        # a model runs once: drop what refers back to it (closures, pools, pending events' callbacks), so it is
        # freed as soon as its records are made instead of waiting for the garbage collector (``kapsim bench``)
        self.place = self.take = self.flex = None
        queue.clear()
        return self._records()

    def _records(self, until: float | None = None) -> Records:
        """The records; with ``until``, those so far (a capacity rule's review reads them)."""
        left, withdrawn = np.array(self.left), np.array(self.withdrawn)
        handled = np.count_nonzero(~np.isnan(left)) + np.count_nonzero(~np.isnan(withdrawn))  # departures, withdrawals
        return Records(
            youths=self.youths,
            admitted=np.array(self.admitted),
            unit=np.array(self.unit, dtype=np.int64),
            left=left,
            withdrawn=withdrawn,
            open_log=np.array(self.open_log, dtype=float).reshape(-1, 3),
            end=self.end if until is None else until,
            events=len(self._arrival) + int(handled) + len(self.network.changes),
            moves=np.array(self.moves, dtype=float).reshape(-1, 5),
            openings=np.array(self.openings, dtype=float).reshape(-1, 3),
            overdue=np.array(self.overdue, dtype=float).reshape(-1, 2),
            decisions=np.array(self.decisions, dtype=float).reshape(-1, 5),
            refusals=np.array(self.refusals, dtype=float).reshape(-1, 3),
        )

    # --- the placement action -------------------------------------------------------------------
    def _placer(self):
        """``place(i, u, now)``: youth ``i`` gets a place in unit ``u`` (already counted out of ``free``).

        The one placement action of every handler. A closure over the model's lists (which are never
        rebound, only changed in place): reading them from closure cells instead of attributes is measurably
        faster in the event loop (``kapsim bench``).
        """
        occupied, admitted, unit, cur = self.occupied, self.admitted, self.unit, self.cur
        stay, kind, departures, eid = self._stay, self.kind, self._departures_heap, self.env._eid
        nearer, unit_region, home, away = self._nearer, self.unit_region, self._home, self._away

        def place(i: int, u: int, now: float) -> None:
            occupied[u] += 1
            admitted[i] = now
            unit[i] = u
            cur[i] = u
            heappush(departures, (now + stay[i], NORMAL, next(eid), i))
            if kind[u]:
                self._entered_special(i, u, now)
            if nearer and unit_region[u] != home[i]:
                away[home[i]].append(i)

        return place

    def _taker(self):
        """``take(u, now)``: the first waiting youth that unit ``u`` may take, off the list (the rule's other
        side), or -1. Callers test ``waiting.size`` first: most places free while nobody waits. A closure,
        like :meth:`_placer`."""
        first_eligible, elig, profile, flag = self.waiting.first_eligible, self._elig, self._profile, self._waiting_flag
        has_flex, flex = self._has_flex, self.flex

        def take(u: int, now: float) -> int:
            j = first_eligible(elig[u], profile)
            if j >= 0:
                flag[j] = False
                if has_flex:
                    flex.queue_changed(profile[j], -1, now)
            return j

        return take

    def _general_taker(self):
        """``take(u, now)`` with home-first windows and refusals: the first waiting youth unit ``u`` takes by
        profile and :meth:`_admits`."""
        waiting, elig, profile, flag = self.waiting, self._elig, self._profile, self._waiting_flag

        def take(u: int, now: float) -> int:
            j = waiting.first_admissible(elig[u], profile, lambda y: self._admits(y, u, now))
            if j >= 0:
                flag[j] = False
                if self._has_flex:
                    self.flex.queue_changed(profile[j], -1, now)
            return j

        return take

    def _admits(self, j: int, u: int, now: float) -> bool:
        """May unit ``u`` take waiting youth ``j`` now: not in the youth's home-first window unless at home, and
        not refused by the unit's institution (a refusal is counted, once a youth and institution)."""
        hf = self._hf[self._type[j]]
        if hf and self.unit_region[u] != self._home[j] and now < self._arrival[j] + hf:
            return False
        return self._accepts(j, u, now)

    def _accepts(self, j: int, u: int, now: float) -> bool:
        """Whether unit ``u``'s institution takes youth ``j`` (False, and a refusal counted, if it refuses)."""
        if self._refused is None or not self._refused[j][self.unit_inst[u]]:
            return True
        self._refusal(j, self.unit_inst[u], now)
        return False

    def _refusal(self, j: int, inst: int, now: float) -> None:
        if (j, inst) not in self._refusal_seen:
            self._refusal_seen.add((j, inst))
            self.refusals.append((now, j, inst))

    def _choose(self, i: int, groups, now: float) -> int:
        """The unit for youth ``i`` among ``groups`` (the rule), asking around the institutions that refuse it."""
        if self._refused is None or not any(self._refused[i]):
            return Allocation.choose(groups, self.free)
        return Allocation.choose_admitting(
            groups, self.free, self._refused[i], self.unit_inst, lambda inst: self._refusal(i, inst, now)
        )

    def _place_at_start(self, i: int, u: int) -> None:
        """A youth already in unit ``u`` on the start date (may exceed its places: they then drain)."""
        self.occupied[u] += 1
        self.free[u] = max(self.places[u] - self.occupied[u], 0)
        if self.occupied[u] > self.places[u]:
            self.open_log.append((0.0, u, self.occupied[u]))
        self.admitted[i] = self._arrival[i]
        self.unit[i] = u
        self.cur[i] = u
        heappush(self._departures_heap, (self._arrival[i] + self._stay[i], NORMAL, next(self.env._eid), i))
        if self._nearer and self.unit_region[u] != self._home[i]:
            self._away[self._home[i]].append(i)

    def _entered_special(self, i: int, u: int, now: float) -> None:
        if self.kind[u] == EMERGENCY:
            self._in_emergency[self.unit_inst[u]].append(i)
            self.open_log.append((now, u, self.occupied[u]))
            self.at(self._emergency_days[u], i, self._on_emergency_limit)
        else:
            self.flex.sync(u, now)

    # --- arrivals -------------------------------------------------------------------------------
    def _arrival_handler(self):
        """``arrive(i, now)``: youth ``i`` arrives and is placed by the rule, or waits, or is diverted."""
        free, groups, choose, place = self.free, self._groups, Allocation.choose, self.place
        patience_of, arrival = self._patience, self._arrival
        general, hf_of, types = self._general, self._hf, self._type

        def arrive(i: int, now: float) -> None:
            if general:  # home-first windows, refusals
                hf = hf_of[types[i]]
                window = hf and now < arrival[i] + hf
                u = self._choose(i, self._home_groups[i] if window else groups[i], now) if any(free) else -1
            else:
                u = choose(groups[i], free) if any(free) else -1  # nothing free anywhere: straight to the list
            if u >= 0:
                free[u] -= 1
                place(i, u, now)
                return
            patience = patience_of[i]
            if patience == 0.0:  # a type without a waiting list: diverted at once
                self.withdrawn[i] = now
                return
            self.waiting.push(i, self._type[i])
            self._waiting_flag[i] = True
            if self._has_flex:
                self.flex.queue_changed(self._profile[i], +1, now)
            if general and window:  # after the window, places anywhere count: look again then
                self.at(arrival[i] + hf - now, i, self._on_home_first_ends)
            if patience != math.inf:
                arrived = arrival[i]
                self.at(patience if arrived == now else arrived + patience - now, i, self._on_withdrawal)

        return arrive

    # --- places freeing -------------------------------------------------------------------------
    def _departure_handler(self):
        """``depart(i, now)``: youth ``i`` leaves its place, which goes to whoever comes first."""
        free, occupied, cur, left, places, kind = self.free, self.occupied, self.cur, self.left, self.places, self.kind
        open_log, simple, take, place, waiting = self.open_log, self._simple, self.take, self.place, self.waiting

        def depart(i: int, now: float) -> None:
            u = cur[i]
            left[i] = now
            cur[i] = -1
            n = occupied[u] - 1
            occupied[u] = n
            if simple:  # no emergency places or moves: the waiting list, or free
                if n >= places[u]:
                    open_log.append((now, u, n))  # a closure is waiting for this place
                    return
                if waiting.size:
                    j = take(u, now)
                    if j >= 0:
                        place(j, u, now)
                        return
                free[u] += 1
                if kind[u] == FLEXIBLE:
                    self.flex.sync(u, now)
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
            j = self.take(u, now) if self.waiting.size else -1  # ... unless a youth waits whom it may take
            if j >= 0:
                self.place(j, u, now)
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
                self.flex.sync(u, now)

    def _offer(self, u: int, now: float) -> bool:
        """Give one place of unit ``u`` (not counted in ``free``) to whoever comes first; False if nobody."""
        elig = self._elig[u]
        profile = self._profile
        for j in self._in_emergency[self.unit_inst[u]]:
            if elig[profile[j]]:
                self._move(j, u, now, MOVE_EMERGENCY_ENDS)
                return True
        for j in self._overdue_now:
            if elig[profile[j]] and (not self._general or self._accepts(j, u, now)):
                self._move(j, u, now, MOVE_OVERDUE)
                return True
        j = self.take(u, now) if self.waiting.size else -1
        if j >= 0:
            self.place(j, u, now)
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
            self.flex.sync(to, now)
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
                if not self._general or self._accepts(j, u, now):
                    moved = j
                    continue
            keep.append(j)
        away[:] = keep
        if moved < 0:
            return False
        self._move(moved, u, now, MOVE_NEARER_HOME)
        return True

    def fill(self, u: int, now: float) -> None:
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
            if self._has_flex:
                self.flex.queue_changed(self._profile[i], -1, now)

    def _on_change(self, event: simpy.Event) -> None:
        u, places = event._value
        self._set_places(u, places, self.env._now)

    def _set_places(self, u: int, places: int, now: float) -> None:
        """Unit ``u`` has ``places`` from now: more are offered at once, fewer close as their youths leave."""
        self.places[u] = places
        self.free[u] = places - self.occupied[u] if places > self.occupied[u] else 0
        self.open_log.append((now, u, max(places, self.occupied[u])))
        self.fill(u, now)

    def _on_review(self, event: simpy.Event) -> None:
        """A review of the capacity rule: add places (open after the lead time), remove some, or keep."""
        rule, now = self._rule, self.env._now
        d = capacity_rule.review(self._records(until=now), rule, now, tuple(self._decided))
        self.decisions.append((now, d.action, d.before, d.after, d.reason))
        changes = [(u, new - old) for u, new, old in zip(rule.units, d.allocation, self._decided) if new != old]
        self._decided = list(d.allocation)
        if d.action > 0:
            self.at(rule.lead, changes, self._on_rule_opens)
        for u, delta in changes if d.action < 0 else ():
            self._set_places(u, self.places[u] + delta, now)

    def _on_rule_opens(self, event: simpy.Event) -> None:
        """Places the capacity rule added open, a lead time after the decision."""
        now = self.env._now
        for u, delta in event._value:
            self._set_places(u, self.places[u] + delta, now)

    def _on_emergency_limit(self, event: simpy.Event) -> None:
        """An emergency place has been used as long as allowed: its youth moves at the first chance, to the
        place the rule chooses among the regular and flexible places free now, or else when one frees."""
        j = event._value
        c = self.cur[j]
        if c < 0 or self.kind[c] != EMERGENCY:
            return
        now = self.env._now
        self.overdue.append((now, j))
        self._overdue_now.append(j)
        u = self._choose(j, self._groups_no_emergency[j], now)
        if u >= 0:
            self.free[u] -= 1
            self._move(j, u, now, MOVE_OVERDUE)

    def _on_home_first_ends(self, event: simpy.Event) -> None:
        """A youth's home-first window has passed: if still waiting, places anywhere count from now."""
        i = event._value
        if not self._waiting_flag[i] or not any(self.free):
            return
        now = self.env._now
        u = self._choose(i, self._groups[i], now)
        if u >= 0:
            self.waiting.remove(i, self._type[i])
            self._waiting_flag[i] = False
            if self._has_flex:
                self.flex.queue_changed(self._profile[i], -1, now)
            self.free[u] -= 1
            self.place(i, u, now)
