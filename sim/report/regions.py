"""The report's region section: a region's planner picks the region and sees its own figures.

One table per region (shown one at a time by the selector): its youths' waits by placement type, the
waiting list, out-of-region placements, travel and refusals (home scopes: youths whose home is the
region), and the utilisation and open places of the region's institutions (their cost too once the run
keeps it per region), each with its 95 % interval and the national figure beside it; and the region's
waiting list over time (its youths, mean and 90 % band), drawn for the region selected. The page's loader
switches both (sim/report/page.py).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import pandas as pd
import plotly.graph_objects as go

from sim.report.data import compact, series
from sim.report.figures import _dates, _layout
from sim.report.labels import OKABE_ITO, Labels
from sim.results import metrics as catalogue

BY_TYPE = ("wait_days_mean", "p_wait_over_1_day", "p_wait_over_7_days")  # per placement type
OVERALL = (  # for all types
    "queue_length_mean",
    "out_of_region_share",
    "travel_hours_mean",
    "refusals_per_year",
    "withdrawn_per_year",
    "utilisation",
    "places_open_mean",
    "cost_per_year",
)  # cost_per_year is national only today: shown for a region once the model keeps it per region


def formatter(metric: str, lab: Labels) -> Callable[[float], str]:
    """The display of a metric's values in its unit (shares in %, money in million kroner)."""
    unit = catalogue.UNITS[catalogue.CATALOGUE[metric].unit]
    if unit.kind == "share":
        return lab.pct
    if unit.kind == "money":
        return lab.mio_kr
    return lambda x: lab.num(x, unit.decimals)


def regions_of(data) -> list[str]:
    """The scenario's regions that have a row in the summary (none for a one-region scenario)."""
    regions = [str(r) for r in data.scenario.get("regions") or []]
    have = set(data.summary["scope"])
    regions = [r for r in regions if r in have]
    return regions if len(regions) > 1 else []


def _rows(summary: pd.DataFrame) -> list[tuple[str, str]]:
    """(metric, placement type) rows the summary has, in the section's order."""
    types = [t for t in ("remand", "sentence", "social") if t in set(summary["placement_type"])]
    wanted = [(m, t) for m in BY_TYPE for t in ("all", *types)] + [(m, "all") for m in OVERALL]
    have = set(zip(summary["metric"], summary["placement_type"]))
    return [k for k in wanted if k in have]


def region_table(summary: pd.DataFrame, region: str, lab: Labels) -> str:
    """One region's figures with their intervals, and the national figure beside each."""
    index = summary.set_index(["metric", "scope", "placement_type"])
    body = []
    for metric, ptype in _rows(summary):
        if (metric, region, ptype) not in index.index:
            continue  # a national-only figure (the costs, until they are kept per payer)
        fmt = formatter(metric, lab)
        cells = []
        for scope in (region, "national"):
            key = (metric, scope, ptype)
            if key not in index.index:
                cells.append('<td class="num">–</td>')
                continue
            r = index.loc[key]
            cells.append(
                f'<td class="num">{escape(fmt(r["mean"]))}<small>{escape(lab.span(r["ci_low"], r["ci_high"], fmt))}'
                "</small></td>"
            )
        label = lab(f"metric:{metric}:{ptype}")
        if ptype != "all" and metric in BY_TYPE:
            label = f"{lab(f'metric:{metric}:all')}: {lab.ptype(ptype)}"
        body.append(f"<tr><td>{escape(label)}</td>{''.join(cells)}</tr>")
    head = (
        f"<tr><th>{escape(lab('region_figure'))}</th><th class='num'>{escape(region)}</th>"
        f"<th class='num'>{escape(lab('national'))}</th></tr>"
    )
    return f'<table class="region"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def region_queue_figure(ts: pd.DataFrame, regions: list[str], lab: Labels) -> go.Figure | None:
    """The waiting list of each region's youths over time; only the first region's traces visible."""
    if not regions or ts.empty or not (ts["measure"] == "queue_home").any():
        return None
    fig = go.Figure()
    for i, region in enumerate(regions):
        s = series(ts, "queue_home", region)
        if s.empty:
            continue
        visible = i == 0
        fig.add_trace(
            go.Scatter(y=compact(s["p95"]), **_dates(s.date), mode="lines", line={"width": 0}, showlegend=False,
                       hoverinfo="skip", visible=visible, meta={"region": region})
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(y=compact(s["p05"]), **_dates(s.date), mode="lines", line={"width": 0}, fill="tonexty",
                       fillcolor="rgba(0,114,178,0.18)", name=lab("region_band"), hoverinfo="skip",
                       visible=visible, meta={"region": region})
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(y=compact(s["mean"]), **_dates(s.date), mode="lines", name=lab("region_queue_mean"),
                       line={"width": 2, "color": OKABE_ITO["blue"]}, visible=visible, meta={"region": region},
                       hovertemplate="%{y:,.2f}<extra></extra>")
        )  # fmt: skip
    _layout(fig, lab, lab("region_t_queue"))
    fig.update_yaxes(title_text=lab("axis:youths"), rangemode="tozero")
    return fig


def region_section(data, lab: Labels, chart) -> str | None:
    """The section's HTML (selector, one table per region, the chart), or None with fewer than two regions."""
    regions = regions_of(data)
    if not regions:
        return None
    options = "".join(f'<option value="{escape(r)}">{escape(r)}</option>' for r in regions)
    panels = "".join(
        f'<div class="region-panel" data-region="{escape(r)}"{"" if i == 0 else " hidden"}>'
        f"{region_table(data.summary, r, lab)}</div>"
        for i, r in enumerate(regions)
    )
    select = (
        f'<p><label for="region-select">{escape(lab("region_pick"))}</label> '
        f'<select id="region-select">{options}</select></p>'
    )
    return (
        f'<p class="read">{escape(lab("read_regions"))}</p>{select}{panels}'
        f"{chart('region_queue', region_queue_figure(data.timeseries, regions, lab), lab)}"
    )
