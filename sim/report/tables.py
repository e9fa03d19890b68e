"""The scenario's assumptions as HTML tables, from the resolved scenario (a plain dict of scenario.resolved.yaml).

Works on the dict rather than the schema classes, so a report can be re-rendered from an older output folder;
settings without a table of their own are listed under 'Other settings'.
"""

from __future__ import annotations

import math
from html import escape

from sim.report.labels import Labels

COVERED = {"name", "description", "horizon", "regions", "institutions", "placement_types", "costs"}


def _value(lab: Labels, v, decimals: int | None = None) -> str:
    """Any scalar or small structure as display text (not escaped)."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return lab.yes_no(v)
    if isinstance(v, int):
        return lab.num(v, 0)
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        if decimals is None:
            decimals = 0 if v == round(v) else min(3, max(1, len(repr(v).split(".")[-1])))
        return lab.num(v, decimals)
    if isinstance(v, list | tuple):
        return ", ".join(_value(lab, x) for x in v) if v else lab("sc_none")
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_value(lab, x)}" for k, x in v.items()) if v else lab("sc_none")
    return str(v)


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), cls: str = "") -> str:
    """An HTML table; cells are escaped here. Columns in ``numeric`` are right-aligned."""

    def cell(tag: str, j: int, text: str) -> str:
        align = ' class="num"' if j in numeric else ""
        return f"<{tag}{align}>{escape(text)}</{tag}>"

    head = "".join(cell("th", j, h) for j, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", j, c) for j, c in enumerate(r)) + "</tr>" for r in rows)
    extra = f' class="{cls}"' if cls else ""
    return f"<table{extra}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _types(lab: Labels, names) -> str:
    return ", ".join(lab.ptype(n) for n in names or [])


def _shares(lab: Labels, shares: dict | None) -> str:
    return ", ".join(f"{k} {lab.pct(v, 0)}" for k, v in (shares or {}).items()) or "–"


def _changes(lab: Labels, changes: list | None) -> str:
    out = []
    for c in changes or []:
        if c.get("places") is not None:
            out.append(f"{c.get('date')}: {lab.num(c['places'], 0)}")
        else:
            add = c.get("add") or 0
            out.append(f"{c.get('date')}: {'+' if add >= 0 else '−'}{lab.num(abs(add), 0)}")
    return ", ".join(out) or "–"


def _seasonality(lab: Labels, s: dict | None) -> str:
    if not s:
        return lab("sc_none")
    if s.get("monthly"):
        months = lab.months_short()
        return ", ".join(f"{m} {lab.num(f, 2)}" for m, f in zip(months, s["monthly"]))
    peak = s.get("peak_month")
    month = lab.months()[peak - 1] if isinstance(peak, int) and 1 <= peak <= 12 else "?"
    return f"±{lab.pct(s.get('amplitude') or 0, 0)}, {lab('sc_peak', month=month)}"


def _duration(lab: Labels, d: dict | None) -> list[str]:
    """distribution, mean days, cv of a duration (empirical: the number of observed stays)."""
    if not d:
        return [lab("sc_none"), "–", "–"]
    dist = str(d.get("distribution", "–"))
    if d.get("observed"):
        obs = d["observed"]
        return [f"{dist} (n = {len(obs)})", lab.num(sum(obs) / len(obs), 1), "–"]
    return [dist, _value(lab, d.get("mean")), _value(lab, d.get("cv"))]


def _flatten(prefix: str, v, rows: list[tuple[str, object]]) -> None:
    if isinstance(v, dict) and v:
        for k, x in v.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), x, rows)
    elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        for i, x in enumerate(v):
            _flatten(f"{prefix}[{i}]", x, rows)
    else:
        rows.append((prefix, v))


def scenario_tables(scenario: dict, lab: Labels) -> str:
    """HTML of every assumption: horizon, regions, institutions, demand, stays, costs and other settings."""
    if not scenario:
        return f"<p>{escape(lab('no_data'))}</p>"
    sections = [
        ("sc_horizon", _horizon_table(scenario, lab)),
        ("sc_regions", _regions_table(scenario, lab)),
        ("sc_institutions", _institutions_table(scenario, lab)),
        ("sc_demand", _demand_table(scenario, lab)),
        ("sc_stays", _stays_table(scenario, lab)),
        ("sc_costs", _costs_table(scenario, lab)),
        ("sc_other", _other_table(scenario, lab)),
    ]
    return "\n".join(f"<h3>{escape(lab(title))}</h3>{html}" for title, html in sections if html)


def _horizon_table(scenario: dict, lab: Labels) -> str:
    h = scenario.get("horizon") or {}
    rows = [
        [lab("sc_start"), str(h.get("start", "–"))],
        [lab("sc_years"), _value(lab, h.get("years"))],
        [lab("sc_warmup"), _value(lab, h.get("warmup_days"))],
        [lab("sc_replications"), _value(lab, h.get("replications"))],
        [lab("sc_seed"), str(h.get("seed", "–"))],
    ]
    return _table([lab("sc_setting"), lab("sc_value")], rows, numeric={1})


def _regions_table(scenario: dict, lab: Labels) -> str:
    nearest = (scenario.get("allocation") or {}).get("nearest") or {}
    rows = [[r, ", ".join(nearest.get(r, [])) or "–"] for r in scenario.get("regions") or []]
    return _table([lab("region"), lab("sc_nearest")], rows)


def _unit_row(lab: Labels, name: str, inst: dict, k: int, uname: str, unit: dict) -> list[str]:
    notes = []
    if unit.get("only"):
        notes.append(_value(lab, unit["only"]))
    if unit.get("open_months"):
        notes.append(", ".join(lab.months_short()[m - 1] for m in unit["open_months"]))
    return [
        name if k == 0 else "",
        inst.get("region", "") if k == 0 else "",
        uname,
        lab.num(unit.get("places") or 0, 0),
        lab.yes_no(bool(unit.get("high_security"))),
        _types(lab, unit.get("accepts")),
        "; ".join([_changes(lab, unit.get("changes"))] + notes),
    ]


def _institutions_table(scenario: dict, lab: Labels) -> str:
    institutions = scenario.get("institutions") or {}
    has_em = any((i or {}).get("emergency") for i in institutions.values())
    rows, total, total_em = [], 0, 0
    for name, inst in institutions.items():
        em = inst.get("emergency") or {}
        for k, (uname, unit) in enumerate((inst.get("units") or {}).items()):
            total += unit.get("places") or 0
            row = _unit_row(lab, name, inst, k, uname, unit)
            if has_em:
                row.append(lab.num(em.get("places"), 0) if em and k == 0 else "")
            rows.append(row)
        total_em += (em.get("places") or 0) if em else 0
    header = [lab(k) for k in ("institution", "region", "sc_unit", "sc_places", "sc_high_security", "sc_accepts")]
    header.append(lab("sc_changes"))
    rows.append([lab("sc_total"), "", "", lab.num(total, 0), "", "", ""] + ([lab.num(total_em, 0)] if has_em else []))
    if has_em:
        header.append(lab("sc_emergency"))
    return _table(header, rows, numeric={3, 7}, cls="institutions")


def _demand_table(scenario: dict, lab: Labels) -> str:
    rows = []
    for tname, t in (scenario.get("placement_types") or {}).items():
        d = t.get("demand") or {}
        rows.append(
            [
                lab.ptype(tname),
                _value(lab, t.get("priority")),
                _value(lab, d.get("per_year")),
                lab.pct(d.get("growth") or 0.0),
                _seasonality(lab, d.get("seasonality")),
                _value(lab, d.get("dispersion")),
                lab.pct(d.get("high_security_share") or 0.0),
                _shares(lab, d.get("regions")),
            ]
        )
    keys = ("ptype", "sc_priority", "sc_per_year", "sc_growth", "sc_seasonality", "sc_dispersion", "sc_hs_share",
            "sc_region_shares")  # fmt: skip
    return _table([lab(k) for k in keys], rows, numeric={1, 2, 3, 5, 6})


def _stays_table(scenario: dict, lab: Labels) -> str:
    rows = []
    for tname, t in (scenario.get("placement_types") or {}).items():
        s = t.get("stay") or {}
        w = t.get("withdrawal")
        withdrawal = " ".join(x for x in _duration(lab, w)[:2] if x != "–") if w else lab("sc_none")
        rows.append([lab.ptype(tname)] + _duration(lab, s) + [lab.pct(s.get("drift") or 0.0), withdrawal])
    header = [lab(k) for k in ("ptype", "sc_distribution", "sc_mean_days", "sc_cv", "sc_drift")]
    header.append(lab("sc_withdrawal") + f" ({lab('h_days')})")
    return _table(header, rows, numeric={2, 3, 4})


def _costs_table(scenario: dict, lab: Labels) -> str:
    c = scenario.get("costs") or {}
    rows = [
        [lab("sc_occupied_day"), _value(lab, c.get("occupied_place_day"), 0)],
        [lab("sc_empty_day"), _value(lab, c.get("empty_place_day"), 0)],
        [lab("sc_custody_day"), _value(lab, c.get("custody_day"), 0)],
        [lab("sc_custody_types"), _types(lab, c.get("custody_types"))],
    ]
    return _table([lab("sc_setting"), lab("sc_value")], rows, numeric=set())


def _other_table(scenario: dict, lab: Labels) -> str:
    """Every setting the tables above do not show, as key path and value ('' if there is none)."""
    other: list[tuple[str, object]] = []
    for key, v in scenario.items():
        if key in COVERED:
            continue
        if key == "allocation":
            v = {k: x for k, x in (v or {}).items() if k != "nearest"}
        if v in (None, {}, []):
            continue
        _flatten(key, v, other)
    for iname, inst in (scenario.get("institutions") or {}).items():
        for k, x in (inst.get("emergency") or {}).items():
            if k != "places":
                other.append((f"institutions.{iname}.emergency.{k}", x))
    if not other:
        return ""
    return _table([lab("sc_setting"), lab("sc_value")], [[k, _value(lab, x)] for k, x in other])
