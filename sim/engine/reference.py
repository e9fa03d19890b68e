"""The same model written the plain SimPy way: one process per youth. Kept only as a reference.

It exists to check :mod:`sim.engine.model` (both must give identical records on the same streams) and to measure
how much the callback design gains (``kapsim bench``). Do not use it for studies: it is several times slower.
It covers the whole model: places, planned changes (and so seasonal units), the waiting list, withdrawal, the
start state and the capacity policies, written again here as processes rather than taken from the fast model:

- a youth arrives, is placed or waits (until placed, or out of patience), stays and leaves;
- a flexible pool's trigger waits ``for_days`` from the moment its waiting list becomes long, prepares places,
  waits ``lead_days`` and opens them; while any of its places is free, its closing checks run;
- an emergency stay's limit, ``max_days`` after admission, makes a youth still there overdue;
- a planned change waits for its day.

The two sides of the placement rule are shared (:meth:`~sim.engine.allocation.Allocation.choose` and
:class:`~sim.engine.allocation.WaitingList`); the state (free places, who is where) is kept here on its own.
A place that frees is offered as the fast model documents it (:meth:`Reference._offer`).

Order at equal times. SimPy runs events by (time, priority, number) and numbers an event when it is
scheduled. Arrivals get a priority after every other event, so that whatever is due at time t comes before
a youth arriving at t. Everything else is a timeout made at the very moment its decision is taken: a process
started by a decision is handed its first timeout, and a youth placed from the waiting list gets the timeout
of its stay from whoever places it (and is woken by an interrupt), so that two events due at the same time
run in the order they were scheduled, as in the fast model.
"""

from __future__ import annotations

import math

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.engine import capacity_rule
from sim.engine.allocation import Allocation, WaitingList
from sim.engine.network import EMERGENCY, FLEXIBLE, REGULAR, Network
from sim.engine.records import MOVE_EMERGENCY_ENDS, MOVE_NEARER_HOME, MOVE_OVERDUE, Records
from sim.engine.youths import Youths

LATE = NORMAL + 1  # the priority of arrivals: after every other event due at the same time
EPS = 1e-9  # the closing rule of flexible places compares times within this tolerance


def run_reference(network: Network, youths: Youths, end: float) -> Records:
    return Reference(network, youths, end).run()


class Arrival(simpy.Event):
    """A youth's arrival, ``delay`` days from now, after every other event due at that time."""

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok, self._value = True, None
        env.schedule(self, LATE, delay)


class Pool:
    """A flexible pool: since when its waiting list has been long, whether places are being prepared, its free
    places (when each became free, oldest first) and its closing checks."""

    def __init__(self, unit: int, rule):
        self.unit, self.rule = unit, rule
        self.long_since: float | None = None
        self.preparing = False
        self.opened_at = -math.inf
        self.free_since: list[float] = []
        self.closing: simpy.Process | None = None


class Reference:
    """One replication: build it, call :meth:`run`, get :class:`~sim.engine.records.Records`."""

    def __init__(self, network: Network, youths: Youths, end: float):
        self.env, self.network, self.youths, self.end = simpy.Environment(), network, youths, end
        self.allocation = Allocation(network)
        self.waiting = WaitingList(network.priority)
        self.queue: set[int] = set()  # the youths on the waiting list
        n = len(youths)
        self.type, self.home, self.profile = youths.type.tolist(), youths.home.tolist(), youths.profile.tolist()
        self.arrival, self.stay, self.patience = youths.arrival.tolist(), youths.stay.tolist(), youths.patience.tolist()
        self.admitted, self.left, self.withdrawn = [math.nan] * n, [math.nan] * n, [math.nan] * n
        self.unit, self.cur = [-1] * n, [-1] * n  # first unit; unit now (-1 if not placed)
        self.stay_end: list[simpy.Timeout | None] = [None] * n
        self.kind = [u.kind for u in network.units]
        self.inst = [u.institution for u in network.units]
        self.region = [u.region for u in network.units]
        self.places, self.occupied = list(network.initial_places), [0] * network.n_units
        self.open_log = [(0.0, u, 0 if k == EMERGENCY else p) for u, (p, k) in enumerate(zip(self.places, self.kind))]
        self.moves: list[tuple] = []
        self.openings: list[tuple] = []
        self.overdue: list[tuple] = []
        self.in_emergency: list[list[int]] = [[] for _ in network.institutions]  # by institution, in order of entry
        self.overdue_now: list[int] = []  # in order of their limits
        self.away: list[dict[int, None]] = [{} for _ in network.regions]  # by home region, in order of going away
        self.pools = [Pool(u, rule) for u, rule in network.flexible]
        self.pool_of = {p.unit: p for p in self.pools}
        self.processes: list[simpy.Process] = []  # by youth: a placement from the waiting list interrupts it
        self.events = 0
        self.rule = network.capacity_rule
        self.decided = list(self.rule.start) if self.rule else []  # the rule's units' places decided so far
        self.decisions: list[tuple] = []
        self.refused = youths.refused.tolist() if network.has_refusals else None  # [youth][institution]
        self.refusals: list[tuple] = []  # (time, youth, institution), the first refusal of each pair

    def run(self) -> Records:
        env = self.env
        # the changes' timeouts, then those of the youths placed on the start date, numbered in that order
        for day, u, places in self.network.changes:
            env.process(self._change(day, u, places))
        for day in self.rule.review_days if self.rule else ():
            env.process(self._review(day))
        self.processes = [env.process(self._youth(i)) for i in range(len(self.youths))]
        env.run(until=self.end)
        return self._records(self.end)

    def _records(self, end: float) -> Records:
        """The records so far (at the end, or at a review of the capacity rule)."""
        rows = [(self.moves, 5), (self.openings, 3), (self.overdue, 2), (self.open_log, 3), (self.decisions, 5),
                (self.refusals, 3)]  # fmt: skip
        moves, openings, overdue, open_log, decisions, refusals = (
            np.array(r, dtype=float).reshape(-1, k) for r, k in rows
        )
        return Records(
            youths=self.youths, admitted=np.array(self.admitted), unit=np.array(self.unit, dtype=np.int64),
            left=np.array(self.left), withdrawn=np.array(self.withdrawn), open_log=open_log, end=end,
            events=self.events, moves=moves, openings=openings, overdue=overdue, decisions=decisions,
            refusals=refusals,
        )  # fmt: skip

    # --- the processes --------------------------------------------------------------------------
    def _youth(self, i: int):
        """Youth ``i``, from the start of the run: its arrival is scheduled at time 0, so it comes exactly at the
        drawn time (SimPy adds a delay to the time now)."""
        env = self.env
        if self.youths.start_unit[i] >= 0:
            self._placed_at_start(i, int(self.youths.start_unit[i]))
        else:
            yield Arrival(env, max(self.arrival[i], 0.0))  # those waiting on the start date arrive at 0
            self.events += 1
            hf = self.network.home_first[self.type[i]]
            window = hf and env.now < self.arrival[i] + hf  # only the home region's places, for now
            table = self.allocation.home_groups if window else self.allocation.groups
            u = self._choose(i, table[self.profile[i], self.home[i]])
            if u >= 0:
                self._place(i, u)
            elif self.patience[i] == 0.0:  # a type without a waiting list: diverted at once
                self.withdrawn[i] = env.now
                self.events += 1
                return
            else:
                self.waiting.push(i, self.type[i])
                self.queue.add(i)
                self._queue_changed()
                if window:
                    env.process(self._home_first_ends(i, env.timeout(self.arrival[i] + hf - env.now)))
                try:
                    yield self._patience(i)
                except simpy.Interrupt:  # placed: whoever placed the youth has set the stay going
                    pass
                else:
                    self._withdraw(i)
                    return
        yield self.stay_end[i]
        self._depart(i)

    def _patience(self, i: int) -> simpy.Event:
        if self.patience[i] == math.inf:
            return self.env.event()  # never: waits until placed
        now, arrived = self.env.now, self.arrival[i]
        return self.env.timeout(self.patience[i] if arrived == now else arrived + self.patience[i] - now)

    def _change(self, day: float, u: int, places: int):
        yield self.env.timeout(day)
        self.events += 1
        self.places[u] = places
        self.open_log.append((self.env.now, u, max(places, self.occupied[u])))
        self._fill(u)

    def _review(self, day: float):
        """A review of the capacity rule on ``day``: the decision is :func:`sim.engine.capacity_rule.review`
        on the records so far; added places open a lead time later, removed ones close as they empty."""
        yield self.env.timeout(day)
        now = self.env.now
        d = capacity_rule.review(self._records(now), self.rule, now, tuple(self.decided))
        self.decisions.append((now, d.action, d.before, d.after, d.reason))
        changes = [(u, new - old) for u, new, old in zip(self.rule.units, d.allocation, self.decided) if new != old]
        self.decided = list(d.allocation)
        if d.action > 0:
            self.env.process(self._rule_opens(changes, self.env.timeout(self.rule.lead)))
        for u, delta in changes if d.action < 0 else ():
            self._set_places(u, self.places[u] + delta)

    def _rule_opens(self, changes: list[tuple[int, int]], lead: simpy.Timeout):
        yield lead
        for u, delta in changes:
            self._set_places(u, self.places[u] + delta)

    def _set_places(self, u: int, places: int) -> None:
        self.places[u] = places
        self.open_log.append((self.env.now, u, max(places, self.occupied[u])))
        self._fill(u)

    def _emergency_limit(self, i: int, u: int, limit: simpy.Timeout):
        """After ``max_days`` (``limit``, made at admission) a youth still in emergency unit ``u`` is overdue and
        moves at the first chance: to the place the rule chooses among the regular and flexible places free now,
        or else (see :meth:`_offer`) to the next place that frees."""
        yield limit
        if self.cur[i] != u:
            return  # gone, or moved already
        self.overdue.append((self.env.now, i))
        self.overdue_now.append(i)
        to = self._choose(i, self.allocation.groups_no_emergency[self.profile[i], self.home[i]])
        if to >= 0:
            self._move(i, to, MOVE_OVERDUE)

    def _home_first_ends(self, i: int, window: simpy.Timeout):
        """When youth ``i``'s home-first window (``window``, made on arrival) runs out and it still waits, the
        places free anywhere count: it takes the one the rule chooses, if any."""
        yield window
        if i not in self.queue:
            return
        u = self._choose(i, self.allocation.groups[self.profile[i], self.home[i]])
        if u >= 0:
            self.waiting.remove(i, self.type[i])
            self.queue.remove(i)
            self._queue_changed()
            self._place(i, u)
            self.processes[i].interrupt()

    # --- refusals and home-first windows --------------------------------------------------------------------
    def _choose(self, i: int, groups) -> int:
        """The unit for youth ``i`` among ``groups``, asking around the institutions that refuse it."""
        if self.refused is None or not any(self.refused[i]):
            return Allocation.choose(groups, self._free())
        now = self.env.now
        return Allocation.choose_admitting(
            groups, self._free(), self.refused[i], self.inst, lambda inst: self._refusal(i, inst, now)
        )

    def _accepts(self, i: int, u: int) -> bool:
        """Whether the institution of unit ``u`` takes youth ``i``; a refusal is recorded (once a pair) if not."""
        if self.refused is None or not self.refused[i][self.inst[u]]:
            return True
        self._refusal(i, self.inst[u], self.env.now)
        return False

    def _refusal(self, i: int, inst: int, now: float) -> None:
        if not any(r[1] == i and r[2] == inst for r in self.refusals):
            self.refusals.append((now, i, inst))

    def _admits(self, i: int, u: int) -> bool:
        """A waiting youth outside its home region during its home-first window is not offered ``u``."""
        hf = self.network.home_first[self.type[i]]
        if hf and self.region[u] != self.home[i] and self.env.now < self.arrival[i] + hf:
            return False
        return self._accepts(i, u)

    def _trigger(self, pool: Pool, since: float, count: simpy.Timeout):
        """The pool's waiting list has been long since ``since``. If it still is when ``count`` (for_days, made
        then) runs out, and nothing is being prepared, and the pool is not all open: prepare ``step`` places (all
        if no step), open them after lead_days, and count again from the opening if the list is still long."""
        rule, u = pool.rule, pool.unit
        while True:
            yield count
            room = rule.places - self.places[u]
            if pool.long_since != since or pool.preparing or room <= 0:
                return
            n = min(rule.step or rule.places, room)
            pool.preparing = True
            yield self.env.timeout(rule.lead_days)
            pool.preparing = False
            self._open(pool, n)
            if self._queue_of(pool) < rule.trigger.queue_at_least:
                return
            since = pool.long_since = self.env.now
            count = self.env.timeout(rule.trigger.for_days)

    def _closing(self, pool: Pool, check: simpy.Timeout):
        """The pool's closing checks, one after another while any of its places is free (``check`` was made when
        one became free): once the pool has been open min_open_days, the places free for close_after_empty_days
        close, those free longest first."""
        rule, u, since = pool.rule, pool.unit, pool.free_since
        while True:
            yield check
            now = self.env.now
            if now >= pool.opened_at + rule.min_open_days - EPS:
                due = sum(1 for t in since if t + rule.close_after_empty_days <= now + EPS)
                if due:
                    self.places[u] -= due
                    del since[:due]
                    self.open_log.append((now, u, max(self.places[u], self.occupied[u])))
            if not since:
                pool.closing = None
                return
            check = self._closing_check(pool)

    def _closing_check(self, pool: Pool) -> simpy.Timeout:
        rule, now = pool.rule, self.env.now
        due = max(pool.free_since[0] + rule.close_after_empty_days, pool.opened_at + rule.min_open_days)
        return self.env.timeout(max(due - now, 0.0))

    # --- youths in and out of places ------------------------------------------------------------
    def _free(self) -> list[int]:
        return [max(p - o, 0) for p, o in zip(self.places, self.occupied)]

    def _placed_at_start(self, i: int, u: int) -> None:
        """Already in unit ``u`` on the start date (may exceed its places: they then drain)."""
        self.events += 1
        self.occupied[u] += 1
        if self.occupied[u] > self.places[u]:
            self.open_log.append((0.0, u, self.occupied[u]))
        self.admitted[i], self.unit[i], self.cur[i] = self.arrival[i], u, u
        self.stay_end[i] = self.env.timeout(self.arrival[i] + self.stay[i])
        self._where(i)

    def _place(self, i: int, u: int) -> None:
        """Youth ``i`` gets a free place in unit ``u``; the stay starts now."""
        self.occupied[u] += 1
        self.admitted[i], self.unit[i], self.cur[i] = self.env.now, u, u
        self.stay_end[i] = self.env.timeout(self.stay[i])
        self._entered(i, u)

    def _move(self, i: int, to: int, reason: int) -> None:
        """Placed youth ``i`` moves to a free place of unit ``to``; the place left behind is freed."""
        frm = self.cur[i]
        self.occupied[frm] -= 1
        self._out_of_emergency(i, frm)
        self.occupied[to] += 1
        self.cur[i] = to
        self.moves.append((self.env.now, i, frm, to, reason))
        self._entered(i, to)
        self._freed(frm)

    def _entered(self, i: int, u: int) -> None:
        """What follows youth ``i`` into unit ``u``: an emergency place opens and its limit starts; a pool's free
        places change; the youth is now away from home, or not."""
        if self.kind[u] == EMERGENCY:
            self.in_emergency[self.inst[u]].append(i)
            self.open_log.append((self.env.now, u, self.occupied[u]))  # an emergency place opens for its youth
            self.env.process(self._emergency_limit(i, u, self.env.timeout(self.network.emergency_days[u])))
        elif self.kind[u] == FLEXIBLE:
            self._pool_changed(u)
        self._where(i)

    def _depart(self, i: int) -> None:
        self.events += 1
        u = self.cur[i]
        self.left[i], self.cur[i] = self.env.now, -1
        self.occupied[u] -= 1
        self._out_of_emergency(i, u)
        self._where(i)
        self._freed(u)

    def _out_of_emergency(self, i: int, u: int) -> None:
        if self.kind[u] == EMERGENCY:
            self.in_emergency[self.inst[u]].remove(i)
            if i in self.overdue_now:
                self.overdue_now.remove(i)

    def _where(self, i: int) -> None:
        """Keep the youths placed outside their home region, in the order they went there."""
        home, u = self.home[i], self.cur[i]
        if u >= 0 and self.region[u] != home:
            self.away[home].setdefault(i)
        else:
            self.away[home].pop(i, None)

    # --- places freeing -------------------------------------------------------------------------
    def _freed(self, u: int) -> None:
        """A youth has just left a place of unit ``u``: it closes, goes to whoever comes first, or stays free."""
        now = self.env.now
        if self.kind[u] == EMERGENCY:
            self.open_log.append((now, u, self.occupied[u]))  # open only while occupied ...
            self._admit_waiting(u)  # ... unless a waiting youth takes it
        elif self.occupied[u] >= self.places[u]:  # a closure is waiting for this place
            self.open_log.append((now, u, self.occupied[u]))
        elif not self._offer(u) and self.kind[u] == FLEXIBLE:
            self._pool_changed(u)

    def _offer(self, u: int) -> bool:
        """Give a free place of regular or flexible unit ``u`` to the first of: a youth in an emergency place of
        the same institution, an overdue youth, a waiting youth, a youth of this region placed elsewhere (regular
        places only, with moves nearer home). False if nobody takes it."""
        ok, profile = self.allocation.eligibility(u), self.profile
        j = next((j for j in self.in_emergency[self.inst[u]] if ok[profile[j]]), -1)
        if j >= 0:
            self._move(j, u, MOVE_EMERGENCY_ENDS)
            return True
        j = next((j for j in self.overdue_now if ok[profile[j]] and self._accepts(j, u)), -1)
        if j >= 0:
            self._move(j, u, MOVE_OVERDUE)
            return True
        if self._admit_waiting(u):
            return True
        if self.network.move_nearer_home and self.kind[u] == REGULAR:
            away = self.away[self.region[u]]  # longest away first; not out of an emergency place
            j = next(
                (j for j in away if ok[profile[j]] and self.kind[self.cur[j]] != EMERGENCY and self._accepts(j, u)), -1
            )
            if j >= 0:
                self._move(j, u, MOVE_NEARER_HOME)
                return True
        return False

    def _fill(self, u: int) -> None:
        """Offer the free places of unit ``u``, one by one, while anyone takes them."""
        while max(self.places[u] - self.occupied[u], 0) and self._offer(u):
            pass

    # --- the waiting list -----------------------------------------------------------------------
    def _admit_waiting(self, u: int) -> bool:
        """The first waiting youth whom unit ``u`` may take gets a free place there (False if none waits)."""
        j = self.waiting.first_admissible(self.allocation.eligibility(u), self.profile, lambda y: self._admits(y, u))
        if j < 0:
            return False
        self.queue.remove(j)
        self._queue_changed()
        self._place(j, u)
        self.processes[j].interrupt()  # stop waiting: the stay has begun
        return True

    def _withdraw(self, i: int) -> None:
        self.events += 1
        self.waiting.remove(i, self.type[i])
        self.queue.remove(i)
        self.withdrawn[i] = self.env.now
        self._queue_changed()

    def _queue_of(self, pool: Pool) -> int:
        ok = self.allocation.eligibility(pool.unit)
        return sum(1 for j in self.queue if ok[self.profile[j]])

    def _queue_changed(self) -> None:
        """After each change of the waiting list: a pool's list is long, or not; just become long, it is counted."""
        now = self.env.now
        for pool in self.pools:
            if self._queue_of(pool) < pool.rule.trigger.queue_at_least:
                pool.long_since = None
            elif pool.long_since is None:
                pool.long_since = now
                self.env.process(self._trigger(pool, now, self.env.timeout(pool.rule.trigger.for_days)))

    # --- flexible places ------------------------------------------------------------------------
    def _open(self, pool: Pool, n: int) -> None:
        now, u = self.env.now, pool.unit
        self.places[u] += n
        pool.opened_at = now
        self.openings.append((now, u, n))
        self.open_log.append((now, u, max(self.places[u], self.occupied[u])))
        self._fill(u)
        self._pool_changed(u)

    def _pool_changed(self, u: int) -> None:
        """The free places of pool ``u`` may have changed: a place taken is the one freed last, a new free place
        is free from now on; while any is free the pool's closing checks run."""
        pool = self.pool_of[u]
        free, since = max(self.places[u] - self.occupied[u], 0), pool.free_since
        del since[free:]
        since.extend([self.env.now] * (free - len(since)))
        if since and pool.closing is None:
            pool.closing = self.env.process(self._closing(pool, self._closing_check(pool)))
