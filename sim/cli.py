"""The ``kapsim`` command line. Commands parse options, call the library and print; nothing else.

No input gives a traceback: every failure of a command becomes a message naming what was refused and why
(exit 1; 2 for a misused option), SIGTERM stops a command as Ctrl-C does, and a command writes only into an
output folder that is new, empty or kapsim's, unless given ``--force`` (docs/reliability.md).
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import sys
from pathlib import Path

import click

from sim import __version__
from sim.scenario.loading import ScenarioError, load_scenario, with_horizon

TIME_BOUND = 12 * 3600  # seconds: a command that would run longer is refused unless --force
MEMORY_SHARE = 0.8  # of this machine's memory: a run that would need more is refused unless --force


def _load(path: str, overrides: tuple[str, ...]):
    try:
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        raise click.ClickException("scenario refused:\n" + "\n".join(f"  {p}" for p in exc.problems)) from None


class _Commands(click.Group):
    """The kapsim group: SIGTERM stops a command as Ctrl-C does, and whatever a command raises becomes a
    message (KAPSIM_TRACEBACK=1 shows the traceback of an unexpected error instead)."""

    def invoke(self, ctx):
        from sim.run.runner import stop_on_sigterm

        previous = stop_on_sigterm()
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # a closed pipe (kapsim ... | head): click ends quietly
            if os.environ.get("KAPSIM_TRACEBACK") and not isinstance(exc, KeyboardInterrupt):
                raise
            raise click.ClickException(_message(exc)) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _message(exc: BaseException) -> str:
    """What a command says when ``exc`` ends it."""
    from sim.calibration.data import DataError
    from sim.run.folder import FolderRefused
    from sim.run.partial import PartialMismatch
    from sim.run.runner import Interrupted, Terminated

    if isinstance(exc, ScenarioError):
        return "scenario refused:\n" + "\n".join(f"  {p}" for p in exc.problems)
    if isinstance(exc, DataError):
        return f"data refused: {exc}"
    if isinstance(exc, FolderRefused | PartialMismatch):
        return str(exc)
    if isinstance(exc, Interrupted):
        return f"{exc}; run the same command again to resume"
    if isinstance(exc, KeyboardInterrupt):
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        return f"{how}; what was finished is kept: run the same command again to resume"
    if isinstance(exc, MemoryError):
        return "out of memory: run fewer replications, a shorter horizon or fewer --workers"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return (
        f"unexpected error ({type(exc).__name__}: {exc}); please report it with the command that gave it "
        "(KAPSIM_TRACEBACK=1 shows where it happened)"
    )


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kapsim")
def main() -> None:
    """kapsim: simulate Denmark's secure places for young people and test capacity decisions."""


FORCE_HELP = (
    "Write into an output folder kapsim did not write, discard an unfinished run of other settings, and run "
    "beyond the time and memory bound (12 hours, 80 % of memory)."
)


def _claim(folder: Path, force: bool, what: str = "--out") -> None:
    """Hold ``folder`` for this command (:func:`sim.run.folder.claim`), or refuse naming it."""
    from sim.run.folder import FolderRefused, claim

    try:
        held = claim(folder, force, what)
    except FolderRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.get_current_context().call_on_close(held.release)


def _own(folder: Path, force: bool, results=(), what: str = "--out") -> None:
    """Hold ``folder`` for this command (:func:`_claim`) and remove a previous command's ``results`` there
    before new ones are written, so that the folder never holds the tables of one and the page of another."""
    _claim(folder, force, what)
    for name in results:
        (Path(folder) / name).unlink(missing_ok=True)


def _affordable(scenarios, workers: int, force: bool, what: str = "run", scale: float = 1.0) -> None:
    """Refuse, unless ``force``, what would take longer than TIME_BOUND or more memory than MEMORY_SHARE of
    this machine's (the estimate of :func:`sim.run.runner.estimate`; ``scale`` times that of ``scenarios``)."""
    from sim.run.runner import Estimate, estimate, memory_mb

    if force:
        return
    estimates = [estimate(s, workers) for s in scenarios]
    total = Estimate(
        max(e.youths for e in estimates),
        sum(e.seconds for e in estimates) * scale,
        max(e.megabytes for e in estimates),
    )
    ram = memory_mb()
    bound = MEMORY_SHARE * ram if ram else None
    if total.seconds > TIME_BOUND or (bound is not None and total.megabytes > bound):
        n = scenarios[0].horizon.replications
        limit = f"12 hours or {bound / 1000:,.1f} GB (80 % of its memory)" if bound else "12 hours"
        raise click.ClickException(
            f"this {what} would take {total.describe()} on this machine ({n:,} replications of about "
            f"{total.youths:,.0f} youths each), beyond the {limit}: run fewer replications or a shorter horizon, "
            "or give --force to run it anyway"
        )


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a value, as in run.")
def validate(scenarios: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario files without running them.

    Prints one line per file ('ok' or its problems, each naming file, key path and problem). Writes
    nothing. Exits 1 if any file is refused.
    """
    failed = 0
    for path in scenarios:
        try:
            s = load_scenario(path, overrides)
            n_places = sum(u.places for i in s.institutions.values() for u in i.units.values())
            click.echo(f"ok       {path}: '{s.name}', {len(s.institutions)} institutions, {n_places} places")
        except ScenarioError as exc:
            failed += 1
            click.echo(f"refused  {path}:", err=True)
            for p in exc.problems:
                click.echo(f"  {p}", err=True)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--replications", "-n", type=click.IntRange(min=2), help="Replications (default: the file's).")
@click.option("--seed", type=click.IntRange(min=0), help="Scenario seed (default: the file's).")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Output folder [default: outputs/NAME].")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario value.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--executor",
    type=click.Choice(["processes", "dask"]),
    default="processes",
    show_default=True,
    help="Local worker processes, or a dask.distributed cluster.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler, e.g. tcp://host:8786 (default: a LocalCluster of --workers).",
)
@click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True, help="Report language.")
@click.option(
    "--parameter-uncertainty",
    is_flag=True,
    help="Replication r uses parameter draw r mod N from the scenario's parameter_uncertainty (kapsim calibrate).",
)
@click.option(
    "--observed",
    type=click.Path(dir_okay=False),
    help="An occupancy series (calibration/README.md) to draw against the simulated occupancy.",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def run(
    scenario, replications, seed, out, workers, overrides, quiet, executor, scheduler, lang, parameter_uncertainty,
    observed, force,
) -> None:  # fmt: skip
    """Run a scenario's replications and write the results to the output folder.

    Writes to OUT: summary.csv (each metric with its 95 % confidence interval), replications.parquet
    (one row per replication and metric), timeseries.parquet (daily mean and quantiles across
    replications), scenario.resolved.yaml (the merged scenario that ran) and manifest.json (versions,
    seed, command, timing), then report.html (the interactive report, as `kapsim report` writes it).
    With --observed, also observed.csv (the series added up per date, nationally and per institution),
    which the report draws in the occupancy chart. An interrupted run (Ctrl-C, SIGTERM) keeps its finished
    replications in OUT/.partial; running the same command again resumes. OUT must be new, empty or a folder
    kapsim wrote, unless --force; a new run there replaces the old one as a whole.
    """
    from sim.run.folder import write_run
    from sim.run.runner import run as run_all

    s = _load(scenario, overrides)
    seen = _observed(observed) if observed else None  # refused before anything runs
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    if changes:
        s = with_horizon(s, **changes)
    if parameter_uncertainty:
        from sim.scenario.uncertainty import with_draws_applied

        try:
            s = with_draws_applied(s)
        except ScenarioError as exc:
            raise click.ClickException("\n".join(exc.problems)) from None
    _affordable([s], workers, force)
    folder = Path(out) if out else Path("outputs") / Path(scenario).stem
    _claim(folder, force)
    result = run_all(
        s, folder, workers=workers, progress=not quiet, executor=executor, scheduler=scheduler, replace_partial=force
    )
    write_run(folder, s, result, _command_line(), result.wall_seconds)
    notes = []
    if seen is not None:
        from sim.report.data import write_observed

        notes = write_observed(folder, seen)
    page = _write_page(folder, lang)  # every file written before anything is printed
    for note in notes:
        click.echo(f"observed: {note}", err=True)
    resumed = f" ({result.resumed} resumed)" if result.resumed else ""
    click.echo(f"{len(result.reps)} replications{resumed} in {result.wall_seconds:.1f} s -> {folder}/")
    _headline(folder)
    page()


def _observed(path: str):
    """An occupancy series, checked (identifiers refused) before anything runs."""
    from sim.calibration.data import DataError, load

    try:
        return load(path, expect="occupancy")
    except DataError as exc:
        raise click.ClickException(f"data refused: {exc}") from None


def _headline(folder: Path) -> None:
    """The headline figures of a finished run (sim/results/metrics.py), with their intervals."""
    from sim.results.summaries import headline_lines
    from sim.run.folder import read_summary

    for line in headline_lines(read_summary(folder)):
        click.echo(line)


def _write_report(folder: Path, lang: str, page: str = "report.html") -> None:
    """report.html after a run, comparison.html or sweep.html after an experiment; a failure is reported but
    leaves the saved results as they are."""
    _write_page(folder, lang, page)()


def _write_page(folder: Path, lang: str, page: str = "report.html"):
    """Write the page as :func:`_write_report` does, but return what prints the outcome, for a command to
    call once it has printed the rest: every file is written before anything is printed, so a closed pipe
    (``kapsim run ... | head -1``) cannot leave a folder without its page."""
    from sim import report as pages

    writers = {
        "report.html": pages.write_report,
        "comparison.html": pages.write_comparison_report,
        "sweep.html": pages.write_sweep_report,
        "size_by_year.html": pages.write_plan_report,
        "place.html": pages.write_place_report,
    }
    try:
        path = writers[page](folder, lang)
    except Exception as exc:  # the results are saved; the page can be made again with `kapsim report`
        text = f"warning: {page} not written ({exc}); try: kapsim report {folder}"
        return lambda: click.echo(text, err=True)
    return lambda: click.echo(f"  report -> {path}")


@main.command()
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True, help="Report language.")
@click.option(
    "--observed",
    type=click.Path(dir_okay=False),
    help="An occupancy series (calibration/README.md) to draw against the simulated occupancy; saved as "
    "OUTPUT_DIR/observed.csv for later renderings.",
)
def report(output_dir, lang, observed) -> None:
    """Write OUTPUT_DIR/report.html from a finished run's saved files, without simulating.

    Reads summary.csv, timeseries.parquet, scenario.resolved.yaml and manifest.json (and observed.csv if
    there is one). The report is one HTML file with everything embedded (no network): headline figures,
    charts and the assumptions. In a folder of kapsim compare (it holds comparison.csv) it writes
    comparison.html instead, in one of kapsim sweep (sweep.csv) sweep.html, from the tables and each
    sub-folder's aggregated files.
    """
    from sim.report import write_any
    from sim.run import folder as files

    seen = _observed(observed) if observed else None  # a bad file is refused first, naming it
    experiment = (files.COMPARISON, files.SWEEP, files.SIZE_BY_YEAR_JSON, files.CALIBRATION_FACTS, "place.json")
    run_folder = not any((Path(output_dir) / name).is_file() for name in experiment)
    if run_folder:  # its files must be one finished run's
        aggregated = (files.SUMMARY, files.TIMESERIES, files.RESOLVED)  # what the report reads
        problems = files.run_problems(Path(output_dir), needed=aggregated)
        if problems:
            raise click.ClickException(
                f"{output_dir} does not hold one finished run, so no report is written: {'; '.join(problems)}; "
                "run it again to replace it"
            )
    if observed:
        from sim.report.data import write_observed

        needed = ("summary.csv", "timeseries.parquet", "scenario.resolved.yaml")
        missing = [name for name in needed if not (Path(output_dir) / name).is_file()]
        if missing or not run_folder:
            missing = missing or ["it is an experiment's folder"]
            raise click.ClickException(f"{output_dir} is not the folder of a kapsim run: {', '.join(missing)} missing")
        for note in write_observed(Path(output_dir), seen):
            click.echo(f"observed: {note}", err=True)
    try:
        path = write_any(Path(output_dir), lang)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"report -> {path}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False), default="scenarios/baseline.yaml")
@click.option("--years", type=float, default=10, show_default=True, help="Simulated years per replication.")
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(min=2),
    default=8,
    show_default=True,
    help="Replications of the fast core per timing round: a quarter of them (at least 2) four times over, "
    "and the reference once over that quarter; nine rounds alternate the two.",
)
@click.option(
    "--parallel",
    "parallel_reps",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Replications timed with 1, 2 and all workers (0 skips it).",
)
@click.option(
    "--sweep-points", type=click.IntRange(min=0), default=20, show_default=True, help="Points of the timed sweep."
)
@click.option(
    "--sweep-replications", type=click.IntRange(min=2), default=200, show_default=True, help="Replications per point."
)
@click.option("--no-memory", is_flag=True, help="Skip the peak-memory runs (200 and 1,000 replications).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the figures as JSON.")
@click.option("--force", is_flag=True, help="Replace the --json file even if kapsim bench did not write it.")
def bench(scenario, years, replications, parallel_reps, sweep_points, sweep_replications, no_memory, json_path, force):
    """Measure speed and memory, all in one run on this machine.

    Times the fast core and the plain SimPy reference, events per second, --parallel replications with
    1, 2 and all workers (parallel efficiency), a sweep (0 points skips it), and peak memory at 200 and
    1,000 replications. Prints a table; with --json writes the figures (kapsim_reps_per_s,
    reference_reps_per_s, speedup, events_per_s, peak_memory_mb, ...) to FILE. Writes nothing else: the
    sweep runs in a temporary folder.
    """
    import json

    from sim.experiments.bench import benchmark

    s = _load(scenario, (f"horizon.years={years}",))
    if json_path and Path(json_path).exists() and not force and not _a_bench(Path(json_path)):
        raise click.ClickException(
            f"{json_path} exists and kapsim bench did not write it: choose another --json, or give --force to "
            "replace it"
        )
    figures = benchmark(
        s,
        scenario,
        replications,
        parallel_reps,
        sweep_points,
        sweep_replications,
        not no_memory,
        lambda text: click.echo(text, err=True),
    )
    for key, value in figures.items():
        click.echo(f"{key:36s} {value}")
    if json_path:
        from sim.run.files import atomic_text

        atomic_text(Path(json_path), json.dumps(figures, indent=2))


@main.command()
@click.argument("output_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def rerun(output_dir, workers, quiet) -> None:
    """Regenerate a run from its folder and check the numbers are identical.

    Reads OUTPUT_DIR/manifest.json and OUTPUT_DIR/scenario.resolved.yaml, runs again in a temporary folder
    with the same seed and replications, and compares summary.csv, replications.parquet and
    timeseries.parquet. Writes nothing into OUTPUT_DIR. Exits 1 if anything differs.
    """
    from sim.run.rerun import rerun as do_rerun

    for needed in ("manifest.json", "scenario.resolved.yaml"):
        if not (Path(output_dir) / needed).is_file():
            raise click.ClickException(f"{output_dir} has no {needed}: it is not a finished kapsim run")
    report = do_rerun(Path(output_dir), workers=workers, progress=not quiet)
    for note in report.notes:
        click.echo(f"note: {note}")
    if report.identical:
        click.echo(f"identical: {output_dir} regenerated exactly")
        return
    for line in report.differences:
        click.echo(f"DIFFERENT {line}", err=True)
    sys.exit(1)


def _experiment_options(default_out: str):
    """Options shared by compare, sweep and size."""
    options = [
        click.option("--replications", "-n", type=click.IntRange(min=2), help="Replications of every scenario."),
        click.option("--seed", type=click.IntRange(min=0), help="One seed for every scenario (common random numbers)."),
        click.option(
            "--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes."
        ),
        click.option("--out", "-o", type=click.Path(file_okay=False), help=f"Output folder [default: {default_out}]."),
        click.option(
            "--set",
            "sets",
            multiple=True,
            metavar="KEY.PATH=VALUE",
            help="Override a value of every scenario; institutions.NAME.places=N sets an institution's total places.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No progress bars."),
        click.option(
            "--executor",
            type=click.Choice(["processes", "dask"]),
            default="processes",
            show_default=True,
            help="Local worker processes, or a dask.distributed cluster (as in run).",
        ),
        click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a LocalCluster)."),
        click.option("--force", is_flag=True, help=FORCE_HELP),
    ]

    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _interruptible(run, total: int, what: str):
    """(result, how many were reused) of ``run(on_done)``, an experiment over ``total`` runs; Ctrl-C becomes a
    message saying how many finished (they are kept, and the same command resumes)."""
    from sim.run.runner import Interrupted

    done: list[bool] = []
    try:
        result = run(lambda _item, stored: done.append(stored.reused))
    except (Interrupted, KeyboardInterrupt) as exc:
        raise click.ClickException(
            f"{exc or 'interrupted'}; {len(done)} of {total} {what} finished; run the same command again to resume"
        ) from None
    return result, sum(done)


def _refused(exc: ScenarioError) -> click.ClickException:
    return click.ClickException("refused:\n" + "\n".join(f"  {p}" for p in exc.problems))


def pd_read(path: Path):
    """A CSV kapsim wrote (empty cells as NaN, names such as 'NA' kept)."""
    import pandas as pd

    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _command_line() -> str:
    return "kapsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_experiment_options("outputs/compare-FIRST")
@click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True, help="Page language.")
@click.option("--by-year", is_flag=True, help="Also print the brief headline figures for each calendar year.")
@click.option("--by-region", is_flag=True, help="Also print the headline figures for each region, paired.")
def compare(
    scenarios, replications, seed, workers, out, sets, quiet, executor, scheduler, force, lang, by_year, by_region
) -> None:
    """Run scenarios with common random numbers and compare each with the first.

    Every scenario runs with one seed (--seed, else the first scenario's) and the same replication numbers,
    so all see the same youths. Writes OUT/comparison.csv: per scenario, metric, scope and placement type
    the mean with its 95 % CI and n, the paired difference to the first scenario with its own CI
    (diff_mean, diff_ci_low, diff_ci_high, diff_n) and the unpaired CI half-width for reference
    (unpaired_half_width); OUT/comparison_by_year.csv, the same for each calendar year (a year column first,
    differences paired within the year; --by-year prints them); and each scenario's outputs, as kapsim run
    writes them, in OUT/NAME/; then OUT/comparison.html (metrics side by side, paired differences, occupancy
    over time, differences by region). --by-region prints each headline figure's paired differences per
    region (home region for youths, the institutions' region for places). A rerun reuses finished scenarios
    and resumes an interrupted one.
    """
    from sim.experiments.compare import headline, prepare, run_comparison

    if len(scenarios) < 2:
        raise click.UsageError("compare needs at least two scenarios (the first is the reference)")
    try:
        entries, warnings = prepare(scenarios, sets, replications, seed)
    except ScenarioError as exc:
        raise _refused(exc) from None
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    folder = Path(out) if out else Path("outputs") / f"compare-{Path(scenarios[0]).stem}"
    _affordable([e.scenario for e in entries], workers, force, "comparison")
    _own(folder, force, ("comparison.csv", "comparison_by_year.csv", "comparison.html"))
    table, reused = _interruptible(
        lambda on_done: run_comparison(
            entries,
            folder,
            _command_line(),
            workers,
            not quiet,
            on_done=on_done,
            executor=executor,
            scheduler=scheduler,
        ),
        len(entries),
        "scenarios",
    )
    page = _write_page(folder, lang, "comparison.html")  # every file written before anything is printed
    h = entries[0].scenario.horizon
    click.echo(
        f"{len(entries)} scenarios ({reused} reused), {h.replications} replications each, seed {h.seed} "
        f"-> {folder}/comparison.csv"
    )
    for line in headline(table):
        click.echo(line)
    if by_year:
        from sim.results.summaries import comparison_by_year_lines
        from sim.run.folder import COMPARISON_BY_YEAR

        for line in comparison_by_year_lines(pd_read(folder / COMPARISON_BY_YEAR)):
            click.echo(line)
    if by_region:
        from sim.results.summaries import comparison_by_region_lines

        for line in comparison_by_region_lines(table, list(entries[0].scenario.regions)):
            click.echo(line)
    page()


@main.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option(
    "--vary",
    multiple=True,
    metavar="KEY.PATH=SPEC",
    help="A key and its values: start:stop:step (stop included when on the grid) or a comma list a,b,c.",
)
@_experiment_options("outputs/sweep-NAME")
@click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True, help="Page language.")
@click.option("--by-year", is_flag=True, help="Also print each point's brief headline figures per calendar year.")
def sweep(
    source, vary, replications, seed, workers, out, sets, quiet, executor, scheduler, force, lang, by_year
) -> None:
    """Run every combination of the varied values around a base scenario.

    SOURCE is a scenario (then give --vary) or a sweep file holding a 'sweep:' block with base, vary and
    optionally set (see docs/experiments.md). All points are checked before anything runs and share one seed. Writes
    OUT/sweep.csv (point, one column per varied key, metric, scope, placement_type, mean, ci_low, ci_high,
    std, n), OUT/sweep_by_year.csv (the same with a year column, for each calendar year; --by-year prints
    them), OUT/points.csv (each point's values, folder and scenario hash) and each point's outputs, as
    kapsim run writes them, in OUT/<key=value,...>/; then OUT/sweep.html (metrics across the grid, and places
    and cost against the waits of remanded youths). An interrupted sweep resumes without recomputing finished
    points.
    """
    from sim.experiments.sweep import headline, prepare, run_sweep
    from sim.scenario.loading import read_yaml

    try:
        read_yaml(source)  # a file that is no YAML text, or gives a key twice, is refused naming it
        base, axes, points = prepare(source, vary, sets, replications, seed)
    except ScenarioError as exc:
        raise _refused(exc) from None
    folder = Path(out) if out else Path("outputs") / f"sweep-{Path(source).stem}"
    sample = points[:: max(1, len(points) // 20)]  # the time of a big grid from twenty of its points
    _affordable([p.scenario for p in sample], workers, force, "sweep", len(points) / len(sample))
    _own(folder, force, ("sweep.csv", "sweep_by_year.csv", "points.csv", "sweep.html"))
    table, reused = _interruptible(
        lambda on_done: run_sweep(
            points, axes, folder, _command_line(), workers, not quiet, on_done=on_done, executor=executor,
            scheduler=scheduler,
        ),
        len(points), "points",
    )  # fmt: skip
    page = _write_page(folder, lang, "sweep.html")  # every file written before anything is printed
    click.echo(
        f"{len(points)} points ({reused} reused), {base.horizon.replications} replications each, "
        f"seed {base.horizon.seed} -> {folder}/sweep.csv"
    )
    for line in headline(table, points):
        click.echo(line)
    if by_year:
        from sim.results.summaries import by_year_lines
        from sim.run.folder import SWEEP_BY_YEAR

        yearly = pd_read(folder / SWEEP_BY_YEAR)
        for p in points:
            click.echo("  " + p.label.replace(",", ", "))
            for line in by_year_lines(yearly[yearly.point == p.index]):
                click.echo(line)
    page()


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--target",
    required=True,
    metavar='"METRIC[TYPE] OP NUMBER"',
    help="Service target, e.g. 'p_wait_over_7_days[remand] <= 0.05' or 'wait_days_mean[all@Sjælland] < 2'.",
)
@click.option(
    "--lever",
    default="national_places",
    show_default=True,
    help="What changes: national_places (ordinary places in proportion everywhere), region:NAME or institution:NAME.",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=0.95,
    show_default=True,
    help="The answer meets the target with this one-sided confidence.",
)
@click.option("--max-places", type=click.IntRange(min=1), help="Give up above this many places.")
@click.option(
    "--by-year", is_flag=True, help="A plan: the fewest places meeting the target in each calendar year in turn."
)
@click.option("--allow-cuts", is_flag=True, help="With --by-year: a year may have fewer places than the year before.")
@click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True, help="Page language.")
@_experiment_options("outputs/size-NAME")
def size(
    scenario, target, lever, confidence, max_places, by_year, allow_cuts, lang, replications, seed, workers, out,
    sets, quiet, executor, scheduler, force,
) -> None:  # fmt: skip
    """Find the smallest capacity that meets a service target.

    An Erlang C pre-screen on the offered load brackets the answer, then a simulated search with common
    random numbers finds the smallest number of places whose metric meets the target with the stated
    confidence while one place fewer does not. Writes OUT/size.json (target, rule, pre-screen, every
    simulated capacity, the answer and how it was found), OUT/size.csv (one row per simulated capacity:
    places, stage, estimate, CI, bound, status, places per institution) and each capacity's outputs in
    OUT/places-N/. A rerun reuses finished capacities.

    With --by-year it finds a plan instead: for each calendar year in turn, given the years before, the fewest
    places meeting the target in that year (places change on 1 January, never fall unless --allow-cuts). It
    writes OUT/size_by_year.csv (year, places, added, mean, ci_low, ci_high, bound, status),
    OUT/size_by_year.json (the plan, the rule, every plan tried), OUT/size_by_year.html (places needed
    against the offered load, and the target per year) and each plan's outputs in OUT/plan-P1-P2-.../.
    """
    if allow_cuts and not by_year:
        raise click.UsageError("--allow-cuts goes with --by-year")
    if by_year:
        _size_by_year(scenario, target, lever, confidence, max_places, allow_cuts, lang, replications, seed, workers,
                      out, sets, quiet, executor, scheduler, force)  # fmt: skip
        return
    from sim.experiments.size import SizeError, parse_lever, parse_target, summary_lines
    from sim.experiments.size import size as find_size
    from sim.run.runner import Interrupted
    from sim.scenario import overrides

    try:
        base = overrides.load(scenario, sets, replications, seed)
        goal = parse_target(target)
        chosen = parse_lever(lever, base)
        folder = Path(out) if out else Path("outputs") / f"size-{Path(scenario).stem}"
        _affordable([base], workers, force, "capacity's run")
        _own(folder, force, ("size.json", "size.csv"))
        result = find_size(
            base,
            goal,
            chosen,
            folder,
            _command_line(),
            confidence,
            workers,
            not quiet,
            max_places=max_places,
            executor=executor,
            scheduler=scheduler,
        )
    except ScenarioError as exc:
        raise _refused(exc) from None
    except SizeError as exc:
        raise click.ClickException(str(exc)) from None
    except (Interrupted, KeyboardInterrupt) as exc:
        raise click.ClickException(f"{exc or 'interrupted'}; run the same command again to resume") from None
    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"-> {folder}/size.json, {folder}/size.csv")
    if result.answer is None:
        sys.exit(1)


def _size_by_year(
    scenario, target, lever, confidence, max_places, allow_cuts, lang, replications, seed, workers, out, sets, quiet,
    executor, scheduler, force=False,
) -> None:  # fmt: skip
    """``kapsim size --by-year``: the plan along the years, its files and its page."""
    from sim.experiments.plan import plan_by_year, summary_lines
    from sim.experiments.size import SizeError, parse_lever, parse_target
    from sim.run.runner import Interrupted
    from sim.scenario import overrides

    try:
        base = overrides.load(scenario, sets, replications, seed)
        goal, chosen = parse_target(target), parse_lever(lever, base)
        folder = Path(out) if out else Path("outputs") / f"size-{Path(scenario).stem}"
        _affordable([base], workers, force, "plan's run")
        _own(folder, force, ("size_by_year.json", "size_by_year.csv", "size_by_year.html"))
        result = plan_by_year(
            base, goal, chosen, folder, _command_line(), confidence, workers, not quiet, max_places, allow_cuts,
            executor=executor, scheduler=scheduler,
        )  # fmt: skip
    except ScenarioError as exc:
        raise _refused(exc) from None
    except SizeError as exc:
        raise click.ClickException(str(exc)) from None
    except (Interrupted, KeyboardInterrupt) as exc:
        raise click.ClickException(f"{exc or 'interrupted'}; run the same command again to resume") from None
    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"-> {folder}/size_by_year.csv, {folder}/size_by_year.json")
    _write_report(folder, lang, "size_by_year.html")
    if any(a.status != "meets" for a in result.years):
        sys.exit(1)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--add", "add", type=int, required=True, help="Extra ordinary places to place.")
@click.option("--step", type=int, default=1, show_default=True, help="Places go in steps of this many.")
@click.option(
    "--target",
    required=True,
    metavar='"METRIC[TYPE@SCOPE]"',
    help="What to minimise, e.g. 'wait_days_mean[remand]' or 'wait_days_mean[all@Nordjylland]'.",
)
@click.option("--over", default="institutions", show_default=True, help="Where the steps go: institutions or regions.")
@click.option("--delta", type=float, required=True, help="Indifference zone, in the target metric's unit.")
@click.option(
    "--pcs", type=float, default=0.95, show_default=True, help="Probability of correct selection outside the zone."
)
@click.option("--keep", type=int, default=10, show_default=True, help="Allocations the analytic screen lets through.")
@click.option("--first-stage", type=int, default=10, show_default=True, help="First-stage replications of each.")
@click.option("--max-replications", type=int, default=400, show_default=True, help="Most replications of any one.")
@click.option("--seed", type=click.IntRange(min=0), help="Scenario seed (default: the file's).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Output folder [default: outputs/place-NAME].")
@click.option("--set", "sets", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario value.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True, help="Page language.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
def place(
    scenario, add, step, target, over, delta, pcs, keep, first_stage, max_replications, seed, workers, out, sets,
    quiet, lang, force,
) -> None:  # fmt: skip
    """Where should N extra ordinary places go to lower a metric the most.

    Every way of sharing --add places, in steps of --step, over the institutions (or regions) is a candidate.
    An Erlang C screen on each region's offered load keeps the --keep most promising; the Kim-Nelson fully
    sequential ranking-and-selection procedure, on paired replications (common random numbers), then selects
    the one with the lowest mean of the target with probability at least --pcs whenever it is at least --delta
    better than every other. Writes OUT/place.json (answer, objective, candidates, pcs, regional effects),
    OUT/place.csv (every candidate: places per site, screen score, status, replications, mean, CI) and
    OUT/place.html. Exits 1 if no allocation can be told apart from the others within --delta.
    """
    from sim.experiments.place import PlaceError, check_question, parse_objective, summary_lines, write
    from sim.experiments.place import place as find_place
    from sim.scenario import overrides

    question = (add, step, over, delta, pcs, keep, first_stage, max_replications)
    try:
        base = overrides.load(scenario, sets, None, seed)
        objective = parse_objective(target, base)
        check_question(base, objective, *question)  # before the folder is touched or anything runs
    except ScenarioError as exc:
        raise _refused(exc) from None
    except PlaceError as exc:
        raise click.ClickException(str(exc)) from None
    folder = Path(out) if out else Path("outputs") / f"place-{Path(scenario).stem}"
    # a typical search: the first stage of every kept allocation, twice over (the base run and more stages)
    _affordable([base], workers, force, "search", scale=2 * keep * first_stage / base.horizon.replications)
    _own(folder, force, ("place.json", "place.csv", "place.html"))
    try:
        result = find_place(base, objective, *question, workers=workers, progress=not quiet)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; nothing was written (the search starts again next time)") from None
    write(folder, result)
    page = _write_page(folder, lang, "place.html")  # every file written before anything is printed
    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"-> {folder}/place.json, {folder}/place.csv")
    page()
    if not result.decided:
        sys.exit(1)


def _calibration_options(f):
    """Options shared by calibrate and backtest."""
    options = [
        click.option("--data", "data", type=click.Path(dir_okay=False), help="Yearly figures (or any of the formats)."),
        click.option("--episodes", type=click.Path(dir_okay=False), help="One row per stay (calibration/README.md)."),
        click.option("--occupancy", type=click.Path(dir_okay=False), help="Occupancy per date and institution."),
        click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Output folder."),
        click.option("--bootstrap", type=click.IntRange(min=2), default=50, show_default=True, help="Bootstrap draws."),
        click.option(
            "--replications", "-n", type=click.IntRange(min=2), default=40, show_default=True,
            help="Replications of the calibrated scenario over the data's period.",
        ),
        click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Bootstrap seed."),
        click.option(
            "--hold", multiple=True, type=click.Choice(["level", "growth", "stay", "drift", "season"]),
            help="Keep a parameter family at the scenario's values (surrogate fit).",
        ),
        click.option(
            "--seasonality", type=click.Choice(["fourier", "monthly"]), default="fourier", show_default=True,
            help="Season terms of the admissions GLM (episodes).",
        ),
        click.option(
            "--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.",
        ),
        click.option(
            "--executor", type=click.Choice(["processes", "dask"]), default="processes", show_default=True,
            help="Local worker processes, or a dask.distributed cluster.",
        ),
        click.option(
            "--scheduler", metavar="ADDRESS",
            help="Dask scheduler, e.g. tcp://host:8786 (default: a LocalCluster of --workers).",
        ),
        click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True, help="Page language."),
        click.option("--force", is_flag=True, help=FORCE_HELP),
    ]  # fmt: skip
    for option in reversed(options):
        f = option(f)
    return f


# what calibrate and backtest write: removed before either writes into a folder again
CALIBRATION_RESULTS = (
    "calibrated.yaml", "parameters.csv", "fit.csv", "facts.json", "curves.csv", "calibration.html", "backtest.csv",
    "backtest.json", "backtest.html",
)  # fmt: skip


def _calibration_inputs(data, episodes, occupancy):
    from sim.calibration.calibrate import read_inputs
    from sim.calibration.data import DataError

    try:
        return read_inputs(data, episodes, occupancy)
    except DataError as exc:
        raise click.ClickException(f"data refused: {exc}") from None


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_calibration_options
def calibrate(
    scenario, data, episodes, occupancy, out, bootstrap, replications, seed, hold, seasonality, workers, executor,
    scheduler, lang, force,
) -> None:  # fmt: skip
    """Fit a scenario's demand, growth, season and stays to what happened (calibration/README.md).

    From episodes: admissions by a Poisson GLM with trend and season, stays by censored maximum likelihood.
    From occupancy series and yearly figures: a least-squares fit of the infinite-server mean occupancy,
    with capacity-bound periods as lower bounds. Then the calibrated scenario is simulated over the data's
    period (--replications, on --workers processes or Dask, the same numbers either way). Writes to OUT:
    calibrated.yaml (extends SCENARIO, sets the fitted values, carries the bootstrap draws as
    parameter_uncertainty), parameters.csv, fit.csv (observed against the simulated mean and 90 % range),
    facts.json and, with episodes, curves.csv (what the page shows besides the tables), then
    calibration.html in --lang (as `kapsim report OUT` writes it). An interrupted calibration keeps its
    finished replications in OUT/history/.partial; running the same command again resumes.
    """
    from sim.calibration.calibrate import run_calibrate
    from sim.report import write_calibration_report
    from sim.run.runner import Interrupted

    base = _load(scenario, ())
    inputs = _calibration_inputs(data, episodes, occupancy)
    _affordable([with_horizon(base, replications=replications)], workers, force, "calibration's run")
    _own(Path(out), force, CALIBRATION_RESULTS)
    try:
        outcome = run_calibrate(
            scenario, inputs, out, bootstrap=bootstrap, replications=replications, seed=seed, hold=hold,
            seasonality=seasonality, progress=lambda m: click.echo(m, err=True), workers=workers,
            executor=executor, scheduler=scheduler, progress_bar=True, command=_command_line(),
        )  # fmt: skip
    except ScenarioError as exc:
        raise _refused(exc) from None
    except Interrupted as exc:
        raise click.ClickException(f"{exc}; run the same command again to resume") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for r in outcome.fit.parameters.itertuples():
        click.echo(f"  {r.parameter:52s} {r.estimate:10.4g}  (se {r.se:.2g}; 90 % {r.p05:.4g} to {r.p95:.4g})")
    t = outcome.table[outcome.table.observed.notna() & outcome.table.simulated_mean.notna()]
    click.echo(f"  {t.inside_90.mean():.0%} of {len(t)} observed rows inside the simulated 90 % range")
    try:
        outcome.files.append(write_calibration_report(Path(out), lang))
    except Exception as exc:  # the results are saved; the page can be made again with `kapsim report`
        click.echo(f"warning: calibration.html not written ({exc}); try: kapsim report {out}", err=True)
    click.echo(f"-> {', '.join(str(p) for p in outcome.files)}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--cut", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Fit on data before this date.")
@click.option("--years", type=click.FloatRange(min=0.1), default=1.0, show_default=True, help="Years projected.")
@_calibration_options
def backtest(
    scenario, cut, years, data, episodes, occupancy, out, bootstrap, replications, seed, hold, seasonality, workers,
    executor, scheduler, lang, force,
) -> None:  # fmt: skip
    """Fit on the data before --cut, project the following --years and compare with what happened.

    The replications run as in calibrate (--workers, --executor, --scheduler). Writes to OUT: calibrated.yaml
    and parameters.csv (fitted before the cut), backtest.csv (every observed row with simulated mean, 90 %
    range, error, inside_90 and window: fit or test), backtest.json (mean absolute relative error and the
    share inside the 90 % range, per window and measure), facts.json and, with episodes, curves.csv, then
    backtest.html in --lang (as `kapsim report OUT` writes it). An interrupted backtest keeps its finished
    replications in OUT/history/.partial and OUT/projection/.partial; running the same command again resumes.
    """
    from sim.calibration.calibrate import run_backtest
    from sim.calibration.data import DataError
    from sim.report import write_backtest_report
    from sim.run.runner import Interrupted

    base = _load(scenario, ())
    inputs = _calibration_inputs(data, episodes, occupancy)
    _affordable([with_horizon(base, replications=replications)], workers, force, "backtest's run")
    _own(Path(out), force, CALIBRATION_RESULTS)
    try:
        outcome, summary = run_backtest(
            scenario, inputs, cut, years, out, bootstrap=bootstrap, replications=replications, seed=seed,
            hold=hold, seasonality=seasonality, progress=lambda m: click.echo(m, err=True), workers=workers,
            executor=executor, scheduler=scheduler, progress_bar=True, command=_command_line(),
        )  # fmt: skip
    except ScenarioError as exc:
        raise _refused(exc) from None
    except Interrupted as exc:
        raise click.ClickException(f"{exc}; run the same command again to resume") from None
    except (DataError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for window in ("fit", "test"):
        s = summary[window]
        if s["rows"]:
            click.echo(
                f"  {window:4s} {s['rows']:4d} rows: mean absolute relative error "
                f"{s['mean_absolute_relative_error']:.1%}, {s['inside_90_share']:.0%} inside the 90 % range"
            )
        else:
            click.echo(f"  {window:4s}    0 rows")
    try:
        outcome.files.append(write_backtest_report(Path(out), lang))
    except Exception as exc:  # the results are saved; the page can be made again with `kapsim report`
        click.echo(f"warning: backtest.html not written ({exc}); try: kapsim report {out}", err=True)
    click.echo(f"-> {', '.join(str(p) for p in outcome.files)}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--episodes", required=True, type=click.Path(dir_okay=False), help="One row per stay (calibration/README.md)."
)
@click.option("--date", "date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="The start date.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="Scenario file to write (.yaml).")
@click.option("--force", is_flag=True, help="Replace --out even if it is a file kapsim snapshot did not write.")
def snapshot(scenario, episodes, date, out, force) -> None:
    """Write a scenario that starts on --date from the youths placed and waiting then, counted from episodes.

    The new file extends SCENARIO, sets horizon.start to the date and warmup_days to 0, moves demand and
    mean stays to the date along their growth and drift, and holds a start_state of aggregated counts
    (institution, unit, type, days stayed or waited, home region); nothing identifying a person is copied.
    A youth is placed on the date when admitted before it and not discharged before it; waiting when the
    need arose before it and the admission came on or after it. Dates before the records hold every stay
    in place are refused. See sim/calibration/snapshot.py for what the records cannot tell. An existing --out
    is replaced only if kapsim snapshot wrote it, unless --force.
    """
    import tempfile

    from sim.calibration.data import DataError, load
    from sim.calibration.snapshot import snapshot_data, snapshot_yaml

    s = _load(scenario, ())
    target = Path(out)
    if target.suffix not in (".yaml", ".yml"):
        raise click.BadParameter("the scenario file to write must end in .yaml or .yml", param_hint="--out")
    if target.resolve() == Path(scenario).resolve():
        raise click.BadParameter("would overwrite SCENARIO, which the new file extends", param_hint="--out")
    if target.exists() and not force and not _a_snapshot(target):
        raise click.ClickException(
            f"{target} exists and kapsim snapshot did not write it: choose another --out, or give --force to replace it"
        )
    try:
        records = load(episodes, expect="episodes")
        body = snapshot_data(s, records, date)
    except DataError as exc:
        raise click.ClickException(f"data refused: {exc}") from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create the folder {target.parent} ({exc.strerror or exc})") from None
    extends = os.path.relpath(Path(scenario).resolve(), target.resolve().parent)
    text = snapshot_yaml(extends, body, records, date)
    # written and checked beside the target first, so a refused file never replaces anything
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", suffix=".yaml", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            started = load_scenario(tmp)
        except ScenarioError as exc:  # name the file the user asked for, not the temporary one
            raise _refused(ScenarioError([p.replace(tmp, str(target)) for p in exc.problems])) from None
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    state = started.start_state
    placed = sum(r.count for r in state.placed) if state else 0
    waiting = sum(r.count for r in state.waiting) if state else 0
    click.echo(f"  {placed} youths placed and {waiting} waiting on {date.date()}")
    click.echo(f"-> {target}")


def _a_bench(path: Path) -> bool:
    """Whether ``path`` holds the figures of kapsim bench."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "kapsim_reps_per_s" in data


def _a_snapshot(path: Path) -> bool:
    """Whether ``path`` is a scenario file kapsim snapshot wrote (its first line says so)."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline(400)
    except (OSError, UnicodeDecodeError):
        return False
    return first.startswith("# Start state on ") and "by kapsim snapshot" in first


if __name__ == "__main__":  # pragma: no cover
    main()
