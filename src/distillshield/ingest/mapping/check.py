"""``mapping check``: the first records of a log mapped, and the source fields no rule reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from distillshield.errors import RecordError
from distillshield.ingest.base import to_row
from distillshield.ingest.lines import Oversize
from distillshield.ingest.mapping.apply import Mapper
from distillshield.ingest.readers import Item, Parsed, Position, first_line, read_csv, read_jsonl, read_parquet, sniff


@dataclass(frozen=True, slots=True)
class Preview:
    """One source record: its line, and per spec record it maps to, the record or the reason it fails."""

    line: int
    mapped: tuple[dict[str, Any] | str, ...]


@dataclass(frozen=True, slots=True)
class CheckResult:
    previews: tuple[Preview, ...]
    unmapped: tuple[str, ...]  # dotted source paths no rule reads, in the order first seen


def check_mapping(mapper: Mapper, log: Path, limit: int = 5, max_record_bytes: int = 64 << 20) -> CheckResult:
    previews: list[Preview] = []
    unmapped: dict[str, None] = {}
    read = {p.keys for r in mapper.mapping.rules for p in _paths(r) if p.root is None and p.keys}
    for item in islice(_items(log, max_record_bytes), limit):
        if not isinstance(item, Parsed):
            previews.append(Preview(item.line, (f"unreadable: {item.reason}",)))
            continue
        previews.append(Preview(item.line, tuple(_validated(o) for o in mapper.map(item.record))))
        for source, _ in mapper.items(item.record) if isinstance(item.record, dict) else ():
            for leaf in _leaves(source, ()):
                if not any(leaf[: len(keys)] == keys for keys in read):
                    unmapped.setdefault(".".join(leaf), None)
    return CheckResult(tuple(previews), tuple(unmapped))


def _paths(rule: Any) -> list[Any]:
    return [*rule.sources, *rule.join, *((rule.system,) if rule.system else ())]


def _validated(outcome: dict[str, Any] | RecordError) -> dict[str, Any] | str:
    """The mapped record, or why it fails: the mapping's own reason, or the spec's (the same check scan makes)."""
    if isinstance(outcome, RecordError):
        return f"{outcome.location.field}: {outcome.reason}"
    try:
        to_row(outcome)
    except RecordError as exc:
        return f"{exc.location.field}: {exc.reason}"
    return outcome


def _leaves(value: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _leaves(inner, (*prefix, str(key)))
    elif prefix:
        yield prefix


def _items(log: Path, max_record_bytes: int) -> Iterator[Item]:
    kind = sniff(log, "auto")
    if kind == "parquet":
        return read_parquet(log)
    if kind == "litellm-csv" or not first_line(log).lstrip().startswith(b"{"):
        return read_csv(log)
    ignore: Oversize = lambda line, pieces: None  # noqa: E731 (a preview skips oversized records)
    return read_jsonl(log, max_record_bytes, ignore, Position())
