"""Flexible places: pools an institution opens when the waiting list stays long, and closes when they empty.

A pool counts the waiting youths it may take. When that count has been at least ``trigger.queue_at_least``
for ``trigger.for_days``, it prepares ``step`` places (all if no step), which open after ``lead_days``. A
place free for ``close_after_empty_days`` closes, once the pool has been open ``min_open_days``. The pools
act on the model through three of its methods: ``at`` (schedule a callback), ``fill`` (offer free places)
and the lists ``places``, ``free``, ``openings`` and ``open_log``.
"""

from __future__ import annotations

import math


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


class FlexiblePools:
    """The flexible pools of one replication (empty, and never called, when the scenario has none)."""

    def __init__(self, model, network):
        self.model = model
        self.pools = [FlexPool(u, rule) for u, rule in network.flexible]
        self.of_unit = {p.unit: p for p in self.pools}
        self.of_profile = [
            [p for p in self.pools if network.units[p.unit].eligible[k]] for k in range(network.n_profiles)
        ]

    def __bool__(self) -> bool:
        return bool(self.pools)

    def queue_changed(self, profile: int, delta: int, now: float) -> None:
        """A youth of ``profile`` joined (+1) or left (-1) the waiting list."""
        for pool in self.of_profile[profile]:
            pool.queue += delta
            need = pool.rule.trigger.queue_at_least
            if pool.queue >= need:
                if pool.long_since is None:
                    pool.long_since = now
                    self.model.at(pool.rule.trigger.for_days, (pool, now), self._on_check)
            else:
                pool.long_since = None

    def _on_check(self, event) -> None:
        pool, since = event._value
        if pool.long_since != since or pool.pending:
            return
        rule = pool.rule
        places = self.model.places
        room = rule.places - places[pool.unit] if places[pool.unit] < rule.places else 0
        if room <= 0:
            return
        pool.pending = min(rule.step or rule.places, room)
        self.model.at(rule.lead_days, pool, self._on_open)

    def _on_open(self, event) -> None:
        pool = event._value
        m = self.model
        now = m.env._now
        u = pool.unit
        n, pool.pending = pool.pending, 0
        m.places[u] += n
        m.free[u] += n
        pool.opened_at = now
        m.openings.append((now, u, n))
        m.open_log.append((now, u, max(m.places[u], m.occupied[u])))
        m.fill(u, now)
        self.sync(u, now)
        if pool.queue >= pool.rule.trigger.queue_at_least:  # still long: count again from now
            pool.long_since = now
            m.at(pool.rule.trigger.for_days, (pool, now), self._on_check)

    def sync(self, u: int, now: float) -> None:
        """Keep one 'free since' time per free place of pool ``u``, and a closing check scheduled.

        A taken place is the most recently freed one, so the places free longest are the ones that close.
        """
        pool = self.of_unit[u]
        since = pool.free_since
        free = self.model.free[u]
        while len(since) > free:
            since.pop()
        while len(since) < free:
            since.append(now)
        if since and not pool.check_pending:
            pool.check_pending = True
            due = max(since[0] + pool.rule.close_after_empty_days, pool.opened_at + pool.rule.min_open_days)
            self.model.at(max(due - now, 0.0), pool, self._on_close)

    def _on_close(self, event) -> None:
        """Close the places free for ``close_after_empty_days``, once open ``min_open_days``."""
        pool = event._value
        pool.check_pending = False
        m = self.model
        u = pool.unit
        now = m.env._now
        rule = pool.rule
        if now >= pool.opened_at + rule.min_open_days - 1e-9:
            since = pool.free_since
            due = 0
            while due < len(since) and since[due] + rule.close_after_empty_days <= now + 1e-9:
                due += 1
            if due:
                m.places[u] -= due
                m.free[u] -= due
                del since[:due]
                m.open_log.append((now, u, max(m.places[u], m.occupied[u])))
        self.sync(u, now)
