"""The report's year-by-year section: the headline figures for each calendar year, as small multiples and a table.

Read from ``summary_by_year.csv`` (a run before it existed simply has no such section). A partial first or
last year (the window holds only part of it) is drawn with an open marker and marked in the table.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.report.labels import OKABE_ITO, Labels
from sim.results import metrics as catalogue
from sim.results.summaries import shown

COLUMNS = 3  # panels per row


def figures_shown(by_year: pd.DataFrame) -> list[catalogue.Headline]:
    """The headline figures drawn per year: all the run has but the levels (places, occupancy)."""
    return [h for h in shown(by_year) if not h.context]


def _rows(by_year: pd.DataFrame, h: catalogue.Headline) -> pd.DataFrame:
    rows = by_year[(by_year.metric == h.metric) & (by_year.scope == "national")]
    return rows[rows.placement_type == h.placement_type].sort_values("year")


def _scale(h: catalogue.Headline) -> float:
    kind = h.spec.kind
    return 100.0 if kind == "share" else 1e-6 if kind == "money" else 1.0


def by_year_figure(by_year: pd.DataFrame, lab: Labels) -> go.Figure | None:
    """One panel per headline figure: its mean in each calendar year with the 95 % confidence interval."""
    specs = figures_shown(by_year) if len(by_year) else []
    if not specs:
        return None
    n_rows = math.ceil(len(specs) / COLUMNS)
    fig = make_subplots(
        rows=n_rows, cols=COLUMNS, subplot_titles=[lab(f"metric:{h.metric}:{h.placement_type}") for h in specs],
        horizontal_spacing=0.07, vertical_spacing=min(0.12, 0.6 / n_rows),
    )  # fmt: skip
    for k, h in enumerate(specs):
        row, col = 1 + k // COLUMNS, 1 + k % COLUMNS
        rows = _rows(by_year, h)
        s = _scale(h)
        mean, lo, hi = (rows[c].to_numpy(dtype=float) * s for c in ("mean", "ci_low", "ci_high"))
        partial = rows["partial"].astype(bool).to_numpy()
        unit = " %" if h.spec.kind == "share" else f" {lab('h_mio_kr')}" if h.spec.kind == "money" else ""
        fig.add_trace(
            go.Scatter(
                x=rows["year"], y=mean, mode="lines+markers", showlegend=False,
                line={"color": OKABE_ITO["blue"], "width": 2},
                marker={"size": 8, "color": OKABE_ITO["blue"], "symbol": np.where(partial, "circle-open", "circle")},
                error_y={"type": "data", "symmetric": False, "array": np.nan_to_num(hi - mean),
                         "arrayminus": np.nan_to_num(mean - lo), "color": "#333", "thickness": 1.2, "width": 3},
                customdata=np.column_stack([lo, hi, rows["days"]]),
                meta={"metric": h.metric, "ptype": h.placement_type, "scale": s},
                hovertemplate=(f"<b>%{{x}}</b><br>%{{y:,.2f}}{unit}<br>{lab('ci95')}: %{{customdata[0]:,.2f}} "
                               f"{lab('ci_to')} %{{customdata[1]:,.2f}}{unit}<br>%{{customdata[2]}} {lab('h_days')}"
                               "<extra></extra>"),
            ),
            row=row, col=col,
        )  # fmt: skip
        fig.update_xaxes(dtick=1, tickformat="d", title_text=lab("ax_year"), row=row, col=col)
        fig.update_yaxes(
            title_text=lab(f"axis:{h.spec.unit}"), ticksuffix=" %" if h.spec.kind == "share" else None,
            rangemode="tozero", row=row, col=col,
        )  # fmt: skip
    for k in range(len(specs), n_rows * COLUMNS):  # an empty cell: no bare axes
        fig.update_xaxes(visible=False, row=1 + k // COLUMNS, col=1 + k % COLUMNS)
        fig.update_yaxes(visible=False, row=1 + k // COLUMNS, col=1 + k % COLUMNS)
    fig.update_layout(
        title=lab("t_years"), height=90 + 270 * n_rows, template="plotly_white", separators=lab.separators,
        margin={"l": 50, "r": 20, "t": 80, "b": 40}, hovermode="closest",
    )  # fmt: skip
    return fig


def _cell(h: catalogue.Headline, row, lab: Labels) -> str:
    kind = h.spec.kind
    decimals = catalogue.UNITS[h.spec.unit].decimals
    if kind == "share":
        fmt = lab.pct
    elif kind == "money":
        fmt = lab.mio_kr
    else:
        fmt = lambda x: lab.num(x, decimals)  # noqa: E731
    if row is None or pd.isna(row["mean"]):
        return '<td class="num">–</td>'
    span = escape(lab.span(row["ci_low"], row["ci_high"], fmt))
    return f'<td class="num">{escape(fmt(row["mean"]))}<small>{span}</small></td>'


def by_year_table(by_year: pd.DataFrame, lab: Labels) -> str:
    """The headline figures (and the levels) by calendar year, each with its 95 % confidence interval."""
    specs = shown(by_year) if len(by_year) else []
    if not specs:
        return ""
    years = sorted(by_year["year"].unique())
    partial = by_year.groupby("year")["partial"].first().astype(bool)
    head = "".join(
        f'<th class="num">{y}{"*" if partial.get(y, False) else ""}</th>' for y in years
    )  # a partial year is starred
    body = []
    for h in specs:
        rows = _rows(by_year, h).set_index("year")
        cells = "".join(_cell(h, rows.loc[y] if y in rows.index else None, lab) for y in years)
        body.append(f"<tr><td>{escape(lab(f'metric:{h.metric}:{h.placement_type}'))}</td>{cells}</tr>")
    note = f'<p class="read">{escape(lab("read_years_partial"))}</p>' if partial.any() else ""
    return (
        f'<h3>{escape(lab("key_figures_by_year"))}</h3><div class="experiment-wrap"><table class="by-year"><thead>'
        f"<tr><th>{escape(lab('col_figure'))}</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        + note
    )
