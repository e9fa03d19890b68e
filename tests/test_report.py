"""The report's figures, built directly from a short run's tables: traces, axis titles and plotted values."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from plotly.offline import get_plotlyjs

from sim.cli import main
from sim.report import figures as F
from sim.report import write_report
from sim.report.data import load, utilisation_by_month
from sim.report.labels import OKABE_ITO, Labels
from sim.report.page import build_figures
from tests.report_fixtures import AGGREGATED, policy_run, short_run

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("report") / "baseline")


@pytest.fixture(scope="module")
def data(run_dir):
    return load(run_dir)


@pytest.fixture(scope="module")
def en():
    return Labels("en")


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    """One year of a scenario using flexible places, emergency places and moves nearer home."""
    return policy_run(tmp_path_factory.mktemp("policies") / "run")


def summary_value(summary: pd.DataFrame, metric: str, scope: str = "national", ptype: str = "all", col="mean"):
    row = summary[(summary.metric == metric) & (summary.scope == scope) & (summary.placement_type == ptype)]
    assert len(row) == 1, (metric, scope, ptype)
    return float(row.iloc[0][col])


def daily(ts: pd.DataFrame, measure: str, scope: str) -> pd.DataFrame:
    return ts[(ts.measure == measure) & (ts.scope == scope)].sort_values("date")


def institutions_of(ts: pd.DataFrame) -> list[str]:
    return [s for s in pd.unique(ts[ts.measure == "occupancy"].scope) if s != "national"]


def axis_titles(fig) -> dict[str, str]:
    """Title text of every x/y axis that shows tick labels."""
    out = {}
    for name in fig.layout:
        if re.fullmatch(r"[xy]axis\d*", name):
            axis = fig.layout[name]
            if axis.showticklabels is False or axis.visible is False:
                continue
            out[name] = axis.title.text or ""
    return out


# --- labels ------------------------------------------------------------------------------------------------


def test_numbers_follow_the_language():
    da, en = Labels("da"), Labels("en")
    assert da.num(1234567.891, 2) == "1.234.567,89"
    assert en.num(1234567.891, 2) == "1,234,567.89"
    assert da.pct(0.886) == "88,6 %" and en.pct(0.886) == "88.6 %"
    assert da.mio_kr(289_300_000) == "289,3 mio. kr."
    assert en.num(float("nan")) == "–"
    assert da.separators == ",." and en.separators == ".,"
    assert da.ptype("remand") == "varetægtssurrogat"
    assert da("metric:occupancy_mean:all").startswith("Gennemsnitlig belægning")
    assert da.date("2025-01-01") == "1. januar 2025"
    with pytest.raises(ValueError, match="language"):
        Labels("fr")


# --- figures -----------------------------------------------------------------------------------------------


def test_occupancy_fan_plots_the_quantiles_and_switches_scope(data, en):
    ts = data.timeseries
    insts = institutions_of(ts)
    fig = F.occupancy_fan(ts, en)
    scopes = ["national"] + insts
    assert len(fig.data) == 6 * len(scopes)
    assert [t.meta["stat"] for t in fig.data[:6]] == list(F.FAN_STATS)
    assert [t.visible for t in fig.data] == [t.meta["scope"] == "national" for t in fig.data]
    for trace in fig.data:
        scope, stat = trace.meta["scope"], trace.meta["stat"]
        s = daily(ts, "places_open" if stat == "places" else "occupancy", scope)
        expected = s["mean"] if stat == "places" else s[stat]
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), expected.to_numpy(), rtol=1e-6)
        assert trace.x0 == s.date.iloc[0].strftime("%Y-%m-%d") and trace.dx == DAY_MS
    # bands fill between their edges; the median is a solid line
    assert fig.data[1].fill == "tonexty" and fig.data[3].fill == "tonexty" and fig.data[4].line.width == 2
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["National"] + insts
    for b, scope in zip(menu.buttons, scopes):
        visible = b.args[0]["visible"]
        assert [t.meta["scope"] for t, v in zip(fig.data, visible) if v] == [scope] * 6
    assert axis_titles(fig) == {"xaxis": "Date", "yaxis": "Youths placed (number)"}
    assert fig.layout.hovermode == "x unified"


def test_seasonal_pattern_is_the_monthly_mean(data, en):
    ts = data.timeseries
    fig = F.seasonal(ts, en)
    assert len(fig.data) == 3
    for trace, (measure, scope) in zip(
        fig.data, [("occupancy", "national"), ("places_open", "national"), ("queue", "all")]
    ):
        s = daily(ts, measure, scope)
        expected = s.groupby(s.date.dt.month)["mean"].mean().reindex(range(1, 13))
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), expected.to_numpy(), rtol=1e-12)
        assert list(trace.x) == en.months_short()
    titles = axis_titles(fig)
    assert titles["yaxis"] and titles["yaxis2"] and titles["xaxis2"] == "Calendar month"


def test_waiting_list_by_type(data, en):
    ts = data.timeseries
    fig = F.waiting_list(ts, en)
    types = [s for s in pd.unique(ts[ts.measure == "queue"].scope) if s != "all"]
    assert len(fig.data) == len(types) + 2
    for trace in fig.data:
        s = daily(ts, "queue", trace.meta["scope"])
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), s[trace.meta["stat"]].to_numpy(), rtol=1e-6)
    assert [t.name for t in fig.data[: len(types)]] == [en.ptype(t) for t in types]
    assert fig.data[0].line.color == OKABE_ITO["vermillion"]  # remand
    assert axis_titles(fig) == {"xaxis": "Date", "yaxis": "Youths waiting (number)"}


def test_waits_by_type_bars_and_confidence_intervals(data, en):
    s = data.summary
    fig = F.waits_by_type(s, en)
    assert len(fig.data) == 3
    for trace, metric in zip(fig.data, F.WAIT_METRICS):
        types = trace.meta["types"]
        assert types[0] == "all" and set(types[1:]) == {"remand", "sentence", "social"}
        assert list(trace.x) == [en.ptype(t) for t in types]
        mean = np.array([summary_value(s, metric, ptype=t) for t in types])
        hi = np.array([summary_value(s, metric, ptype=t, col="ci_high") for t in types])
        lo = np.array([summary_value(s, metric, ptype=t, col="ci_low") for t in types])
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), mean, rtol=1e-12)
        np.testing.assert_allclose(trace.error_y.array, np.nan_to_num(hi - mean), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(trace.error_y.arrayminus, np.nan_to_num(mean - lo), rtol=1e-9, atol=1e-12)
    titles = axis_titles(fig)
    assert titles["yaxis"] == "Mean wait (days)" and titles["yaxis2"] == titles["yaxis3"] == "Share of youths (%)"
    assert fig.layout.yaxis2.tickformat == ".0%"
    assert all(titles[f"xaxis{k}"] == "Placement type" for k in ("", "2", "3"))


def test_utilisation_heatmap_is_occupancy_over_places_by_month(data, en):
    ts = data.timeseries
    fig = F.utilisation_heatmap(ts, en)
    assert len(fig.data) == 1
    z = np.asarray(fig.data[0].z, dtype=float)
    scopes = ["national"] + institutions_of(ts)
    assert list(fig.data[0].y) == ["National"] + scopes[1:] and z.shape == (len(scopes), 12)
    for i, scope in enumerate(scopes):
        occ, places = daily(ts, "occupancy", scope), daily(ts, "places_open", scope)
        by_month = occ.groupby(occ.date.dt.month)["mean"].sum() / places.groupby(places.date.dt.month)["mean"].sum()
        np.testing.assert_allclose(z[i], by_month.reindex(range(1, 13)).to_numpy(), rtol=1e-9)
    assert (z > 0).all() and (z <= 1.0 + 1e-9).all()
    assert axis_titles(fig) == {"xaxis": "Calendar month", "yaxis": "Institution"}
    assert fig.data[0].colorbar.title.text == "Utilisation (%)"
    np.testing.assert_allclose(z, utilisation_by_month(ts).to_numpy())


def test_admissions_by_institution_and_type(data, en):
    s, scenario = data.summary, data.scenario
    fig = F.admissions(s, scenario, en)
    assert {t.meta["type"] for t in fig.data} == {"remand", "sentence", "social"}
    insts = fig.data[0].meta["institutions"]
    assert set(insts) == set(scenario["institutions"])
    regions, names = fig.data[0].x
    assert list(names) == insts and list(regions) == [scenario["institutions"][i]["region"] for i in insts]
    stacked = np.zeros(len(insts))
    for trace in fig.data:
        expected = [summary_value(s, "admissions_per_year", i, trace.meta["type"]) for i in insts]
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), expected, rtol=1e-12)
        stacked += np.asarray(trace.y, dtype=float)
    totals = [summary_value(s, "admissions_per_year", i) for i in insts]
    np.testing.assert_allclose(stacked, totals, rtol=1e-9)
    assert fig.layout.barmode == "stack"
    assert axis_titles(fig) == {"xaxis": "Region / Institution", "yaxis": "Admissions per year (number)"}


def test_out_of_region_share_with_intervals(data, en):
    s = data.summary
    fig = F.out_of_region(s, data.scenario, en)
    scopes = fig.data[0].meta["scopes"]
    assert scopes == ["national"] + data.scenario["regions"]
    expected = [summary_value(s, "out_of_region_share", sc) for sc in scopes]
    np.testing.assert_allclose(np.asarray(fig.data[0].y, dtype=float), expected, rtol=1e-12)
    assert fig.layout.yaxis.tickformat == ".0%"
    assert axis_titles(fig) == {"xaxis": "Home region", "yaxis": "Outside home region (%)"}


def test_costs_in_million_kroner(data, en):
    s = data.summary
    fig = F.costs(s, en)
    names = fig.data[0].meta["metrics"]
    assert names[-1] == "cost_per_year"
    assert {"cost_occupied_per_year", "cost_idle_per_year", "cost_custody_per_year"} <= set(names)
    expected = np.array([summary_value(s, n) for n in names])
    np.testing.assert_allclose(np.asarray(fig.data[0].y, dtype=float) * 1e6, expected, rtol=1e-9)
    assert axis_titles(fig) == {"xaxis": "Cost item", "yaxis": "Million kroner per year"}


def test_every_chart_has_titled_axes_in_danish(data):
    da = Labels("da")
    figs = build_figures(data, da)
    assert figs.pop("policies") is None and figs.pop("flexible") is None  # the baseline has neither
    assert figs.pop("rule") is None  # nor a capacity rule
    assert all(f is not None for f in figs.values()), [k for k, f in figs.items() if f is None]
    for key, fig in figs.items():
        titles = axis_titles(fig)
        assert titles and all(titles.values()), (key, titles)
        assert fig.layout.separators == ",."
    assert axis_titles(figs["occupancy"])["yaxis"] == "Anbragte unge (antal)"
    assert figs["queue"].data[0].name == "varetægtssurrogat"
    assert figs["occupancy"].layout.updatemenus[0].buttons[0].label == "Hele landet"


def test_missing_data_gives_no_figure(en):
    empty_ts = pd.DataFrame(columns=["date", "measure", "scope", "mean", "p05", "p25", "p50", "p75", "p95"])
    empty_summary = pd.DataFrame(columns=["metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "std", "n"])
    assert F.occupancy_fan(empty_ts, en) is None and F.waiting_list(empty_ts, en) is None
    assert F.waits_by_type(empty_summary, en) is None and F.costs(empty_summary, en) is None
    assert F.admissions(empty_summary, {}, en) is None


def test_policies_plot_the_policy_metrics_in_use(policy_dir, data, en):
    s = load(policy_dir).summary
    fig = F.policies(s, en)
    plotted = [m for trace in fig.data for m in trace.meta["metrics"]]
    assert plotted == F.policies_used(s) == list(F.POLICY_METRICS)  # this scenario uses every policy
    for trace in fig.data:
        names = trace.meta["metrics"]
        mean = np.array([summary_value(s, m) for m in names])
        hi = np.array([summary_value(s, m, col="ci_high") for m in names])
        assert list(trace.x) == [en(m) for m in names]
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), mean, rtol=1e-12)
        np.testing.assert_allclose(trace.error_y.array, hi - mean, rtol=1e-9, atol=1e-12)
    titles = axis_titles(fig)
    assert [titles[f"yaxis{k}"] for k in ("", "2", "3", "4")] == [
        "Places (mean number)",
        "Number per year",
        "Place-days per year (number)",
        "Days",
    ]
    assert all(titles.values())
    assert F.policies(data.summary, en) is None  # the baseline uses none


def test_policies_show_only_the_metrics_in_use(policy_dir, en):
    s = load(policy_dir).summary.copy()
    s.loc[s.metric.str.startswith("emergency_"), ["mean", "ci_low", "ci_high"]] = 0.0
    s.loc[s.metric == "flex_openings_per_year", "mean"] = np.nan
    fig = F.policies(s, en)
    assert [m for t in fig.data for m in t.meta["metrics"]] == ["flex_places_open_mean", "moves_nearer_home_per_year"]
    assert len(fig.data) == 2


def test_flexible_places_over_time(policy_dir, data, en):
    run = load(policy_dir)
    ts = run.timeseries
    fig = F.flexible_over_time(ts, run.scenario, en)
    assert [t.meta["scope"] for t in fig.data[::4]] == ["Sølager", "Grenen"]  # the two flexible pools
    for trace in fig.data:
        scope, stat = trace.meta["scope"], trace.meta["stat"]
        if stat == "fixed":  # 15 places at either institution without its flexible places
            assert list(trace.y) == [15, 15] and trace.line.dash == "dash"
            continue
        s = daily(ts, "places_open", scope)
        np.testing.assert_allclose(np.asarray(trace.y, dtype=float), s[stat].to_numpy(), rtol=1e-6)
    assert max(max(np.asarray(t.y, dtype=float)) for t in fig.data) > 15  # flexible places did open
    assert axis_titles(fig) == {"xaxis": "Date", "yaxis": "Open places (number)"}
    assert F.flexible_over_time(data.timeseries, data.scenario, en) is None


def test_report_explains_the_policies_in_words(policy_dir, tmp_path):
    for name in AGGREGATED:
        shutil.copy(policy_dir / name, tmp_path / name)
    html = write_report(tmp_path, "da").read_text(encoding="utf-8")
    assert 'id="policies"' in html and "Fleksible pladser og nødpladser" in html
    assert html.count('class="figure-data"') == 12  # with the region section's chart
    run = load(tmp_path)
    flex = summary_value(run.summary, "flex_places_open_mean")
    assert f"<b>{Labels('da').num(flex, 2)}</b> fleksible pladser" in html
    assert "anbringes på en nødplads" in html and "tættere på hjemmet" in html


# --- the page ----------------------------------------------------------------------------------------------


def test_report_needs_only_the_aggregated_files(run_dir, tmp_path):
    for name in AGGREGATED:
        shutil.copy(run_dir / name, tmp_path / name)
    path = write_report(tmp_path, "da")
    assert path == tmp_path / "report.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*AGGREGATED, "report.html"])
    html = path.read_text(encoding="utf-8")
    assert html.count(get_plotlyjs()) == 1  # plotly.js embedded once
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['\"]?https?:", html)
    assert "Content-Security-Policy" in html and '<html lang="da">' in html
    for word in ("Belægning", "varetægtssurrogat", "Venteliste", "pladser", "Scenariets forudsætninger"):
        assert word in html, word
    occ = summary_value(load(tmp_path).summary, "occupancy_mean")
    assert Labels("da").num(occ, 1) in html  # the headline, with a decimal comma
    assert html.count('class="figure-data"') == 10  # with the region section's chart
    assert 'id="policies"' not in html  # the baseline uses no flexible or emergency places


def test_report_refuses_unknown_language_and_non_run_folders(run_dir, tmp_path):
    with pytest.raises(ValueError):
        write_report(run_dir, "fr")
    with pytest.raises(FileNotFoundError, match="summary.csv"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_cli_report_rerenders_without_simulating(run_dir, tmp_path):
    for name in AGGREGATED:
        shutil.copy(run_dir / name, tmp_path / name)
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--lang", "da"])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output and (tmp_path / "report.html").is_file()
    assert not (tmp_path / "replications.parquet").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["report", str(empty)])
    assert result.exit_code == 1 and "not a kapsim output folder" in result.output


def test_cli_run_writes_the_report(tmp_path):
    from tests.helpers import BASELINE

    out = tmp_path / "run"
    args = ["run", str(BASELINE), "-n", "2", "--out", str(out), "-q", "--lang", "en"]
    args += ["--set", "horizon.years=0.5", "--set", "horizon.warmup_days=30"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and "report ->" in result.output
    assert '<html lang="en">' in (out / "report.html").read_text(encoding="utf-8")
