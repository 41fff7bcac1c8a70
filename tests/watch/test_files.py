"""Following a log directory: whole lines only, rotation by rename, by compression and by truncation.

Each test feeds files by hand and commits what the source yields into a real
state database, as the watch loop does, then reads the requests table back.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import duckdb
import orjson
import pytest

from distillshield.ingest.store import RequestStore
from distillshield.watch import FileSource
from distillshield.watch.batch import commit
from distillshield.watch.checkpoint import create_tables, get_meta


def record(n: int, account: str = "acct_a") -> bytes:
    """One spec record as a JSON line."""
    fields = {
        "request_id": f"r{n}",
        "ts": f"2026-05-04T10:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "account_id": account,
        "model": "atlas-3",
        "prompt": f"question {n}",
    }
    return orjson.dumps(fields) + b"\n"


def records(start: int, stop: int) -> bytes:
    return b"".join(record(n) for n in range(start, stop))


class Follower:
    """A FileSource over ``root`` committing into a state database; ``restart`` reopens both."""

    def __init__(self, root: Path, db: Path) -> None:
        self.root, self.db = root, db
        self.con: duckdb.DuckDBPyConnection | None = None
        self.restart()

    def restart(self) -> None:
        if self.con is not None:
            self.con.close()
        self.con = duckdb.connect(str(self.db))
        create_tables(self.con)
        self.store = RequestStore(self.con)
        self.source = FileSource(self.root, max_record_bytes=4096)
        self.source.load(self.con)

    def poll(self, *, final: bool = False) -> None:
        assert self.con is not None
        for batch in self.source.poll(final=final):
            commit(self.con, self.store, batch)

    def ids(self) -> list[str]:
        assert self.con is not None
        return [r[0] for r in self.con.execute("SELECT request_id FROM requests ORDER BY request_id").fetchall()]

    def meta(self, key: str) -> int:
        assert self.con is not None
        return get_meta(self.con, key)

    def quarantine(self) -> list[tuple[str, int, str | None, str]]:
        assert self.con is not None
        return self.con.execute("SELECT file, line, field, reason FROM watch_quarantine ORDER BY seq").fetchall()


@pytest.fixture
def follow(tmp_path: Path) -> Iterator[Follower]:
    (tmp_path / "logs").mkdir()
    follower = Follower(tmp_path / "logs", tmp_path / "state.duckdb")
    yield follower
    assert follower.con is not None
    follower.con.close()


def ids(start: int, stop: int) -> list[str]:
    return sorted(f"r{n}" for n in range(start, stop))


def test_only_whole_lines_are_read_and_appends_continue_after_them(follow: Follower) -> None:
    log = follow.root / "traffic.jsonl"
    log.write_bytes(records(0, 3) + record(3)[:10])
    follow.poll()
    assert follow.ids() == ids(0, 3)
    with log.open("ab") as handle:
        handle.write(record(3)[10:] + records(4, 6))
    follow.poll()
    assert follow.ids() == ids(0, 6)
    assert follow.meta("duplicates") == 0


def test_checkpoint_survives_a_restart_without_rereading(follow: Follower) -> None:
    log = follow.root / "traffic.jsonl"
    log.write_bytes(records(0, 5))
    follow.poll()
    follow.restart()
    with log.open("ab") as handle:
        handle.write(records(5, 8))
    follow.poll()
    assert follow.ids() == ids(0, 8)
    assert (follow.meta("read"), follow.meta("duplicates")) == (8, 0)


def test_a_renamed_file_keeps_its_checkpoint_and_a_new_one_takes_its_name(follow: Follower) -> None:
    log = follow.root / "traffic.jsonl"
    log.write_bytes(records(0, 4))
    follow.poll()
    with log.open("ab") as handle:
        handle.write(records(4, 6))  # appended, then rotated before the next poll
    log.rename(follow.root / "traffic.jsonl.1")
    log.write_bytes(records(6, 9))
    follow.poll()
    assert follow.ids() == ids(0, 9)
    assert follow.meta("duplicates") == 0


def test_a_compressed_rotated_file_continues_where_the_plain_one_stopped(follow: Follower) -> None:
    log = follow.root / "traffic-0000.jsonl"
    log.write_bytes(records(0, 4))
    follow.poll()
    (follow.root / "traffic-0000.jsonl.gz").write_bytes(gzip.compress(records(0, 7)))
    log.unlink()
    follow.poll()
    assert follow.ids() == ids(0, 7)
    assert follow.meta("duplicates") == 0
    follow.poll()
    assert follow.meta("read") == 7


def test_a_file_truncated_in_place_is_read_again_from_its_start(follow: Follower) -> None:
    log = follow.root / "traffic.jsonl"
    log.write_bytes(records(0, 4))
    follow.poll()
    log.write_bytes(records(10, 12))  # copytruncate: same inode, shorter content
    follow.poll()
    assert follow.ids() == sorted(ids(0, 4) + ids(10, 12))


def test_bad_lines_are_quarantined_with_file_line_field_and_reason(follow: Follower) -> None:
    log = follow.root / "traffic.jsonl"
    no_account = orjson.dumps({"request_id": "x", "ts": "2026-05-04T10:00:00Z", "model": "m", "prompt": "p"})
    huge = b'{"prompt": "' + b"a" * 5000 + b'"}'
    log.write_bytes(record(0) + b"{oops\n" + no_account + b"\n" + huge + b"\n" + record(1))
    follow.poll()
    assert follow.ids() == ids(0, 2)
    found = follow.quarantine()
    assert [(f, n, field) for f, n, field, _ in found] == [
        (str(log), 2, None),
        (str(log), 3, "account_id"),
        (str(log), 4, None),
    ]
    assert found[0][3].startswith("invalid JSON")
    assert "max_record_bytes" in found[2][3]
    assert (follow.meta("read"), follow.meta("accepted"), follow.meta("quarantined")) == (5, 2, 3)


def test_a_truncated_gzip_file_is_awaited_once_then_its_tail_quarantined(follow: Follower) -> None:
    whole = gzip.compress(records(0, 50))
    (follow.root / "old.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    follow.poll()
    assert follow.ids() == []  # perhaps still being written
    follow.poll()
    assert follow.ids() and len(follow.quarantine()) == 1
    assert follow.quarantine()[0][3] == "truncated gzip stream"
