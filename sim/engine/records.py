"""What one replication leaves behind: a record per youth, moves between places, and a log of open places.

Every statistic is derived from these facts after the run; the model keeps no counters of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sim.engine.youths import Youths

# why a placed youth moved (the ``reason`` column of ``Records.moves``)
MOVE_EMERGENCY_ENDS = 0  # from an emergency place into a normed place of the same institution
MOVE_OVERDUE = 1  # from an emergency place used longer than allowed, to the first free place anywhere
MOVE_NEARER_HOME = 2  # the proximity rule: into a place that freed in the home region

_EMPTY = np.empty((0, 5))


@dataclass(frozen=True)
class Records:
    """Per youth (same order as :class:`~sim.engine.youths.Youths`): times in days, NaN where it did not happen.

    ``admitted``/``unit``: when and where the youth first got a place (unit -1 if never). ``left``: when the
    youth left their last place. ``withdrawn``: when the youth left the waiting list without a place.
    ``moves`` rows are ``(day, youth, from unit, to unit, reason)``. ``open_log`` rows are
    ``(day, unit, open places from then on)``, starting with every unit at day 0; open places are the
    normed places, or more while a closure waits for youths to leave (emergency places: those occupied).
    ``openings`` rows are ``(day, unit, places)`` for each opening of flexible places; ``overdue`` rows
    ``(day, youth)`` for each emergency place used beyond its limit; ``decisions`` rows ``(day, action, places
    before, places after, reason)`` for each review of the capacity rule (:mod:`sim.engine.capacity_rule`);
    ``refusals`` rows ``(day, youth, institution)`` the first time an institution refused a youth offered to it.
    """

    youths: Youths
    admitted: np.ndarray
    unit: np.ndarray
    left: np.ndarray
    withdrawn: np.ndarray
    open_log: np.ndarray
    end: float
    events: int = 0
    moves: np.ndarray = field(default_factory=lambda: _EMPTY)
    openings: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    overdue: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    decisions: np.ndarray = field(default_factory=lambda: np.empty((0, 5)))
    refusals: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))

    def subset(self, keep: np.ndarray) -> Records:
        """The records of the youths ``keep`` (a boolean mask), their moves renumbered; places and openings as
        they are (they belong to units, not youths)."""
        index = np.flatnonzero(keep)
        new = np.full(len(self.youths), -1, dtype=np.int64)
        new[index] = np.arange(index.size)
        moves = self.moves[keep[self.moves[:, 1].astype(np.int64)]] if len(self.moves) else self.moves
        overdue = self.overdue[keep[self.overdue[:, 1].astype(np.int64)]] if len(self.overdue) else self.overdue
        refusals = self.refusals[keep[self.refusals[:, 1].astype(np.int64)]] if len(self.refusals) else self.refusals
        if len(refusals):
            refusals = refusals.copy()
            refusals[:, 1] = new[refusals[:, 1].astype(np.int64)]
        if len(moves):
            moves = moves.copy()
            moves[:, 1] = new[moves[:, 1].astype(np.int64)]
        if len(overdue):
            overdue = overdue.copy()
            overdue[:, 1] = new[overdue[:, 1].astype(np.int64)]
        return replace(
            self, youths=self.youths.subset(index), admitted=self.admitted[index], unit=self.unit[index],
            left=self.left[index], withdrawn=self.withdrawn[index], moves=moves, overdue=overdue, refusals=refusals,
        )  # fmt: skip

    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(youth, unit, start, end) of every stretch a youth spent in one unit; end is inf if still there."""
        placed = np.flatnonzero(self.unit >= 0)
        left = np.where(np.isnan(self.left), np.inf, self.left)
        if not len(self.moves):
            return placed, self.unit[placed], self.admitted[placed], left[placed]
        m = self.moves
        youth = np.concatenate([placed, m[:, 1].astype(np.int64)])
        unit = np.concatenate([self.unit[placed], m[:, 3].astype(np.int64)])
        start = np.concatenate([self.admitted[placed], m[:, 0]])
        seq = np.concatenate([np.zeros(placed.size), np.arange(1, len(m) + 1)])  # moves in the order made
        order = np.lexsort((seq, start, youth))
        youth, unit, start = youth[order], unit[order], start[order]
        end = left[youth]
        same = youth[1:] == youth[:-1]
        end[:-1][same] = start[1:][same]
        return youth, unit, start, end
