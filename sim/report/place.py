"""``place.html``: where ``kapsim place`` puts the extra places, from ``place.json`` only.

The answer and how it was found; a chart of every simulated allocation's mean with its 95 % interval
(the screened-out ones are listed in place.csv); the answer's effect in each region (paired differences
against the scenario as it is) as a chart and a table.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import plotly.graph_objects as go

from sim.report.figures import _layout
from sim.report.labels import OKABE_ITO, Labels
from sim.report.page import chart, document
from sim.results import metrics as catalogue
from sim.run import folder

STATUS_COLOURS = {
    "selected": OKABE_ITO["green"],
    "eliminated": OKABE_ITO["sky"],
    "undecided": OKABE_ITO["orange"],
}


def load(out_dir: Path) -> dict:
    path = Path(out_dir) / folder.PLACE_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{out_dir} is not the folder of kapsim place: {path.name} missing")
    return json.loads(path.read_text(encoding="utf-8"))


def _added(added: dict, lab: Labels) -> str:
    return ", ".join(f"+{v} {lab.scope(k)}" for k, v in added.items()) or lab("place_nothing")


def _value(x, metric: str, lab: Labels) -> str:
    if x is None:
        return "–"
    unit = catalogue.UNITS[catalogue.CATALOGUE[metric].unit]
    if unit.kind == "share":
        return lab.pct(x, 1)
    if unit.kind == "money":
        return lab.mio_kr(x)
    return lab.num(x, unit.decimals)


def candidates_figure(place: dict, lab: Labels) -> go.Figure | None:
    shown = [c for c in place["candidates"] if c["status"] in STATUS_COLOURS]
    if not shown:
        return None
    shown.sort(key=lambda c: c["mean"], reverse=True)
    metric = place["question"]["metric"]
    kind = catalogue.UNITS[catalogue.CATALOGUE[metric].unit].kind
    scale = {"share": 100.0, "money": 1e-6}.get(kind, 1.0)
    fig = go.Figure()
    for status, colour in STATUS_COLOURS.items():
        rows = [c for c in shown if c["status"] == status]
        if not rows:
            continue
        fig.add_trace(
            go.Scatter(
                x=[c["mean"] * scale for c in rows], y=[_added(c["added"], lab) for c in rows], mode="markers",
                name=lab(f"place_status_{status}"), marker={"color": colour, "size": 10},
                error_x={"type": "data", "symmetric": False,
                         "array": [(c["ci_high"] - c["mean"]) * scale for c in rows],
                         "arrayminus": [(c["mean"] - c["ci_low"]) * scale for c in rows]},
                customdata=[c["replications"] for c in rows],
                hovertemplate="%{y}: %{x:.3g} (%{customdata} " + lab("place_reps") + ")<extra></extra>",
            )
        )  # fmt: skip
    _layout(fig, lab, lab("place_t_candidates"), height=max(320, 60 + 32 * len(shown)))
    fig.update_yaxes(categoryorder="array", categoryarray=[_added(c["added"], lab) for c in shown], automargin=True)
    fig.update_xaxes(title_text=lab(f"metric:{metric}:{place['question']['placement_type']}"))
    return fig


def effects_figure(place: dict, lab: Labels) -> go.Figure | None:
    rows = [e for e in place["regional_effects"] if e["metric"] == "wait_days_mean" and e["scope"] != "national"]
    if not rows:
        return None
    fig = go.Figure(
        go.Bar(
            x=[lab.scope(e["scope"]) for e in rows], y=[e["difference"] for e in rows],
            marker_color=OKABE_ITO["blue"], name=lab("place_difference"),
            error_y={"type": "data", "symmetric": False,
                     "array": [e["ci_high"] - e["difference"] for e in rows],
                     "arrayminus": [e["difference"] - e["ci_low"] for e in rows]},
            hovertemplate="%{x}: %{y:+.2f}<extra></extra>",
        )
    )  # fmt: skip
    _layout(fig, lab, lab("place_t_effects"))
    fig.update_yaxes(title_text=lab("axis:days"))
    return fig


def _effects_table(place: dict, lab: Labels) -> str:
    """One row per scope, one column per figure: today, with the answer, and the change with its interval."""
    effects = place["regional_effects"]
    columns = list(dict.fromkeys((e["metric"], e["placement_type"]) for e in effects))
    scopes = list(dict.fromkeys(e["scope"] for e in effects))
    cell = {(e["scope"], e["metric"], e["placement_type"]): e for e in effects}
    head = "".join(f'<th class="num">{escape(lab(f"metric:{m}:{t}"))}</th>' for m, t in columns)
    rows = []
    for scope in scopes:
        cells = []
        for m, t in columns:
            e = cell.get((scope, m, t))
            if e is None:
                cells.append('<td class="num">–</td>')
                continue
            fmt = lambda x, m=m: _value(x, m, lab)  # noqa: E731
            change = f"{fmt(e['difference'])} ({lab.span(e['ci_low'], e['ci_high'], fmt)})"
            cells.append(
                f'<td class="num">{escape(fmt(e["base"]))} → {escape(fmt(e["answer"]))}'
                f"<small>{escape(change)}</small></td>"
            )
        rows.append(f"<tr><td>{escape(lab.scope(scope))}</td>{''.join(cells)}</tr>")
    return (
        f'<p class="read">{escape(lab("place_table_read"))}</p><table class="place"><thead><tr>'
        f"<th>{escape(lab('place_scope'))}</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _answer(place: dict, lab: Labels) -> str:
    q, obj = place["question"], place["objective"]
    metric = q["metric"]
    fmt = lambda x: _value(x, metric, lab)  # noqa: E731
    if place["decided"]:
        a = obj["answer"]
        text = lab("place_answer", added=_added(place["answer"], lab), mean=fmt(a["mean"]),
                   ci=lab.span(a["ci_low"], a["ci_high"], fmt), n=a["replications"])  # fmt: skip
    else:
        text = lab("place_undecided", delta=lab.num(place["delta"], 3))
    parts = [f"<p><strong>{escape(text)}</strong></p>"]
    if "runner_up" in obj:
        r, d = obj["runner_up"], obj["difference"]
        text = lab("place_runner_up", added=_added(r["added"], lab), mean=fmt(r["mean"]), diff=fmt(d["mean"]),
                   ci=lab.span(d["ci_low"], d["ci_high"], fmt))  # fmt: skip
        parts.append(f"<p>{escape(text)}</p>")
    same = sum(c["status"] == "equivalent" for c in place["candidates"])
    if same:
        parts.append(f"<p>{escape(lab('place_equivalent', n=same))}</p>")
    return "".join(parts)


def render(place: dict, lab: Labels) -> str:
    q = place["question"]
    title = lab("place_title", target=q["target"])
    sub = lab("place_subtitle", add=q["add"], step=q["step"], over=lab(f"place_over_{q['over']}"),
              pcs=lab.pct(place["pcs"], 0), delta=lab.num(place["delta"], 3))  # fmt: skip
    header = f'<h1>{escape(title)}</h1><p class="sub">{escape(sub)}</p>'
    body = [
        f'<section id="answer"><h2>{escape(lab("place_sec_answer"))}</h2>{_answer(place, lab)}'
        f'<p class="read">{escape(lab("place_read"))}</p>{chart("candidates", candidates_figure(place, lab), lab)}'
        "</section>",
        f'<section id="regions"><h2>{escape(lab("place_sec_regions"))}</h2>'
        f'<p class="read">{escape(lab("place_read_regions"))}</p>{chart("effects", effects_figure(place, lab), lab)}'
        f"{_effects_table(place, lab)}</section>",
    ]
    footer = f"<p>{escape(lab('place_footer', n=len(place['candidates']), reps=place['replications']))}</p>"
    return document(lab, title, header, body, footer)
