"""Mapping files: paths, conversions, loader errors that name file, line and key, and ``mapping check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.errors import InputError, RecordError
from distillshield.ingest import IngestStats, ingest_paths
from distillshield.ingest.mapping import BUILTINS, FieldMapping, Mapper, builtin_mapping, load_mapping
from distillshield.ingest.mapping.paths import MISSING, PathError, compile_path

SPAN = {
    "attributes": [
        {"key": "gen_ai.request.model", "value": {"stringValue": "atlas-3"}},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}},
    ],
    "events": [{"name": "a", "n": 1}, {"name": "b", "n": 2}],
    "body": '{"messages": [{"role": "user", "content": "hi"}]}',
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("attributes[key=gen_ai.request.model].value|any", "atlas-3"),
        ("attributes[key=gen_ai.usage.input_tokens].value|any", 42),
        ("events[*].n", [1, 2]),
        ("events[-1].name", "b"),
        ("body|json.messages[0].content", "hi"),
        ('"body"|json.messages[0].role', "user"),
        ("events[name=c].n", MISSING),
        ("nothing.here", MISSING),
    ],
)
def test_paths_read_nested_keys_array_items_json_in_strings_and_otlp_values(path: str, expected: Any) -> None:
    assert compile_path(path).get(SPAN, {}) == expected


@pytest.mark.parametrize("bad", ["", "a..b", "a[x]", "a|nope", "$root"])
def test_a_path_that_does_not_parse_is_an_error(bad: str) -> None:
    with pytest.raises(PathError):
        compile_path(bad)


def _mapping(tmp_path: Path, text: str) -> Mapper:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return Mapper(load_mapping(path))


BASE = """\
fields:
  request_id: id
  ts: {from: when, format: "%Y-%m-%d %H:%M", timezone: America/New_York}
  account_id: {join: [org, team], sep: "/"}
  model: {const: atlas-3}
  prompt: text
  ip: addr
  status: {from: outcome, map: {ok: 200, denied: 403}, default: ok}
hash: [ip]
"""


def test_a_mapping_converts_joins_maps_hashes_and_keeps_the_rest_under_extra(tmp_path: Path) -> None:
    mapper = _mapping(tmp_path, BASE)
    (out,) = mapper.map({"id": "r1", "when": "2026-01-15 09:30", "org": "o", "team": "t", "text": "hello",
                         "addr": "192.0.2.1", "outcome": "denied", "region": "eu"})  # fmt: skip
    assert out["ts"].isoformat() == "2026-01-15T14:30:00+00:00"  # EST is UTC-5 in January
    assert out["account_id"] == "o/t" and out["model"] == "atlas-3" and out["status"] == 403
    assert out["ip"] != "192.0.2.1" and len(out["ip"]) == 64
    assert out["extra"] == {"region": "eu"}
    (default,) = mapper.map({"id": "r2", "when": "2026-07-15 09:30", "org": "o", "team": "t", "text": "x"})
    assert default["status"] == 200 and default["ts"].hour == 13  # EDT in July


def test_a_record_that_breaks_a_rule_fails_naming_the_rule_and_its_line(tmp_path: Path) -> None:
    mapper = _mapping(tmp_path, BASE)
    (failure,) = mapper.map({"id": "r1", "when": "15/01/2026", "org": "o", "team": "t", "text": "x"})
    assert isinstance(failure, RecordError) and failure.location.field == "ts"
    assert "mapping rule fields.ts (line 3: from when)" in failure.reason and "%Y-%m-%d %H:%M" in failure.reason
    (missing,) = mapper.map({"id": "r1", "when": "2026-01-15 09:30", "org": "o", "text": "x"})
    assert isinstance(missing, RecordError) and "fields.account_id" in missing.reason


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("fields:\n  request_id: id\n  colour: c\n", 3, "fields.colour"),
        ("fields:\n  ts: {from: t, timezone: Mars/Olympus}\n", 2, "fields.ts.timezone"),
        ("fields:\n  model: {from: 'a[x]'}\n", 2, "fields.model.from"),
        ("fields:\n  model: {from: a, const: b}\n", 2, "fields.model.model"),
        ("fields:\n  model: {from: a, format: '%Y'}\n", 2, "fields.model.format"),
        ("fields:\n  ip: a\nhash: [user_id]\n", 3, "mapping.hash"),
        ("fields:\n  ip: a\n  ip: b\n", 3, "ip"),
    ],
)
def test_a_bad_mapping_file_names_the_file_line_and_key(tmp_path: Path, text: str, line: int, key: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.location.path == path
    assert (caught.value.location.line, caught.value.location.field) == (line, key)


def test_every_builtin_mapping_loads() -> None:
    for name in BUILTINS:
        assert builtin_mapping(name).name == name


def test_scan_quarantines_a_record_the_mapping_rejects_with_the_rule(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(BASE)
    log = tmp_path / "log.jsonl"
    good = {"id": "r1", "when": "2026-01-15 09:30", "org": "o", "team": "t", "text": "hello"}
    log.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps({**good, "id": "r2", "when": "soon"}) + b"\n")
    stats, entries = _ingest([log], tmp_path, load_mapping(tmp_path / "m.yaml"))
    assert (stats.accepted, stats.quarantined) == (1, 1)
    assert entries[0]["line"] == 2 and entries[0]["field"] == "ts" and "fields.ts" in entries[0]["reason"]
    assert orjson.loads(entries[0]["raw"])["when"] == "soon"  # quarantined as the source wrote it


def _ingest(paths: list[Path], tmp: Path, mapping: FieldMapping) -> tuple[IngestStats, list[dict[str, Any]]]:
    stats = ingest_paths(paths, duckdb.connect(), tmp / "quarantine.jsonl", mapping=mapping)
    entries = [orjson.loads(line) for line in (tmp / "quarantine.jsonl").read_bytes().splitlines() if line]
    assert stats.read == stats.accepted + stats.quarantined == 2
    return stats, entries


def test_mapping_check_previews_mapped_records_and_lists_unmapped_fields(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(BASE)
    log = tmp_path / "log.csv"
    log.write_text("id,when,org,team,text,region,shoe_size\nr1,2026-01-15 09:30,o,t,hello,eu,44\nr2,x,o,t,hi,eu,\n")
    result = CliRunner().invoke(app, ["mapping", "check", str(tmp_path / "m.yaml"), str(log)])
    assert result.exit_code == 0, result.output
    assert '"account_id": "o/t"' in result.output and "2026-01-15T14:30:00" in result.output
    assert "quarantined" in result.output and "fields.ts" in result.output
    assert "unmapped fields: region, shoe_size" in result.output
