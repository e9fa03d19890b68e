"""The metrics catalogue: every figure kapsim reports, with its unit, labels, scopes and how it combines.

Measures (what one replication gives), summaries, the report, compare, sweep, size and the reference
documentation (``docs/metrics.md``, written by :func:`markdown`) all read this one table. A metric's value in
one replication is a figure over the observation window; across replications kapsim reports its mean
with a 95 % confidence interval (``summary.csv``).

Scopes, as in :mod:`sim.results.measures`: ``home`` metrics are about youths and are given nationally, per
*home* region and per value of each scenario attribute (scope ``ATTRIBUTE=VALUE``, e.g. ``danger=high``);
``institution`` metrics are about places and are given nationally, per region of the institution and per
institution; ``national`` metrics only nationally. ``by_type``: also per placement
type (``placement_type`` is ``all`` otherwise).

How a metric combines (``combines``), which matters when figures are added up over scopes or years:
``sum`` adds (counts, per-year rates, time-means such as occupancy, money); ``ratio`` is a ratio of two
sums (utilisation, the share waiting over a day) and is recomputed, never averaged; ``mean`` is a mean over
youths or stays (weighted by their number); ``quantile`` and ``max`` combine by neither.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """How values of a unit are shown: name, axis title (English, Danish), kind and decimals."""

    en: str
    da: str
    axis_en: str
    axis_da: str
    kind: str = "number"  # number; share (0-1, shown in %); money (kroner, shown in million)
    decimals: int = 1


UNITS: dict[str, Unit] = {
    "youths": Unit("youths", "unge", "Youths (number)", "Unge (antal)", decimals=2),
    "places": Unit("places", "pladser", "Places (number)", "Pladser (antal)"),
    "share": Unit("share", "andel", "Share (%)", "Andel (%)", "share"),
    "days": Unit("days", "dage", "Days", "Dage", decimals=2),
    "hours": Unit("hours", "timer", "Hours", "Timer", decimals=2),
    "youths_per_year": Unit("youths per year", "unge pr. år", "Youths per year (number)", "Unge pr. år (antal)"),
    "moves_per_year": Unit(
        "moves per year", "flytninger pr. år", "Moves per year (number)", "Flytninger pr. år (antal)"
    ),
    "openings_per_year": Unit(
        "openings per year", "åbninger pr. år", "Openings per year (number)", "Åbninger pr. år (antal)"
    ),
    "place_days_per_year": Unit(
        "place-days per year",
        "pladsdage pr. år",
        "Place-days per year (number)",
        "Pladsdage pr. år (antal)",
        "number",
        0,
    ),
    "places_per_year": Unit("places per year", "pladser pr. år", "Places per year (number)", "Pladser pr. år (antal)"),
    "days_per_year": Unit("days per year", "dage pr. år", "Days per year (number)", "Dage pr. år (antal)", "number", 0),
    "kr_per_year": Unit(
        "million kr per year", "mio. kr. pr. år", "Million kroner per year", "Mio. kr. pr. år", "money"
    ),
}


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # a key of UNITS
    en: str  # label
    da: str
    scopes: str  # home, institution or national (see the module docstring)
    by_type: bool
    combines: str  # sum, ratio, mean, quantile or max
    what: str  # what one replication's value is, for the documentation
    optional: bool = False  # a policy's figure: shown only when the scenario uses the policy (non-zero)

    @property
    def kind(self) -> str:
        return UNITS[self.unit].kind


def _m(name, unit, en, da, scopes, by_type, combines, what, optional=False) -> Metric:
    return Metric(name, unit, en, da, scopes, by_type, combines, what, optional)


# in the order summary.csv lists them
METRICS: tuple[Metric, ...] = (
    _m("arrivals_per_year", "youths_per_year", "Youths needing a place, per year", "Unge med behov for plads pr. år",
       "home", True, "sum", "youths whose need for a place arose in the window, per year"),
    _m("withdrawn_per_year", "youths_per_year", "Withdrawn while waiting, per year", "Frafald under venten pr. år",
       "home", True, "sum", "youths who left the waiting list without a place (patience ran out), per year"),
    _m("diverted_per_year", "youths_per_year", "Diverted at once, per year", "Afvist straks pr. år", "home", True,
       "sum", "youths of a type without a waiting list who found no free place, per year"),
    _m("queue_length_mean", "youths", "Youths waiting (mean number)", "Unge på venteliste (gennemsnit)", "home", True,
       "sum", "time-average number of youths on the waiting list"),
    _m("queue_length_max", "youths", "Most youths waiting at once", "Flest unge på venteliste på én gang", "national",
       True, "max", "the longest the waiting list was in the window"),
    _m("wait_days_mean", "days", "Mean wait (days)", "Gennemsnitlig ventetid (dage)", "home", True, "mean",
       "mean days from the need for a place to a place, over youths who arrived in the window and were placed "
       "or are still waiting at its end (their wait so far); the withdrawn are not counted"),
    _m("wait_days_p50", "days", "Median wait (days)", "Median ventetid (dage)", "home", True, "quantile",
       "median of the same waits"),
    _m("wait_days_p95", "days", "95th percentile of the wait (days)", "95 %-fraktil af ventetiden (dage)", "home",
       True, "quantile", "95th percentile of the same waits"),
    _m("p_wait_over_1_day", "share", "Waiting more than 1 day", "Venter mere end 1 døgn", "home", True, "ratio",
       "share of the same youths who waited more than one day"),
    _m("p_wait_over_7_days", "share", "Waiting more than 7 days", "Venter mere end 7 døgn", "home", True, "ratio",
       "share of the same youths who waited more than seven days"),
    _m("out_of_region_share", "share", "Placed outside the home region", "Anbragt uden for hjemregionen", "home", True,
       "ratio", "share of the admissions in the window into an institution outside the youth's home region (with "
       "allocation.max_travel_hours: farther from home than that)"),
    _m("refusals_per_year", "youths_per_year", "Refusals per year", "Afvisninger pr. år", "home", True, "sum",
       "times an institution refused a youth it was offered (once a youth and institution), per year"),
    _m("travel_hours_mean", "hours", "Mean travel from home (hours)", "Gennemsnitlig rejsetid hjemmefra (timer)",
       "home", True, "mean", "mean hours from the home region to the first place's region, over the admissions "
       "in the window (allocation.travel_hours; empty without them)"),
    _m("occupancy_mean", "youths", "Occupancy (youths placed)", "Belægning (anbragte unge)", "institution", True,
       "sum", "time-average number of youths in a place"),
    _m("places_open_mean", "places", "Open places (mean)", "Åbne pladser (gennemsnit)", "institution", False, "sum",
       "time-average number of open places (normed, flexible while open, emergency while used, and places a "
       "closure keeps until their youths leave)"),
    _m("utilisation", "share", "Utilisation", "Belægningsprocent", "institution", False, "ratio",
       "occupied place-days divided by open place-days"),
    _m("idle_place_days_per_year", "place_days_per_year", "Empty place-days per year", "Tomme pladsdage pr. år",
       "institution", False, "sum", "open place-days with nobody in them, per year"),
    _m("admissions_per_year", "youths_per_year", "Admissions per year", "Anbringelser pr. år", "institution", True,
       "sum", "youths who got their first place in the window, by the institution of that place, per year"),
    _m("stay_days_mean", "days", "Mean stay (days)", "Gennemsnitlig opholdstid (dage)", "national", True, "mean",
       "mean length of stay of the youths admitted in the window (their drawn stay)"),
    _m("days_full_share", "share", "Days with no free ordinary place", "Dage uden ledig almindelig plads", "national",
       False, "ratio", "share of days that end with every ordinary place taken"),
    _m("days_full_share_high_security", "share", "Days with no free high-security place",
       "Dage uden ledig særligt sikret plads", "national", False, "ratio",
       "share of days that end with every high-security place taken"),
    _m("flex_places_open_mean", "places", "Flexible places open (mean)", "Åbne fleksible pladser (gennemsnit)",
       "national", False, "sum", "time-average number of open flexible places", True),
    _m("flex_openings_per_year", "openings_per_year", "Openings of flexible places per year",
       "Åbninger af fleksible pladser pr. år", "national", False, "sum",
       "times a flexible pool opened places, per year", True),
    _m("emergency_admissions_per_year", "youths_per_year", "Youths in emergency places per year",
       "Unge på nødpladser pr. år", "national", False, "sum", "stays begun in an emergency place, per year", True),
    _m("emergency_place_days_per_year", "place_days_per_year", "Emergency place-days per year",
       "Pladsdage på nødpladser pr. år", "national", False, "sum", "days youths spent in emergency places, per year",
       True),
    _m("emergency_days_mean", "days", "Mean days in an emergency place", "Gennemsnitlige dage på nødplads", "national",
       False, "mean", "mean length of the stretches youths spent in an emergency place", True),
    _m("emergency_days_max", "days", "Longest stretch in an emergency place", "Længste ophold på nødplads", "national",
       False, "max", "the longest such stretch", True),
    _m("emergency_overdue_per_year", "youths_per_year", "Emergency places used beyond their limit, per year",
       "Nødpladser brugt ud over grænsen pr. år", "national", False, "sum",
       "emergency stays that passed the place's max_days, per year", True),
    _m("moves_nearer_home_per_year", "moves_per_year", "Moves nearer home per year",
       "Flytninger nærmere hjemmet pr. år", "national", False, "sum",
       "moves of placed youths into a place in their home region, per year", True),
    _m("rule_places_added_per_year", "places_per_year", "Places added by the capacity rule per year",
       "Pladser tilføjet af kapacitetsreglen pr. år", "national", False, "sum",
       "places the capacity rule decided to add at its reviews in the window, per year (they open after its lead "
       "time)", True),
    _m("rule_places_removed_per_year", "places_per_year", "Places removed by the capacity rule per year",
       "Pladser fjernet af kapacitetsreglen pr. år", "national", False, "sum",
       "places the capacity rule decided to remove at its reviews in the window, per year", True),
    _m("custody_days_per_year", "days_per_year", "Days waiting in police custody per year", "Dage i arresthus pr. år",
       "national", False, "sum", "days on the waiting list of the types in costs.custody_types, per year"),
    _m("cost_occupied_per_year", "kr_per_year", "Cost of occupied places", "Udgift til belagte pladser", "national",
       False, "sum", "occupied normed place-days times costs.occupied_place_day, per year"),
    _m("cost_idle_per_year", "kr_per_year", "Cost of empty places", "Udgift til tomme pladser", "national", False,
       "sum", "empty normed place-days times costs.empty_place_day, per year"),
    _m("cost_flexible_per_year", "kr_per_year", "Cost of flexible places", "Udgift til fleksible pladser", "national",
       False, "sum", "open flexible place-days times their cost_place_day, plus cost_opening per opening, per year"),
    _m("cost_emergency_per_year", "kr_per_year", "Cost of emergency places", "Udgift til nødpladser", "national",
       False, "sum", "occupied emergency place-days times their cost_place_day, per year"),
    _m("cost_custody_per_year", "kr_per_year", "Cost of police custody", "Udgift til arresthus", "national", False,
       "sum", "custody days times costs.custody_day, per year"),
    _m("cost_per_year", "kr_per_year", "Cost per year", "Udgift pr. år", "national", False, "sum",
       "the five costs above added up"),
)  # fmt: skip
CATALOGUE: dict[str, Metric] = {m.name: m for m in METRICS}
COSTS = (
    "cost_occupied_per_year",
    "cost_idle_per_year",
    "cost_flexible_per_year",
    "cost_emergency_per_year",
    "cost_custody_per_year",
)  # the parts of cost_per_year


@dataclass(frozen=True)
class Headline:
    """A headline figure: a metric for one placement type, nationally."""

    metric: str
    placement_type: str
    en: str
    da: str
    brief: bool = False  # also in one-line summaries (a sweep's point)
    context: bool = False  # a level the others follow from: shown in tables, not drawn as a chart

    @property
    def spec(self) -> Metric:
        return CATALOGUE[self.metric]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, "national", self.placement_type)


# The one list of headline figures: what `kapsim run`, `compare` and `sweep` print, and what the reports show
# first. Optional metrics (policies) appear only when some scenario uses them.
HEADLINE: tuple[Headline, ...] = (
    Headline("occupancy_mean", "all", "Mean occupancy (youths)", "Gennemsnitlig belægning (unge)", context=True),
    Headline("places_open_mean", "all", "Open places", "Åbne pladser", context=True),
    Headline("utilisation", "all", "Utilisation", "Belægningsprocent", brief=True),
    Headline("queue_length_mean", "all", "Youths waiting (mean)", "Unge på venteliste (gennemsnit)", brief=True),
    Headline("wait_days_mean", "remand", "Wait of remanded youths (days)", "Ventetid i varetægtssurrogat (dage)"),
    Headline("p_wait_over_1_day", "remand", "Remanded youths waiting > 1 day",
             "Unge i varetægtssurrogat, der venter > 1 døgn", brief=True),
    Headline("p_wait_over_7_days", "remand", "Remanded youths waiting > 7 days",
             "Unge i varetægtssurrogat, der venter > 7 døgn"),
    Headline("wait_days_mean", "social", "Mean wait of social placements (days)",
             "Ventetid ved sociale anbringelser (dage)"),
    Headline("withdrawn_per_year", "all", "Withdrawn while waiting, per year", "Frafald under venten pr. år"),
    Headline("days_full_share", "all", "Days with no free ordinary place", "Dage uden ledig almindelig plads"),
    Headline("cost_per_year", "all", "Cost per year", "Udgift pr. år", brief=True),
    Headline("flex_places_open_mean", "all", "Flexible places open (mean)", "Åbne fleksible pladser (gennemsnit)"),
    Headline("flex_openings_per_year", "all", "Openings of flexible places per year",
             "Åbninger af fleksible pladser pr. år"),
    Headline("emergency_admissions_per_year", "all", "Youths in emergency places per year",
             "Unge på nødpladser pr. år"),
    Headline("emergency_place_days_per_year", "all", "Emergency place-days per year",
             "Pladsdage på nødpladser pr. år"),
)  # fmt: skip


def headline(metric: str, placement_type: str = "all") -> Headline:
    """The headline entry of a metric and type (KeyError if it is not a headline figure)."""
    for h in HEADLINE:
        if h.metric == metric and h.placement_type == placement_type:
            return h
    raise KeyError((metric, placement_type))


def label(metric: str, placement_type: str = "all", lang: str = "en") -> str:
    """The label of a metric for a placement type: the headline's wording if it is one, else the metric's."""
    try:
        h = headline(metric, placement_type)
        return h.da if lang == "da" else h.en
    except KeyError:
        m = CATALOGUE[metric]
        return m.da if lang == "da" else m.en


def scale(metric: str) -> float:
    """Factor from a stored value to a shown one: kroner to million kroner; shares stay 0-1 (shown in %)."""
    return 1e-6 if CATALOGUE[metric].kind == "money" else 1.0


def text(metric: str, value: float, decimals: int | None = None) -> str:
    """A value as plain English text in its unit's display ('12.5%', '289.4', '0.98')."""
    m = CATALOGUE[metric]
    unit = UNITS[m.unit]
    d = unit.decimals if decimals is None else decimals
    if m.kind == "share":
        return f"{value:.{d}%}"
    return f"{value * scale(metric):.{d}f}"


# the daily series of timeseries.parquet: (measure, scope, unit, English, Danish)
SERIES = (
    ("occupancy", "national and each institution", "youths", "Youths placed at the end of the day",
     "Anbragte unge ved dagens slutning"),
    ("places_open", "national and each institution", "places", "Open places at the end of the day",
     "Åbne pladser ved dagens slutning"),
    ("queue", "all and each placement type", "youths", "Youths waiting at the end of the day",
     "Unge på venteliste ved dagens slutning"),
    ("queue_home", "each home region", "youths", "Youths of the region waiting at the end of the day",
     "Regionens unge på venteliste ved dagens slutning"),
)  # fmt: skip

SCOPES = {
    "home": "national, each home region, each value of each attribute (`ATTRIBUTE=VALUE`)",
    "institution": "national, each region (of the institution), each institution",
    "national": "national",
}


def markdown() -> str:
    """``docs/metrics.md``: the catalogue as a reference page (a test keeps the file equal to this)."""
    lines = [
        "# Metrics",
        "",
        "Generated from `sim/results/metrics.py` (`make docs`); do not edit by hand.",
        "",
        "Every metric is one figure per replication over the observation window; `summary.csv` gives its mean",
        "over the replications with a 95 % confidence interval (Student t), `replications.parquet` every",
        "replication's value. *Types*: also given per placement type (`placement_type` is `all` otherwise).",
        "*Combines*: how figures add up over scopes or years (see the module docstring).",
        "",
        "| metric | unit | scopes | types | combines | what one replication's value is |",
        "|---|---|---|---|---|---|",
    ]
    for m in METRICS:
        star = " (policy)" if m.optional else ""
        types = "yes" if m.by_type else "no"
        unit = "kroner per year (reports show million)" if m.kind == "money" else UNITS[m.unit].en
        lines.append(f"| `{m.name}`{star} | {unit} | {SCOPES[m.scopes]} | {types} | {m.combines} | {m.what} |")
    lines += [
        "",
        "## Headline figures",
        "",
        "What `kapsim run`, `compare` and `sweep` print and the reports show first (national; a policy's",
        "figures only when the scenario uses it).",
        "",
        "| figure | metric | placement type |",
        "|---|---|---|",
    ]
    lines += [f"| {h.en} | `{h.metric}` | {h.placement_type} |" for h in HEADLINE]
    lines += [
        "",
        "## Daily series",
        "",
        "`timeseries.parquet` holds, per date, series and scope, the mean over replications and the 5th, 25th,",
        "50th, 75th and 95th percentiles (`p05` ... `p95`) of a census at the end of each day.",
        "",
        "| measure | scopes | unit | what |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{name}` | {scopes} | {unit} | {en} |" for name, scopes, unit, en, _ in SERIES]
    return "\n".join(lines) + "\n"
