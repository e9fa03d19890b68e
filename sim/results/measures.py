"""Per-replication measures computed from the records of one run (numpy only; no SimPy here).

Statistics cover the observation window [warm-up, end). Scopes: ``national``; a region; an institution.
For arrivals, waits, queues and out-of-region placements a region means the youth's *home* region; for
occupancy, places and admissions it means the region of the institution.

Daily series are a census at the end of each observed day (the way institutions count occupied beds):
occupancy and open places nationally and per institution, and the waiting list by placement type.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _group_quantiles(values: np.ndarray, groups: np.ndarray, n_groups: int, qs=(0.5, 0.95)) -> np.ndarray:
    """[group, q] quantiles (numpy's default linear interpolation) of values by group; NaN if empty."""
    order = np.lexsort((values, groups))
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


def _share(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else np.nan


@dataclass
class Window:
    """What every measure of one replication derives from, cut to the observation window [W, E)."""

    rec: Records
    W: float
    E: float
    T: float  # days observed
    years: float
    placed: np.ndarray  # youth got a place
    inst: np.ndarray  # institution of the first place (-1 if none)
    q_end: np.ndarray  # when the youth left the waiting list (admission, withdrawal, inf)
    arrived_in: np.ndarray
    admitted_in: np.ndarray
    withdrawn_in: np.ndarray
    seg: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (youth, unit, start, end) of every stretch
    seg_inst: np.ndarray
    occ_it: np.ndarray  # [institution, type] place-days in the window
    occ_days_unit: np.ndarray
    queue_days: np.ndarray  # per youth, days waiting in the window
    open_days_unit: np.ndarray
    open_steps: list[tuple[np.ndarray, np.ndarray]]  # per unit: (times, open places) of its step function
    open_inst: np.ndarray
    opened_in: np.ndarray  # rows of records.openings in the window


class Measures:
    """Computes the metric vector and daily series of one replication (every metric is in the catalogue)."""

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
        self.days = int(round(clock.end - clock.warmup))
        self.census = clock.warmup + np.arange(1, self.days + 1, dtype=float)
        dummy = self._compute(None)
        keys = tuple(k for k, _ in dummy[0])
        unknown = sorted({k[0] for k in keys} - set(CATALOGUE))
        if unknown:  # a programming error: every metric must be described in sim/results/metrics.py
            raise RuntimeError(f"metrics missing from the catalogue: {', '.join(unknown)}")
        self.layout = Layout(keys=keys, series=tuple(dummy[1]), days=self.days)

    def __call__(self, records: Records) -> tuple[np.ndarray, np.ndarray]:
        """(metric values in ``layout.keys`` order, daily series as int32 array [series, day])."""
        pairs, _, daily = self._compute(records)
        return np.array([v for _, v in pairs], dtype=float), daily

    def _compute(self, rec: Records | None):
        out: list[tuple[Key, float]] = []

        def put(metric: str, scope: str, ptype: str, value: float) -> None:
            out.append(((metric, scope, ptype), float(value)))

        w = self._window(rec if rec is not None else self._empty())  # None: the layout, from an empty run
        self._youth_metrics(w, put)
        self._place_metrics(w, put)
        series, daily = self._daily(w, put)
        self._policy_metrics(w, put)
        self._cost_metrics(w, put)
        return out, series, daily

    def _empty(self) -> Records:
        e, ei = np.empty(0), np.empty(0, dtype=np.int64)
        log = np.array([(0.0, u, p) for u, p in enumerate(self.net.initial_places)], dtype=float).reshape(-1, 3)
        return Records(Youths.empty(), e, ei, e, e, log, self.clock.end)

    def _window(self, rec: Records) -> Window:
        net, clock = self.net, self.clock
        W, E = clock.warmup, clock.end
        n_types, n_inst = len(net.types), len(net.institutions)
        y = rec.youths
        a, typ = y.arrival, y.type
        s, unit, wd = rec.admitted, rec.unit, rec.withdrawn
        placed = unit >= 0
        # occupancy (place-days within the window) from each stretch in one unit, by institution and type
        seg = rec.segments()
        seg_y, seg_u, seg_s, seg_e = seg
        seg_inst = self.unit_inst[seg_u]
        seg_days = _overlap(seg_s, seg_e, W, E)
        occ_it = np.bincount(seg_inst * n_types + typ[seg_y], weights=seg_days, minlength=n_inst * n_types)
        q_end = np.where(placed, s, np.where(np.isnan(wd), np.inf, wd))
        # open places per unit from the log (rows are in time order)
        log = rec.open_log
        open_days_unit = np.zeros(net.n_units)
        open_steps = []
        for u in range(net.n_units):
            rows = log[log[:, 1] == u]
            open_days_unit[u] = _step_integral(rows[:, 0], rows[:, 2], W, E)
            open_steps.append((rows[:, 0], rows[:, 2]))
        return Window(
            rec=rec, W=W, E=E, T=E - W, years=(E - W) / DAYS_PER_YEAR, placed=placed,
            inst=np.where(placed, self.unit_inst[np.maximum(unit, 0)], -1), q_end=q_end,
            arrived_in=(a >= W) & (a < E), admitted_in=placed & (s >= W) & (s < E),
            withdrawn_in=(~np.isnan(wd)) & (wd >= W) & (wd < E), seg=seg, seg_inst=seg_inst,
            occ_it=occ_it.reshape(n_inst, n_types), occ_days_unit=np.bincount(seg_u, seg_days, net.n_units),
            queue_days=_overlap(a, q_end, W, E), open_days_unit=open_days_unit, open_steps=open_steps,
            open_inst=np.bincount(self.unit_inst, weights=open_days_unit, minlength=n_inst),
            opened_in=rec.openings[(rec.openings[:, 0] >= W) & (rec.openings[:, 0] < E)],
        )  # fmt: skip

    def _youth_metrics(self, w: Window, put) -> None:
        """Arrivals, waits, queues, out-of-region placements: nationally and by home region, by type.

        Sums per (home region, type) cell, then added up to the coarser scopes; quantiles per group from one
        sort.
        """
        net = self.net
        y, rec = w.rec.youths, w.rec
        a, typ, home, s, unit, wd = y.arrival, y.type, y.home, rec.admitted, rec.unit, rec.withdrawn
        n_regions, n_types = len(net.regions), len(net.types)
        cell = home * n_types + typ
        n_cells = n_regions * n_types
        waited = w.arrived_in & (w.placed | np.isnan(wd))  # placed, or still waiting at the end (censored)
        wait = np.where(w.placed, s, w.E) - a
        away = w.admitted_in & (self.unit_region[np.maximum(unit, 0)] != home)
        sums = {
            "arrivals": np.bincount(cell, w.arrived_in, n_cells),
            "withdrawn": np.bincount(cell, w.withdrawn_in & (wd > a), n_cells),
            "diverted": np.bincount(cell, w.withdrawn_in & (wd == a), n_cells),
            "queue_days": np.bincount(cell, w.queue_days, n_cells),
            "waits": np.bincount(cell, waited, n_cells),
            "wait_sum": np.bincount(cell, np.where(waited, wait, 0.0), n_cells),
            "over_1": np.bincount(cell, waited & (wait > 1), n_cells),
            "over_7": np.bincount(cell, waited & (wait > 7), n_cells),
            "admitted": np.bincount(cell, w.admitted_in, n_cells),
            "away": np.bincount(cell, away, n_cells),
        }
        sums = {k: v.reshape(n_regions, n_types) for k, v in sums.items()}
        w_cell, w_val = cell[waited], wait[waited]
        quant = {
            "cell": _group_quantiles(w_val, w_cell, n_cells).reshape(n_regions, n_types, 2),
            "region": _group_quantiles(w_val, w_cell // n_types, n_regions),
            "type": _group_quantiles(w_val, w_cell % n_types, n_types),
            "all": _group_quantiles(w_val, np.zeros_like(w_cell), 1)[0],
        }
        scopes = [("national", slice(None))] + [(r, h) for h, r in enumerate(net.regions)]
        for scope, h in scopes:
            for k, ptype in [(-1, "all")] + list(enumerate(net.types)):
                col = slice(None) if k < 0 else k

                def total(name: str, h=h, col=col) -> float:
                    return float(sums[name][h, col].sum())

                if scope == "national":
                    q = quant["all"] if k < 0 else quant["type"][k]
                else:
                    q = quant["region"][h] if k < 0 else quant["cell"][h, k]
                n_w = total("waits")
                put("arrivals_per_year", scope, ptype, total("arrivals") / w.years)
                put("withdrawn_per_year", scope, ptype, total("withdrawn") / w.years)
                put("diverted_per_year", scope, ptype, total("diverted") / w.years)
                put("queue_length_mean", scope, ptype, total("queue_days") / w.T)
                if scope == "national":
                    sel = slice(None) if k < 0 else (typ == k)
                    put("queue_length_max", scope, ptype, self._queue_max(a[sel], w.q_end[sel], w.W, w.E))
                put("wait_days_mean", scope, ptype, _share(total("wait_sum"), n_w))
                put("wait_days_p50", scope, ptype, q[0])
                put("wait_days_p95", scope, ptype, q[1])
                put("p_wait_over_1_day", scope, ptype, _share(total("over_1"), n_w))
                put("p_wait_over_7_days", scope, ptype, _share(total("over_7"), n_w))
                put("out_of_region_share", scope, ptype, _share(total("away"), total("admitted")))

    def _place_metrics(self, w: Window, put) -> None:
        """Occupancy, places, admissions: nationally, by the institution's region and by institution."""
        net = self.net
        n_types, n_inst = len(net.types), len(net.institutions)
        typ = w.rec.youths.type
        scopes = [("national", np.ones(n_inst, bool))]
        scopes += [(r, self.inst_region == k) for k, r in enumerate(net.regions)]
        scopes += [(name, np.arange(n_inst) == k) for k, name in enumerate(net.institutions)]
        adm_it = np.bincount(
            np.where(w.admitted_in, w.inst * n_types + typ, 0),
            weights=w.admitted_in.astype(float),
            minlength=n_inst * n_types,
        ).reshape(n_inst, n_types)
        for scope, m in scopes:
            occ = w.occ_it[m].sum(axis=0)
            open_days = w.open_inst[m].sum()
            put("occupancy_mean", scope, "all", occ.sum() / w.T)
            put("places_open_mean", scope, "all", open_days / w.T)
            put("utilisation", scope, "all", _share(occ.sum(), open_days))
            put("idle_place_days_per_year", scope, "all", (open_days - occ.sum()) / w.years)
            put("admissions_per_year", scope, "all", adm_it[m].sum() / w.years)
            for k, ptype in enumerate(net.types):
                put("occupancy_mean", scope, ptype, occ[k] / w.T)
                put("admissions_per_year", scope, ptype, adm_it[m, k].sum() / w.years)
        stay = w.rec.youths.stay
        for k, ptype in [(-1, "all")] + list(enumerate(net.types)):
            sel = w.admitted_in & ((typ == k) if k >= 0 else True)
            put("stay_days_mean", "national", ptype, stay[sel].mean() if sel.any() else np.nan)

    def _daily(self, w: Window, put) -> tuple[list[tuple[str, str]], np.ndarray]:
        """The daily census (in place or waiting at t when start <= t and not end <= t) and the days full."""
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
        # a day is full for ordinary youths when no ordinary place is free at its end, whatever the
        # high-security units hold (they cannot take them); emergency places are open only when used
        hs_unit = self.unit_hs
        seg_hs = hs_unit[seg_u].astype(np.int64)
        occupied_by_hs = _counts_up_to(seg_s, t, seg_hs, 2) - _counts_up_to(seg_e, t, seg_hs, 2)
        for metric, units, k in (("days_full_share", ~hs_unit, 0), ("days_full_share_high_security", hs_unit, 1)):
            if not units.any() or not self.days:
                put(metric, "national", "all", np.nan)
                continue
            put(metric, "national", "all", np.mean(open_census_unit[units].sum(axis=0) - occupied_by_hs[k] <= 0))
        series = [("occupancy", "national")] + [("occupancy", n) for n in net.institutions]
        series += [("places_open", "national")] + [("places_open", n) for n in net.institutions]
        series += [("queue", "all")] + [("queue", p) for p in net.types]
        daily = np.vstack(
            [
                occ_census.sum(axis=0)[None],
                occ_census,
                open_census.sum(axis=0)[None],
                open_census,
                np.array(queue_census),
            ]
        )
        return series, daily.astype(np.int32)

    def _policy_metrics(self, w: Window, put) -> None:
        """Flexible and emergency places, moves."""
        W, E, years = w.W, w.E, w.years
        kind = self.unit_kind
        _, seg_u, seg_s, seg_e = w.seg
        em_seg = kind[seg_u] == EMERGENCY
        em_started = em_seg & (seg_s >= W) & (seg_s < E)
        em_length = np.minimum(seg_e, E)[em_started] - seg_s[em_started]
        moves, overdue = w.rec.moves, w.rec.overdue
        moved_in = (moves[:, 0] >= W) & (moves[:, 0] < E) if len(moves) else np.zeros(0, bool)
        put("flex_places_open_mean", "national", "all", w.open_days_unit[kind == FLEXIBLE].sum() / w.T)
        put("flex_openings_per_year", "national", "all", len(w.opened_in) / years)
        put("emergency_admissions_per_year", "national", "all", em_started.sum() / years)
        put("emergency_place_days_per_year", "national", "all", w.occ_days_unit[kind == EMERGENCY].sum() / years)
        put("emergency_days_mean", "national", "all", em_length.mean() if em_length.size else np.nan)
        put("emergency_days_max", "national", "all", em_length.max() if em_length.size else np.nan)
        overdue_in = np.sum((overdue[:, 0] >= W) & (overdue[:, 0] < E)) / years if len(overdue) else 0.0
        put("emergency_overdue_per_year", "national", "all", overdue_in)
        nearer = np.sum(moved_in & (moves[:, 4] == MOVE_NEARER_HOME)) / years if len(moves) else 0.0
        put("moves_nearer_home_per_year", "national", "all", nearer)

    def _cost_metrics(self, w: Window, put) -> None:
        """Money, kroner per year: normed places by the scenario's rates, flexible and emergency by theirs."""
        c, years, kind = self.costs, w.years, self.unit_kind
        typ = w.rec.youths.type
        regular = kind == REGULAR
        occupied_days = w.occ_days_unit[regular].sum()
        idle_days = w.open_days_unit[regular].sum() - occupied_days
        custody_days = w.queue_days[self.custody[typ]].sum() if typ.size else 0.0
        cost_occ = occupied_days * c.occupied_place_day / years
        cost_idle = idle_days * c.empty_place_day / years
        cost_custody = custody_days * c.custody_day / years
        cost_flex = (w.open_days_unit * self.flex_day_cost).sum() / years
        if len(w.opened_in):
            cost_flex += self.flex_open_cost[w.opened_in[:, 1].astype(np.int64)].sum() / years
        cost_emergency = (w.occ_days_unit * self.emergency_day_cost).sum() / years
        put("custody_days_per_year", "national", "all", custody_days / years)
        put("cost_occupied_per_year", "national", "all", cost_occ)
        put("cost_idle_per_year", "national", "all", cost_idle)
        put("cost_flexible_per_year", "national", "all", cost_flex)
        put("cost_emergency_per_year", "national", "all", cost_emergency)
        put("cost_custody_per_year", "national", "all", cost_custody)
        put("cost_per_year", "national", "all", cost_occ + cost_idle + cost_flex + cost_emergency + cost_custody)

    @staticmethod
    def _queue_max(a: np.ndarray, q_end: np.ndarray, W: float, E: float) -> float:
        waited = q_end > a
        a, q = a[waited], q_end[waited]
        level_at_w = np.sum(a <= W) - np.sum(q <= W)
        times = np.concatenate([a, q[np.isfinite(q)]])
        delta = np.concatenate([np.ones(a.size), -np.ones(np.isfinite(q).sum())])
        order = np.lexsort((delta, times))  # at equal times, leave before join
        times, level = times[order], np.cumsum(delta[order])
        inside = (times > W) & (times < E)
        return float(max(level_at_w, level[inside].max() if inside.any() else 0))
