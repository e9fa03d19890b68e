"""Dotted key paths into scenario data: ``placement_types.remand.demand.per_year``, ``start_state.placed.0.count``.

The one implementation that ``--set``, ``--vary``, sweep files, parameter draws and the schema's checks of
them use. A part that is a number indexes a list.

>>> data = {"a": {"b": [10, 20]}}
>>> get(data, split("a.b.1"))
20
>>> assign(data, ["a", "c", "d"], 1, create=True); data["a"]["c"]
{'d': 1}
"""

from __future__ import annotations

from typing import Any


class PathError(KeyError):
    """A key path that does not lead where it should; ``where`` is the part of the path that failed."""

    def __init__(self, where: str, problem: str):
        super().__init__(where)
        self.where, self.problem = where, problem

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def split(path: str) -> list[str]:
    """The keys of ``a.b.c``; ValueError if a part is empty."""
    keys = path.strip().split(".")
    if not all(keys):
        raise ValueError(f"empty key in path '{path}'")
    return keys


def join(keys: list[str] | tuple[str, ...]) -> str:
    return ".".join(str(k) for k in keys)


def prefixes(path: str) -> list[str]:
    """``a.b.c``, ``a.b``, ``a``: the path and its ancestors, longest first."""
    keys = path.split(".") if path else []
    return [join(keys[:k]) for k in range(len(keys), 0, -1)]


def _child(node: Any, key: str) -> Any:
    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        if key not in type(node).model_fields:
            raise KeyError(key)
        return getattr(node, key)
    if isinstance(node, dict):
        return node[key]
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    raise KeyError(key)


def get(node: Any, keys: list[str]) -> Any:
    """The value at ``keys`` in plain data or validated models; PathError names the first missing part."""
    for k, key in enumerate(keys):
        try:
            node = _child(node, key)
        except KeyError:
            raise PathError(join(keys[: k + 1]), "no such key") from None
    return node


def assign(data: Any, keys: list[str], value: Any, create: bool = False) -> None:
    """Set ``keys = value`` in plain data (in place). With ``create``, missing mappings on the way are made;
    PathError names the part that is not a mapping (or list) to set inside."""
    node = data
    for k, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            if not (key.isdigit() and int(key) < len(node)):
                raise PathError(join(keys[: k + 1]), "no such position in the list")
            node = node[int(key)]
            continue
        child = node.get(key)
        if child is None and create:
            child = node[key] = {}
        if not isinstance(child, dict | list):
            raise PathError(join(keys[: k + 1]), "is not a mapping, cannot set a key inside it")
        node = child
    last = keys[-1]
    if isinstance(node, list):
        if not (last.isdigit() and int(last) < len(node)):
            raise PathError(join(keys), "no such position in the list")
        node[int(last)] = value
    else:
        node[last] = value
