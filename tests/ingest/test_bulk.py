"""The bulk SQL path is only a faster road to the rows to_row builds: wherever it accepts a line, the row is equal.

Records are generated with every field sometimes of the right type, sometimes of a wrong
one, sometimes missing or null, so both the accepting and the declining side of each SQL
check are exercised; the row from the bulk path must equal the row from to_row,
content hash included.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from distillshield.errors import RecordError
from distillshield.ingest.base import OPTIONAL_INTS, OPTIONAL_STRINGS, to_row
from distillshield.ingest.readers import plain_record
from distillshield.ingest.store import RequestStore
from distillshield.records import REQUEST_COLUMNS
from tests.ingest.helpers import record, run

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_WRONG = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.lists(st.integers(), max_size=2))
_TIMESTAMPS = st.one_of(
    st.sampled_from(
        [
            "2026-05-04T10:00:00Z",
            "2026-05-04T10:00:00.123456+02:00",
            "2026-05-04T10:00:00.5-05:30",
            "2026-05-04 10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-05-04T10:00:00",
            "1969-12-31T23:59:59Z",
            "not a time",
        ]
    ),
    st.floats(min_value=-10, max_value=8e9, allow_nan=False),
    st.integers(min_value=-5, max_value=8_000_000_000),
    st.booleans(),
)
_CONTENT = st.one_of(_TEXT, st.none(), st.just([{"type": "text", "text": "part"}]), st.integers())
_MESSAGE = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "developer", "user", "assistant", "tool"])},
        optional={"content": _CONTENT, "name": _TEXT},
    ),
    st.just("not an object"),
    st.just({"content": "no role"}),
)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(value, value, value, _WRONG)


#: Integers anywhere in 65 bits, and the edges of the 32- and 64-bit columns they are stored in.
_INTS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]),
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {
        "request_id": draw(st.one_of(st.just("r1"), st.just(""), st.integers())),
        "ts": draw(_TIMESTAMPS),
        "account_id": draw(st.one_of(st.just("acct"), _TEXT, st.integers())),
        "model": draw(st.one_of(st.just("m"), st.just(""), st.integers())),
    }
    for name in OPTIONAL_STRINGS:
        if draw(st.booleans()):
            record[name] = draw(_maybe(_TEXT))
    for name in OPTIONAL_INTS:
        if draw(st.booleans()):
            record[name] = draw(_maybe(_INTS))
    if draw(st.booleans()):
        record["account_created_at"] = draw(st.one_of(_TIMESTAMPS, st.none()))
    if draw(st.integers(0, 3)):
        record["messages"] = draw(st.one_of(st.lists(_MESSAGE, max_size=4), st.just("hi"), st.none()))
    if draw(st.booleans()):
        record["prompt"] = draw(_maybe(_TEXT))
    if draw(st.booleans()):
        record["extra"] = draw(st.one_of(st.just({}), st.just({"k": [1, 2.5, None]}), st.just("x"), st.none()))
    if draw(st.integers(0, 5)) == 0:
        record["unknown_field"] = 1
    return record


_VALID_MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "developer", "user", "assistant"]), "content": st.one_of(_TEXT, st.none())}
)


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    """Records of the right types, so that nearly all get through and every stored column is compared.

    Integers still reach past the 32- and 64-bit columns, and a record without messages
    (only a prompt) is as common as one with them.
    """
    record: dict[str, Any] = {"request_id": "r1", "ts": "2026-05-04T10:00:00Z", "account_id": "acct", "model": "m"}
    for name in OPTIONAL_STRINGS:
        if draw(st.booleans()):
            record[name] = draw(_TEXT)
    for name in OPTIONAL_INTS:
        if draw(st.booleans()):
            record[name] = draw(_INTS)
    if draw(st.booleans()):
        record["messages"] = draw(st.lists(_VALID_MESSAGE, max_size=4))
    if "messages" not in record or draw(st.booleans()):
        record["prompt"] = draw(_TEXT)
    return record


def _stored(store: RequestStore) -> dict[str, Any] | None:
    """Commit what the store staged; the one row it stored, if any."""
    store.commit()
    rows = store.con.execute(f"SELECT {', '.join(REQUEST_COLUMNS)} FROM requests").fetchall()
    return dict(zip(REQUEST_COLUMNS, rows[0], strict=True)) if rows else None


def _both_paths(raw: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    store = RequestStore(duckdb.connect())
    accepted = store.stage_lines([0], [1], [raw], "f.jsonl")
    bulk = _stored(store) if accepted else None
    try:
        row = to_row(orjson.loads(raw))
    except (RecordError, orjson.JSONDecodeError):
        return bulk, None
    store = RequestStore(duckdb.connect())
    store.stage_rows([row[:-2] + ("f.jsonl", 1)], [0])
    return bulk, _stored(store)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.booleans())
def test_bulk_rows_equal_to_row_rows(record: dict[str, Any], ascii_only: bool) -> None:
    raw = json.dumps(record, ensure_ascii=ascii_only)
    bulk, python = _both_paths(raw)
    if bulk is not None:
        assert python is not None, f"bulk accepted what to_row rejects: {raw}"
        assert bulk == python


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_records(), st.booleans())
def test_bulk_rows_equal_to_row_rows_for_well_typed_records(record: dict[str, Any], ascii_only: bool) -> None:
    """Mostly valid records, so that optional fields, integer edges and prompt-only records are compared too.

    The Python path must store what to_row accepts (a status beyond 32 bits had crashed the store), and the
    bulk path must build the same row (it had stored a NULL system_prompt for a record without messages).
    """
    raw = json.dumps(record, ensure_ascii=ascii_only)
    bulk, python = _both_paths(raw)
    if bulk is not None:
        assert python is not None, f"bulk accepted what to_row rejects: {raw}"
        assert bulk == python


def test_a_plain_spec_line_takes_the_bulk_path_with_every_field() -> None:
    record = {
        "request_id": "r1", "ts": 1777853741.822, "account_id": "a", "api_key_id": "k", "user_id": "u",
        "ip": "192.0.2.7", "user_agent": "ua", "asn": 64500, "payment_fingerprint": "pf", "email_domain": "e.org",
        "account_created_at": "2026-05-01T00:00:00+02:00", "model": "m",
        "messages": [{"role": "system", "content": "s1"}, {"role": "developer", "content": None},
                     {"role": "user", "content": "u1"}, {"role": "assistant", "content": "a"},
                     {"role": "user", "content": "é 💡"}],
        "prompt": "p", "response": "r", "reasoning": "why", "prompt_tokens": 1, "completion_tokens": 2,
        "reasoning_tokens": 3, "tool_calls": 0, "status": 429, "extra": {"z": 1, "a": [1.5, None]},
    }  # fmt: skip
    bulk, python = _both_paths(orjson.dumps(record).decode())
    assert bulk is not None and bulk == python
    assert (bulk["system_prompt"], bulk["user_prompt"], bulk["n_messages"], bulk["n_user_turns"]) == (
        "s1\n",
        "é 💡",
        5,
        2,
    )


def test_lenient_json_is_left_to_the_strict_parser() -> None:
    head = '{"request_id":"r","account_id":"a","model":"m","prompt":"p",'
    ts = '"ts":"2026-05-04T10:00:00Z"'
    top_level = [
        head + '"ts":NaN}',
        head + '"ts":1e400}',
        head + '"ts":-Infinity}',
        head + ts + ",}",
        head + ts + " ,\n }",
    ]
    nested = [
        head + ts + ', "extra": {"score": NaN}}',
        head + ts + ', "extra": {"scores": [1, -inf]}}',
        head + ts + ', "extra": {"big": 2.5E+308}}',
        head + ts + ', "extra": {"list": [1, 2 , ]}}',
        head + ts + ', "messages": [{"role": "user", "content": "x", "weight": nan}]}',
        head + ts + ', "messages": [{"role": "user", "content": "x"} ,]}',
    ]
    for raw in top_level + nested:
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(raw)
        store = RequestStore(duckdb.connect())
        assert store.stage_lines([0], [1], [raw], "f.jsonl") == set(), raw
    # Words in strings are not values: an ordinary record that mentions them keeps the fast path.
    finite = head + ts + ', "extra": {"score": 1.5, "note": "NaN, inf"}, "response": "x" , "status": 200}'
    assert RequestStore(duckdb.connect()).stage_lines([0], [1], [finite], "f.jsonl") == {0}


def _parquet_ingest(path: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Ingest a one-row Parquet file: the stored row (source_file left out), and the quarantine."""
    _, con, quarantined = run([path], path.parent)
    rows = con.execute(f"SELECT {', '.join(REQUEST_COLUMNS)} FROM requests").fetchall()
    stored = dict(zip(REQUEST_COLUMNS, rows[0], strict=True)) if rows else None
    if stored is not None:
        stored.pop("source_file")
    return stored, quarantined


def _per_row(record: dict[str, Any]) -> tuple[dict[str, Any] | None, tuple[str | None, str] | None]:
    """What the per-row path makes of a Parquet row: its stored row, or the (field, reason) it is rejected with."""
    plain = plain_record(pa.Table.from_pylist([record]).to_batches()[0], 0)
    try:
        row = to_row(plain)
    except RecordError as exc:
        return None, (exc.location.field, exc.reason)
    store = RequestStore(duckdb.connect())
    store.stage_rows([row[:-2] + ("f", 1)], [0])
    stored = _stored(store)
    assert stored is not None
    stored.pop("source_file")
    return stored, None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.booleans())
def test_parquet_rows_through_the_bulk_path_equal_the_per_row_path(record: dict[str, Any], as_text: bool) -> None:
    """A Parquet row written as a JSON line by DuckDB is stored, or quarantined, exactly as the per-row path would."""
    for nested in ("messages", "extra"):
        if as_text and isinstance(record.get(nested), list | dict):
            record[nested] = json.dumps(record[nested])  # JSON text in a string column, as many exports store it
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.parquet"
        try:
            pq.write_table(pa.Table.from_pylist([record]), path)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            assume(False)  # mixed types in one nested column, an empty struct: not a file Parquet can hold
        stored, quarantined = _parquet_ingest(path)
    expected, rejected = _per_row(record)
    assert stored == expected
    if rejected is None:
        assert quarantined == []
    else:
        assert [(q["line"], q["field"], q["reason"]) for q in quarantined] == [(1, *rejected)]


def test_a_parquet_export_keeps_row_numbers_and_the_decoded_record(tmp_path: Path) -> None:
    """The usual export (strings, integers, messages as JSON text): rows go in, a bad one is quarantined as read."""
    rows = [{**record(i), "messages": json.dumps(record(i)["messages"]), "prompt_tokens": i} for i in range(50)]
    rows[7]["ts"] = "yesterday"
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "log.parquet")
    stats, con, quarantined = run([tmp_path / "log.parquet"], tmp_path)
    assert (stats.read, stats.accepted) == (50, 49)
    assert [(q["line"], q["field"]) for q in quarantined] == [(8, "ts")]
    assert quarantined[0]["raw"] == orjson.dumps({**rows[7], "messages": record(7)["messages"]}).decode()
    texts = con.execute("SELECT user_prompt, source_line FROM requests ORDER BY source_line LIMIT 1").fetchall()
    assert texts == [("hello 0", 1)]


def test_a_repeated_key_at_any_depth_is_left_to_the_strict_parser(tmp_path: Path) -> None:
    """DuckDB keeps both copies of a repeated key; the fallback rejects the line and names the key."""
    head = '{"request_id":"r","account_id":"a","model":"m","prompt":"p","ts":"2026-05-04T10:00:00Z",'
    repeated = [
        head + '"extra":{"k":1,"k":2}}',
        head + '"extra":{"o":{"k":1,"k":2}}}',
        head + '"messages":[{"role":"user","content":"x","name":"a","name":"b"}]}',
    ]
    for raw in repeated:
        assert RequestStore(duckdb.connect()).stage_lines([0], [1], [raw], "f.jsonl") == set(), raw
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(repeated) + "\n")
    _, _, quarantined = run([path], tmp_path)
    assert [(q["field"], q["reason"].split(" in ")[0]) for q in quarantined] == [
        ("k", "duplicate key 'k'"),
        ("k", "duplicate key 'k'"),
        ("name", "duplicate key 'name'"),
    ]
    plain = head + '"extra":{"k":1,"j":[1,2]},"messages":[{"role":"user","content":"x"}]}'
    assert RequestStore(duckdb.connect()).stage_lines([0], [1], [plain], "f.jsonl") == {0}
