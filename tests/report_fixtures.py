"""Runs and experiments for the report tests, written as the commands write them, and a page open in a browser."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import BASELINE, ROOT

AGGREGATED = ("summary.csv", "summary_by_year.csv", "timeseries.parquet", "scenario.resolved.yaml", "manifest.json")
TINY = ["--set", "horizon.years=1", "--set", "horizon.warmup_days=60"]


def short_run(out: Path, replications: int = 6, seed: int = 11) -> Path:
    """Run the baseline for two years and write its outputs into ``out`` (no report)."""
    from sim.run.folder import write_run
    from sim.run.runner import run
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(
        BASELINE,
        ["horizon.years=2", "horizon.warmup_days=100", f"horizon.replications={replications}", f"horizon.seed={seed}"],
    )
    result = run(scenario, out, workers=1, progress=False)
    write_run(out, scenario, result, "pytest short_run", result.wall_seconds)
    return out


def policies_scenario(folder: Path) -> Path:
    """A scenario file using every capacity policy: the flexible pools of scenarios/flexible.yaml, two
    emergency places at Egely (at most five days) and moves nearer home."""
    path = Path(folder) / "policies.yaml"
    path.write_text(
        f"extends: {ROOT / 'scenarios' / 'flexible.yaml'}\n"
        "name: policies\n"
        "allocation: {move_nearer_home: true}\n"
        "institutions:\n"
        "  Egely:\n"
        "    emergency: {places: 2, max_days: 5, cost_place_day: 9000}\n",
        encoding="utf-8",
    )
    return path


def policy_run(out: Path, replications: int = 3, seed: int = 7) -> Path:
    """One year of the policies scenario (``policies_scenario``), written into ``out`` (no report)."""
    from sim.run.folder import write_run
    from sim.run.runner import run
    from sim.scenario.loading import load_scenario

    out.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(
        policies_scenario(out.parent),
        ["horizon.years=1", "horizon.warmup_days=60", f"horizon.replications={replications}", f"horizon.seed={seed}"],
    )
    result = run(scenario, out, workers=1, progress=False)
    write_run(out, scenario, result, "pytest policy_run", result.wall_seconds)
    return out


def _invoke(args: list[str]) -> str:
    from click.testing import CliRunner

    from sim.cli import main

    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def tiny_comparison(folder: Path, lang: str = "en", replications: int = 4) -> Path:
    """`kapsim compare` of today's places, twelve more, and every capacity policy: one year, a few replications."""
    scenarios = [str(BASELINE), str(ROOT / "scenarios" / "extra-places.yaml"), str(policies_scenario(folder))]
    out = Path(folder) / "compare"
    _invoke(
        ["compare", *scenarios, "-n", str(replications), "--seed", "3", "--out", str(out), "-q", "--lang", lang] + TINY
    )
    return out


SWEEP_KEYS = ("institutions.Egely.places", "placement_types.social.demand.growth")


def tiny_sweep(folder: Path, lang: str = "en", replications: int = 3) -> Path:
    """`kapsim sweep` of Egely's places (19, 23) by social growth (0, 0.05): four points of one year."""
    out = Path(folder) / "sweep"
    args = ["sweep", str(BASELINE), "--vary", f"{SWEEP_KEYS[0]}=19:23:4", "--vary", f"{SWEEP_KEYS[1]}=0,0.05"]
    _invoke([*args, "-n", str(replications), "--seed", "3", "--out", str(out), "-q", "--lang", lang, *TINY])
    return out


class Opened:
    """A page open in headless Chromium from file:// with the network blocked, with everything it logged
    or tried to fetch."""

    def __init__(self, browser, path: Path):
        self.console: list[str] = []
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.kapsimReady === true", timeout=30_000)

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def console_errors(self) -> list[str]:
        return [m for m in self.console if m.startswith("error")] + self.errors

    def drawn(self) -> dict[str, int]:
        """Chart div id -> number of traces plotted, for every Plotly graph on the page."""
        return self.page.evaluate(
            "() => Object.fromEntries(Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".map(el => [el.id, el.data.length]))"
        )
