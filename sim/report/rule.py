"""The report's capacity-rule chart: the places the rule decided against occupancy, and what it decided when.

Read from ``decisions.csv`` (every review in every replication) and ``timeseries.parquet``: the open places
and the youths placed nationally (means over the replications, with the 90 % range of the open places), and
under them, at each review date, the share of the replications that added places and that removed some.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.report.data import series
from sim.report.figures import _date_hover, _dates, _layout
from sim.report.labels import OKABE_ITO, Labels


def rule_figure(decisions: pd.DataFrame, ts: pd.DataFrame, lab: Labels) -> go.Figure | None:
    if decisions is None or not len(decisions):
        return None
    places, occ = series(ts, "places_open", "national"), series(ts, "occupancy", "national")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.06)
    if len(places):
        x = _dates(places.date)
        hover = "%{x|" + _date_hover(lab) + "}: %{y:.1f}<extra></extra>"
        fig.add_trace(go.Scatter(**x, y=places.p95, mode="lines", line={"width": 0}, showlegend=False,
                                 hoverinfo="skip"), row=1, col=1)  # fmt: skip
        fig.add_trace(
            go.Scatter(**x, y=places.p05, mode="lines", line={"width": 0}, fill="tonexty",
                       fillcolor="rgba(0, 114, 178, 0.16)", name=lab("rule_places_band"), hoverinfo="skip"),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(**x, y=places["mean"], mode="lines", line={"color": OKABE_ITO["blue"], "width": 2},
                       name=lab("rule_places"), hovertemplate=hover),
            row=1, col=1,
        )  # fmt: skip
    if len(occ):
        hover = "%{x|" + _date_hover(lab) + "}: %{y:.1f}<extra></extra>"
        fig.add_trace(
            go.Scatter(**_dates(occ.date), y=occ["mean"], mode="lines", line={"color": OKABE_ITO["black"], "width": 1},
                       name=lab("rule_occupancy"), hovertemplate=hover),
            row=1, col=1,
        )  # fmt: skip
    n = decisions["replication"].nunique()
    by_date = decisions.groupby("date")["action"]
    share = pd.DataFrame({"add": by_date.apply(lambda a: np.sum(a == "add") / n),
                          "remove": by_date.apply(lambda a: np.sum(a == "remove") / n)})  # fmt: skip
    dates = pd.to_datetime(share.index)
    for column, sign, name, colour in (
        ("add", 1, lab("rule_add"), OKABE_ITO["green"]),
        ("remove", -1, lab("rule_remove"), OKABE_ITO["vermillion"]),
    ):
        fig.add_trace(
            go.Bar(x=dates, y=sign * share[column] * 100, name=name, marker_color=colour,
                   width=20 * 86_400_000, hovertemplate="%{x|%Y-%m-%d}: %{customdata:.0f} %<extra></extra>",
                   customdata=share[column] * 100),
            row=2, col=1,
        )  # fmt: skip
    _layout(fig, lab, lab("rule_t"), height=560, barmode="relative")
    fig.update_yaxes(title_text=lab("ax_youths_places"), row=1, col=1, rangemode="tozero")
    fig.update_yaxes(title_text=lab("rule_ax_share"), row=2, col=1)
    fig.update_xaxes(title_text=lab("date"), row=2, col=1)
    fig.update_xaxes(showticklabels=False, row=1, col=1)  # the dates are under the second panel
    return fig
