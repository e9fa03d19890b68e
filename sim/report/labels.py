"""Words and numbers of the report in Danish or English: labels, number formats and colours.

Danish terms follow the glossary of the domain reference (belægning, varetægtssurrogat, venteliste, pladser).
"""

from __future__ import annotations

import datetime as dt
import math

from sim.results import metrics as catalogue

LANGS = ("en", "da")

# Okabe & Ito (2008): eight colours told apart with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
TYPE_COLOURS = {
    "all": OKABE_ITO["black"],
    "remand": OKABE_ITO["vermillion"],
    "sentence": OKABE_ITO["blue"],
    "social": OKABE_ITO["green"],
}
_SPARE = [OKABE_ITO[k] for k in ("orange", "purple", "sky", "yellow")]
# cividis: sequential and readable with every common colour-vision deficiency
HEAT_SCALE = "Cividis"

_MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "da": "januar februar marts april maj juni juli august september oktober november december".split(),
}
_SHORT_MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "da": "jan feb mar apr maj jun jul aug sep okt nov dec".split(),
}
_DAYS = {
    "en": "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split(),
    "da": "søndag mandag tirsdag onsdag torsdag fredag lørdag".split(),
}

TYPES = {
    "all": {"en": "all types", "da": "alle typer"},
    "remand": {"en": "remand", "da": "varetægtssurrogat"},
    "sentence": {"en": "sentence", "da": "dom"},
    "social": {"en": "social", "da": "social anbringelse"},
}

# key -> (English, Danish); {placeholders} are filled by Labels.__call__
TEXT: dict[str, tuple[str, str]] = {
    # page
    "title": ("kapsim report: {name}", "kapsim-rapport: {name}"),
    "subtitle": (
        "Simulated secure places for young people: {reps} replications of {years} years from {start}",
        "Simulerede pladser på de sikrede institutioner: {reps} gentagelser af {years} år fra {start}",
    ),
    "made_by": ("Made by kapsim {version} with the command", "Lavet med kapsim {version} med kommandoen"),
    "contents": ("Contents", "Indhold"),
    "not_available": ("not available", "ikke tilgængelig"),
    "no_data": ("No data for this chart in the output folder.", "Ingen data til denne figur i outputmappen."),
    "ci95": ("95 % CI", "95 %-KI"),
    "ci_to": ("to", "til"),
    "mean": ("mean", "gennemsnit"),
    "national": ("National", "Hele landet"),
    "choose": ("Show:", "Vis:"),
    # sections
    "sec_headline": ("In brief", "Kort fortalt"),
    "sec_occupancy": ("Occupancy over time", "Belægning over tid"),
    "sec_season": ("Pattern over the year", "Mønster over året"),
    "sec_queue": ("Waiting list over time", "Venteliste over tid"),
    "sec_waits": ("Waits by placement type", "Ventetid efter anbringelsestype"),
    "sec_heat": ("Utilisation by institution and month", "Belægningsprocent efter institution og måned"),
    "sec_flows": (
        "Flows: admissions and placement away from home",
        "Strømme: anbringelser og anbringelse uden for hjemregionen",
    ),
    "sec_costs": ("Costs", "Udgifter"),
    "sec_years": ("Year by year", "År for år"),
    "read_years": (
        "The headline figures in each calendar year of the simulated period, from the same replications as the "
        "figures above (means with 95 % confidence intervals). A mean over the whole period hides a first year "
        "that is fine and a last year that is not: read the trend here.",
        "Nøgletallene i hvert kalenderår af den simulerede periode, fra de samme gentagelser som tallene ovenfor "
        "(gennemsnit med 95 %-konfidensintervaller). Et gennemsnit over hele perioden skjuler et første år, der "
        "går godt, og et sidste år, der ikke gør: læs udviklingen her.",
    ),
    "t_years": ("Headline figures by calendar year, national", "Nøgletal efter kalenderår, hele landet"),
    "ax_year": ("Year", "År"),
    # the capacity rule
    "sec_rule": ("The capacity rule", "Kapacitetsreglen"),
    "read_rule": (
        "The places the scenario's capacity rule decided, against the youths placed (means over the simulated "
        "futures; the band holds 90 % of them), and below, at each review, the share of the futures in which "
        "the rule added places (up) or removed some (down). Added places open after the rule's lead time.",
        "De pladser, scenariets kapacitetsregel besluttede, over for de anbragte unge (gennemsnit over de "
        "simulerede forløb; båndet rummer 90 % af dem), og nedenunder, ved hver gennemgang, andelen af forløb, "
        "hvor reglen tilføjede pladser (op) eller fjernede nogle (ned). Tilføjede pladser åbner efter reglens "
        "forberedelsestid.",
    ),
    "rule_t": (
        "Open places and occupancy under the capacity rule, national",
        "Åbne pladser og belægning under kapacitetsreglen, hele landet",
    ),
    "rule_places": ("Open places (mean)", "Åbne pladser (gennemsnit)"),
    "rule_places_band": ("Open places, 90 % of futures", "Åbne pladser, 90 % af forløbene"),
    "rule_occupancy": ("Youths placed (mean)", "Anbragte unge (gennemsnit)"),
    "rule_add": ("Added places (% of futures)", "Tilføjede pladser (% af forløbene)"),
    "rule_remove": ("Removed places (% of futures)", "Fjernede pladser (% af forløbene)"),
    "rule_ax_share": ("Futures (%)", "Forløb (%)"),
    # the capacity plan (kapsim size --by-year)
    "plan_title": ("kapsim capacity plan: {target}", "kapsim kapacitetsplan: {target}"),
    "plan_subtitle": (
        "The fewest places meeting the target in each calendar year, lever {lever} (today {today} places), "
        "{reps} replications, confidence {confidence}",
        "Det mindste antal pladser, der opfylder målet i hvert kalenderår, håndtag {lever} (i dag {today} "
        "pladser), {reps} gentagelser, sikkerhed {confidence}",
    ),
    "plan_sec": ("Places needed year by year", "Pladsbehov år for år"),
    "plan_read": (
        "Bars: the places the plan needs in each year (they change on 1 January). Line: the offered load, the "
        "mean number of youths who would be in place that year if nobody waited. The second chart shows the "
        "target metric in each year at the plan's places, with its 95 % confidence interval.",
        "Søjler: de pladser, planen kræver i hvert år (de ændres 1. januar). Linje: den tilbudte belastning, det "
        "gennemsnitlige antal unge, der ville være anbragt det år, hvis ingen ventede. Den anden figur viser "
        "målet i hvert år med planens pladser og dets 95 %-konfidensinterval.",
    ),
    "plan_places": ("Places", "Pladser"),
    "plan_load": ("Offered load (youths)", "Tilbudt belastning (unge)"),
    "plan_added": ("Added", "Tilføjet"),
    "plan_value": ("Target metric (95 % CI)", "Målets værdi (95 %-KI)"),
    "plan_status": ("Status", "Status"),
    "plan_status_meets": ("meets the target", "opfylder målet"),
    "plan_status_fails": ("does not meet it", "opfylder det ikke"),
    "plan_status_uncertain": ("uncertain", "usikkert"),
    "plan_today": ("today's places", "dagens pladser"),
    "plan_threshold": ("target", "mål"),
    "plan_rule": (
        "Each year: the fewest places whose one-sided {confidence} {bound} confidence bound of the year's mean is "
        "{op} {threshold}, given the places of the years before{cuts}.",
        "Hvert år: det mindste antal pladser, hvis ensidede {confidence} {bound} konfidensgrænse for årets "
        "gennemsnit er {op} {threshold}, givet de foregående års pladser{cuts}.",
    ),
    "plan_upper": ("upper", "øvre"),
    "plan_lower": ("lower", "nedre"),
    "plan_no_cuts": (", and never fewer than the year before", ", og aldrig færre end året før"),
    "plan_t_places": ("Places needed against the offered load", "Pladsbehov over for den tilbudte belastning"),
    "plan_t_target": ("{target}, by year", "{target}, efter år"),
    "plan_tried": ("{n} capacities simulated to find the plan.", "{n} kapaciteter simuleret for at finde planen."),
    "sec_c_regions": ("Differences by region", "Forskelle efter region"),
    "read_c_regions": (
        "Each figure's paired difference to {ref} in each region, with its 95 % interval: for youths, those "
        "whose home is the region; for places, the region's institutions. A point left of the dashed line is "
        "lower than in {ref}. Every row of comparison.csv with a region scope is drawn here.",
        "Hvert nøgletals parrede forskel til {ref} i hver region med 95 %-interval: for unge dem med hjemregion "
        "dér, for pladser regionens institutioner. Et punkt til venstre for den stiplede linje er lavere end i "
        "{ref}. Alle rækker i comparison.csv med en region som omfang er tegnet her.",
    ),
    "t_c_regions": ("Difference to {ref}, by region", "Forskel til {ref} efter region"),
    # the region section of the run report
    "sec_regions": ("Your region", "Din region"),
    "read_regions": (
        "Pick a region to see its own figures: its youths' waits by placement type, waiting list, placements "
        "outside the region (or beyond the travel limit), travel and refusals (youths whose home is the "
        "region), and the utilisation and open places of the region's institutions, each with its 95 % "
        "confidence interval and the national figure beside it. The chart is the waiting list of the region's "
        "youths over time: the mean over replications and the band 90 % of them stay within.",
        "Vælg en region for at se dens egne tal: ventetider efter anbringelsestype, venteliste, anbringelser "
        "uden for regionen (eller ud over rejsegrænsen), rejsetid og afvisninger (unge med hjemregion dér), "
        "samt belægning og åbne pladser ved regionens institutioner, hver med 95 %-konfidensinterval "
        "og landstallet ved siden af. Figuren er ventelisten for regionens unge over tid: gennemsnittet over "
        "gentagelserne og det bånd, 90 % af dem holder sig inden for.",
    ),
    "region_pick": ("Region:", "Region:"),
    "region_figure": ("Figure", "Nøgletal"),
    "region_band": ("90 % of replications", "90 % af gentagelserne"),
    "region_queue_mean": ("Youths waiting (mean)", "Ventende unge (gennemsnit)"),
    "region_t_queue": ("Waiting list of the region's youths", "Venteliste for regionens unge"),
    # where the places go (kapsim place)
    "place_title": ("kapsim place: where the places go, {target}", "kapsim place: hvor pladserne skal ligge, {target}"),
    "place_subtitle": (
        "{add} extra ordinary places in steps of {step} over the {over}; the allocation with the lowest mean, "
        "chosen correctly with probability at least {pcs} when it is at least {delta} better than every other",
        "{add} ekstra almindelige pladser i trin af {step} fordelt på {over}; fordelingen med det laveste "
        "gennemsnit, valgt rigtigt med sandsynlighed mindst {pcs}, når den er mindst {delta} bedre end alle andre",
    ),
    "place_over_institutions": ("institutions", "institutionerne"),
    "place_over_regions": ("regions", "regionerne"),
    "place_sec_answer": ("The answer", "Svaret"),
    "place_sec_regions": ("What it does in each region", "Hvad det betyder i hver region"),
    "place_answer": (
        "Put the places here: {added}. Target metric {mean} ({ci}, {n} replications).",
        "Læg pladserne her: {added}. Målets værdi {mean} ({ci}, {n} gentagelser).",
    ),
    "place_undecided": (
        "No allocation could be told apart from the others within {delta} at the replications allowed: "
        "those still in the running are about equally good.",
        "Ingen fordeling kunne skelnes fra de andre inden for {delta} med de tilladte gentagelser: "
        "de tilbageværende er omtrent lige gode.",
    ),
    "place_runner_up": (
        "Runner-up: {added}, {mean}; it is {diff} worse ({ci}, paired replications).",
        "Nummer to: {added}, {mean}; den er {diff} dårligere ({ci}, parrede gentagelser).",
    ),
    "place_equivalent": (
        "{n} allocations gave exactly the same values as another in the first replications (places added where "
        "they never decide who waits): one stands for each such group.",
        "{n} fordelinger gav præcis de samme værdier som en anden i de første gentagelser (pladser lagt, hvor de "
        "aldrig afgør, hvem der venter): én repræsenterer hver sådan gruppe.",
    ),
    "place_read": (
        "Each point is an allocation the selection simulated, with its 95 % confidence interval; grey-blue ones "
        "were eliminated (another was clearly better), green is the answer. Every allocation uses the same "
        "random futures (common random numbers), so the differences are sharper than the intervals suggest.",
        "Hvert punkt er en fordeling, som udvælgelsen simulerede, med dets 95 %-konfidensinterval; de blågrå "
        "blev frasorteret (en anden var klart bedre), den grønne er svaret. Alle fordelinger bruger de samme "
        "tilfældige forløb (fælles tilfældige tal), så forskellene er skarpere, end intervallerne antyder.",
    ),
    "place_read_regions": (
        "The answer against the scenario as it is, in the same futures: the change in each region's figures "
        "for youths of that home region (mean wait in the chart; all figures in the table), with 95 % intervals.",
        "Svaret over for scenariet, som det er, i de samme forløb: ændringen i hver regions tal for unge med "
        "hjemregion dér (gennemsnitlig ventetid i figuren; alle tal i tabellen), med 95 %-intervaller.",
    ),
    "place_t_candidates": ("The allocations simulated", "De simulerede fordelinger"),
    "place_t_effects": ("Change in mean wait by home region", "Ændring i gennemsnitlig ventetid efter hjemregion"),
    "place_status_selected": ("answer", "svar"),
    "place_status_eliminated": ("eliminated", "frasorteret"),
    "place_status_undecided": ("still in the running", "stadig med"),
    "place_reps": ("replications", "gentagelser"),
    "place_difference": ("Change", "Ændring"),
    "place_scope": ("Where", "Hvor"),
    "place_table_read": (
        "Each cell: today's figure → the figure with the answer, and below it the change with its 95 % interval "
        "(for shares, in percentage points).",
        "Hver celle: dagens tal → tallet med svaret, og under det ændringen med dens 95 %-interval (for andele i "
        "procentpoint).",
    ),
    "place_nothing": ("nothing", "intet"),
    "place_footer": (
        "{n} allocations considered; {reps} replications simulated in all. Every allocation with its screen "
        "score and status is in place.csv.",
        "{n} fordelinger overvejet; {reps} gentagelser simuleret i alt. Alle fordelinger med screeningsværdi "
        "og status står i place.csv.",
    ),
    "key_figures_by_year": ("Key figures by year", "Nøgletal år for år"),
    "read_years_partial": (
        "* the simulated period holds only part of this year: its figures cover those days only.",
        "* den simulerede periode dækker kun en del af dette år: tallene gælder kun de dage.",
    ),
    "sec_scenario": ("Assumptions of the scenario", "Scenariets forudsætninger"),
    # how to read
    "read_occupancy": (
        "Youths in a place at the end of each day. The line is the median of the simulated futures, the dark band "
        "holds the middle half of them and the light band 90 %; the dashed line is the number of open places. "
        "A black line, where there is one, is the observed occupancy the run was given (--observed). "
        "Choose an institution in the menu.",
        "Anbragte unge ved hver dags slutning. Linjen er medianen af de simulerede forløb, det mørke bånd rummer "
        "den midterste halvdel af dem og det lyse bånd 90 %; den stiplede linje er antallet af åbne pladser. "
        "En sort linje, hvor der er en, er den observerede belægning, kørslen fik med (--observed). "
        "Vælg en institution i menuen.",
    ),
    "read_season": (
        "Mean number of youths placed, open places and youths waiting in each calendar month, over all simulated "
        "years.",
        "Gennemsnitligt antal anbragte unge, åbne pladser og ventende unge i hver kalendermåned over alle "
        "simulerede år.",
    ),
    "read_queue": (
        "Youths waiting for a place at the end of each day (mean over the simulated futures), by placement type; "
        "the dotted line is the 95th percentile of all types: in one future in twenty more youths wait.",
        "Unge på venteliste ved hver dags slutning (gennemsnit over de simulerede forløb) efter anbringelsestype; "
        "den prikkede linje er 95 %-fraktilen for alle typer: i ét forløb ud af tyve venter flere unge.",
    ),
    "read_waits": (
        "Mean wait from the decision to a place, and the share who wait more than one day and more than seven "
        "days. The whiskers are 95 % confidence intervals over the replications.",
        "Gennemsnitlig ventetid fra afgørelse til plads og andelen, der venter mere end én dag og mere end syv "
        "dage. Stregerne er 95 %-konfidensintervaller over gentagelserne.",
    ),
    "read_heat": (
        "Occupied places as a share of open places, by calendar month (mean of the daily counts over all simulated "
        "years).",
        "Belagte pladser som andel af åbne pladser efter kalendermåned (gennemsnit af de daglige tal over alle "
        "simulerede år).",
    ),
    "read_flows": (
        "Admissions per year to each institution by placement type, grouped by the institution's region; and the "
        "share of admitted youths placed outside their home region, by home region.",
        "Anbringelser pr. år på hver institution efter anbringelsestype, grupperet efter institutionens region; og "
        "andelen af anbragte unge, der anbringes uden for deres hjemregion, efter hjemregion.",
    ),
    "read_costs": (
        "Kroner per year: occupied places at the daily rate, empty places at their cost, and days waiting in police "
        "custody. The whiskers are 95 % confidence intervals.",
        "Kroner pr. år: belagte pladser til taksten, tomme pladser til deres pris og dage på venteliste i "
        "arresthus. Stregerne er 95 %-konfidensintervaller.",
    ),
    # headline sentences
    "hl_based_on": (
        "Based on {reps} simulated futures of {years} years from {start}. Each figure is a mean over them, with "
        "its 95 % confidence interval in brackets.",
        "Bygger på {reps} simulerede forløb af {years} år fra {start}. Hvert tal er et gennemsnit over dem med "
        "95 %-konfidensintervallet i parentes.",
    ),
    "hl_occupancy": (
        "On an average day <b>{occ}</b> youths are placed ({occ_ci}) in {places} open places: a utilisation of "
        "<b>{util}</b> ({util_ci}).",
        "En gennemsnitlig dag er <b>{occ}</b> unge anbragt ({occ_ci}) på {places} åbne pladser: en belægning på "
        "<b>{util}</b> ({util_ci}).",
    ),
    "hl_queue": (
        "On an average day <b>{queue}</b> youths wait for a place ({queue_ci}).",
        "En gennemsnitlig dag står <b>{queue}</b> unge på venteliste ({queue_ci}).",
    ),
    "hl_remand": (
        "A remanded youth waits on average <b>{wait}</b> days for a place ({wait_ci}); <b>{over1}</b> wait more "
        "than a day ({over1_ci}) and <b>{over7}</b> more than a week ({over7_ci}).",
        "En ung i varetægtssurrogat venter i gennemsnit <b>{wait}</b> dage på en plads ({wait_ci}); <b>{over1}</b> "
        "venter mere end et døgn ({over1_ci}) og <b>{over7}</b> mere end en uge ({over7_ci}).",
    ),
    "hl_full": (
        "On <b>{full}</b> of days no ordinary place is free anywhere in the country ({full_ci}).",
        "På <b>{full}</b> af dagene er der ingen ledig almindelig plads i hele landet ({full_ci}).",
    ),
    "hl_cost": (
        "The places and the days in police custody cost <b>{cost}</b> a year ({cost_ci}).",
        "Pladserne og dagene i arresthus koster <b>{cost}</b> om året ({cost_ci}).",
    ),
    "key_figures": ("Key figures", "Nøgletal"),
    "col_figure": ("Figure", "Nøgletal"),
    "col_mean": ("Mean", "Gennemsnit"),
    "col_ci": ("95 % confidence interval", "95 %-konfidensinterval"),
    # metrics (key figures table, hovers)
    # chart words
    "date": ("Date", "Dato"),
    "month": ("Calendar month", "Kalendermåned"),
    "institution": ("Institution", "Institution"),
    "region": ("Region", "Region"),
    "home_region": ("Home region", "Hjemregion"),
    "ptype": ("Placement type", "Anbringelsestype"),
    "median": ("Median", "Median"),
    "band90": ("90 % of futures", "90 % af forløbene"),
    "band50": ("50 % of futures", "50 % af forløbene"),
    "p05": ("5th percentile", "5 %-fraktil"),
    "p25": ("25th percentile", "25 %-fraktil"),
    "p75": ("75th percentile", "75 %-fraktil"),
    "p95": ("95th percentile", "95 %-fraktil"),
    "p95_all": ("95th percentile, all types", "95 %-fraktil, alle typer"),
    "open_places": ("Open places", "Åbne pladser"),
    "observed": ("Observed", "Observeret"),
    "observed_month": ("Observed (monthly mean)", "Observeret (månedsgennemsnit)"),
    "hl_observed": (
        "Observed occupancy ({source}): on <b>{inside}</b> of the {days} days it covers within the run, the "
        "national count lies inside the simulated 90 % range.",
        "Observeret belægning ({source}): på <b>{inside}</b> af de {days} dage, den dækker i kørslen, ligger "
        "tallet for hele landet inden for det simulerede 90 %-interval.",
    ),
    "hl_observed_month": (
        "Observed occupancy ({source}, monthly means) is drawn in the occupancy chart.",
        "Observeret belægning ({source}, månedsgennemsnit) er tegnet ind i belægningsfiguren.",
    ),
    "occupancy_mean": ("Occupancy (mean)", "Belægning (gennemsnit)"),
    "queue_mean": ("Waiting (mean)", "Venteliste (gennemsnit)"),
    "ax_youths_placed": ("Youths placed (number)", "Anbragte unge (antal)"),
    "ax_youths_places": ("Youths / places (number)", "Unge / pladser (antal)"),
    "ax_waiting_short": ("Waiting (number)", "Ventende (antal)"),
    "ax_youths_waiting": ("Youths waiting (number)", "Unge på venteliste (antal)"),
    "ax_wait_days": ("Mean wait (days)", "Gennemsnitlig ventetid (dage)"),
    "ax_share_youths": ("Share of youths (%)", "Andel af de unge (%)"),
    "ax_admissions": ("Admissions per year (number)", "Anbringelser pr. år (antal)"),
    "ax_out_of_region": ("Outside home region (%)", "Uden for hjemregion (%)"),
    "ax_cost": ("Million kroner per year", "Mio. kr. pr. år"),
    "ax_cost_item": ("Cost item", "Udgiftspost"),
    "utilisation_pct": ("Utilisation (%)", "Belægningsprocent (%)"),
    "t_occupancy": ("Youths placed: {scope}", "Anbragte unge: {scope}"),
    "t_season": ("Mean by calendar month, national", "Gennemsnit efter kalendermåned, hele landet"),
    "t_queue": ("Waiting list by placement type, national", "Venteliste efter anbringelsestype, hele landet"),
    "t_waits_mean": ("Mean wait", "Gennemsnitlig ventetid"),
    "t_over1": ("Wait > 1 day", "Ventetid > 1 døgn"),
    "t_over7": ("Wait > 7 days", "Ventetid > 7 døgn"),
    "t_heat": ("Utilisation by institution and calendar month", "Belægningsprocent efter institution og kalendermåned"),
    "t_admissions": ("Admissions per year (national: {total})", "Anbringelser pr. år (hele landet: {total})"),
    "t_out_of_region": ("Placed outside the home region", "Anbragt uden for hjemregionen"),
    "t_costs": ("Costs per year (total {total})", "Udgifter pr. år (i alt {total})"),
    "h_days": ("days", "dage"),
    "h_per_year": ("per year", "pr. år"),
    "h_mio_kr": ("million kr", "mio. kr."),
    # scenario tables
    "sc_horizon": ("Horizon", "Tidshorisont"),
    "sc_regions": ("Regions and the proximity rule", "Regioner og nærhedsprincippet"),
    "sc_institutions": ("Institutions, units and places", "Institutioner, afdelinger og pladser"),
    "sc_demand": ("Demand by placement type", "Efterspørgsel efter anbringelsestype"),
    "sc_stays": ("Stays and withdrawal", "Opholdstid og frafald"),
    "sc_costs": ("Costs (kroner per day)", "Udgifter (kroner pr. dag)"),
    "sc_other": ("Other settings", "Andre indstillinger"),
    "sc_setting": ("Setting", "Indstilling"),
    "sc_value": ("Value", "Værdi"),
    "sc_start": ("Start", "Start"),
    "sc_years": ("Years", "År"),
    "sc_warmup": ("Warm-up (days)", "Indsvingning (dage)"),
    "sc_replications": ("Replications", "Gentagelser"),
    "sc_seed": ("Seed", "Seed"),
    "sc_nearest": ("Nearest regions, in order", "Nærmeste regioner i rækkefølge"),
    "sc_unit": ("Unit", "Afdeling"),
    "sc_places": ("Places", "Pladser"),
    "sc_high_security": ("High security", "Særligt sikret"),
    "sc_accepts": ("Takes", "Modtager"),
    "sc_changes": ("Planned changes", "Planlagte ændringer"),
    "sc_emergency": ("Emergency places", "Nødpladser"),
    "sc_total": ("Total", "I alt"),
    "sc_priority": ("Priority", "Prioritet"),
    "sc_per_year": ("Per year", "Pr. år"),
    "sc_growth": ("Growth per year", "Vækst pr. år"),
    "sc_seasonality": ("Seasonality", "Sæsonudsving"),
    "sc_peak": ("peak in {month}", "top i {month}"),
    "sc_dispersion": ("Dispersion (CV)", "Spredning (CV)"),
    "sc_hs_share": ("Needs high security", "Behov for særligt sikret"),
    "sc_region_shares": ("Home regions", "Hjemregioner"),
    "sc_distribution": ("Distribution", "Fordeling"),
    "sc_mean_days": ("Mean (days)", "Gennemsnit (dage)"),
    "sc_cv": ("CV", "CV"),
    "sc_drift": ("Drift per year", "Drift pr. år"),
    "sc_withdrawal": ("Withdrawal while waiting", "Frafald under venten"),
    "sc_occupied_day": ("Occupied place per day", "Belagt plads pr. dag"),
    "sc_empty_day": ("Empty place per day", "Tom plads pr. dag"),
    "sc_custody_day": ("Day in police custody", "Dag i arresthus"),
    "sc_custody_types": ("Types waiting in police custody", "Typer, der venter i arresthus"),
    "sc_none": ("none", "ingen"),
    "yes": ("yes", "ja"),
    "no": ("no", "nej"),
    # flexible and emergency places (run report)
    "sec_policies": ("Flexible and emergency places", "Fleksible pladser og nødpladser"),
    "read_policies": (
        "How often the capacity policies of the scenario came into play, per year of the simulated horizon "
        "(means over the simulated futures, whiskers 95 % confidence intervals).",
        "Hvor ofte scenariets kapacitetsregler blev brugt, pr. år af den simulerede periode (gennemsnit over de "
        "simulerede forløb, stregerne er 95 %-konfidensintervaller).",
    ),
    "pol_flex": (
        "On an average day <b>{open}</b> flexible places are open ({open_ci}); a pool of flexible places opens "
        "<b>{openings}</b> times a year.",
        "En gennemsnitlig dag er <b>{open}</b> fleksible pladser åbne ({open_ci}); en pulje af fleksible pladser "
        "åbnes <b>{openings}</b> gange om året.",
    ),
    "pol_emergency": (
        "<b>{admissions}</b> youths a year are placed in an emergency place ({admissions_ci}), using "
        "<b>{days}</b> place-days a year.",
        "<b>{admissions}</b> unge om året anbringes på en nødplads ({admissions_ci}), i alt <b>{days}</b> "
        "pladsdage om året.",
    ),
    "pol_emergency_stay": (
        "A stay in an emergency place lasts on average <b>{mean}</b> days (the longest in one simulated future: "
        "{max} days, on average over the futures); <b>{overdue}</b> a year pass the time limit and are moved to "
        "the first suitable place that frees.",
        "Et ophold på en nødplads varer i gennemsnit <b>{mean}</b> dage (det længste i ét simuleret forløb: "
        "{max} dage i gennemsnit over forløbene); <b>{overdue}</b> om året overskrider tidsgrænsen og flyttes "
        "til den første egnede plads, der bliver ledig.",
    ),
    "pol_moves": (
        "<b>{moves}</b> youths a year move to a place nearer home ({moves_ci}).",
        "<b>{moves}</b> unge om året flytter til en plads tættere på hjemmet ({moves_ci}).",
    ),
    "read_flex_time": (
        "Open places at the institutions with flexible places, each day: the line is the mean over the simulated "
        "futures and the band holds 90 % of them; the dashed line is the institution's places without flexible "
        "places.",
        "Åbne pladser på institutionerne med fleksible pladser hver dag: linjen er gennemsnittet over de "
        "simulerede forløb, og båndet rummer 90 % af dem; den stiplede linje er institutionens pladser uden de "
        "fleksible.",
    ),
    "t_policies": ("Use of flexible and emergency places", "Brug af fleksible pladser og nødpladser"),
    "t_flex_time": (
        "Open places at institutions with flexible places",
        "Åbne pladser på institutioner med fleksible pladser",
    ),
    "flex_places_open_mean": ("Flexible places open", "Åbne fleksible pladser"),
    "flex_openings_per_year": ("Openings of flexible places", "Åbninger af fleksible pladser"),
    "emergency_admissions_per_year": ("Youths in emergency places", "Unge på nødpladser"),
    "emergency_place_days_per_year": ("Emergency place-days", "Pladsdage på nødpladser"),
    "emergency_days_mean": ("Mean emergency stay", "Gennemsnitligt ophold på nødplads"),
    "emergency_days_max": ("Longest emergency stay", "Længste ophold på nødplads"),
    "emergency_overdue_per_year": ("Emergency stays past the limit", "Nødpladsophold over tidsgrænsen"),
    "moves_nearer_home_per_year": ("Moves nearer home", "Flytninger tættere på hjemmet"),
    "ax_number_per_year": ("Number per year", "Antal pr. år"),
    "ax_days": ("Days", "Dage"),
    "ax_place_days_per_year": ("Place-days per year (number)", "Pladsdage pr. år (antal)"),
    "ax_places_mean": ("Places (mean number)", "Pladser (gennemsnitligt antal)"),
    "ax_measure": ("Measure", "Mål"),
    "ax_open_places": ("Open places (number)", "Åbne pladser (antal)"),
    "open_mean": ("Open places, mean: {scope}", "Åbne pladser, gennemsnit: {scope}"),
    "open_band": ("90 % of futures: {scope}", "90 % af forløbene: {scope}"),
    "without_flex": ("Without flexible places: {scope}", "Uden fleksible pladser: {scope}"),
    # experiments: comparison.html and sweep.html
    "c_title": ("kapsim comparison: {names}", "kapsim-sammenligning: {names}"),
    "c_subtitle": (
        "{k} scenarios with the same simulated youths: {reps} replications of {years} years from {start}, seed {seed}",
        "{k} scenarier med de samme simulerede unge: {reps} gentagelser af {years} år fra {start}, seed {seed}",
    ),
    "s_title": ("kapsim sweep: {name}", "kapsim-variation: {name}"),
    "s_subtitle": (
        "{k} variants of the scenario with the same simulated youths: {reps} replications of {years} years from "
        "{start}, seed {seed}",
        "{k} varianter af scenariet med de samme simulerede unge: {reps} gentagelser af {years} år fra {start}, "
        "seed {seed}",
    ),
    "sec_crn": ("How to read the comparison", "Sådan læses sammenligningen"),
    "crn_note": (
        "Every scenario was simulated with the same seed and replication numbers, so replication {r} of each "
        "scenario met exactly the same youths (common random numbers). The difference between two scenarios is "
        "therefore measured replication by replication, and its paired confidence interval is much narrower than "
        "the two scenarios' own intervals would suggest: read the paired differences, not whether the "
        "scenarios' intervals overlap.",
        "Alle scenarier er simuleret med samme seed og de samme gentagelser, så gentagelse {r} af hvert scenarie "
        "mødte præcis de samme unge (fælles tilfældige tal). Forskellen mellem to scenarier måles derfor "
        "gentagelse for gentagelse, og dens parrede konfidensinterval er meget smallere, end scenariernes egne "
        "intervaller antyder: læs de parrede forskelle, ikke om scenariernes intervaller overlapper.",
    ),
    "sec_side": ("Scenarios side by side", "Scenarierne side om side"),
    "read_side": (
        "Each scenario's mean over its replications, with the 95 % confidence interval as whiskers.",
        "Hvert scenaries gennemsnit over gentagelserne med 95 %-konfidensintervallet som streger.",
    ),
    "sec_diff": ("Paired differences to {ref}", "Parrede forskelle til {ref}"),
    "read_diff": (
        "Each scenario minus {ref}, replication by replication: the mean difference and its paired 95 % "
        "confidence interval. Where the whiskers do not cross the zero line the scenarios differ beyond the "
        "simulation's noise. The comparisons share random numbers, so these paired intervals are the ones to "
        "read.",
        "Hvert scenarie minus {ref}, gentagelse for gentagelse: den gennemsnitlige forskel og dens parrede "
        "95 %-konfidensinterval. Hvor stregerne ikke krydser nullinjen, er forskellen større end simuleringens "
        "tilfældige udsving. Sammenligningerne deler tilfældige tal, så det er disse parrede intervaller, der "
        "skal læses.",
    ),
    "sec_c_occupancy": ("Occupancy over time by scenario", "Belægning over tid efter scenarie"),
    "read_c_occupancy": (
        "Youths in a place at the end of each day: the line is each scenario's median over its simulated futures, "
        "the band holds 90 % of them, and the dashed line is the scenario's mean number of open places. Choose an "
        "institution in the menu.",
        "Anbragte unge ved hver dags slutning: linjen er hvert scenaries median over de simulerede forløb, båndet "
        "rummer 90 % af dem, og den stiplede linje er scenariets gennemsnitlige antal åbne pladser. Vælg en "
        "institution i menuen.",
    ),
    "sec_c_table": ("Key figures by scenario", "Nøgletal efter scenarie"),
    "read_c_table": (
        "Mean with its 95 % confidence interval; the difference to {ref} with its paired 95 % confidence interval.",
        "Gennemsnit med 95 %-konfidensinterval; forskellen til {ref} med dets parrede 95 %-konfidensinterval.",
    ),
    "sec_s_metrics": ("Key figures across the grid", "Nøgletal på tværs af varianterne"),
    "read_s_metrics": (
        "Each variant's mean over its replications against {first}, with its 95 % confidence interval as a band and "
        "whiskers; one line per value of the other varied settings.",
        "Hver variants gennemsnit over gentagelserne mod {first} med 95 %-konfidensintervallet som bånd og streger; "
        "én linje pr. værdi af de andre varierede indstillinger.",
    ),
    "sec_s_tradeoff": ("Trade-off: places and cost against waiting", "Afvejning: pladser og udgift mod ventetid"),
    "read_s_tradeoff": (
        "Each marker is one variant: its mean number of open places (left) or its cost per year (right) against "
        "the share of remanded youths who wait more than a day for a place. Down and to the left is better; hover "
        "for the variant's settings and the 95 % confidence intervals.",
        "Hver markør er én variant: dens gennemsnitlige antal åbne pladser (til venstre) eller dens udgift pr. år "
        "(til højre) mod andelen af unge i varetægtssurrogat, der venter mere end et døgn på en plads. Nedad og "
        "til venstre er bedre; hold musen over en markør for variantens indstillinger og "
        "95 %-konfidensintervallerne.",
    ),
    "sec_s_table": ("Key figures by variant", "Nøgletal efter variant"),
    "read_s_table": (
        "Mean over the replications with its 95 % confidence interval in brackets.",
        "Gennemsnit over gentagelserne med 95 %-konfidensintervallet i parentes.",
    ),
    "sweep_varied": ("Varied: {keys}.", "Varieret: {keys}."),
    "scenario": ("Scenario", "Scenarie"),
    "variant": ("Variant", "Variant"),
    "reference": ("reference", "reference"),
    "difference": ("Difference", "Forskel"),
    "paired_ci": ("paired 95 % CI", "parret 95 %-KI"),
    "unpaired": ("unpaired", "uparret"),
    "pairs": ("pairs", "par"),
    "t_side": ("Key figures with 95 % confidence intervals", "Nøgletal med 95 %-konfidensintervaller"),
    "t_diff": (
        "Difference to {ref} with paired 95 % confidence intervals",
        "Forskel til {ref} med parrede 95 %-konfidensintervaller",
    ),
    "t_c_occupancy": ("Youths placed by scenario: {scope}", "Anbragte unge efter scenarie: {scope}"),
    "t_s_metrics": ("Key figures against {first}", "Nøgletal mod {first}"),
    "t_tradeoff": (
        "Remanded youths waiting more than a day against places and cost",
        "Unge i varetægtssurrogat, der venter mere end et døgn, mod pladser og udgift",
    ),
    "ax_share_remand": ("Share of remanded youths (%)", "Andel af unge i varetægtssurrogat (%)"),
    "ax_scenario": ("Scenario", "Scenarie"),
    "ax_diff": ("Difference ({unit})", "Forskel ({unit})"),
    "u_days": ("days", "dage"),
    "u_youths_year": ("youths per year", "unge pr. år"),
    "u_places": ("places", "pladser"),
    "u_share": ("percentage points", "procentpoint"),
    "u_kr_day": ("kr per day", "kr. pr. dag"),
    "u_kr": ("kr", "kr."),
    "u_value": ("value", "værdi"),
    "u_share_per_year": ("share per year", "andel pr. år"),
    "u_youths": ("youths", "unge"),
    "point": ("Point", "Punkt"),
    # calibration and backtest pages
    "cal_title": ("kapsim calibration: {name}", "kapsim-kalibrering: {name}"),
    "bt_title": ("kapsim backtest: {name}", "kapsim-efterprøvning: {name}"),
    "cal_subtitle": (
        "Fitted to {data} {method}; the calibrated scenario simulated {reps} times from {start} to {end}, each "
        "replication with its own parameter draw.",
        "Tilpasset til {data} {method}; det kalibrerede scenarie er simuleret {reps} gange fra {start} til {end}, "
        "hver gentagelse med sit eget parametertræk.",
    ),
    "bt_subtitle": (
        "Fitted to the data in {data} before {cut} {method}, projected to {until} and compared with what "
        "followed; {reps} replications from {start}, each with its own parameter draw.",
        "Tilpasset til data i {data} før {cut} {method}, fremskrevet til {until} og holdt op mod det, der "
        "fulgte; {reps} gentagelser fra {start}, hver med sit eget parametertræk.",
    ),
    "cal_method_episodes": ("directly from the episodes", "direkte fra anbringelsesforløbene"),
    "cal_method_surrogate": ("through the surrogate model", "gennem surrogatmodellen"),
    "cal_sec_parameters": ("Fitted parameters", "Tilpassede parametre"),
    "cal_read_parameters": (
        "Estimate, bootstrap standard error and 90 % interval of each fitted value, and how it was fitted. "
        "Demand per year and mean stays are stated on the scenario's start date.",
        "Estimat, bootstrap-standardfejl og 90 %-interval for hver tilpasset værdi, og hvordan den er tilpasset. "
        "Efterspørgsel pr. år og gennemsnitlig opholdstid gælder på scenariets startdato.",
    ),
    "cal_no_parameters": ("No parameter was fitted.", "Ingen parameter blev tilpasset."),
    "cal_sec_notes": ("Notes", "Bemærkninger"),
    "cal_sec_fit": ("Observed against simulated", "Observeret mod simuleret"),
    "cal_read_fit": (
        "One chart per measure and placement type, national figures. The band (or the bar) holds 5 % to 95 % of "
        "the replications of the calibrated scenario over the data's period, each with its own parameter draw; "
        "the line (or the marker) is their mean. Black dots were fitted; vermillion triangles are capacity-bound "
        "rows, fitted only as lower bounds (demand was at least this); open circles are shown, not fitted. "
        "Hover over a point for why.",
        "Én figur pr. mål og anbringelsestype, tal for hele landet. Båndet (eller stregen) rummer 5 % til 95 % af "
        "gentagelserne af det kalibrerede scenarie over dataperioden, hver med sit eget parametertræk; linjen "
        "(eller markøren) er deres gennemsnit. Sorte prikker indgik i tilpasningen; røde trekanter er "
        "kapacitetsbegrænsede rækker, der kun indgår som nedre grænser (efterspørgslen var mindst dette); åbne "
        "cirkler vises, men indgår ikke. Hold musen over et punkt for at se hvorfor.",
    ),
    "bt_read_cut": (
        "The dashed vertical line is the cut: the fit saw only the data before it.",
        "Den stiplede lodrette linje er skæringsdatoen: tilpasningen så kun data fra før den.",
    ),
    "cal_sec_residuals": ("Residuals", "Residualer"),
    "cal_read_residuals": (
        "Observed minus simulated mean of each national row, in simulated standard deviations (the 90 % range "
        "divided by 3.29). Between the dotted lines lies the simulated 90 % range.",
        "Observeret minus simuleret gennemsnit for hver række for hele landet, målt i simulerede "
        "standardafvigelser (90 %-intervallet divideret med 3,29). Mellem de prikkede linjer ligger det "
        "simulerede 90 %-interval.",
    ),
    "cal_sec_episodes": ("Stays and admissions from the episodes", "Opholdstider og anbringelser fra forløbene"),
    "cal_read_episodes": (
        "For each placement type: the share of stays still going on after a number of days, the Kaplan-Meier "
        "estimate (stays still going on at the end of the data count as censored) against each fitted "
        "distribution; and the youths whose need for a place arose each month against the Poisson GLM with "
        "trend and season.",
        "For hver anbringelsestype: andelen af ophold, der stadig varer efter et antal dage, Kaplan-Meier-"
        "estimatet (ophold, der stadig varer ved datas afslutning, tæller som censurerede) mod hver tilpasset "
        "fordeling; og de unge, der fik behov for en plads hver måned, mod Poisson-GLM'en med trend og sæson.",
    ),
    "cal_brief_inside": (
        "<b>{inside}</b> of the {rows} observed rows the simulation covers lie inside its 90 % range.",
        "<b>{inside}</b> af de {rows} observerede rækker, simuleringen dækker, ligger inden for dens 90 %-interval.",
    ),
    "cal_brief_inside_fit": (
        "Of the {rows} rows used in the fit: {inside}.",
        "Af de {rows} rækker, der indgik i tilpasningen: {inside}.",
    ),
    "cal_brief_rows": ("{rows} observed rows were simulated.", "{rows} observerede rækker er simuleret."),
    "cal_brief_error": (
        "The simulated mean misses the observed value by <b>{error}</b> on average (mean absolute relative error).",
        "Det simulerede gennemsnit afviger i gennemsnit <b>{error}</b> fra den observerede værdi (gennemsnitlig "
        "absolut relativ fejl).",
    ),
    "bt_brief_test": (
        "After the cut ({rows} rows the fit never saw): mean absolute relative error <b>{error}</b>, <b>{inside}</b> "
        "inside the simulated 90 % range.",
        "Efter skæringsdatoen ({rows} rækker, tilpasningen aldrig så): gennemsnitlig absolut relativ fejl "
        "<b>{error}</b>, <b>{inside}</b> inden for det simulerede 90 %-interval.",
    ),
    "bt_brief_fit": (
        "Before the cut ({rows} rows): mean absolute relative error {error}, {inside} inside the simulated 90 % range.",
        "Før skæringsdatoen ({rows} rækker): gennemsnitlig absolut relativ fejl {error}, {inside} inden for det "
        "simulerede 90 %-interval.",
    ),
    "bt_no_rows": ("No observed rows in the {window} window.", "Ingen observerede rækker i vinduet {window}."),
    "bt_sec_windows": ("Error before and after the cut", "Fejl før og efter skæringsdatoen"),
    "bt_read_windows": (
        "Mean absolute relative error of the simulated mean, mean relative error (above zero: the simulation is "
        "too high) and the share of observed rows inside the simulated 90 % range, before the cut (the rows the "
        "fit saw) and after it (the test), in all and per measure and placement type.",
        "Gennemsnitlig absolut relativ fejl på det simulerede gennemsnit, gennemsnitlig relativ fejl (over nul: "
        "simuleringen ligger for højt) og andelen af observerede rækker inden for det simulerede 90 %-interval, "
        "før skæringsdatoen (de rækker, tilpasningen så) og efter den (testen), i alt og pr. mål og "
        "anbringelsestype.",
    ),
    "bt_fit": ("before the cut (fit)", "før skæringsdatoen (tilpasning)"),
    "bt_test": ("after the cut (test)", "efter skæringsdatoen (test)"),
    "bt_all": ("all rows", "alle rækker"),
    "cal_col_parameter": ("Parameter", "Parameter"),
    "cal_col_estimate": ("Estimate", "Estimat"),
    "cal_col_se": ("Standard error", "Standardfejl"),
    "cal_col_interval": ("90 % interval", "90 %-interval"),
    "cal_col_method": ("Method", "Metode"),
    "bt_col_window": ("Window", "Vindue"),
    "bt_col_measure": ("Measure", "Mål"),
    "bt_col_rows": ("Rows", "Rækker"),
    "bt_col_error": ("Mean absolute relative error", "Gns. absolut relativ fejl"),
    "bt_col_bias": ("Mean relative error", "Gns. relativ fejl"),
    "bt_col_inside": ("Inside the 90 % range", "Inden for 90 %-intervallet"),
    "cal_p_per_year": ("{type}: demand per year", "{type}: efterspørgsel pr. år"),
    "cal_p_growth": ("{type}: growth of demand per year", "{type}: vækst i efterspørgslen pr. år"),
    "cal_p_amplitude": ("{type}: seasonal amplitude", "{type}: sæsonudsving (amplitude)"),
    "cal_p_mean": ("{type}: mean stay (days)", "{type}: gennemsnitlig opholdstid (dage)"),
    "cal_p_cv": ("{type}: variation of stays (CV)", "{type}: spredning af opholdstiden (CV)"),
    "cal_p_drift": ("{type}: drift of mean stay per year", "{type}: drift i opholdstiden pr. år"),
    "court_ordered": ("court-ordered (remand and sentence)", "retslige anbringelser (varetægtssurrogat og dom)"),
    "cal_m_admissions": ("Admissions per year", "Anbringelser pr. år"),
    "cal_m_share_of_admissions": ("Share of admissions", "Andel af anbringelserne"),
    "cal_m_mean_stay": ("Mean stay (days)", "Gennemsnitlig opholdstid (dage)"),
    "cal_m_mean_census": ("Youths placed (mean)", "Anbragte unge (gennemsnit)"),
    "cal_m_occupancy": ("Utilisation (occupied / places)", "Belægningsprocent (belagte / pladser)"),
    "cal_m_bed_days": ("Bed-days per year", "Belægningsdøgn pr. år"),
    "cal_t_series": ("{measure}, {type}: weekly or monthly", "{measure}, {type}: pr. uge eller måned"),
    "cal_t_yearly": ("{measure}, {type}: yearly figures", "{measure}, {type}: årstal"),
    "cal_band": ("Simulated 90 % range", "Simuleret 90 %-interval"),
    "cal_sim_mean": ("Simulated mean", "Simuleret gennemsnit"),
    "cal_sim_bar": ("Simulated mean and 90 % range", "Simuleret gennemsnit og 90 %-interval"),
    "cal_surrogate": ("Surrogate model (unlimited places)", "Surrogatmodel (ubegrænsede pladser)"),
    "cal_obs_fitted": ("Observed, fitted", "Observeret, tilpasset"),
    "cal_obs_censored": (
        "Observed, capacity-bound (demand at least this)",
        "Observeret, kapacitetsbegrænset (efterspørgslen mindst dette)",
    ),
    "cal_obs_shown": ("Observed, shown only", "Observeret, kun vist"),
    "cal_cut": ("cut", "skæringsdato"),
    "cal_t_residuals": (
        "Residuals: (observed − simulated mean) / simulated standard deviation",
        "Residualer: (observeret − simuleret gennemsnit) / simuleret standardafvigelse",
    ),
    "cal_ax_sd": ("Standard deviations", "Standardafvigelser"),
    "cal_t_stays": (
        "Stays, {type}: share still placed after x days ({censored} of {n} still going on, censored)",
        "Ophold, {type}: andel stadig anbragt efter x dage ({censored} af {n} endnu ikke afsluttet, censureret)",
    ),
    "cal_km": ("Kaplan-Meier", "Kaplan-Meier"),
    "cal_family": (
        "{family} (mean {mean} days, CV {cv}, AIC {aic})",
        "{family} (gennemsnit {mean} dage, CV {cv}, AIC {aic})",
    ),
    "cal_ax_still": ("Share still placed", "Andel stadig anbragt"),
    "cal_ax_stay_days": ("Days since admission", "Dage siden anbringelsen"),
    "cal_t_admissions": (
        "Need for a place arising per month, {type}: Poisson GLM with trend and season",
        "Behov for en plads pr. måned, {type}: Poisson-GLM med trend og sæson",
    ),
    "cal_glm": ("GLM fit", "GLM-tilpasning"),
    "cal_ax_youths_month": ("Youths per month (number)", "Unge pr. måned (antal)"),
    # calibration methods (parameters.csv) and notes (facts.json, fit.csv): the English is kapsim's own text,
    # matched with {placeholders} to give the Danish
    "cm_glm": ("Poisson GLM of monthly counts ({season} season)", "Poisson-GLM af antal pr. måned (sæson: {season})"),
    "cm_mle": ("censored MLE, {family} (AIC: {aic})", "censureret maksimum likelihood, {family} (AIC: {aic})"),
    "cm_surrogate_peak": (
        "surrogate least squares: {name} (peak month {month})",
        "mindste kvadrater på surrogatmodellen: {name} (top i {month})",
    ),
    "cm_surrogate": ("surrogate least squares: {name}", "mindste kvadrater på surrogatmodellen: {name}"),
    "cn_ignored": (
        "{n} {type} episodes ignored: the scenario has no placement type '{type}'",
        "{n} forløb af typen {type} er udeladt: scenariet har ingen anbringelsestype '{type}'",
    ),
    "cn_too_few": (
        "{type}: {n} episodes are too few to fit; the scenario's values are kept",
        "{type}: {n} forløb er for få til en tilpasning; scenariets værdier beholdes",
    ),
    "cn_regions": (
        "{type}: home regions not all in the scenario; regional shares kept",
        "{type}: ikke alle hjemregioner findes i scenariet; de regionale andele beholdes",
    ),
    "cn_episodes_only": (
        "with episodes, the yearly figures and occupancy series are shown, not fitted",
        "med anbringelsesforløb vises årstallene og belægningsserierne, men indgår ikke i tilpasningen",
    ),
    "cn_stay_held": (
        "mean stay of {types} held: no stay figure, and no census with admissions",
        "gennemsnitlig opholdstid for {types} holdt fast: intet tal for opholdstid og ingen belægning sammen "
        "med anbringelser",
    ),
    "cn_nothing": (
        "nothing to fit: the data identify no free parameter (or all are held)",
        "intet at tilpasse: data bestemmer ingen fri parameter (eller alle holdes fast)",
    ),
    "cn_places_occupancy": (
        "places per institution from the occupancy series ({n} institutions)",
        "pladser pr. institution fra belægningsserien ({n} institutioner)",
    ),
    "cn_places_yearly": (
        "places: the yearly national totals, spread over the ordinary units in the scenario's proportions",
        "pladser: de årlige tal for hele landet, fordelt på de almindelige afdelinger i scenariets forhold",
    ),
    "cn_places_own": (
        "places: the scenario's own (the data give none)",
        "pladser: scenariets egne (data angiver ingen)",
    ),
    "cn_before": (
        "{n} rows before {date} are compared with the surrogate only",
        "{n} rækker før {date} sammenlignes kun med surrogatmodellen",
    ),
    "cn_projected_history": (
        "rows from {date} on are projected from the simulated history: the episodes begin too late to count the "
        "youths in place on the cut date",
        "rækker fra {date} er fremskrevet fra den simulerede historik: forløbene begynder for sent til at tælle "
        "de unge, der var anbragt på skæringsdatoen",
    ),
    "cn_projected_state": (
        "rows from {date} on are projected from the {placed} youths placed and {waiting} waiting on that date "
        "(episodes), not from the simulated history",
        "rækker fra {date} er fremskrevet fra de {placed} anbragte og {waiting} ventende unge på den dato "
        "(anbringelsesforløb), ikke fra den simulerede historik",
    ),
    "cn_shown_episodes": (
        "shown: the parameters come from the episodes",
        "vist: parametrene kommer fra anbringelsesforløbene",
    ),
    "cn_after_cut": ("after the cut: not fitted", "efter skæringsdatoen: indgår ikke i tilpasningen"),
    "cn_not_simulated": (
        "not simulated: before {date}, the first date with places in the data",
        "ikke simuleret: før {date}, den første dato med pladser i data",
    ),
    "cn_projected_from": ("projected from the state on {date}", "fremskrevet fra tilstanden {date}"),
    "cn_institution_figure": (
        "institution figure: shown, not fitted",
        "tal for en institution: vist, indgår ikke i tilpasningen",
    ),
    "cn_no_type": ("the scenario has no {types}", "scenariet har ingen {types}"),
    "cn_derived": (
        "derived from other rows: shown, not fitted twice",
        "afledt af andre rækker: vist, tælles ikke med to gange",
    ),
    "cn_no_places": ("no places figure for this period", "intet pladstal for perioden"),
    "cn_capacity_bound": (
        "capacity-bound: demand at least this",
        "kapacitetsbegrænset: efterspørgslen var mindst dette",
    ),
    "cn_sum_of_types": ("sum of the placement types' rows", "summen af anbringelsestypernes rækker"),
    "cn_backlog": (
        "after a capacity-bound period: the backlog is still being placed",
        "efter en kapacitetsbegrænset periode: de ventende unge anbringes stadig",
    ),
    "cn_institution": ("institution: shown, not fitted", "institution: vist, indgår ikke i tilpasningen"),
    "cn_glm": ("fitted from the episodes directly (GLM)", "tilpasset direkte fra anbringelsesforløbene (GLM)"),
    "cn_from_episodes": (
        "from the episodes: shown, not fitted",
        "fra anbringelsesforløbene: vist, indgår ikke i tilpasningen",
    ),
}


class Labels:
    """Labels and number formats of one language (``en`` or ``da``)."""

    def __init__(self, lang: str = "en"):
        if lang not in LANGS:
            raise ValueError(f"language must be one of {', '.join(LANGS)}, not '{lang}'")
        self.lang = lang
        self._i = LANGS.index(lang)

    def __call__(self, key: str, **values) -> str:
        """The text of ``key``; ``metric:NAME:TYPE``, ``axis:UNIT`` and ``unit:UNIT`` come from the metrics
        catalogue (sim/results/metrics.py), ``axis:NAME:TYPE`` too (a share's axis), every other key from TEXT."""
        kind, _, rest = key.partition(":")
        if rest:
            return self._catalogue(kind, rest)
        text = TEXT[key][self._i]
        return text.format(**values) if values else text

    def _catalogue(self, kind: str, rest: str) -> str:
        da = self.lang == "da"
        if kind == "metric":
            name, _, ptype = rest.partition(":")
            return catalogue.label(name, ptype or "all", self.lang)
        if kind == "axis" and ":" in rest:  # a share's axis: its own label, in percent
            name, _, ptype = rest.partition(":")
            return f"{catalogue.label(name, ptype, self.lang)} (%)"
        unit = catalogue.UNITS[rest]
        if kind == "axis":
            return unit.axis_da if da else unit.axis_en
        return unit.da if da else unit.en

    # --- numbers ---------------------------------------------------------------------------------------
    @property
    def separators(self) -> str:
        """Plotly's ``layout.separators``: decimal mark, then thousands separator."""
        return ",." if self.lang == "da" else ".,"

    def num(self, x: float | None, decimals: int = 1) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        s = f"{x:,.{decimals}f}"
        if self.lang == "da":
            s = s.translate(str.maketrans({",": ".", ".": ","}))
        return s.replace("-", "−")

    def pct(self, share: float | None, decimals: int = 1) -> str:
        """A share (0.25) as a percentage: '25.0 %' / '25,0 %'."""
        if share is None or (isinstance(share, float) and math.isnan(share)):
            return "–"
        return f"{self.num(share * 100, decimals)} %"

    def mio_kr(self, kroner: float | None, decimals: int = 1) -> str:
        if kroner is None or (isinstance(kroner, float) and math.isnan(kroner)):
            return "–"
        return f"{self.num(kroner / 1e6, decimals)} {self('h_mio_kr')}"

    def span(self, lo: float | None, hi: float | None, fmt) -> str:
        """'1.2 to 3.4' with each bound formatted by ``fmt``."""
        if lo is None or hi is None or any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
            return self("not_available")
        return f"{fmt(lo)} {self('ci_to')} {fmt(hi)}"

    def interval(self, lo: float | None, hi: float | None, fmt) -> str:
        """'95 % CI 1.2 to 3.4' with each bound formatted by ``fmt``."""
        return f"{self('ci95')} {self.span(lo, hi, fmt)}"

    def date(self, day: dt.date | str) -> str:
        d = dt.date.fromisoformat(str(day)[:10])
        if self.lang == "da":
            return f"{d.day}. {_MONTHS['da'][d.month - 1]} {d.year}"
        return f"{d.day} {_MONTHS['en'][d.month - 1]} {d.year}"

    # --- names -----------------------------------------------------------------------------------------
    def ptype(self, name: str) -> str:
        return TYPES.get(name, {}).get(self.lang, name)

    def scope(self, name: str) -> str:
        return self("national") if name == "national" else name

    def months_short(self) -> list[str]:
        return list(_SHORT_MONTHS[self.lang])

    def months(self) -> list[str]:
        return list(_MONTHS[self.lang])

    def yes_no(self, value: bool) -> str:
        return self("yes") if value else self("no")

    # --- plotly ----------------------------------------------------------------------------------------
    def plotly_locale(self) -> dict | None:
        """A plotly.js locale module for Danish dates and numbers (English is plotly.js's own)."""
        if self.lang != "da":
            return None
        return {
            "moduleType": "locale",
            "name": "da",
            "dictionary": {},
            "format": {
                "days": _DAYS["da"],
                "shortDays": [d[:3] for d in _DAYS["da"]],
                "months": _MONTHS["da"],
                "shortMonths": _SHORT_MONTHS["da"],
                "date": "%d.%m.%Y",
                "decimal": ",",
                "thousands": ".",
            },
        }


def type_colour(name: str, position: int = 0) -> str:
    return TYPE_COLOURS.get(name, _SPARE[position % len(_SPARE)])
