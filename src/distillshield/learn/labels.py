"""Analysts' labels as ``learn`` reads them: hostile input, read row by row, bad rows quarantined.

Two kinds of file are read:

* a labels.csv (the console's export or a benchmark's ground truth): ``account_id,label,campaign_id,archetype``
  with ``label`` ``benign`` or ``distiller``. The console writes ``archetype`` as
  ``analyst-dismiss:NAME`` or ``analyst-confirm:NAME``; NAME is the analyst. Any other
  archetype makes the file itself the analyst (one file, one judge);
* a known-organisations file (YAML, or CSV with the header ``kind,value,organisation,tier``): each
  ``confirmed_benign`` account is a ``benign`` label by the analyst named in its note (or the file).

A row that cannot be a label (empty account, unknown label, wrong number of fields, a
benign row with a campaign) is quarantined with its file, line and field and the rest
are read. A file that is not a labels file at all (no header, not UTF-8, malformed CSV)
is rejected with an :class:`InputError`. The same account labelled twice by one analyst
keeps the later row; labels by several analysts are all kept (agreement counts).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from distillshield.csvcells import unescape_cell
from distillshield.errors import InputError, Location
from distillshield.evaluate.labels import BENIGN, LABEL_COLUMNS, LABELS
from distillshield.orgs import load_known_organisations

#: Most label rows one file may hold: a labels file is people's judgements, not a log.
MAX_ROWS = 1_000_000
_ORG_HEADER = ("kind", "value", "organisation", "tier")
_ANALYST_PREFIXES = ("analyst-dismiss:", "analyst-confirm:")


@dataclass(frozen=True, slots=True)
class AnalystLabel:
    """One analyst's judgement of one account."""

    account_id: str
    label: str
    analyst: str
    where: Location


@dataclass(frozen=True, slots=True)
class QuarantinedRow:
    where: Location
    reason: str


@dataclass(frozen=True, slots=True)
class LabelSet:
    """Every usable label, by account, and every row that was not usable."""

    by_account: dict[str, tuple[AnalystLabel, ...]] = field(default_factory=dict)
    quarantined: tuple[QuarantinedRow, ...] = ()

    def decided(self) -> dict[str, str]:
        """Account -> label, for accounts whose analysts agree (conflicting accounts are left out)."""
        return {a: labels[0].label for a, labels in self.by_account.items() if len({x.label for x in labels}) == 1}

    def conflicting(self) -> list[str]:
        """Accounts that one analyst confirmed and another dismissed."""
        return sorted(a for a, labels in self.by_account.items() if len({x.label for x in labels}) > 1)

    def analysts(self, account_id: str) -> frozenset[str]:
        return frozenset(x.analyst for x in self.by_account.get(account_id, ()))

    def count(self, label: str) -> int:
        return sum(1 for v in self.decided().values() if v == label)


def read_label_files(paths: Iterable[Path]) -> LabelSet:
    """Read every file; rows from later files add analysts, a later row of the same analyst replaces."""
    found: dict[tuple[str, str], AnalystLabel] = {}
    quarantined: list[QuarantinedRow] = []
    for path in paths:
        for item in _read_one(path):
            if isinstance(item, QuarantinedRow):
                quarantined.append(item)
            else:
                found[(item.account_id, item.analyst)] = item
    by_account: dict[str, list[AnalystLabel]] = {}
    for label in found.values():
        by_account.setdefault(label.account_id, []).append(label)
    return LabelSet({a: tuple(v) for a, v in sorted(by_account.items())}, tuple(quarantined))


def _read_one(path: Path) -> Iterator[AnalystLabel | QuarantinedRow]:
    if not path.is_file():
        raise InputError("labels file does not exist", Location(path))
    if path.suffix.lower() in (".yaml", ".yml") or _csv_header(path) == _ORG_HEADER:
        yield from _from_known_organisations(path)
    else:
        yield from _from_labels_csv(path)


def _csv_header(path: Path) -> tuple[str, ...]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return ()
    return tuple(cell.strip() for cell in first)


def _from_known_organisations(path: Path) -> Iterator[AnalystLabel]:
    known = load_known_organisations(path)
    for account, confirmed in sorted(known.confirmed.items()):
        analyst = confirmed.note.strip() or path.name
        yield AnalystLabel(account, BENIGN, analyst, Location(path, 0, "confirmed_benign"))


def _from_labels_csv(path: Path) -> Iterator[AnalystLabel | QuarantinedRow]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from _rows(path, handle)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", Location(path)) from exc


def _rows(path: Path, handle: IO[str]) -> Iterator[AnalystLabel | QuarantinedRow]:
    reader = csv.reader(handle)
    line = 0
    try:
        header = next(reader, None)
        if header is None or any(c not in header for c in LABEL_COLUMNS):
            got = ",".join(header or [])
            raise InputError(f"header is {got!r}; expected at least {','.join(LABEL_COLUMNS)}", Location(path, 1))
        line = 1
        for count, row in enumerate(reader, start=1):
            start, line = line + 1, reader.line_num
            if count > MAX_ROWS:
                raise InputError(f"more than {MAX_ROWS:,} label rows", Location(path, start))
            if row:
                yield _row(path, start, header, row)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", Location(path, line + 1)) from exc


def _row(path: Path, line: int, header: list[str], row: list[str]) -> AnalystLabel | QuarantinedRow:
    if len(row) != len(header):
        return QuarantinedRow(Location(path, line), f"expected {len(header)} fields, found {len(row)}")
    cells = {name: unescape_cell(value).strip() for name, value in zip(header, row, strict=True)}
    account, label = cells["account_id"], cells["label"]
    if not account:
        return QuarantinedRow(Location(path, line, "account_id"), "account_id is empty")
    if label not in LABELS:
        return QuarantinedRow(Location(path, line, "label"), f"{label[:40]!r} is not one of {', '.join(LABELS)}")
    if label == BENIGN and cells["campaign_id"]:
        return QuarantinedRow(Location(path, line, "campaign_id"), "a benign account cannot have a campaign_id")
    return AnalystLabel(account, label, _analyst(cells["archetype"], path), Location(path, line))


def _analyst(archetype: str, path: Path) -> str:
    """The analyst the console names in ``archetype``, or the file itself when it names none."""
    for prefix in _ANALYST_PREFIXES:
        if archetype.startswith(prefix) and archetype[len(prefix) :].strip():
            return archetype[len(prefix) :].strip()
    return path.name
