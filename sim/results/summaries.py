"""The headline figures as plain text lines, from a summary or comparison table (what the commands print).

Which figures, their labels and their units come from the catalogue (:mod:`sim.results.metrics`).
"""

from __future__ import annotations

import math

import pandas as pd

from sim.results.metrics import HEADLINE, UNITS, Headline


def value_text(h: Headline, value: float, signed: bool = False) -> str:
    """A headline value in its unit: '12.5 %', '289.4 mio. kr', '0.98' (signed: '+1.2' for a difference)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    unit = UNITS[h.spec.unit]
    sign = "+" if signed else ""
    if unit.kind == "share":
        return f"{value * 100:{sign}.{unit.decimals}f} %" + (" points" if signed else "")
    if unit.kind == "money":
        return f"{value / 1e6:{sign}.1f} mio. kr"
    return f"{value:{sign}.{unit.decimals}f}"


def shown(table: pd.DataFrame, brief: bool = False) -> list[Headline]:
    """The headline figures the table holds: present, not all NaN, and a policy's only if it is used."""
    nat = table[table.scope == "national"]
    out = []
    for h in HEADLINE:
        if brief and not h.brief:
            continue
        rows = nat[(nat.metric == h.metric) & (nat.placement_type == h.placement_type)]
        if rows.empty or rows["mean"].isna().all():
            continue
        if h.spec.optional and not (rows["mean"].fillna(0) != 0).any():
            continue
        out.append(h)
    return out


def _row(table: pd.DataFrame, h: Headline):
    rows = table[(table.metric == h.metric) & (table.scope == "national") & (table.placement_type == h.placement_type)]
    return rows.iloc[0] if len(rows) else None


def headline_lines(summary: pd.DataFrame) -> list[str]:
    """One line per headline figure of a run: label, mean and 95 % interval."""
    lines = []
    for h in shown(summary):
        r = _row(summary, h)
        ci = f"(95 % CI {value_text(h, r.ci_low)} to {value_text(h, r.ci_high)})"
        lines.append(f"  {h.en:40s} {value_text(h, r['mean']):>14s}  {ci}")
    return lines


def comparison_lines(table: pd.DataFrame) -> list[str]:
    """Per headline figure, each scenario's mean and its paired difference to the first (comparison.csv)."""
    lines = []
    for h in shown(table):
        rows = table[
            (table.metric == h.metric) & (table.scope == "national") & (table.placement_type == h.placement_type)
        ]
        lines.append(f"  {h.en}")
        for r in rows.itertuples():
            text = f"    {r.scenario:28s} {value_text(h, r.mean):>14s}"
            if not pd.isna(r.diff_mean):
                d = [value_text(h, v, signed=True) for v in (r.diff_mean, r.diff_ci_low, r.diff_ci_high)]
                text += f"   difference {d[0]} (CI {d[1]} to {d[2]})"
            lines.append(text)
    return lines


def brief_line(summary: pd.DataFrame) -> str:
    """The brief headline figures of one run on one line (a sweep's point)."""
    parts = []
    for h in shown(summary, brief=True):
        parts.append(f"{h.en.lower()} {value_text(h, _row(summary, h)['mean'])}")
    return "   ".join(parts)


def comparison_by_year_lines(table: pd.DataFrame) -> list[str]:
    """Per brief headline figure, a row per calendar year: each scenario's mean, and the others' paired
    difference to the first with its interval (comparison_by_year.csv)."""
    lines = []
    if table.empty:
        return lines
    scenarios = list(dict.fromkeys(table["scenario"]))
    for h in shown(table, brief=True):
        rows = table[
            (table.metric == h.metric) & (table.scope == "national") & (table.placement_type == h.placement_type)
        ]
        lines.append(f"  {h.en}, by year")
        lines.append("    year  " + "  ".join(f"{s:>28s}" for s in scenarios))
        for year, in_year in rows.groupby("year", sort=True):
            cells = []
            for r in in_year.set_index("scenario").reindex(scenarios).itertuples():
                text = value_text(h, r.mean)
                if not pd.isna(r.diff_mean):
                    text += f" ({value_text(h, r.diff_mean, signed=True)})"
                cells.append(f"{text:>28s}")
            star = "*" if "partial" in in_year and bool(in_year["partial"].iloc[0]) else " "
            lines.append(f"    {int(year)}{star} " + "  ".join(cells))
    if "partial" in table and table["partial"].astype(bool).any():
        lines.append("  * the period holds only part of this year")
    return lines


def by_year_lines(by_year: pd.DataFrame) -> list[str]:
    """One line per calendar year with the brief headline figures (a run's or a sweep point's rows)."""
    lines = []
    for year, rows in by_year.groupby("year", sort=True):
        star = "*" if "partial" in rows and bool(rows["partial"].iloc[0]) else " "
        lines.append(f"    {int(year)}{star}  {brief_line(rows)}")
    return lines


def comparison_by_region_lines(table: pd.DataFrame, regions: list[str]) -> list[str]:
    """Per headline figure that has region rows, a row per region: each scenario's mean, and the others'
    paired difference to the first with its interval (comparison.csv's region scopes)."""
    lines = []
    scenarios = list(dict.fromkeys(table["scenario"]))
    for h in shown(table):
        rows = table[(table.metric == h.metric) & (table.placement_type == h.placement_type)]
        if not rows["scope"].isin(regions).any():
            continue
        lines.append(f"  {h.en}, by region")
        for region in regions:
            here = rows[rows.scope == region].set_index("scenario").reindex(scenarios)
            cells = []
            for name, r in here.iterrows():
                text = f"{name} {value_text(h, r['mean'])}"
                if not pd.isna(r["diff_mean"]):
                    d = [value_text(h, v, signed=True) for v in (r.diff_mean, r.diff_ci_low, r.diff_ci_high)]
                    text += f" ({d[0]}, CI {d[1]} to {d[2]})"
                cells.append(text)
            lines.append(f"    {region:14s} " + "   ".join(cells))
    return lines
