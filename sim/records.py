"""What one replication leaves behind: a record per youth and a log of open places.

Every statistic is derived from these facts after the run; the model keeps no counters of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.youths import Youths


@dataclass(frozen=True)
class Records:
    """Per youth (same order as :class:`~sim.youths.Youths`): times in days, NaN where it did not happen.

    ``admitted``/``unit``: when and where the youth got a place (unit -1 if never). ``left``: when the place
    was vacated. ``withdrawn``: when the youth left the waiting list without a place. ``open_log`` rows are
    ``(day, unit, open places from then on)``, starting with every unit at day 0; open places are the
    normed places, or more while a closure waits for youths to leave.
    """

    youths: Youths
    admitted: np.ndarray
    unit: np.ndarray
    left: np.ndarray
    withdrawn: np.ndarray
    open_log: np.ndarray
    end: float
    events: int = 0
