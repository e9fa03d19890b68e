"""A capacity plan along the growth path: the fewest places meeting a target in each calendar year in turn.

``kapsim size ... --by-year`` answers "how many places in 2027, 2028, ..." rather than the decade's average.
Places change on 1 January (a planning decision takes effect with the year, as framework agreements do).
Year by year, given the plan for the years before it, the search finds the fewest places from which the
target's one-sided bound in *that* year meets it (the rule of :mod:`sim.experiments.size`); the places of
the later years are held at the same number meanwhile (they cannot change the year searched). Without
``allow_cuts`` a year never has fewer places than the year before: the plan is non-decreasing, as a plan
that closes places and opens them again a year later would not be adopted.

The search for a year starts from the Erlang C pre-screen at that year's offered load (the M(t)/G/infinity
mean over its days; never below the year before), steps up or down as ``kapsim size`` does, and bisects.
Every capacity tried runs the whole horizon with the same seed and replication numbers (common random
numbers) into ``OUT/plan-P1-P2-.../``; a rerun reuses finished folders, and the evaluation of one year's
answer is the next year's first candidate. The lever's units take their places from the plan: planned
``changes`` of those units are replaced by the plan's, those of other units stay. A partial year of less
than half a year at either end of the window (three years from 1 January are 1,096 days) is not planned:
it keeps the places of the year next to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.clock import Clock
from sim.experiments import erlang
from sim.experiments.size import Lever, SizeError, Target, _search, check_target, judge, prescreen
from sim.run.files import atomic_text, safe_child
from sim.run.folder import SIZE_BY_YEAR_CSV, SIZE_BY_YEAR_JSON, write_csv
from sim.run.progress import progress_bar
from sim.run.stored import obtain
from sim.scenario import overrides
from sim.scenario.schema import Scenario

CSV_COLUMNS = ["year", "places", "added", "mean", "ci_low", "ci_high", "bound", "status"]


@dataclass
class Tried:
    """One plan simulated while searching ``year``: the lever's places in each year, and the target there."""

    year: int
    places: int  # the lever's value tried in ``year`` (and held in the years after it)
    plan: dict[int, int]
    mean: float
    ci_low: float
    ci_high: float
    bound: float
    n: int
    status: str
    folder: str
    reused: bool


@dataclass
class YearAnswer:
    year: int
    places: int
    added: int  # on the year before (on today's places for the first year)
    mean: float
    ci_low: float
    ci_high: float
    bound: float
    status: str  # meets; or fails/uncertain when even the limit did not meet
    partial: bool
    offered_load: float  # erlangs, the year's mean
    note: str = ""


@dataclass
class Plan:
    target: str
    lever: str
    confidence: float
    replications: int
    seed: int
    allow_cuts: bool
    today: int
    rule: str
    op: str
    threshold: float
    years: list[YearAnswer]
    tried: list[Tried] = field(default_factory=list)


def apply_plan(lever: Lever, scenario: Scenario, plan: dict[int, int]) -> Scenario:
    """The scenario with the lever's units at the plan's places: the first year's from the start, then a
    planned change on 1 January of each later year (replacing the units' own planned changes)."""
    years = sorted(plan)
    per_unit = {y: lever.places(plan[y]) for y in years}
    label = f"--by-year plan {','.join(f'{y}={plan[y]}' for y in years)}"
    assignments = []
    for k, (inst, unit) in enumerate(lever.units):
        changes, last = [], per_unit[years[0]][k]
        for y in years[1:]:
            if per_unit[y][k] != last:
                changes.append({"date": f"{y}-01-01", "places": per_unit[y][k]})
                last = per_unit[y][k]
        assignments.append((["institutions", inst, "units", unit, "places"], per_unit[years[0]][k], label))
        assignments.append((["institutions", inst, "units", unit, "changes"], changes, label))
    return overrides.derive(scenario, assignments)


SHORTEST = 183  # days: a partial year shorter than half a year is not planned (it keeps its neighbour's places)


def calendar(base: Scenario) -> list[tuple[int, bool]]:
    """(year, partial) of the calendar years of the window that the plan decides (at least half a year
    observed); SizeError under two whole years."""
    years = [
        (y, partial) for y, lo, hi, partial in Clock.from_horizon(base.horizon).calendar_years() if hi - lo >= SHORTEST
    ]
    if len([y for y, partial in years if not partial]) < 2:
        raise SizeError(
            "--by-year: the horizon holds fewer than two whole calendar years "
            f"({base.horizon.start} for {base.horizon.years:g} years); a plan by year needs at least two"
        )
    return years


# long: one loop over the years, with the evaluation it searches by written beside it to share its state
def plan_by_year(
    base: Scenario,
    target: Target,
    lever: Lever,
    out: Path,
    command: str,
    confidence: float = 0.95,
    workers: int = 1,
    progress: bool = True,
    max_places: int | None = None,
    allow_cuts: bool = False,
    on_point: Callable[[Tried], None] | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
) -> Plan:
    """The plan year by year (module docstring); writes ``size_by_year.json`` and ``size_by_year.csv``."""
    from sim.run.worker import Experiment

    years = calendar(base)
    check_target(target, Experiment(base).layout.keys)
    load = erlang.offered_load(base).by_year
    plan: dict[int, int] = {}
    answers: list[YearAnswer] = []
    tried: dict[tuple[int, ...], Any] = {}  # plan -> stored results (one folder a plan)
    log: list[Tried] = []
    bar = progress_bar(None, "plans", "plan", progress)

    def evaluate_for(year: int):
        def evaluate(c: int, stage: str):
            trial = {**plan, **{y: c for y, _ in years if y >= year}}
            values = tuple(trial[y] for y, _ in years)
            stored = tried.get(values)
            if stored is None:
                folder = safe_child(out, "plan-" + "-".join(map(str, values)))
                stored = tried[values] = obtain(
                    apply_plan(lever, base, trial), folder, command, workers, progress, executor, scheduler
                )
                bar.update(1)
            column = stored.by_year[:, stored.years.index(year), stored.keys.index(target.key)]
            mean, lo, hi, bound, n, status = judge(column, target, confidence)
            entry = Tried(year, c, trial, mean, lo, hi, bound, n, status, stored.folder.name, stored.reused)
            log.append(entry)
            if on_point is not None:
                on_point(entry)
            return entry

        return evaluate

    try:
        previous = lever.total
        for year, partial in years:
            floor = lever.minimum if allow_cuts or not plan else plan[max(plan)]
            pre = prescreen(base, target, lever, year)
            start = max(pre.start, floor)
            limit = max_places if max_places is not None else max(2 * pre.at_peak, pre.at_peak + 100, start + 100)
            lo, hi, _ = _search(evaluate_for(year), min(start, limit), max(2, pre.at_peak - pre.start), floor, limit)
            chosen = hi if hi is not None else limit
            entry = next(t for t in reversed(log) if t.year == year and t.places == chosen)
            note = "" if hi is not None else f"no capacity up to {limit} places meets the target in {year}"
            plan[year] = chosen
            answers.append(
                YearAnswer(
                    year, chosen, chosen - previous, entry.mean, entry.ci_low, entry.ci_high, entry.bound,
                    entry.status, partial, round(load[year][0], 3), note,
                )
            )  # fmt: skip
            previous = chosen
    finally:
        bar.close()
    bound = "upper" if target.upper else "lower"
    rule = (
        f"each year: the fewest places whose one-sided {confidence:.0%} {bound} confidence bound of the year's "
        f"mean satisfies '{target.op} {target.threshold:g}', given the years before"
        + ("" if allow_cuts else ", never fewer than the year before")
    )
    result = Plan(
        target.text, lever.name, confidence, base.horizon.replications, base.horizon.seed, allow_cuts,
        lever.total, rule, target.op, target.threshold, answers, log,
    )  # fmt: skip
    write(out, result)
    return result


def write(out: Path, result: Plan) -> None:
    """``size_by_year.json`` (everything: the plan, the rule and every plan tried) and ``size_by_year.csv``."""
    atomic_text(out / SIZE_BY_YEAR_JSON, json.dumps(asdict(result), indent=2, ensure_ascii=False) + "\n")
    frame = pd.DataFrame([{k: getattr(a, k) for k in CSV_COLUMNS} for a in result.years], columns=CSV_COLUMNS)
    write_csv(out / SIZE_BY_YEAR_CSV, frame)


def summary_lines(result: Plan) -> list[str]:
    """What ``kapsim size --by-year`` prints."""
    lines = [
        f"target {result.target} in each calendar year, lever {result.lever} (today {result.today} places), "
        f"{result.replications} replications, confidence {result.confidence:.0%}"
        + ("" if result.allow_cuts else ", places never fall"),
        "  year  places  added  offered load   target (95 % CI)            status",
    ]
    for a in result.years:
        star = "*" if a.partial else " "
        ci = f"{a.mean:.4g} ({a.ci_low:.4g} to {a.ci_high:.4g})"
        lines.append(
            f"  {a.year}{star} {a.places:6d} {a.added:+6d}  {a.offered_load:12.1f}   {ci:27s} {a.status}"
            + (f"  ({a.note})" if a.note else "")
        )
    if any(a.partial for a in result.years):
        lines.append("  * the window holds only part of this year")
    lines.append(f"rule: {result.rule}; {len(result.tried)} evaluations")
    return lines
