"""The smallest capacity that meets a service target, found by an analytical bracket and a simulated search.

A target reads ``metric[placement_type@scope] OP threshold`` with OP one of ``<=``, ``<``, ``>=``, ``>``;
``[placement_type]`` alone means the national scope, and no brackets means ``all`` and ``national``:
``p_wait_over_7_days[remand] <= 0.05``, ``wait_days_mean[social@Hovedstaden] < 3``, ``queue_length_mean <= 1``.

A capacity *meets* the target when the one-sided confidence bound of the metric's mean (at ``confidence``,
Student t over replications) is on the right side of the threshold: for ``<=`` the upper bound is at most
the threshold. It *fails* when the point estimate is on the wrong side, and is *uncertain* in between. The
answer is the smallest number of places that meets the target while one place fewer does not (it fails, or
is uncertain). The search assumes more places never make the metric worse, which common random numbers
make true replication by replication in a single pool of places, and nearly so in the national network.

The search, in order:

1. Pre-screen (no simulation): the ordinary youths' offered load (time-average and peak of the
   M(t)/G/infinity mean over the observed window) and the Erlang C formula give the places an M/M/c queue
   would need for the target at the average and at the peak load; the lever's starting value is the
   average one, and the gap to the peak one is the first step.
2. Bracket: simulate the start; step down (if it meets) or up (if not), doubling the step, until one
   capacity meets and a smaller one does not.
3. Bisect between them. Every point uses the same seed and replications (common random numbers).

Levers: ``national_places`` adds or removes ordinary places across every institution in proportion to its
current ordinary places; ``region:NAME`` across that region's institutions; ``institution:NAME`` only in
that institution. Places are added one at a time,
each to the ordinary unit with the highest claim ``current places / (places now + 1/2)`` (the Sainte-Laguë
rule), and removed one at a time from the unit with the weakest claim ``current / (places now - 1/2)``;
ties go to the unit listed first. The rule is deterministic, reproduces today's places at today's total,
and never takes a place from a unit when the total grows. High-security places are never changed. The
lever's value is the total places it covers, high-security ones included (107 nationally in the baseline,
19 for Egely).
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments import erlang
from sim.results.statistics import t_interval
from sim.run.files import atomic_text, safe_child
from sim.run.folder import SIZE_CSV, SIZE_JSON, write_csv
from sim.run.progress import progress_bar
from sim.run.stored import Stored, obtain
from sim.scenario import overrides
from sim.scenario.schema import Scenario

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_TARGET = re.compile(
    r"^\s*(?P<metric>[A-Za-z_]\w*)\s*(?:\[\s*(?P<ptype>[^\]@\s]+)\s*(?:@\s*(?P<scope>[^\]]+?)\s*)?\])?"
    r"\s*(?P<op><=|>=|<|>)\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<pct>%)?\s*$"
)


class SizeError(ValueError):
    """A sizing question that cannot be answered as asked (bad target or lever, or no capacity meets it)."""


@dataclass(frozen=True)
class Target:
    metric: str
    placement_type: str
    scope: str
    op: str
    threshold: float
    text: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, self.scope, self.placement_type)

    @property
    def upper(self) -> bool:
        """Whether the target caps the metric from above (``<=``, ``<``)."""
        return self.op in ("<=", "<")

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)


def parse_target(text: str) -> Target:
    """Read ``metric[type@scope] OP number`` (a trailing % divides the number by 100).

    >>> parse_target("p_wait_over_7_days[remand] <= 0.05").key
    ('p_wait_over_7_days', 'national', 'remand')
    >>> parse_target("wait_days_mean[all@Syddanmark] < 2").scope
    'Syddanmark'
    """
    m = _TARGET.match(text)
    if m is None:
        raise SizeError(
            f"target '{text}': expected METRIC[TYPE] OP NUMBER or METRIC[TYPE@SCOPE] OP NUMBER, "
            "with OP one of <=, <, >=, > (e.g. 'p_wait_over_7_days[remand] <= 0.05')"
        )
    value = float(m["value"]) / (100.0 if m["pct"] else 1.0)
    return Target(m["metric"], m["ptype"] or "all", (m["scope"] or "national").strip(), m["op"], value, text.strip())


def check_target(target: Target, keys: tuple[tuple[str, str, str], ...]) -> None:
    """Refuse a target naming a metric, placement type or scope the scenario's results do not have."""
    if target.key in keys:
        return
    import difflib

    metrics = sorted({k[0] for k in keys})
    if target.metric not in metrics:
        guess = difflib.get_close_matches(target.metric, metrics, n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else "metrics: " + ", ".join(metrics)
        raise SizeError(f"target '{target.text}': unknown metric '{target.metric}' ({hint})")
    have = [k for k in keys if k[0] == target.metric]
    types = sorted({k[2] for k in have})
    if target.placement_type not in types:
        raise SizeError(
            f"target '{target.text}': {target.metric} has no placement type '{target.placement_type}' "
            f"(it has {', '.join(types)})"
        )
    scopes = sorted({k[1] for k in have if k[2] == target.placement_type})
    raise SizeError(
        f"target '{target.text}': {target.metric}[{target.placement_type}] has no scope '{target.scope}' "
        f"(it has {', '.join(scopes)})"
    )


@dataclass(frozen=True)
class Lever:
    """What the search changes: the ordinary units of some institutions, and their current places."""

    name: str
    units: tuple[tuple[str, str], ...]  # (institution, unit) of each ordinary unit under the lever
    current: tuple[int, ...]  # their places today
    high_security: int  # high-security places under the lever (fixed)
    secure: tuple[tuple[str, int], ...] = ()  # (institution, its high-security places) under the lever

    @property
    def total(self) -> int:
        """The lever's value today: ordinary plus high-security places."""
        return sum(self.current) + self.high_security

    @property
    def minimum(self) -> int:
        return self.high_security

    def places(self, total: int) -> tuple[int, ...]:
        """Places of each ordinary unit when the lever's value is ``total`` (see the module docstring)."""
        if total < self.minimum:
            raise SizeError(f"{self.name}: {total} places is below the {self.minimum} high-security places")
        weights = np.array(self.current, dtype=float)
        if weights.sum() == 0:
            weights = np.ones_like(weights)
        s = np.array(self.current, dtype=float)
        target = total - self.high_security
        while s.sum() < target:
            s[int(np.argmax(weights / (s + 0.5)))] += 1
        while s.sum() > target:
            claim = np.where(s > 0, weights / np.maximum(s - 0.5, 1e-9), np.inf)
            s[int(np.argmin(claim))] -= 1
        return tuple(int(v) for v in s)

    def by_institution(self, total: int) -> dict[str, int]:
        """Total places (with high-security) of each institution under the lever at ``total``."""
        out = {inst: 0 for inst, _ in self.units}
        for inst, places in self.secure:
            out[inst] = out.get(inst, 0) + places
        for (inst, _), p in zip(self.units, self.places(total)):
            out[inst] += p
        return out

    def apply(self, scenario: Scenario, total: int) -> Scenario:
        """The scenario with the lever set to ``total`` places."""
        label = f"--lever {self.name} at {total} places"
        assignments = [
            (["institutions", inst, "units", unit, "places"], p, label)
            for (inst, unit), p in zip(self.units, self.places(total))
        ]
        return overrides.derive(scenario, assignments)


def parse_lever(text: str, scenario: Scenario) -> Lever:
    """``national_places``, ``region:NAME`` (that region's institutions) or ``institution:NAME``."""
    if text == "national_places":
        chosen = list(scenario.institutions)
    elif text.startswith("institution:"):
        name = text.split(":", 1)[1].strip()
        if name not in scenario.institutions:
            raise SizeError(f"--lever {text}: unknown institution '{name}' ({', '.join(scenario.institutions)})")
        chosen = [name]
    elif text.startswith("region:"):
        name = text.split(":", 1)[1].strip()
        if name not in scenario.regions:
            raise SizeError(f"--lever {text}: unknown region '{name}' ({', '.join(scenario.regions)})")
        chosen = [i for i, inst in scenario.institutions.items() if inst.region == name]
        if not chosen:
            raise SizeError(f"--lever {text}: region '{name}' has no institution")
    else:
        raise SizeError(f"--lever {text}: expected 'national_places', 'region:NAME' or 'institution:NAME'")
    units, current, secure = [], [], {}
    for inst in chosen:
        for uname, unit in scenario.institutions[inst].units.items():
            if unit.high_security:
                secure[inst] = secure.get(inst, 0) + unit.places
            else:
                units.append((inst, uname))
                current.append(unit.places)
    if not units:
        raise SizeError(f"--lever {text}: no ordinary unit to add places to")
    return Lever(text, tuple(units), tuple(current), sum(secure.values()), tuple(secure.items()))


@dataclass
class Prescreen:
    """The analytical bracket, in the lever's places."""

    offered_load: float  # ordinary youths, erlangs, time-average over the window
    offered_load_peak: float
    high_security_load: float
    mean_stay: float  # days, ordinary youths
    formula: str  # how the start was found
    start: int  # lever value where the simulation starts (Erlang C at the average load)
    at_peak: int  # lever value Erlang C needs at the peak load


def prescreen(base: Scenario, target: Target, lever: Lever, year: int | None = None) -> Prescreen:
    """Erlang C on the ordinary youths' offered load (over the window, or in one calendar ``year``),
    translated into the lever's places."""
    load = erlang.offered_load(base)
    secure = erlang.offered_load(base, high_security=True)
    if year is not None:  # that year's average and peak, the same shares and mean stay
        average, peak = load.by_year[year]
        load = replace(load, average=average, peak=peak, by_type={t: v * average / load.average for t, v in
                       load.by_type.items()} if load.average > 0 else load.by_type)  # fmt: skip
        secure = replace(secure, average=secure.by_year[year][0])
    before, level = 0.0, 1.0  # shares of the load ahead of the target's type, and up to it
    ptype = base.placement_types.get(target.placement_type)
    if ptype is not None and load.average > 0:
        share = {t: v / load.average for t, v in load.by_type.items()}
        before = sum(share[t] for t, p in base.placement_types.items() if p.priority < ptype.priority)
        level = sum(share[t] for t, p in base.placement_types.items() if p.priority <= ptype.priority)
    avg, peak = (
        erlang.smallest_places(target.metric, target.holds, a, load.mean_stay, before * a, level * a)
        for a in (load.average, load.peak)
    )
    if avg is None:
        avg, peak = math.floor(load.average) + 1, math.floor(load.peak) + 1
        how = f"no M/M/c formula for {target.metric}: started just above the offered load"
    else:
        how = f"Erlang C (M/M/c, one pool of ordinary places) for {target.metric} {target.op} {target.threshold:g}"
        if ptype is not None and level < 1:
            how += f", {target.placement_type} ahead of {1 - level:.0%} of the load (non-preemptive priority)"
    # ordinary places elsewhere in the country stay as they are; the lever supplies the rest
    national_ordinary = sum(
        u.places for inst in base.institutions.values() for u in inst.units.values() if not u.high_security
    )
    others = national_ordinary - sum(lever.current)

    def to_lever(c: int) -> int:
        return max(lever.minimum, c - others + lever.high_security)

    return Prescreen(
        offered_load=round(load.average, 3),
        offered_load_peak=round(load.peak, 3),
        high_security_load=round(secure.average, 3),
        mean_stay=round(load.mean_stay, 2),
        formula=how,
        start=to_lever(avg),
        at_peak=to_lever(peak),
    )


@dataclass
class Evaluation:
    """One simulated capacity."""

    places: int  # the lever's value
    stage: str  # start, bracket or bisect
    order: int  # 1 for the first point simulated
    mean: float
    ci_low: float  # two-sided interval at the confidence level
    ci_high: float
    bound: float  # the one-sided bound the rule uses (upper for <=, <; lower for >=, >)
    n: int
    status: str  # meets, fails or uncertain
    folder: str
    reused: bool
    institutions: dict[str, int] = field(default_factory=dict)


def judge(values: np.ndarray, target: Target, confidence: float) -> tuple[float, float, float, float, int, str]:
    """(mean, ci_low, ci_high, bound, n, status) of one capacity's replication values."""
    mean, lo, hi, _, n = t_interval(values, confidence)
    _, one_lo, one_hi, _, _ = t_interval(values, 2 * confidence - 1)  # one-sided bounds at `confidence`
    bound = one_hi if target.upper else one_lo
    if n < 2 or math.isnan(bound):
        status = "uncertain"
    elif target.holds(bound):
        status = "meets"
    elif not target.holds(mean):
        status = "fails"
    else:
        status = "uncertain"
    return mean, lo, hi, bound, n, status


@dataclass
class Sizing:
    target: str
    lever: str
    confidence: float
    replications: int
    seed: int
    rule: str
    prescreen: Prescreen
    points: list[Evaluation]
    answer: int | None
    one_fewer: int | None
    today: int  # the lever's value in the base scenario
    bracket: tuple[int | None, int | None]  # (not met, met) before bisection
    found_by: str


def size(
    base: Scenario,
    target: Target,
    lever: Lever,
    out: Path,
    command: str,
    confidence: float = 0.95,
    workers: int = 1,
    progress: bool = True,
    max_places: int | None = None,
    on_point: Callable[[Evaluation], None] | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
) -> Sizing:
    """Find the smallest lever value meeting ``target``; writes ``out/size.json``, ``out/size.csv`` and a
    folder ``out/places-N/`` per simulated capacity (reused on a rerun)."""
    from sim.run.worker import Experiment

    check_target(target, Experiment(base).layout.keys)  # before anything runs
    pre = prescreen(base, target, lever)
    limit = max_places if max_places is not None else max(2 * pre.at_peak, pre.at_peak + 100, lever.total + 100)
    start = min(max(pre.start, lever.minimum), limit)
    points: dict[int, Evaluation] = {}
    bar = progress_bar(None, "capacities", "point", progress)

    def evaluate(c: int, stage: str) -> Evaluation:
        if c in points:
            return points[c]
        scenario = lever.apply(base, c)
        folder = safe_child(out, f"places-{c}")
        stored: Stored = obtain(scenario, folder, command, workers, progress, executor, scheduler)
        mean, lo, hi, bound, n, status = judge(stored.column(target.key), target, confidence)
        e = Evaluation(
            c, stage, len(points) + 1, mean, lo, hi, bound, n, status, stored.folder.name, stored.reused,
            lever.by_institution(c),
        )  # fmt: skip
        points[c] = e
        bar.update(1)
        if on_point is not None:
            on_point(e)
        return e

    try:
        lo, hi, bracket = _search(evaluate, start, max(2, pre.at_peak - pre.start), lever.minimum, limit)
    finally:
        bar.close()
    ordered = sorted(points.values(), key=lambda e: e.order)
    if hi is None:
        found = (
            f"no capacity up to {limit} places meets the target (simulated {len(points)} capacities); "
            "raise --max-places or check that more places improve this metric"
        )
    elif lo is None:
        found = f"even the fewest places the lever allows ({hi}) meet the target"
    else:
        found = (
            f"pre-screen started at {pre.start} ({pre.formula}; {pre.at_peak} at the peak load); "
            f"simulation bracketed the answer between {bracket[0]} (not met) and {bracket[1]} (met), "
            f"bisection narrowed it to {lo} and {hi}; {len(points)} capacities simulated"
        )
    bound = "upper" if target.upper else "lower"
    rule = (
        f"meets: the one-sided {confidence:.0%} {bound} confidence bound of the mean satisfies "
        f"'{target.op} {target.threshold:g}'; fails: the mean does not; otherwise uncertain"
    )
    result = Sizing(
        target.text, lever.name, confidence, base.horizon.replications, base.horizon.seed, rule, pre, ordered,
        hi, lo, lever.total, bracket, found,
    )  # fmt: skip
    write(out, result)
    return result


def _search(evaluate, start: int, step: int, minimum: int, limit: int):
    """(largest capacity not meeting, smallest meeting, the bracket before bisection); None where none is.

    The two answers are adjacent when both exist.
    """
    lo: int | None = None
    hi: int | None = None
    if evaluate(start, "start").status == "meets":
        hi = start
        while lo is None:
            c = max(minimum, hi - step)
            if c == hi:
                return None, hi, (None, hi)  # the lever's minimum already meets
            if evaluate(c, "bracket").status == "meets":
                hi, step = c, step * 2
            else:
                lo = c
    else:
        lo = start
        while hi is None:
            c = min(limit, lo + step)
            if c == lo:
                return lo, None, (lo, None)
            if evaluate(c, "bracket").status == "meets":
                hi = c
            else:
                lo, step = c, step * 2
    bracket = (lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if evaluate(mid, "bisect").status == "meets":
            hi = mid
        else:
            lo = mid
    return lo, hi, bracket


CSV_COLUMNS = [
    "places", "stage", "order", "mean", "ci_low", "ci_high", "bound", "n", "status", "folder", "reused",
    "institutions",
]  # fmt: skip


def write(out: Path, result: Sizing) -> None:
    """``size.json`` (everything, including how the answer was found) and ``size.csv`` (one row a capacity)."""
    data: dict[str, Any] = asdict(result)
    atomic_text(out / SIZE_JSON, json.dumps(data, indent=2, ensure_ascii=False, default=_plain) + "\n")
    rows = []
    for e in sorted(result.points, key=lambda e: e.places):
        row = {k: getattr(e, k) for k in CSV_COLUMNS if k != "institutions"}
        row["institutions"] = ";".join(f"{k}={v}" for k, v in e.institutions.items())
        rows.append(row)
    frame = pd.DataFrame(rows, columns=CSV_COLUMNS)
    write_csv(out / SIZE_CSV, frame)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def summary_lines(result: Sizing) -> list[str]:
    """What ``kapsim size`` prints."""
    pre = result.prescreen
    lines = [
        f"target {result.target}, lever {result.lever} (today {result.today} places), "
        f"{result.replications} replications, confidence {result.confidence:.0%}",
        f"pre-screen: offered load {pre.offered_load:.1f} erlangs (peak {pre.offered_load_peak:.1f}), "
        f"mean stay {pre.mean_stay:.1f} days; {pre.formula}: start {pre.start} places, {pre.at_peak} at the peak",
    ]
    for e in sorted(result.points, key=lambda e: e.places):
        lines.append(
            f"  {e.places:5d} places  {e.mean:.4g}  (CI {e.ci_low:.4g} to {e.ci_high:.4g}, bound {e.bound:.4g})"
            f"  {e.status:9s} [{e.stage}{', reused' if e.reused else ''}]"
        )
    if result.answer is None:
        lines.append(f"no answer: {result.found_by}")
    else:
        best = next(e for e in result.points if e.places == result.answer)
        fewer = ""
        if result.one_fewer is not None:
            fewer = f"; {result.one_fewer} places: {_status_of(result, result.one_fewer)}"
        lines.append(
            f"answer: {result.answer} places ({result.answer - result.today:+d} on today): {best.mean:.4g} "
            f"(CI {best.ci_low:.4g} to {best.ci_high:.4g}){fewer}"
        )
        lines.append(f"found by: {result.found_by}")
    return lines


def _status_of(result: Sizing, places: int) -> str:
    e = next(e for e in result.points if e.places == places)
    return f"{e.mean:.4g} (CI {e.ci_low:.4g} to {e.ci_high:.4g}), {e.status}"
