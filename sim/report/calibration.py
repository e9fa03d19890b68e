"""``calibration.html`` and ``backtest.html``: one self-contained page (plotly.js embedded once, no network).

Observed rows against the simulated mean and its 90 % band, grouped by measure and placement type; the
residuals in simulated standard deviations; for episodes, Kaplan-Meier curves against the fitted stay
distributions and monthly admissions against the GLM.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from sim.run.files import atomic_text

SERIES_DAYS = 40
Z90 = 3.29  # width of a normal 90 % range in standard deviations


def _mid(table: pd.DataFrame) -> pd.Series:
    start, end = pd.to_datetime(table["start"]), pd.to_datetime(table["end"])
    return start + (end - start) / 2


def _layout(fig: go.Figure, title: str, ytitle: str, cut: pd.Timestamp | None) -> go.Figure:
    fig.update_layout(
        title=title, yaxis_title=ytitle, template="plotly_white", height=380, margin=dict(l=60, r=20, t=50, b=40),
        legend=dict(orientation="h", y=-0.15),
    )  # fmt: skip
    if cut is not None:
        fig.add_vline(x=cut, line_dash="dash", line_color="grey")
        fig.add_annotation(x=cut, y=1, yref="paper", text="cut", showarrow=False, xanchor="left")
    return fig


def _series_figure(rows: pd.DataFrame, title: str, ytitle: str, cut) -> go.Figure:
    rows = rows.assign(x=_mid(rows)).sort_values("x")
    fig = go.Figure()
    if len(rows) > 12:  # a series: a band
        fig.add_trace(go.Scatter(x=rows.x, y=rows.simulated_p95, mode="lines", line=dict(width=0), showlegend=False,
                                 hoverinfo="skip"))  # fmt: skip
        fig.add_trace(go.Scatter(x=rows.x, y=rows.simulated_p05, mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor="rgba(31,119,180,0.2)", name="simulated 90 % range"))  # fmt: skip
        fig.add_trace(go.Scatter(x=rows.x, y=rows.simulated_mean, mode="lines", line=dict(color="#1f77b4"),
                                 name="simulated mean"))  # fmt: skip
    else:  # a few yearly figures: a bar from 5 % to 95 % at each
        up, down = rows.simulated_p95 - rows.simulated_mean, rows.simulated_mean - rows.simulated_p05
        bars = dict(type="data", symmetric=False, array=up, arrayminus=down, width=6)
        marker = dict(color="#1f77b4", symbol="line-ew-open", size=16, line=dict(width=2))
        fig.add_trace(go.Scatter(x=rows.x, y=rows.simulated_mean, mode="markers", name="simulated mean, 90 % range",
                                 marker=marker, error_y=bars))  # fmt: skip
    if rows["surrogate"].notna().any():
        fig.add_trace(go.Scatter(x=rows.x, y=rows.surrogate, mode="lines", line=dict(color="#2ca02c", dash="dot"),
                                 name="surrogate (unlimited places)"))  # fmt: skip
    kinds = [
        ("observed, fitted", rows.used_in_fit & ~rows.censored, dict(color="black", symbol="circle")),
        ("observed, capacity-bound (demand at least this)", rows.censored, dict(color="#d62728", symbol="triangle-up")),
        ("observed, shown only", ~rows.used_in_fit & ~rows.censored, dict(color="grey", symbol="circle-open")),
    ]
    many = len(rows) > 60
    for name, sel, marker in kinds:
        if sel.any():
            sub = rows[sel]
            fig.add_trace(go.Scatter(x=sub.x, y=sub.observed, mode="markers", name=name,
                                     marker=dict(size=4 if many else 8, **marker),
                                     text=sub.note, hovertemplate="%{x|%Y-%m-%d}: %{y:.4g}<br>%{text}"))  # fmt: skip
    return _layout(fig, title, ytitle, cut)


UNITS = {
    "admissions": "admissions per year", "share_of_admissions": "share of admissions", "mean_stay": "days",
    "mean_census": "youths in place", "occupancy": "occupied / places", "bed_days": "bed-days per year",
}  # fmt: skip


def _residual_figure(table: pd.DataFrame, cut) -> go.Figure:
    rows = table[(table.scope == "national") & table.observed.notna() & table.simulated_mean.notna()]
    rows = rows.assign(x=_mid(rows))
    sd = (rows.simulated_p95 - rows.simulated_p05) / Z90
    rows = rows.assign(z=(rows.observed - rows.simulated_mean) / sd.where(sd > 0))
    fig = go.Figure()
    for (measure, ptype), g in rows.groupby(["measure", "placement_type"]):
        fig.add_trace(go.Scatter(x=g.x, y=g.z, mode="markers", name=f"{measure} [{ptype}]",
                                 marker=dict(size=5 if len(g) > 60 else 8)))  # fmt: skip
    for y in (-1.645, 1.645):
        fig.add_hline(y=y, line_dash="dot", line_color="grey")
    return _layout(fig, "Residuals: (observed - simulated mean) / simulated standard deviation (dotted: 90 % range)",
                   "standard deviations", cut)  # fmt: skip


def _episode_figures(ep) -> list[go.Figure]:
    figs = []
    for t, tf in ep.types.items():
        fig = go.Figure()
        days, surv = tf.km
        fig.add_trace(go.Scatter(x=np.r_[0, days], y=np.r_[1, surv], mode="lines", line_shape="hv",
                                 name="Kaplan-Meier", line=dict(color="black")))  # fmt: skip
        grid = np.linspace(0, float(np.quantile(tf.stays_x, 0.99)), 200)
        for f in tf.stays:
            name = f"{f.distribution} (mean {f.mean:.1f}, cv {f.cv:.2f}, AIC {f.aic:.1f})"
            fig.add_trace(go.Scatter(x=grid, y=f.survival(grid), mode="lines", name=name))
        figs.append(_layout(fig, f"Stays of {t}: share still placed after x days ({tf.stays_censored.sum()} of "
                                 f"{tf.stays_x.size} still going on, censored)", "P(stay > x)", None))  # fmt: skip
        a = tf.admissions.table
        fig = go.Figure()
        fig.add_trace(go.Bar(x=a.start, y=a["count"], name="observed", marker_color="lightgrey"))
        fig.add_trace(go.Scatter(x=a.start, y=a.fitted, mode="lines", name="GLM fit", line=dict(color="#1f77b4")))
        figs.append(_layout(fig, f"Need arising per month, {t}: Poisson GLM (trend and season)", "youths", None))
    return figs


def _html_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0, classes="t")


def write_page(path: Path, outcome, title: str, cut: pd.Timestamp | None = None) -> Path:
    table = outcome.table
    figs: list[go.Figure] = []
    national = table[table.scope == "national"]
    short = (pd.to_datetime(national.end) - pd.to_datetime(national.start)).dt.days < SERIES_DAYS
    for (measure, ptype), g in national[short].groupby(["measure", "placement_type"]):
        figs.append(_series_figure(g, f"{measure} [{ptype}], weekly or monthly", UNITS.get(measure, ""), cut))
    for (measure, ptype), g in national[~short].groupby(["measure", "placement_type"]):
        figs.append(_series_figure(g, f"{measure} [{ptype}], yearly", UNITS.get(measure, ""), cut))
    if len(national):
        figs.append(_residual_figure(table, cut))
    if outcome.fit.episodes is not None:
        figs += _episode_figures(outcome.fit.episodes)

    rows = table[table.observed.notna() & table.simulated_mean.notna()]
    fitted = rows[rows.used_in_fit]
    summary = (
        f"{len(rows)} observed rows simulated; {rows.inside_90.mean():.0%} inside the simulated 90 % range "
        f"({fitted.inside_90.mean():.0%} of the {len(fitted)} rows used in the fit)."
        if len(rows) and len(fitted)
        else f"{len(rows)} observed rows simulated."
    )
    notes = outcome.fit.notes + outcome.history_notes
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table.t{border-collapse:collapse;font-size:0.9em}table.t td,table.t th{padding:2px 8px;"
        "border-bottom:1px solid #ddd;text-align:right}table.t td:first-child{text-align:left}</style>",
        f"<script>{get_plotlyjs()}</script></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Method: {html.escape(outcome.fit.method)}. {html.escape(summary)}</p>",
        "<h2>Fitted parameters</h2>",
        "<p>Estimate, bootstrap standard error and 90 % interval. Demand (<code>per_year</code>) and mean stays "
        "are stated on the scenario's start date.</p>",
        _html_table(outcome.fit.parameters),
    ]
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append("<h2>Observed against simulated</h2>")
    parts.append(
        "<p>Band: 5 % to 95 % of the replications of the calibrated scenario over the data's period, each "
        "with its own parameter draw. Red triangles: capacity-bound rows, fitted only as lower bounds.</p>"
    )
    for fig in figs:
        parts.append(fig.to_html(full_html=False, include_plotlyjs=False))
    parts.append("</body></html>")
    path = Path(path)
    atomic_text(path, "\n".join(parts))
    return path
