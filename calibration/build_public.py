"""Rebuild ``calibration/denmark_public.csv`` from the public figures kept beside the domain notes.

Copies the national rows kapsim calibrates to (admissions, social admissions and shares, mean stays,
mean census, occupancy, places) into the yearly-aggregate format of ``calibration/README.md``, keeping each
row's tag and source. A few rows are added where the calibration needs a figure the table lacks; each is
tagged [E] (or [S] when the source states it in words) and says why in its ``source``.

Usage: python calibration/build_public.py [PUBLIC_FIGURES_CSV] [OUT_CSV]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_IN = Path("/work/shared/data/public_figures.csv")
DEFAULT_OUT = HERE / "denmark_public.csv"
COLUMNS = ["period", "scope", "measure", "placement_type", "value", "unit", "sd", "tag", "source"]

# public measure name -> (measure, placement type) in the calibration format
MEASURES = {
    "admissions": ("admissions", "all"),
    "admissions_social": ("admissions", "social"),
    "social_share_of_admissions": ("share_of_admissions", "social"),
    "mean_stay": ("mean_stay", "all"),
    "mean_stay_social": ("mean_stay", "social"),
    "mean_stay_court_ordered": ("mean_stay", "court_ordered"),
    "mean_census": ("mean_census", "all"),
    "occupancy": ("occupancy", "all"),
    "places": ("places", "all"),
}

TV2_2017 = (
    "https://nyheder.tv2.dk/samfund/2017-05-07-ingen-plads-paa-sikrede-institutioner-boern-maa-vente-i-voksenfaengsel-"
    "til-der-er"
)
ADDED = [
    # occupancy 2013-2014 is a share of places; the same report gives 126 places (for 2015)
    ("2013", "places", "126", "places (assumed as in 2015)", "E",
     "assumption: the report giving the 2013-2014 occupancy states 126 places (row 2015); not stated for 2013"),
    ("2014", "places", "126", "places (assumed as in 2015)", "E",
     "assumption: the report giving the 2013-2014 occupancy states 126 places (row 2015); not stated for 2014"),
    ("2019/2021", "places", "118", "places (about)", "E",
     "assumption: DOMAIN.md reports a national total of 118 places c. 2019 (118-126 in 2020); no row in "
     "public_figures.csv"),
    ("2017", "capacity_bound", "1", "flag: figures limited by places", "S",
     f"{TV2_2017} (half the institutions almost continuously over capacity in the months after the cut)"),
]  # fmt: skip


def build(src: Path) -> list[dict[str, str]]:
    rows = []
    with src.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["scope"] != "national" or r["measure"] not in MEASURES:
                continue
            measure, ptype = MEASURES[r["measure"]]
            rows.append({
                "period": r["period"], "scope": "national", "measure": measure, "placement_type": ptype,
                "value": r["value"], "unit": r["unit"], "sd": "", "tag": r["tag"], "source": r["source"],
            })  # fmt: skip
    for period, measure, value, unit, tag, source in ADDED:
        rows.append({
            "period": period, "scope": "national", "measure": measure, "placement_type": "all",
            "value": value, "unit": unit, "sd": "", "tag": tag, "source": source,
        })  # fmt: skip
    rows.sort(key=lambda r: (r["period"][:4], r["period"], r["measure"], r["placement_type"]))
    return rows


def write(rows: list[dict[str, str]], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str]) -> None:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_IN
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    rows = build(src)
    write(rows, out)
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    main(sys.argv)
