"""The store's transactions end exactly at row-group boundaries, and no row is lost or doubled on the way."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest

import distillshield.ingest.store as store_module
from distillshield.ingest.base import to_row
from distillshield.ingest.store import RequestStore
from tests.ingest.helpers import record


def _rows(start: int, count: int) -> list[tuple[object, ...]]:
    return [to_row(orjson.loads(orjson.dumps(record(i))))[:-2] + ("f.jsonl", i) for i in range(start, start + count)]


def test_commits_fall_exactly_on_the_transaction_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "TRANSACTION_ROWS", 7)
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    store = RequestStore(con, in_transactions=True)
    con.execute("BEGIN TRANSACTION")
    with con.cursor() as observer:
        committed = []
        for batch in range(4):  # 5 rows a batch: boundaries at 7 and 14 fall inside batches 2 and 3
            store.write(_rows(batch * 5, 5))
            committed.append(observer.execute("SELECT count(*) FROM requests").fetchone()[0])
        assert committed == [0, 7, 14, 14]
        assert store.uncommitted == 6
        con.execute("COMMIT")
        ids = [row[0] for row in observer.execute("SELECT source_line FROM requests ORDER BY source_line").fetchall()]
    assert ids == list(range(20))


def test_a_batch_larger_than_a_transaction_commits_several_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "TRANSACTION_ROWS", 4)
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    store = RequestStore(con, in_transactions=True)
    con.execute("BEGIN TRANSACTION")
    assert store.write(_rows(0, 11)) == (11, 0, [])
    with con.cursor() as observer:
        assert observer.execute("SELECT count(*) FROM requests").fetchone()[0] == 8
    con.execute("COMMIT")
    assert con.execute("SELECT count(DISTINCT request_id), count(*) FROM requests").fetchone() == (11, 11)
