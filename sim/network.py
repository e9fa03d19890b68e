"""The scenario compiled into plain indexed arrays that the model reads in its inner loop.

Names become integer indices once, here, so the event loop never touches a dict keyed by strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.clock import Clock
from sim.schema import PLACEMENT_TYPES, Scenario


@dataclass(frozen=True)
class UnitInfo:
    name: str  # "Institution/unit"
    institution: int
    region: int
    high_security: bool
    accepts: tuple[bool, ...]  # by placement type index


@dataclass(frozen=True)
class Network:
    """Indexed view of a scenario: regions, institutions, units, types and planned changes."""

    regions: tuple[str, ...]
    institutions: tuple[str, ...]
    institution_region: tuple[int, ...]
    types: tuple[str, ...]  # placement types present in the scenario, in PLACEMENT_TYPES order
    priority: tuple[int, ...]  # by type index
    units: tuple[UnitInfo, ...]
    initial_places: tuple[int, ...]  # by unit, at simulation time 0
    changes: tuple[tuple[float, int, int], ...]  # (day, unit, places from then on), sorted by day
    hs_take_ordinary: bool
    region_order: tuple[tuple[int, ...], ...] = field(default=())  # per home region: regions to try, in order

    @property
    def n_units(self) -> int:
        return len(self.units)

    def unit_index(self, institution: str, unit: str | None = None) -> int:
        """Index of a unit by institution and unit name (the only unit if ``unit`` is None)."""
        i = self.institutions.index(institution)
        mine = [k for k, u in enumerate(self.units) if u.institution == i]
        if unit is None:
            return mine[0]
        return next(k for k in mine if self.units[k].name == f"{institution}/{unit}")

    def eligible(self, unit: int, type_index: int, high_security: bool) -> bool:
        """May a youth of this type and security need use this unit?"""
        u = self.units[unit]
        if not u.accepts[type_index]:
            return False
        if high_security:
            return u.high_security
        return (not u.high_security) or self.hs_take_ordinary

    def candidate_groups(self, type_index: int, high_security: bool, home: int) -> tuple[tuple[int, ...], ...]:
        """Units a youth may be placed in, grouped by region in the order they are tried.

        Home region first, then the regions in ``allocation.nearest`` for that region, then every other
        region in the order the scenario lists them.
        """
        groups = []
        for region in self.region_order[home]:
            units = tuple(
                u
                for u, info in enumerate(self.units)
                if info.region == region and self.eligible(u, type_index, high_security)
            )
            if units:
                groups.append(units)
        return tuple(groups)


def compile_network(scenario: Scenario, clock: Clock) -> Network:
    regions = tuple(scenario.regions)
    r_index = {r: i for i, r in enumerate(regions)}
    types = tuple(t for t in PLACEMENT_TYPES if t in scenario.placement_types)
    institutions = tuple(scenario.institutions)
    units: list[UnitInfo] = []
    initial: list[int] = []
    changes: list[tuple[float, int, int]] = []
    for i, (iname, inst) in enumerate(scenario.institutions.items()):
        for uname, unit in inst.units.items():
            u = len(units)
            units.append(
                UnitInfo(
                    name=f"{iname}/{uname}",
                    institution=i,
                    region=r_index[inst.region],
                    high_security=unit.high_security,
                    accepts=tuple(t in unit.accepts for t in types),
                )
            )
            places = unit.places
            pending = []
            for change in sorted(unit.changes, key=lambda c: c.date):
                places = change.places if change.places is not None else places + change.add
                pending.append((clock.day_of(change.date), u, places))
            # changes dated before the warm-up starts are already in force at time 0
            start_places = unit.places
            for day, _, p in pending:
                if day <= 0:
                    start_places = p
            initial.append(start_places)
            changes.extend(c for c in pending if 0 < c[0] < clock.end)
    order = []
    for home in regions:
        seq = [home] + [r for r in scenario.allocation.nearest.get(home, []) if r != home]
        seq += [r for r in regions if r not in seq]
        order.append(tuple(r_index[r] for r in dict.fromkeys(seq)))
    return Network(
        regions=regions,
        institutions=institutions,
        institution_region=tuple(r_index[scenario.institutions[n].region] for n in institutions),
        types=types,
        priority=tuple(scenario.placement_types[t].priority for t in types),
        units=tuple(units),
        initial_places=tuple(initial),
        changes=tuple(sorted(changes)),
        hs_take_ordinary=scenario.allocation.high_security_units_take_ordinary,
        region_order=tuple(order),
    )
