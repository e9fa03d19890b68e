"""The examples in README.md and docs/*.md run, and print what the pages say they print.

A fenced block marked ```console is an example to run: a line starting with ``$ `` is a command (a trailing
`` \\`` continues it on the next line), the lines after it, up to the next command or the end of the block,
its expected output. Each command runs in-process (click's CliRunner on ``sim.cli.main``) in a temporary
folder that links the repository's ``scenarios/`` and ``calibration/``, so ``outputs/...`` lands there; the
commands of one block run in order, so a later one may read what an earlier one wrote. A command must exit
0, and what it prints (standard output and error, as a terminal shows them; progress bars are off when the
output is not a terminal) must match the expected lines under doctest's ELLIPSIS and NORMALIZE_WHITESPACE:
``...`` stands for wall times, paths or figures the page chooses not to pin. The figures a page does show
are exact with the fixed seeds, so a change that moves them fails here, which is the point.

Blocks marked ```text are not run (they take too long, or need a cluster); their ``kapsim`` commands are
only checked to name a command and options that exist. The pages' links to files and headings must lead
somewhere, and the README must link every page of docs/.
"""

from __future__ import annotations

import doctest
import glob
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
FENCE = re.compile(r"^```(\w*)\s*$")
CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass(frozen=True)
class Command:
    line: int  # 1-based line of the ``$ `` in the page
    text: str  # the command, continuations joined
    expected: str  # the lines printed after it, newline-terminated


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    kind: str  # console or text
    lines: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a Markdown page, with its info string (``console``, ``text``, ...)."""
    found: list[Block] = []
    opened: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        fence = FENCE.match(line)
        if opened is None and fence:
            opened, body = (number, fence.group(1)), []
        elif opened is not None and line.rstrip() == "```":
            found.append(Block(page, opened[0], opened[1], tuple(body)))
            opened = None
        elif opened is not None:
            body.append(line)
    assert opened is None, f"{page.name}:{opened[0]}: a fenced block is never closed"
    return found


def commands(block: Block) -> list[Command]:
    """The ``$ `` commands of a block with the output each is expected to print."""
    out: list[Command] = []
    lines = list(block.lines)
    i = 0
    while i < len(lines):
        # after a command every line up to the next one is its output, so only the first may lack a "$ "
        assert lines[i].startswith("$ "), f"{block.name}: a line before the first command: {lines[i]!r}"
        start = block.line + 1 + i
        text = lines[i][2:]
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text[:-1].rstrip() + " " + lines[i].strip()
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        out.append(Command(start, text, "".join(f"{e}\n" for e in expected)))
    return out


def shell_commands(block: Block) -> list[str]:
    """The commands a ``text`` block shows: lines starting with ``kapsim`` or ``$ kapsim``, continuations
    joined, a trailing ``# comment`` dropped."""
    out: list[str] = []
    current: str | None = None
    for raw in block.lines:
        line = raw.strip().removeprefix("$ ")
        if current is not None:
            current = current[:-1].rstrip() + " " + line
        elif line.startswith("kapsim "):
            current = line
        else:
            continue
        if not current.endswith("\\"):
            out.append(re.sub(r"\s+#.*$", "", current))
            current = None
    return out


def expand(args: list[str]) -> list[str]:
    """Arguments with wildcards replaced by the files they match, sorted, as a shell does."""
    out: list[str] = []
    for arg in args:
        matches = sorted(glob.glob(arg)) if any(c in arg for c in "*?[") else []
        out.extend(matches or [arg])
    return out


ALL = [b for page in PAGES for b in blocks(page)]
CONSOLE = [b for b in ALL if b.kind == "console"]


def test_the_pages_have_console_examples():
    """The parser finds the examples, so this file cannot pass by finding none."""
    assert len(CONSOLE) >= 5, [b.name for b in CONSOLE]
    readme = [b for b in CONSOLE if b.page.name == "README.md"]
    assert len(readme) >= 5
    assert sum(len(commands(b)) for b in CONSOLE) >= 12
    assert all(commands(b) for b in CONSOLE), "a console block without a $ command"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh folder with the repository's scenarios and calibration data linked in, as the current one."""
    for name in ("scenarios", "calibration"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("block", CONSOLE, ids=lambda b: b.name)
def test_console_example(block, workdir):
    runner = CliRunner()
    for command in commands(block):
        args = expand(shlex.split(command.text))
        where = f"{block.page.relative_to(ROOT)}:{command.line}"
        assert args[0] == "kapsim", f"{where}: only kapsim commands run here: {command.text}"
        result = runner.invoke(main, args[1:], catch_exceptions=True)
        got = result.output
        assert result.exit_code == 0, f"{where}: `{command.text}` exited {result.exit_code}\n{got}{result.exception!r}"
        if not CHECKER.check_output(command.expected, got, FLAGS):
            diff = CHECKER.output_difference(doctest.Example(command.text, command.expected), got, FLAGS)
            pytest.fail(f"{where}: `{command.text}` printed something else\n{diff}")


def _options(command: click.Command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)}


@pytest.mark.parametrize("block", [b for b in ALL if b.kind == "text"], ids=lambda b: b.name)
def test_text_examples_name_real_commands_and_options(block):
    """The examples not run still name a kapsim command and only options it has."""
    for text in shell_commands(block):
        args = shlex.split(text)
        assert len(args) > 1 and args[1] in main.commands, f"{block.name}: no such command: {text}"
        known = _options(main.commands[args[1]]) | {"--help", "-h"}
        for arg in args[2:]:
            if arg.startswith("-") and not re.fullmatch(r"-\d.*", arg):
                assert arg.split("=")[0] in known, f"{block.name}: {args[1]} has no option {arg}: {text}"


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    lines = page.read_text(encoding="utf-8").splitlines()
    fenced = False
    out = set()
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            out.add(anchor(line.lstrip("#")))
    return out


@pytest.mark.parametrize("page", [*PAGES, ROOT / "calibration" / "README.md"], ids=lambda p: p.name)
def test_links_lead_somewhere(page):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: link to a missing file: {target}"
        if fragment and linked.suffix == ".md":
            assert fragment in anchors(linked), f"{page.name}: no heading for #{fragment} in {linked.name}"


def test_the_readme_links_every_docs_page():
    links = {(ROOT / t.partition("#")[0]).resolve() for t in LINK.findall((ROOT / "README.md").read_text())}
    missing = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in links]
    assert not missing, f"README.md does not link {missing}"
