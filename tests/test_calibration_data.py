"""The calibration formats: loading, clear errors, and refusal of anything that looks like a person."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.calibration import data
from sim.calibration.data import DataError
from tests.helpers import ROOT

PUBLIC = ROOT / "calibration" / "denmark_public.csv"
SHARED = Path("/work/shared/data/public_figures.csv")
EPISODES = "admission_date,discharge_date,placement_type,institution,home_region\n"


def write(tmp_path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_public_file_loads_and_keeps_sources():
    yearly = data.load(PUBLIC)
    assert isinstance(yearly, data.Yearly)
    rows = yearly.rows
    assert (rows["source"] != "").all() and set(rows["tag"]) <= {"S", "D", "E"}
    social = rows[(rows.measure == "admissions") & (rows.placement_type == "social")]
    assert dict(zip(social.period, social.value)) == {"2010": 34, "2015": 114, "2020": 152}
    span = rows[rows.period == "2004/2009"].iloc[0]
    assert (span.start.year, span.end.year) == (2004, 2010)


@pytest.mark.skipif(not SHARED.is_file(), reason="the shared public figures are not on this machine")
def test_public_file_is_rebuilt_exactly_by_its_script(tmp_path):
    out = tmp_path / "public.csv"
    subprocess.run([sys.executable, str(ROOT / "calibration" / "build_public.py"), str(SHARED), str(out)], check=True)
    assert out.read_bytes() == PUBLIC.read_bytes()


@pytest.mark.parametrize("header", ["cpr", "CPR-nr", "cpr_nr", "Personnummer", "navn", "Fornavn", "efternavn", "name"])
def test_identifier_column_is_refused_by_name(tmp_path, header):
    path = write(tmp_path, f"{header},{EPISODES.strip()}\nx,2020-01-01,,remand,A,R\n")
    with pytest.raises(DataError) as info:
        data.load(path)
    message = str(info.value)
    assert str(path) in message and f"column '{header}'" in message and "person identifier" in message


@pytest.mark.parametrize("value", ["010203-1234", "0102031234", "note 311299-0001 here"])
def test_cpr_like_value_is_refused_without_repeating_it(tmp_path, value):
    path = write(tmp_path, EPISODES + f"2020-01-01,,remand,{value},R\n")
    with pytest.raises(DataError) as info:
        data.load(path)
    message = str(info.value)
    assert "column 'institution', line 2" in message and "CPR" in message
    assert value not in message and "0102031234" not in message


def test_ten_digits_without_a_date_and_ordinary_dates_are_accepted(tmp_path):
    assert not data.looks_like_cpr("3213991234")  # day 32 is no date
    assert not data.looks_like_cpr("2020-01-01")
    path = write(tmp_path, EPISODES + "2020-01-01,2020-02-01,remand,Inst 3213991234,R\n")
    assert len(data.load(path).rows) == 1


def test_unknown_column_and_bad_values_name_file_column_and_line(tmp_path):
    path = write(tmp_path, "date,institution,occupied,places,note\n2020-01-01,A,3,5,x\n")
    with pytest.raises(DataError, match=r"column 'note' is not part of the occupancy format"):
        data.load(path)
    path = write(tmp_path, "date,institution,occupied,places\n2020-01-01,A,3,5\n2020-01-02,A,three,5\n")
    with pytest.raises(DataError, match=r"f.csv: column 'occupied', line 3: expected a number, got 'three'"):
        data.load(path)
    path = write(tmp_path, EPISODES + "2020-02-01,2020-01-01,remand,A,R\n")
    with pytest.raises(DataError, match=r"column 'discharge_date', line 2: before the admission date"):
        data.load(path)
    path = write(tmp_path, "period,scope,measure,placement_type,value\n2020,national,admits,all,3\n")
    with pytest.raises(DataError, match=r"column 'measure', line 2: unknown value 'admits'"):
        data.load(path)
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DataError, match="header does not match"):
        data.load(path)


def test_episodes_ongoing_stays_and_observation_end(tmp_path):
    path = write(tmp_path, EPISODES + "2020-01-01,2020-03-01,remand,A,R\n2020-02-01,,social,A,R\n")
    ep = data.load(path)
    assert ep.rows["discharge"].isna().tolist() == [False, True]
    assert str(ep.as_of.date()) == "2020-03-02"


def test_monthly_occupancy(tmp_path):
    path = write(tmp_path, "date,institution,occupied,places\n2020-01,A,3.5,5\n2020-02,A,4,5\n")
    occ = data.load(path)
    assert not occ.daily and str(occ.rows["end"].iloc[0].date()) == "2020-02-01"
