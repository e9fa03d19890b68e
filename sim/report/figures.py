"""Plotly figures of a run, as pure functions of its aggregated tables and a language.

Each function takes DataFrames (summary.csv, timeseries.parquet) and :class:`Labels` and returns a
``plotly.graph_objects.Figure``, or None when the run holds no data for it. Plotted values are the
values of the tables, unscaled, except costs, which are plotted in million kroner.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.report.data import compact, institutions, is_daily, metric, monthly_mean, scopes, series, utilisation_by_month
from sim.report.labels import HEAT_SCALE, OKABE_ITO, Labels, type_colour
from sim.results import metrics as catalogue

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
BLUE = OKABE_ITO["blue"]
BAND90 = "rgba(0, 114, 178, 0.16)"
BAND50 = "rgba(0, 114, 178, 0.36)"
PLACES = OKABE_ITO["vermillion"]
OBSERVED = OKABE_ITO["black"]
DAY_MS = 86_400_000
COSTS = catalogue.COSTS
COSTS_ALWAYS = ("cost_occupied_per_year", "cost_idle_per_year", "cost_custody_per_year")
FAN_STATS = ("p05", "p95", "p25", "p75", "p50", "places")

_AXIS = {
    "showline": True,
    "linecolor": "#444",
    "ticks": "outside",
    "tickcolor": "#444",
    "gridcolor": "#e6e6e6",
    "zeroline": False,
    "automargin": True,
    "title": {"standoff": 8},
}
TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": 13, "color": "#222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(OKABE_ITO.values()),
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"bgcolor": "rgba(255,255,255,0.8)"},
    }
)


def _layout(fig: go.Figure, lab: Labels, title: str, height: int = 440, **more) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        separators=lab.separators,
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        legend={"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0, "xanchor": "left"},
        **more,
    )
    return fig


def _dates(dates: pd.Series) -> dict:
    """x of a daily series: first date and a one-day step if the days are consecutive, else every date."""
    if is_daily(dates):
        return {"x0": dates.iloc[0].strftime("%Y-%m-%d"), "dx": DAY_MS}
    return {"x": dates.dt.strftime("%Y-%m-%d").tolist()}


def _date_hover(lab: Labels) -> str:
    return "%-d. %b %Y" if lab.lang == "da" else "%-d %b %Y"


def _ci_columns(rows: list[dict | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, ci_low, ci_high, n) arrays from summary rows (NaN where a row is missing)."""
    get = {
        k: np.array([np.nan if r is None else r[k] for r in rows], dtype=float)
        for k in ("mean", "ci_low", "ci_high", "n")
    }
    return get["mean"], get["ci_low"], get["ci_high"], get["n"]


def _error_bars(mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: float = 1.0) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": np.nan_to_num((hi - mean) * scale),
        "arrayminus": np.nan_to_num((mean - lo) * scale),
        "color": "#333",
        "thickness": 1.5,
        "width": 5,
    }


def _ci_hover(lab: Labels, value_format: str, unit: str = "") -> str:
    """Hover text: the bar's name, its mean and 95 % CI (customdata columns 0 and 1) and n (column 2)."""
    unit = f" {unit}" if unit else ""
    return (
        f"<b>%{{x}}</b><br>{lab('mean')}: %{{y:{value_format}}}{unit}<br>"
        f"{lab('ci95')}: %{{customdata[0]:{value_format}}} {lab('ci_to')} %{{customdata[1]:{value_format}}}{unit}"
        "<br>n = %{customdata[2]:.0f}<extra></extra>"
    )


def placement_types(summary: pd.DataFrame, name: str = "admissions_per_year") -> list[str]:
    """Placement types of the run (not 'all'), in the order of summary.csv."""
    rows = summary[(summary.metric == name) & (summary.scope == "national")]
    return [p for p in pd.unique(rows.placement_type) if p != "all"]


# --- occupancy ----------------------------------------------------------------------------------------------


def occupancy_fan(ts: pd.DataFrame, lab: Labels, observed: pd.DataFrame | None = None) -> go.Figure | None:
    """Daily occupancy fan: 90 % and 50 % bands, median and open places; a menu picks national or an institution.

    Six traces per scope (``FAN_STATS`` order: p05, p95, p25, p75, p50, places), and a seventh, ``observed``,
    where ``observed`` (see :func:`sim.report.data.observed_table`) has dates inside the run; each trace's
    ``meta`` holds its scope and statistic. Only the national traces are visible at first.
    """
    names = ["national"] + institutions(ts)
    if not len(series(ts, "occupancy", "national")):
        return None
    fig = go.Figure()
    owner: list[int] = []  # index of the scope each trace belongs to
    for k, scope in enumerate(names):
        traces = _fan_traces(series(ts, "occupancy", scope), series(ts, "places_open", scope), lab)
        seen = observed_within(observed, scope, series(ts, "occupancy", scope).date)
        if len(seen):
            traces.append(("observed", _observed_trace(seen, lab)))
        for stat, trace in traces:
            trace.update(meta={"scope": scope, "stat": stat}, visible=k == 0)
            if stat != "observed":
                trace.update(mode="lines")
            fig.add_trace(trace)
            owner.append(k)
    _layout(fig, lab, lab("t_occupancy", scope=lab.scope("national")), height=500, hovermode="x unified")
    fig.update_layout(margin={"t": 100})
    fig.update_xaxes(title_text=lab("date"), hoverformat=_date_hover(lab), type="date")
    fig.update_yaxes(title_text=lab("ax_youths_placed"), rangemode="tozero")
    add_selector(fig, lab, names, owner, "t_occupancy")
    return fig


def _fan_traces(occ: pd.DataFrame, places: pd.DataFrame, lab: Labels) -> list[tuple[str, go.Scatter]]:
    """(statistic, trace) of one scope's fan, in ``FAN_STATS`` order (open places only if the series exists)."""
    x = _dates(occ.date)
    value = ",.2~f"

    def edge(stat: str, group: str, fill: str | None) -> tuple[str, go.Scatter]:
        trace = go.Scatter(
            y=compact(occ[stat]),
            **x,
            name=lab(group),
            legendgroup=group,
            showlegend=fill is not None,
            line={"width": 0, "color": BLUE},
            fill=fill,
            fillcolor=BAND90 if group == "band90" else BAND50,
            hovertemplate=f"{lab(stat)}: %{{y:{value}}}<extra></extra>",
        )
        return stat, trace

    out = [edge("p05", "band90", None), edge("p95", "band90", "tonexty")]
    out += [edge("p25", "band50", None), edge("p75", "band50", "tonexty")]
    median = go.Scatter(
        y=compact(occ.p50),
        **x,
        name=lab("median"),
        line={"width": 2, "color": BLUE},
        hovertemplate=f"{lab('median')}: %{{y:{value}}}<extra></extra>",
    )
    out.append(("p50", median))
    if len(places):
        line = go.Scatter(
            y=compact(places["mean"]),
            **_dates(places.date),
            name=lab("open_places"),
            line={"width": 2, "color": PLACES, "dash": "dash"},
            hovertemplate=f"{lab('open_places')}: %{{y:{value}}}<extra></extra>",
        )
        out.append(("places", line))
    return out


def observed_within(observed: pd.DataFrame | None, scope: str, dates: pd.Series) -> pd.DataFrame:
    """The observed rows of one scope whose period (a day, or a month) overlaps the simulated days ``dates``,
    in date order."""
    if observed is None or not len(observed) or not len(dates):
        return pd.DataFrame(columns=["date", "occupied", "period"])
    rows = observed[observed.scope == scope]
    monthly = rows.period == "month"
    end = rows.date + pd.Timedelta(days=1)
    end[monthly] = rows.date[monthly] + pd.offsets.MonthBegin(1)
    rows = rows[(rows.date <= dates.max()) & (end > dates.min())]
    return rows.sort_values("date").reset_index(drop=True)


def _observed_trace(seen: pd.DataFrame, lab: Labels) -> go.Scatter:
    monthly = (seen.period == "month").any()
    x = seen.date + pd.Timedelta(days=14) if monthly else seen.date  # a monthly mean drawn mid-month
    return go.Scatter(
        x=x.dt.strftime("%Y-%m-%d"),
        y=seen.occupied.to_numpy(dtype=float),
        name=lab("observed_month" if monthly else "observed"),
        mode="markers" if monthly else "lines",
        marker={"color": OBSERVED, "size": 7, "symbol": "diamond"},
        line={"width": 1.5, "color": OBSERVED},
        hovertemplate=f"{lab('observed')}: %{{y:,.2~f}}<extra></extra>",
    )


def seasonal(ts: pd.DataFrame, lab: Labels) -> go.Figure | None:
    """Mean occupancy, open places and waiting list by calendar month, nationally (three traces)."""
    if not len(series(ts, "occupancy", "national")):
        return None
    months = lab.months_short()
    occ = monthly_mean(ts, "occupancy", "national")
    places = monthly_mean(ts, "places_open", "national")
    queue = monthly_mean(ts, "queue", "all")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4])
    hover = "%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>"
    fig.add_trace(
        go.Bar(x=months, y=occ.to_numpy(), name=lab("occupancy_mean"), marker_color=BLUE, hovertemplate=hover),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=months,
            y=places.to_numpy(),
            name=lab("open_places"),
            mode="lines+markers",
            line={"color": PLACES, "dash": "dash", "width": 2},
            hovertemplate=hover,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=months, y=queue.to_numpy(), name=lab("queue_mean"), marker_color=OKABE_ITO["orange"], hovertemplate=hover
        ),
        row=2,
        col=1,
    )
    _layout(fig, lab, lab("t_season"), height=600, hovermode="closest")
    fig.update_yaxes(title_text=lab("ax_youths_places"), rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=lab("ax_waiting_short"), rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text=lab("month"), row=2, col=1)
    fig.update_layout(legend={"y": -0.12})
    return fig


def waiting_list(ts: pd.DataFrame, lab: Labels) -> go.Figure | None:
    """Daily mean waiting list by placement type, the mean of all types and its 95th percentile."""
    kinds = scopes(ts, "queue")
    if not kinds:
        return None
    fig = go.Figure()
    hover = "%{fullData.name}: %{y:,.2f}<extra></extra>"
    for i, ptype in enumerate(k for k in kinds if k != "all"):
        s = series(ts, "queue", ptype)
        fig.add_trace(
            go.Scatter(
                y=compact(s["mean"]),
                **_dates(s.date),
                name=lab.ptype(ptype),
                mode="lines",
                line={"width": 1.5, "color": type_colour(ptype, i)},
                meta={"scope": ptype, "stat": "mean"},
                hovertemplate=hover,
            )
        )
    if "all" in kinds:
        s = series(ts, "queue", "all")
        fig.add_trace(
            go.Scatter(
                y=compact(s["mean"]),
                **_dates(s.date),
                name=lab.ptype("all"),
                mode="lines",
                line={"width": 2, "color": OKABE_ITO["black"]},
                meta={"scope": "all", "stat": "mean"},
                hovertemplate=hover,
            )
        )
        fig.add_trace(
            go.Scatter(
                y=compact(s["p95"]),
                **_dates(s.date),
                name=lab("p95_all"),
                mode="lines",
                line={"width": 1, "color": "#8c8c8c", "dash": "dot"},
                meta={"scope": "all", "stat": "p95"},
                hovertemplate=hover,
            )
        )
    _layout(fig, lab, lab("t_queue"), hovermode="x unified")
    fig.update_xaxes(title_text=lab("date"), hoverformat=_date_hover(lab), type="date")
    fig.update_yaxes(title_text=lab("ax_youths_waiting"), rangemode="tozero")
    return fig


# --- waits --------------------------------------------------------------------------------------------------

WAIT_METRICS = ("wait_days_mean", "p_wait_over_1_day", "p_wait_over_7_days")


def waits_by_type(summary: pd.DataFrame, lab: Labels) -> go.Figure | None:
    """Three bar charts by placement type (all types first): mean wait, share > 1 day, share > 7 days, with CIs."""
    types = ["all"] + placement_types(summary, "wait_days_mean")
    if metric(summary, "wait_days_mean") is None:
        return None
    titles = [lab("t_waits_mean"), lab("t_over1"), lab("t_over7")]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.09)
    names = [lab.ptype(t) for t in types]
    colours = [type_colour(t, i) for i, t in enumerate(types)]
    for j, name in enumerate(WAIT_METRICS):
        mean, lo, hi, n = _ci_columns([metric(summary, name, "national", t) for t in types])
        share = name != "wait_days_mean"
        fmt = ".1%" if share else ",.2f"
        fig.add_trace(
            go.Bar(
                x=names,
                y=mean,
                name=titles[j],
                marker_color=colours,
                error_y=_error_bars(mean, lo, hi),
                customdata=np.column_stack([lo, hi, n]),
                meta={"metric": name, "types": types},
                hovertemplate=_ci_hover(lab, fmt, "" if share else lab("h_days")),
                showlegend=False,
            ),
            row=1,
            col=j + 1,
        )
        fig.update_yaxes(
            title_text=lab("ax_share_youths") if share else lab("ax_wait_days"),
            tickformat=".0%" if share else None,
            rangemode="tozero",
            row=1,
            col=j + 1,
        )
        fig.update_xaxes(title_text=lab("ptype"), row=1, col=j + 1)
    _layout(fig, lab, "", height=420, hovermode="closest")
    fig.update_layout(margin={"t": 50})
    return fig


# --- utilisation heat map -----------------------------------------------------------------------------------


def utilisation_heatmap(ts: pd.DataFrame, lab: Labels) -> go.Figure | None:
    """Utilisation by calendar month: national row first, then one row per institution."""
    u = utilisation_by_month(ts)
    if u.empty:
        return None
    fig = go.Figure(
        go.Heatmap(
            z=u.to_numpy(dtype=float),
            x=lab.months_short(),
            y=[lab.scope(s) for s in u.index],
            colorscale=HEAT_SCALE,
            colorbar={"title": {"text": lab("utilisation_pct"), "side": "right"}, "tickformat": ".0%"},
            texttemplate="%{z:.0%}",
            hovertemplate="<b>%{y}</b>, %{x}<br>" + lab("metric:utilisation:all") + ": %{z:.1%}<extra></extra>",
            xgap=2,
            ygap=2,
            meta={"scopes": list(u.index)},
        )
    )
    _layout(fig, lab, lab("t_heat"), height=140 + 36 * len(u), hovermode="closest")
    fig.update_yaxes(title_text=lab("institution"), autorange="reversed", showgrid=False)
    fig.update_xaxes(title_text=lab("month"), showgrid=False)
    return fig


# --- flows --------------------------------------------------------------------------------------------------


def _institution_regions(summary: pd.DataFrame, scenario: dict) -> list[tuple[str, str]]:
    """(region, institution) pairs ordered by the scenario's regions, then institutions."""
    insts = scenario.get("institutions") or {}
    regions = list(scenario.get("regions") or [])
    pairs = [(str(v.get("region", "")), name) for name, v in insts.items()]
    known = set(summary.loc[summary.metric == "admissions_per_year", "scope"])
    pairs = [p for p in pairs if p[1] in known]
    order = {r: i for i, r in enumerate(regions)}
    return sorted(pairs, key=lambda p: order.get(p[0], len(order)))


def admissions(summary: pd.DataFrame, scenario: dict, lab: Labels) -> go.Figure | None:
    """Admissions per year by institution (grouped under its region), stacked by placement type."""
    pairs = _institution_regions(summary, scenario)
    total = metric(summary, "admissions_per_year")
    if not pairs or total is None:
        return None
    x = [[lab.scope(r) for r, _ in pairs], [i for _, i in pairs]]
    fig = go.Figure()
    for k, ptype in enumerate(placement_types(summary)):
        mean, lo, hi, n = _ci_columns([metric(summary, "admissions_per_year", inst, ptype) for _, inst in pairs])
        fig.add_trace(
            go.Bar(
                x=x,
                y=mean,
                name=lab.ptype(ptype),
                marker_color=type_colour(ptype, k),
                customdata=np.column_stack([lo, hi, n]),
                meta={"type": ptype, "institutions": [i for _, i in pairs]},
                hovertemplate=(
                    f"<b>%{{x}}</b><br>{lab.ptype(ptype)}: %{{y:,.1f}} {lab('h_per_year')}<br>"
                    f"{lab('ci95')}: %{{customdata[0]:,.1f}} {lab('ci_to')} %{{customdata[1]:,.1f}}<extra></extra>"
                ),
            )
        )
    _layout(fig, lab, lab("t_admissions", total=lab.num(total["mean"], 0)), height=460, barmode="stack")
    fig.update_layout(legend={"traceorder": "normal"})
    fig.update_xaxes(title_text=f"{lab('region')} / {lab('institution')}")
    fig.update_yaxes(title_text=lab("ax_admissions"), rangemode="tozero")
    fig.update_layout(legend={"y": -0.25})
    return fig


def out_of_region(summary: pd.DataFrame, scenario: dict, lab: Labels) -> go.Figure | None:
    """Share of admissions placed outside the home region: national, then each home region, with CIs."""
    if metric(summary, "out_of_region_share") is None:
        return None
    listed = list(scenario.get("regions") or [])
    have = set(summary.loc[summary.metric == "out_of_region_share", "scope"])
    regions = [r for r in listed if r in have] or [s for s in pd.unique(summary.scope) if s in have and s != "national"]
    scopes_ = ["national"] + regions
    mean, lo, hi, n = _ci_columns([metric(summary, "out_of_region_share", s) for s in scopes_])
    fig = go.Figure(
        go.Bar(
            x=[lab.scope(s) for s in scopes_],
            y=mean,
            marker_color=[OKABE_ITO["black"]] + [OKABE_ITO["sky"]] * len(regions),
            error_y=_error_bars(mean, lo, hi),
            customdata=np.column_stack([lo, hi, n]),
            meta={"scopes": scopes_},
            hovertemplate=_ci_hover(lab, ".1%"),
            name=lab("t_out_of_region"),
        )
    )
    _layout(fig, lab, lab("t_out_of_region"), height=400, hovermode="closest")
    fig.update_xaxes(title_text=lab("home_region"))
    fig.update_yaxes(title_text=lab("ax_out_of_region"), tickformat=".0%", rangemode="tozero")
    return fig


# --- costs --------------------------------------------------------------------------------------------------


def costs(summary: pd.DataFrame, lab: Labels) -> go.Figure | None:
    """Cost items and their total per year, in million kroner, with CIs."""
    items = []
    for name in COSTS:
        row = metric(summary, name)
        if row is not None and (name in COSTS_ALWAYS or (row["mean"] or 0) != 0):
            items.append(name)
    total = metric(summary, "cost_per_year")
    if not items and total is None:
        return None
    names = items + (["cost_per_year"] if total is not None else [])
    mean, lo, hi, n = _ci_columns([metric(summary, name) for name in names])
    scale = 1e-6
    colours = [OKABE_ITO[c] for c in ("blue", "sky", "green", "purple", "vermillion")]
    palette = dict(zip(COSTS, colours)) | {"cost_per_year": OKABE_ITO["black"]}
    fig = go.Figure(
        go.Bar(
            x=[lab(f"metric:{name}:all") for name in names],
            y=mean * scale,
            marker_color=[palette[name] for name in names],
            error_y=_error_bars(mean, lo, hi, scale),
            customdata=np.column_stack([lo * scale, hi * scale, n]),
            meta={"metrics": names, "scale": scale},
            hovertemplate=_ci_hover(lab, ",.2f", lab("h_mio_kr")),
            name=lab("sec_costs"),
        )
    )
    title = lab("t_costs", total=lab.mio_kr(total["mean"]) if total else lab("not_available"))
    _layout(fig, lab, title, height=420, hovermode="closest")
    fig.update_xaxes(title_text=lab("ax_cost_item"))
    fig.update_yaxes(title_text=lab("ax_cost"), rangemode="tozero")
    return fig


# --- flexible and emergency places --------------------------------------------------------------------------

# (metric, axis-title key): the capacity-policy metrics of summary.csv (national, all types), in panels by unit
POLICY_PANELS = (
    ("ax_places_mean", ("flex_places_open_mean",)),
    (
        "ax_number_per_year",
        (
            "flex_openings_per_year",
            "emergency_admissions_per_year",
            "emergency_overdue_per_year",
            "moves_nearer_home_per_year",
        ),
    ),
    ("ax_place_days_per_year", ("emergency_place_days_per_year",)),
    ("ax_days", ("emergency_days_mean", "emergency_days_max")),
)
POLICY_METRICS = tuple(m for _, names in POLICY_PANELS for m in names)
POLICY_UNITS = {
    "ax_places_mean": "",
    "ax_number_per_year": "h_per_year",
    "ax_place_days_per_year": "h_per_year",
    "ax_days": "h_days",
}


def used(row: dict | None) -> bool:
    """Whether a summary row shows the policy in use: a mean that is a number other than zero."""
    return row is not None and np.isfinite(row["mean"]) and row["mean"] != 0


def policies_used(summary: pd.DataFrame) -> list[str]:
    """Capacity-policy metrics with a non-zero mean, in ``POLICY_METRICS`` order."""
    return [m for m in POLICY_METRICS if used(metric(summary, m))]


def policies(summary: pd.DataFrame, lab: Labels) -> go.Figure | None:
    """Flexible and emergency place use and moves nearer home, one panel per unit, only the non-zero metrics.

    One bar trace per panel with its 95 % CIs; ``meta`` holds the panel's metric names. None when the run
    made no use of any policy.
    """
    shown = set(policies_used(summary))
    panels = [(axis, [m for m in names if m in shown]) for axis, names in POLICY_PANELS]
    panels = [(axis, names) for axis, names in panels if names]
    if not panels:
        return None
    widths = [len(names) + 0.6 for _, names in panels]
    fig = make_subplots(rows=1, cols=len(panels), column_widths=widths, horizontal_spacing=min(0.12, 0.4 / len(panels)))
    colours = {"flex": OKABE_ITO["green"], "emergency": OKABE_ITO["purple"], "moves": OKABE_ITO["sky"]}
    for j, (axis, names) in enumerate(panels):
        mean, lo, hi, n = _ci_columns([metric(summary, m) for m in names])
        unit = lab(POLICY_UNITS[axis]) if POLICY_UNITS[axis] else ""
        fig.add_trace(
            go.Bar(
                x=[lab(m) for m in names],
                y=mean,
                marker_color=[colours[m.split("_")[0]] for m in names],
                error_y=_error_bars(mean, lo, hi),
                customdata=np.column_stack([lo, hi, n]),
                meta={"metrics": names},
                hovertemplate=_ci_hover(lab, ",.2f", unit),
                name=lab(axis),
                showlegend=False,
            ),
            row=1,
            col=j + 1,
        )
        fig.update_yaxes(title_text=lab(axis), rangemode="tozero", row=1, col=j + 1)
        fig.update_xaxes(title_text=lab("ax_measure"), row=1, col=j + 1)
    _layout(fig, lab, lab("t_policies"), height=440, hovermode="closest")
    return fig


def _fixed_places(inst: dict) -> float | None:
    """An institution's places without flexible places (units and emergency places), if constant over time."""
    units = (inst or {}).get("units") or {}
    if not units or any(u.get("changes") or u.get("open_months") for u in units.values()):
        return None
    return float(sum(u.get("places") or 0 for u in units.values()) + ((inst.get("emergency") or {}).get("places") or 0))


def flexible_institutions(ts: pd.DataFrame, scenario: dict) -> list[str]:
    """Institutions with a flexible pool in the scenario whose open places change over the horizon."""
    pools = scenario.get("flexible") or {}
    names = list(dict.fromkeys(str(p.get("institution")) for p in pools.values() if p))
    out = []
    for name in names:
        s = series(ts, "places_open", name)
        if len(s) and float(s.p95.max()) > float(s.p05.min()):
            out.append(name)
    return out


def flexible_over_time(ts: pd.DataFrame, scenario: dict, lab: Labels) -> go.Figure | None:
    """Open places at each institution with flexible places: mean, 90 % band, and its places without them.

    Per institution: the band's edges (p05, p95), the mean and, if its other places are constant, a dashed
    line at that number. ``meta`` holds the scope and statistic of each trace.
    """
    names = flexible_institutions(ts, scenario)
    if not names:
        return None
    fig = go.Figure()
    value = ",.2~f"
    palette = [OKABE_ITO[c] for c in ("green", "blue", "orange", "purple", "vermillion", "sky")]
    for k, name in enumerate(names):
        s = series(ts, "places_open", name)
        colour = palette[k % len(palette)]
        x = _dates(s.date)
        band = _rgba(colour, 0.2)
        common = {"legendgroup": name, "mode": "lines", **x}
        fig.add_trace(
            go.Scatter(
                y=compact(s.p05),
                line={"width": 0, "color": colour},
                showlegend=False,
                meta={"scope": name, "stat": "p05"},
                hovertemplate=f"{name}, {lab('p05')}: %{{y:{value}}}<extra></extra>",
                **common,
            )
        )
        fig.add_trace(
            go.Scatter(
                y=compact(s.p95),
                line={"width": 0, "color": colour},
                fill="tonexty",
                fillcolor=band,
                name=lab("open_band", scope=name),
                meta={"scope": name, "stat": "p95"},
                hovertemplate=f"{name}, {lab('p95')}: %{{y:{value}}}<extra></extra>",
                **common,
            )
        )
        fig.add_trace(
            go.Scatter(
                y=compact(s["mean"]),
                line={"width": 2, "color": colour},
                name=lab("open_mean", scope=name),
                meta={"scope": name, "stat": "mean"},
                hovertemplate=f"{name}, {lab('mean')}: %{{y:{value}}}<extra></extra>",
                **common,
            )
        )
        fixed = _fixed_places(((scenario.get("institutions") or {}).get(name)) or {})
        if fixed is not None:
            fig.add_trace(
                go.Scatter(
                    x=[s.date.iloc[0].strftime("%Y-%m-%d"), s.date.iloc[-1].strftime("%Y-%m-%d")],
                    y=[fixed, fixed],
                    mode="lines",
                    line={"width": 1.5, "color": colour, "dash": "dash"},
                    legendgroup=name,
                    name=lab("without_flex", scope=name),
                    meta={"scope": name, "stat": "fixed"},
                    hovertemplate=f"{lab('without_flex', scope=name)}: %{{y:{value}}}<extra></extra>",
                )
            )
    _layout(fig, lab, lab("t_flex_time"), height=460, hovermode="x unified")
    fig.update_xaxes(title_text=lab("date"), hoverformat=_date_hover(lab), type="date")
    fig.update_yaxes(title_text=lab("ax_open_places"), rangemode="tozero")
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def add_selector(fig: go.Figure, lab, scopes: list[str], owner: list[int], title: str) -> None:
    """The dropdown that switches a chart between national and one institution, labelled 'choose'.

    ``owner[i]`` is the index in ``scopes`` of trace i's scope: choosing a scope shows its traces only and
    sets the title ``lab(title, scope=...)``.
    """
    buttons = [
        {
            "label": lab.scope(scope),
            "method": "update",
            "args": [{"visible": [o == k for o in owner]}, {"title.text": lab(title, scope=lab.scope(scope))}],
        }
        for k, scope in enumerate(scopes)
    ]
    fig.update_layout(
        updatemenus=[
            {
                "type": "dropdown", "buttons": buttons, "active": 0, "showactive": True,
                "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom", "bgcolor": "white", "bordercolor": "#888",
            }
        ],
        annotations=[
            {
                "text": f"<b>{lab('choose')}</b>", "showarrow": False, "xref": "paper", "yref": "paper",
                "x": 0, "xanchor": "right", "xshift": -6, "y": 1.02, "yanchor": "bottom", "yshift": 4,
            }
        ],
    )  # fmt: skip
