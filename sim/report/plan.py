"""``size_by_year.html``: the capacity plan of ``kapsim size --by-year``, from its files only.

Two charts: the places the plan needs each year against the offered load (the youths who would be in place
if nobody waited: the M(t)/G/infinity mean of the year), and the target metric in each year at the plan's
places with its 95 % interval and the threshold; then the plan as a table.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from sim.report.figures import _layout
from sim.report.labels import OKABE_ITO, Labels
from sim.report.page import chart, document
from sim.run import folder


def load(out_dir: Path) -> dict:
    path = Path(out_dir) / folder.SIZE_BY_YEAR_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{out_dir} is not the folder of kapsim size --by-year: {path.name} missing")
    return json.loads(path.read_text(encoding="utf-8"))


def places_figure(plan: dict, lab: Labels) -> go.Figure:
    years = [a["year"] for a in plan["years"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=years, y=[a["places"] for a in plan["years"]], name=lab("plan_places"),
               marker_color=OKABE_ITO["blue"], hovertemplate="%{x}: %{y} " + lab("u_places") + "<extra></extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=years, y=[a["offered_load"] for a in plan["years"]], name=lab("plan_load"), mode="lines+markers",
                   line={"color": OKABE_ITO["vermillion"], "width": 2},
                   hovertemplate="%{x}: %{y:.1f}<extra></extra>")
    )  # fmt: skip
    fig.add_hline(y=plan["today"], line_dash="dot", line_color="#555", annotation_text=lab("plan_today"))
    _layout(fig, lab, lab("plan_t_places"), barmode="overlay")
    fig.update_xaxes(title_text=lab("ax_year"), dtick=1, tickformat="d")
    fig.update_yaxes(title_text=lab("ax_youths_places"), rangemode="tozero")
    return fig


def target_figure(plan: dict, lab: Labels) -> go.Figure:
    years = [a["year"] for a in plan["years"]]
    mean = np.array([a["mean"] for a in plan["years"]], dtype=float)
    lo = np.array([a["ci_low"] for a in plan["years"]], dtype=float)
    hi = np.array([a["ci_high"] for a in plan["years"]], dtype=float)
    threshold = float(plan["threshold"])
    fig = go.Figure(
        go.Scatter(
            x=years, y=mean, mode="markers+lines", name=plan["target"], line={"color": OKABE_ITO["blue"]},
            error_y={"type": "data", "symmetric": False, "array": np.nan_to_num(hi - mean),
                     "arrayminus": np.nan_to_num(mean - lo)},
            hovertemplate="%{x}: %{y:.4g}<extra></extra>",
        )
    )  # fmt: skip
    if np.isfinite(threshold):
        fig.add_hline(
            y=threshold, line_dash="dash", line_color=OKABE_ITO["vermillion"], annotation_text=lab("plan_threshold")
        )
    _layout(fig, lab, lab("plan_t_target", target=plan["target"]))
    fig.update_xaxes(title_text=lab("ax_year"), dtick=1, tickformat="d")
    fig.update_yaxes(title_text=lab("u_value"), rangemode="tozero")
    return fig


def _table(plan: dict, lab: Labels) -> str:
    head = "".join(
        f'<th class="num">{escape(lab(k))}</th>' for k in ("plan_places", "plan_added", "plan_load", "plan_value")
    )
    rows = []
    for a in plan["years"]:
        ci = f"{lab.num(a['ci_low'], 4)} {lab('ci_to')} {lab.num(a['ci_high'], 4)}"
        status = lab(f"plan_status_{a['status']}")
        rows.append(
            f'<tr><td>{a["year"]}{"*" if a["partial"] else ""}</td><td class="num">{a["places"]}</td>'
            f'<td class="num">{a["added"]:+d}</td><td class="num">{escape(lab.num(a["offered_load"], 1))}</td>'
            f'<td class="num">{escape(lab.num(a["mean"], 4))}<small>{escape(ci)}</small></td>'
            f"<td>{escape(status)}</td></tr>"
        )
    return (
        f'<table class="plan"><thead><tr><th>{escape(lab("ax_year"))}</th>{head}<th>{escape(lab("plan_status"))}</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render(plan: dict, lab: Labels) -> str:
    title = lab("plan_title", target=plan["target"])
    header = f'<h1>{escape(title)}</h1><p class="sub">{escape(lab("plan_subtitle", **_facts(plan, lab)))}</p>'
    body = [
        f'<section id="plan"><h2>{escape(lab("plan_sec"))}</h2><p class="read">{escape(lab("plan_read"))}</p>'
        f"<p>{escape(_rule(plan, lab))}</p>{chart('places', places_figure(plan, lab), lab)}"
        f"{chart('target', target_figure(plan, lab), lab)}{_table(plan, lab)}</section>"
    ]
    return document(lab, title, header, body, f"<p>{escape(lab('plan_tried', n=len(plan['tried'])))}</p>")


def _rule(plan: dict, lab: Labels) -> str:
    bound = lab("plan_upper") if plan["op"] in ("<=", "<") else lab("plan_lower")
    cuts = "" if plan["allow_cuts"] else lab("plan_no_cuts")
    threshold = lab.num(plan["threshold"], 4).rstrip("0").rstrip(",.")
    return lab("plan_rule", confidence=lab.pct(plan["confidence"], 0), bound=bound, op=plan["op"],
               threshold=threshold, cuts=cuts)  # fmt: skip


def _facts(plan: dict, lab: Labels) -> dict[str, str]:
    return {
        "lever": plan["lever"],
        "today": str(plan["today"]),
        "reps": lab.num(plan["replications"], 0),
        "confidence": lab.pct(plan["confidence"], 0),
    }
