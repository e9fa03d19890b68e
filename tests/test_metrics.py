"""The metrics catalogue is the one home of every metric: measures produce exactly its metrics, the docs and
the report's labels come from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.report.labels import TEXT, Labels
from sim.results.metrics import CATALOGUE, HEADLINE, METRICS, UNITS, markdown
from sim.run.worker import Experiment
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def policy_keys():
    return Experiment(load_scenario(ROOT / "tests" / "golden" / "scenarios" / "policies.yaml")).layout.keys


def test_measures_give_every_catalogue_metric_and_no_other(policy_keys):
    produced = {k[0] for k in policy_keys}
    assert produced == set(CATALOGUE), produced ^ set(CATALOGUE)


def test_scopes_and_types_are_as_the_catalogue_says(policy_keys):
    regions, institutions, values = {"North", "South"}, {"A", "B"}, {"sex=girl", "sex=boy"}
    for m in METRICS:
        keys = [k for k in policy_keys if k[0] == m.name]
        scopes = {k[1] for k in keys} - {"national"}
        home = regions | (values if m.name != "queue_length_max" else set())
        expected = {"home": home, "institution": regions | institutions, "national": set()}[m.scopes]
        assert scopes == expected, m.name
        types = {k[2] for k in keys}
        assert types == ({"all", "remand", "sentence", "social"} if m.by_type else {"all"}), m.name


def test_catalogue_entries_are_complete():
    for m in METRICS:
        assert m.unit in UNITS and m.en and m.da and m.what, m.name
        assert m.scopes in ("home", "institution", "national") and m.combines in (
            "sum",
            "ratio",
            "mean",
            "quantile",
            "max",
        ), m.name
    for h in HEADLINE:
        assert h.metric in CATALOGUE and h.en and h.da
        assert h.placement_type == "all" or CATALOGUE[h.metric].by_type, h.metric


def test_docs_metrics_page_is_generated_from_the_catalogue():
    page = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert page == markdown(), "docs/metrics.md is out of date: run `make docs`"


def test_every_report_label_used_exists_and_every_label_is_used():
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "sim").rglob("*.py") if p.name != "labels.py")
    used = set(re.findall(r"""\blab\(\s*["']([a-z0-9_]+)["']""", source))
    assert not used - set(TEXT), f"label keys used but not defined: {sorted(used - set(TEXT))}"
    # keys looked up by a computed name: the calibration's methods and notes (matched by their English text),
    # its measures (f"cal_m_{name}"), the backtest's windows (f"bt_{window}"), the plan's and place's statuses
    # and place's --over
    dynamic = ("cm_", "cn_", "cal_m_", "bt_fit", "bt_test", "plan_status_", "place_status_", "place_over_")
    unused = [k for k in TEXT if f'"{k}"' not in source and f"'{k}'" not in source and not k.startswith(dynamic)]
    assert not unused, f"label keys defined but never used: {unused}"


def test_labels_resolve_catalogue_keys_in_both_languages():
    for lang in ("en", "da"):
        lab = Labels(lang)
        for m in METRICS:
            assert lab(f"metric:{m.name}:all") and lab(f"axis:{m.unit}") and lab(f"unit:{m.unit}")
    assert Labels("da")("metric:p_wait_over_1_day:remand") == "Unge i varetægtssurrogat, der venter > 1 døgn"
    assert Labels("en")("axis:utilisation:all") == "Utilisation (%)"
