"""The scenario schema: what a scenario file may say, and the checks on it.

Every model reads its inputs from these classes, never from raw YAML. Unknown keys are refused
(``extra="forbid"``) so a typo cannot silently fall back to a default.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator

from sim.scenario import paths

PLACEMENT_TYPES: tuple[str, ...] = ("remand", "sentence", "social")
PlacementTypeName = Literal["remand", "sentence", "social"]

Places = Annotated[StrictInt, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(Strict):
    """Simulated period. Statistics cover ``start`` to ``start + years``; the warm-up runs before it."""

    start: dt.date = dt.date(2025, 1, 1)
    years: Annotated[float, Field(gt=0, le=100)] = 10
    warmup_days: Annotated[float, Field(ge=0)] = 365
    replications: Annotated[StrictInt, Field(ge=2)] = 100
    seed: Annotated[StrictInt, Field(ge=0)] = 20241


class CapacityChange(Strict):
    """A planned change of a unit's places on a date: ``places`` sets the number, ``add`` changes it."""

    date: dt.date
    places: Places | None = None
    add: StrictInt | None = None

    @model_validator(mode="after")
    def _one_of(self) -> CapacityChange:
        if (self.places is None) == (self.add is None):
            raise ValueError("give exactly one of 'places' (new number) or 'add' (change, may be negative)")
        return self


Month = Annotated[StrictInt, Field(ge=1, le=12)]
Restriction = dict[str, list[str]]  # attribute -> values the unit takes (sub-specialised units)


class Unit(Strict):
    places: Places
    high_security: StrictBool = False
    accepts: list[PlacementTypeName] = Field(default_factory=lambda: list(PLACEMENT_TYPES), min_length=1)
    only: Restriction = Field(default_factory=dict)
    changes: list[CapacityChange] = Field(default_factory=list)
    open_months: list[Month] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _never_negative(self) -> Unit:
        for i, (date, places) in enumerate(self.planned()[1:]):
            if places < 0:
                raise ValueError(f"changes[{i}] on {date} would leave {places} places (below zero)")
        return self

    def planned(self) -> list[tuple[dt.date | None, int]]:
        """Places from the start (date None), then after each planned change in date order."""
        steps: list[tuple[dt.date | None, int]] = [(None, self.places)]
        for change in sorted(self.changes, key=lambda c: c.date):
            steps.append((change.date, change.places if change.places is not None else steps[-1][1] + change.add))
        return steps

    def places_on(self, date: dt.date) -> int:
        """Places open on ``date``: the planned changes up to it, none outside ``open_months``."""
        if self.open_months is not None and date.month not in self.open_months:
            return 0
        return [p for d, p in self.planned() if d is None or d <= date][-1]


class EmergencyPlaces(Strict):
    """Beds above the normed places that a full institution may open (nødpladser)."""

    places: Annotated[StrictInt, Field(ge=1)]
    max_days: PositiveFloat
    accepts: list[PlacementTypeName] = Field(default_factory=lambda: list(PLACEMENT_TYPES), min_length=1)
    high_security: StrictBool = False
    cost_place_day: NonNegFloat = 0.0


class Institution(Strict):
    region: str
    units: dict[str, Unit] = Field(min_length=1)
    emergency: EmergencyPlaces | None = None
    # attribute -> value -> the probability that the institution refuses a youth with that value
    refuses: dict[str, dict[str, Share]] = Field(default_factory=dict)


class Trigger(Strict):
    queue_at_least: Annotated[StrictInt, Field(ge=1)]
    for_days: NonNegFloat = 0.0


class FlexiblePlaces(Strict):
    """Extra places an institution opens when the waiting list stays long, and closes when they empty."""

    institution: str
    places: Annotated[StrictInt, Field(ge=1)]
    step: Annotated[StrictInt, Field(ge=1)] | None = None
    accepts: list[PlacementTypeName] = Field(default_factory=lambda: list(PLACEMENT_TYPES), min_length=1)
    high_security: StrictBool = False
    only: Restriction = Field(default_factory=dict)
    trigger: Trigger
    lead_days: NonNegFloat = 0.0
    min_open_days: NonNegFloat = 0.0
    close_after_empty_days: NonNegFloat = 0.0
    cost_place_day: NonNegFloat = 0.0
    cost_opening: NonNegFloat = 0.0


class Seasonality(Strict):
    """Either twelve monthly factors (rescaled to average 1) or a cosine with amplitude and peak month."""

    monthly: list[PositiveFloat] | None = None
    amplitude: Annotated[float, Field(ge=0, lt=1)] | None = None
    peak_month: Annotated[StrictInt, Field(ge=1, le=12)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Seasonality:
        if self.monthly is not None:
            if self.amplitude is not None or self.peak_month is not None:
                raise ValueError("give either 'monthly' or 'amplitude' with 'peak_month', not both")
            if len(self.monthly) != 12:
                raise ValueError(f"'monthly' needs twelve factors (January to December), got {len(self.monthly)}")
        elif self.amplitude is None or self.peak_month is None:
            raise ValueError("give either 'monthly' (twelve factors) or both 'amplitude' and 'peak_month'")
        return self


class DemandChange(Strict):
    """From ``date`` on, demand is ``factor`` times its path (growth and season as before) until the next change."""

    date: dt.date
    factor: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class Demand(Strict):
    per_year: NonNegFloat
    growth: Annotated[float, Field(gt=-1)] = 0.0
    seasonality: Seasonality | None = None
    dispersion: NonNegFloat = 0.0
    regions: dict[str, Share]
    high_security_share: Share = 0.0
    attributes: dict[str, dict[str, Share]] = Field(default_factory=dict)
    changes: list[DemandChange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Demand:
        _sum_to_one("'regions' shares", self.regions)
        for name, shares in self.attributes.items():
            _sum_to_one(f"'attributes.{name}' shares", shares)
        dates = [c.date for c in self.changes]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("'changes' must be in date order, one a date")
        return self


def _sum_to_one(what: str, shares: dict[str, float]) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must sum to 1, they sum to {total:.6g}")


DistributionName = Literal["lognormal", "gamma", "weibull", "exponential", "empirical"]


class Duration(Strict):
    """A positive random duration in days, given by its mean and coefficient of variation."""

    distribution: DistributionName
    mean: PositiveFloat | None = None
    cv: PositiveFloat | None = None
    observed: list[PositiveFloat] | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Duration:
        d = self.distribution
        if d == "empirical":
            if not self.observed or len(self.observed) < 2:
                raise ValueError("an 'empirical' distribution needs 'observed': a list of at least two stays in days")
            if self.cv is not None:
                raise ValueError("an 'empirical' distribution takes its spread from 'observed'; remove 'cv'")
            return self
        if self.observed is not None:
            raise ValueError(f"'observed' is only for the 'empirical' distribution, not '{d}'")
        if self.mean is None:
            raise ValueError(f"the '{d}' distribution needs 'mean' (days)")
        if d == "exponential":
            if self.cv not in (None, 1.0):
                raise ValueError("the 'exponential' distribution has cv 1; remove 'cv' or choose another distribution")
        elif self.cv is None:
            raise ValueError(f"the '{d}' distribution needs 'cv' (standard deviation / mean)")
        if d == "weibull" and not 0.05 <= self.cv <= 10:
            raise ValueError("a 'weibull' cv must lie between 0.05 and 10")
        return self


class Stay(Duration):
    drift: Annotated[float, Field(gt=-1)] = 0.0


class PlacementType(Strict):
    priority: StrictInt = 1
    demand: Demand
    stay: Stay
    withdrawal: Duration | None = None
    waiting_list: StrictBool = True  # false: a youth who finds no free place is diverted at once

    @model_validator(mode="after")
    def _no_list_no_withdrawal(self) -> PlacementType:
        if not self.waiting_list and self.withdrawal is not None:
            raise ValueError("'withdrawal' needs a waiting list; remove it or set waiting_list: true")
        return self


class PlacedAtStart(Strict):
    """Youths in a place on the start date: aggregated rows, no person identifiers."""

    institution: str
    unit: str | None = None  # may be left out when the institution has one unit
    type: PlacementTypeName
    days_stayed: NonNegFloat
    count: Annotated[StrictInt, Field(ge=1)] = 1
    home: str | None = None  # default: the institution's region
    high_security: StrictBool | None = None  # default: whether the unit is high-security


class WaitingAtStart(Strict):
    type: PlacementTypeName
    days_waited: NonNegFloat
    count: Annotated[StrictInt, Field(ge=1)] = 1
    home: str
    high_security: StrictBool = False


class StartState(Strict):
    """Occupancy and waiting list on the start date, instead of a warm-up from empty.

    Remaining stays (and patience) are drawn from the type's distribution conditional on the time already
    stayed (waited).
    """

    placed: list[PlacedAtStart] = Field(default_factory=list)
    waiting: list[WaitingAtStart] = Field(default_factory=list)


Number = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]
NOT_UNCERTAIN = ("horizon", "parameter_uncertainty")  # roots a draw may not change: they fix the run's shape


class ParameterUncertainty(Strict):
    """Draws of uncertain parameters, e.g. the bootstrap of ``kapsim calibrate``.

    Each draw maps dotted key paths of this scenario (``placement_types.remand.demand.per_year``) to numbers.
    With ``apply`` (set by ``kapsim run --parameter-uncertainty``) replication r runs with draw r mod the
    number of draws; otherwise the draws are carried along unused.
    """

    source: str = ""
    apply: StrictBool = False
    draws: list[dict[str, Number]] = Field(min_length=1)


def _number_at(node: object, keys: list[str]) -> bool:
    """Whether the dotted path ``keys`` leads to a number in a validated scenario (models, dicts, lists)."""
    try:
        value = paths.get(node, keys)
    except paths.PathError:
        return False
    return isinstance(value, int | float) and not isinstance(value, bool)


class Allocation(Strict):
    nearest: dict[str, list[str]] = Field(default_factory=dict)
    high_security_units_take_ordinary: StrictBool = False
    move_nearer_home: StrictBool = False
    # placement type -> days from the need for a place during which only places in the home region count
    home_first_days: dict[PlacementTypeName, Annotated[float, Field(ge=0, le=3650, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )
    # region -> region -> hours by road (each pair in either direction; within a region 0 unless given)
    travel_hours: dict[str, dict[str, Annotated[float, Field(ge=0, le=48, allow_inf_nan=False)]]] = Field(
        default_factory=dict
    )
    max_travel_hours: Annotated[float, Field(gt=0, le=48, allow_inf_nan=False)] | None = None

    def travel(self, a: str, b: str) -> float | None:
        """Hours from region ``a`` to ``b`` (either direction given), 0 within a region, None if not given."""
        if b in self.travel_hours.get(a, {}):
            return self.travel_hours[a][b]
        if a in self.travel_hours.get(b, {}):
            return self.travel_hours[b][a]
        return 0.0 if a == b else None


RULE_MEASURES = ("queue_length_mean", "utilisation", "full_share")  # what a capacity rule looks back at


class RuleThresholds(Strict):
    """Conditions on the look-back window: the mean waiting list (youths), the utilisation of the rule's
    places (0-1) and the share of the time with none of them free (0-1)."""

    queue_length_mean: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    utilisation: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    full_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None

    def given(self) -> dict[str, float]:
        return {k: v for k in RULE_MEASURES if (v := getattr(self, k)) is not None}


class CapacityRule(Strict):
    """A planning cycle: every ``review_months`` it looks at the last ``look_back_days`` of the ordinary
    places of ``institutions`` (all if empty) and adds ``step`` places, open ``lead_days`` later, when any
    ``add_above`` threshold is exceeded, or removes ``step`` (never evicting: they close as they empty) when
    every ``remove_below`` measure is below its threshold; never above ``max_places`` or below
    ``min_places`` (the rule's places, counted as the places decided, open or still to open)."""

    review_months: Annotated[StrictInt, Field(ge=1, le=120)]
    look_back_days: Annotated[float, Field(gt=0, le=3650, allow_inf_nan=False)]
    step: Annotated[StrictInt, Field(ge=1)]
    lead_days: Annotated[float, Field(ge=0, le=3650, allow_inf_nan=False)] = 0.0
    min_places: Places
    max_places: Places
    add_above: RuleThresholds = RuleThresholds()
    remove_below: RuleThresholds = RuleThresholds()
    institutions: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> CapacityRule:
        if self.min_places > self.max_places:
            raise ValueError(f"min_places {self.min_places} is above max_places {self.max_places}")
        add, remove = self.add_above.given(), self.remove_below.given()
        if not add and not remove:
            raise ValueError("give add_above or remove_below thresholds (or both): the rule would never act")
        # adding needs any add condition, removing every remove condition: both at once is impossible only if
        # each add measure is also a remove measure with a threshold at or below the add threshold
        for measure, above in add.items():
            if remove and measure not in remove:
                raise ValueError(
                    f"remove_below.{measure} is missing: without it a review could meet add_above.{measure} and "
                    f"every remove_below condition at once (give remove_below.{measure} at most {above:g})"
                )
            if remove and remove[measure] > above:
                raise ValueError(
                    f"remove_below.{measure} {remove[measure]:g} is above add_above.{measure} {above:g}: a "
                    f"review between them would both add and remove places"
                )
        return self


class Costs(Strict):
    """Kroner per day. Flexible and emergency places carry their own costs where they are defined."""

    occupied_place_day: NonNegFloat = 0.0
    empty_place_day: NonNegFloat = 0.0
    custody_day: NonNegFloat = 0.0
    custody_types: list[PlacementTypeName] = Field(default_factory=lambda: ["remand", "sentence"])


class Scenario(Strict):
    name: str = "scenario"
    description: str = ""
    horizon: Horizon = Horizon()
    regions: list[str] = Field(min_length=1)
    institutions: dict[str, Institution] = Field(min_length=1)
    placement_types: dict[PlacementTypeName, PlacementType] = Field(min_length=1)
    allocation: Allocation = Allocation()
    costs: Costs = Costs()
    start_state: StartState | None = None
    flexible: dict[str, FlexiblePlaces] = Field(default_factory=dict)
    attributes: dict[str, dict[str, Share]] = Field(default_factory=dict)
    parameter_uncertainty: ParameterUncertainty | None = None
    capacity_rule: CapacityRule | None = None

    @model_validator(mode="after")
    def _uncertain_paths(self) -> Scenario:
        if self.parameter_uncertainty is None:
            return self
        errors: list[str] = []
        for i, draw in enumerate(self.parameter_uncertainty.draws):
            for path in draw:
                keys = path.split(".")
                if keys[0] in NOT_UNCERTAIN:
                    errors.append(f"parameter_uncertainty.draws[{i}]: '{path}' may not vary between replications")
                elif not _number_at(self, keys):
                    errors.append(f"parameter_uncertainty.draws[{i}]: '{path}' is not a number in this scenario")
            if len(errors) >= 5:  # one bad key repeats in every draw; a few lines say it
                break
        if errors:
            raise ValueError("; ".join(errors))
        return self

    @model_validator(mode="after")
    def _attributes(self) -> Scenario:
        errors: list[str] = []
        for name, shares in self.attributes.items():
            try:
                _sum_to_one(f"attributes.{name}: shares", shares)
            except ValueError as exc:
                errors.append(str(exc))

        def check(where: str, only: dict[str, list[str]]) -> None:
            for attr, values in only.items():
                if attr not in self.attributes:
                    errors.append(f"{where}.only.{attr}: unknown attribute (define it under 'attributes')")
                    continue
                for v in values:
                    if v not in self.attributes[attr]:
                        known = ", ".join(self.attributes[attr])
                        errors.append(f"{where}.only.{attr}: unknown value '{v}' (known: {known})")

        for iname, inst in self.institutions.items():
            for uname, unit in inst.units.items():
                check(f"institutions.{iname}.units.{uname}", unit.only)
            for attr, probs in inst.refuses.items():
                where = f"institutions.{iname}.refuses.{attr}"
                if attr not in self.attributes:
                    errors.append(f"{where}: unknown attribute (define it under 'attributes')")
                elif set(probs) - set(self.attributes[attr]):
                    bad = ", ".join(sorted(set(probs) - set(self.attributes[attr])))
                    known = ", ".join(self.attributes[attr])
                    errors.append(f"{where}: unknown value(s) {bad} (known: {known})")
        for fname, flex in self.flexible.items():
            check(f"flexible.{fname}", flex.only)
            if flex.institution not in self.institutions:
                errors.append(f"flexible.{fname}.institution: unknown institution '{flex.institution}'")
            if flex.step is not None and flex.step > flex.places:
                errors.append(f"flexible.{fname}.step: {flex.step} is more than its {flex.places} places")
        for tname, ptype in self.placement_types.items():
            for attr, shares in ptype.demand.attributes.items():
                if attr not in self.attributes:
                    errors.append(f"placement_types.{tname}.demand.attributes.{attr}: unknown attribute")
                elif set(shares) - set(self.attributes[attr]):
                    bad = ", ".join(sorted(set(shares) - set(self.attributes[attr])))
                    errors.append(f"placement_types.{tname}.demand.attributes.{attr}: unknown value(s) {bad}")
        if errors:
            raise ValueError("; ".join(errors))
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        errors: list[str] = []
        known = set(self.regions)
        if len(known) != len(self.regions):
            errors.append("regions: a region is listed twice")

        def region_ok(where: str, name: str) -> None:
            if name not in known:
                errors.append(f"{where}: unknown region '{name}' (regions are {', '.join(self.regions)})")

        for iname, inst in self.institutions.items():
            region_ok(f"institutions.{iname}.region", inst.region)
        for tname, ptype in self.placement_types.items():
            for r in ptype.demand.regions:
                region_ok(f"placement_types.{tname}.demand.regions", r)
        for r, order in self.allocation.nearest.items():
            region_ok("allocation.nearest", r)
            for other in order:
                region_ok(f"allocation.nearest.{r}", other)
        self._check_travel(errors, region_ok)
        for tname in self.allocation.home_first_days:
            if tname not in self.placement_types:
                errors.append(f"allocation.home_first_days.{tname}: placement type '{tname}' is not in this scenario")
        if self.start_state is not None:
            self._check_start_state(errors, region_ok)
        if self.capacity_rule is not None:
            self._check_capacity_rule(errors)
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def _check_travel(self, errors: list[str], region_ok) -> None:
        a = self.allocation
        for r, row in a.travel_hours.items():
            region_ok("allocation.travel_hours", r)
            for other in row:
                region_ok(f"allocation.travel_hours.{r}", other)
        if a.max_travel_hours is not None and not a.travel_hours:
            errors.append("allocation.max_travel_hours: give allocation.travel_hours, the hours it is measured in")
        if a.travel_hours:
            missing = [
                f"{x}-{y}" for i, x in enumerate(self.regions) for y in self.regions[i + 1 :] if a.travel(x, y) is None
            ]
            if missing:
                errors.append(f"allocation.travel_hours: no hours for {', '.join(missing[:6])} (give every pair)")

    def governed_units(self) -> list[tuple[str, str]]:
        """(institution, unit) of the ordinary units the capacity rule decides, in the scenario's order."""
        rule = self.capacity_rule
        if rule is None:
            return []
        names = rule.institutions or list(self.institutions)
        return [
            (i, u) for i in self.institutions if i in names for u, unit in self.institutions[i].units.items()
            if not unit.high_security
        ]  # fmt: skip

    def _check_capacity_rule(self, errors: list[str]) -> None:
        for name in self.capacity_rule.institutions:
            if name not in self.institutions:
                errors.append(f"capacity_rule.institutions: unknown institution '{name}'")
        governed = self.governed_units()
        if not governed and not errors:
            errors.append("capacity_rule.institutions: no ordinary unit for the rule to add places to")
        for inst, unit in governed:
            spec = self.institutions[inst].units[unit]
            if spec.changes or spec.open_months:
                errors.append(
                    f"institutions.{inst}.units.{unit}: the capacity rule decides this unit's places; remove its "
                    "changes/open_months or leave the institution out of capacity_rule.institutions"
                )

    def _check_start_state(self, errors: list[str], region_ok) -> None:
        if self.horizon.warmup_days > 0:
            errors.append("horizon.warmup_days: a scenario with start_state starts from it; set warmup_days to 0")
        for i, row in enumerate(self.start_state.placed):
            where = f"start_state.placed[{i}]"
            inst = self.institutions.get(row.institution)
            if inst is None:
                errors.append(f"{where}.institution: unknown institution '{row.institution}'")
                continue
            if row.unit is None and len(inst.units) != 1:
                errors.append(
                    f"{where}.unit: '{row.institution}' has several units; name one of {', '.join(inst.units)}"
                )
            elif row.unit is not None and row.unit not in inst.units:
                errors.append(f"{where}.unit: '{row.institution}' has no unit '{row.unit}'")
            if row.type not in self.placement_types:
                errors.append(f"{where}.type: placement type '{row.type}' is not in this scenario")
            if row.home is not None:
                region_ok(f"{where}.home", row.home)
        for i, row in enumerate(self.start_state.waiting):
            if row.type not in self.placement_types:
                errors.append(f"start_state.waiting[{i}].type: placement type '{row.type}' is not in this scenario")
            region_ok(f"start_state.waiting[{i}].home", row.home)
