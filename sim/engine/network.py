"""The scenario compiled into plain indexed arrays that the model reads in its inner loop.

Names become integer indices once, here, so the event loop never touches a dict keyed by strings.

A youth's *profile* is everything eligibility depends on: placement type, need for high security and the
scenario's attributes (e.g. sex, age band). Each unit has one yes/no per profile.

Units come in three kinds. Regular units are the institutions' normed places. A flexible pool is a unit
whose places open and close by the pool's rule. An institution's emergency places are a unit whose places
are open only while occupied. Allocation tries every regular place first, then flexible, then emergency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.engine.clock import Clock
from sim.scenario.schema import PLACEMENT_TYPES, FlexiblePlaces, Scenario

REGULAR, FLEXIBLE, EMERGENCY = 0, 1, 2


@dataclass(frozen=True)
class UnitInfo:
    name: str  # "Institution/unit"; "Institution/flex:POOL"; "Institution/emergency"
    institution: int
    region: int
    high_security: bool
    kind: int  # REGULAR, FLEXIBLE or EMERGENCY
    eligible: tuple[bool, ...]  # by profile


@dataclass(frozen=True)
class Network:
    """Indexed view of a scenario: regions, institutions, units, profiles and planned changes."""

    regions: tuple[str, ...]
    institutions: tuple[str, ...]
    institution_region: tuple[int, ...]
    types: tuple[str, ...]  # placement types present in the scenario, in PLACEMENT_TYPES order
    priority: tuple[int, ...]  # by type index
    attributes: tuple[tuple[str, tuple[str, ...]], ...]  # (name, values) of the scenario's attributes
    units: tuple[UnitInfo, ...]
    initial_places: tuple[int, ...]  # by unit, at simulation time 0
    changes: tuple[tuple[float, int, int], ...]  # (day, unit, places from then on), sorted by day
    region_order: tuple[tuple[int, ...], ...]  # per home region: regions to try, in order
    flexible: tuple[tuple[int, FlexiblePlaces], ...]  # (unit, rule) per flexible pool
    emergency_days: tuple[float, ...]  # by unit: the longest an emergency place may be used (inf if not one)
    move_nearer_home: bool
    capacity_rule: CompiledRule | None = None  # sim.engine.capacity_rule
    home_first: tuple[float, ...] = ()  # by type index: days only the home region's places count (0: none)
    travel: tuple[tuple[float, ...], ...] = ()  # [home region][region of the place] hours, () if not given
    max_travel: float | None = None  # placed farther than this counts as out of region
    # by institution: ((attribute index, refusal probability by value index), ...); () where it refuses none
    refuses: tuple[tuple[tuple[int, tuple[float, ...]], ...], ...] = ()

    @property
    def has_refusals(self) -> bool:
        return any(self.refuses)

    @property
    def n_units(self) -> int:
        return len(self.units)

    @cached_property
    def groups(self) -> dict[tuple[int, int], tuple[tuple[int, ...], ...]]:
        """(profile, home region) -> :meth:`candidate_groups`, built once per network (replications reuse it)."""
        homes = range(len(self.regions))
        return {(p, home): self.candidate_groups(p, home) for p in range(self.n_profiles) for home in homes}

    @property
    def n_profiles(self) -> int:
        n = 2 * len(self.types)
        for _, values in self.attributes:
            n *= len(values)
        return n

    def profile(self, type_index, high_security, attribute_values=()):
        """Profile index (works elementwise on numpy arrays too); attribute values by index."""
        p = 2 * type_index + high_security
        for (_, values), v in zip(self.attributes, attribute_values):
            p = p * len(values) + v
        return p

    def unit_index(self, institution: str, unit: str | None = None) -> int:
        """Index of a unit by institution and unit name (the first regular unit if ``unit`` is None)."""
        i = self.institutions.index(institution)
        mine = [k for k, u in enumerate(self.units) if u.institution == i and u.kind == REGULAR]
        if unit is None:
            return mine[0]
        return next(k for k in mine if self.units[k].name == f"{institution}/{unit}")

    def candidate_groups(self, profile: int, home: int) -> tuple[tuple[int, ...], ...]:
        """Units a youth may be placed in, grouped by region in the order they are tried.

        Regular places first: the home region, then the regions in ``allocation.nearest`` for it, then
        every other region. Then flexible places in the same region order, then emergency places.
        """
        groups = []
        for kind in (REGULAR, FLEXIBLE, EMERGENCY):
            for region in self.region_order[home]:
                units = tuple(
                    u
                    for u, info in enumerate(self.units)
                    if info.kind == kind and info.region == region and info.eligible[profile]
                )
                if units:
                    groups.append(units)
        return tuple(groups)


@dataclass(frozen=True)
class CompiledRule:
    """A scenario's capacity rule in the network's indices."""

    units: tuple[int, ...]  # the ordinary units it decides
    weights: tuple[float, ...]  # their starting places (the spread's weights)
    start: tuple[int, ...]  # their places at the start of the run
    review_days: tuple[float, ...]  # simulation days of the reviews
    look_back: float
    lead: float
    step: int
    min_places: int
    max_places: int
    add_above: tuple[tuple[str, float], ...]
    remove_below: tuple[tuple[str, float], ...]


def compile_rule(scenario, network, clock: Clock) -> CompiledRule | None:
    rule = scenario.capacity_rule
    if rule is None:
        return None
    units = tuple(network.unit_index(inst, unit) for inst, unit in scenario.governed_units())
    start = tuple(network.initial_places[u] for u in units)
    days = []
    first = scenario.horizon.start
    k = 1
    while True:
        month = first.month - 1 + k * rule.review_months
        day = clock.day_of(dt.date(first.year + month // 12, month % 12 + 1, min(first.day, 28)))
        if day >= clock.end:
            break
        days.append(day)
        k += 1
    return CompiledRule(
        units, tuple(float(max(p, 1)) for p in start), start, tuple(days), float(rule.look_back_days),
        float(rule.lead_days), rule.step, rule.min_places, rule.max_places, tuple(rule.add_above.given().items()),
        tuple(rule.remove_below.given().items()),
    )  # fmt: skip


def _eligibility(
    types: tuple[str, ...],
    attributes: tuple[tuple[str, tuple[str, ...]], ...],
    accepts: list[str],
    high_security: bool,
    only: dict[str, list[str]],
    hs_take_ordinary: bool,
) -> tuple[bool, ...]:
    out = []
    combos = list(itertools.product(*[range(len(v)) for _, v in attributes]))
    for t in types:
        for hs in (False, True):
            for combo in combos:
                ok = t in accepts and (high_security if hs else (not high_security or hs_take_ordinary))
                for (name, values), v in zip(attributes, combo):
                    if name in only and values[v] not in only[name]:
                        ok = False
                out.append(ok)
    return tuple(out)


def _seasonal_changes(base: list[tuple[float, int]], months: list[int] | None, clock: Clock):
    """(day, places) steps for a unit: explicit changes, closed (0 places) outside ``months``."""
    if not months:
        return base
    starts = clock.month_starts()
    month_of = clock.month_of_year(np.arange(len(starts))) + 1
    days = sorted({d for d, _ in base} | set(starts.tolist()))

    def places_at(day: float) -> int:
        value = base[0][1]
        for d, p in base:
            if d <= day:
                value = p
        return value

    out, last = [], None
    for day in days:
        m = month_of[np.searchsorted(starts, day, side="right") - 1]
        value = places_at(day) if m in months else 0
        if value != last:
            out.append((day, value))
            last = value
    return out


def compile_network(scenario: Scenario, clock: Clock) -> Network:
    regions = tuple(scenario.regions)
    r_index = {r: i for i, r in enumerate(regions)}
    types = tuple(t for t in PLACEMENT_TYPES if t in scenario.placement_types)
    attributes = tuple((name, tuple(shares)) for name, shares in scenario.attributes.items())
    hs_ordinary = scenario.allocation.high_security_units_take_ordinary
    institutions = tuple(scenario.institutions)
    units: list[UnitInfo] = []
    initial: list[int] = []
    changes: list[tuple[float, int, int]] = []
    emergency_days: list[float] = []
    for i, (iname, inst) in enumerate(scenario.institutions.items()):
        region = r_index[inst.region]
        for uname, unit in inst.units.items():
            u = len(units)
            units.append(
                UnitInfo(
                    f"{iname}/{uname}",
                    i,
                    region,
                    unit.high_security,
                    REGULAR,
                    _eligibility(types, attributes, unit.accepts, unit.high_security, unit.only, hs_ordinary),
                )
            )
            steps = [(-np.inf if d is None else clock.day_of(d), p) for d, p in unit.planned()]
            steps = _seasonal_changes(steps, unit.open_months, clock)
            # steps dated at or before time 0 are already in force when the run starts
            initial.append(next(p for d, p in reversed(steps) if d <= 0))
            changes.extend((d, u, p) for d, p in steps if 0 < d < clock.end)
            emergency_days.append(np.inf)
    flexible = []
    for fname, flex in scenario.flexible.items():
        i = institutions.index(flex.institution)
        u = len(units)
        elig = _eligibility(types, attributes, flex.accepts, flex.high_security, flex.only, hs_ordinary)
        region = r_index[scenario.institutions[flex.institution].region]
        units.append(UnitInfo(f"{flex.institution}/flex:{fname}", i, region, flex.high_security, FLEXIBLE, elig))
        initial.append(0)
        emergency_days.append(np.inf)
        flexible.append((u, flex))
    for i, (iname, inst) in enumerate(scenario.institutions.items()):
        e = inst.emergency
        if e is None:
            continue
        elig = _eligibility(types, attributes, e.accepts, e.high_security, {}, hs_ordinary)
        units.append(UnitInfo(f"{iname}/emergency", i, r_index[inst.region], e.high_security, EMERGENCY, elig))
        initial.append(e.places)
        emergency_days.append(e.max_days)
    order = []
    for home in regions:
        seq = [home] + [r for r in scenario.allocation.nearest.get(home, []) if r != home]
        seq += [r for r in regions if r not in seq]
        order.append(tuple(r_index[r] for r in dict.fromkeys(seq)))
    network = Network(
        regions=regions,
        institutions=institutions,
        institution_region=tuple(r_index[scenario.institutions[n].region] for n in institutions),
        types=types,
        priority=tuple(scenario.placement_types[t].priority for t in types),
        attributes=attributes,
        units=tuple(units),
        initial_places=tuple(initial),
        changes=tuple(sorted(changes)),
        region_order=tuple(order),
        flexible=tuple(flexible),
        emergency_days=tuple(emergency_days),
        move_nearer_home=scenario.allocation.move_nearer_home,
    )
    # the capacity rule and the placement rules need the units' indices: compiled on the network they decide
    return dataclasses.replace(
        network, capacity_rule=compile_rule(scenario, network, clock), **_placement_rules(scenario, network)
    )


def _placement_rules(scenario: Scenario, network: Network) -> dict:
    """Home-first windows by type, travel hours between regions, and each institution's refusal rules."""
    a, regions, attributes = scenario.allocation, network.regions, network.attributes
    names = [n for n, _ in attributes]
    refuses = tuple(
        tuple(
            (names.index(attr), tuple(probs.get(v, 0.0) for v in attributes[names.index(attr)][1]))
            for attr, probs in inst.refuses.items()
        )
        for inst in scenario.institutions.values()
    )
    return {
        "home_first": tuple(float(a.home_first_days.get(t, 0.0)) for t in network.types),
        "travel": tuple(tuple(a.travel(x, y) for y in regions) for x in regions) if a.travel_hours else (),
        "max_travel": a.max_travel_hours,
        "refuses": refuses,
    }
