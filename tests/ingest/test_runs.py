"""Lines handed on a run at a time, or one at a time, are the file's lines: numbers, bytes, breaks, oversize."""

from __future__ import annotations

import gzip
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import distillshield.ingest.lines as lines_module
from distillshield.ingest.lines import Broken, Line, Run, iter_lines, iter_runs
from distillshield.ingest.readers import Position, Rejected, read_jsonl, read_jsonl_runs

_PIECES = st.lists(st.sampled_from([b"\n", b"\r\n", b"\r", b" ", b"  \n", b"{}", b'{"a":1}', b"x" * 9, b"\xff"]))
_DATA = st.lists(_PIECES, max_size=8).map(lambda p: b"".join(b"".join(x) for x in p))


def _flat(items: Iterator[Run | Broken]) -> list[tuple[int, bytes] | tuple[int, str, bytes]]:
    out: list[tuple[int, bytes] | tuple[int, str, bytes]] = []
    for item in items:
        if isinstance(item, Broken):
            out.append((item.number, item.reason, item.tail))
        else:
            out += [(item.first + i, line) for i, line in enumerate(item.lines)]
    return out


def _one_at_a_time(items: Iterator[Line | Broken]) -> list[tuple[int, bytes] | tuple[int, str, bytes]]:
    return [(i.number, i.reason, i.tail) if isinstance(i, Broken) else (i.number, i.data) for i in items]


def _split_lines(data: bytes) -> list[bytes]:
    """The oracle: the file's lines by a plain split, a final newline ending the last line."""
    lines = data.split(b"\n")
    return lines[:-1] if lines[-1] == b"" else lines


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_DATA, st.integers(1, 8), st.integers(1, 30), st.booleans())
def test_runs_and_lines_are_the_split_lines_each_once(
    monkeypatch: pytest.MonkeyPatch, data: bytes, block: int, max_bytes: int, one_at_a_time: bool
) -> None:
    """Every line of a plain split comes out once under its number: as read (less trailing CRs), or whole to
    the oversize handler when it outgrew ``max_bytes`` before its newline arrived."""
    monkeypatch.setattr(lines_module, "BLOCK", block)  # many block boundaries, inside lines and at their ends
    oversized: dict[int, bytes] = {}

    def oversize(number: int, pieces: Iterator[bytes]) -> None:
        oversized[number] = b"".join(pieces)

    stream = io.BytesIO(data)
    items = (
        _one_at_a_time(iter_lines(stream, max_bytes, oversize))
        if one_at_a_time
        else _flat(iter_runs(stream, max_bytes, oversize))
    )
    read = {int(item[0]): item[1] for item in items}
    assert len(read) == len(items), "no number twice"
    expected = _split_lines(data)
    assert sorted([*read, *oversized]) == list(range(1, len(expected) + 1))
    for number, line in read.items():
        assert line == expected[number - 1].rstrip(b"\r")
    for number, raw in oversized.items():
        assert raw == expected[number - 1] and len(raw) > max_bytes


@settings(max_examples=60, deadline=None)
@given(_DATA, st.booleans())
def test_read_runs_skips_blank_lines_and_reports_a_broken_tail(data: bytes, truncate: bool) -> None:
    """The reader's runs hold the non-blank lines read_jsonl reads, and the same rejection of a truncated tail."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl.gz"
        packed = gzip.compress(data, mtime=0)
        path.write_bytes(packed[: len(packed) - 5] if truncate and data else packed)
        runs = list(read_jsonl_runs(path, 1 << 20, lambda n, p: None, Position()))
        items = list(read_jsonl(path, 1 << 20, lambda n, p: None, Position()))
    flat = []
    for run in runs:
        if isinstance(run, Rejected):
            flat.append((run.line, run.raw, run.reason))
        else:
            assert all(line.strip() for line in run.lines)
            flat += [(run.first + i, line, None) for i, line in enumerate(run.lines)]
    expected = [
        (i.line, i.raw, i.reason if isinstance(i, Rejected) and i.reason.startswith(("truncated", "corrupt")) else None)
        for i in items
    ]
    assert flat == expected
