"""The aggregated outputs of a comparison or a sweep, read back from its folder, and the metrics their pages show.

A comparison folder holds comparison.csv and one sub-folder per scenario (summary.csv, timeseries.parquet,
scenario.resolved.yaml, manifest.json); a sweep folder holds sweep.csv, points.csv and one sub-folder per
point. Only these aggregated files are read, never a replications.parquet.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.report.data import ReportData, load
from sim.report.labels import OKABE_ITO
from sim.results import metrics as catalogue
from sim.run import folder


@dataclass(frozen=True)
class Spec:
    """A metric on the experiment pages: where it is in the tables and how it is labelled and formatted."""

    label: str  # Labels key of its name
    metric: str
    ptype: str
    axis: str  # Labels key of its axis title (with unit)
    kind: str  # "share" (0-1, shown in %), "number", or "money" (kroner, shown in million)
    unit: str = ""  # Labels key of the unit of a difference ("share": percentage points)
    optional: bool = False  # shown only when some scenario or point has a non-zero mean

    @property
    def scale(self) -> float:
        """Factor from the table's value to the plotted one (kroner to million kroner)."""
        return 1e-6 if self.kind == "money" else 1.0

    @property
    def diff_scale(self) -> float:
        """Factor from a difference in the table to the plotted one (shares to percentage points)."""
        return 100.0 if self.kind == "share" else self.scale

    @property
    def hover_format(self) -> str:
        return ".1%" if self.kind == "share" else ",.1f" if self.kind == "money" else ",.2f"


def _spec(h: catalogue.Headline) -> Spec:
    """A headline figure of the catalogue as the experiment pages draw it (its labels resolve through it)."""
    m = h.spec
    axis = f"axis:{h.metric}:{h.placement_type}" if m.kind == "share" else f"axis:{m.unit}"
    return Spec(
        f"metric:{h.metric}:{h.placement_type}", h.metric, h.placement_type, axis, m.kind, f"unit:{m.unit}", m.optional
    )


# the headline figures of the catalogue, in its order: drawn as charts, and the levels (context) for the tables
HEADLINE = tuple(_spec(h) for h in catalogue.HEADLINE if not h.context)
CONTEXT = tuple(
    _spec(h) for h in sorted(catalogue.HEADLINE, key=lambda h: h.metric != "places_open_mean") if h.context
)  # places first: the other figures follow from them
BRIEF = tuple(_spec(h) for h in catalogue.HEADLINE if h.brief)


def spec_of(metric: str, ptype: str = "all") -> Spec:
    return next(s for s in (*HEADLINE, *CONTEXT) if s.metric == metric and s.ptype == ptype)


PLACES = spec_of("places_open_mean")
REMAND_OVER_1 = spec_of("p_wait_over_1_day", "remand")
COST = spec_of("cost_per_year")

# one colour per scenario or line: Okabe-Ito, the reference in black
SERIES_COLOURS = [OKABE_ITO[k] for k in ("black", "orange", "sky", "green", "blue", "vermillion", "purple", "yellow")]


def colour(position: int) -> str:
    return SERIES_COLOURS[position % len(SERIES_COLOURS)]


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def national(table: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """The national rows of one metric and placement type."""
    return table[(table.metric == spec.metric) & (table.scope == "national") & (table.placement_type == spec.ptype)]


def shown(table: pd.DataFrame, specs=HEADLINE) -> list[Spec]:
    """The metrics the table holds; optional ones only when some row has a non-zero mean."""
    out = []
    for spec in specs:
        rows = national(table, spec)
        if not len(rows) or rows["mean"].isna().all():
            continue
        if spec.optional and not (rows["mean"].fillna(0) != 0).any():
            continue
        out.append(spec)
    return out


# --- comparison -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonData:
    table: pd.DataFrame  # comparison.csv
    names: list[str]  # scenarios in the order they were given; the first is the reference
    runs: dict[str, ReportData] = field(default_factory=dict)  # each scenario's folder, where it can be read

    @property
    def reference(self) -> str:
        return self.names[0]


def load_comparison(out_dir: Path) -> ComparisonData:
    """comparison.csv and each scenario folder's aggregated outputs (a folder that cannot be read is left out)."""
    out_dir = Path(out_dir)
    path = out_dir / folder.COMPARISON
    if not path.is_file():
        raise FileNotFoundError(f"{out_dir} is not a kapsim comparison folder: comparison.csv missing")
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    table["scenario"] = table["scenario"].astype(str)
    names = list(pd.unique(table.scenario))
    runs = {}
    for name in names:
        sub = out_dir / name
        if sub.resolve().is_relative_to(out_dir.resolve()):
            try:
                runs[name] = load(sub)
            except (FileNotFoundError, OSError, ValueError):
                continue
    return ComparisonData(table, names, runs)


# --- sweep ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepData:
    table: pd.DataFrame  # sweep.csv
    points: pd.DataFrame  # one row per point: point, the varied values, label
    keys: list[str]  # the varied keys, in the order given (the first varies slowest)
    names: dict[str, str]  # key -> its short name
    scenario: dict = field(default_factory=dict)  # the first point's resolved scenario
    manifest: dict = field(default_factory=dict)  # the first point's manifest


def _value_text(v) -> str:
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def load_sweep(out_dir: Path) -> SweepData:
    """sweep.csv, points.csv and the first point's scenario and manifest."""
    from sim.experiments.sweep import short_names

    out_dir = Path(out_dir)
    path = out_dir / folder.SWEEP
    if not path.is_file():
        raise FileNotFoundError(f"{out_dir} is not a kapsim sweep folder: sweep.csv missing")
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    columns = list(table.columns)
    keys = columns[columns.index("point") + 1 : columns.index("metric")]
    names = short_names(keys)
    points = table.drop_duplicates("point")[["point", *keys]].sort_values("point").reset_index(drop=True)
    folders = {}
    index_file = out_dir / folder.POINTS
    if index_file.is_file():
        index = pd.read_csv(index_file, keep_default_na=False, na_values=[""])
        if {"point", "folder"} <= set(index.columns):
            folders = dict(zip(index.point, index.folder.astype(str)))
    points["label"] = [", ".join(f"{names[k]}={_value_text(r[k])}" for k in keys) for _, r in points.iterrows()]
    scenario, manifest = {}, {}
    if len(points):
        sub = out_dir / folders.get(points.point.iloc[0], "")
        if folders and sub.resolve().is_relative_to(out_dir.resolve()):
            scenario_file, manifest_file = sub / folder.RESOLVED, sub / folder.MANIFEST
            if scenario_file.is_file():
                scenario = yaml.safe_load(scenario_file.read_text(encoding="utf-8")) or {}
            if manifest_file.is_file():
                manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return SweepData(table, points, keys, names, scenario, manifest)


def is_numeric(values) -> bool:
    """Whether every value is a finite number (then an axis is linear, else categorical)."""
    try:
        return all(
            isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        )
    except TypeError:
        return False


KEY_UNITS = {
    "places": "u_places",
    "per_year": "u_youths_year",
    "growth": "u_share_per_year",
    "drift": "u_share_per_year",
    "mean": "u_days",
    "max_days": "u_days",
    "lead_days": "u_days",
    "for_days": "u_days",
    "min_open_days": "u_days",
    "close_after_empty_days": "u_days",
    "warmup_days": "u_days",
    "queue_at_least": "u_youths",
    "cost_place_day": "u_kr_day",
    "occupied_place_day": "u_kr_day",
    "empty_place_day": "u_kr_day",
    "custody_day": "u_kr_day",
    "cost_opening": "u_kr",
}


def key_unit(key: str) -> str:
    """Labels key of the unit of a varied key, from its last part ('u_value' when not known)."""
    return KEY_UNITS.get(key.split(".")[-1], "u_value")
