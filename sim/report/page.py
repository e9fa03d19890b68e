"""One self-contained HTML page: headline, charts and assumptions, with plotly.js embedded once.

The page loads nothing from the network (a Content-Security-Policy forbids it) and opens from file://.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from sim.report import figures, regions, rule, yearly
from sim.report.data import ReportData, metric, series
from sim.report.labels import Labels
from sim.report.tables import _value, scenario_tables
from sim.results import metrics as catalogue
from sim.results.summaries import shown as shown_headline

# (anchor, title key, how-to-read key, chart keys)
SECTIONS = (
    ("years", "sec_years", "read_years", ("years",)),
    ("occupancy", "sec_occupancy", "read_occupancy", ("occupancy",)),
    ("season", "sec_season", "read_season", ("season",)),
    ("queue", "sec_queue", "read_queue", ("queue",)),
    ("waits", "sec_waits", "read_waits", ("waits",)),
    ("utilisation", "sec_heat", "read_heat", ("heat",)),
    ("flows", "sec_flows", "read_flows", ("admissions", "out_of_region")),
    ("costs", "sec_costs", "read_costs", ("costs",)),
)
# shown only when the scenario used them: (anchor, title key, how-to-read key, chart keys)
POLICY_SECTION = ("policies", "sec_policies", "read_policies", ("policies", "flexible"))
RULE_SECTION = ("rule", "sec_rule", "read_rule", ("rule",))

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)

CSS = """
:root { --ink: #222; --muted: #555; --rule: #ddd; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
       color: var(--ink); background: #fafafa; line-height: 1.45; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 0 0 6px; }
h3 { font-size: 1.05rem; margin: 18px 0 6px; }
.sub, .read, footer { color: var(--muted); }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 10px 0 0; }
nav a { color: var(--accent); }
section { background: white; border: 1px solid var(--rule); border-radius: 6px; padding: 16px 18px; margin: 16px 0; }
.headline p { margin: 6px 0; font-size: 1.05rem; }
.chart { width: 100%; min-height: 300px; }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td small { display: block; color: var(--muted); font-size: 0.8rem; }
table.comparison td:first-child { min-width: 13em; }
.experiment-wrap { overflow-x: auto; }
.institutions tbody tr:last-child td { font-weight: 600; border-top: 2px solid #999; }
code { font-size: 0.85rem; word-break: break-all; }
footer { font-size: 0.85rem; padding-bottom: 30px; }
@media print { section { break-inside: avoid; border: none; } nav { display: none; } body { background: white; } }
"""

LOADER = """
(function () {
  "use strict";
  var locale = %(locale)s;
  var config = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"],
                toImageButtonOptions: {format: "png", scale: 2}};
  if (locale) { Plotly.register(locale); config.locale = locale.name; }
  var jobs = [];
  document.querySelectorAll("script.figure-data").forEach(function (node) {
    var fig = JSON.parse(node.textContent);
    jobs.push(Plotly.newPlot(document.getElementById(node.dataset.chart), fig.data, fig.layout, config));
  });
  var pick = document.getElementById("region-select");
  if (pick) {
    pick.addEventListener("change", function () {
      document.querySelectorAll(".region-panel").forEach(function (p) { p.hidden = p.dataset.region !== pick.value; });
      var div = document.getElementById("chart-region_queue");
      if (div && div.data) {
        Plotly.restyle(div, {visible: div.data.map(function (t) { return !!t.meta && t.meta.region === pick.value; })});
      }
    });
  }
  Promise.all(jobs).then(function () {
    window.kapsimReady = true;
    document.documentElement.setAttribute("data-ready", "true");
  });
})();
"""


def build_figures(data: ReportData, lab: Labels) -> dict[str, go.Figure | None]:
    """Every chart of the report by key (None where the run has no data for it)."""
    ts, summary = data.timeseries, data.summary
    return {
        "occupancy": figures.occupancy_fan(ts, lab, data.observed),
        "season": figures.seasonal(ts, lab),
        "queue": figures.waiting_list(ts, lab),
        "waits": figures.waits_by_type(summary, lab),
        "heat": figures.utilisation_heatmap(ts, lab),
        "admissions": figures.admissions(summary, data.scenario, lab),
        "out_of_region": figures.out_of_region(summary, data.scenario, lab),
        "costs": figures.costs(summary, lab),
        "policies": figures.policies(summary, lab),
        "years": yearly.by_year_figure(data.by_year, lab),
        "rule": rule.rule_figure(data.decisions, ts, lab),
        "flexible": figures.flexible_over_time(ts, data.scenario, lab),
    }


def _facts(data: ReportData, lab: Labels) -> dict[str, str]:
    h = data.scenario.get("horizon") or {}
    reps = data.manifest.get("replications") or h.get("replications")
    start = h.get("start")
    return {
        "name": str(data.manifest.get("scenario") or data.scenario.get("name") or "scenario"),
        "reps": lab.num(reps, 0) if reps is not None else "?",
        "years": _value(lab, h.get("years")) if h.get("years") is not None else "?",
        "start": lab.date(start) if start else "?",
    }


def headline(data: ReportData, lab: Labels) -> str:
    """Plain sentences with the main results, and a table of the same figures with their intervals."""
    got = _headline_figures(data, lab)
    return "".join(f"<p>{p}</p>" for p in _sentences(data, got, lab)) + _key_figure_table(got, lab)


Figures = dict[str, tuple[dict, Callable[[float], str]]]  # "metric:NAME:TYPE" -> (summary row, formatter)


def _headline_figures(data: ReportData, lab: Labels) -> Figures:
    """The catalogue's headline figures the run has, each with the formatter of its unit."""

    def fmt(h: catalogue.Headline) -> Callable[[float], str]:
        unit = catalogue.UNITS[h.spec.unit]
        if h.metric == "places_open_mean":  # whole places unless they vary
            return lambda x: lab.num(x, 0 if abs(x - round(x)) < 0.05 else 1)
        if unit.kind == "share":
            return lab.pct
        if unit.kind == "money":
            return lab.mio_kr
        return lambda x: lab.num(x, unit.decimals)

    return {
        f"metric:{h.metric}:{h.placement_type}": (metric(data.summary, h.metric, "national", h.placement_type), fmt(h))
        for h in shown_headline(data.summary)
    }


def _sentences(data: ReportData, got: Figures, lab: Labels) -> list[str]:
    def mean(name: str) -> str:
        r, f = got[f"metric:{name}"]
        return f(r["mean"])

    def ci(name: str) -> str:
        r, f = got[f"metric:{name}"]
        return escape(lab.interval(r["ci_low"], r["ci_high"], f))

    def have(*names: str) -> bool:
        return all(f"metric:{n}" in got for n in names)

    occ, places, util = "occupancy_mean:all", "places_open_mean:all", "utilisation:all"
    wait, over1, over7 = "wait_days_mean:remand", "p_wait_over_1_day:remand", "p_wait_over_7_days:remand"
    queue, full, cost = "queue_length_mean:all", "days_full_share:all", "cost_per_year:all"
    out = [escape(lab("hl_based_on", **_facts(data, lab)))]
    if have(occ, places, util):
        out.append(
            lab("hl_occupancy", occ=mean(occ), occ_ci=ci(occ), places=mean(places), util=mean(util), util_ci=ci(util))
        )
    if have(queue):
        out.append(lab("hl_queue", queue=mean(queue), queue_ci=ci(queue)))
    if have(wait, over1, over7):
        out.append(lab("hl_remand", wait=mean(wait), wait_ci=ci(wait), over1=mean(over1), over1_ci=ci(over1),
                       over7=mean(over7), over7_ci=ci(over7)))  # fmt: skip
    if have(full):
        out.append(lab("hl_full", full=mean(full), full_ci=ci(full)))
    if have(cost):
        out.append(lab("hl_cost", cost=mean(cost), cost_ci=ci(cost)))
    observed = observed_sentence(data, lab)
    if observed:
        out.append(observed)
    return out


def _key_figure_table(got: Figures, lab: Labels) -> str:
    rows = "".join(
        f'<tr><td>{escape(lab(key))}</td><td class="num">{escape(f(r["mean"]))}</td>'
        f'<td class="num">{escape(lab.span(r["ci_low"], r["ci_high"], f))}</td></tr>'
        for key, (r, f) in got.items()
    )
    return (
        f'<h3>{escape(lab("key_figures"))}</h3><table class="key-figures"><thead><tr>'
        f'<th>{escape(lab("col_figure"))}</th><th class="num">{escape(lab("col_mean"))}</th>'
        f'<th class="num">{escape(lab("col_ci"))}</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def observed_sentence(data: ReportData, lab: Labels) -> str | None:
    """How often the observed national occupancy lies inside the simulated 90 % range (daily data)."""
    occ = series(data.timeseries, "occupancy", "national")
    seen = figures.observed_within(data.observed, "national", occ.date if len(occ) else pd.Series(dtype=object))
    if not len(seen):
        return None
    source = escape(str(seen.source.iloc[0])) if "source" in seen else ""
    if (seen.period == "month").any():
        return lab("hl_observed_month", source=source)
    band = occ.set_index("date").loc[seen.date, ["p05", "p95"]].to_numpy()
    inside = (seen.occupied.to_numpy() >= band[:, 0]) & (seen.occupied.to_numpy() <= band[:, 1])
    return lab("hl_observed", source=source, inside=lab.pct(inside.mean()), days=lab.num(len(seen), 0))


def policy_sentences(summary, lab: Labels) -> list[str]:
    """Plain sentences (HTML) on flexible and emergency places and moves nearer home; empty if none were used."""

    def get(name: str):
        row = metric(summary, name)
        return row if figures.used(row) else None

    def ci(row, decimals: int = 1) -> str:
        return escape(lab.interval(row["ci_low"], row["ci_high"], lambda x: lab.num(x, decimals)))

    def num(row, decimals: int = 1) -> str:
        return lab.num(row["mean"], decimals) if row is not None else lab.num(0.0, decimals)

    out = []
    flex_open, openings = get("flex_places_open_mean"), get("flex_openings_per_year")
    if flex_open or openings:
        row = flex_open or metric(summary, "flex_places_open_mean")
        out.append(lab("pol_flex", open=num(flex_open, 2), open_ci=ci(row, 2), openings=num(openings, 1)))
    admissions, days = get("emergency_admissions_per_year"), get("emergency_place_days_per_year")
    if admissions:
        out.append(lab("pol_emergency", admissions=num(admissions), admissions_ci=ci(admissions), days=num(days, 0)))
        stay, longest = get("emergency_days_mean"), get("emergency_days_max")
        if stay:
            overdue = get("emergency_overdue_per_year")
            out.append(lab("pol_emergency_stay", mean=num(stay), max=num(longest), overdue=num(overdue)))
    moves = get("moves_nearer_home_per_year")
    if moves:
        out.append(lab("pol_moves", moves=num(moves), moves_ci=ci(moves)))
    return out


def chart(key: str, fig: go.Figure | None, lab: Labels) -> str:
    """A chart's div and its figure as embedded JSON, or a note when there is no figure."""
    if fig is None:
        return f'<p class="missing">{escape(lab("no_data"))}</p>'
    return (
        f'<div class="chart" id="chart-{key}" data-chart="{key}"></div>'
        f'<script type="application/json" class="figure-data" data-chart="chart-{key}">'
        f"{_figure_json(fig)}</script>"
    )


def document(lab: Labels, title: str, header: str, body: list[str], footer: str) -> str:
    """The whole page: CSP, styles, plotly.js once, the header (HTML), sections (HTML) and footer, and the loader."""
    locale = json.dumps(lab.plotly_locale(), ensure_ascii=False).replace("<", "\\u003c")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{lab.lang}">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            f"<script>{get_plotlyjs()}</script>",
            "</head>",
            "<body>",
            f"<header>{header}</header>",
            "<main>",
            *body,
            "</main>",
            f"<footer>{footer}</footer>",
            f"<script>{LOADER % {'locale': locale}}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def made_by(manifest: dict, lab: Labels) -> str:
    """The footer line: kapsim version, command, commit and scenario hash of a run's manifest."""
    m = manifest
    if not m:
        return ""
    return (
        f"<p>{escape(lab('made_by', version=str(m.get('kapsim_version', '?'))))} "
        f"<code>{escape(str(m.get('command', '')))}</code>"
        f"{(' · commit <code>' + escape(str(m['commit'])) + '</code>') if m.get('commit') else ''}"
        f" · scenario sha256 <code>{escape(str(m.get('scenario_sha256', '')))}</code></p>"
    )


def _figure_json(fig: go.Figure) -> str:
    # '/' is already escaped by plotly's encoder; escape '<' too so no '</script>' can close the element
    return fig.to_json(validate=False).replace("<", "\\u003c")


def render(data: ReportData, lab: Labels) -> str:
    """The whole page as one string."""
    facts = _facts(data, lab)
    figs = build_figures(data, lab)
    sections = [s for s in SECTIONS if s[0] != "years" or figs["years"] is not None]
    if figs["policies"] is not None or figs["flexible"] is not None:
        sections.append(POLICY_SECTION)
    if figs["rule"] is not None:
        sections.append(RULE_SECTION)
    nav = "".join(f'<li><a href="#{a}">{escape(lab(t))}</a></li>' for a, t, _, _ in sections)
    nav = f'<li><a href="#headline">{escape(lab("sec_headline"))}</a></li>{nav}'
    nav += f'<li><a href="#scenario">{escape(lab("sec_scenario"))}</a></li>'
    body = [
        f'<section id="headline" class="headline"><h2>{escape(lab("sec_headline"))}</h2>{headline(data, lab)}</section>'
    ]
    for anchor, title, read, keys in sections:
        charts = [chart(key, figs.get(key), lab) for key in keys if anchor != "policies" or figs.get(key) is not None]
        if anchor == "policies" and figs["flexible"] is not None:
            charts.insert(len(charts) - 1, f'<p class="read">{escape(lab("read_flex_time"))}</p>')
        intro = f'<p class="read">{escape(lab(read))}</p>'
        if anchor == "policies":
            intro = "".join(f"<p>{p}</p>" for p in policy_sentences(data.summary, lab)) + intro
        if anchor == "years":
            charts.append(yearly.by_year_table(data.by_year, lab))
        body.append(f'<section id="{anchor}"><h2>{escape(lab(title))}</h2>{intro}' + "".join(charts) + "</section>")
    region = regions.region_section(data, lab, chart)
    if region is not None:
        body.insert(1, f'<section id="regions"><h2>{escape(lab("sec_regions"))}</h2>{region}</section>')
        nav = nav.replace("</a></li>", f'</a></li><li><a href="#regions">{escape(lab("sec_regions"))}</a></li>', 1)
    body.append(
        f'<section id="scenario"><h2>{escape(lab("sec_scenario"))}</h2>'
        f"<p>{escape(str(data.scenario.get('description') or ''))}</p>{scenario_tables(data.scenario, lab)}</section>"
    )
    title = lab("title", name=facts["name"])
    header = (
        f'<h1>{escape(title)}</h1><p class="sub">{escape(lab("subtitle", **facts))}</p>'
        f'<nav aria-label="{escape(lab("contents"))}"><ul>{nav}</ul></nav>'
    )
    return document(lab, title, header, body, made_by(data.manifest, lab))
