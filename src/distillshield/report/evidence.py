"""Turn free-form evidence (nested JSON values) into a small tree the HTML template can draw.

Evidence is whatever the linkers and scorers chose to record, so its shape is
not fixed. The rules: a mapping becomes a definition list; a list of mappings
becomes a table whose columns are the keys in order of first appearance; a list
of plain values becomes an inline list; anything nested deeper than
:data:`MAX_DEPTH` is shown as compact JSON text. Long lists are cut at
:data:`MAX_ITEMS` with a count of what was left out, so one huge key list cannot
swamp the page. Every string stays a plain ``str``: escaping is the template's
job, and it escapes everything.

>>> node = view({"links": {"payment": {"pairs": 3}}, "models": ["a", "b"]})
>>> [(key, child.kind) for key, child in node.entries]
[('links', 'mapping'), ('models', 'list')]
>>> view(0.123456).text
'0.1235'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import orjson

MAX_DEPTH = 4
MAX_ITEMS = 20
#: A list of mappings with more distinct keys than this is shown item by item, not as a table.
MAX_TABLE_COLUMNS = 8

Kind = Literal["text", "empty", "list", "mapping", "table"]


@dataclass(frozen=True, slots=True)
class Node:
    """One value of the evidence tree; which fields are used depends on ``kind``."""

    kind: Kind
    text: str = ""
    items: tuple[Node, ...] = ()
    entries: tuple[tuple[str, Node], ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Node, ...], ...] = ()
    #: How many list items or table rows were left out.
    more: int = 0


EMPTY = Node("empty", "—")


def view(value: object, depth: int = 0) -> Node:
    """The display tree of one evidence value."""
    if isinstance(value, Mapping):
        return _mapping(value, depth) if depth < MAX_DEPTH else _as_json(value)
    if isinstance(value, list | tuple):
        return _sequence(value, depth) if depth < MAX_DEPTH else _as_json(value)
    return scalar(value)


def scalar(value: object) -> Node:
    """A plain value as text: numbers rounded for reading, booleans as yes/no."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return Node("text", "yes" if value else "no")
    if isinstance(value, int):
        return Node("text", f"{value:,}")
    if isinstance(value, float):
        return Node("text", format_number(value))
    return Node("text", str(value))


def format_number(value: float) -> str:
    """Four significant digits for small values, thousands separators for large ones."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _mapping(value: Mapping[object, object], depth: int) -> Node:
    if not value:
        return EMPTY
    entries = tuple((str(key), view(child, depth + 1)) for key, child in value.items())
    return Node("mapping", entries=entries)


def _sequence(value: list[object] | tuple[object, ...], depth: int) -> Node:
    if not value:
        return EMPTY
    shown, more = value[:MAX_ITEMS], max(0, len(value) - MAX_ITEMS)
    columns = _table_columns(shown)
    if columns:
        rows = tuple(tuple(view(_get(item, c), depth + 1) for c in columns) for item in shown)
        return Node("table", columns=columns, rows=rows, more=more)
    return Node("list", items=tuple(view(item, depth + 1) for item in shown), more=more)


def _table_columns(items: list[object] | tuple[object, ...]) -> tuple[str, ...]:
    """The union of keys when every item is a mapping and there are few enough; else ()."""
    if not all(isinstance(item, Mapping) for item in items):
        return ()
    columns: dict[str, None] = {}
    for item in items:
        assert isinstance(item, Mapping)  # checked above; narrows the type
        columns.update(dict.fromkeys(str(key) for key in item))
    return tuple(columns) if len(columns) <= MAX_TABLE_COLUMNS else ()


def _get(item: object, column: str) -> object:
    assert isinstance(item, Mapping)  # only called on rows _table_columns accepted
    return next((v for k, v in item.items() if str(k) == column), None)


def _as_json(value: object) -> Node:
    text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    return Node("text", text if len(text) <= 500 else text[:500] + "…")
