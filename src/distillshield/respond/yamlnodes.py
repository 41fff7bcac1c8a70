"""Read YAML into plain values while keeping each value's line, so errors can name file, line and field.

PyYAML's ``safe_load`` forgets where a value came from and lets a repeated key
silently win; composing the node tree first keeps both the line numbers and the
chance to reject duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from distillshield.errors import InputError, Location


@dataclass(frozen=True, slots=True)
class Node:
    """A YAML value with the 1-based line it starts on."""

    value: Any  # dict[str, Node], list[Node] or a scalar
    line: int


def load_yaml(path: Path) -> Node:
    """The document in ``path`` as a tree of :class:`Node`; errors carry the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", Location(path, line)) from exc
    if root is None:
        raise InputError("the file is empty", Location(path))
    return _convert(root, path)


def _convert(node: yaml.Node, path: Path) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                raise InputError(f"duplicate key {key!r}", Location(path, key_node.start_mark.line + 1, key))
            out[key] = _convert(value_node, path)
        return Node(out, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, path) for item in node.value], line)
    # The safe constructor resolves scalars exactly as safe_load would (ints, floats, bools, null).
    return Node(yaml.SafeLoader("").construct_object(node, deep=True), line)


class Fields:
    """Typed access to one YAML mapping; every mistake becomes an InputError naming the field."""

    def __init__(self, node: Node, path: Path, where: str, allowed: set[str]) -> None:
        if not isinstance(node.value, dict):
            raise InputError(f"{where} must be a mapping", Location(path, node.line, where))
        self.node, self.path, self.where = node, path, where
        unknown = sorted(set(node.value) - allowed)
        if unknown:
            key = unknown[0]
            raise InputError(
                f"unknown key {key!r} in {where}; known: {', '.join(sorted(allowed))}",
                Location(path, node.value[key].line, f"{where}.{key}"),
            )

    def error(self, key: str, reason: str) -> InputError:
        line = self.node.value[key].line if key in self.node.value else self.node.line
        return InputError(reason, Location(self.path, line, f"{self.where}.{key}"))

    def has(self, key: str) -> bool:
        return key in self.node.value and self.node.value[key].value is not None

    def raw(self, key: str) -> Any:
        return self.node.value[key].value if key in self.node.value else None

    def number(self, key: str, default: float | None, *, low: float = 0.0, high: float | None = None) -> float | None:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"{key} must be a number, not {value!r}")
        if value < low or (high is not None and value > high):
            bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
            raise self.error(key, f"{key} must be in {bounds}, not {value}")
        return float(value)

    def string(self, key: str, default: str | None = None, *, choices: tuple[str, ...] = ()) -> str | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(key, f"{key} must be a string, not {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"{key} must be one of {', '.join(choices)}, not {value!r}")
        return value
