"""A mapping compiled to SQL gives the rows and the quarantine the Python mapper gives, whatever the source lines
hold; which mappings compile, and that the compiled path is the one taken."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from distillshield.ingest import ingest_paths
from distillshield.ingest.mapping import BUILTINS, FieldMapping, Mapper, builtin_mapping, load_mapping
from distillshield.ingest.mapping.compiled import why_not_compiled
from distillshield.ingest.store import parse_lines
from tests.ingest.helpers import record
from tests.ingest.mapping.formats import CUSTOM_MAPPING, LOCAL_FORMAT, custom_record, to_bedrock, to_otel

SALT_ENV = "DISTILLSHIELD_TEST_MAPPING_SALT"
SALTED = CUSTOM_MAPPING.replace(
    "hash: [payment_fingerprint]", f"hash: [payment_fingerprint, ip]\nhash_salt_env: {SALT_ENV}"
)
#: The same schema with the things the SQL compiles and the custom mapping leaves out: an ISO time, a default,
#: a constant, several sources, a required rule, an integer read from text, and text read as is.
WIDE = """\
name: wide
fields:
  request_id: {from: [meta.id, meta.alt_id]}
  ts: {from: meta.at, timezone: UTC}
  account_id: {from: meta.org.id, required: true}
  user_id: {const: analyst}
  model: {from: "payload|json.model", default: atlas-default}
  messages: {from: "payload|json.messages", type: any}
  prompt: meta.prompt
  status: {from: result.code, type: int}
  tool_calls: {from: result.tools, default: 0}
  response: {from: result.text, type: text}
extra: none
"""


def _mapping(text: str, tmp: Path) -> FieldMapping:
    path = tmp / "mapping.yaml"
    path.write_text(text)
    return load_mapping(path)


@contextmanager
def _salt(value: str) -> Iterator[None]:
    os.environ[SALT_ENV] = value
    try:
        yield
    finally:
        del os.environ[SALT_ENV]


def _ingest(lines: list[bytes], mapping: FieldMapping, compiled: bool) -> tuple[list[Any], list[dict[str, Any]]]:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.jsonl"
        log.write_bytes(b"".join(line + b"\n" for line in lines))
        quarantine = Path(tmp) / "quarantine.jsonl"
        con = duckdb.connect()
        stats = ingest_paths([log], con, quarantine, mapping=mapping, compile_mappings=compiled)
        rows = con.execute("SELECT * EXCLUDE (source_file) FROM requests ORDER BY source_line, request_id").fetchall()
        text = quarantine.read_text() if quarantine.exists() else ""
        entries = [json.loads(line) for line in text.split("\n") if line]
        for entry in entries:
            entry.pop("file", None)
        assert stats.read == stats.accepted + stats.quarantined == len(entries) + len(rows) + stats.duplicates
        return rows, entries


def assert_same(lines: list[bytes], mapping: FieldMapping) -> list[Any]:
    """Both paths give the same rows and the same quarantine; returns the rows."""
    rows, quarantined = _ingest(lines, mapping, compiled=True)
    python_rows, python_quarantined = _ingest(lines, mapping, compiled=False)
    assert rows == python_rows
    assert quarantined == python_quarantined
    return rows


# --- hostile source lines ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**66), 2**66) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
#: Local times that matter: ordinary, in the spring gap and the autumn fold (Europe/Berlin), next to them,
#: impossible dates, loose spellings Python reads and the SQL declines, and junk.
times = st.sampled_from(
    [
        "04.05.2026 02:00:25.067000",
        "29.03.2026 02:30:00.000000",
        "29.03.2026 01:59:59.999999",
        "29.03.2026 03:00:00.000000",
        "25.10.2026 02:30:00.000000",
        "25.10.2026 08:30:00.000000",
        "31.02.2026 10:00:00.000000",
        "4.5.2026 2:00:25.5",
        "04.05.2026  02:00:25.067000",
        "04.05.2026 24:00:00.000000",
        "04.05.2026 23:59:60.000000",
        "01.01.1969 00:00:00.000000",
        "31.12.2199 23:00:00.000000",
        "04.05.2026T02:00:25.067000",
        "",
        "yesterday",
    ]
)
leaves = st.sampled_from(
    [
        ("meta", "id"),
        ("meta", "when"),
        ("meta", "org", "id"),
        ("meta", "key", "prefix"),
        ("client", "addr"),
        ("client", "asn"),
        ("billing", "card"),
        ("billing", "since"),
        ("payload",),
        ("result", "text"),
        ("result", "usage", "in"),
        ("result", "outcome"),
        ("meta",),
        ("result",),
    ]
)
#: Text-level damage the Python parser rejects or reads differently from DuckDB, spliced in at random places.
splices = st.sampled_from(
    [
        ',"meta":{"id":"dup"}',
        ',"x":NaN',
        ',"x":-Infinity',
        ',"x":1e400',
        ',"x":[1,2,]',
        ',"x":{"a":1,"a":2}',
        ',"x":{"a":{"b":1}}',
        ',"x":[{"a":1}]',
        ',"x":1.5',
        ',"x":"\\u0000"',
        ',"x":"\\ud800"',
        ',"x":"{\\"a\\":1}"',
        ' ,"x" : 1 ',
    ]
)
payloads = st.sampled_from(
    [
        '{"model":"m","messages":[{"role":"user","content":"hi"}]}',
        '{"model":"m","messages":[{"content":"hi","role":"user"}]}',
        '{"model":"m","messages":[{"role":"user","content":null}]}',
        '{"model":"m","messages":[{"role":"user","content":"a"},{"role":"system","content":"s"}]}',
        '{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}',
        '{"model":"m","messages":[{"role":"user","content":"hi","name":"x"}]}',
        '{"model":"m","model":"n","messages":[{"role":"user","content":"hi"}]}',
        '{"model":"m","messages":[{"role":"user","content":"hi"}],}',
        '{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":NaN}',
        '{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.7}',
        '{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"a":1,"a":2}]}',
        '{"model":"m","messages":[{"role":"user","role":"system","content":"hi"}]}',
        '{"model":"m","messages":[]}',
        '{"model":"m","messages":{"messages":[{"role":"user","content":"hi"}]}}',
        '{"model":7,"messages":[{"role":"user","content":"hi"}]}',
        '[{"model":"m"}]',
        '{"model":"m"',
        "",
        '  {"model":"m","messages":[{"role":"user","content":"{\\"role\\":\\"x\\"}"}]}  ',
    ]
)


def _set(item: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        inner = item.get(key)
        if not isinstance(inner, dict):
            inner = item[key] = {}
        item = inner
    item[path[-1]] = value


def _dumps(value: Any) -> str:
    """Compact JSON as a gateway writes it; integers past 64 bits and infinities too (hostile, and kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@st.composite
def source_lines(draw: st.DrawFn) -> bytes:
    """A custom-schema line from a valid record, with some leaves replaced, times and payloads varied, and
    text-level damage spliced in."""
    base = record(draw(st.integers(0, 9)), ip="10.0.0.1", asn=64500, payment_fingerprint="pf_1", status=200)
    base["ts"] = "2026-05-04T10:00:00Z"
    line = custom_record({**base, "account_created_at": "2026-01-01T00:00:00Z"})
    if draw(st.booleans()):
        line["meta"]["when"] = draw(times)
    if draw(st.booleans()):
        line["payload"] = draw(payloads)
    for path in draw(st.lists(leaves, max_size=3)):
        _set(line, path, draw(json_values | times))
    text = _dumps(line)
    for splice in draw(st.lists(splices, max_size=2)):
        at = draw(st.sampled_from([m.end() for m in re.finditer(r'"[^"\\]*":\{', text)] or [1]))
        # Inside an object, after its first key's opening brace: the splice's leading comma follows a value.
        close = text.find("}", at)
        text = text[:close] + splice + text[close:] if close > 0 else text
    return text.encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(source_lines(), min_size=1, max_size=12), st.sampled_from(["", "pepper", "sel-ß"]))
def test_compiled_and_python_mapping_agree_on_hostile_lines(lines: list[bytes], salt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, _salt(salt):
        mapping = _mapping(SALTED, Path(tmp))
        assert why_not_compiled(mapping) is None
        assert_same(lines, mapping)


@st.composite
def wide_lines(draw: st.DrawFn) -> bytes:
    item: dict[str, Any] = {
        "meta": {"id": f"r-{draw(st.integers(0, 5))}", "at": "2026-05-04T10:00:00.5+02:00", "org": {"id": "acct-1"}},
        "payload": '{"model":"m","messages":[{"role":"user","content":"hi"}]}',
        "result": {"code": "200", "text": "ok"},
    }
    for path in draw(st.lists(st.sampled_from([
        ("meta", "id"), ("meta", "alt_id"), ("meta", "at"), ("meta", "org", "id"), ("meta", "prompt"), ("payload",),
        ("result", "code"), ("result", "tools"), ("result", "text"),
    ]), max_size=3)):  # fmt: skip
        value = draw(
            json_values
            | st.sampled_from(["2026-05-04 10:00:00", "2026-05-04T10:00:00", "-7", "007", "--5", " 12", "1_0", "٣"])
        )
        _set(item, path, value)
    return _dumps(item).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(wide_lines(), min_size=1, max_size=12))
# Found by this test: a line the SQL declines whose mapped record the spec path's bulk SQL takes (a prompt-only
# record; its system prompt is NULL there, "" by the per-record validator), and a text that is no integer.
@example([b'{"meta":{"id":"r-0","at":"2026-05-04T10:00:00Z","org":{"id":"a"},"prompt":"p"},"payload":{}}'])
@example([b'{"meta":{"id":"r-0","at":"2026-05-04T10:00:00Z","org":{"id":"a"}},"result":{"code":"ok"}}'])
def test_compiled_and_python_mapping_agree_on_every_compiled_rule_kind(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mapping = _mapping(WIDE, Path(tmp))
        assert why_not_compiled(mapping) is None
        assert_same(lines, mapping)


# --- the compiled path is the one taken ----------------------------------------------------------------------


def test_clean_custom_lines_are_all_taken_by_the_sql(tmp_path: Path) -> None:
    """Without this the agreement above could hold because the SQL declined every line."""
    mapping = _mapping(CUSTOM_MAPPING, tmp_path)
    compiled = Mapper(mapping).compiled
    assert compiled is not None
    records = [record(i, ip="10.0.0.1", asn=64500, status=429 if i % 2 else 200) for i in range(20)]
    lines = [orjson.dumps(custom_record(r)).decode() for r in records]
    con = duckdb.connect()
    table = parse_lines(
        con, list(range(20)), list(range(1, 21)), pa.array(lines), "log", compiled.rows_sql, compiled.params
    )
    assert sorted(table.column("_pos").to_pylist()) == list(range(20))
    assert sorted(table.column("status").to_pylist()) == [200] * 10 + [429] * 10
    rows = assert_same([line.encode() for line in lines], mapping)
    assert len(rows) == 20


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """Local wall times (naive) at which ``zone`` changes its UTC offset in ``year``, to the minute."""
    found, moment = [], datetime(year, 1, 1)
    while moment.year == year:
        step = moment + timedelta(minutes=15)
        if zone.utcoffset(moment) != zone.utcoffset(step):
            found.append(step)
        moment = step
    return found


#: Zones whose transitions are not whole hours on the hour: Berlin's spring gap and autumn fold, Lord Howe's
#: half-hour shift, Chatham's +12:45/+13:45 at 02:45 local, and Kathmandu's move from +05:30 to +05:45 in 1986.
ZONE_YEARS = [("Europe/Berlin", 2026), ("Australia/Lord_Howe", 2026), ("Pacific/Chatham", 2026),
              ("Asia/Kathmandu", 1986)]  # fmt: skip


@pytest.mark.parametrize(("zone_name", "year"), ZONE_YEARS)
def test_local_times_around_a_transition_convert_alike_either_way(tmp_path: Path, zone_name: str, year: int) -> None:
    """The SQL converts a local time by its hour's offset and declines hours near a transition; every time from
    six hours before each transition to six after, 17 minutes apart, gives the Python mapper's row or
    quarantine, and the times at least five hours away are the SQL's own."""
    zone = ZoneInfo(zone_name)
    mapping = _mapping(CUSTOM_MAPPING.replace("Europe/Berlin", zone_name), tmp_path)
    compiled = Mapper(mapping).compiled
    assert compiled is not None
    transitions = _transitions(zone, year)
    assert transitions
    times = [t + timedelta(minutes=17 * k, seconds=k) for t in transitions for k in range(-22, 22)]
    lines = []
    for i, local in enumerate(times):
        line = custom_record(record(i, account_created_at="2026-01-01T00:00:00Z"))
        line["meta"]["when"] = local.strftime(LOCAL_FORMAT)
        line["billing"]["since"] = times[-1 - i].strftime(LOCAL_FORMAT)
        lines.append(orjson.dumps(line))
    rows = assert_same(lines, mapping)
    assert len(rows) >= len(times) // 2
    con = duckdb.connect()
    texts = pa.array([line.decode() for line in lines])
    n = len(lines)
    table = parse_lines(con, list(range(n)), list(range(n)), texts, "log", compiled.rows_sql, compiled.params)
    far = {i for i, local in enumerate(times) if all(abs(local - t) >= timedelta(hours=5) for t in transitions)}
    far &= {i for i in far if n - 1 - i in far}  # the account creation time is far from one too
    assert far and far <= set(table.column("_pos").to_pylist())


def test_a_bad_record_is_quarantined_naming_the_rule_through_the_compiled_path(tmp_path: Path) -> None:
    mapping = _mapping(CUSTOM_MAPPING, tmp_path)
    good = orjson.dumps(custom_record(record(1)))
    bad = orjson.dumps({"meta": {"id": "x", "when": "31.02.2026 10:00:00.000000"}})
    rows, quarantined = _ingest([good, bad], mapping, compiled=True)
    assert len(rows) == 1
    assert [(q["line"], q["field"]) for q in quarantined] == [(2, "ts")]
    assert "mapping rule fields.ts (line 4: from meta.when)" in quarantined[0]["reason"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: r\nrecords: [{each: 'items[*]'}]\nfields: {request_id: id}\n", "records"),
        ("name: u\nfields: {request_id: id, ts: t, account_id: a, model: m, prompt: p}\n", "extra: unmapped"),
        ("name: s\nextra: none\nfields: {request_id: 'ids[0]', ts: t, account_id: a, model: m, prompt: p}\n", "[0]"),
        ("name: t\nextra: none\nfields: {request_id: i, ts: {from: t, format: unix}, account_id: a, model: m}\n",
         "format unix"),
        ("name: z\nextra: none\nfields: {request_id: i, ts: {from: t, format: '%d %b %Y', timezone: UTC},"
         " account_id: a, model: m}\n", "%b"),
    ],
)  # fmt: skip
def test_features_the_sql_does_not_compile_leave_the_mapping_in_python(tmp_path: Path, text: str, reason: str) -> None:
    found = why_not_compiled(_mapping(text, tmp_path))
    assert found is not None and reason in found


@pytest.mark.parametrize("name", BUILTINS)
def test_the_builtin_mappings_run_in_python_and_say_why(name: str) -> None:
    assert why_not_compiled(builtin_mapping(name)) is not None
    assert Mapper(builtin_mapping(name)).compiled is None


def _litellm_lines() -> list[bytes]:
    rows = [
        {"request_id": f"r{i}", "startTime": "2026-05-04 10:00:00", "team_id": "t1", "api_key": "k", "model": "m",
         "messages": orjson.dumps([{"role": "user", "content": f"hi {i}"}]).decode(), "response": "ok"}
        for i in range(5)
    ]  # fmt: skip
    return [orjson.dumps(r) for r in rows]


@pytest.mark.parametrize("name", BUILTINS)
def test_the_builtin_mappings_give_the_same_rows_either_way(name: str) -> None:
    records = [record(i, response="fine", prompt_tokens=3, completion_tokens=4) for i in range(6)]
    lines = {
        "otel-genai": lambda: to_otel(records, per_line=2)[0],
        "bedrock": lambda: to_bedrock(records)[0],
        "litellm": _litellm_lines,
    }[name]()
    rows = assert_same(lines, builtin_mapping(name))
    assert len(rows) in (5, 6)
