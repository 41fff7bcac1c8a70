"""Evidence display trees: mappings, tables, lists, truncation and depth limits."""

from __future__ import annotations

import doctest

from distillshield.report import evidence
from distillshield.report.evidence import EMPTY, MAX_DEPTH, MAX_ITEMS, view


def test_doctests() -> None:
    assert doctest.testmod(evidence, raise_on_error=False).failed == 0


def test_list_of_mappings_becomes_a_table_with_columns_in_first_seen_order() -> None:
    node = view([{"name": "burst", "weight": 0.5}, {"name": "cot", "observed": False}])
    assert node.kind == "table"
    assert node.columns == ("name", "weight", "observed")
    assert [[cell.text for cell in row] for row in node.rows] == [["burst", "0.5", "—"], ["cot", "—", "no"]]


def test_scalars_are_formatted_for_reading() -> None:
    assert [view(v).text for v in (1234567, 0.000123456, 2.0, 12345.6, True, None, "")] == [
        "1,234,567",
        "0.0001235",
        "2",
        "12,346",
        "yes",
        "—",
        "—",
    ]


def test_long_lists_are_cut_with_a_count() -> None:
    node = view(list(range(MAX_ITEMS + 7)))
    assert node.kind == "list" and len(node.items) == MAX_ITEMS and node.more == 7


def test_deep_nesting_falls_back_to_json_text() -> None:
    value: object = "leaf"
    for _ in range(MAX_DEPTH + 2):
        value = {"k": value}
    node = view(value)
    for _ in range(MAX_DEPTH):
        node = node.entries[0][1]
    assert node.kind == "text" and node.text.startswith('{"k"')


def test_empty_containers_show_as_empty() -> None:
    assert view({}) is EMPTY and view([]) is EMPTY
