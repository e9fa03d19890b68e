"""An adaptive capacity rule: a planning cycle that reviews the system and adds or removes places.

At every review (every ``review_months`` from the start date, within the observed window) the rule looks
at the last ``look_back_days`` and measures, from what has happened so far (the records up to the review):

- ``queue_length_mean``: the mean number of youths on the waiting list;
- ``utilisation``: occupied place-days over open place-days of the rule's places;
- ``full_share``: the share of the time with none of the rule's places free.

It adds ``step`` places when *any* ``add_above`` measure is above its threshold, and removes ``step`` when
*every* ``remove_below`` measure is below its threshold (the scenario's checks make both at once impossible),
never above ``max_places`` or below ``min_places``; the count it keeps is the places decided, those still to
open included. Places are spread over the rule's units as ``kapsim size`` spreads them (the highest claim
``weight / (places + 1/2)`` gets the next place, the weakest ``weight / (places - 1/2)`` loses one; weights
are the units' starting places). Added places open ``lead_days`` after the decision; removed places close at
once, but as a planned closure does: a place in use closes when its youth leaves.

The fast model and the reference both call :func:`review` on their own records at each review; every
review is recorded (day, action, places before and after, reason) in ``Records.decisions``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.network import CompiledRule
from sim.engine.records import Records

# the reason column of Records.decisions
KEPT, ADD_QUEUE, ADD_UTILISATION, ADD_FULL, REMOVE, AT_MAX, AT_MIN = range(7)
REASONS = {
    KEPT: "kept",
    ADD_QUEUE: "waiting list above threshold",
    ADD_UTILISATION: "utilisation above threshold",
    ADD_FULL: "full share above threshold",
    REMOVE: "every measure below its threshold",
    AT_MAX: "would add, but at max_places",
    AT_MIN: "would remove, but at min_places",
}
_ADD_REASON = {"queue_length_mean": ADD_QUEUE, "utilisation": ADD_UTILISATION, "full_share": ADD_FULL}


def measures(rec: Records, rule: CompiledRule, now: float) -> dict[str, float]:
    """The look-back measures at ``now`` from the records so far (youths still in place or waiting: NaN)."""
    lo, hi = max(now - rule.look_back, 0.0), now
    length = hi - lo
    # the waiting list: from arrival to admission or withdrawal (inf while waiting)
    y = rec.youths
    q_end = np.where(rec.unit >= 0, rec.admitted, np.where(np.isnan(rec.withdrawn), np.inf, rec.withdrawn))
    queue = _overlap(y.arrival, q_end, lo, hi).sum()
    # occupancy of the rule's units, stretch by stretch, and their open places from the log
    _, seg_u, seg_s, seg_e = rec.segments()
    mine = np.isin(seg_u, rule.units)
    seg_s, seg_e = seg_s[mine], seg_e[mine]
    occupied = _overlap(seg_s, seg_e, lo, hi).sum()
    log = rec.open_log[np.isin(rec.open_log[:, 1], rule.units)]
    open_days = 0.0
    # free places = open - occupied: +change of open places at each log row, -1 at a stretch's start, +1 at its end
    times, changes = [seg_s, seg_e[np.isfinite(seg_e)]], [-np.ones(seg_s.size), np.ones(np.isfinite(seg_e).sum())]
    for u in rule.units:
        rows = log[log[:, 1] == u]
        edges = np.clip(np.append(rows[:, 0], hi), lo, hi)
        open_days += float(np.sum(rows[:, 2] * np.diff(edges)))
        times.append(rows[:, 0])
        changes.append(np.diff(np.concatenate([[0.0], rows[:, 2]])))
    return {
        "queue_length_mean": queue / length if length > 0 else 0.0,
        "utilisation": occupied / open_days if open_days > 0 else 0.0,
        "full_share": _full_share(np.concatenate(times), np.concatenate(changes), lo, hi),
    }


def _overlap(start: np.ndarray, stop: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.minimum(stop, hi) - np.maximum(start, lo), 0.0, None)


def _full_share(times: np.ndarray, changes: np.ndarray, lo: float, hi: float) -> float:
    """Share of [lo, hi) with no free place, from the changes of the free places since time 0 (changes at
    the same moment: their order makes no interval, so it does not matter)."""
    if hi <= lo:
        return 0.0
    order = np.argsort(times, kind="stable")
    t, free = times[order], np.cumsum(changes[order])
    before = t <= lo
    level_at_lo = free[before][-1] if before.any() else 0.0
    inside = (t > lo) & (t < hi)
    edges = np.concatenate([[lo], t[inside], [hi]])
    levels = np.concatenate([[level_at_lo], free[inside]])
    return float(np.sum(np.diff(edges)[levels <= 0]) / (hi - lo))


@dataclass(frozen=True)
class Decision:
    action: int  # +1 add, -1 remove, 0 keep
    before: int  # places decided before
    after: int
    reason: int
    allocation: tuple[int, ...]  # places of each of the rule's units after it (decided)


def review(rec: Records, rule: CompiledRule, now: float, decided: tuple[int, ...]) -> Decision:
    """The decision at a review: ``decided`` are the rule's units' places decided so far (to open included)."""
    m = measures(rec, rule, now)
    total = sum(decided)
    wants_add = [name for name, threshold in rule.add_above if m[name] > threshold]
    wants_remove = bool(rule.remove_below) and all(m[name] < threshold for name, threshold in rule.remove_below)
    if wants_add:
        room = min(rule.step, rule.max_places - total)
        if room <= 0:
            return Decision(0, total, total, AT_MAX, decided)
        return Decision(+1, total, total + room, _ADD_REASON[wants_add[0]], spread(rule.weights, decided, room))
    if wants_remove:
        cut = min(rule.step, total - rule.min_places)
        if cut <= 0:
            return Decision(0, total, total, AT_MIN, decided)
        return Decision(-1, total, total - cut, REMOVE, spread(rule.weights, decided, -cut))
    return Decision(0, total, total, KEPT, decided)


def spread(weights: tuple[float, ...], places: tuple[int, ...], change: int) -> tuple[int, ...]:
    """``places`` with ``change`` places added (or removed, if negative) one at a time by the claims.

    >>> spread((10.0, 5.0), (10, 5), 3)
    (12, 6)
    """
    s = list(places)
    for _ in range(abs(change)):
        if change > 0:
            k = max(range(len(s)), key=lambda j: weights[j] / (s[j] + 0.5))
            s[k] += 1
        else:
            claims = [weights[j] / (s[j] - 0.5) if s[j] > 0 else np.inf for j in range(len(s))]
            s[int(np.argmin(claims))] -= 1
    return tuple(s)
