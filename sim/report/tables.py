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
    parts: list[str] = []

    def section(title_key: str, html: str) -> None:
        parts.append(f"<h3>{escape(lab(title_key))}</h3>{html}")

    h = scenario.get("horizon") or {}
    section(
        "sc_horizon",
        _table(
            [lab("sc_setting"), lab("sc_value")],
            [
                [lab("sc_start"), str(h.get("start", "–"))],
                [lab("sc_years"), _value(lab, h.get("years"))],
                [lab("sc_warmup"), _value(lab, h.get("warmup_days"))],
                [lab("sc_replications"), _value(lab, h.get("replications"))],
                [lab("sc_seed"), str(h.get("seed", "–"))],
            ],
            numeric={1},
        ),
    )

    nearest = (scenario.get("allocation") or {}).get("nearest") or {}
    section(
        "sc_regions",
        _table(
            [lab("region"), lab("sc_nearest")],
            [[r, ", ".join(nearest.get(r, [])) or "–"] for r in scenario.get("regions") or []],
        ),
    )

    rows, total, total_em = [], 0, 0
    has_em = any((i or {}).get("emergency") for i in (scenario.get("institutions") or {}).values())
    for name, inst in (scenario.get("institutions") or {}).items():
        em = inst.get("emergency") or {}
        for k, (uname, unit) in enumerate((inst.get("units") or {}).items()):
            places = unit.get("places") or 0
            total += places
            notes = []
            if unit.get("only"):
                notes.append(_value(lab, unit["only"]))
            if unit.get("open_months"):
                notes.append(", ".join(lab.months_short()[m - 1] for m in unit["open_months"]))
            row = [
                name if k == 0 else "",
                inst.get("region", "") if k == 0 else "",
                uname,
                lab.num(places, 0),
                lab.yes_no(bool(unit.get("high_security"))),
                _types(lab, unit.get("accepts")),
                "; ".join([_changes(lab, unit.get("changes"))] + notes),
            ]
            if has_em:
                row.append(lab.num(em.get("places"), 0) if em and k == 0 else "")
            rows.append(row)
        total_em += (em.get("places") or 0) if em else 0
    header = [
        lab("institution"),
        lab("region"),
        lab("sc_unit"),
        lab("sc_places"),
        lab("sc_high_security"),
        lab("sc_accepts"),
        lab("sc_changes"),
    ]
    rows.append([lab("sc_total"), "", "", lab.num(total, 0), "", "", ""] + ([lab.num(total_em, 0)] if has_em else []))
    if has_em:
        header.append(lab("sc_emergency"))
    section("sc_institutions", _table(header, rows, numeric={3, 7}, cls="institutions"))

    types = scenario.get("placement_types") or {}
    demand_rows, stay_rows = [], []
    for tname, t in types.items():
        d = t.get("demand") or {}
        demand_rows.append(
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
        s = t.get("stay") or {}
        w = t.get("withdrawal")
        withdrawal = " ".join(x for x in _duration(lab, w)[:2] if x != "–") if w else lab("sc_none")
        stay_rows.append([lab.ptype(tname)] + _duration(lab, s) + [lab.pct(s.get("drift") or 0.0), withdrawal])
    section(
        "sc_demand",
        _table(
            [
                lab("ptype"),
                lab("sc_priority"),
                lab("sc_per_year"),
                lab("sc_growth"),
                lab("sc_seasonality"),
                lab("sc_dispersion"),
                lab("sc_hs_share"),
                lab("sc_region_shares"),
            ],
            demand_rows,
            numeric={1, 2, 3, 5, 6},
        ),
    )
    section(
        "sc_stays",
        _table(
            [
                lab("ptype"),
                lab("sc_distribution"),
                lab("sc_mean_days"),
                lab("sc_cv"),
                lab("sc_drift"),
                lab("sc_withdrawal") + f" ({lab('h_days')})",
            ],
            stay_rows,
            numeric={2, 3, 4},
        ),
    )

    c = scenario.get("costs") or {}
    section(
        "sc_costs",
        _table(
            [lab("sc_setting"), lab("sc_value")],
            [
                [lab("sc_occupied_day"), _value(lab, c.get("occupied_place_day"), 0)],
                [lab("sc_empty_day"), _value(lab, c.get("empty_place_day"), 0)],
                [lab("sc_custody_day"), _value(lab, c.get("custody_day"), 0)],
                [lab("sc_custody_types"), _types(lab, c.get("custody_types"))],
            ],
            numeric=set(),
        ),
    )

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
    if other:
        section("sc_other", _table([lab("sc_setting"), lab("sc_value")], [[k, _value(lab, x)] for k, x in other]))
    return "\n".join(parts)
