"""Per-replication measures computed from the records of one run (numpy only; no SimPy here).

Statistics cover the observation window [warm-up, end). Scopes: ``national``; a region; an institution.
For arrivals, waits, queues and out-of-region placements a region means the youth's *home* region; for
occupancy, places and admissions it means the region of the institution.

Daily series are a census at the end of each observed day (the way institutions count occupied beds):
occupancy and open places nationally and per institution, and the waiting list by placement type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.engine.clock import DAYS_PER_YEAR, Clock
from sim.engine.network import EMERGENCY, FLEXIBLE, REGULAR, Network
from sim.engine.records import MOVE_NEARER_HOME, Records
from sim.engine.youths import Youths
from sim.results.metrics import CATALOGUE
from sim.scenario.schema import Scenario

Key = tuple[str, str, str]  # (metric, scope, placement_type)


@dataclass(frozen=True)
class Layout:
    """The names behind the vectors one replication returns, identical for every replication."""

    keys: tuple[Key, ...]
    series: tuple[tuple[str, str], ...]  # (measure, scope) of each daily series
    days: int
    years: tuple[tuple[int, int, bool], ...] = ()  # (calendar year, days observed in it, partial) of by_year rows


class Measured(NamedTuple):
    """What one replication gives: the metrics over the window, the daily series and the metrics by year."""

    values: np.ndarray  # [key] in Layout.keys order
    daily: np.ndarray  # [series, day] int32
    by_year: np.ndarray  # [year, key]: the same metrics over each calendar year of the window
    decisions: np.ndarray  # [review, 5]: the capacity rule's reviews (Records.decisions)


def _overlap(start: np.ndarray, stop: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.minimum(stop, hi) - np.maximum(start, lo), 0.0, None)


def _step_value(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Value of a right-continuous step function (changes at ``times``, sorted) at times ``at``."""
    return values[np.searchsorted(times, at, side="right") - 1]


def _step_integral(times: np.ndarray, values: np.ndarray, lo: float, hi: float) -> float:
    edges = np.clip(np.append(times, hi), lo, hi)
    return float(np.sum(values * np.diff(edges)))


def _counts_up_to(times: np.ndarray, t: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """[group, j]: how many of ``times`` in each group are <= ``t[j]`` (``t`` sorted; NaN and inf never are).

    One binary search per time into the days and a cumulative sum, instead of sorting each group's times
    and searching every day in them: the same comparisons, a fraction of the work.
    """
    width = len(t) + 1
    k = np.searchsorted(t, times, side="left")  # times[i] <= t[j] exactly when j >= k[i]
    counts = np.bincount(group * width + k, minlength=n_groups * width).reshape(n_groups, width)
    return np.cumsum(counts, axis=1)[:, :-1]


def _group_quantiles(
    values: np.ndarray, groups: np.ndarray, n_groups: int, qs=(0.5, 0.95), by_value: np.ndarray | None = None
) -> np.ndarray:
    """[group, q] quantiles (numpy's default linear interpolation) of values by group; NaN if empty.

    ``by_value``, if given, is ``np.argsort(values, kind="stable")``: several groupings of the same values
    then share one sort of the values and each needs only a (radix) sort of its group numbers.
    """
    if by_value is None:
        order = np.lexsort((values, groups))
    else:
        order = by_value[np.argsort(groups[by_value], kind="stable")]
    v, g = values[order], groups[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.full((n_groups, len(qs)), np.nan)
    has = counts > 0
    for j, q in enumerate(qs):
        pos = q * (counts[has] - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, counts[has] - 1)
        frac = pos - lo
        base = starts[has]
        out[has, j] = v[base + lo] * (1 - frac) + v[base + hi] * frac
    return out


def _share(numerator, denominator) -> np.ndarray:
    """numerator / denominator where the denominator is positive, else NaN (arrays elementwise)."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    out = np.full(denominator.shape, np.nan)
    ok = denominator > 0
    out[ok] = numerator[ok] / denominator[ok]
    return out


def _sums(x: np.ndarray) -> np.ndarray:
    """[P]: the sum of each row of [P, item], as numpy sums a 1-d array (pairwise), so that period 0 gives the
    same last digit as a sum over the whole window alone (numpy's 2-d row sums round differently from 8 items
    on; below that both add one by one)."""
    if x.shape[1] < 8:
        return x.sum(axis=1)
    return np.array([np.ascontiguousarray(row).sum() for row in x])


def _offsets(index: np.ndarray, n: int, periods: int) -> np.ndarray:
    """The bins of :func:`_per_period`: item i of period p goes to bin p * n + index[i]."""
    return (np.arange(periods)[:, None] * n + index[None, :]).ravel()


def _per_period(index: np.ndarray, weights: np.ndarray, n: int, offsets: np.ndarray | None = None) -> np.ndarray:
    """[period, n]: ``np.bincount(index, weights[p], n)`` for every period p of the [period, item] weights.

    One bincount over all periods; each period's sums are added in the same order as its own bincount would
    add them, so the whole window (period 0) gives exactly the figures of a bincount over it alone.
    """
    periods = weights.shape[0]
    if offsets is None:
        offsets = _offsets(index, n, periods)
    return np.bincount(offsets, weights.ravel(), periods * n).reshape(periods, n)


@dataclass
class Window:
    """What every measure of one replication derives from, for P periods at once: period 0 is the whole
    observation window [W, E), periods 1.. its calendar years. Arrays have the period as first axis."""

    rec: Records
    lo: np.ndarray  # [P] first day of each period
    hi: np.ndarray  # [P] end day
    end: float  # the run's end: waits of youths still waiting are counted up to it
    T: np.ndarray  # [P] days observed
    years: np.ndarray  # [P] years observed
    placed: np.ndarray  # youth got a place
    inst: np.ndarray  # institution of the first place (-1 if none)
    q_end: np.ndarray  # when the youth left the waiting list (admission, withdrawal, inf)
    arrived_in: np.ndarray  # [P, youth]
    admitted_in: np.ndarray  # [P, youth]
    withdrawn_in: np.ndarray  # [P, youth]
    seg: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (youth, unit, start, end) of every stretch
    seg_inst: np.ndarray
    occ_it: np.ndarray  # [P, institution, type] place-days
    occ_days_unit: np.ndarray  # [P, unit]
    queue_days: np.ndarray  # [P, youth] days waiting
    open_days_unit: np.ndarray  # [P, unit]
    open_steps: list[tuple[np.ndarray, np.ndarray]]  # per unit: (times, open places) of its step function
    open_inst: np.ndarray  # [P, institution]
    openings: np.ndarray  # [P, opening]: the row of records.openings falls in the period

    def inside(self, times: np.ndarray) -> np.ndarray:
        """[P, item]: whether each time falls in each period."""
        t = np.asarray(times, dtype=float)[None, :]
        return (t >= self.lo[:, None]) & (t < self.hi[:, None])


class Measures:
    """Computes the metrics, the daily series and the metrics by calendar year of one replication (every
    metric is in the catalogue). All periods go through the same code: each metric has one definition."""

    def __init__(self, scenario: Scenario, network: Network, clock: Clock):
        self.net = network
        self.clock = clock
        self.costs = scenario.costs
        self.custody = np.array([t in scenario.costs.custody_types for t in network.types], dtype=bool)
        self.unit_inst = np.array([u.institution for u in network.units], dtype=np.int64)
        self.unit_region = np.array([u.region for u in network.units], dtype=np.int64)
        self.unit_kind = np.array([u.kind for u in network.units], dtype=np.int64)
        self.unit_hs = np.array([u.high_security for u in network.units], dtype=bool)
        # kroner per open place-day (flexible), per opening (flexible), per occupied place-day (emergency)
        self.flex_day_cost = np.zeros(network.n_units)
        self.flex_open_cost = np.zeros(network.n_units)
        for u, rule in network.flexible:
            self.flex_day_cost[u], self.flex_open_cost[u] = rule.cost_place_day, rule.cost_opening
        self.emergency_day_cost = np.zeros(network.n_units)
        for u, info in enumerate(network.units):
            if info.kind == EMERGENCY:
                rule = scenario.institutions[network.institutions[info.institution]].emergency
                self.emergency_day_cost[u] = rule.cost_place_day
        self.inst_region = np.array(network.institution_region, dtype=np.int64)
        self.travel = np.array(network.travel, dtype=float) if network.travel else None
        self.days = int(round(clock.end - clock.warmup))
        self.census = clock.warmup + np.arange(1, self.days + 1, dtype=float)
        years = clock.calendar_years()
        self.lo = np.array([clock.warmup] + [lo for _, lo, _, _ in years])
        self.hi = np.array([clock.end] + [hi for _, _, hi, _ in years])
        # the census days of each period, as a slice of the window's days
        self.day_slices = [slice(int(round(lo - clock.warmup)), int(round(hi - clock.warmup))) for lo, hi in
                           zip(self.lo, self.hi)]  # fmt: skip
        keys, _, series, _ = self._compute(self._empty())
        unknown = sorted({k[0] for k in keys} - set(CATALOGUE))
        if unknown:  # a programming error: every metric must be described in sim/results/metrics.py
            raise RuntimeError(f"metrics missing from the catalogue: {', '.join(unknown)}")
        rows = tuple((year, int(round(hi - lo)), partial) for year, lo, hi, partial in years)
        self.layout = Layout(keys=tuple(keys), series=tuple(series), days=self.days, years=rows)

    def __call__(self, records: Records) -> Measured:
        """The metrics over the window, the daily series, and the metrics of each calendar year."""
        _, values, _, daily = self._compute(records)
        return Measured(values[0], daily, values[1:], records.decisions)

    def _compute(self, rec: Records):
        """(keys, values [period, key], series names, daily series)."""
        keys: list[Key] = []
        columns: list[np.ndarray] = []

        n_periods = len(self.lo)

        def put(metric: str, scope: str, ptype: str, value) -> None:
            keys.append((metric, scope, ptype))
            value = np.asarray(value, dtype=float)
            columns.append(value if value.ndim else np.full(n_periods, value))

        w = self._window(rec)
        self._youth_metrics(w, put)
        self._place_metrics(w, put)
        series, daily, full = self._daily(w)
        self._days_full(put, full)
        self._policy_metrics(w, put)
        self._cost_metrics(w, put)
        self._attribute_metrics(w, put)
        return keys, np.column_stack(columns), series, daily

    def _empty(self) -> Records:
        e, ei = np.empty(0), np.empty(0, dtype=np.int64)
        log = np.array([(0.0, u, p) for u, p in enumerate(self.net.initial_places)], dtype=float).reshape(-1, 3)
        youths = Youths.empty(len(self.net.attributes), len(self.net.institutions))
        return Records(youths, e, ei, e, e, log, self.clock.end)

    def _window(self, rec: Records) -> Window:
        net = self.net
        lo, hi = self.lo[:, None], self.hi[:, None]
        n_types, n_inst = len(net.types), len(net.institutions)
        y = rec.youths
        a, typ = y.arrival, y.type
        s, unit, wd = rec.admitted, rec.unit, rec.withdrawn
        placed = unit >= 0
        # occupancy (place-days in each period) from each stretch in one unit, by institution and type
        seg = rec.segments()
        seg_y, seg_u, seg_s, seg_e = seg
        seg_inst = self.unit_inst[seg_u]
        seg_days = _overlap(seg_s[None, :], seg_e[None, :], lo, hi)
        occ_it = _per_period(seg_inst * n_types + typ[seg_y], seg_days, n_inst * n_types)
        q_end = np.where(placed, s, np.where(np.isnan(wd), np.inf, wd))
        # open places per unit from the log (rows are in time order), integrated over each period
        log = rec.open_log
        open_days_unit = np.zeros((len(self.lo), net.n_units))
        open_steps = []
        for u in range(net.n_units):
            rows = log[log[:, 1] == u]
            times = np.broadcast_to(rows[:, 0], (len(self.lo), len(rows)))
            edges = np.clip(np.concatenate([times, hi], axis=1), lo, hi)
            open_days_unit[:, u] = _sums(rows[:, 2] * np.diff(edges, axis=1))
            open_steps.append((rows[:, 0], rows[:, 2]))
        w = Window(
            rec=rec, lo=self.lo, hi=self.hi, end=self.clock.end, T=self.hi - self.lo,
            years=(self.hi - self.lo) / DAYS_PER_YEAR, placed=placed,
            inst=np.where(placed, self.unit_inst[np.maximum(unit, 0)], -1), q_end=q_end,
            arrived_in=np.empty(0), admitted_in=np.empty(0), withdrawn_in=np.empty(0), seg=seg, seg_inst=seg_inst,
            occ_it=occ_it.reshape(-1, n_inst, n_types), occ_days_unit=_per_period(seg_u, seg_days, net.n_units),
            queue_days=_overlap(a[None, :], q_end[None, :], lo, hi), open_days_unit=open_days_unit,
            open_steps=open_steps, open_inst=_per_period(self.unit_inst, open_days_unit, n_inst),
            openings=np.empty(0),
        )  # fmt: skip
        w.arrived_in = w.inside(a)
        w.admitted_in = placed[None, :] & w.inside(s)
        w.withdrawn_in = (~np.isnan(wd))[None, :] & w.inside(wd)
        w.openings = w.inside(rec.openings[:, 0])
        return w

    def _youth_metrics(self, w: Window, put) -> None:
        """Arrivals, waits, queues, refusals, placements away from home and travel: nationally and by home
        region, by type.

        Sums per (period, home region, type) cell, then added up to the coarser scopes; quantiles per group
        from one sort. A youth's wait belongs to the period of its arrival and is counted to its placement
        (or to the end of the run, if it is still waiting then).
        """
        net = self.net
        y = w.rec.youths
        totals, quant = self._youth_totals(w, y.home, len(net.regions))
        queue_max = {
            k: self._queue_max(y.arrival, w.q_end, y.type == k if k >= 0 else None) for k in range(-1, len(net.types))
        }
        for scope, h in [("national", -1)] + [(r, h) for h, r in enumerate(net.regions)]:
            self._youth_scope(w, put, scope, h, totals, quant, queue_max if h < 0 else None)

    def _attribute_metrics(self, w: Window, put) -> None:
        """The same figures for the youths with each value of each scenario attribute (scope ``ATTRIBUTE=VALUE``,
        e.g. ``danger=high``): "youths with a high danger score wait 9 days"."""
        values = w.rec.youths.attributes
        for a, (name, names) in enumerate(self.net.attributes):
            totals, quant = self._youth_totals(w, values[:, a], len(names))
            for v, value in enumerate(names):
                self._youth_scope(w, put, f"{name}={value}", v, totals, quant, None)

    def _youth_scope(self, w: Window, put, scope: str, h: int, totals: dict, quant: dict, queue_max) -> None:
        """The youth figures of one scope: group ``h`` of the grouping of ``totals`` (-1: all youths)."""
        for k, ptype in [(-1, "all")] + list(enumerate(self.net.types)):

            def total(name: str, k=k) -> np.ndarray:
                t = totals[name]
                if h < 0:
                    return t["all"] if k < 0 else t["type"][:, k]
                return t["region"][:, h] if k < 0 else t["cell"][:, h, k]

            if h < 0:
                q = quant["all"] if k < 0 else quant["type"][:, k]
            else:
                q = quant["region"][:, h] if k < 0 else quant["cell"][:, h, k]
            n_w = total("waits")
            put("arrivals_per_year", scope, ptype, total("arrivals") / w.years)
            put("withdrawn_per_year", scope, ptype, total("withdrawn") / w.years)
            put("diverted_per_year", scope, ptype, total("diverted") / w.years)
            put("queue_length_mean", scope, ptype, total("queue_days") / w.T)
            if queue_max is not None:
                put("queue_length_max", scope, ptype, queue_max[k])
            put("wait_days_mean", scope, ptype, _share(total("wait_sum"), n_w))
            put("wait_days_p50", scope, ptype, q[:, 0])
            put("wait_days_p95", scope, ptype, q[:, 1])
            put("p_wait_over_1_day", scope, ptype, _share(total("over_1"), n_w))
            put("p_wait_over_7_days", scope, ptype, _share(total("over_7"), n_w))
            put("out_of_region_share", scope, ptype, _share(total("away"), total("admitted")))
            put("refusals_per_year", scope, ptype, total("refusals") / w.years)
            travel = _share(total("travel"), total("admitted")) if self.travel is not None else np.nan
            put("travel_hours_mean", scope, ptype, travel)

    def _youth_totals(self, w: Window, group: np.ndarray, n_groups: int) -> tuple[dict, dict]:
        """Per youth quantity, its totals by scope (all, type, and by ``group``: "region" and "cell", the group
        by type; each [P, ...]), and the wait quantiles by the same scopes. ``group`` is the home region of
        each youth, or the value of an attribute."""
        net = self.net
        y, rec = w.rec.youths, w.rec
        a, home, s, unit, wd = y.arrival, y.home, rec.admitted, rec.unit, rec.withdrawn
        n_regions, n_types, n_p = n_groups, len(net.types), len(self.lo)
        cell = group * n_types + y.type
        n_cells = n_regions * n_types
        waited = w.arrived_in & (w.placed | np.isnan(wd))[None, :]  # placed, or still waiting at the end
        wait = np.where(w.placed, s, w.end) - a
        cells = {
            "arrivals": w.arrived_in,
            "withdrawn": w.withdrawn_in & (wd > a)[None, :],
            "diverted": w.withdrawn_in & (wd == a)[None, :],
            "queue_days": w.queue_days,
            "waits": waited,
            "wait_sum": np.where(waited, wait[None, :], 0.0),
            "over_1": waited & (wait > 1)[None, :],
            "over_7": waited & (wait > 7)[None, :],
            "admitted": w.admitted_in,
            "away": w.admitted_in & self._away(home, unit)[None, :],
            "refusals": self._refusals_by_youth(w),
            "travel": w.admitted_in * self._travel_of(home, unit)[None, :],
        }
        offsets = _offsets(cell, n_cells, n_p)
        totals = {}
        for name, per_youth in cells.items():
            v = _per_period(cell, per_youth.astype(float), n_cells, offsets).reshape(n_p, n_regions, n_types)
            totals[name] = {"all": _sums(v.reshape(n_p, -1)), "type": v.sum(axis=1), "region": v.sum(axis=2), "cell": v}
        p_of, i_of = np.nonzero(waited)
        groups, values = p_of * n_cells + cell[i_of], wait[i_of]
        by_value = np.argsort(values, kind="stable")

        def quantiles(g: np.ndarray, n: int, shape: tuple[int, ...]) -> np.ndarray:
            return _group_quantiles(values, g, n, by_value=by_value).reshape(*shape, 2)

        quant = {
            "cell": quantiles(groups, n_p * n_cells, (n_p, n_regions, n_types)),
            "region": quantiles(groups // n_types, n_p * n_regions, (n_p, n_regions)),
            "type": quantiles(p_of * n_types + groups % n_types, n_p * n_types, (n_p, n_types)),
            "all": quantiles(p_of, n_p, (n_p,)),
        }
        return totals, quant

    def _travel_of(self, home: np.ndarray, unit: np.ndarray) -> np.ndarray:
        """Hours from each youth's home region to its first place's region (0 without travel hours)."""
        if self.travel is None:
            return np.zeros(home.size)
        return self.travel[home, self.unit_region[np.maximum(unit, 0)]]

    def _away(self, home: np.ndarray, unit: np.ndarray) -> np.ndarray:
        """Placed out of region: farther than allocation.max_travel_hours if given, else outside the home region."""
        if self.net.max_travel is not None:
            return self._travel_of(home, unit) > self.net.max_travel
        return self.unit_region[np.maximum(unit, 0)] != home

    def _refusals_by_youth(self, w: Window) -> np.ndarray:
        """[P, youth]: refusals of each youth in each period."""
        out = np.zeros((len(self.lo), len(w.rec.youths)))
        refusals = w.rec.refusals
        if len(refusals):
            inside = w.inside(refusals[:, 0])
            for p in range(len(self.lo)):
                np.add.at(out[p], refusals[inside[p], 1].astype(np.int64), 1.0)
        return out

    def _place_metrics(self, w: Window, put) -> None:
        """Occupancy, places, admissions: nationally, by the institution's region and by institution."""
        net = self.net
        n_types, n_inst = len(net.types), len(net.institutions)
        typ = w.rec.youths.type
        scopes = [("national", np.ones(n_inst, bool))]
        scopes += [(r, self.inst_region == k) for k, r in enumerate(net.regions)]
        scopes += [(name, np.arange(n_inst) == k) for k, name in enumerate(net.institutions)]
        adm_it = _per_period(
            np.where(w.placed, w.inst * n_types + typ, 0), w.admitted_in.astype(float), n_inst * n_types
        ).reshape(-1, n_inst, n_types)
        for scope, m in scopes:
            occ = w.occ_it[:, m].sum(axis=1)  # [P, type]
            occ_all = _sums(occ)
            open_days = _sums(w.open_inst[:, m])
            adm = adm_it[:, m]
            put("occupancy_mean", scope, "all", occ_all / w.T)
            put("places_open_mean", scope, "all", open_days / w.T)
            put("utilisation", scope, "all", _share(occ_all, open_days))
            put("idle_place_days_per_year", scope, "all", (open_days - occ_all) / w.years)
            put("admissions_per_year", scope, "all", _sums(adm.reshape(len(self.lo), -1)) / w.years)
            for k, ptype in enumerate(net.types):
                put("occupancy_mean", scope, ptype, occ[:, k] / w.T)
                put("admissions_per_year", scope, ptype, adm[:, :, k].sum(axis=1) / w.years)
        stay = w.rec.youths.stay
        for k, ptype in [(-1, "all")] + list(enumerate(net.types)):
            sel = w.admitted_in & ((typ == k) if k >= 0 else True)
            put("stay_days_mean", "national", ptype, [stay[row].mean() if row.any() else np.nan for row in sel])

    def _daily(self, w: Window) -> tuple[list[tuple[str, str]], np.ndarray, dict]:
        """The daily census (in place or waiting at t when start <= t and not end <= t), and per day whether
        it ended full (no ordinary place free; no high-security place free), None where there are none."""
        net = self.net
        n_types, n_inst = len(net.types), len(net.institutions)
        y = w.rec.youths
        _, seg_u, seg_s, seg_e = w.seg
        t = self.census
        occ_census = _counts_up_to(seg_s, t, w.seg_inst, n_inst) - _counts_up_to(seg_e, t, w.seg_inst, n_inst)
        open_census_unit = np.array([_step_value(tt, vv, t) for tt, vv in w.open_steps]).reshape(net.n_units, -1)
        open_census = np.zeros((n_inst, self.days), dtype=np.int64)
        np.add.at(open_census, self.unit_inst, open_census_unit.astype(np.int64))
        queue_by_type = _counts_up_to(y.arrival, t, y.type, n_types) - _counts_up_to(w.q_end, t, y.type, n_types)
        queue_census = [queue_by_type.sum(axis=0), *queue_by_type]
        n_regions = len(net.regions)
        queue_by_home = _counts_up_to(y.arrival, t, y.home, n_regions) - _counts_up_to(w.q_end, t, y.home, n_regions)
        # a day is full for ordinary youths when no ordinary place is free at its end, whatever the
        # high-security units hold (they cannot take them); emergency places are open only when used
        hs_unit = self.unit_hs
        seg_hs = hs_unit[seg_u].astype(np.int64)
        occupied_by_hs = _counts_up_to(seg_s, t, seg_hs, 2) - _counts_up_to(seg_e, t, seg_hs, 2)
        full = {}
        for metric, units, k in (("days_full_share", ~hs_unit, 0), ("days_full_share_high_security", hs_unit, 1)):
            full[metric] = open_census_unit[units].sum(axis=0) - occupied_by_hs[k] <= 0 if units.any() else None
        series = [("occupancy", "national")] + [("occupancy", n) for n in net.institutions]
        series += [("places_open", "national")] + [("places_open", n) for n in net.institutions]
        series += [("queue", "all")] + [("queue", p) for p in net.types]
        series += [("queue_home", r) for r in net.regions]
        daily = np.vstack(
            [
                occ_census.sum(axis=0)[None],
                occ_census,
                open_census.sum(axis=0)[None],
                open_census,
                np.array(queue_census),
                queue_by_home.reshape(n_regions, -1),
            ]
        )
        return series, daily.astype(np.int32), full

    def _days_full(self, put, full: dict) -> None:
        """The share of each period's days that ended full, from the window's daily indicators."""
        for metric in ("days_full_share", "days_full_share_high_security"):
            indicator = full[metric]
            shares = [
                np.mean(indicator[days]) if indicator is not None and indicator[days].size else np.nan
                for days in self.day_slices
            ]
            put(metric, "national", "all", shares)

    def _policy_metrics(self, w: Window, put) -> None:
        """Flexible and emergency places, moves."""
        years, kind = w.years, self.unit_kind
        _, seg_u, seg_s, seg_e = w.seg
        em_started = (kind[seg_u] == EMERGENCY)[None, :] & w.inside(seg_s)
        em_length = np.minimum(seg_e[None, :], w.hi[:, None]) - seg_s[None, :]  # [P, segment], where started
        moves, overdue = w.rec.moves, w.rec.overdue
        put("flex_places_open_mean", "national", "all", _sums(w.open_days_unit[:, kind == FLEXIBLE]) / w.T)
        put("flex_openings_per_year", "national", "all", w.openings.sum(axis=1) / years)
        put("emergency_admissions_per_year", "national", "all", em_started.sum(axis=1) / years)
        em_days = _sums(w.occ_days_unit[:, kind == EMERGENCY])
        put("emergency_place_days_per_year", "national", "all", em_days / years)
        lengths = [em_length[p][em_started[p]] for p in range(len(w.lo))]
        put("emergency_days_mean", "national", "all", [x.mean() if x.size else np.nan for x in lengths])
        put("emergency_days_max", "national", "all", [x.max() if x.size else np.nan for x in lengths])
        put("emergency_overdue_per_year", "national", "all", w.inside(overdue[:, 0]).sum(axis=1) / years)
        nearer = w.inside(moves[:, 0]) & (moves[:, 4] == MOVE_NEARER_HOME)[None, :]
        put("moves_nearer_home_per_year", "national", "all", nearer.sum(axis=1) / years)
        decisions = w.rec.decisions
        reviewed = w.inside(decisions[:, 0])
        change = decisions[:, 3] - decisions[:, 2]
        put("rule_places_added_per_year", "national", "all", (reviewed * np.maximum(change, 0)).sum(axis=1) / years)
        put("rule_places_removed_per_year", "national", "all", (reviewed * np.maximum(-change, 0)).sum(axis=1) / years)

    def _cost_metrics(self, w: Window, put) -> None:
        """Money, kroner per year: normed places by the scenario's rates, flexible and emergency by theirs."""
        c, years, kind = self.costs, w.years, self.unit_kind
        typ = w.rec.youths.type
        regular = kind == REGULAR
        occupied_days = _sums(w.occ_days_unit[:, regular])
        idle_days = _sums(w.open_days_unit[:, regular]) - occupied_days
        custody_days = _sums(w.queue_days[:, self.custody[typ]])
        cost_occ = occupied_days * c.occupied_place_day / years
        cost_idle = idle_days * c.empty_place_day / years
        cost_custody = custody_days * c.custody_day / years
        cost_flex = _sums(w.open_days_unit * self.flex_day_cost) / years
        opened = w.rec.openings
        if len(opened):
            per_opening = self.flex_open_cost[opened[:, 1].astype(np.int64)]
            cost_flex = cost_flex + np.array([per_opening[row].sum() for row in w.openings]) / years
        cost_emergency = _sums(w.occ_days_unit * self.emergency_day_cost) / years
        put("custody_days_per_year", "national", "all", custody_days / years)
        put("cost_occupied_per_year", "national", "all", cost_occ)
        put("cost_idle_per_year", "national", "all", cost_idle)
        put("cost_flexible_per_year", "national", "all", cost_flex)
        put("cost_emergency_per_year", "national", "all", cost_emergency)
        put("cost_custody_per_year", "national", "all", cost_custody)
        put("cost_per_year", "national", "all", cost_occ + cost_idle + cost_flex + cost_emergency + cost_custody)

    def _queue_max(self, a: np.ndarray, q_end: np.ndarray, sel: np.ndarray | None) -> np.ndarray:
        """[P]: the longest the waiting list (of the youths ``sel``) was in each period."""
        if sel is not None:
            a, q_end = a[sel], q_end[sel]
        waited = q_end > a
        a, q = a[waited], q_end[waited]
        times = np.concatenate([a, q[np.isfinite(q)]])
        delta = np.concatenate([np.ones(a.size), -np.ones(np.isfinite(q).sum())])
        order = np.lexsort((delta, times))  # at equal times, leave before join
        times, level = times[order], np.cumsum(delta[order])
        out = np.empty(len(self.lo))
        for p, (lo, hi) in enumerate(zip(self.lo, self.hi)):
            at_start = np.sum(a <= lo) - np.sum(q <= lo)
            first, last = np.searchsorted(times, lo, side="right"), np.searchsorted(times, hi, side="left")
            out[p] = max(at_start, level[first:last].max() if last > first else 0)
        return out
