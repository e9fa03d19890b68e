"""Scenarios side by side under common random numbers, with paired differences to the first scenario.

Every scenario runs with the same seed and replication numbers. A replication's youths (arrivals, homes,
stays, patience) depend only on the seed, the replication and the purpose of each random stream, so two
scenarios that differ in capacity see exactly the same youths in replication r. The difference of a metric
in replication r is then free of the demand's noise, and the t interval of the per-replication differences
(the paired interval) is much tighter than one built from the two scenarios' separate spreads (the unpaired
Welch interval, written alongside for reference).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.clock import Clock
from sim.results.statistics import t_interval
from sim.results.summaries import comparison_lines
from sim.run.files import safe_child
from sim.run.folder import COMPARISON, COMPARISON_BY_YEAR, write_csv
from sim.run.stored import Stored, obtain
from sim.scenario import overrides
from sim.scenario.loading import ScenarioError, with_horizon
from sim.scenario.schema import Scenario

COLUMNS = [
    "scenario", "metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "n",
    "diff_mean", "diff_ci_low", "diff_ci_high", "diff_n", "unpaired_half_width",
]  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One scenario of a comparison: its name (and output folder) and the scenario that runs."""

    name: str
    path: str
    scenario: Scenario


def prepare(
    paths: Sequence[str],
    sets: Sequence[str] = (),
    replications: int | None = None,
    seed: int | None = None,
) -> tuple[list[Entry], list[str]]:
    """Load every scenario, all with one seed and one replication count; (entries, warnings).

    The seed and count are ``seed``/``replications`` if given, else the first scenario's. Every file is
    checked before anything runs; ScenarioError lists the problems of all files at once.
    """
    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(overrides.load(path, sets))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    first = loaded[0].horizon
    n = replications if replications is not None else first.replications
    common_seed = seed if seed is not None else first.seed
    names = folder_names([s.name for s in loaded], [Path(p).stem for p in paths])
    entries = [
        Entry(name, str(path), with_horizon(s, replications=n, seed=common_seed))
        for name, path, s in zip(names, paths, loaded)
    ]
    warnings = []
    for e in entries[1:]:
        h, h0 = e.scenario.horizon, entries[0].scenario.horizon
        if (h.start, h.years, h.warmup_days) != (h0.start, h0.years, h0.warmup_days):
            warnings.append(
                f"{e.name}: its horizon differs from {entries[0].name}'s, so its youths differ too "
                "and the paired differences lose most of their precision"
            )
    return entries, warnings


def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.+\-=,]+", "_", text).lstrip(".")[:80] or "scenario"


def folder_names(names: Sequence[str], stems: Sequence[str]) -> list[str]:
    """A distinct folder name per scenario: its name, else its file name, else the file name numbered.

    Names come from scenario files, so they are made safe for a folder name: no path separators, no
    leading dots; a name can never point outside the output folder.
    """
    out: list[str] = []
    names = [_safe_name(n) for n in names]
    stems = [_safe_name(n) for n in stems]
    for name, stem in zip(names, stems):
        candidate = name if names.count(name) == 1 else stem
        k = 2
        base = candidate
        while candidate in out:
            candidate = f"{base}-{k}"
            k += 1
        out.append(candidate)
    return out


def run_comparison(
    entries: Sequence[Entry],
    out: Path,
    command: str,
    workers: int = 1,
    progress: bool = True,
    level: float = 0.95,
    on_done: Callable[[Entry, Stored], None] | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run (or reuse) every scenario into ``out/NAME/``; write ``out/comparison.csv`` and, for every calendar
    year all scenarios cover, ``out/comparison_by_year.csv``; returns the whole-window table."""
    results = []
    for entry in entries:
        stored = obtain(entry.scenario, safe_child(out, entry.name), command, workers, progress, executor, scheduler)
        results.append((entry.name, stored))
        if on_done is not None:
            on_done(entry, stored)
    table = comparison(results, level)
    write_csv(out / COMPARISON, table)
    write_csv(out / COMPARISON_BY_YEAR, comparison_by_year(results, level))
    return table


def comparison_by_year(results: Sequence[tuple[str, Stored]], level: float = 0.95) -> pd.DataFrame:
    """``comparison_by_year.csv``: the rows of :func:`comparison` for each calendar year that every scenario
    covers (a ``year`` column first, the first scenario's ``days`` and ``partial`` last), paired by
    replication within the year."""
    common = set(results[0][1].years)
    for _, stored in results[1:]:
        common &= set(stored.years)
    calendar = {y: (int(round(hi - lo)), partial) for y, lo, hi, partial in
                Clock.from_horizon(results[0][1].scenario.horizon).calendar_years()}  # fmt: skip
    frames = []
    for year in sorted(common):
        in_year = [(name, _year_of(stored, year)) for name, stored in results]
        frame = comparison(in_year, level)
        frame.insert(0, "year", year)
        frame["days"], frame["partial"] = calendar.get(year, (np.nan, True))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["year", *COLUMNS])


def _year_of(stored: Stored, year: int) -> Stored:
    return replace(stored, values=stored.by_year[:, stored.years.index(year), :])


def comparison(results: Sequence[tuple[str, Stored]], level: float = 0.95) -> pd.DataFrame:
    """``comparison.csv`` rows: each scenario's metrics, and paired differences to the first scenario.

    Differences are ``scenario - first``, per replication number present in both; the first scenario's
    own rows leave the difference columns empty. A key the first scenario lacks (a scope only one scenario
    has) gets no difference either.
    """
    ref_name, ref = results[0]
    ref_index = {k: j for j, k in enumerate(ref.keys)}
    rows = []
    for name, res in results:
        common, in_res, in_ref = np.intersect1d(res.reps, ref.reps, return_indices=True)
        for j, key in enumerate(res.keys):
            x = res.values[:, j]
            mean, lo, hi, _, n = t_interval(x, level)
            diff = (np.nan, np.nan, np.nan, 0, np.nan)
            if name != ref_name and key in ref_index:
                y = ref.values[:, ref_index[key]]
                d_mean, d_lo, d_hi, _, d_n = t_interval(x[in_res] - y[in_ref], level)
                diff = (d_mean, d_lo, d_hi, d_n, welch_half_width(x, y, level))
            rows.append((name, *key, mean, lo, hi, n, *diff))
    return pd.DataFrame(rows, columns=COLUMNS)


def welch_half_width(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> float:
    """Half-width of the unpaired (Welch) interval for mean(x) - mean(y), as if the runs were independent."""
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size < 2 or y.size < 2:
        return np.nan
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(vx + vy)
    if se == 0:
        return 0.0
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    return float(stats.t.ppf(0.5 + level / 2, df) * se)


def headline(table: pd.DataFrame) -> list[str]:
    """The headline figures per scenario, with the paired difference to the first, as printable lines."""
    return comparison_lines(table)
