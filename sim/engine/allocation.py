"""Who goes where: the national waiting list and the placement rule.

The placement rule has two sides, and every handler of the model uses these two and nothing else:

- :meth:`Allocation.choose`: which unit a youth gets when places are free (on arrival, or when an
  emergency place has been used too long): the home region first, then the nearest regions in the
  scenario's order; regular places everywhere before flexible places, and those before emergency places;
  within a region, the unit with most free places (ties: the first listed), which spreads youths the way a
  matching team would rather than filling one institution first.
- :meth:`WaitingList.first_eligible`: which waiting youth gets a place that frees in a unit: by priority,
  then first come, first served, among the youths the unit may take.

With ``allocation.home_first_days`` a youth is offered only its home region's places for its first days on
the list (:attr:`Allocation.home_groups` on arrival), and with an institution's ``refuses`` an institution
may refuse a youth it is offered (:meth:`Allocation.choose_admitting`, :meth:`WaitingList.first_admissible`):
the youth keeps its place on the list for the next suitable place.

Both are small classes with one narrow job, so that a scenario can swap in another rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.engine.network import EMERGENCY, Network


class WaitingList:
    """The national waiting list: by priority (lower number first), then first come, first served.

    Youths arrive in time order, so one list per priority level kept in arrival order is already sorted;
    no heap or re-sort is needed. ``first_eligible`` scans in order and takes the first youth the freed
    place may take.
    """

    def __init__(self, priorities: Sequence[int]):
        levels = sorted(set(priorities))
        self._level_of_type = [levels.index(p) for p in priorities]
        self._levels: list[list[int]] = [[] for _ in levels]
        self.size = 0

    def push(self, youth: int, type_index: int) -> None:
        self._levels[self._level_of_type[type_index]].append(youth)
        self.size += 1

    def remove(self, youth: int, type_index: int) -> None:
        self._levels[self._level_of_type[type_index]].remove(youth)
        self.size -= 1

    def first_admissible(self, eligible: Sequence[bool], profile: Sequence[int], admits) -> int:
        """Remove and return the first youth the place takes by profile and ``admits(youth)`` (home-first
        window, refusals), or -1; ``admits`` is asked only of youths the place takes by profile, in order."""
        if self.size:
            for level in self._levels:
                for pos, youth in enumerate(level):
                    if eligible[profile[youth]] and admits(youth):
                        del level[pos]
                        self.size -= 1
                        return youth
        return -1

    def first_eligible(self, eligible: Sequence[bool], profile: Sequence[int]) -> int:
        """Remove and return the first youth whose profile the place takes (``eligible[profile[y]]``), or -1."""
        if self.size:
            for level in self._levels:
                for pos, youth in enumerate(level):
                    if eligible[profile[youth]]:
                        del level[pos]
                        self.size -= 1
                        return youth
        return -1


class Allocation:
    """The proximity rule over a network's candidate units (see the module docstring)."""

    def __init__(self, network: Network):
        self.groups = network.groups  # (profile, home) -> units by region and kind, in the order tried
        # the same groups in the home region only: a youth's first days under allocation.home_first_days
        regions = [u.region for u in network.units]
        self.home_groups = {
            (p, home): tuple(g for g in groups if regions[g[0]] == home) for (p, home), groups in self.groups.items()
        }
        self._eligible = [list(u.eligible) for u in network.units]
        # the same groups without emergency units: where a youth moves when an emergency place is overdue
        kinds = [u.kind for u in network.units]
        self.groups_no_emergency = self.groups
        if EMERGENCY in kinds:
            self.groups_no_emergency = {
                key: tuple(g for g in groups if kinds[g[0]] != EMERGENCY) for key, groups in self.groups.items()
            }

    @staticmethod
    def choose(groups: Sequence[Sequence[int]], free: Sequence[int]) -> int:
        """The unit to place a youth with these candidate ``groups`` in now, or -1 if none has a free place."""
        for group in groups:
            best, most = -1, 0
            for u in group:
                if free[u] > most:
                    best, most = u, free[u]
            if best >= 0:
                return best
        return -1

    @staticmethod
    def choose_admitting(groups, free, refused: Sequence[bool], unit_inst: Sequence[int], refusal) -> int:
        """:meth:`choose` for a youth some institutions refuse (``refused[institution]``): in each group the
        units with free places are asked in order of most free places (ties: the first listed); a refusing
        institution's unit is passed over and ``refusal(institution)`` called, and the next is asked. Without
        refusals it chooses what :meth:`choose` does."""
        for group in groups:
            asked = sorted((u for u in group if free[u] > 0), key=lambda u: -free[u])
            for u in asked:
                if refused[unit_inst[u]]:
                    refusal(unit_inst[u])
                    continue
                return u
        return -1

    def eligibility(self, unit: int) -> list[bool]:
        """Indexed by profile: may this unit take such a youth?"""
        return self._eligible[unit]
