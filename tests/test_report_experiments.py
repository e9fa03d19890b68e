"""comparison.html and sweep.html: their figures built directly from tiny experiments, and the pages opened
in headless Chromium from file:// with the network blocked (the ``browser`` fixture skips without Chromium,
and fails under CI=true)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from plotly.offline import get_plotlyjs

from sim.cli import main
from sim.report import experiment_figures as EF
from sim.report import write_comparison_report, write_report, write_sweep_report
from sim.report.data import institutions, load
from sim.report.experiments import COST, HEADLINE, PLACES, REMAND_OVER_1, load_comparison, load_sweep, national, shown
from sim.report.labels import Labels
from tests.report_fixtures import AGGREGATED, SWEEP_KEYS, Opened, policy_run, tiny_comparison, tiny_sweep
from tests.test_report import axis_titles

NAMES = ["baseline", "extra-places", "policies"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    return tiny_comparison(tmp_path_factory.mktemp("experiments"))


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    return tiny_sweep(tmp_path_factory.mktemp("experiments"))


@pytest.fixture(scope="module")
def en():
    return Labels("en")


def aggregated_copy(folder: Path, target: Path) -> Path:
    """The experiment's tables and each sub-folder's aggregated files, and nothing else."""
    target.mkdir(parents=True, exist_ok=True)
    for f in folder.iterdir():
        if f.is_file() and f.suffix == ".csv":
            shutil.copy(f, target / f.name)
        elif f.is_dir():
            (target / f.name).mkdir()
            for name in AGGREGATED:
                shutil.copy(f / name, target / f.name / name)
    return target


def values(trace, axis: str = "x") -> np.ndarray:
    return np.asarray(getattr(trace, axis), dtype=float)


# --- comparison figures -------------------------------------------------------------------------------------


def test_compare_writes_comparison_html(compared):
    html = (compared / "comparison.html").read_text(encoding="utf-8")
    assert html.count(get_plotlyjs()) == 1  # plotly.js embedded once
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['\"]?https?:", html)
    assert "Content-Security-Policy" in html and '<html lang="en">' in html
    assert html.count('class="figure-data"') == 4  # side by side, differences, occupancy, by region
    assert "common random numbers" in html and "paired intervals are the ones to read" in html


def test_comparison_metrics_are_the_csv_with_intervals(compared, en):
    data = load_comparison(compared)
    assert data.names == NAMES and set(data.runs) == set(NAMES)
    specs = shown(data.table)
    assert specs == list(HEADLINE)  # the policies scenario uses flexible and emergency places
    fig = EF.compare_metrics(data.table, data.names, specs, en)
    assert len(fig.data) == len(specs)
    for k, (trace, spec) in enumerate(zip(fig.data, specs)):
        rows = national(data.table, spec).set_index("scenario").loc[NAMES]
        assert list(trace.y) == NAMES and trace.meta["metric"] == spec.metric
        np.testing.assert_allclose(values(trace), rows["mean"] * spec.scale, rtol=1e-12)
        np.testing.assert_allclose(trace.error_x.array, (rows.ci_high - rows["mean"]) * spec.scale, rtol=1e-9)
        np.testing.assert_allclose(trace.error_x.arrayminus, (rows["mean"] - rows.ci_low) * spec.scale, rtol=1e-9)
        axis = fig.layout[f"xaxis{k + 1 if k else ''}"]
        assert axis.title.text == en(spec.axis)
    titles = axis_titles(fig)
    assert titles["xaxis"] == "Utilisation (%)" and titles["yaxis"] == "Scenario"
    cost_axis = f"xaxis{specs.index(COST) + 1}"
    assert titles[cost_axis] == "Million kroner per year" and all(titles.values())
    assert fig.layout.xaxis.tickformat == ".0%" and fig.layout.yaxis.autorange == "reversed"


def test_paired_differences_have_a_zero_line(compared, en):
    data = load_comparison(compared)
    specs = shown(data.table)
    fig = EF.compare_differences(data.table, data.names, specs, en)
    others = NAMES[1:]
    for k, (trace, spec) in enumerate(zip(fig.data, specs)):
        rows = national(data.table, spec).set_index("scenario").loc[others]
        assert list(trace.y) == others and trace.meta["reference"] == "baseline"
        np.testing.assert_allclose(values(trace), rows.diff_mean * spec.diff_scale, rtol=1e-12)
        np.testing.assert_allclose(trace.error_x.array, (rows.diff_ci_high - rows.diff_mean) * spec.diff_scale)
        axis = fig.layout[f"xaxis{k + 1 if k else ''}"]
        assert axis.range[0] < 0 < axis.range[1]
    zero = [s for s in fig.layout.shapes if s.x0 == 0 and s.x1 == 0]
    assert len(zero) == len(specs)
    titles = axis_titles(fig)
    assert titles["xaxis"] == "Difference (percentage points)"
    assert titles[f"xaxis{specs.index(COST) + 1}"] == "Difference (million kr per year)"
    # twelve more places: the cost difference is their price, the same in every replication
    cost = national(data.table, COST).set_index("scenario").loc["extra-places"]
    assert cost.diff_ci_high - cost.diff_ci_low < 0.1 * (cost.ci_high - cost.ci_low) + 1.0


def test_occupancy_over_time_per_scenario(compared, en):
    data = load_comparison(compared)
    runs = {name: data.runs[name].timeseries for name in data.names}
    fig = EF.compare_occupancy(runs, en)
    ts = runs["baseline"]
    insts = [s for s in pd.unique(ts[ts.measure == "occupancy"].scope) if s != "national"]
    assert len(fig.data) == 4 * len(NAMES) * (1 + len(insts))
    assert [t.visible for t in fig.data] == [t.meta["scope"] == "national" for t in fig.data]
    for trace in fig.data:
        meta = trace.meta
        s = runs[meta["scenario"]]
        measure = "places_open" if meta["stat"] == "places" else "occupancy"
        s = s[(s.measure == measure) & (s.scope == meta["scope"])].sort_values("date")
        column = "mean" if meta["stat"] == "places" else meta["stat"]
        np.testing.assert_allclose(values(trace, "y"), s[column].to_numpy(), rtol=1e-6)
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["National", *insts]
    assert axis_titles(fig) == {"xaxis": "Date", "yaxis": "Youths placed (number)"}


def test_comparison_page_in_danish_from_the_aggregated_files_only(compared, tmp_path):
    folder = aggregated_copy(compared, tmp_path / "copy")
    result = CliRunner().invoke(main, ["report", str(folder), "--lang", "da"])
    assert result.exit_code == 0, result.output
    assert (folder / "comparison.html").is_file() and not (folder / "report.html").exists()
    html = (folder / "comparison.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in html and "Parrede forskelle til baseline" in html
    assert "fælles tilfældige tal" in html and "Belægningsprocent" in html
    cost = national(load_comparison(folder).table, COST).set_index("scenario").loc["baseline", "mean"]
    assert Labels("da").mio_kr(cost, 1) in html  # decimal comma in the table


# --- sweep figures ------------------------------------------------------------------------------------------


def test_sweep_writes_sweep_html(swept):
    html = (swept / "sweep.html").read_text(encoding="utf-8")
    assert html.count(get_plotlyjs()) == 1
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['\"]?https?:", html)
    assert html.count('class="figure-data"') == 2 and "Egely.places: 19, 23" in html


def test_sweep_metrics_against_the_first_key(swept, en):
    data = load_sweep(swept)
    assert data.keys == list(SWEEP_KEYS) and len(data.points) == 4
    specs = shown(data.table)
    fig = EF.sweep_metrics(data.table, data.points, data.keys, data.names, specs, en)
    assert len(fig.data) == 3 * 2 * len(specs)  # band edges and mean line, two lines per panel
    lines = [t for t in fig.data if t.meta["stat"] == "mean"]
    assert [t.name for t in lines[:2]] == ["demand.growth=0", "demand.growth=0.05"]
    table = data.table.set_index(["point", "metric", "scope", "placement_type"])
    for trace in fig.data:
        m = trace.meta
        assert list(trace.x) == [19, 23]
        expected = [table.loc[(p, m["metric"], "national", m["ptype"]), m["stat"]] for p in m["points"]]
        np.testing.assert_allclose(values(trace, "y"), np.array(expected) * m["scale"], rtol=1e-12)
    growth = data.points.set_index("point")[SWEEP_KEYS[1]]
    assert [growth[p] for p in lines[1].meta["points"]] == [0.05, 0.05]
    titles = axis_titles(fig)
    assert titles["xaxis"] == "Egely.places (places)" and titles["yaxis"] == "Utilisation (%)" and all(titles.values())


def test_tradeoff_of_places_and_cost_against_remand_waits(swept, en):
    data = load_sweep(swept)
    fig = EF.sweep_tradeoff(data.table, data.points, data.keys, data.names, en)
    assert (
        len(fig.data) == 4 and [t.meta["metric"] for t in fig.data] == ["places_open_mean"] * 2 + ["cost_per_year"] * 2
    )
    y_rows = national(data.table, REMAND_OVER_1).set_index("point")
    for trace in fig.data:
        x_rows = data.table[(data.table.metric == trace.meta["metric"]) & (data.table.scope == "national")]
        x_rows = x_rows.set_index("point").loc[trace.meta["points"]]
        np.testing.assert_allclose(values(trace), x_rows["mean"] * trace.meta["scale"], rtol=1e-12)
        np.testing.assert_allclose(values(trace, "y"), y_rows.loc[trace.meta["points"], "mean"], rtol=1e-12)
        labels = [row[0] for row in trace.customdata]
        assert labels == data.points.set_index("point").loc[trace.meta["points"], "label"].tolist()
        assert trace.error_y.array is not None and trace.error_x.array is not None
    places = national(data.table, PLACES).set_index("point")["mean"]
    assert places.loc[2] - places.loc[0] == pytest.approx(4)  # four more places at Egely
    assert axis_titles(fig) == {"xaxis": "Places (number)", "yaxis": "Share of remanded youths (%)"} | {
        "xaxis2": "Million kroner per year"
    }
    assert fig.data[0].customdata[0][0] == "Egely.places=19, demand.growth=0"


def test_sweep_page_from_the_aggregated_files_only(swept, tmp_path):
    folder = aggregated_copy(swept, tmp_path / "copy")
    result = CliRunner().invoke(main, ["report", str(folder), "--lang", "da"])
    assert result.exit_code == 0, result.output
    html = (folder / "sweep.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in html and "Afvejning" in html and "varetægtssurrogat" in html


def test_no_data_gives_no_figure(en):
    empty = pd.DataFrame(columns=["point", "metric", "scope", "placement_type", "mean", "ci_low", "ci_high", "n"])
    points = pd.DataFrame({"point": [], "a": [], "label": []})
    assert EF.compare_metrics(empty, ["a", "b"], [], en) is None
    assert EF.compare_differences(empty, ["a"], list(HEADLINE), en) is None
    assert EF.compare_occupancy({}, en) is None
    assert EF.sweep_metrics(empty, points, ["a"], {"a": "a"}, [], en) is None
    assert EF.sweep_tradeoff(empty, points, ["a"], {"a": "a"}, en) is None


# --- in the browser -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(browser, compared, swept, tmp_path_factory):
    """comparison.html in English and sweep.html in Danish, each open in its own page (a page takes seconds
    to load here, so each is opened in one language; both languages' figures are tested above)."""
    root = tmp_path_factory.mktemp("pages")
    comparison = write_comparison_report(aggregated_copy(compared, root / "compare"), "en")
    sweep = write_sweep_report(aggregated_copy(swept, root / "sweep"), "da")
    opened = {"comparison": Opened(browser, comparison), "sweep": Opened(browser, sweep)}
    opened["comparison"].lang, opened["sweep"].lang = "en", "da"
    yield opened
    for page in opened.values():
        page.context.close()


def _hover(page, selector: str) -> str:
    """Move the mouse onto the first element matching ``selector`` and return the tooltip's text."""
    chart = selector.split(" ")[0]
    page.locator(selector).first.scroll_into_view_if_needed()  # the point, not the chart: a tall chart's top
    box = page.locator(selector).first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    page.wait_for_selector(f"{chart} .hoverlayer .hovertext", timeout=5_000)
    text = page.locator(f"{chart} .hoverlayer .hovertext").first.text_content()
    page.mouse.move(0, 0)
    return text


def test_comparison_opens_offline_and_draws_every_chart(pages, compared):
    opened = pages["comparison"]
    assert opened.console_errors() == [] and opened.blocked == []
    assert all(u.startswith(("file://", "data:", "blob:")) for u in opened.requests), opened.requests
    assert opened.page.evaluate("document.documentElement.lang") == opened.lang
    data = load_comparison(compared)
    k = len(shown(data.table))
    n_inst = len(institutions(data.runs["baseline"].timeseries))
    regions = data.runs["baseline"].scenario["regions"]
    by_region = [s for s in shown(data.table) if data.table[(data.table.metric == s.metric)
                 & (data.table.placement_type == s.ptype)]["scope"].isin(regions).any()]  # fmt: skip
    drawn = opened.drawn()
    assert drawn == {
        "chart-side": k,
        "chart-diff": k,
        "chart-occupancy": 4 * 3 * (1 + n_inst),
        "chart-regions": len(by_region) * (len(data.names) - 1),  # a trace per metric and other scenario
    }
    page = opened.page
    for chart in drawn:
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    assert page.locator("#chart-diff .shapelayer path").count() >= k  # a zero line per panel
    # the plotted utilisation is the CSV's, decoded in the page
    x = page.evaluate("() => Array.from(document.getElementById('chart-side')._fullData[0].x)")
    rows = national(data.table, HEADLINE[0]).set_index("scenario").loc[NAMES]
    np.testing.assert_allclose(x, rows["mean"], rtol=1e-6)
    text = _hover(page, "#chart-side .scatterlayer .trace .points path")
    assert ("95 % CI" if opened.lang == "en" else "95 %-KI") in text and "baseline" in text
    text = _hover(page, "#chart-diff .scatterlayer .trace .points path")
    assert ("paired 95 % CI" if opened.lang == "en" else "parret 95 %-KI") in text
    assert opened.console_errors() == []


def test_sweep_opens_offline_and_draws_every_chart(pages, swept):
    opened = pages["sweep"]
    assert opened.console_errors() == [] and opened.blocked == []
    assert all(u.startswith(("file://", "data:", "blob:")) for u in opened.requests), opened.requests
    data = load_sweep(swept)
    k = len(shown(data.table))
    drawn = opened.drawn()
    assert drawn == {"chart-metrics": 3 * 2 * k, "chart-tradeoff": 4}
    page = opened.page
    for chart in drawn:
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    assert page.locator("#chart-tradeoff .scatterlayer .trace .points path").count() == 8  # a marker per point
    text = _hover(page, "#chart-tradeoff .scatterlayer .trace .points path")
    assert "Egely.places=19" in text and ("95 % CI" if opened.lang == "en" else "95 %-KI") in text
    assert opened.console_errors() == []


def test_run_report_draws_flexible_and_emergency_places(browser, tmp_path_factory):
    folder = policy_run(tmp_path_factory.mktemp("policies-browser") / "run")
    opened = Opened(browser, write_report(folder, "en"))
    try:
        assert opened.console_errors() == [] and opened.blocked == []
        drawn = opened.drawn()
        ts = load(folder).timeseries
        assert drawn["chart-policies"] == 4 and drawn["chart-flexible"] == 8  # two institutions, four traces each
        assert "Sølager" in ts.scope.values
        assert opened.page.locator("#policies .read").count() == 2  # how to read each chart
    finally:
        opened.context.close()
