"""comparison.html and sweep.html: self-contained pages like report.html (plotly.js embedded once, no network).

Built only from comparison.csv / sweep.csv / points.csv and each sub-folder's summary.csv, timeseries.parquet,
scenario.resolved.yaml and manifest.json.
"""

from __future__ import annotations

import math
from html import escape

from sim.report import experiment_figures as EF
from sim.report.experiments import BRIEF, CONTEXT, PLACES, ComparisonData, Spec, SweepData, national, shown
from sim.report.labels import Labels
from sim.report.page import chart, document
from sim.report.tables import _value
from sim.results import metrics as catalogue

# the columns of the sweep's table of variants
SWEEP_TABLE = (PLACES, *BRIEF)


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _decimals(spec: Spec) -> int:
    return catalogue.UNITS[catalogue.CATALOGUE[spec.metric].unit].decimals


def number_text(spec: Spec, x, lab: Labels, signed: bool = False) -> str:
    """A metric's value (or difference) as a bare number in the language's format: shares in percent (or
    percentage points), kroner in million."""
    if _missing(x):
        return "–"
    scale = 100.0 if spec.kind == "share" else 1e-6 if spec.kind == "money" else 1.0
    text = lab.num(x * scale, _decimals(spec))
    return ("+" + text) if signed and x * scale > 0 and text.strip("0,.") else text


def unit_text(spec: Spec, lab: Labels, diff: bool = False) -> str:
    """The unit after a number: ' %' (or ' percentage points' for a difference), ' million kr', or nothing."""
    if spec.kind == "share":
        return f" {lab('u_share')}" if diff else " %"
    if spec.kind == "money":
        return f" {lab('h_mio_kr')}"
    return ""


def value_text(spec: Spec, x, lab: Labels) -> str:
    """A metric's value in the language's format, with its unit."""
    return "–" if _missing(x) else number_text(spec, x, lab) + unit_text(spec, lab)


def diff_text(spec: Spec, x, lab: Labels) -> str:
    """A signed difference with its unit: shares in percentage points, kroner in million."""
    return "–" if _missing(x) else number_text(spec, x, lab, signed=True) + unit_text(spec, lab, diff=True)


def interval_text(spec: Spec, lo, hi, lab: Labels, diff: bool = False, prefix: str | None = None) -> str:
    """'95 % CI 1.2 to 3.4 %': the bounds as bare numbers, the unit once."""
    if _missing(lo) or _missing(hi):
        return f"{prefix or lab('ci95')} {lab('not_available')}"
    bounds = lab.span(lo, hi, lambda v: number_text(spec, v, lab, signed=diff))
    return f"{prefix or lab('ci95')} {bounds}{unit_text(spec, lab, diff)}"


def _cell(main: str, *subs: str) -> str:
    small = "".join(f"<small>{escape(sub)}</small>" for sub in subs if sub)
    return f'<td class="num">{escape(main)}{small}</td>'


def _wide_table(head: list[str], rows: list[str], cls: str) -> str:
    """A table of head cells and row HTML that scrolls sideways when wider than the page."""
    return (
        f'<div class="experiment-wrap"><table class="experiment {cls}"><thead><tr>{"".join(head)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _section(anchor: str, title: str, read: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2><p class="read">{escape(read)}</p>{content}</section>'


def _nav(items: list[tuple[str, str]], lab: Labels) -> str:
    links = "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t in items)
    return f'<nav aria-label="{escape(lab("contents"))}"><ul>{links}</ul></nav>'


def _footer(manifest: dict, lab: Labels) -> str:
    if not manifest:
        return ""
    commit = f" · commit <code>{escape(str(manifest['commit']))}</code>" if manifest.get("commit") else ""
    return (
        f"<p>{escape(lab('made_by', version=str(manifest.get('kapsim_version', '?'))))} "
        f"<code>{escape(str(manifest.get('command', '')))}</code>{commit}</p>"
    )


def _horizon(scenario: dict, manifest: dict, lab: Labels) -> dict[str, str]:
    h = scenario.get("horizon") or {}
    reps = manifest.get("replications") or h.get("replications")
    seed = manifest.get("seed", h.get("seed"))
    return {
        "reps": lab.num(reps, 0) if reps is not None else "?",
        "years": _value(lab, h.get("years")) if h.get("years") is not None else "?",
        "start": lab.date(h["start"]) if h.get("start") else "?",
        "seed": str(seed) if seed is not None else "?",
    }


# --- comparison -------------------------------------------------------------------------------------------


def comparison_figures(data: ComparisonData, lab: Labels) -> dict:
    """Every chart of comparison.html by key (None where the folder has no data for it)."""
    specs = shown(data.table)
    runs = {name: data.runs[name].timeseries for name in data.names if name in data.runs}
    return {
        "side": EF.compare_metrics(data.table, data.names, specs, lab),
        "diff": EF.compare_differences(data.table, data.names, specs, lab),
        "occupancy": EF.compare_occupancy(runs, lab),
        "regions": EF.compare_by_region(data.table, data.names, specs, _regions(data), lab),
    }


def _regions(data: ComparisonData) -> list[str]:
    """The reference scenario's regions, when it has more than one."""
    first = data.runs.get(data.reference)
    regions = [str(r) for r in ((first.scenario if first else {}).get("regions") or [])]
    return regions if len(regions) > 1 else []


def comparison_table(data: ComparisonData, lab: Labels) -> str:
    """Key figures: each scenario's mean and CI; under the others, the paired difference to the first."""
    head = [f"<th>{escape(lab('col_figure'))}</th>"]
    head += [f'<th class="num">{escape(name)}</th>' for name in data.names]
    rows = []
    for spec in (*CONTEXT, *shown(data.table)):
        r = national(data.table, spec).set_index("scenario")
        cells = [f"<td>{escape(lab(spec.label))}</td>"]
        for k, name in enumerate(data.names):
            if name not in r.index:
                cells.append(_cell("–"))
                continue
            x = r.loc[name]
            ci = interval_text(spec, x["ci_low"], x["ci_high"], lab)
            diff = ""
            if k:
                paired = interval_text(spec, x["diff_ci_low"], x["diff_ci_high"], lab, True, lab("paired_ci"))
                diff = f"{lab('difference')}: {diff_text(spec, x['diff_mean'], lab)} ({paired})"
            cells.append(_cell(value_text(spec, x["mean"], lab), ci, diff))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _wide_table(head, rows, "comparison")


def render_comparison(data: ComparisonData, lab: Labels) -> str:
    """comparison.html as one string."""
    first = data.runs.get(data.reference)
    facts = _horizon(first.scenario if first else {}, first.manifest if first else {}, lab)
    figs = comparison_figures(data, lab)
    ref = data.reference
    title = lab("c_title", names=", ".join(data.names))
    sections = [
        ("crn", lab("sec_crn"), "", f"<p>{escape(lab('crn_note', r='r'))}</p>"),
        ("side", lab("sec_side"), lab("read_side"), chart("side", figs["side"], lab)),
        ("diff", lab("sec_diff", ref=ref), lab("read_diff", ref=ref), chart("diff", figs["diff"], lab)),
        ("occupancy", lab("sec_c_occupancy"), lab("read_c_occupancy"), chart("occupancy", figs["occupancy"], lab)),
        ("regions", lab("sec_c_regions"), lab("read_c_regions", ref=ref), chart("regions", figs["regions"], lab)),
        ("table", lab("sec_c_table"), lab("read_c_table", ref=ref), comparison_table(data, lab)),
    ]
    body = [
        f'<section id="{a}"><h2>{escape(t)}</h2>{content}</section>' if not read else _section(a, t, read, content)
        for a, t, read, content in sections
    ]
    header = (
        f'<h1>{escape(title)}</h1><p class="sub">{escape(lab("c_subtitle", k=len(data.names), **facts))}</p>'
        + _nav([(a, t) for a, t, _, _ in sections], lab)
    )
    return document(lab, title, header, body, _footer(first.manifest if first else {}, lab))


# --- sweep ------------------------------------------------------------------------------------------------


def sweep_figures(data: SweepData, lab: Labels) -> dict:
    """Every chart of sweep.html by key (None where the folder has no data for it)."""
    specs = shown(data.table)
    return {
        "metrics": EF.sweep_metrics(data.table, data.points, data.keys, data.names, specs, lab),
        "tradeoff": EF.sweep_tradeoff(data.table, data.points, data.keys, data.names, lab),
    }


def sweep_table(data: SweepData, lab: Labels) -> str:
    """One row per point: its varied values, then a few key figures with their CIs."""
    specs = [s for s in SWEEP_TABLE if len(national(data.table, s))]
    head = [f"<th>{escape(lab('point'))}</th>"]
    head += [f"<th>{escape(data.names[k])}</th>" for k in data.keys]
    head += [f'<th class="num">{escape(lab(s.label))}</th>' for s in specs]
    by_spec = {s.label: national(data.table, s).set_index("point") for s in specs}
    rows = []
    for _, p in data.points.iterrows():
        cells = [f'<td class="num">{int(p.point)}</td>']
        cells += [f"<td>{escape(EF._text(p[k]))}</td>" for k in data.keys]
        for s in specs:
            r = by_spec[s.label]
            if p.point not in r.index:
                cells.append(_cell("–"))
                continue
            x = r.loc[p.point]
            cells.append(_cell(value_text(s, x["mean"], lab), interval_text(s, x["ci_low"], x["ci_high"], lab)))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _wide_table(head, rows, "variants")


def render_sweep(data: SweepData, lab: Labels) -> str:
    """sweep.html as one string."""
    facts = _horizon(data.scenario, data.manifest, lab)
    figs = sweep_figures(data, lab)
    name = str(data.manifest.get("scenario") or data.scenario.get("name") or "scenario")
    title = lab("s_title", name=name)
    first = data.names[data.keys[0]] if data.keys else ""
    varied = "; ".join(
        f"{data.names[k]}: {', '.join(EF._text(v) for v in dict.fromkeys(data.points[k].tolist()))}" for k in data.keys
    )
    sections = [
        ("metrics", lab("sec_s_metrics"), lab("read_s_metrics", first=first), chart("metrics", figs["metrics"], lab)),
        ("tradeoff", lab("sec_s_tradeoff"), lab("read_s_tradeoff"), chart("tradeoff", figs["tradeoff"], lab)),
        ("table", lab("sec_s_table"), lab("read_s_table"), sweep_table(data, lab)),
    ]
    body = [_section(a, t, read, content) for a, t, read, content in sections]
    header = (
        f'<h1>{escape(title)}</h1><p class="sub">{escape(lab("s_subtitle", k=len(data.points), **facts))}</p>'
        f'<p class="sub">{escape(lab("sweep_varied", keys=varied))}</p>'
        + _nav([(a, t) for a, t, _, _ in sections], lab)
    )
    return document(lab, title, header, body, _footer(data.manifest, lab))
