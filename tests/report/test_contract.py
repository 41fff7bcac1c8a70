"""The scan output contract: each writer round-trips through its reader, and readers reject bad files precisely."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from distillshield.errors import InputError, PluginError, UnreadableFileError
from distillshield.records import VERDICTS, Campaign, Signal, Verdict
from distillshield.report import (
    ACCOUNTS_COLUMNS,
    AccountRow,
    TimelineRow,
    read_accounts_csv,
    read_campaigns_json,
    read_run_json,
    read_timeline_csv,
    write_accounts_csv,
    write_campaigns_json,
    write_timeline_csv,
)
from tests.report.scan_files import campaign, verdict

HEADER = "account_id,risk,verdict,campaign_id,reasons"

# --- accounts.csv -----------------------------------------------------------------------------


def test_accounts_header_is_exactly_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    write_accounts_csv([verdict("a", 0.1)], path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert ",".join(ACCOUNTS_COLUMNS) == HEADER


def test_accounts_round_trip_sorted_by_risk_then_id(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    verdicts = [
        verdict("b", 0.5, "suspicious"),
        verdict("a", 0.5, "suspicious"),
        verdict("z", 0.91234567, "distiller", "C0001"),
        verdict("m", 0.0),
    ]
    assert write_accounts_csv(verdicts, path) == 4
    rows = read_accounts_csv(path)
    assert [r.account_id for r in rows] == ["z", "a", "b", "m"]
    assert rows[0] == AccountRow("z", 0.9123, "distiller", "C0001", verdicts[2].reasons())
    assert rows[-1].campaign_id is None
    assert all(0.0 <= r.risk <= 1.0 and r.verdict in VERDICTS for r in rows)


def test_accounts_risk_has_four_decimals_and_empty_campaign(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    write_accounts_csv([Verdict("a", 1 / 3, "benign", None)], path)
    assert path.read_text(encoding="utf-8").splitlines()[1] == "a,0.3333,benign,,no signal fired"


def test_accounts_order_follows_the_written_risk(tmp_path: Path) -> None:
    # 0.12344 and 0.12341 both print as 0.1234, so the account id decides, as a reader of the file would expect.
    path = tmp_path / "accounts.csv"
    write_accounts_csv([Verdict("b", 0.12344, "benign", None), Verdict("a", 0.12341, "benign", None)], path)
    assert [r.account_id for r in read_accounts_csv(path)] == ["a", "b"]


def test_accounts_awkward_text_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    odd = 'org "quoted", with comma\nand newline'
    signal = Signal("x", "note", 'a;b,"c"', 0.4, detail="multi\nline")
    write_accounts_csv([Verdict(odd, 0.4, "benign", None, (signal,))], path)
    [row] = read_accounts_csv(path)
    assert row.account_id == odd
    assert row.reasons == signal.describe()


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (Verdict("a", 1.5, "benign", None), "outside"),
        (Verdict("a", -0.1, "benign", None), "outside"),
        (Verdict("a", float("nan"), "benign", None), "outside"),
        (Verdict("a", 0.5, "malicious", None), "not one of"),
    ],
)
def test_accounts_writer_refuses_records_that_break_the_contract(tmp_path: Path, bad: Verdict, reason: str) -> None:
    path = tmp_path / "accounts.csv"
    with pytest.raises(PluginError, match=reason):
        write_accounts_csv([bad], path)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary file is cleaned up too


def _accounts_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "line", "field"),
    [
        (["account_id,risk,verdict,campaign_id"], 1, None),
        (["risk,account_id,verdict,campaign_id,reasons"], 1, None),
        ([HEADER, "a,high,benign,,x"], 2, "risk"),
        ([HEADER, "a,0.1,benign,,x", "b,1.5,benign,,x"], 3, "risk"),
        ([HEADER, "a,nan,benign,,x"], 2, "risk"),
        ([HEADER, "a,-0.0001,benign,,x"], 2, "risk"),
        ([HEADER, "a,0.1,evil,,x"], 2, "verdict"),
        ([HEADER, ",0.1,benign,,x"], 2, "account_id"),
        ([HEADER, "a,0.1,benign,,x", "a,0.2,benign,,x"], 3, "account_id"),
        ([HEADER, "a,0.1,benign,x"], 2, None),
        # A quoted field spanning lines 2-3 pushes the bad record to line 4.
        ([HEADER, 'a,0.1,benign,,"two', 'lines"', "b,0.1,Benign,,x"], 4, "verdict"),
    ],
)
def test_accounts_reader_names_line_and_field(tmp_path: Path, lines: list[str], line: int, field: str | None) -> None:
    path = _accounts_file(tmp_path, *lines)
    with pytest.raises(InputError) as caught:
        read_accounts_csv(path)
    assert caught.value.location.path == path
    assert (caught.value.location.line, caught.value.location.field) == (line, field)
    assert str(path) in str(caught.value)


def test_accounts_reader_skips_blank_lines_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("\ufeff" + HEADER + "\n\na,0.1,benign,,x\n\n", encoding="utf-8")
    assert [r.account_id for r in read_accounts_csv(path)] == ["a"]


def test_accounts_reader_empty_missing_and_binary_files(tmp_path: Path) -> None:
    empty = _accounts_file(tmp_path)
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty file"):
        read_accounts_csv(empty)
    with pytest.raises(UnreadableFileError):
        read_accounts_csv(tmp_path / "absent.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(HEADER.encode() + b"\n\xff\xfe,0.1,benign,,x\n")
    with pytest.raises(UnreadableFileError, match="UTF-8"):
        read_accounts_csv(binary)


# --- campaigns.json ---------------------------------------------------------------------------


def test_campaigns_round_trip_in_risk_order(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.json"
    low = campaign("C0002", ["x"], 0.6)
    high = campaign("C0001", ["a", "b"], 0.9, {"links": {"payment": {"pairs": 1, "top_keys": ["card-1"]}}})
    assert write_campaigns_json([low, high], path) == 2
    rows = read_campaigns_json(path)
    assert [r.campaign_id for r in rows] == ["C0001", "C0002"]
    assert rows[0].accounts == ("a", "b")
    assert (rows[0].first_seen, rows[0].last_seen) == (high.first_seen, high.last_seen)
    assert rows[0].requests == 1234
    assert rows[0].evidence == high.evidence


def test_campaigns_timestamps_are_rfc3339_utc_with_z(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.json"
    plus_two = timezone(timedelta(hours=2))
    record = Campaign("C1", ("a",), 0.5, datetime(2026, 1, 1, 12, 0), datetime(2026, 1, 2, 12, 0, tzinfo=plus_two), 3)
    write_campaigns_json([record], path)
    [raw] = json.loads(path.read_text(encoding="utf-8"))
    # A naive datetime is already UTC by the records convention; an aware one is converted.
    assert (raw["first_seen"], raw["last_seen"]) == ("2026-01-01T12:00:00Z", "2026-01-02T10:00:00Z")
    assert set(raw) == {"campaign_id", "accounts", "risk", "first_seen", "last_seen", "requests", "evidence"}
    assert read_campaigns_json(path)[0].first_seen == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_campaigns_evidence_from_query_results_serialises(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.json"
    evidence: dict[str, object] = {"prompt_tokens": Decimal(12), "share": Decimal("0.5"), "keys": {"b", "a"}}
    write_campaigns_json([campaign("C1", ["a"], 0.5, evidence)], path)
    assert read_campaigns_json(path)[0].evidence == {"prompt_tokens": 12, "share": 0.5, "keys": ["a", "b"]}


def test_campaigns_writer_refuses_bad_risk_and_unserialisable_evidence(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="outside"):
        write_campaigns_json([campaign("C1", ["a"], 1.2)], tmp_path / "c.json")
    with pytest.raises(PluginError, match="JSON"):
        write_campaigns_json([campaign("C1", ["a"], 0.5, {"bad": object()})], tmp_path / "c.json")
    assert list(tmp_path.iterdir()) == []


def test_campaigns_empty_list(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.json"
    assert write_campaigns_json([], path) == 0
    assert path.read_text(encoding="utf-8").strip() == "[]"
    assert read_campaigns_json(path) == []


GOOD = {
    "campaign_id": "C1",
    "accounts": ["a"],
    "risk": 0.5,
    "first_seen": "2026-01-01T00:00:00Z",
    "last_seen": "2026-01-02T00:00:00Z",
    "requests": 3,
    "evidence": {},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"campaign_id": ""}, "[0].campaign_id"),
        ({"accounts": "a"}, "[0].accounts"),
        ({"accounts": ["a", 7]}, "[0].accounts"),
        ({"risk": 1.01}, "[0].risk"),
        ({"risk": True}, "[0].risk"),
        ({"requests": -1}, "[0].requests"),
        ({"requests": 2.5}, "[0].requests"),
        ({"first_seen": "yesterday"}, "[0].first_seen"),
        ({"first_seen": "2026-01-01T00:00:00"}, "[0].first_seen"),
        ({"last_seen": "2025-12-31T00:00:00Z"}, "[0].last_seen"),
        ({"evidence": []}, "[0].evidence"),
    ],
)
def test_campaigns_reader_names_the_bad_field(tmp_path: Path, change: dict[str, object], field: str) -> None:
    path = tmp_path / "campaigns.json"
    path.write_text(json.dumps([GOOD | change]), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_campaigns_json(path)
    assert caught.value.location.field == field


def test_campaigns_reader_shape_errors(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.json"
    missing = {k: v for k, v in GOOD.items() if k != "evidence"}
    for content, field in (([GOOD, missing], "[1].evidence"), ([GOOD, GOOD], "[1].campaign_id"), ([3], "[0]")):
        path.write_text(json.dumps(content), encoding="utf-8")
        with pytest.raises(InputError) as caught:
            read_campaigns_json(path)
        assert caught.value.location.field == field
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    with pytest.raises(InputError, match="array"):
        read_campaigns_json(path)
    path.write_text('[\n  {"campaign_id": "C1",\n  oops\n]', encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON") as caught:
        read_campaigns_json(path)
    assert caught.value.location.line == 3


def test_campaigns_reader_names_the_line_where_the_bad_object_starts(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.json"
    text = json.dumps(
        [GOOD, GOOD | {"campaign_id": "C2", "accounts": ["a", "b"]}, GOOD | {"campaign_id": "C3", "risk": 2}], indent=2
    )
    path.write_text(text, encoding="utf-8")
    starts = [number for number, line in enumerate(text.splitlines(), start=1) if line == "  {"]
    with pytest.raises(InputError) as caught:
        read_campaigns_json(path)
    assert (caught.value.location.line, caught.value.location.field) == (starts[2], "[2].risk")
    assert f"campaigns.json:{starts[2]}" in str(caught.value)


def test_campaigns_reader_keeps_extension_keys_out_of_the_way(tmp_path: Path) -> None:
    path = tmp_path / "campaigns.json"
    path.write_text(json.dumps([GOOD | {"stix_id": "campaign--1"}]), encoding="utf-8")
    assert read_campaigns_json(path)[0].campaign_id == "C1"


# --- timeline.csv -----------------------------------------------------------------------------


def test_timeline_round_trip_sorted(tmp_path: Path) -> None:
    path = tmp_path / "timeline.csv"
    rows = [("2026-03-02", "other", 10), ("2026-03-01", "flagged", 2), ("2026-03-01", "C0001", 7)]
    assert write_timeline_csv(rows, path) == 3
    assert path.read_text(encoding="utf-8").splitlines()[0] == "day,group,requests"
    assert read_timeline_csv(path) == [
        TimelineRow("2026-03-01", "C0001", 7),
        TimelineRow("2026-03-01", "flagged", 2),
        TimelineRow("2026-03-02", "other", 10),
    ]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("2026-3-1,other,1", "day"),
        ("2026-02-30,other,1", "day"),
        ("2026-03-01,,1", "group"),
        ("2026-03-01,x,-1", "requests"),
    ],
)
def test_timeline_reader_names_the_bad_field(tmp_path: Path, row: str, field: str) -> None:
    path = tmp_path / "timeline.csv"
    path.write_text(f"day,group,requests\n{row}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_timeline_csv(path)
    assert (caught.value.location.line, caught.value.location.field) == (2, field)


def test_timeline_writer_refuses_a_bad_day(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        write_timeline_csv([("March 1", "other", 1)], tmp_path / "timeline.csv")


# --- run.json ---------------------------------------------------------------------------------


def test_run_json_fills_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"counts": {"read": 5}, "timings_s": "n/a", "extra": 1}), encoding="utf-8")
    run = read_run_json(path)
    assert run["counts"]["read"] == 5
    assert run["counts"]["accepted"] is None  # "not recorded" is not zero
    assert run["timings_s"] == {} and run["inputs"] == [] and run["settings"] == {}
    assert run["distillshield"] is None and run["extra"] == 1


def test_run_json_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="object"):
        read_run_json(path)


def test_writers_leave_no_temporary_files(tmp_path: Path) -> None:
    write_accounts_csv([verdict("a", 0.2)], tmp_path / "accounts.csv")
    write_campaigns_json([], tmp_path / "campaigns.json")
    write_timeline_csv([], tmp_path / "timeline.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv", "campaigns.json", "timeline.csv"]
