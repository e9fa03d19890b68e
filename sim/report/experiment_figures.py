"""Plotly figures of a comparison and of a sweep, as pure functions of their aggregated tables and a language.

Plotted values are the tables' values, times the ``scale`` in each trace's ``meta``: 1 for most, 1e-6 for
kroner (plotted in million kroner) and 100 for differences of shares (plotted in percentage points).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.report.data import compact, institutions, series
from sim.report.experiments import (
    COST,
    PLACES,
    REMAND_OVER_1,
    Spec,
    colour,
    is_numeric,
    key_unit,
    national,
    rgba,
)
from sim.report.figures import _date_hover, _dates, _layout, add_selector
from sim.report.labels import Labels

COLUMNS = 2  # panels per row of the metric grids
WHISKER = {"color": "#333", "thickness": 1.5, "width": 4}


def _whiskers(mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: float) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": np.nan_to_num((hi - mean) * scale),
        "arrayminus": np.nan_to_num((mean - lo) * scale),
        **WHISKER,
    }


def _grid(specs: list[Spec], lab: Labels, shared_y: bool, titles: list[str] | None = None):
    rows = math.ceil(len(specs) / COLUMNS)
    fig = make_subplots(
        rows=rows,
        cols=COLUMNS,
        subplot_titles=titles or [lab(s.label) for s in specs],
        shared_yaxes=shared_y,
        horizontal_spacing=0.12 if not shared_y else 0.06,
        vertical_spacing=min(0.12, 0.5 / rows) if rows > 1 else 0.1,
    )
    for k in range(len(specs), rows * COLUMNS):  # an odd number of panels leaves a cell empty: no bare axes
        fig.update_xaxes(visible=False, row=1 + k // COLUMNS, col=1 + k % COLUMNS)
        fig.update_yaxes(visible=False, row=1 + k // COLUMNS, col=1 + k % COLUMNS)
    return fig, [(1 + k // COLUMNS, 1 + k % COLUMNS) for k in range(len(specs))]


def _value_unit(spec: Spec, lab: Labels) -> str:
    return f" {lab('h_mio_kr')}" if spec.kind == "money" else ""


# --- comparison ---------------------------------------------------------------------------------------------


def compare_metrics(table: pd.DataFrame, names: list[str], specs: list[Spec], lab: Labels) -> go.Figure | None:
    """Dot and whisker per scenario for each metric: its mean and 95 % CI, one panel per metric.

    One trace per panel (y: the scenarios, the reference on top; x: the mean times ``meta['scale']``).
    """
    if not specs or not names:
        return None
    fig, cells = _grid(specs, lab, shared_y=True)
    for spec, (row, col) in zip(specs, cells):
        rows = national(table, spec).set_index("scenario").reindex(names)
        mean, lo, hi = (rows[c].to_numpy(dtype=float) for c in ("mean", "ci_low", "ci_high"))
        n = rows["n"].to_numpy(dtype=float)
        s, fmt, unit = spec.scale, spec.hover_format, _value_unit(spec, lab)
        fig.add_trace(
            go.Scatter(
                x=mean * s,
                y=names,
                mode="markers",
                marker={"color": [colour(k) for k in range(len(names))], "size": 10, "symbol": "circle"},
                error_x=_whiskers(mean, lo, hi, s),
                customdata=np.column_stack([lo * s, hi * s, n]),
                name=lab(spec.label),
                showlegend=False,
                meta={"metric": spec.metric, "ptype": spec.ptype, "scale": s, "scenarios": names},
                hovertemplate=(
                    f"<b>%{{y}}</b><br>{lab(spec.label)}: %{{x:{fmt}}}{unit}<br>{lab('ci95')}: "
                    f"%{{customdata[0]:{fmt}}} {lab('ci_to')} %{{customdata[1]:{fmt}}}{unit}"
                    "<br>n = %{customdata[2]:.0f}<extra></extra>"
                ),
            ),
            row=row,
            col=col,
        )
        fig.update_xaxes(
            title_text=lab(spec.axis), tickformat=".0%" if spec.kind == "share" else None, row=row, col=col
        )
        fig.update_yaxes(title_text=lab("ax_scenario") if col == 1 else None, autorange="reversed", row=row, col=col)
    height = 120 + cells[-1][0] * (90 + 34 * len(names))
    _layout(fig, lab, lab("t_side"), height=height, hovermode="closest")
    return fig


def compare_differences(table: pd.DataFrame, names: list[str], specs: list[Spec], lab: Labels) -> go.Figure | None:
    """Paired difference of each scenario to the first, with its paired 95 % CI and a zero line, per metric.

    One trace per panel (y: the other scenarios; x: diff_mean times ``meta['scale']``, shares in percentage
    points); a dashed vertical line at zero in each panel (``layout.shapes``).
    """
    others = names[1:]
    if not specs or not others:
        return None
    ref = names[0]
    fig, cells = _grid(specs, lab, shared_y=True)
    for spec, (row, col) in zip(specs, cells):
        rows = national(table, spec).set_index("scenario").reindex(others)
        mean, lo, hi = (rows[c].to_numpy(dtype=float) for c in ("diff_mean", "diff_ci_low", "diff_ci_high"))
        n, unpaired = rows["diff_n"].to_numpy(dtype=float), rows["unpaired_half_width"].to_numpy(dtype=float)
        s = spec.diff_scale
        unit = lab("u_share") if spec.kind == "share" else lab(spec.unit)
        fig.add_trace(
            go.Scatter(
                x=mean * s,
                y=others,
                mode="markers",
                marker={"color": [colour(k + 1) for k in range(len(others))], "size": 10, "symbol": "diamond"},
                error_x=_whiskers(mean, lo, hi, s),
                customdata=np.column_stack([lo * s, hi * s, unpaired * s, n]),
                name=lab(spec.label),
                showlegend=False,
                meta={"metric": spec.metric, "ptype": spec.ptype, "scale": s, "scenarios": others, "reference": ref},
                hovertemplate=(
                    f"<b>%{{y}} − {ref}</b><br>{lab(spec.label)}<br>{lab('difference')}: %{{x:+,.2f}} {unit}<br>"
                    f"{lab('paired_ci')}: %{{customdata[0]:+,.2f}} {lab('ci_to')} %{{customdata[1]:+,.2f}}<br>"
                    f"{lab('unpaired')}: ± %{{customdata[2]:,.2f}}<br>n = %{{customdata[3]:.0f}} {lab('pairs')}"
                    "<extra></extra>"
                ),
            ),
            row=row,
            col=col,
        )
        finite = np.concatenate([x[np.isfinite(x)] for x in (lo * s, hi * s, mean * s)] + [np.zeros(1)])
        low, high = float(finite.min()), float(finite.max())
        pad = 0.08 * (high - low) or 1.0
        fig.update_xaxes(
            title_text=lab("ax_diff", unit=unit),
            range=[low - pad, high + pad],
            zeroline=False,
            row=row,
            col=col,
        )
        fig.update_yaxes(title_text=lab("ax_scenario") if col == 1 else None, autorange="reversed", row=row, col=col)
        fig.add_vline(x=0, line={"color": "#444", "width": 1.5, "dash": "dash"}, row=row, col=col)
    height = 120 + cells[-1][0] * (90 + 34 * len(others))
    _layout(fig, lab, lab("t_diff", ref=ref), height=height, hovermode="closest")
    return fig


def compare_by_region(
    table: pd.DataFrame, names: list[str], specs: list[Spec], regions: list[str], lab: Labels
) -> go.Figure | None:
    """Paired difference of each scenario to the first in each region, with its 95 % CI, per metric that has
    region rows (home metrics: youths of that home region; place metrics: the region's institutions).

    One trace per other scenario and panel (y: regions; x: diff_mean times ``meta['scale']``).
    """
    others = names[1:]
    specs = [s for s in specs if table[(table.metric == s.metric) & (table.placement_type == s.ptype)]
             ["scope"].isin(regions).any()]  # fmt: skip
    if not specs or not others or not regions:
        return None
    fig, cells = _grid(specs, lab, shared_y=True)
    for spec, (row, col) in zip(specs, cells):
        rows = table[(table.metric == spec.metric) & (table.placement_type == spec.ptype)]
        s = spec.diff_scale
        for k, name in enumerate(others):
            here = rows[rows.scenario == name].set_index("scope").reindex(regions)
            mean, lo, hi = (here[c].to_numpy(dtype=float) for c in ("diff_mean", "diff_ci_low", "diff_ci_high"))
            fig.add_trace(
                go.Scatter(
                    x=mean * s, y=regions, mode="markers", name=name, legendgroup=name, showlegend=row == col == 1,
                    marker={"color": colour(k + 1), "size": 9, "symbol": "diamond"},
                    error_x=_whiskers(mean, lo, hi, s),
                    meta={"metric": spec.metric, "ptype": spec.ptype, "scale": s, "scenario": name},
                    hovertemplate=f"<b>%{{y}}</b>: {name} − {names[0]} %{{x:+,.2f}}<extra></extra>",
                ),
                row=row, col=col,
            )  # fmt: skip
        unit = lab("u_share") if spec.kind == "share" else lab(spec.unit)
        fig.update_xaxes(title_text=lab("ax_diff", unit=unit), zeroline=False, row=row, col=col)
        fig.update_yaxes(autorange="reversed", row=row, col=col)
        fig.add_vline(x=0, line={"color": "#444", "width": 1.5, "dash": "dash"}, row=row, col=col)
    height = 120 + cells[-1][0] * (90 + 26 * len(regions))
    _layout(fig, lab, lab("t_c_regions", ref=names[0]), height=height, hovermode="closest")
    return fig


OCCUPANCY_STATS = ("p05", "p95", "p50", "places")


def compare_occupancy(runs: dict[str, pd.DataFrame], lab: Labels) -> go.Figure | None:
    """Daily occupancy per scenario: median and 90 % band, with the scenario's mean open places (dashed).

    ``runs`` maps scenario name to its timeseries, the reference first. Four traces per scenario and scope
    (``OCCUPANCY_STATS``: p05, p95, p50, places), ``meta`` holding scenario, scope and statistic; a menu
    picks national or an institution that every scenario has. Only the national traces are visible at first.
    """
    runs = {name: ts for name, ts in runs.items() if len(series(ts, "occupancy", "national"))}
    if not runs:
        return None
    shared = None
    for ts in runs.values():
        insts = institutions(ts)
        shared = insts if shared is None else [i for i in shared if i in insts]
    scopes = ["national"] + (shared or [])
    fig = go.Figure()
    owner: list[int] = []
    value = ",.2~f"
    for k, scope in enumerate(scopes):
        for j, (name, ts) in enumerate(runs.items()):
            occ, places = series(ts, "occupancy", scope), series(ts, "places_open", scope)
            c = colour(j)
            common = {"legendgroup": name, "visible": k == 0, "mode": "lines", **_dates(occ.date)}
            traces = [
                go.Scatter(
                    y=compact(occ.p05),
                    line={"width": 0, "color": c},
                    showlegend=False,
                    hovertemplate=f"{name}, {lab('p05')}: %{{y:{value}}}<extra></extra>",
                    **common,
                ),
                go.Scatter(
                    y=compact(occ.p95),
                    line={"width": 0, "color": c},
                    fill="tonexty",
                    fillcolor=rgba(c, 0.14),
                    showlegend=False,
                    hovertemplate=f"{name}, {lab('p95')}: %{{y:{value}}}<extra></extra>",
                    **common,
                ),
                go.Scatter(
                    y=compact(occ.p50),
                    line={"width": 2, "color": c},
                    name=name,
                    hovertemplate=f"{name}, {lab('median')}: %{{y:{value}}}<extra></extra>",
                    **common,
                ),
            ]
            if len(places):
                traces.append(
                    go.Scatter(
                        y=compact(places["mean"]),
                        line={"width": 1.5, "color": c, "dash": "dash"},
                        showlegend=False,
                        hovertemplate=f"{name}, {lab('open_places')}: %{{y:{value}}}<extra></extra>",
                        **{**common, **_dates(places.date)},
                    )
                )
            for stat, trace in zip(OCCUPANCY_STATS, traces):
                trace.update(meta={"scenario": name, "scope": scope, "stat": stat})
                fig.add_trace(trace)
                owner.append(k)
    _layout(fig, lab, lab("t_c_occupancy", scope=lab.scope("national")), height=520, hovermode="x unified")
    fig.update_layout(margin={"t": 100})
    add_selector(fig, lab, scopes, owner, "t_c_occupancy")
    fig.update_xaxes(title_text=lab("date"), hoverformat=_date_hover(lab), type="date")
    fig.update_yaxes(title_text=lab("ax_youths_placed"), rangemode="tozero")
    return fig


# --- sweep --------------------------------------------------------------------------------------------------


def _groups(points: pd.DataFrame, keys: list[str], names: dict[str, str]) -> list[tuple[str, pd.DataFrame]]:
    """The points split into lines: one per combination of the keys after the first, in grid order."""
    rest = keys[1:]
    if not rest:
        return [("", points)]
    out = []
    for values, frame in points.groupby(rest, sort=False, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{names[k]}={_text(v)}" for k, v in zip(rest, values))
        out.append((label, frame))
    return out


def _text(v) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def key_title(key: str, names: dict[str, str], lab: Labels) -> str:
    """Axis title of a varied key: its short name and unit."""
    return f"{names[key]} ({lab(key_unit(key))})"


def _x_values(frame: pd.DataFrame, key: str, numeric: bool) -> list:
    return frame[key].tolist() if numeric else [_text(v) for v in frame[key]]


def sweep_metrics(
    table: pd.DataFrame, points: pd.DataFrame, keys: list[str], names: dict[str, str], specs: list[Spec], lab: Labels
) -> go.Figure | None:
    """Each metric against the first varied key, one line per value of the other keys, with 95 % CI whiskers.

    Per panel and line: a band trace pair (ci_low, then ci_high filled to it) and the mean line with
    whiskers; ``meta`` holds metric, placement type, scale, the line's label, its points and the statistic.
    """
    if not specs or not keys or not len(points):
        return None
    first = keys[0]
    numeric = is_numeric(points[first].tolist())
    groups = _groups(points, keys, names)
    fig, cells = _grid(specs, lab, shared_y=False)
    for spec, (row, col) in zip(specs, cells):
        rows = national(table, spec).set_index("point")
        s, fmt, unit = spec.scale, spec.hover_format, _value_unit(spec, lab)
        for g, (label, frame) in enumerate(groups):
            frame = frame.sort_values(first, kind="stable") if numeric else frame
            r = rows.reindex(frame.point)
            mean, lo, hi = (r[c].to_numpy(dtype=float) for c in ("mean", "ci_low", "ci_high"))
            x = _x_values(frame, first, numeric)
            c = colour(g if len(groups) > 1 else 4)
            meta = {
                "metric": spec.metric,
                "ptype": spec.ptype,
                "scale": s,
                "line": label,
                "points": frame.point.tolist(),
            }
            common = {"x": x, "legendgroup": label or "all", "showlegend": False, "hoverinfo": "skip"}
            fig.add_trace(
                go.Scatter(
                    y=lo * s, mode="lines", line={"width": 0, "color": c}, meta={**meta, "stat": "ci_low"}, **common
                ),
                row=row,
                col=col,
            )
            fig.add_trace(
                go.Scatter(y=hi * s, mode="lines", line={"width": 0, "color": c}, fill="tonexty",
                           fillcolor=rgba(c, 0.15), meta={**meta, "stat": "ci_high"}, **common),
                row=row, col=col,
            )  # fmt: skip
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=mean * s,
                    mode="lines+markers",
                    line={"width": 2, "color": c},
                    marker={"size": 7, "color": c},
                    error_y=_whiskers(mean, lo, hi, s),
                    customdata=np.column_stack([lo * s, hi * s, r["n"].to_numpy(dtype=float)]),
                    name=label or lab(spec.label),
                    legendgroup=label or "all",
                    showlegend=bool(label) and (row, col) == cells[0],
                    meta={**meta, "stat": "mean"},
                    hovertemplate=(
                        f"<b>{names[first]} = %{{x}}</b>{('<br>' + label) if label else ''}<br>{lab(spec.label)}: "
                        f"%{{y:{fmt}}}{unit}<br>{lab('ci95')}: %{{customdata[0]:{fmt}}} {lab('ci_to')} "
                        f"%{{customdata[1]:{fmt}}}{unit}<br>n = %{{customdata[2]:.0f}}<extra></extra>"
                    ),
                ),
                row=row,
                col=col,
            )
        fig.update_xaxes(
            title_text=key_title(first, names, lab), type=None if numeric else "category", row=row, col=col
        )
        fig.update_yaxes(
            title_text=lab(spec.axis), tickformat=".0%" if spec.kind == "share" else None, row=row, col=col
        )
    height = 140 + cells[-1][0] * 300
    _layout(fig, lab, lab("t_s_metrics", first=names[first]), height=height, hovermode="closest")
    fig.update_layout(legend={"y": -0.4 / cells[-1][0]})
    return fig


def sweep_tradeoff(
    table: pd.DataFrame, points: pd.DataFrame, keys: list[str], names: dict[str, str], lab: Labels
) -> go.Figure | None:
    """Share of remanded youths waiting > 1 day against open places (left) and cost per year (right).

    One marker per point, a trace per line of ``_groups`` and panel; whiskers are 95 % CIs both ways; the
    hover names the point's values and gives places, cost and the share with their CIs. ``meta`` holds the
    x metric, its scale, the line's label and its points.
    """
    y_rows = national(table, REMAND_OVER_1).set_index("point")
    panels = [spec for spec in (PLACES, COST) if len(national(table, spec).dropna(subset=["mean"]))]
    if not len(y_rows.dropna(subset=["mean"])) or not panels or not len(points):
        return None
    first = keys[0]
    numeric = is_numeric(points[first].tolist())
    groups = _groups(points, keys, names)
    titles = [f"{lab(spec.label)} / {lab(REMAND_OVER_1.label)}" for spec in panels]
    fig = make_subplots(rows=1, cols=len(panels), shared_yaxes=True, horizontal_spacing=0.06, subplot_titles=titles)
    extra = {spec.metric: national(table, spec).set_index("point") for spec in (PLACES, COST)}
    for j, spec in enumerate(panels):
        rows = extra[spec.metric]
        for g, (label, frame) in enumerate(groups):
            frame = frame.sort_values(first, kind="stable") if numeric else frame
            ids = frame.point.tolist()
            xr, yr = rows.reindex(ids), y_rows.reindex(ids)
            x, x_lo, x_hi = (xr[c].to_numpy(dtype=float) for c in ("mean", "ci_low", "ci_high"))
            y, y_lo, y_hi = (yr[c].to_numpy(dtype=float) for c in ("mean", "ci_low", "ci_high"))
            places = extra[PLACES.metric].reindex(ids)
            cost = extra[COST.metric].reindex(ids)
            custom = np.column_stack(
                [
                    frame["label"].to_numpy(dtype=object),
                    y_lo,
                    y_hi,
                    places["mean"].to_numpy(dtype=float),
                    places["ci_low"].to_numpy(dtype=float),
                    places["ci_high"].to_numpy(dtype=float),
                    cost["mean"].to_numpy(dtype=float) * 1e-6,
                    cost["ci_low"].to_numpy(dtype=float) * 1e-6,
                    cost["ci_high"].to_numpy(dtype=float) * 1e-6,
                ]
            )
            c = colour(g if len(groups) > 1 else 4)
            to = lab("ci_to")
            fig.add_trace(
                go.Scatter(
                    x=x * spec.scale,
                    y=y,
                    mode="markers+lines",
                    line={"width": 1, "color": c, "dash": "dot"},
                    marker={"size": 10, "color": c, "line": {"width": 1, "color": "white"}},
                    error_x=_whiskers(x, x_lo, x_hi, spec.scale),
                    error_y=_whiskers(y, y_lo, y_hi, 1.0),
                    customdata=custom,
                    name=label or lab("variant"),
                    legendgroup=label or "all",
                    showlegend=bool(label) and j == 0,
                    meta={"metric": spec.metric, "scale": spec.scale, "line": label, "points": ids},
                    hovertemplate=(
                        f"<b>%{{customdata[0]}}</b><br>{lab(REMAND_OVER_1.label)}: %{{y:.1%}} ({lab('ci95')} "
                        f"%{{customdata[1]:.1%}} {to} %{{customdata[2]:.1%}})<br>{lab(PLACES.label)}: "
                        f"%{{customdata[3]:,.1f}} ({lab('ci95')} %{{customdata[4]:,.1f}} {to} %{{customdata[5]:,.1f}})"
                        f"<br>{lab(COST.label)}: %{{customdata[6]:,.1f}} {lab('h_mio_kr')} ({lab('ci95')} "
                        f"%{{customdata[7]:,.1f}} {to} %{{customdata[8]:,.1f}})<extra></extra>"
                    ),
                ),
                row=1,
                col=j + 1,
            )
        fig.update_xaxes(title_text=lab(spec.axis), row=1, col=j + 1)
    fig.update_yaxes(title_text=lab("ax_share_remand"), tickformat=".0%", rangemode="tozero", row=1, col=1)
    _layout(fig, lab, lab("t_tradeoff"), height=500, hovermode="closest")
    return fig
