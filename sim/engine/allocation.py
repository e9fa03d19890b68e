"""Who goes where: the national waiting list and the choice of a place.

Both are small classes with one narrow job so a scenario can later swap in another rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.engine.network import Network


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
    """Proximity rule: home region first, then the nearest regions in the scenario's order.

    Within a region the unit with most free places is chosen (ties: the first listed), which spreads
    youths the way a matching team would rather than filling one institution first. Regular places are
    tried everywhere before flexible places, and those before emergency places.
    """

    def __init__(self, network: Network):
        n_regions = len(network.regions)
        self.groups = {
            (p, home): network.candidate_groups(p, home) for p in range(network.n_profiles) for home in range(n_regions)
        }
        self._eligible = [list(u.eligible) for u in network.units]

    def choose(self, profile: int, home: int, free: Sequence[int]) -> int:
        """The unit to place this youth in now, or -1 if no eligible place is free."""
        for group in self.groups[profile, home]:
            best, most = -1, 0
            for u in group:
                if free[u] > most:
                    best, most = u, free[u]
            if best >= 0:
                return best
        return -1

    def eligibility(self, unit: int) -> list[bool]:
        """Indexed by profile: may this unit take such a youth?"""
        return self._eligible[unit]
