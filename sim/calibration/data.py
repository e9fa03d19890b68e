"""Reading the three calibration formats (``calibration/README.md``), with person identifiers refused.

Every file is read as text first and checked before anything is parsed: a column whose header looks like a
person identifier (CPR number, personnummer, a name) or any cell that looks like a CPR number is refused
with an error naming the file, the column and the line, never the value. Nothing of a refused file reaches
any output. Columns outside the format are refused too, so free text cannot slip in under another name.

The formats:

- **yearly** aggregates: ``period, scope, measure, placement_type, value`` and optionally ``unit, sd, tag,
  source``;
- **occupancy** series: ``date, institution, occupied, places`` and optionally ``placement_type``;
- **episodes**: ``admission_date, discharge_date, placement_type, institution, home_region`` and optionally
  ``need_date``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TYPES = ("remand", "sentence", "social")
TYPE_GROUPS = {"all": TYPES, "court_ordered": ("remand", "sentence"), **{t: (t,) for t in TYPES}}
MEASURES = (
    "admissions",  # admissions per year
    "share_of_admissions",  # fraction of all admissions
    "mean_stay",  # days, mean stay of the youths admitted in the period
    "mean_census",  # youths in place, time average
    "occupancy",  # occupied / open places, time average
    "places",  # open places, time average
    "bed_days",  # occupied place-days per year
    "capacity_bound",  # 1: the period's figures were limited by places (capacity-censored)
)

FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # name -> (required, optional) columns
    "yearly": (("period", "scope", "measure", "placement_type", "value"), ("unit", "sd", "tag", "source")),
    "occupancy": (("date", "institution", "occupied", "places"), ("placement_type",)),
    "episodes": (
        ("admission_date", "discharge_date", "placement_type", "institution", "home_region"),
        ("need_date",),
    ),
}

# headers refused outright (after lower-casing and turning separators into "_"), and fragments refused
# anywhere in a header
IDENTIFIER_HEADERS = frozenset(
    "name navn full_name fullname fulde_navn first_name firstname last_name lastname surname middle_name "
    "mellemnavn child_name barnets_navn youth_name person person_id personid person_nr personnr ssn "
    "social_security_number birth_date birthdate date_of_birth foedselsdato fodselsdato".split()
)
IDENTIFIER_FRAGMENTS = ("cpr", "personnummer", "fornavn", "efternavn", "personal_id")
_CPR = re.compile(r"(?<![\d-])(\d{2})(\d{2})(\d{2})(-?)(\d{4})(?![\d-])")


class DataError(ValueError):
    """A calibration file that cannot be used; the message names the file, the column and the line."""


def _normal(header: str) -> str:
    return re.sub(r"[^0-9a-zæøå]+", "_", header.strip().lower()).strip("_")


def _valid_date(dd: str, mm: str, yy: str) -> bool:
    day, month, year = int(dd), int(mm), int(yy)
    try:
        dt.date(2000 + year, month, day)  # 2000 is a leap year like every year divisible by 4 in 1900-2099
        return True
    except ValueError:
        return False


def looks_like_cpr(text: str) -> bool:
    """True if ``text`` holds a CPR-like number: DDMMYY-XXXX, or ten digits starting with a valid date."""
    for m in _CPR.finditer(text):
        dd, mm, yy, dash, _ = m.groups()
        if dash or _valid_date(dd, mm, yy):
            return True
    return False


def refuse_identifiers(path: str | Path, frame: pd.DataFrame) -> None:
    """Raise DataError if a header or a cell of ``frame`` (all text) looks like a person identifier."""
    for col in frame.columns:
        n = _normal(str(col))
        if n in IDENTIFIER_HEADERS or any(f in n for f in IDENTIFIER_FRAGMENTS):
            raise DataError(
                f"{path}: column '{col}' looks like a person identifier (CPR number or name); calibration needs "
                "no person identifiers: remove the column"
            )
    for col in frame.columns:
        values = frame[col].astype(str)
        candidates = values.str.contains(r"\d{6}-?\d{4}", regex=True, na=False)
        for i in np.flatnonzero(candidates.to_numpy()):
            if looks_like_cpr(values.iloc[i]):
                raise DataError(
                    f"{path}: column '{col}', line {i + 2}: a value looks like a CPR number (DDMMYY-XXXX); "
                    "calibration needs no person identifiers: remove them (the value is not repeated here)"
                )


def read_text(path: str | Path) -> pd.DataFrame:
    """The file as text cells (headers stripped), after the identifier check."""
    path = Path(path)
    if looks_like_cpr(path.name):  # the name would be copied into messages, manifests and reports
        raise DataError("a calibration file's name looks like a CPR number: rename the file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file: a calibration file needs a header line and rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({str(exc)[:200]})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    refuse_identifiers(path, frame)
    return frame.apply(lambda c: c.str.strip())


def detect(frame: pd.DataFrame) -> str | None:
    """Which format a header belongs to (its required columns are all there), or None."""
    cols = set(frame.columns)
    for name, (required, _) in FORMATS.items():
        if set(required) <= cols:
            return name
    return None


def _check_columns(path: Path, frame: pd.DataFrame, kind: str) -> None:
    required, optional = FORMATS[kind]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)} for the {kind} format")
    unknown = [c for c in frame.columns if c not in required + optional]
    if unknown:
        allowed = ", ".join(required + optional)
        raise DataError(f"{path}: column '{unknown[0]}' is not part of the {kind} format (allowed: {allowed})")
    if frame.empty:
        raise DataError(f"{path}: no rows")


def _numbers(path: Path, frame: pd.DataFrame, col: str, allow_empty: bool = False) -> np.ndarray:
    text = frame[col]
    values = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & ((text != "").to_numpy() | (not allow_empty))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{path}: column '{col}', line {i + 2}: expected a number, got '{text.iloc[i]}'")
    return values


def _dates(path: Path, frame: pd.DataFrame, col: str, allow_empty: bool = False) -> pd.Series:
    text = frame[col]
    parsed = pd.to_datetime(text.where(text != "", None), format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & ((text != "") | (not allow_empty))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: column '{col}', line {i + 2}: expected a date YYYY-MM-DD, got '{text.iloc[i]}'")
    return parsed.astype("datetime64[s]")


def _choice(path: Path, frame: pd.DataFrame, col: str, allowed: tuple[str, ...], default: str | None = None):
    values = frame[col].replace("", default) if default is not None else frame[col]
    bad = ~values.isin(allowed)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}: column '{col}', line {i + 2}: unknown value '{frame[col].iloc[i]}' (expected one of "
            f"{', '.join(allowed)})"
        )
    return values


@dataclass(frozen=True)
class Yearly:
    """Yearly aggregates; ``start``/``end`` are the period's first day and the day after its last."""

    path: str
    rows: pd.DataFrame


@dataclass(frozen=True)
class Occupancy:
    """Occupied and open places per date (daily census) or month (mean), institution and type."""

    path: str
    rows: pd.DataFrame  # start, end (day after), institution, placement_type, occupied, places
    daily: bool


@dataclass(frozen=True)
class Episodes:
    """One row per stay. ``as_of`` is the day after the last date in the file: stays without a discharge
    date were still going on then (right-censored)."""

    path: str
    rows: pd.DataFrame  # admission, discharge (NaT if ongoing), need, placement_type, institution, home_region
    as_of: pd.Timestamp


def _periods(path: Path, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    starts, ends = [], []
    for i, text in enumerate(frame["period"]):
        m = re.fullmatch(r"(\d{4})(?:/(\d{4}))?", text)
        if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
            raise DataError(f"{path}: column 'period', line {i + 2}: expected YYYY or YYYY/YYYY, got '{text}'")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        starts.append(pd.Timestamp(first, 1, 1))
        ends.append(pd.Timestamp(last + 1, 1, 1))
    return pd.Series(starts, dtype="datetime64[s]"), pd.Series(ends, dtype="datetime64[s]")


def load_yearly(path: str | Path, frame: pd.DataFrame | None = None) -> Yearly:
    path = Path(path)
    frame = read_text(path) if frame is None else frame
    _check_columns(path, frame, "yearly")
    for col in ("unit", "sd", "tag", "source"):
        if col not in frame.columns:
            frame[col] = ""
    start, end = _periods(path, frame)
    rows = pd.DataFrame(
        {
            "period": frame["period"],
            "start": start,
            "end": end,
            "scope": frame["scope"].replace("", "national"),
            "measure": _choice(path, frame, "measure", MEASURES),
            "placement_type": _choice(path, frame, "placement_type", tuple(TYPE_GROUPS), default="all"),
            "value": _numbers(path, frame, "value"),
            "unit": frame["unit"],
            "sd": _numbers(path, frame, "sd", allow_empty=True),
            "tag": frame["tag"],
            "source": frame["source"],
            "line": np.arange(len(frame)) + 2,
        }
    )
    if (rows["value"] < 0).any():
        i = int(np.flatnonzero(rows["value"] < 0)[0])
        raise DataError(f"{path}: column 'value', line {i + 2}: must not be negative")
    return Yearly(str(path), rows)


def load_occupancy(path: str | Path, frame: pd.DataFrame | None = None) -> Occupancy:
    path = Path(path)
    frame = read_text(path) if frame is None else frame
    _check_columns(path, frame, "occupancy")
    text = frame["date"]
    monthly = text.str.fullmatch(r"\d{4}-\d{2}")
    if monthly.all():
        start = pd.to_datetime(text + "-01", format="%Y-%m-%d", errors="coerce")
        end = start + pd.offsets.MonthBegin(1)
        daily = False
    else:
        start = _dates(path, frame, "date")
        end = start + pd.Timedelta(days=1)
        daily = True
    if start.isna().any():
        i = int(np.flatnonzero(start.isna().to_numpy())[0])
        raise DataError(f"{path}: column 'date', line {i + 2}: expected YYYY-MM-DD (daily) or YYYY-MM (monthly)")
    ptype = frame["placement_type"] if "placement_type" in frame.columns else pd.Series("all", index=frame.index)
    occupied = _numbers(path, frame, "occupied")
    places = _numbers(path, frame, "places")
    for col, v in (("occupied", occupied), ("places", places)):
        if (v < 0).any():
            i = int(np.flatnonzero(v < 0)[0])
            raise DataError(f"{path}: column '{col}', line {i + 2}: must not be negative")
    reserved = frame["institution"].str.lower() == "national"
    if reserved.any():
        i = int(np.flatnonzero(reserved.to_numpy())[0])
        raise DataError(f"{path}: column 'institution', line {i + 2}: 'national' is reserved for the whole country")
    twice = pd.DataFrame({"d": start, "i": frame["institution"], "t": ptype}).duplicated()
    if twice.any():
        i = int(np.flatnonzero(twice.to_numpy())[0])
        raise DataError(f"{path}: line {i + 2}: a second row for the same date, institution and placement type")
    rows = pd.DataFrame(
        {
            "start": start.astype("datetime64[s]"),
            "end": end.astype("datetime64[s]"),
            "institution": frame["institution"],
            "placement_type": _choice(
                path, frame.assign(placement_type=ptype), "placement_type", ("all", *TYPES), default="all"
            ),
            "occupied": occupied,
            "places": places,
        }
    )
    return Occupancy(str(path), rows, daily)


def load_episodes(path: str | Path, frame: pd.DataFrame | None = None) -> Episodes:
    path = Path(path)
    frame = read_text(path) if frame is None else frame
    _check_columns(path, frame, "episodes")
    admission = _dates(path, frame, "admission_date")
    discharge = _dates(path, frame, "discharge_date", allow_empty=True)
    need = _dates(path, frame, "need_date", allow_empty=True) if "need_date" in frame.columns else admission
    need = need.fillna(admission)
    before = discharge.notna() & (discharge < admission)
    if before.any():
        i = int(np.flatnonzero(before.to_numpy())[0])
        raise DataError(f"{path}: column 'discharge_date', line {i + 2}: before the admission date")
    late = need > admission
    if late.any():
        i = int(np.flatnonzero(late.to_numpy())[0])
        raise DataError(f"{path}: column 'need_date', line {i + 2}: after the admission date")
    rows = pd.DataFrame(
        {
            "admission": admission,
            "discharge": discharge,
            "need": need,
            "placement_type": _choice(path, frame, "placement_type", TYPES),
            "institution": frame["institution"],
            "home_region": frame["home_region"],
        }
    )
    last = max(admission.max(), discharge.max() if discharge.notna().any() else admission.max())
    return Episodes(str(path), rows, pd.Timestamp(last) + pd.Timedelta(days=1))


def load(path: str | Path, expect: str | None = None) -> Yearly | Occupancy | Episodes:
    """Read a calibration file of any of the three formats (detected from its header, or ``expect``)."""
    path = Path(path)
    frame = read_text(path)
    kind = detect(frame)
    if kind is None or (expect is not None and kind != expect):
        want = [expect] if expect else list(FORMATS)
        need = "; ".join(f"{k}: {', '.join(FORMATS[k][0])}" for k in want)
        raise DataError(f"{path}: header does not match the {' or '.join(want)} format (required columns {need})")
    return {"yearly": load_yearly, "occupancy": load_occupancy, "episodes": load_episodes}[kind](path, frame)
