"""Spreadsheet-safe CSV cells: the OWASP "CSV Injection" escape, applied to every CSV distillshield writes.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula, so an account id such as
``=HYPERLINK(...)`` chosen by a hostile client would run in the analyst's spreadsheet.
OWASP's advice (cheat sheet "CSV Injection") is to prefix such a cell with a single quote,
which spreadsheets show as text. A cell that itself starts with a quote is prefixed too, so
the escape is reversible: :func:`unescape_cell` gives back exactly what was escaped, and the
project's own CSV readers apply it.
"""

from __future__ import annotations

from collections.abc import Iterable

#: First characters that make a spreadsheet evaluate a cell (OWASP), plus the quote itself.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def escape_cell(value: object) -> object:
    """``value`` with a leading quote when it is text starting with a trigger; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """The inverse of :func:`escape_cell` for a cell read back as text."""
    if len(value) > 1 and value[0] == "'" and value[1] in TRIGGERS:
        return value[1:]
    return value


def safe_row(row: Iterable[object]) -> list[object]:
    return [escape_cell(cell) for cell in row]
