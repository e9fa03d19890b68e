"""The report as a planner meets it: opened from file:// in headless Chromium with the network blocked.

Needs Debian's chromium (/usr/bin/chromium, or $CHROMIUM) and Playwright for Python; without them these
tests skip, except under CI=true, where a missing browser fails (the ``browser`` fixture, tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.report import write_report
from sim.report.labels import Labels
from tests.report_fixtures import Opened, short_run

# chart div -> traces it must hold (filled in from the run for the occupancy fan)
CHARTS = {
    "chart-season": 3,
    "chart-queue": 5,
    "chart-waits": 3,
    "chart-heat": 1,
    "chart-admissions": 3,
    "chart-out_of_region": 1,
    "chart-costs": 1,
    "chart-years": 9,  # one panel per headline figure but the levels (places, occupancy)
    "chart-region_queue": 15,  # band (two traces) and mean of each of the five regions
}
VISIBLE = """id => document.getElementById(id)._fullData
    .filter(t => t.visible === true).map(t => t.meta.scope + ':' + t.meta.stat)"""
MEDIAN = """id => { const t = document.getElementById(id)._fullData
    .find(t => t.visible === true && t.meta.stat === 'p50'); return Array.from(t.y); }"""
LINE_PATHS = """id => Array.from(document.querySelectorAll('#' + id + ' .scatterlayer .trace .js-line'))
    .map(p => p.getAttribute('d'))"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("browser") / "baseline", replications=4, seed=5)


@pytest.fixture(scope="module", params=["en", "da"])
def opened(request, browser, run_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"report-{request.param}")
    for f in run_dir.iterdir():
        if f.is_file() and f.name != "replications.parquet":
            (folder / f.name).write_bytes(f.read_bytes())
    path = write_report(folder, request.param)
    page = Opened(browser, path)
    page.lang = request.param
    page.folder = folder
    yield page
    page.context.close()


def _hover_middle(page, chart: str) -> None:
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    box = page.locator(f"#{chart} .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)


def test_opens_offline_without_errors(opened):
    assert opened.console_errors() == []
    assert opened.blocked == []
    assert all(u.startswith(("file://", "data:", "blob:")) for u in opened.requests), opened.requests
    assert opened.page.evaluate("document.documentElement.lang") == opened.lang


def test_every_chart_is_drawn(opened, run_dir):
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    n_inst = ts[ts.measure == "occupancy"].scope.nunique() - 1
    expected = {"chart-occupancy": 6 * (1 + n_inst), **CHARTS}
    drawn = opened.page.evaluate(
        "() => Object.fromEntries(Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(el => [el.id, el.data.length]))"
    )
    assert drawn == expected
    for chart in expected:  # an SVG with the plot, not only the data
        assert opened.page.locator(f"#{chart} .main-svg").count() >= 1, chart
    # the plotted national median is the timeseries' median, decoded from the embedded arrays
    median = opened.page.evaluate(MEDIAN, "chart-occupancy")
    nat = ts[(ts.measure == "occupancy") & (ts.scope == "national")].sort_values("date")
    np.testing.assert_allclose(median, nat.p50.to_numpy())


def test_hover_shows_exact_values(opened):
    page = opened.page
    page.locator("#chart-waits").scroll_into_view_if_needed()
    box = page.locator("#chart-waits .bars .point path").first.bounding_box()  # mean wait of all types
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    page.wait_for_selector("#chart-waits .hoverlayer .hovertext", timeout=5_000)
    text = page.locator("#chart-waits .hoverlayer .hovertext").first.text_content()
    assert ("95 % CI" if opened.lang == "en" else "95 %-KI") in text
    _hover_middle(page, "chart-occupancy")
    page.wait_for_function(
        "() => document.querySelector('#chart-occupancy .hoverlayer').textContent.length > 0", timeout=5_000
    )
    text = page.locator("#chart-occupancy .hoverlayer").text_content()
    assert "Median" in text and ("Open places" if opened.lang == "en" else "Åbne pladser") in text
    page.mouse.move(0, 0)


def test_institution_selector_changes_the_plotted_data(opened):
    page = opened.page
    chart = "chart-occupancy"
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    before = page.evaluate(VISIBLE, chart)
    assert before and all(v.startswith("national:") for v in before)
    median_before = page.evaluate(MEDIAN, chart)
    paths_before = page.evaluate(LINE_PATHS, chart)
    page.click(f"#{chart} .updatemenu-header-group")
    option = page.locator(f"#{chart} .updatemenu-dropdown-button", has_text="Egely")
    option.click()
    page.wait_for_function(f"() => document.getElementById('{chart}')._fullData[0].visible !== true", timeout=5_000)
    after = page.evaluate(VISIBLE, chart)
    assert after == [v.replace("national:", "Egely:") for v in before]
    median_after = page.evaluate(MEDIAN, chart)
    assert len(median_after) == len(median_before) and median_after != median_before
    assert max(median_after) <= 19 < np.mean(median_before)  # Egely has 19 places, the country 107
    assert page.evaluate(LINE_PATHS, chart) != paths_before
    assert "Egely" in page.locator(f"#{chart} .gtitle").text_content()
    assert opened.console_errors() == []


def test_region_selector_shows_that_regions_figures(opened, run_dir):
    """Choosing a region shows its table (and hides the others) and draws its waiting list only."""
    page = opened.page
    page.locator("#region-select").scroll_into_view_if_needed()
    shown = (
        "() => Array.from(document.querySelectorAll('.region-panel')).filter(p => !p.hidden).map(p => p.dataset.region)"
    )
    regions = "id => document.getElementById(id)._fullData.filter(t => t.visible === true).map(t => t.meta.region)"
    assert page.evaluate(shown) == ["Hovedstaden"]
    assert set(page.evaluate(regions, "chart-region_queue")) == {"Hovedstaden"}
    page.select_option("#region-select", "Nordjylland")
    page.wait_for_function("() => !document.querySelector('.region-panel[data-region=\"Nordjylland\"]').hidden")
    assert page.evaluate(shown) == ["Nordjylland"]
    assert set(page.evaluate(regions, "chart-region_queue")) == {"Nordjylland"}
    summary = pd.read_csv(run_dir / "summary.csv")
    row = summary[(summary.metric == "queue_length_mean") & (summary.scope == "Nordjylland")]
    text = page.locator('.region-panel[data-region="Nordjylland"]').text_content()
    assert Labels(opened.lang).num(float(row["mean"].iloc[0]), 2) in text
    assert opened.console_errors() == []
