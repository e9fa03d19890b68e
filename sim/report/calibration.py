"""``calibration.html`` and ``backtest.html``, rendered from the data files of a calibration folder only.

``kapsim calibrate`` and ``kapsim backtest`` write the data (names from :mod:`sim.run.folder`): the fit
table (``fit.csv``, or ``backtest.csv`` with its ``window`` and ``backtest.json``), ``parameters.csv``,
``facts.json`` (title, data files, method, simulated period, cut, notes, the fitted stay families) and,
with episodes, ``curves.csv`` (Kaplan-Meier and fitted survival curves, monthly admissions and the GLM).
The page shows observed rows against the simulated mean and 90 % band by measure and placement type, the
residuals in simulated standard deviations, and the episode fits, in ``Labels(lang)``, with the report's
page helpers (plotly.js embedded once, no network).

The calibration's methods and notes are kapsim's own English sentences; in Danish each is matched against
the English of a ``cm_``/``cn_`` label (its ``{placeholders}`` match anything) and replaced by the Danish,
and a sentence no label matches is shown as it is.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.report.figures import _layout
from sim.report.labels import OKABE_ITO, TEXT, Labels
from sim.report.page import chart, document, made_by
from sim.run.folder import (
    BACKTEST_CSV,
    BACKTEST_JSON,
    BACKTEST_PAGE,
    CALIBRATION_CURVES,
    CALIBRATION_FACTS,
    CALIBRATION_PAGE,
    FIT,
    PARAMETERS,
)

SERIES_DAYS = 40  # rows shorter than this are weeks or months of a series, the rest yearly figures
Z90 = 3.29  # width of a normal 90 % range in standard deviations
BAND = "rgba(0, 114, 178, 0.2)"  # Okabe-Ito blue, light
SIM = OKABE_ITO["blue"]
FITTED, CENSORED, SHOWN = OKABE_ITO["black"], OKABE_ITO["vermillion"], OKABE_ITO["purple"]
FAMILY_COLOURS = {"lognormal": OKABE_ITO["orange"], "gamma": OKABE_ITO["sky"], "weibull": OKABE_ITO["green"]}
SHARES = ("share_of_admissions", "occupancy")  # measures that are fractions, shown in percent
PARAMETER = re.compile(
    r"^placement_types\.(?P<type>\w+)\.(?P<what>demand\.per_year|demand\.growth|"
    r"demand\.seasonality\.amplitude|stay\.mean|stay\.cv|stay\.drift)$"
)
PARAMETER_KEYS = {
    "demand.per_year": "cal_p_per_year",
    "demand.growth": "cal_p_growth",
    "demand.seasonality.amplitude": "cal_p_amplitude",
    "stay.mean": "cal_p_mean",
    "stay.cv": "cal_p_cv",
    "stay.drift": "cal_p_drift",
}


@dataclass(frozen=True)
class CalibrationData:
    """The files of one calibration or backtest folder, as the page reads them."""

    page: str  # CALIBRATION_PAGE or BACKTEST_PAGE
    table: pd.DataFrame  # fit.csv or backtest.csv
    parameters: pd.DataFrame
    facts: dict = field(default_factory=dict)
    curves: pd.DataFrame | None = None
    summary: dict = field(default_factory=dict)  # backtest.json

    @property
    def backtest(self) -> bool:
        return self.page == BACKTEST_PAGE


# --- reading ----------------------------------------------------------------------------------------------


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def read_fit_table(path: Path) -> pd.DataFrame:
    """A fit table (fit.csv or backtest.csv): texts kept as written, flags as booleans, dates as timestamps."""
    texts = ("source", "period", "measure", "scope", "placement_type", "note", "window")
    table = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in texts})
    for column in ("used_in_fit", "censored", "inside_90"):
        table[column] = table[column].astype(str).str.lower().eq("true")
    table["note"] = table["note"].fillna("")
    table["start"], table["end"] = pd.to_datetime(table["start"]), pd.to_datetime(table["end"])
    return table


def _load(folder: Path, page: str, table_name: str) -> CalibrationData:
    folder = Path(folder)
    curves = folder / CALIBRATION_CURVES
    return CalibrationData(
        page=page,
        table=read_fit_table(folder / table_name),
        parameters=pd.read_csv(folder / PARAMETERS),
        facts=_read_json(folder / CALIBRATION_FACTS),
        curves=pd.read_csv(curves, dtype={"placement_type": str, "curve": str}) if curves.is_file() else None,
        summary=_read_json(folder / BACKTEST_JSON) if page == BACKTEST_PAGE else {},
    )


def load_calibration(folder: Path) -> CalibrationData:
    """What calibration.html shows: fit.csv, parameters.csv, facts.json and curves.csv of ``folder``."""
    return _load(folder, CALIBRATION_PAGE, FIT)


def load_backtest(folder: Path) -> CalibrationData:
    """What backtest.html shows: backtest.csv, backtest.json, parameters.csv, facts.json and curves.csv."""
    return _load(folder, BACKTEST_PAGE, BACKTEST_CSV)


def page_of(folder: Path) -> str | None:
    """The page a folder's files make: calibration.html (fit.csv) or backtest.html (backtest.csv), the one
    facts.json names when both are there; None for a folder of neither."""
    folder = Path(folder)
    have = {CALIBRATION_PAGE: (folder / FIT).is_file(), BACKTEST_PAGE: (folder / BACKTEST_CSV).is_file()}
    if all(have.values()):
        named = f"{_read_json(folder / CALIBRATION_FACTS).get('page')}.html"
        return named if named in have else CALIBRATION_PAGE
    return next((page for page, there in have.items() if there), None)


# --- words ------------------------------------------------------------------------------------------------


@cache
def _pattern(key: str) -> re.Pattern:
    """The English of label ``key`` as a whole-text pattern, each ``{name}`` a group (a repeat must match
    the same text)."""
    parts, seen = [], set()
    for k, part in enumerate(re.split(r"\{(\w+)\}", TEXT[key][0])):
        if k % 2 == 0:
            parts.append(re.escape(part))
        elif part in seen:
            parts.append(f"(?P={part})")
        else:
            seen.add(part)
            parts.append(f"(?P<{part}>.+?)")
    return re.compile("^" + "".join(parts) + "$")


def _type_name(name: str, lab: Labels) -> str:
    return lab("court_ordered") if name == "court_ordered" else lab.ptype(name)


def _filled(name: str, value: str, lab: Labels) -> str:
    """A placeholder's value in the page's language: dates, placement types and lists of them, months."""
    if name == "date":
        return lab.date(value)
    if name == "type":
        return _type_name(value, lab)
    if name == "types":
        return ", ".join(_type_name(t.strip(), lab) for t in value.split(","))
    if name == "month" and value.isdigit() and 1 <= int(value) <= 12:
        return lab.months()[int(value) - 1]
    if name == "aic" and lab.lang == "da":  # 'gamma 2593.7, weibull 2598.8': Danish decimal marks
        return re.sub(r"(\d)\.(\d)", r"\1,\2", value)
    return value


def _one(text: str, lab: Labels) -> str | None:
    for key in TEXT:
        if key.startswith(("cm_", "cn_")):
            m = _pattern(key).match(text)
            if m:
                return lab(key, **{k: _filled(k, v, lab) for k, v in m.groupdict().items()})
    return None


def sentence(text: str, lab: Labels) -> str:
    """One of the calibration's English sentences (a method, a note, or notes joined by '; ') in ``lab``'s
    language; parts no label matches stay as they are."""
    text = str(text or "")
    if lab.lang == "en" or not text:
        return text
    whole = _one(text, lab)
    if whole is not None:
        return whole
    parts, out, i = text.split("; "), [], 0
    while i < len(parts):  # the longest run of parts that one label matches (a note may hold '; ' itself)
        for j in range(len(parts), i, -1):
            done = _one("; ".join(parts[i:j]), lab)
            if done is not None:
                out.append(done)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return "; ".join(out)


def _significant(x, lab: Labels, digits: int = 4) -> str:
    """``x`` to ``digits`` significant figures in the language's format ('–' if missing)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    decimals = 0 if x == 0 else max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return lab.num(x, min(decimals, 8))


def _measure(name: str, lab: Labels) -> str:
    key = f"cal_m_{name}"
    return lab(key) if key in TEXT else name


def _mid(table: pd.DataFrame) -> pd.Series:
    return table["start"] + (table["end"] - table["start"]) / 2


# --- figures ----------------------------------------------------------------------------------------------


def _cut_line(fig: go.Figure, cut: str | None, lab: Labels) -> None:
    if not cut:
        return
    fig.add_shape(type="line", xref="x", yref="paper", x0=cut, x1=cut, y0=0, y1=1,
                  line={"color": "#555", "dash": "dash", "width": 1.5})  # fmt: skip
    fig.add_annotation(x=cut, y=1, xref="x", yref="paper", text=lab("cal_cut"), showarrow=False, xanchor="left",
                       yanchor="bottom", font={"color": "#555"})  # fmt: skip


def series_figure(rows: pd.DataFrame, lab: Labels, title: str, cut: str | None) -> go.Figure:
    """Observed rows of one measure and placement type against the simulated mean and 90 % range."""
    rows = rows.assign(x=_mid(rows)).sort_values("x")
    x = rows.x.dt.strftime("%Y-%m-%d").tolist()
    share = rows.measure.iloc[0] in SHARES
    fmt = ".1%" if share else ",.4~r"
    fig = go.Figure()
    if not rows.simulated_mean.notna().any():  # rows before the simulated period: the observed only
        pass
    elif len(rows) > 12:  # a series: a band
        fig.add_trace(
            go.Scatter(x=x, y=rows.simulated_p95, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(go.Scatter(x=x, y=rows.simulated_p05, mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=BAND, name=lab("cal_band"), hoverinfo="skip"))  # fmt: skip
        fig.add_trace(go.Scatter(x=x, y=rows.simulated_mean, mode="lines", line={"color": SIM, "width": 2},
                                 name=lab("cal_sim_mean"), hovertemplate=f"%{{y:{fmt}}}"))  # fmt: skip
    else:  # a few yearly figures: a bar from 5 % to 95 % at each
        up, down = rows.simulated_p95 - rows.simulated_mean, rows.simulated_mean - rows.simulated_p05
        bars = {
            "type": "data",
            "symmetric": False,
            "array": np.nan_to_num(up),
            "arrayminus": np.nan_to_num(down),
            "width": 6,
            "color": SIM,
        }
        marker = {"color": SIM, "symbol": "line-ew-open", "size": 16, "line": {"width": 2}}
        fig.add_trace(go.Scatter(x=x, y=rows.simulated_mean, mode="markers", name=lab("cal_sim_bar"), marker=marker,
                                 error_y=bars, hovertemplate=f"%{{y:{fmt}}}"))  # fmt: skip
    if rows["surrogate"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rows.surrogate,
                mode="lines",
                name=lab("cal_surrogate"),
                line={"color": OKABE_ITO["green"], "dash": "dot"},
                hovertemplate=f"%{{y:{fmt}}}",
            )
        )
    kinds = (
        ("cal_obs_fitted", rows.used_in_fit & ~rows.censored, {"color": FITTED, "symbol": "circle"}),
        ("cal_obs_censored", rows.censored, {"color": CENSORED, "symbol": "triangle-up"}),
        ("cal_obs_shown", ~rows.used_in_fit & ~rows.censored, {"color": SHOWN, "symbol": "circle-open"}),
    )
    many = len(rows) > 60
    xs = np.array(x)
    for key, sel, marker in kinds:
        if sel.any():
            sub = rows[sel]
            notes = [escape(sentence(n, lab)) for n in sub.note]
            fig.add_trace(
                go.Scatter(
                    x=xs[sel.to_numpy()].tolist(),
                    y=sub.observed,
                    mode="markers",
                    name=lab(key),
                    marker={"size": 5 if many else 9, **marker},
                    customdata=notes,
                    hovertemplate=f"%{{y:{fmt}}}<br>%{{customdata}}",
                )
            )
    _cut_line(fig, cut, lab)
    _layout(fig, lab, title, height=400, hovermode="x unified" if many else "closest")
    fig.update_layout(legend_traceorder="normal")
    fig.update_yaxes(title_text=_measure(rows.measure.iloc[0], lab), tickformat=".0%" if share else None)
    fig.update_xaxes(type="date")
    return fig


def residual_figure(table: pd.DataFrame, lab: Labels, cut: str | None) -> go.Figure | None:
    """(observed - simulated mean) / simulated standard deviation of every national row, by measure and type."""
    rows = table[(table.scope == "national") & table.observed.notna() & table.simulated_mean.notna()]
    if not len(rows):
        return None
    sd = (rows.simulated_p95 - rows.simulated_p05) / Z90
    rows = rows.assign(x=_mid(rows), z=(rows.observed - rows.simulated_mean) / sd.where(sd > 0))
    fig = go.Figure()
    for (measure, ptype), g in rows.groupby(["measure", "placement_type"], sort=False):
        fig.add_trace(
            go.Scatter(
                x=g.x.dt.strftime("%Y-%m-%d").tolist(),
                y=g.z,
                mode="markers",
                name=f"{_measure(measure, lab)}, {_type_name(ptype, lab)}",
                marker={"size": 5 if len(g) > 60 else 8},
                hovertemplate="%{y:.2f}",
            )
        )
    for y in (-1.645, 1.645):
        fig.add_hline(y=y, line={"dash": "dot", "color": "#777", "width": 1})
    _cut_line(fig, cut, lab)
    _layout(fig, lab, lab("cal_t_residuals"), height=420)
    fig.update_yaxes(title_text=lab("cal_ax_sd"))
    fig.update_xaxes(type="date")
    return fig


def stays_figure(curves: pd.DataFrame, ptype: str, facts: dict, lab: Labels) -> go.Figure | None:
    """The Kaplan-Meier estimate of one type's stays against each fitted family's survival curve."""
    mine = curves[curves.placement_type == ptype]
    km = mine[mine.curve == "kaplan_meier"]
    if not len(km):
        return None
    info = (facts.get("stays") or {}).get(ptype, {})
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.r_[0.0, km.days], y=np.r_[1.0, km.value], mode="lines", line_shape="hv",
                             name=lab("cal_km"), line={"color": OKABE_ITO["black"], "width": 2},
                             hovertemplate="%{x:.0f}: %{y:.1%}"))  # fmt: skip
    for f in info.get("families") or [{"distribution": c} for c in FAMILY_COLOURS]:
        line = mine[mine.curve == f["distribution"]]
        if not len(line):
            continue
        name = f["distribution"]
        if "mean" in f:
            name = lab(
                "cal_family", family=name, mean=lab.num(f["mean"], 1), cv=lab.num(f["cv"], 2), aic=lab.num(f["aic"], 1)
            )
        fig.add_trace(
            go.Scatter(
                x=line.days,
                y=line.value,
                mode="lines",
                name=name,
                line={"color": FAMILY_COLOURS.get(f["distribution"], SIM)},
                hovertemplate="%{x:.0f}: %{y:.1%}",
            )
        )
    title = lab(
        "cal_t_stays",
        type=_type_name(ptype, lab),
        censored=lab.num(info.get("censored", 0), 0),
        n=lab.num(info.get("stays", 0), 0),
    )
    _layout(fig, lab, title, height=430)
    fig.update_layout(legend_y=-0.22, margin_b=100)  # below the axis title
    fig.update_xaxes(title_text=lab("cal_ax_stay_days"))
    fig.update_yaxes(title_text=lab("cal_ax_still"), tickformat=".0%", range=[0, 1.02])
    return fig


def admissions_figure(curves: pd.DataFrame, ptype: str, lab: Labels) -> go.Figure | None:
    """One type's monthly counts of need arising against the GLM's fitted means."""
    mine = curves[curves.placement_type == ptype]
    seen, glm = mine[mine.curve == "admissions"], mine[mine.curve == "glm"]
    if not len(seen):
        return None
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=seen.month.tolist(),
            y=seen.value,
            name=lab("observed"),
            marker_color="rgba(86, 180, 233, 0.55)",
            hovertemplate="%{y:.0f}",
        )
    )
    fig.add_trace(go.Scatter(x=glm.month.tolist(), y=glm.value, mode="lines", name=lab("cal_glm"),
                             line={"color": SIM, "width": 2}, hovertemplate="%{y:.1f}"))  # fmt: skip
    _layout(fig, lab, lab("cal_t_admissions", type=_type_name(ptype, lab)), height=380, hovermode="x unified")
    fig.update_yaxes(title_text=lab("cal_ax_youths_month"))
    fig.update_xaxes(type="date")
    return fig


def build_figures(data: CalibrationData, lab: Labels) -> dict[str, list[tuple[str, go.Figure]]]:
    """The page's charts by section: (chart key, figure) of the fit, the residuals and the episodes."""
    table, cut = data.table, data.facts.get("cut") if data.backtest else None
    national = table[table.scope == "national"]
    short = (national.end - national.start).dt.days < SERIES_DAYS
    fit = []
    for part, title in ((national[short], "cal_t_series"), (national[~short], "cal_t_yearly")):
        for (measure, ptype), g in part.groupby(["measure", "placement_type"], sort=False):
            if g.observed.notna().any():
                text = lab(title, measure=_measure(measure, lab), type=_type_name(ptype, lab))
                fit.append((f"fit-{len(fit) + 1}", series_figure(g, lab, text, cut)))
    residuals = residual_figure(table, lab, cut)
    episodes = []
    if data.curves is not None and len(data.curves):
        for ptype in pd.unique(data.curves.placement_type):
            for key, fig in (
                ("stays", stays_figure(data.curves, ptype, data.facts, lab)),
                ("admissions", admissions_figure(data.curves, ptype, lab)),
            ):
                if fig is not None:
                    episodes.append((f"{key}-{ptype}", fig))
    return {"fit": fit, "residuals": [("residuals", residuals)] if residuals is not None else [], "episodes": episodes}


# --- tables and sentences ---------------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]], numeric: set[int], cls: str) -> str:
    def cell(tag: str, k: int, text: str) -> str:
        return f'<{tag} class="num">{text}</{tag}>' if k in numeric else f"<{tag}>{text}</{tag}>"

    thead = "".join(cell("th", k, escape(h)) for k, h in enumerate(head))
    body = "".join("<tr>" + "".join(cell("td", k, c) for k, c in enumerate(r)) + "</tr>" for r in rows)
    table = f'<table class="{cls}"><thead><tr>{thead}</tr></thead><tbody>{body}</tbody></table>'
    return f'<div class="experiment-wrap">{table}</div>'


def parameter_name(path: str, lab: Labels) -> str:
    """A fitted key path in words ('remand: mean stay (days)'), or the path itself when it is no known one."""
    m = PARAMETER.match(str(path))
    if not m:
        return str(path)
    return lab(PARAMETER_KEYS[m["what"]], type=_type_name(m["type"], lab))


def parameters_table(parameters: pd.DataFrame, lab: Labels) -> str:
    if not len(parameters):
        return f"<p>{escape(lab('cal_no_parameters'))}</p>"
    rows = []
    for r in parameters.itertuples():
        interval = escape(lab.span(r.p05, r.p95, lambda v: _significant(v, lab)))
        rows.append(
            [
                f"{escape(parameter_name(r.parameter, lab))}"
                f'<small><code style="word-break: normal">{escape(str(r.parameter))}</code></small>',
                escape(_significant(r.estimate, lab)),
                escape(_significant(r.se, lab, 2)),
                f'<span style="white-space: nowrap">{interval}</span>',
                escape(sentence(r.method if isinstance(r.method, str) else "", lab)),
            ]
        )
    head = [
        lab(k) for k in ("cal_col_parameter", "cal_col_estimate", "cal_col_se", "cal_col_interval", "cal_col_method")
    ]
    return _table(head, rows, {1, 2, 3}, "parameters")


def _share(x, lab: Labels) -> str:
    return "–" if x is None else lab.pct(x, 0)


def brief(data: CalibrationData, lab: Labels) -> list[str]:
    """The page's first sentences (HTML): how much of what was observed the simulation holds."""
    t = data.table
    rows = t[t.observed.notna() & t.simulated_mean.notna()]
    fitted = rows[rows.used_in_fit]
    out = []
    if len(rows):
        text = lab("cal_brief_inside", inside=_share(rows.inside_90.mean(), lab), rows=lab.num(len(rows), 0))
        if len(fitted):
            text += " " + lab(
                "cal_brief_inside_fit", inside=_share(fitted.inside_90.mean(), lab), rows=lab.num(len(fitted), 0)
            )
        out.append(text)
    else:
        out.append(escape(lab("cal_brief_rows", rows=lab.num(len(rows), 0))))
    error = rows.relative_error.abs().mean() if len(rows) else float("nan")
    if data.backtest:
        for window, key in (("test", "bt_brief_test"), ("fit", "bt_brief_fit")):
            s = data.summary.get(window) or {}
            if s.get("rows"):
                out.append(
                    lab(
                        key,
                        rows=lab.num(s["rows"], 0),
                        error=_share(s["mean_absolute_relative_error"], lab),
                        inside=_share(s["inside_90_share"], lab),
                    )
                )
            else:
                out.append(escape(lab("bt_no_rows", window=lab(f"bt_{window}"))))
    elif math.isfinite(error):
        out.append(lab("cal_brief_error", error=lab.pct(error, 1)))
    return out


def windows_table(summary: dict, lab: Labels) -> str:
    """Backtest error per window: all rows, then per measure and placement type."""
    rows = []
    for window in ("fit", "test"):
        s = summary.get(window) or {}
        if not s.get("rows"):
            continue
        name = escape(lab(f"bt_{window}"))
        error, inside = _share(s["mean_absolute_relative_error"], lab), _share(s["inside_90_share"], lab)
        rows.append([f"<b>{name}</b>", f"<b>{escape(lab('bt_all'))}</b>", lab.num(s["rows"], 0), error, "", inside])
        for key, m in (s.get("by_measure") or {}).items():
            measure, _, ptype = key.rstrip("]").partition("[")
            bias = lab.pct(round(m["mean_relative_error"], 3) or 0.0, 1)  # (no '-0.0 %')
            what = escape(f"{_measure(measure, lab)}, {_type_name(ptype, lab)}")
            error, inside = _share(m["mean_absolute_relative_error"], lab), _share(m["inside_90_share"], lab)
            rows.append([name, what, lab.num(m["rows"], 0), error, bias, inside])
    head = [
        lab(k)
        for k in ("bt_col_window", "bt_col_measure", "bt_col_rows", "bt_col_error", "bt_col_bias", "bt_col_inside")
    ]
    return _table(head, rows, {2, 3, 4, 5}, "windows")


def _notes(data: CalibrationData, lab: Labels) -> list[str]:
    notes = data.facts.get("notes") or {}
    return [sentence(n, lab) for n in (*(notes.get("fit") or []), *(notes.get("simulation") or []))]


def _subtitle(data: CalibrationData, lab: Labels) -> str:
    f = data.facts
    method = {"episodes": "cal_method_episodes", "surrogate": "cal_method_surrogate"}.get(f.get("method"))
    simulated = f.get("simulated") or {}
    values = {
        "data": ", ".join(f.get("data") or []) or "?",
        "method": f"({lab(method)})" if method else "",
        "reps": lab.num(f["replications"], 0) if f.get("replications") else "?",
        "start": lab.date(simulated["start"]) if simulated.get("start") else "?",
        "end": lab.date(simulated["end"]) if simulated.get("end") else "?",
    }
    if data.backtest:
        cut, until = f.get("cut") or data.summary.get("cut"), f.get("test_until") or data.summary.get("test_until")
        values.update(cut=lab.date(cut) if cut else "?", until=lab.date(until) if until else "?")
        return lab("bt_subtitle", **values)
    return lab("cal_subtitle", **values)


def render(data: CalibrationData, lab: Labels) -> str:
    """calibration.html or backtest.html as one string."""
    figs = build_figures(data, lab)
    name = str(data.facts.get("title") or data.facts.get("scenario") or "scenario")
    title = lab("bt_title" if data.backtest else "cal_title", name=name)
    read_fit = lab("cal_read_fit") + (" " + lab("bt_read_cut") if data.backtest and data.facts.get("cut") else "")
    sections = [("headline", lab("sec_headline"), "", "".join(f"<p>{p}</p>" for p in brief(data, lab)))]
    if data.backtest:
        sections.append(("windows", lab("bt_sec_windows"), lab("bt_read_windows"), windows_table(data.summary, lab)))
    sections.append(
        ("parameters", lab("cal_sec_parameters"), lab("cal_read_parameters"), parameters_table(data.parameters, lab))
    )
    notes = _notes(data, lab)
    if notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in notes)
        sections.append(("notes", lab("cal_sec_notes"), "", f"<ul>{items}</ul>"))
    charts = (
        ("fit", "cal_sec_fit", read_fit),
        ("residuals", "cal_sec_residuals", lab("cal_read_residuals")),
        ("episodes", "cal_sec_episodes", lab("cal_read_episodes")),
    )
    for anchor, key, read in charts:
        if figs[anchor]:
            sections.append((anchor, lab(key), read, "".join(chart(k, fig, lab) for k, fig in figs[anchor])))
    body = [
        f'<section id="{a}"><h2>{escape(t)}</h2>'
        + (f'<p class="read">{escape(read)}</p>' if read else "")
        + f"{content}</section>"
        for a, t, read, content in sections
    ]
    nav = "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t, _, _ in sections)
    header = (
        f'<h1>{escape(title)}</h1><p class="sub">{escape(_subtitle(data, lab))}</p>'
        f'<nav aria-label="{escape(lab("contents"))}"><ul>{nav}</ul></nav>'
    )
    return document(lab, title, header, body, made_by(data.facts, lab))
