"""A grid of scenarios around a base: every combination of the values given for a few keys.

A grid comes from ``--vary KEY.PATH=SPEC`` options, or from a sweep file::

    sweep:
      base: baseline.yaml                 # relative to the sweep file
      vary:
        institutions.Egely.places: "19:31:2"
        placement_types.social.demand.growth: [0, 0.05, 0.10]
      set:                                # optional: fixed overrides of the base, as --set
        horizon.years: 5

A SPEC is ``start:stop:step`` (stop included when it lands on the grid; whole numbers stay whole), a
comma list ``0,0.05,0.10`` (each item read as YAML), or one value. Points are the Cartesian product in the
order the keys are given, the first key varying slowest. Every point is validated before anything runs.

Each point runs with the same seed and replication numbers (common random numbers across the grid for capacity
and policy keys; a key that changes a type's demand redraws that type's youths) into
its own folder, named by its values (``Egely.places=21,demand.growth=0.05``): a point is finished when its folder
holds a manifest with the same scenario hash, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.engine.clock import Clock
from sim.results.statistics import summarise, summarise_by_year
from sim.results.summaries import brief_line
from sim.run.files import safe_child
from sim.run.folder import POINTS, SWEEP, SWEEP_BY_YEAR, write_csv
from sim.run.progress import progress_bar
from sim.run.stored import Stored, obtain
from sim.scenario import overrides, paths
from sim.scenario.loading import ScenarioError, scenario_hash, with_horizon
from sim.scenario.schema import Scenario


class SweepFile(BaseModel):
    """The ``sweep:`` block of a sweep file (its own small schema, not part of a scenario)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str
    vary: dict[str, list[Any] | str | int | float]
    set: dict[str, Any] = {}


@dataclass(frozen=True)
class Point:
    """One scenario of the grid: its number, the values of the varied keys, its folder name and scenario."""

    index: int
    values: dict[str, Any]  # varied key (as given) -> value
    label: str
    scenario: Scenario


def parse_spec(spec: str) -> list[Any]:
    """The values a SPEC stands for.

    >>> parse_spec("19:31:2")
    [19, 21, 23, 25, 27, 29, 31]
    >>> parse_spec("0:0.1:0.05")
    [0.0, 0.05, 0.1]
    >>> parse_spec("0,0.05,0.10")
    [0, 0.05, 0.1]
    """
    text = str(spec).strip()
    if not text:
        raise ValueError("empty list of values")
    if ":" in text and "," not in text and not text.startswith(("{", "[")):
        return _range(text)
    items = _split_top(text)
    values = []
    for item in items:
        try:
            values.append(yaml.safe_load(item) if item.strip() else "")
        except yaml.YAMLError:
            values.append(item.strip())
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return values


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets and braces, so ``[1,2],{a: 1}`` gives two items."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def _range(text: str) -> list[int | float]:
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"'{text}': a range is start:stop:step")
    try:
        start, stop, step = (Decimal(p.strip()) for p in parts)
    except InvalidOperation:
        raise ValueError(f"'{text}': start, stop and step must be numbers") from None
    if step == 0:
        raise ValueError(f"'{text}': step must not be 0")
    if (stop - start) * step < 0:
        raise ValueError(f"'{text}': step {step} never reaches {stop} from {start}")
    count = int((stop - start) / step) + 1  # decimal arithmetic: 0.1 is exactly a tenth, no float drift
    whole = all(re.fullmatch(r"[+-]?\d+", p.strip()) for p in parts)
    values = [start + i * step for i in range(count)]
    return [int(v) for v in values] if whole else [float(v) for v in values]


def read_sweep_file(path: str | Path) -> SweepFile | None:
    """The sweep block of ``path``, or None if the file is not a sweep file (a scenario, say)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(data, dict) or "sweep" not in data:
        return None
    if set(data) != {"sweep"}:
        extra = ", ".join(sorted(set(data) - {"sweep"}))
        raise ScenarioError([f"{path}: a sweep file holds only a 'sweep:' block; unknown key(s) {extra}"])
    try:
        spec = SweepFile.model_validate(data["sweep"])
    except ValidationError as exc:
        raise ScenarioError(
            [f"{path}: sweep.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None
    base = (path.parent / spec.base).resolve()
    if not base.is_file():
        raise ScenarioError([f"{path}: sweep.base: no scenario file {base}"])
    return spec.model_copy(update={"base": str(base)})


def axes_of(vary: dict[str, Any] | Sequence[str]) -> dict[str, list[Any]]:
    """Key -> values, from ``--vary KEY=SPEC`` strings or a sweep file's ``vary`` mapping."""
    items = []
    if isinstance(vary, dict):
        items = [(k, v, f"vary.{k}") for k, v in vary.items()]
    else:
        for text in vary:
            key, eq, spec = text.partition("=")
            if not eq or not key.strip():
                raise ScenarioError([f"--vary {text}: expected KEY.PATH=SPEC"])
            items.append((key.strip(), spec, f"--vary {text}"))
    axes: dict[str, list[Any]] = {}
    problems = []
    for key, spec, label in items:
        try:
            paths.split(key)
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if key in axes:
            problems.append(f"{label}: '{key}' is varied twice")
            continue
        try:
            values = list(spec) if isinstance(spec, list) else parse_spec(str(spec))
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if not values:
            problems.append(f"{label}: no values")
        axes[key] = values
    if problems:
        raise ScenarioError(problems)
    return axes


def short_names(keys: Sequence[str]) -> dict[str, str]:
    """The shortest distinct dotted suffix of each key, at least two parts: ``demand.growth``, ``Egely.places``."""
    out = {}
    for key in keys:
        parts = key.split(".")
        for k in range(min(2, len(parts)), len(parts) + 1):
            suffix = ".".join(parts[-k:])
            if sum(1 for other in keys if other == suffix or other.endswith("." + suffix)) == 1:
                break
        out[key] = suffix
    return out


def _fmt(value: Any) -> str:
    """A value as it appears in a folder name: numbers as written, anything else as flow YAML, made safe."""
    if isinstance(value, bool | int | float | str):
        text = str(value)
    else:
        text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
    return re.sub(r"[^\w.+\-=,]+", "_", text)[:60]


def grid(base: Scenario, axes: dict[str, list[Any]]) -> list[Point]:
    """Every point of the grid, each validated; ScenarioError names every refused point and key."""
    names = short_names(list(axes))
    points, problems = [], []
    for index, combo in enumerate(itertools.product(*axes.values())):
        values = dict(zip(axes, combo))
        label = ",".join(f"{names[k]}={_fmt(v)}" for k, v in values.items())
        assignments = [(paths.split(k), v, f"--vary {k}={v}") for k, v in values.items()]
        try:
            scenario = overrides.derive(base, assignments)
        except ScenarioError as exc:
            problems.extend(f"point {index} ({label}): {p}" for p in exc.problems)
            continue
        points.append(Point(index, values, label, scenario))
    if problems:
        raise ScenarioError(problems)
    labels = [p.label for p in points]
    if len(set(labels)) != len(labels):  # values that differ only beyond what a folder name shows
        points = [Point(p.index, p.values, f"{p.index:03d}-{p.label}", p.scenario) for p in points]
    return points


def prepare(
    source: str,
    vary: Sequence[str] = (),
    sets: Sequence[str] = (),
    replications: int | None = None,
    seed: int | None = None,
) -> tuple[Scenario, dict[str, list[Any]], list[Point]]:
    """(base scenario, axes, points) from a scenario or sweep file plus ``--vary``/``--set`` options."""
    spec = read_sweep_file(source)
    base_path, file_axes, file_sets = source, {}, []
    if spec is not None:
        base_path = spec.base
        file_axes = axes_of(spec.vary)
        try:
            file_sets = [(paths.split(k), v, f"{source}: sweep.set.{k}") for k, v in spec.set.items()]
        except ValueError as exc:
            raise ScenarioError([f"{source}: sweep.set: {exc}"]) from None
    axes = {**file_axes, **axes_of(vary)}
    if not axes:
        raise ScenarioError([f"{source}: nothing to vary; give --vary KEY.PATH=SPEC or a sweep file"])
    base = overrides.load(base_path)
    assignments = file_sets + overrides.parse(sets)
    if assignments:
        base = overrides.derive(base, assignments, str(base_path))
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    if changes:
        base = with_horizon(base, **changes)
    return base, axes, grid(base, axes)


SWEEP_COLUMNS = ["point", "metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "std", "n"]


def run_sweep(
    points: Sequence[Point],
    axes: dict[str, list[Any]],
    out: Path,
    command: str,
    workers: int = 1,
    progress: bool = True,
    on_done: Callable[[Point, Stored], None] | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run (or reuse) every point into ``out/LABEL/``; write ``out/sweep.csv``, ``out/sweep_by_year.csv`` (the
    same for each calendar year) and ``out/points.csv``."""
    bar = progress_bar(len(points), "points", "point", progress)
    frames, yearly, index_rows = [], [], []
    try:
        for p in points:
            stored = obtain(p.scenario, safe_child(out, p.label), command, workers, progress, executor, scheduler)
            frames.append(_point_rows(p, axes, summarise(stored.keys, stored.values)))
            if stored.by_year is not None:
                calendar = {y: (int(round(hi - lo)), partial) for y, lo, hi, partial in
                            Clock.from_horizon(p.scenario.horizon).calendar_years()}  # fmt: skip
                years = [(y, *calendar.get(y, (0, True))) for y in stored.years]
                yearly.append(_point_rows(p, axes, summarise_by_year(stored.keys, years, stored.by_year)))
            index_rows.append(
                {
                    "point": p.index,
                    **p.values,
                    "folder": p.label,
                    "scenario_sha256": scenario_hash(p.scenario),
                    "reused": stored.reused,
                }
            )
            bar.update(1)
            if on_done is not None:
                on_done(p, stored)
    finally:
        bar.close()
    table = pd.concat(frames, ignore_index=True)
    table = table[["point", *axes, *SWEEP_COLUMNS[1:]]]
    write_csv(out / SWEEP, table)
    columns = ["point", *axes, "year", *SWEEP_COLUMNS[1:], "days", "partial"]
    by_year = pd.concat(yearly, ignore_index=True)[columns] if yearly else pd.DataFrame(columns=columns)
    write_csv(out / SWEEP_BY_YEAR, by_year)
    write_csv(out / POINTS, pd.DataFrame(index_rows), float_format=None)
    return table


def _point_rows(p: Point, axes: dict[str, list[Any]], summary: pd.DataFrame) -> pd.DataFrame:
    """A point's summary rows with its number and its values of the varied keys in front."""
    summary = summary.copy()
    for k, key in enumerate(axes):
        summary.insert(k, key, [p.values[key]] * len(summary))
    summary.insert(0, "point", p.index)
    return summary


def headline(table: pd.DataFrame, points: Sequence[Point]) -> list[str]:
    """One printable line per point: its values and the brief headline figures (sim/results/metrics.py)."""
    lines = []
    for p in points:
        rows = table[table.point == p.index]
        lines.append("  " + p.label.replace(",", ", ") + "   " + brief_line(rows))
    return lines
