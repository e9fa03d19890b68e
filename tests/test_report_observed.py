"""Observed occupancy drawn against a run (--observed): the table, the chart's traces, the headline, the CLI."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.calibration.data import DataError
from sim.calibration.data import load as load_data
from sim.cli import main
from sim.report import figures as F
from sim.report.data import OBSERVED, load, observed_table
from sim.report.labels import Labels
from sim.report.page import observed_sentence
from tests.helpers import ROOT
from tests.report_fixtures import AGGREGATED, short_run

EXAMPLES = ROOT / "calibration" / "examples"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return short_run(tmp_path_factory.mktemp("observed") / "baseline")


def observed_from(ts: pd.DataFrame, scope: str, pick: str, outside: int = 0, before: int = 0) -> pd.DataFrame:
    """An observed series equal to the run's ``pick`` quantile, ``outside`` days of it above the 95th
    percentile, and ``before`` days dated before the run."""
    s = ts[(ts.measure == "occupancy") & (ts.scope == scope)].sort_values("date").reset_index(drop=True)
    occupied = s[pick].to_numpy(dtype=float).copy()
    occupied[:outside] = s.p95.to_numpy()[:outside] + 5
    rows = pd.DataFrame({"date": s.date, "scope": scope, "occupied": occupied, "places": 107.0, "period": "day",
                         "source": "made-up.csv"})  # fmt: skip
    early = pd.DataFrame(
        {
            "date": s.date.iloc[0] - pd.to_timedelta(np.arange(before, 0, -1), unit="D"),
            "scope": scope,
            "occupied": 1.0,
            "places": 107.0,
            "period": "day",
            "source": "made-up.csv",
        }
    )
    return pd.concat([early, rows], ignore_index=True)


def test_the_table_keeps_the_scenarios_institutions_and_complete_counts(tmp_path):
    path = tmp_path / "occ.csv"
    path.write_text(
        "date,institution,occupied,places,placement_type\n"
        "2024-01-01,A,5,6,all\n2024-01-01,B,3,4,remand\n2024-01-01,B,2,4,social\n2024-01-01,Someone,7,7,all\n"
        "2024-01-02,A,4,6,all\n2024-01-02,A,9,6,remand\n2024-01-02,B,1,4,all\n"
        "2024-01-03,A,4,6,all\n2024-01-03,B,1,4,remand\n",
        encoding="utf-8",
    )
    table, notes = observed_table(load_data(path, expect="occupancy"), ["A", "B"], ["remand", "social"])
    got = {(r.date, r.scope): (r.occupied, r.places) for r in table.itertuples()}
    assert got == {
        ("2024-01-01", "national"): (10, 10),
        ("2024-01-02", "national"): (5, 10),  # none on the 3rd: B incomplete
        ("2024-01-01", "A"): (5, 6),
        ("2024-01-02", "A"): (4, 6),
        ("2024-01-03", "A"): (4, 6),  # 'all' rows win
        ("2024-01-01", "B"): (5, 4),
        ("2024-01-02", "B"): (1, 4),  # typed rows add up when every type has one
    }
    assert "Someone" not in set(table.scope)  # a name the scenario does not have is not copied
    assert notes == [
        "1 institution name(s) in the file are not in the scenario and are left out",
        "the national line covers the 2 of 3 dates on which every institution of the scenario reports",
    ]
    assert set(table.period) == {"day"} and set(table.source) == {"occ.csv"}


def test_occupancy_files_with_a_cpr_like_name_duplicates_or_a_national_row_are_refused(tmp_path):
    body = "date,institution,occupied,places\n2024-01-01,A,5,6\n"
    named = tmp_path / "0102031234.csv"
    named.write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match="file's name looks like a CPR number") as info:
        load_data(named)
    assert "0102031234" not in str(info.value)
    twice = tmp_path / "twice.csv"
    twice.write_text(body + "2024-01-01,A,6,6\n", encoding="utf-8")
    with pytest.raises(DataError, match="twice.csv: line 3: a second row for the same date, institution"):
        load_data(twice)
    national = tmp_path / "national.csv"
    national.write_text(body + "2024-01-01,National,6,6\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3: 'national' is reserved"):
        load_data(national)


def test_observed_trace_per_scope_inside_the_run_only(run_dir):
    data = load(run_dir)
    ts = data.timeseries
    inst = [s for s in pd.unique(ts[ts.measure == "occupancy"].scope) if s != "national"][0]
    observed = pd.concat([observed_from(ts, "national", "p50", before=30), observed_from(ts, inst, "mean")])
    fig = F.occupancy_fan(ts, Labels("en"), observed)
    traces = [t for t in fig.data if t.meta["stat"] == "observed"]
    assert [t.meta["scope"] for t in traces] == ["national", inst]  # none for institutions not observed
    national = ts[(ts.measure == "occupancy") & (ts.scope == "national")].sort_values("date")
    np.testing.assert_array_equal(np.asarray(traces[0].y, dtype=float), national.p50.to_numpy(dtype=float))
    assert list(traces[0].x)[0] == national.date.iloc[0].strftime("%Y-%m-%d")  # the 30 days before are left out
    assert traces[0].name == "Observed" and traces[0].mode == "lines"
    assert traces[0].visible is True and traces[1].visible is False
    menu = fig.layout.updatemenus[0]
    scopes = ["national"] + [s for s in pd.unique(ts[ts.measure == "occupancy"].scope) if s != "national"]
    for button, scope in zip(menu.buttons, scopes):
        shown = [
            t.meta["scope"] for t, v in zip(fig.data, button.args[0]["visible"]) if v and t.meta["stat"] == "observed"
        ]
        assert shown == ([scope] if scope in ("national", inst) else [])
    assert len(F.occupancy_fan(ts, Labels("en")).data) == len(fig.data) - 2


def test_headline_counts_the_days_inside_the_90_range(run_dir):
    data = load(run_dir)
    ts = data.timeseries
    nat = ts[(ts.measure == "occupancy") & (ts.scope == "national")].sort_values("date").reset_index(drop=True)
    days = len(nat)
    observed = observed_from(ts, "national", "p50", outside=73, before=10).assign(source="sub<b>&x.csv")
    # on the band's edges and between the 75th and 95th percentiles still counts as inside
    rows = observed.index[observed.date.isin(nat.date)][73:]
    observed.loc[rows[:50], "occupied"] = nat.p05.to_numpy()[73:123]
    observed.loc[rows[50:100], "occupied"] = nat.p95.to_numpy()[123:173]
    between = (nat.p75 + nat.p95) / 2
    observed.loc[rows[100:150], "occupied"] = between.to_numpy()[173:223]
    assert (nat.p95 > nat.p75).iloc[173:223].any()  # the test needs some room between them
    observed.loc[rows[150:160], "occupied"] = nat.p05.to_numpy()[223:233] - 0.5  # just below: outside
    sentence = observed_sentence(type(data)(data.summary, ts, data.scenario, data.manifest, observed), Labels("en"))
    inside = Labels("en").pct((days - 83) / days)
    assert f"on <b>{inside}</b> of the {days} days" in sentence
    assert "sub&lt;b&gt;&amp;x.csv" in sentence and "<b>&x" not in sentence
    assert observed_sentence(data, Labels("en")) is None  # nothing observed: no sentence


def test_monthly_means_are_markers_mid_month_for_the_months_the_run_touches(run_dir):
    data = load(run_dir)
    ts = data.timeseries
    nat = ts[(ts.measure == "occupancy") & (ts.scope == "national")].sort_values("date")
    first = nat.date.iloc[0]  # the run starts on the first of a month
    months = pd.date_range(first - pd.offsets.MonthBegin(2), periods=30, freq="MS")
    observed = pd.DataFrame({"date": months, "scope": "national", "occupied": 90.0, "places": 107.0,
                             "period": "month", "source": "monthly.csv"})  # fmt: skip
    fig = F.occupancy_fan(ts, Labels("en"), observed)
    (trace,) = [t for t in fig.data if t.meta["stat"] == "observed"]
    assert trace.mode == "markers" and trace.name == "Observed (monthly mean)"
    kept = months[(months >= first) & (months <= nat.date.iloc[-1])]
    assert len(kept) == 24 and first.day == 1  # two years of months, the two before the run left out
    assert list(trace.x) == [(d + pd.Timedelta(days=14)).strftime("%Y-%m-%d") for d in kept]
    assert "monthly means" in observed_sentence(
        type(data)(data.summary, ts, data.scenario, data.manifest, observed), Labels("en")
    )


def test_run_and_report_draw_the_observed_series(tmp_path):
    snap = tmp_path / "from-2023.yaml"
    runner = CliRunner()
    episodes = str(EXAMPLES / "episodes.csv")
    result = runner.invoke(
        main,
        ["snapshot", str(EXAMPLES / "truth.yaml"), "--episodes", episodes, "--date", "2023-01-01", "--out", str(snap)],
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "run"
    args = ["run", str(snap), "-n", "4", "--set", "horizon.years=0.5", "--out", str(out), "-q"]
    result = runner.invoke(main, [*args, "--observed", str(EXAMPLES / "occupancy.csv")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / OBSERVED)
    census = pd.read_csv(EXAMPLES / "occupancy.csv").groupby("date").occupied.sum()
    national = table[table.scope == "national"].set_index("date").occupied
    assert len(national) == len(census) and np.array_equal(national.to_numpy(), census.reindex(national.index))
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Observed occupancy (occupancy.csv): on <b>" in html
    # kapsim report re-renders from the saved files, observed.csv included
    (out / "report.html").unlink()
    assert runner.invoke(main, ["report", str(out)]).exit_code == 0
    assert "Observed occupancy (occupancy.csv)" in (out / "report.html").read_text(encoding="utf-8")
    # a new run in the folder without --observed shows nothing observed from before
    assert runner.invoke(main, args).exit_code == 0
    assert not (out / OBSERVED).exists()
    assert "Observed occupancy" not in (out / "report.html").read_text(encoding="utf-8")


def test_observed_data_with_identifiers_is_refused_before_the_run(tmp_path, run_dir):
    bad = tmp_path / "occ.csv"
    bad.write_text("date,institution,occupied,places,cpr\n2025-01-01,Egely,3,14,010203-1234\n", encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main, ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--out", str(out), "--observed", str(bad), "-q"]
    )
    assert result.exit_code != 0 and "column 'cpr' looks like a person identifier" in result.output
    assert "010203-1234" not in result.output and not out.exists()
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in AGGREGATED:
        shutil.copy(run_dir / name, copy / name)
    result = CliRunner().invoke(main, ["report", str(copy), "--observed", str(bad)])
    assert result.exit_code != 0 and not (copy / OBSERVED).exists() and not (copy / "report.html").exists()


def test_observed_line_is_drawn_in_the_browser(browser, run_dir, tmp_path):
    from sim.report import write_report
    from tests.report_fixtures import Opened

    for name in AGGREGATED:
        shutil.copy(run_dir / name, tmp_path / name)
    ts = load(tmp_path).timeseries
    observed = observed_from(ts, "national", "p50", outside=10)
    observed.assign(date=observed.date.dt.strftime("%Y-%m-%d")).to_csv(tmp_path / OBSERVED, index=False)
    opened = Opened(browser, write_report(tmp_path, "da"))
    try:
        shown = opened.page.evaluate(
            "() => document.getElementById('chart-occupancy')._fullData"
            ".filter(t => t.visible === true && t.meta.stat === 'observed').map(t => [t.name, t.y.length])"
        )
        assert shown == [["Observeret", len(observed)]]
        assert "Observeret belægning (made-up.csv)" in opened.page.content()
        assert opened.console_errors() == []
    finally:
        opened.context.close()


def test_a_file_for_some_institutions_draws_them_but_no_national_line(run_dir, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    for name in AGGREGATED:
        shutil.copy(run_dir / name, folder / name)
    days = pd.date_range("2025-01-01", periods=10, freq="D").strftime("%Y-%m-%d")
    lines = [f"{d},{inst},{n},19" for d in days for inst, n in (("Egely", 17), ("Grenen", 12), ("Someone", 3))]
    path = tmp_path / "two.csv"
    path.write_text("date,institution,occupied,places\n" + "\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(folder), "--observed", str(path)])
    assert result.exit_code == 0, result.output
    assert "observed: 1 institution name(s) in the file are not in the scenario" in result.output
    assert "observed: the national line covers the 0 of 10 dates" in result.output
    assert "Someone" not in result.output
    table = pd.read_csv(folder / OBSERVED)
    assert sorted(set(table.scope)) == ["Egely", "Grenen"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Observed occupancy (" not in html  # no national count to compare
    old = tmp_path / "old.csv"
    old.write_text("date,institution,occupied,places\n2019-01-01,Egely,3,19\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(folder), "--observed", str(old)])
    assert result.exit_code == 0 and "observed: no observed date falls in the run (2025-01-01 to 2026-12-31)" in (
        result.output
    )
