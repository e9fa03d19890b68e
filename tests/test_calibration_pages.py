"""Calibration through the runner (the same numbers serially, on workers, resumed) and its pages, built by the
report package in English and Danish and opened offline in headless Chromium (the ``browser`` fixture)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.calibration import check, data, observations
from sim.cli import main
from sim.report import write_any, write_backtest_report, write_calibration_report
from sim.report.calibration import page_of, sentence
from sim.report.labels import TEXT, Labels
from sim.run.folder import PARTIAL
from sim.run.runner import Interrupted, run
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario, resolved_dict, validate_data
from tests.helpers import BASELINE, ROOT
from tests.report_fixtures import Opened

EXAMPLES = ROOT / "calibration" / "examples"
PER_YEAR = "placement_types.remand.demand.per_year"


def invoke(*args: str, code: int = 0):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def stop_after(monkeypatch, calls: int) -> None:
    """Make the row probe raise KeyboardInterrupt (Ctrl-C) in the replication after ``calls`` finished ones."""
    real, done = check.RowProbe.__call__, []

    def probe(self, records, daily, experiment):
        if len(done) == calls:
            raise KeyboardInterrupt
        done.append(1)
        return real(self, records, daily, experiment)

    monkeypatch.setattr(check.RowProbe, "__call__", probe)


def serial(history, obs) -> np.ndarray:
    """The replication loop check.simulate used to be: every row measured in replication r, one after another."""
    exp = Experiment(history)
    out = []
    for r in range(history.horizon.replications):
        sub = exp.for_replication(r)
        rec = sub.records(r)
        daily = sub.measures(rec).daily
        out.append(check.measure(rec, daily, sub, obs))
    return np.vstack(out)


@pytest.fixture(scope="module")
def history():
    """One year of the examples' truth with two parameter draws (replication r takes draw r mod 2), the places
    of the occupancy series, and the occupancy and yearly rows measured in it: four replications."""
    d = resolved_dict(load_scenario(EXAMPLES / "truth.yaml"))
    d["parameter_uncertainty"] = {"source": "test", "apply": False, "draws": [{PER_YEAR: 250.0}, {PER_YEAR: 330.0}]}
    truth = validate_data(d, {}, "truth with draws")
    occupancy, yearly = data.load(EXAMPLES / "occupancy.csv"), data.load(EXAMPLES / "yearly.csv")
    obs = pd.concat(
        [observations.from_occupancy(occupancy, truth), observations.from_yearly(yearly, truth)], ignore_index=True
    )
    first, last = pd.Timestamp("2022-01-01"), pd.Timestamp("2023-01-01")
    scenario, _ = check.history_scenario(truth, first, last, 4, yearly, occupancy)
    return scenario, obs, serial(scenario, obs)


def test_the_runner_measures_every_row_as_the_serial_loop_did(history):
    scenario, obs, expected = history
    assert scenario.parameter_uncertainty.apply and expected.shape == (4, len(obs))
    assert np.isfinite(expected).sum(axis=1).min() > 50  # the weeks and the year inside the simulated period
    np.testing.assert_array_equal(check.simulate(scenario, obs), expected)


def test_workers_do_not_change_the_numbers(history):
    scenario, obs, expected = history
    np.testing.assert_array_equal(check.simulate(scenario, obs, check.RunOptions(workers=2)), expected)


def test_an_interrupted_history_resumes_with_the_same_numbers(history, tmp_path, monkeypatch):
    scenario, obs, expected = history
    folder = tmp_path / "history"
    stop_after(monkeypatch, 2)
    with pytest.raises(Interrupted):
        check.simulate(scenario, obs, check.RunOptions(folder))
    monkeypatch.undo()
    assert len(list((folder / PARTIAL).glob("chunk-*.npz"))) == 2  # one replication per chunk here
    said = []
    values = check.simulate(scenario, obs, check.RunOptions(folder, say=said.append))
    assert len(said) == 1 and "2 of 4 replications resumed" in said[0]
    np.testing.assert_array_equal(values, expected)
    again = run(scenario, folder, progress=False, probe=check.RowProbe(obs))  # the store holds them all now
    assert again.resumed == 4 and np.array_equal(again.extra, expected, equal_nan=True)
    # a store of other rows (another calibration into the same folder) is replaced, not refused
    np.testing.assert_array_equal(check.simulate(scenario, obs.iloc[:40], check.RunOptions(folder)), expected[:, :40])
    check.remove_stores(tmp_path)
    assert not folder.exists()


# --- the commands and their pages ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """`kapsim calibrate` on episodes and occupancy, in Danish, stopped after two replications and run again."""
    out = tmp_path_factory.mktemp("pages") / "calibration"
    args = [
        "calibrate", str(EXAMPLES / "truth.yaml"), "--episodes", str(EXAMPLES / "episodes.csv"), "--occupancy",
        str(EXAMPLES / "occupancy.csv"), "--out", str(out), "-n", "4", "--bootstrap", "4", "--lang", "da",
    ]  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        stop_after(mp, 2)
        stopped = invoke(*args, code=1)
    chunks = len(list((out / "history" / PARTIAL).glob("chunk-*.npz")))
    return out, stopped, chunks, invoke(*args)


@pytest.fixture(scope="module")
def backtested(tmp_path_factory):
    out = tmp_path_factory.mktemp("pages") / "backtest"
    invoke("backtest", str(BASELINE), "--episodes", str(EXAMPLES / "episodes.csv"), "--cut", "2023-01-01", "--years",
           "1", "--out", str(out), "-n", "4", "--bootstrap", "4", "-w", "2")  # fmt: skip
    return out


def test_an_interrupted_calibration_resumes_and_leaves_no_store(calibrated):
    out, stopped, chunks, printed = calibrated
    assert "run the same command again to resume" in stopped and chunks == 2
    assert "2 of 4 replications resumed" in printed and "calibration.html" in printed
    assert not (out / "history").exists()
    assert {p.name for p in out.iterdir()} == {
        ".kapsim",  # the mark of a folder kapsim writes
        "calibrated.yaml",
        "parameters.csv",
        "fit.csv",
        "facts.json",
        "curves.csv",
        "calibration.html",
    }


def test_pages_are_in_the_language_asked_for(calibrated, backtested):
    out = calibrated[0]
    page = (out / "calibration.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in page
    danish = (
        "kapsim-kalibrering",
        "Tilpassede parametre",
        "Observeret mod simuleret",
        "varetægtssurrogat",
        "Opholdstider og anbringelser fra forløbene",
        "pladser pr. institution fra belægningsserien",
    )
    for words in danish:
        assert words in page, words
    assert "Fitted parameters" not in page
    invoke("report", str(out), "--lang", "en")  # `kapsim report` re-renders the calibration page
    page = (out / "calibration.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Fitted parameters" in page and "Tilpassede parametre" not in page
    assert page_of(backtested) == "backtest.html" and write_any(backtested, "da").name == "backtest.html"
    page = (backtested / "backtest.html").read_text(encoding="utf-8")
    assert "kapsim-efterprøvning" in page and "Fejl før og efter skæringsdatoen" in page and "skæringsdato" in page


def test_every_note_and_method_kapsim_writes_has_danish_words(calibrated, backtested):
    """The English of the cm_/cn_ labels matches every sentence the calibration wrote into its files."""
    da = Labels("da")
    texts = []
    for out, table in ((calibrated[0], "fit.csv"), (backtested, "backtest.csv")):
        facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
        texts += facts["notes"]["fit"] + facts["notes"]["simulation"]
        texts += pd.read_csv(out / "parameters.csv").method.tolist()
        texts += pd.read_csv(out / table).note.dropna().tolist()
    assert len(set(texts)) > 8
    for text in set(texts):
        danish = sentence(text, da)
        for part in text.split("; "):
            assert part not in danish, text
    samples = {  # placeholder: (as kapsim writes it, as the Danish page says it)
        "date": ("2023-01-01", "1. januar 2023"),
        "type": ("remand", "varetægtssurrogat"),
        "types": ("remand, social", "varetægtssurrogat, social anbringelse"),
        "month": ("3", "marts"),
        "aic": ("gamma 12.5, weibull 13.5", "gamma 12,5, weibull 13,5"),
    }
    for key, (english, _) in TEXT.items():  # every label's English, filled in, becomes its Danish
        if key.startswith(("cm_", "cn_")):
            names = re.findall(r"\{(\w+)\}", english)
            raw = {name: samples.get(name, ("7",))[0] for name in names}
            said = {name: samples.get(name, ("7", "7"))[1] for name in names}
            assert sentence(english.format(**raw), da) == da(key, **said), key
    both = "capacity-bound: demand at least this; projected from the state on 2023-01-01"
    assert sentence(both, da) == f"{da('cn_capacity_bound')}; {da('cn_projected_from', date='1. januar 2023')}"


@pytest.fixture(
    scope="module",
    params=[("calibration", "en"), ("calibration", "da"), ("backtest", "en"), ("backtest", "da")],
    ids=lambda p: "-".join(p),
)
def opened(request, browser, calibrated, backtested, tmp_path_factory):
    page, lang = request.param
    folder = tmp_path_factory.mktemp(f"{page}-{lang}")
    for f in (calibrated[0] if page == "calibration" else backtested).iterdir():
        shutil.copy(f, folder / f.name)
    path = (write_calibration_report if page == "calibration" else write_backtest_report)(folder, lang)
    opened = Opened(browser, path)
    opened.lang = lang
    yield opened
    opened.context.close()


def test_pages_open_offline_and_draw_every_chart(opened):
    assert opened.console_errors() == [] and opened.blocked == []
    assert all(u.startswith(("file://", "data:", "blob:")) for u in opened.requests), opened.requests
    page = opened.page
    assert page.evaluate("document.documentElement.lang") == opened.lang
    drawn = opened.drawn()
    embedded = page.evaluate("Array.from(document.querySelectorAll('script.figure-data')).map(s => s.dataset.chart)")
    assert sorted(drawn) == sorted(embedded) and len(drawn) >= 8  # series, residuals and six episode charts
    assert all(n > 0 for n in drawn.values()), drawn
    for chart in drawn:  # an SVG with the plot, not only the data
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    heading = {"en": "Observed against simulated", "da": "Observeret mod simuleret"}[opened.lang]
    assert heading in page.locator("#fit h2").text_content()
