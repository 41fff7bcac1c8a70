"""``watch`` killed with SIGKILL mid-stream and restarted ends with the verdicts of one batch scan.

The log is fed in pieces while ``watch`` runs: lines appended (one of them in
two writes), a new file started on rotation, the rotated file compressed to
``.gz``; the process is killed in the middle and started again.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import duckdb
import orjson
import pytest
import redis

from tests.conftest import SmallScan
from tests.watch.helpers import campaigns, has_read, log_lines, split, start_watch, status, stop, verdicts, wait_for

BAD_LINE = b'{"request_id": "broken", "ts": \n'
FAST = ("--every", "2", "--poll", "0.2", "--quiet")


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data)


def _rotate_to_gzip(path: Path) -> Path:
    """Compress a rotated log as logrotate does: a hidden temporary file renamed into place, then the original gone."""
    target = path.with_name(path.name + ".gz")
    tmp = path.with_name("." + target.name + ".tmp")
    tmp.write_bytes(gzip.compress(path.read_bytes()))
    tmp.rename(target)
    path.unlink()
    return target


def _stored(state: Path) -> int:
    """Rows the killed process had committed (its last transaction, if cut, is not among them)."""
    with duckdb.connect(str(state / "watch.duckdb"), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM requests").fetchall()[0][0])


def _assert_same_as_scan(out: Path, scan: SmallScan, n_lines: int) -> None:
    assert verdicts(out) == verdicts(scan.result.out_dir)
    assert campaigns(out) == campaigns(scan.result.out_dir)
    counts = status(out)["counts"]
    assert counts["accepted"] == n_lines
    assert counts["duplicates"] == 0, "a record was read twice: the checkpoint did not hold"


def test_files_killed_and_restarted_equal_batch_scan(small_scan: SmallScan, tmp_path: Path) -> None:
    lines = log_lines(small_scan.log)
    pieces = split(lines, 6)
    logs, state, out = tmp_path / "logs", tmp_path / "state", tmp_path / "out"
    logs.mkdir()
    first, second = logs / "traffic-20260501T000000-7-0000.jsonl", logs / "traffic-20260501T000000-7-0001.jsonl"
    first.write_bytes(b"".join(lines[:3]) + BAD_LINE + pieces[0][len(b"".join(lines[:3])) :])
    bad_line_number = 4
    watch = start_watch(str(logs), state, out, *FAST)
    try:
        half = len(pieces[1]) // 2 + 7  # cuts a line in two: only whole lines may be read
        _append(first, pieces[1][:half])
        time.sleep(0.5)
        _append(first, pieces[1][half:])
        wait_for(lambda: bool(status(out)), watch, tmp_path / "stderr")
        _append(first, pieces[2])
        second.write_bytes(pieces[3])
        time.sleep(0.7)
        watch.kill()  # SIGKILL: no chance to finish a batch or a write
        watch.wait()
        assert 0 < _stored(state) < len(lines), "the kill was meant to land mid-stream"
        watch = start_watch(str(logs), state, out, *FAST)
        time.sleep(0.5)
        _rotate_to_gzip(first)
        _append(second, pieces[4])
        (logs / "traffic-20260501T000000-7-0002.jsonl").write_bytes(b"".join(pieces[5:]))
        wait_for(has_read(out, len(lines) + 1), watch, tmp_path / "stderr")
        assert stop(watch) == 0
    finally:
        watch.kill()
    _assert_same_as_scan(out, small_scan, len(lines))
    quarantined = [orjson.loads(line) for line in (out / "quarantine.jsonl").read_bytes().splitlines()]
    assert [(q["file"], q["line"]) for q in quarantined] == [(str(first), bad_line_number)]
    assert quarantined[0]["reason"].startswith("invalid JSON")


@pytest.fixture
def stream(request: pytest.FixtureRequest) -> str:
    """A stream name of this test's own, deleted afterwards."""
    name = f"distillshield-test-watch-{request.node.name}-{time.time_ns()}"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    request.addfinalizer(lambda: client.delete(name))
    return name


def _xadd(stream: str, lines: list[bytes]) -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    with client.pipeline(transaction=False) as pipe:
        for line in lines:
            pipe.xadd(stream, {"record": line.rstrip(b"\n")})
        pipe.execute()


@pytest.mark.parametrize("group", ["", "&group=watchers"], ids=["xread", "consumer-group"])
def test_stream_killed_and_restarted_equals_batch_scan(
    small_scan: SmallScan, tmp_path: Path, stream: str, group: str
) -> None:
    lines = log_lines(small_scan.log)
    cut = [len(lines) * k // 4 for k in range(5)]
    state, out = tmp_path / "state", tmp_path / "out"
    source = f"redis://127.0.0.1:6379/0?stream={stream}{group}"
    _xadd(stream, lines[: cut[1]])
    watch = start_watch(source, state, out, *FAST)
    try:
        wait_for(lambda: bool(status(out)), watch, tmp_path / "stderr")
        _xadd(stream, lines[cut[1] : cut[2]])
        time.sleep(0.7)
        watch.kill()
        watch.wait()
        assert 0 < _stored(state) < len(lines)
        _xadd(stream, lines[cut[2] : cut[3]])
        watch = start_watch(source, state, out, *FAST)
        _xadd(stream, lines[cut[3] :])
        wait_for(has_read(out, len(lines)), watch, tmp_path / "stderr")
        assert stop(watch) == 0
    finally:
        watch.kill()
    _assert_same_as_scan(out, small_scan, len(lines))
