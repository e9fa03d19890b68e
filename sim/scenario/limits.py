"""The ranges a scenario's values must lie in, and the order of its planned changes: checked after the schema.

The schema says what a value may be (a number, a date, one of these words); this module says which values a
national model of Denmark's secure institutions can mean, and refuses the rest before anything runs, so a
value that validates cannot break a run halfway (an infinite stay, a demand that overflows the random
numbers, a window too short to measure). Every number must be finite, and the numbers below must lie in
their range; :data:`RANGES` is the one table, with the reason for each range. Today's figures, for scale: 107
places, at most 266 admissions a year of one type, mean stays of 20 to 200 days.

Planned changes (``institutions.*.units.*.changes``, ``placement_types.*.demand.changes``) must be in date
order, one a date, and dated within the simulated period: from the first day of the warm-up (a change in
the warm-up is history the run lives through before the start) to the last day of the run. A change dated
before the warm-up would only set what the run starts with (give it as the starting value instead), and is
accepted only in a scenario that starts from a ``start_state``, whose past it is; a change after the end
would never apply.

:func:`check` gives (key path, problem) pairs; :mod:`sim.scenario.loading` names the file each came from.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sim.scenario import trend

DAYS_PER_YEAR = 365.25  # as sim.engine.clock
MAX_INTEGER = 10**12  # any whole number not in the table: far above any count, far below int64's limits


@dataclass(frozen=True)
class Range:
    """``low <= value <= high`` for every value at one of ``paths`` (``*`` stands for any one key)."""

    paths: tuple[str, ...]
    low: float
    high: float
    unit: str
    why: str


DURATION = (0.001, 3652.5)  # days: a minute and a half to ten years
RANGES: tuple[Range, ...] = (
    Range(("horizon.years",), 0.1, 100, "years",
          "a shorter window holds no whole month of statistics; a longer one is no planning horizon"),
    Range(("horizon.warmup_days",), 0, 3652.5, "days",
          "the institutions fill from empty within a few mean stays, which are months, not decades"),
    Range(("horizon.replications",), 2, 100_000, "replications",
          "an interval needs two; 100,000 makes it 30 times narrower than the default 100 does"),
    Range(("horizon.seed",), 0, 2**64 - 1, "", "a seed is a whole number of at most 64 bits"),
    Range(("institutions.*.units.*.places", "institutions.*.units.*.changes.*.places",
           "institutions.*.emergency.places", "flexible.*.places", "flexible.*.step",
           "capacity_rule.min_places", "capacity_rule.max_places", "capacity_rule.step"), 0, 10_000, "places",
          "a hundred times all of Denmark's 107 places, in one unit"),
    Range(("institutions.*.units.*.changes.*.add",), -10_000, 10_000, "places", "as for places"),
    Range(("placement_types.*.demand.per_year",), 0, 100_000, "youths a year",
          "a quarter of all Danes aged 12-17; today's largest type has 266 a year"),
    Range(("placement_types.*.demand.growth", "placement_types.*.stay.drift"), -0.5, 1.0, "a year",
          "halving or doubling every year; observed trends are a few per cent to 15 % a year"),
    Range(("placement_types.*.demand.dispersion",), 0, 5, "",
          "the coefficient of variation of a month's demand; observed series stay below 1"),
    Range(("placement_types.*.demand.seasonality.monthly.*",), 0.001, 1000, "",
          "relative factors; a month a thousand times another is no season"),
    Range(("placement_types.*.priority",), -1000, 1000, "", "a rank among a handful of placement types"),
    Range(("placement_types.*.stay.mean", "placement_types.*.withdrawal.mean",
           "placement_types.*.stay.observed.*", "placement_types.*.withdrawal.observed.*",
           "institutions.*.emergency.max_days"), *DURATION, "days",
          "a youth placed at 12 is an adult at 18: no stay or wait of a youth lasts ten years"),
    Range(("placement_types.*.stay.cv", "placement_types.*.withdrawal.cv"), 0.01, 10, "",
          "a standard deviation ten times the mean is beyond any observed stay"),
    Range(("start_state.placed.*.days_stayed", "start_state.waiting.*.days_waited"), 0, 3652.5, "days",
          "as for stays"),
    Range(("start_state.placed.*.count", "start_state.waiting.*.count"), 1, 100_000, "youths",
          "as for demand"),
    Range(("flexible.*.lead_days", "flexible.*.min_open_days", "flexible.*.close_after_empty_days",
           "flexible.*.trigger.for_days"), 0, 3652.5, "days", "a planning cycle is months or a few years"),
    Range(("flexible.*.trigger.queue_at_least",), 1, 100_000, "youths", "as for demand"),
    Range(("costs.*", "flexible.*.cost_place_day", "flexible.*.cost_opening",
           "institutions.*.emergency.cost_place_day"), 0, 1e9,
          "kroner", "a place costs about 7,500 kroner a day; a billion is beyond any budget line"),
)  # fmt: skip
START = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))  # horizon.start
START_WHY = "records begin in the 2000s, plans reach decades"
PEAK_DEMAND = 100_000  # youths a year of one type, at any time of the run (growth, season and changes included)
PEAK_STAY = DURATION[1]  # days: a mean stay at any time of the run (drift included)


def table() -> list[tuple[str, str, str]]:
    """(keys, range, why) of every range, for the documentation."""
    rows = [(", ".join(r.paths), f"{_show(r.low)} to {_show(r.high)} {r.unit}".strip(), r.why) for r in RANGES]
    rows.append(("horizon.start", f"{START[0]} to {START[1]}", START_WHY))
    return rows


def _matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(path) == len(pattern) and all(p == "*" or p == k for k, p in zip(path, pattern))


_PATTERNS = [(tuple(p.split(".")), r) for r in RANGES for p in r.paths]


def range_of(path: tuple[str, ...]) -> Range | None:
    """The range for the value at ``path`` (keys as strings, list positions as numbers in text), if any."""
    for pattern, r in _PATTERNS:
        if _matches(path, pattern):
            return r
    return None


def _number(path: str, value: Any, where: tuple[str, ...]) -> str | None:
    """The problem of one number, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    r = range_of(where)
    if r is None:
        if isinstance(value, int) and abs(value) > MAX_INTEGER:
            return f"{_show(value)} is out of range (at most {MAX_INTEGER:,} in size)"
        return None
    if not r.low <= value <= r.high:
        unit = f" {r.unit}" if r.unit else ""
        return f"{_show(value)} is out of range: it must lie between {_show(r.low)} and {_show(r.high)}{unit} ({r.why})"
    return None


def _show(value: float) -> str:
    """A number as a message shows it: 100,000 and 0.001, 1e+300 rather than 300 digits."""
    if isinstance(value, int) and abs(value) < 10**20:
        return f"{value:,}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"


def _walk(node: Any, where: tuple[str, ...], out: list[tuple[str, str]]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _walk(v, (*where, str(k)), out)
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            _walk(v, (*where, str(i)), out)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        problem = _number(".".join(where), node, where)
        if problem:
            out.append((".".join(where), problem))


def check(scenario, dates: bool = True) -> list[tuple[str, str]]:
    """(key path, problem) of every value of a validated Scenario out of its range; with ``dates``, also the
    planned changes out of order or outside the simulated period (see the module docstring)."""
    data = scenario.model_dump(mode="python")
    problems: list[tuple[str, str]] = []
    _walk(data, (), problems)
    start = scenario.horizon.start
    if not START[0] <= start <= START[1]:
        problems.append(
            ("horizon.start", f"{start} is out of range: it must lie between {START[0]} and {START[1]} ({START_WHY})")
        )
    if problems:  # the checks below compute with these values
        return problems
    problems += _draws(scenario)
    problems += _peaks(scenario, {})
    if dates:
        problems += _changes(scenario)
    return problems


def _draws(scenario) -> list[tuple[str, str]]:
    """Every parameter draw's values in their ranges, and the peaks they would give."""
    pu = scenario.parameter_uncertainty
    if pu is None:
        return []
    problems = []
    for i, draw in enumerate(pu.draws):
        for path, value in draw.items():
            problem = _number(path, value, tuple(path.split(".")))
            if problem:
                problems.append((f"parameter_uncertainty.draws.{i}", f"'{path}': {problem}"))
        if not problems:
            problems += [(f"parameter_uncertainty.draws.{i}", f"{p}: {m}") for p, m in _peaks(scenario, draw)]
        if len(problems) >= 5:  # one bad key repeats in every draw; a few lines say it
            break
    return problems


def run_days(horizon) -> tuple[dt.date, dt.date]:
    """(first, last) simulated day: the warm-up's first day and the run's last (as sim.engine.clock.Clock)."""
    first = horizon.start - dt.timedelta(days=math.ceil(horizon.warmup_days))
    last = horizon.start + dt.timedelta(days=round(horizon.years * DAYS_PER_YEAR) - 1)
    return first, last


def _peaks(scenario, draw: dict[str, float]) -> list[tuple[str, str]]:
    """Demand and mean stays at their highest over the run, with growth, drift, season and changes."""
    h = scenario.horizon
    ends = (-math.ceil(h.warmup_days) / DAYS_PER_YEAR, h.years)  # a yearly trend is largest at one end
    problems = []
    for name, ptype in scenario.placement_types.items():
        base = f"placement_types.{name}"

        def value(key: str, default: float, base: str = base) -> float:
            return float(draw.get(f"{base}.{key}", default))

        d = ptype.demand
        growth = value("demand.growth", d.growth)
        season = 1.0
        if d.seasonality is not None and d.seasonality.monthly is not None:
            season = max(d.seasonality.monthly) / (sum(d.seasonality.monthly) / 12)
        elif d.seasonality is not None:
            season = 1.0 + value("demand.seasonality.amplitude", d.seasonality.amplitude)
        steps = max([1.0, *(c.factor for c in d.changes)])
        peak = value("demand.per_year", d.per_year) * max(trend.factor(growth, t) for t in ends) * season * steps
        if peak > PEAK_DEMAND:
            where = f"{base}.demand"
            included = "growth, season and changes"
            problems.append((where, _peak_message("demand", peak, PEAK_DEMAND, "youths a year", included)))
        s = ptype.stay
        mean = value("stay.mean", s.mean) if s.mean is not None else sum(s.observed) / len(s.observed)
        longest = mean * max(trend.factor(value("stay.drift", s.drift), t) for t in ends)
        if longest > PEAK_STAY:
            where = f"{base}.stay"
            problems.append((where, _peak_message("mean stay", longest, PEAK_STAY, "days", "drift")))
    return problems


def _peak_message(what: str, peak: float, bound: float, unit: str, included: str) -> str:
    return (
        f"the {what} reaches {peak:,.4g} {unit} during the run ({included} included), above the {bound:,g} {unit} "
        "a national model can mean: shorten the horizon or lower the figures"
    )


def _changes(scenario) -> list[tuple[str, str]]:
    """Planned changes in date order, one a date, within the simulated period (module docstring)."""
    first, last = run_days(scenario.horizon)
    history = scenario.start_state is not None
    lists = [
        (f"institutions.{i}.units.{u}.changes", unit.changes)
        for i, inst in scenario.institutions.items()
        for u, unit in inst.units.items()
    ]
    lists += [(f"placement_types.{t}.demand.changes", p.demand.changes) for t, p in scenario.placement_types.items()]
    problems = []
    for where, changes in lists:
        for k, change in enumerate(changes):
            path = f"{where}.{k}.date"
            if k and change.date <= changes[k - 1].date:
                problems.append(
                    (path, f"{change.date} is not after the change before it ({changes[k - 1].date}): give the "
                           "changes in date order, one a date")
                )  # fmt: skip
            elif change.date > last:
                problems.append((path, f"{change.date} is after the run ends on {last}: the change would never apply"))
            elif change.date < first and not history:
                problems.append(
                    (path, f"{change.date} is before the run begins on {first} (the warm-up's first day): it would "
                           "only set the starting value, so give that instead, or date the change within the run")
                )  # fmt: skip
    return problems


def expected_youths(scenario) -> float:
    """The expected number of youths a replication simulates: those arriving over the warm-up and the run
    (demand along its growth, at the highest of its changes), and those placed or waiting at the start."""
    h = scenario.horizon
    lo, hi = -math.ceil(h.warmup_days) / DAYS_PER_YEAR, h.years
    total = 0.0
    for ptype in scenario.placement_types.values():
        d = ptype.demand
        g = math.log1p(d.growth)
        years = hi - lo if abs(g) < 1e-12 else (math.exp(g * hi) - math.exp(g * lo)) / g  # the integral of (1+g)^t
        total += d.per_year * years * max([1.0, *(c.factor for c in d.changes)])
    state = scenario.start_state
    if state is not None:
        total += sum(r.count for r in state.placed) + sum(r.count for r in state.waiting)
    return total
