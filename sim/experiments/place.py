"""``kapsim place``: where should N extra ordinary places go to lower a metric the most.

The question: N places (``--add``), in steps of K (``--step``), over the institutions or the regions
(``--over``); every way of sharing the N/K steps among the sites is a candidate allocation. Within a region
its places are spread over its ordinary units by the Sainte-Laguë rule of ``kapsim size``.

1. **Analytic screen.** The offered load of the youths whose home is region r, ``a_r`` (the M(t)/G/infinity
   mean, as in ``kapsim size``), against the region's ordinary places ``c_r`` after the allocation; each
   region an M/M/c queue of its own (what home-first placement makes it), the target's metric from its
   Erlang C formula (the mean wait where there is none), with the target type's priority class. The score
   of an allocation is the target scope's value: that region's (an institution's: its region's), or
   nationally the arrival-weighted mean over regions (the sum for the queue length). A region with
   ``c_r <= a_r`` scores by its deficit. Ties (allocations that differ only inside a region) go to the one
   that grows the sites most evenly. The best ``keep`` go on; the others are reported as screened out.
2. **Ranking and selection.** The kept allocations are compared by the Kim-Nelson fully sequential
   procedure (:mod:`sim.experiments.selection`) on paired replications: replication j of every allocation
   uses the same random streams (common random numbers), so the differences it screens on are small. It
   selects the allocation with the smallest mean with probability at least ``pcs`` whenever that mean is
   at least ``delta`` below every other kept allocation's. If more than one survives ``max_replications``,
   no allocation is chosen (the command exits 1). Allocations whose first-stage replications are identical
   to an earlier one's (adding places where they are never the constraint) are the same system: the
   earlier one stands for both.
3. **Regional effects.** The base scenario runs the answer's replications, and the paired differences
   (answer minus base) of each region's waits, waiting list, out-of-region share and travel are reported.

Replication values depend only on the scenario and the replication number, so serial and parallel runs give
the same answer. Files (names in :mod:`sim.run.folder`): ``place.json``, ``place.csv`` (one row per
candidate) and ``place.html``.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim.experiments import erlang
from sim.experiments.selection import Selection, kn_select
from sim.experiments.size import Lever, parse_lever
from sim.scenario.schema import Scenario

OVER = ("institutions", "regions")
MAX_ALLOCATIONS = 100_000
_TARGET = re.compile(
    r"^\s*(?P<metric>[A-Za-z_]\w*)\s*(?:\[\s*(?P<ptype>[^\]@\s]+)\s*(?:@\s*(?P<scope>[^\]]+?)\s*)?\])?\s*$"
)
EFFECTS = (  # (metric, placement type) shown per region for the answer against the base
    ("wait_days_mean", "all"),
    ("p_wait_over_7_days", "all"),
    ("queue_length_mean", "all"),
    ("out_of_region_share", "all"),
    ("travel_hours_mean", "all"),
)


class PlaceError(ValueError):
    """A placement question that cannot be asked as given (bad target, --add, --step or --over)."""


@dataclass(frozen=True)
class Objective:
    """What ``kapsim place`` minimises: a metric's mean for one placement type and scope."""

    metric: str
    placement_type: str
    scope: str
    text: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, self.scope, self.placement_type)


def parse_objective(text: str, scenario: Scenario) -> Objective:
    """``METRIC``, ``METRIC[TYPE]`` or ``METRIC[TYPE@SCOPE]``; the scope national, a region or an institution.

    >>> from sim.scenario.loading import load_scenario
    >>> parse_objective("wait_days_mean[remand@Sjælland]", load_scenario("scenarios/baseline.yaml")).key
    ('wait_days_mean', 'Sjælland', 'remand')
    """
    m = _TARGET.match(text)
    if m is None:
        raise PlaceError(
            f"--target '{text}': expected METRIC, METRIC[TYPE] or METRIC[TYPE@SCOPE] "
            "(e.g. 'wait_days_mean[remand]' or 'wait_days_mean[all@Sjælland]'); kapsim place minimises its mean"
        )
    scope = (m["scope"] or "national").strip()
    if scope != "national" and scope not in scenario.regions and scope not in scenario.institutions:
        raise PlaceError(
            f"--target '{text}': scope '{scope}' is neither a region ({', '.join(scenario.regions)}) nor an "
            f"institution ({', '.join(scenario.institutions)}); leave it out for the national figure"
        )
    return Objective(m["metric"], m["ptype"] or "all", scope, text.strip())


@dataclass(frozen=True)
class Site:
    """Where a step of places can go: an institution or a region, with its region and lever."""

    name: str
    regions: tuple[str, ...]  # the region(s) its places are in
    lever: Lever


def sites_of(scenario: Scenario, over: str) -> list[Site]:
    """The institutions (or regions) with ordinary units, in the scenario's order."""
    if over not in OVER:
        raise PlaceError(f"--over {over}: expected one of {', '.join(OVER)}")
    out = []
    if over == "institutions":
        for name, inst in scenario.institutions.items():
            if any(not u.high_security for u in inst.units.values()):
                out.append(Site(name, (inst.region,), parse_lever(f"institution:{name}", scenario)))
    else:
        for region in scenario.regions:
            if any(
                not u.high_security
                for inst in scenario.institutions.values()
                if inst.region == region
                for u in inst.units.values()
            ):
                out.append(Site(region, (region,), parse_lever(f"region:{region}", scenario)))
    if not out:
        raise PlaceError(f"--over {over}: the scenario has no ordinary unit to add places to")
    return out


def compositions(steps: int, sites: int) -> list[tuple[int, ...]]:
    """Every way of sharing ``steps`` among ``sites`` (each a count >= 0), in lexicographic order (largest
    first at the first site).

    >>> compositions(2, 2)
    [(2, 0), (1, 1), (0, 2)]
    """
    out = []
    for bars in itertools.combinations(range(steps + sites - 1), sites - 1):
        edges = (-1, *bars, steps + sites - 1)
        out.append(tuple(edges[i + 1] - edges[i] - 1 for i in range(sites)))
    return sorted(out, reverse=True)


def apply_allocation(base: Scenario, sites: list[Site], shares: tuple[int, ...], step: int) -> Scenario:
    """The base scenario with ``shares[i] * step`` more ordinary places at site i."""
    scenario = base
    for site, k in zip(sites, shares):
        if k:
            scenario = site.lever.apply(scenario, site.lever.total + k * step)
    return scenario


@dataclass
class Candidate:
    """One allocation: its places, its screen score and what the selection made of it."""

    index: int
    added: dict[str, int]  # site -> places added
    score: float  # the analytic screen's value of the target (lower is better)
    evenness: float  # tie-break: the largest relative growth of a site
    status: str = "screened out"  # screened out, eliminated, equivalent, selected, undecided
    replications: int = 0
    mean: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    eliminated_after: int | None = None
    same_as: int | None = None  # the candidate an equivalent one is the same system as


@dataclass
class Placement:
    """The answer of ``kapsim place`` and how it was found (written to place.json)."""

    question: dict[str, Any]
    answer: dict[str, int] | None
    objective: dict[str, Any]
    candidates: list[Candidate]
    pcs: float
    delta: float
    decided: bool
    procedure: str
    effects: list[dict[str, Any]] = field(default_factory=list)
    replications: int = 0  # in all candidates together, plus the base run
    message: str = ""


def regional_loads(base: Scenario) -> dict[str, float]:
    """Offered load (erlangs, ordinary youths, window average) of the youths of each home region."""
    load = erlang.offered_load(base)
    out = {r: 0.0 for r in base.regions}
    for name, ptype in base.placement_types.items():
        for region, share in ptype.demand.regions.items():
            out[region] += load.by_type.get(name, 0.0) * float(share)
    return out


def screen(base: Scenario, target: Objective, sites: list[Site], shares: list[tuple[int, ...]], step: int):
    """The analytic score and the evenness tie-break of each allocation (module docstring, step 1)."""
    load = erlang.offered_load(base)
    loads = regional_loads(base)
    before, level = _priority_shares(base, target, load)
    formula = erlang.FORMULAS.get(target.metric, erlang.mean_wait)
    places = {r: 0 for r in base.regions}
    for inst in base.institutions.values():
        places[inst.region] += sum(u.places for u in inst.units.values() if not u.high_security)
    total = sum(loads.values()) or 1.0

    @functools.cache
    def region_value(region: str, c: int) -> float:
        a = loads[region]
        value = formula(c, a, load.mean_stay, before * a, level * a) if a > 0 else 0.0
        return value if math.isfinite(value) and level * a < c else 1e6 * (1 + level * a - c)

    scope_region = target.scope
    if target.scope in base.institutions:
        scope_region = base.institutions[target.scope].region
    out = []
    for share in shares:
        c = dict(places)
        for site, k in zip(sites, share):
            c[site.regions[0]] += k * step
        if scope_region in loads:
            score = region_value(scope_region, c[scope_region])
        elif target.metric == "queue_length_mean":
            score = sum(region_value(r, c[r]) for r in loads)
        else:
            score = sum(loads[r] / total * region_value(r, c[r]) for r in loads)
        even = max((k * step) / max(sum(site.lever.current), 1) for site, k in zip(sites, share))
        out.append((score, even))
    return out


def _priority_shares(base: Scenario, target: Objective, load) -> tuple[float, float]:
    """Shares of the load ahead of the target's type, and up to and with it (1, 1 for 'all')."""
    ptype = base.placement_types.get(target.placement_type)
    if ptype is None or load.average <= 0:
        return 0.0, 1.0
    share = {t: v / load.average for t, v in load.by_type.items()}
    before = sum(share[t] for t, p in base.placement_types.items() if p.priority < ptype.priority)
    level = sum(share[t] for t, p in base.placement_types.items() if p.priority <= ptype.priority)
    return before, level


_CACHE: dict[str, Any] = {}


def simulate(scenario_json: str, reps: list[int]) -> np.ndarray:
    """[replication, key] values of the given replications (in a worker process; compiled scenarios kept)."""
    from sim.run.worker import Experiment

    exp = _CACHE.get(scenario_json)
    if exp is None:
        if len(_CACHE) >= 32:
            _CACHE.pop(next(iter(_CACHE)))
        exp = _CACHE[scenario_json] = Experiment(Scenario.model_validate_json(scenario_json))
    return np.stack([exp.replicate(r).values for r in reps])


class Simulator:
    """Runs replications of several scenarios, serially or over a process pool, and keeps every value."""

    def __init__(self, scenarios: list[Scenario], workers: int, on_done: Callable[[int], None] | None = None):
        self.json = [s.model_dump_json() for s in scenarios]
        self.values: dict[int, np.ndarray] = {}
        self.workers = workers
        self.on_done = on_done or (lambda n: None)
        self.pool = None
        if workers > 1:
            ctx = get_context("fork") if hasattr(__import__("os"), "fork") else get_context("spawn")
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def run(self, systems: list[int], first: int, stop: int) -> None:
        """Simulate replications ``first .. stop - 1`` of each system, appended to its values."""
        jobs = []
        per = max(1, math.ceil((stop - first) * len(systems) / (4 * self.workers)))
        for s in systems:
            for lo in range(first, stop, per):
                jobs.append((s, list(range(lo, min(lo + per, stop)))))
        if self.pool is None:
            results = [simulate(self.json[s], reps) for s, reps in jobs]
            for (_, reps), _r in zip(jobs, results):
                self.on_done(len(reps))
        else:
            futures = [self.pool.submit(simulate, self.json[s], reps) for s, reps in jobs]
            results = []
            for (_, reps), f in zip(jobs, futures):
                results.append(f.result())
                self.on_done(len(reps))
        for s in systems:
            mine = [r for (t, _), r in zip(jobs, results) if t == s]
            block = np.concatenate(mine)
            self.values[s] = block if s not in self.values else np.concatenate([self.values[s], block])


def place(
    base: Scenario,
    target: Objective,
    add: int,
    step: int,
    over: str = "institutions",
    delta: float = 0.5,
    pcs: float = 0.95,
    keep: int = 10,
    first_stage: int = 10,
    max_replications: int = 400,
    workers: int = 1,
    progress: bool = True,
) -> Placement:
    """Find where ``add`` places (in steps of ``step``) lower the target's mean most (module docstring)."""
    from sim.run.progress import progress_bar
    from sim.run.worker import Experiment

    check_question(base, target, add, step, over, delta, pcs, keep, first_stage, max_replications)
    sites = sites_of(base, over)
    shares = compositions(add // step, len(sites))
    scored = screen(base, target, sites, shares, step)
    candidates = [
        Candidate(i, {s.name: k * step for s, k in zip(sites, share) if k}, round(sc, 6), round(ev, 6))
        for i, (share, (sc, ev)) in enumerate(zip(shares, scored))
    ]
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].score, candidates[i].evenness, i))
    kept = order[: min(keep, len(order))]
    scenarios = [apply_allocation(base, sites, shares[i], step) for i in kept] + [base]
    layout = Experiment(base).layout
    column = layout.keys.index(target.key)
    bar = progress_bar(None, "place", "rep", progress)
    sim = Simulator(scenarios, workers, bar.update)
    try:
        selection, same_as = _select(sim, column, len(kept), delta, 1 - pcs, first_stage, max_replications, workers)
        best = kept[selection.best] if selection.decided else None
        n_best = len(sim.values[selection.best]) if selection.decided else 0
        if n_best:
            sim.run([len(kept)], 0, n_best)  # the base, for the answer's regional effects
    finally:
        sim.close()
        bar.close()
    _mark(candidates, kept, selection, same_as, sim, column)
    shown = tuple(dict.fromkeys([(target.metric, target.placement_type), *EFFECTS]))
    effects = _effects(base, layout, sim.values[len(kept)], sim.values[selection.best], shown) if n_best else []
    question = {
        "target": target.text, "metric": target.metric, "placement_type": target.placement_type,
        "scope": target.scope, "add": add, "step": step, "over": over, "sites": [s.name for s in sites],
        "keep": keep, "first_stage": first_stage, "max_replications": max_replications, "seed": base.horizon.seed,
    }  # fmt: skip
    return Placement(
        question=question,
        answer=dict(candidates[best].added) if best is not None else None,
        objective=_objective(candidates, kept, selection, sim, column),
        candidates=candidates,
        pcs=pcs,
        delta=delta,
        decided=best is not None,
        procedure=_procedure(len(candidates), len(kept), pcs, delta, first_stage, max_replications),
        effects=effects,
        replications=sum(len(v) for v in sim.values.values()),
        message=_message(selection, kept, candidates, delta, max_replications),
    )


def check_question(base, target, add, step, over, delta, pcs, keep, first_stage, max_replications) -> None:
    """Refuse a question that cannot be answered, before anything runs."""
    from sim.experiments.size import SizeError, check_target
    from sim.run.worker import Experiment

    if add < 1 or step < 1:
        raise PlaceError(f"--add {add} --step {step}: both must be at least 1")
    if add % step:
        raise PlaceError(f"--add {add}: not a multiple of --step {step} (the places go in whole steps)")
    if over not in OVER:
        raise PlaceError(f"--over {over}: expected one of {', '.join(OVER)}")
    n = math.comb(add // step + len(sites_of(base, over)) - 1, len(sites_of(base, over)) - 1)
    if n > MAX_ALLOCATIONS:
        raise PlaceError(
            f"--add {add} --step {step} --over {over}: {n:,} allocations, more than the {MAX_ALLOCATIONS:,} kapsim "
            "screens; use a larger --step or --over regions"
        )
    if not delta > 0:
        raise PlaceError(f"--delta {delta}: the indifference zone must be above 0 (in the metric's unit)")
    if not 0.5 <= pcs < 1:
        raise PlaceError(f"--pcs {pcs}: the probability of correct selection must be in [0.5, 1)")
    if keep < 1 or first_stage < 3 or max_replications < first_stage:
        raise PlaceError(
            f"--keep {keep}, --first-stage {first_stage}, --max-replications {max_replications}: need keep >= 1, "
            "first stage >= 3 and max replications >= first stage"
        )
    try:
        check_target(_as_target(target), Experiment(base).layout.keys)
    except SizeError as exc:
        raise PlaceError(str(exc).replace("target '", "--target '")) from None


def _as_target(target: Objective):
    from sim.experiments.size import Target

    return Target(target.metric, target.placement_type, target.scope, "<=", 0.0, target.text)


def _select(sim: Simulator, column: int, k: int, delta, alpha, n0, max_n, workers) -> tuple[Selection, dict]:
    """KN over the k kept allocations, with those identical in the first stage to an earlier one folded in."""
    sim.run(list(range(k)), 0, n0)
    same_as: dict[int, int] = {}
    distinct: list[int] = []
    for i in range(k):
        twin = next((j for j in distinct if np.array_equal(sim.values[i][:, column], sim.values[j][:, column])), None)
        if twin is None:
            distinct.append(i)
        else:
            same_as[i] = twin

    def sample(systems: list[int], first: int, stop: int) -> np.ndarray:
        chosen = [distinct[s] for s in systems]
        have = min(len(sim.values[c]) for c in chosen)
        if have < stop:
            sim.run(chosen, max(first, have), stop)
        return np.stack([sim.values[c][first:stop, column] for c in chosen])

    batch = max(5, 2 * workers)
    inner = kn_select(sample, len(distinct), delta, alpha, n0, max_n, batch)
    remap = {s: distinct[s] for s in range(len(distinct))}
    return (
        Selection(
            remap[inner.best] if inner.best is not None else None,
            [remap[s] for s in inner.survivors],
            {remap[s]: r for s, r in inner.eliminated.items()},
            {remap[s]: v for s, v in inner.values.items()},
            inner.alpha, inner.delta, inner.n0, inner.h2, inner.replications,
        ),
        same_as,
    )  # fmt: skip


def _mark(candidates, kept, selection: Selection, same_as, sim: Simulator, column: int) -> None:
    """Each kept candidate's status, replications and mean with its 95 % interval."""
    for pos, i in enumerate(kept):
        c = candidates[i]
        x = sim.values[pos][:, column]
        c.replications = len(x)
        c.mean, c.ci_low, c.ci_high = _interval(x)
        if pos in same_as:
            c.status, c.same_as = "equivalent", kept[same_as[pos]]
        elif pos == selection.best:
            c.status = "selected"
        elif pos in selection.eliminated:
            c.status, c.eliminated_after = "eliminated", selection.eliminated[pos]
        else:
            c.status = "undecided"


def _interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t interval."""
    mean = float(np.mean(x))
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * np.std(x, ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def _objective(candidates, kept, selection: Selection, sim: Simulator, column: int) -> dict[str, Any]:
    """Mean and interval of the answer and of the runner-up (the best other by mean), and their paired
    difference over their common replications."""
    simulated = [pos for pos in range(len(kept)) if candidates[kept[pos]].status != "equivalent"]
    ranked = sorted(simulated, key=lambda pos: (candidates[kept[pos]].mean, pos))
    first = selection.best if selection.best is not None else ranked[0]
    others = [pos for pos in ranked if pos != first]

    def entry(pos: int) -> dict[str, Any]:
        c = candidates[kept[pos]]
        return {"candidate": c.index, "added": c.added, "mean": c.mean, "ci_low": c.ci_low, "ci_high": c.ci_high,
                "replications": c.replications}  # fmt: skip

    out: dict[str, Any] = {"answer" if selection.decided else "best_so_far": entry(first)}
    if others:
        out["runner_up"] = entry(others[0])
        n = min(len(sim.values[first]), len(sim.values[others[0]]))
        d = sim.values[others[0]][:n, column] - sim.values[first][:n, column]
        mean, lo, hi = _interval(d)
        out["difference"] = {"mean": mean, "ci_low": lo, "ci_high": hi, "replications": n,
                             "what": "runner-up minus answer, paired replications"}  # fmt: skip
    return out


def _effects(base: Scenario, layout, before: np.ndarray, after: np.ndarray, shown) -> list[dict[str, Any]]:
    """Per scope (national, each region) and (metric, type) shown: base mean, answer mean, paired difference
    and its 95 % interval."""
    rows = []
    for scope in ["national", *base.regions]:
        for metric, ptype in shown:
            key = (metric, scope, ptype)
            if key not in layout.keys:
                continue
            j = layout.keys.index(key)
            d = after[:, j] - before[:, j]
            if np.all(np.isnan(d)):
                continue
            mean, lo, hi = _interval(d[~np.isnan(d)])
            rows.append({"scope": scope, "metric": metric, "placement_type": ptype,
                         "base": float(np.nanmean(before[:, j])), "answer": float(np.nanmean(after[:, j])),
                         "difference": mean, "ci_low": lo, "ci_high": hi})  # fmt: skip
    return rows


def _procedure(n, kept, pcs, delta, n0, max_n) -> str:
    return (
        f"{n} allocations; an Erlang C screen on each region's offered load kept the best {kept}; the Kim-Nelson "
        f"fully sequential procedure on paired replications (common random numbers, first stage {n0}, at most "
        f"{max_n} each) selects the one with the smallest mean with probability at least {pcs:.0%} when it is at "
        f"least {delta:g} below every other kept allocation"
    )


def _message(selection: Selection, kept, candidates, delta, max_n) -> str:
    if selection.decided:
        return ""
    names = [candidates[kept[s]].added for s in selection.survivors]
    return (
        f"no allocation is distinguishable from the others within --delta {delta:g} after {max_n} replications "
        f"each: {len(names)} remain ({'; '.join(_added_text(a) for a in names[:5])}). Any of them is within the "
        "noise of the others: widen --delta, raise --max-replications, or treat them as equally good"
    )


def _added_text(added: dict[str, int]) -> str:
    return ", ".join(f"+{v} {k}" for k, v in added.items()) or "nothing"


def write(out: Path, result: Placement) -> None:
    """place.json and place.csv (names in sim.run.folder), written atomically."""
    import pandas as pd

    from sim.run import folder
    from sim.run.files import atomic_text

    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "question": result.question, "answer": result.answer, "decided": result.decided,
        "objective": result.objective, "pcs": result.pcs, "delta": result.delta, "procedure": result.procedure,
        "message": result.message, "replications": result.replications, "regional_effects": result.effects,
        "candidates": [_candidate_json(c) for c in result.candidates],
    }  # fmt: skip
    atomic_text(out / folder.PLACE_JSON, json.dumps(_plain(payload), indent=2, ensure_ascii=False) + "\n")
    sites = result.question["sites"]
    rows = [
        {"candidate": c.index, **{f"add_{s}": c.added.get(s, 0) for s in sites}, "screen": c.score,
         "status": c.status, "replications": c.replications, "mean": c.mean, "ci_low": c.ci_low,
         "ci_high": c.ci_high, "eliminated_after": c.eliminated_after, "same_as": c.same_as}
        for c in result.candidates
    ]  # fmt: skip
    folder.write_csv(out / folder.PLACE_CSV, pd.DataFrame(rows))


def _candidate_json(c: Candidate) -> dict[str, Any]:
    return {"candidate": c.index, "added": c.added, "screen": c.score, "status": c.status,
            "replications": c.replications, "mean": c.mean, "ci_low": c.ci_low, "ci_high": c.ci_high,
            "eliminated_after": c.eliminated_after, "same_as": c.same_as}  # fmt: skip


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy numbers plain ones."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def summary_lines(result: Placement) -> list[str]:
    """What the command prints."""
    from sim.results.metrics import text

    q = result.question
    metric = q["metric"]

    def shown(x: float) -> str:
        return text(metric, x) if x is not None and math.isfinite(x) else "-"

    def change(d: dict) -> str:
        sign = lambda x: ("+" if x >= 0 else "-") + shown(abs(x))  # noqa: E731
        return f"{sign(d['mean'])} ({sign(d['ci_low'])} to {sign(d['ci_high'])})"

    lines = [f"kapsim place: {q['add']} places in steps of {q['step']} over the {q['over']}, minimising {q['target']}"]
    lines.append(f"  {result.procedure}")
    obj = result.objective
    if result.decided:
        a = obj["answer"]
        lines.append(f"  answer: {_added_text(result.answer)}: {shown(a['mean'])} "
                     f"({shown(a['ci_low'])} to {shown(a['ci_high'])}, {a['replications']} replications)")  # fmt: skip
    else:
        lines.append(f"  undecided: {result.message}")
    if "runner_up" in obj:
        r = obj["runner_up"]
        lines.append(f"  runner-up: {_added_text(r['added'])}: {shown(r['mean'])}; "
                     f"paired, it is {change(obj['difference'])} worse")  # fmt: skip
    same = sum(c.status == "equivalent" for c in result.candidates)
    if same:
        lines.append(f"  {same} allocations gave the same values as another (the places never decide who waits)")
    if result.effects:
        lines.append(f"  {metric}[{q['placement_type']}] by home region, today -> with the answer (paired change):")
    for e in result.effects:
        if (e["metric"], e["placement_type"]) == (metric, q["placement_type"]):
            d = {"mean": e["difference"], "ci_low": e["ci_low"], "ci_high": e["ci_high"]}
            lines.append(f"    {e['scope']}: {shown(e['base'])} -> {shown(e['answer'])}, {change(d)}")
    lines.append(f"  {result.replications} replications in all")
    return lines
