"""Loading scenario files: safe YAML, ``extends:`` chains, ``--set`` overrides and clear errors.

Every error names the file a value came from, the dotted key path and what is wrong, e.g.::

    scenarios/flex.yaml: placement_types.social.demand.per_yaer: unknown key (did you mean 'per_year'?)
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import limits, paths
from sim.scenario.schema import Scenario


class ScenarioError(ValueError):
    """A scenario that cannot be run; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


MAX_BYTES = 20_000_000  # a scenario file; the baseline is 9 kB, a calibrated one with its draws 100 kB
MAX_DEPTH = 24  # nesting of mappings and lists; a scenario needs 8
MAX_VALUES = 1_000_000  # values once YAML's aliases are expanded (a "billion laughs" file expands to 10**9)
TOO_DEEP = f"nested too deeply (at most {MAX_DEPTH} levels of mappings and lists; a scenario needs 8)"


class _Loader(yaml.SafeLoader):
    """YAML's safe loader (a file can never run code), stricter in two ways: a key given twice in one mapping
    is refused, naming both lines, where the plain loader keeps the last silently; and a scalar that looks
    like a date or a number but is none (``2025-02-31``, a number of 5,000 digits) stays text, so that the
    schema refuses it with its key path rather than YAML with a Python error."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key '{key}' (first given at line {seen[key].start_mark.line + 1}): a key may be "
                        "given only once in a mapping",
                        key_node.start_mark,
                    )
                seen[key] = key_node
        return super().construct_mapping(node, deep)


def _lenient(construct):
    def wrapped(loader, node):
        try:
            return construct(loader, node)
        except (ValueError, OverflowError):
            return loader.construct_scalar(node)

    return wrapped


for _tag, _construct in (
    ("tag:yaml.org,2002:timestamp", yaml.constructor.SafeConstructor.construct_yaml_timestamp),
    ("tag:yaml.org,2002:int", yaml.constructor.SafeConstructor.construct_yaml_int),
    ("tag:yaml.org,2002:float", yaml.constructor.SafeConstructor.construct_yaml_float),
):
    _Loader.add_constructor(_tag, _lenient(_construct))


def parse_yaml(text: str, where: str) -> Any:
    """YAML text as plain data, strictly (:class:`_Loader`) and bounded in depth and size; ScenarioError
    names ``where`` (a file, or the ``--set`` option) and the line."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a subclass of the safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{where}: not valid YAML{at}: {problem}"]) from None
    except RecursionError:
        raise ScenarioError([f"{where}: {TOO_DEEP}"]) from None
    problem = _shape_problem(data)
    if problem:
        raise ScenarioError([f"{where}: {problem}"])
    return data


class _TooDeep(Exception):
    pass


def _shape_problem(data: Any) -> str | None:
    """Why ``data`` is too deep or too large to be a scenario (aliases expanded), or None."""
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, dict | list):
            return 1
        if depth > MAX_DEPTH:
            raise _TooDeep
        if id(node) in sizes:
            return sizes[id(node)]
        total = 1 + sum(size(v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
        sizes[id(node)] = total
        if total > MAX_VALUES:
            raise OverflowError
        return total

    try:
        size(data, 0)
    except _TooDeep:
        return TOO_DEEP
    except (OverflowError, RecursionError):
        return f"too large: more than {MAX_VALUES:,} values once YAML's aliases are expanded"
    return None


def read_yaml(path: str | Path) -> Any:
    """A YAML file as plain data (:func:`parse_yaml`); ScenarioError if it cannot be read or is no YAML text."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{path}: is a folder, not a scenario file"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read file ({exc.strerror or exc})"]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError([f"{path}: too large for a scenario file (more than {MAX_BYTES // 1_000_000} MB)"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [f"{path}: not a text file (byte {exc.start} is not UTF-8): a scenario is a YAML text file"]
        ) from None
    return parse_yaml(text, str(path))


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: a scenario file must be a mapping of keys, not {type(data).__name__}"])
    return data


def _merge(base: Any, override: Any, origin: dict[str, str], path: str, source: str) -> Any:
    """Deep-merge ``override`` into ``base``; mappings merge, everything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            sub = f"{path}.{key}" if path else str(key)
            merged[key] = _merge(base.get(key), value, origin, sub, source) if key in base else value
            if key not in base:
                _mark(value, origin, sub, source)
        return merged
    _mark(override, origin, path, source)
    return copy.deepcopy(override)


def _mark(value: Any, origin: dict[str, str], path: str, source: str) -> None:
    origin[path] = source
    if isinstance(value, dict):
        for key, sub in value.items():
            _mark(sub, origin, f"{path}.{key}" if path else str(key), source)


def _load_chain(path: Path, origin: dict[str, str], seen: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        loop = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError([f"{seen[-1]}: extends: loop of 'extends' ({loop})"])
    raw = _read_yaml(path)
    parent = raw.pop("extends", None)
    if parent is None:
        _mark(raw, origin, "", str(path))
        return raw
    if not isinstance(parent, str):
        raise ScenarioError([f"{path}: extends: must be a file name, got {type(parent).__name__}"])
    target = (path.parent / parent).resolve()
    if not target.is_file():
        raise ScenarioError([f"{path}: extends: unknown scenario '{parent}' (no file {target})"])
    base = _load_chain(target, origin, (*seen, path))
    return _merge(base, raw, origin, "", str(path))


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into a key path and a YAML-parsed value."""
    if "=" not in text:
        raise ScenarioError([f"--set {text}: expected KEY.PATH=VALUE"])
    key, _, value = text.partition("=")
    try:
        keys = paths.split(key)
    except ValueError as exc:
        raise ScenarioError([f"--set {text}: {exc}"]) from None
    try:
        parsed = parse_yaml(value, f"--set {text}") if value.strip() else ""
    except ScenarioError as exc:
        if "not valid YAML" not in exc.problems[0] or "duplicate key" in exc.problems[0]:
            raise
        parsed = value  # not YAML: the text itself, which the schema then judges
    return keys, parsed


def expand_override(data: dict[str, Any], keys: list[str], value: Any) -> list[tuple[list[str], Any]]:
    """The overrides that ``keys = value`` stands for: itself, unless it is the institution shorthand.

    Places belong to units, but a planner thinks of an institution's places (Egely has 19: 14 ordinary and
    5 high-security), so ``institutions.NAME.places=N`` means the institution's *total*: the high-security
    units keep their places and the one ordinary unit gets ``N - high-security places``. With several
    ordinary units, or none, or N below the high-security places, it is refused with a message saying which
    unit keys to set instead. Only the unit's starting places change; its planned ``changes`` still apply.

    >>> data = {"institutions": {"E": {"units": {"o": {"places": 14}, "hs": {"places": 5, "high_security": True}}}}}
    >>> expand_override(data, ["institutions", "E", "places"], 21)
    [(['institutions', 'E', 'units', 'o', 'places'], 16)]
    """
    if len(keys) != 3 or keys[0] != "institutions" or keys[2] != "places":
        return [(keys, value)]
    name = keys[1]
    where = f"institutions.{name}.places"
    institutions = data.get("institutions") or {}
    if name not in institutions:
        guess = difflib.get_close_matches(name, list(institutions), n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else f" (institutions: {', '.join(institutions)})"
        raise ScenarioError([f"{where}: unknown institution '{name}'{hint}"])
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError([f"{where}: the total places must be a whole number, got {value!r}"])
    units = institutions[name].get("units") or {}
    ordinary = [u for u, spec in units.items() if not spec.get("high_security", False)]
    secure = sum(int(spec.get("places", 0)) for spec in units.values() if spec.get("high_security", False))
    if len(ordinary) != 1:
        which = f"ordinary units {', '.join(ordinary)}" if ordinary else "no ordinary unit"
        raise ScenarioError(
            [f"{where}: ambiguous, {name} has {which}; set institutions.{name}.units.UNIT.places instead"]
        )
    if value < secure:
        raise ScenarioError([f"{where}: {value} total places is fewer than {name}'s {secure} high-security places"])
    return [(["institutions", name, "units", ordinary[0], "places"], value - secure)]


def apply_override(data: dict[str, Any], keys: list[str], value: Any, origin: dict[str, str], label: str) -> None:
    """Set ``keys = value`` in scenario data (in place), expanding the institution-places shorthand."""
    try:
        expanded = expand_override(data, keys, value)
    except ScenarioError as exc:
        raise ScenarioError([f"{label}: {p}" for p in exc.problems]) from None
    for path, v in expanded:
        _set_path(data, path, v, origin, label)


def _set_path(data: dict[str, Any], keys: list[str], value: Any, origin: dict[str, str], label: str) -> None:
    new = _first_new(data, keys)
    try:
        paths.assign(data, keys, value, create=True)
    except paths.PathError as exc:
        raise ScenarioError([f"{label}: {exc}"]) from None
    if new is not None:  # a key the option made: a problem with it (an unknown key, say) is the option's
        origin[paths.join(keys[: new + 1])] = label
    _mark(value, origin, paths.join(keys), label)


def _first_new(data: Any, keys: list[str]) -> int | None:
    """The position of the first of ``keys`` that ``data`` does not hold yet, or None if it holds them all."""
    node = data
    for k, key in enumerate(keys):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return k
    return None


def _origin_of(path: str, origin: dict[str, str], default: str) -> str:
    """Where the value at ``path`` came from: the source of the path or of its nearest ancestor, unless a key
    inside it came from somewhere else (an option that set ``...demand.growth`` behind a problem with the
    whole ``...demand``), which is then named."""
    found = origin.get("", default)
    for prefix in paths.prefixes(path):
        if prefix in origin:
            found = origin[prefix]
            break
    inside = [v for k, v in origin.items() if path and k.startswith(path + ".") and v != found]
    return inside[-1] if inside else found


def _inner_model(annotation: Any) -> Any:
    import typing

    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
        stack.extend(typing.get_args(a))
    return None


def _friendly(err: dict[str, Any], data: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
    path = ".".join(str(p) for p in loc)
    kind = err["type"]
    value = err.get("input")
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"must be a finite number, got {value}"
    if kind == "extra_forbidden":
        known = _lookup_fields(loc, data)
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else (f" (known keys: {', '.join(known)})" if known else "")
        return path, f"unknown key{hint}"
    if kind == "literal_error":
        return path, f"unknown value {_brief(value)}: {err['msg'].replace('Input should be ', 'expected ')}"
    if kind == "missing":
        return path, "required key is missing"
    if kind in ("int_type", "int_from_float"):
        return path, f"must be a whole number, got {_brief(value)}"
    msg = err["msg"].removeprefix("Value error, ")
    return path, msg[0].lower() + msg[1:] if msg else msg


def _brief(value: Any) -> str:
    """A value as a message quotes it: at most 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _lookup_fields(loc: tuple[Any, ...], data: dict[str, Any]) -> list[str]:
    from sim.scenario import schema

    model: Any = schema.Scenario
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        if fields is not None:
            if part not in fields:
                return []
            model = fields[part].annotation
            inner = _inner_model(model)
            # dict[str, Model]: the next part is a free key, skip it
            import typing

            origin = typing.get_origin(model)
            if origin is dict:
                model = ("mapping", inner)
            else:
                model = inner
        elif isinstance(model, tuple):
            model = model[1]
        else:
            return []
    fields = getattr(model, "model_fields", None)
    return list(fields) if fields else []


def validate_data(data: dict[str, Any], origin: dict[str, str], default_source: str, dates: bool = False) -> Scenario:
    """A Scenario from plain data: the schema, then the ranges of :mod:`sim.scenario.limits` (and with ``dates``
    its rules for planned changes, which apply to what a user wrote, not to scenarios kapsim derives).
    ScenarioError names, for each problem, the source of the value (``origin``: key path -> file or option)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path, msg = _friendly(err, data)
            source = _origin_of(path, origin, default_source)
            problems.append(f"{source}: {path or '(top level)'}: {msg}")
        raise ScenarioError(problems) from None
    except RecursionError:
        raise ScenarioError([f"{default_source}: {TOO_DEEP}"]) from None
    problems = [f"{_origin_of(p, origin, default_source)}: {p}: {m}" for p, m in limits.check(scenario, dates)]
    if problems:
        raise ScenarioError(problems)
    return scenario


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, merge (``extends``), override (``--set``) and validate a scenario file.

    Raises
    ------
    ScenarioError
        with one line per problem, naming the file, the key path and the problem. It is the only exception:
        anything else that goes wrong while loading becomes one too, naming the file.
    """
    path = Path(path)
    try:
        origin: dict[str, str] = {}
        data = _load_chain(path, origin, ())
        display = {str(path.resolve()): str(path)}
        for item in overrides:
            keys, value = parse_override(item)
            apply_override(data, keys, value, origin, f"--set {item}")
        origin = {k: display.get(v, _short(v)) for k, v in origin.items()}
        return validate_data(data, origin, str(path), dates=True)
    except ScenarioError as exc:  # name the file as it was given, not as resolved
        full, shown = str(path.resolve()), str(path)
        raise ScenarioError([shown + p[len(full) :] if p.startswith(full + ":") else p for p in exc.problems]) from None
    except RecursionError:
        raise ScenarioError([f"{path}: {TOO_DEEP}"]) from None
    except Exception as exc:  # the one place: whatever else breaks while loading is named, never a traceback
        raise ScenarioError([f"{path}: cannot be loaded ({type(exc).__name__}: {exc})"]) from None


def _short(source: str) -> str:
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def resolved_dict(scenario: Scenario) -> dict[str, Any]:
    """The fully merged scenario as plain data (dates as ISO strings), for YAML output and hashing."""
    return json.loads(scenario.model_dump_json())


def resolved_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(resolved_dict(scenario), sort_keys=False, allow_unicode=True)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (canonical JSON), which identifies its results."""
    canonical = json.dumps(resolved_dict(scenario), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def with_horizon(scenario: Scenario, **changes: Any) -> Scenario:
    """A copy of the scenario with horizon fields replaced (e.g. replications or seed from the CLI); a problem
    with one is named by its option (``--replications``, ``--seed``)."""
    data = resolved_dict(scenario)
    data["horizon"].update({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changes.items()})
    origin = {f"horizon.{k}": f"--{k}" for k in changes}
    return validate_data(data, origin, "command line")
