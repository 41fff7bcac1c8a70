"""The scan output contract: writers and validating readers for each file of a scan directory.

Writers check what they are given against the contract and raise
:class:`~distillshield.errors.PluginError` when a verdict or campaign breaks it
(a risk outside [0, 1], an unknown verdict): such records come from the detect
stage's plugins, and a bad file must never reach a downstream consumer. The
timeline comes from the pipeline itself, so a bad row there is a bug and raises
``ValueError``.

Readers treat the files as user input, since anyone may hand the report or the
evaluator a directory made elsewhere, and raise
:class:`~distillshield.errors.InputError` naming the file, line and field of the
first bad value.

Every writer replaces its file atomically, so an interrupted scan leaves either
the previous file or the new one, never half of one.
"""

from __future__ import annotations

import csv
import json
import numbers
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from distillshield.csvcells import safe_row, unescape_cell
from distillshield.errors import InputError, Location, PluginError, UnreadableFileError
from distillshield.records import VERDICTS, Campaign, Verdict

#: Header of accounts.csv, exactly, in this order.
ACCOUNTS_COLUMNS = ("account_id", "risk", "verdict", "campaign_id", "reasons")
#: Header of timeline.csv, exactly, in this order.
TIMELINE_COLUMNS = ("day", "group", "requests")
#: Keys every campaigns.json object must carry; more keys are a compatible extension.
CAMPAIGN_KEYS = ("campaign_id", "accounts", "risk", "first_seen", "last_seen", "requests", "evidence")
#: timeline.csv groups that are not campaign ids.
FLAGGED_GROUP = "flagged"
OTHER_GROUP = "other"

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_SERIALIZE_NUMPY


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One row of accounts.csv as read back."""

    account_id: str
    risk: float
    verdict: str
    campaign_id: str | None
    reasons: str


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One object of campaigns.json as read back; timestamps are aware, in UTC."""

    campaign_id: str
    accounts: tuple[str, ...]
    risk: float
    first_seen: datetime
    last_seen: datetime
    requests: int
    evidence: dict[str, Any] = field(default_factory=dict)


class TimelineRow(NamedTuple):
    """One row of timeline.csv: requests on ``day`` (YYYY-MM-DD, UTC) by ``group``."""

    day: str
    group: str
    requests: int


# --- shared helpers ---------------------------------------------------------------------------


@contextmanager
def _replacing(path: Path) -> Iterator[IO[str]]:
    """A text file that takes ``path``'s place only once it is completely written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC as RFC 3339 with ``Z``; a naive datetime is taken to be UTC already."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_risk(risk: float, what: str) -> float:
    # numbers.Real admits numpy scalars, which scorers built on numpy hand back
    if not isinstance(risk, numbers.Real) or isinstance(risk, bool) or not 0.0 <= risk <= 1.0:
        raise PluginError(f"{what} has risk {risk!r}, outside the contract's [0, 1]")
    return float(risk)


def iter_csv(path: Path, columns: Sequence[str], *, exact: bool = True) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each record of a CSV file with a header, checking its shape.

    With ``exact`` the header must be ``columns`` in order; otherwise it must
    contain them, and other columns are passed through. ``line`` is the 1-based
    line on which the record starts (a quoted field may span lines). Blank lines
    are skipped; a leading byte-order mark is ignored.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from _records(path, handle, columns, exact)
    except OSError as exc:
        raise UnreadableFileError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc


def _records(path: Path, handle: IO[str], columns: Sequence[str], exact: bool) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(handle)
    line = 0  # the last line consumed; a record starts on the line after it
    try:
        header = _check_header(path, next(reader, None), columns, exact)
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise InputError(f"expected {len(header)} fields, found {len(row)}", Location(path, start))
            yield start, dict(zip(header, map(unescape_cell, row), strict=True))
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"not UTF-8 text ({exc.reason})", Location(path, line + 1)) from exc
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", Location(path, line + 1)) from exc


def _check_header(path: Path, header: list[str] | None, columns: Sequence[str], exact: bool) -> list[str]:
    if header is None:
        raise InputError(f"empty file; expected the header {','.join(columns)}", Location(path, 1))
    missing = [c for c in columns if c not in header]
    if (exact and tuple(header) != tuple(columns)) or missing:
        want = "exactly" if exact else "at least the columns"
        raise InputError(f"header is {','.join(header)}; expected {want} {','.join(columns)}", Location(path, 1))
    if len(set(header)) != len(header):
        raise InputError(f"header repeats a column: {','.join(header)}", Location(path, 1))
    return header


# --- accounts.csv -----------------------------------------------------------------------------


def write_accounts_csv(verdicts: Iterable[Verdict], path: Path) -> int:
    """Write accounts.csv, highest risk first, and return the number of rows.

    Rows are ordered by the risk as written (four decimals), then by account id,
    so that the file is sorted by its own contents whatever digits were dropped.
    """
    rows = [_account_fields(v) for v in verdicts]
    rows.sort(key=lambda r: (-float(r[1]), r[0]))
    with _replacing(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ACCOUNTS_COLUMNS)
        writer.writerows(safe_row(r) for r in rows)
    return len(rows)


def _account_fields(verdict: Verdict) -> tuple[str, str, str, str, str]:
    what = f"verdict for account {verdict.account_id!r}"
    risk = _check_risk(verdict.risk, what)
    if verdict.verdict not in VERDICTS:
        raise PluginError(f"{what} is {verdict.verdict!r}, not one of {', '.join(VERDICTS)}")
    campaign = verdict.campaign_id or ""
    return verdict.account_id, f"{risk:.4f}", verdict.verdict, campaign, verdict.reasons()


def read_accounts_csv(path: Path) -> list[AccountRow]:
    """Read and validate accounts.csv; raise :class:`InputError` at the first bad value."""
    rows: list[AccountRow] = []
    seen: set[str] = set()
    for line, raw in iter_csv(path, ACCOUNTS_COLUMNS):
        row = _account_row(path, line, raw)
        if row.account_id in seen:
            raise InputError(f"account {row.account_id!r} appears twice", Location(path, line, "account_id"))
        seen.add(row.account_id)
        rows.append(row)
    return rows


def _account_row(path: Path, line: int, raw: dict[str, str]) -> AccountRow:
    if not raw["account_id"]:
        raise InputError("account_id is empty", Location(path, line, "account_id"))
    risk = _parse_risk(raw["risk"], Location(path, line, "risk"))
    if raw["verdict"] not in VERDICTS:
        where = Location(path, line, "verdict")
        raise InputError(f"{raw['verdict']!r} is not one of {', '.join(VERDICTS)}", where)
    return AccountRow(raw["account_id"], risk, raw["verdict"], raw["campaign_id"] or None, raw["reasons"])


def _parse_risk(text: str, where: Location) -> float:
    try:
        risk = float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number", where) from None
    if not 0.0 <= risk <= 1.0:  # also rejects nan, for which every comparison is false
        raise InputError(f"{text} is outside [0, 1]", where)
    return risk


# --- campaigns.json ---------------------------------------------------------------------------


def write_campaigns_json(campaigns: Iterable[Campaign], path: Path) -> int:
    """Write campaigns.json, highest risk first (ties by campaign id), and return the count."""
    objects = sorted((_campaign_object(c) for c in campaigns), key=lambda o: (-o["risk"], o["campaign_id"]))
    try:
        data = orjson.dumps(objects, default=_json_default, option=_JSON_OPTIONS)
    except orjson.JSONEncodeError as exc:
        raise PluginError(f"campaign evidence cannot be written as JSON: {exc}") from exc
    with _replacing(path) as handle:
        handle.write(data.decode("utf-8") + "\n")
    return len(objects)


def _campaign_object(campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign_id": campaign.campaign_id,
        "accounts": list(campaign.accounts),
        "risk": round(_check_risk(campaign.risk, f"campaign {campaign.campaign_id!r}"), 4),
        "first_seen": rfc3339(campaign.first_seen),
        "last_seen": rfc3339(campaign.last_seen),
        "requests": int(campaign.requests),
        "evidence": campaign.evidence,
    }


def _json_default(value: object) -> object:
    """Types that evidence built from query results holds and orjson does not know."""
    if isinstance(value, Decimal):  # DuckDB sums of integers come back as decimals
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def read_campaigns_json(path: Path) -> list[CampaignRow]:
    """Read and validate campaigns.json; an error names the line where the bad object starts and its ``[i].key``."""
    data = _load_json(path)
    if not isinstance(data, list):
        raise InputError("expected a JSON array of campaigns", Location(path))
    rows: list[CampaignRow] = []
    seen: set[str] = set()
    try:
        for i, item in enumerate(data):
            row = _campaign_row(path, i, item)
            if row.campaign_id in seen:
                raise InputError(f"campaign {row.campaign_id!r} appears twice", Location(path, 0, f"[{i}].campaign_id"))
            seen.add(row.campaign_id)
            rows.append(row)
    except InputError as exc:
        where = exc.location
        raise InputError(exc.reason, Location(path, _element_line(path, len(rows)), where.field)) from None
    return rows


def _element_line(path: Path, index: int) -> int:
    """The 1-based line on which element ``index`` of the file's top-level array starts; 0 if not found.

    Only called on the error path, so it may parse the file a second time.
    """
    text = path.read_text(encoding="utf-8")
    decoder, at = json.JSONDecoder(), text.find("[") + 1
    for _ in range(index):
        try:
            _, at = decoder.raw_decode(text, _skip(text, at))
        except ValueError:
            return 0
        at = _skip(text, at)
        at += text.startswith(",", at)
    return text.count("\n", 0, _skip(text, at)) + 1 if at else 0


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _load_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise UnreadableFileError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    except orjson.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", Location(path, exc.lineno)) from exc


def _campaign_row(path: Path, index: int, item: object) -> CampaignRow:
    def where(key: str) -> Location:
        return Location(path, 0, f"[{index}].{key}")

    if not isinstance(item, dict):
        raise InputError("expected a JSON object", Location(path, 0, f"[{index}]"))
    for key in CAMPAIGN_KEYS:
        if key not in item:
            raise InputError("missing", where(key))
    first = _parse_time(item["first_seen"], where("first_seen"))
    last = _parse_time(item["last_seen"], where("last_seen"))
    if last < first:
        raise InputError("last_seen is before first_seen", where("last_seen"))
    return CampaignRow(
        campaign_id=_nonempty_str(item["campaign_id"], where("campaign_id")),
        accounts=_account_list(item["accounts"], where("accounts")),
        risk=_json_risk(item["risk"], where("risk")),
        first_seen=first,
        last_seen=last,
        requests=_count(item["requests"], where("requests")),
        evidence=_mapping(item["evidence"], where("evidence")),
    )


def _nonempty_str(value: object, where: Location) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"expected a non-empty string, found {value!r}", where)
    return value


def _account_list(value: object, where: Location) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(a, str) and a for a in value):
        raise InputError("expected a list of non-empty account ids", where)
    return tuple(value)


def _json_risk(value: object, where: Location) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise InputError(f"expected a number in [0, 1], found {value!r}", where)
    return float(value)


def _count(value: object, where: Location) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"expected a non-negative integer, found {value!r}", where)
    return value


def _mapping(value: object, where: Location) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"expected a JSON object, found {type(value).__name__}", where)
    return value


def _parse_time(value: object, where: Location) -> datetime:
    if not isinstance(value, str):
        raise InputError(f"expected an RFC 3339 timestamp, found {value!r}", where)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not an RFC 3339 timestamp", where) from None
    if moment.tzinfo is None:  # RFC 3339 requires an offset; guessing one would shift the campaign
        raise InputError(f"{value!r} has no UTC offset", where)
    return moment.astimezone(UTC)


# --- timeline.csv -----------------------------------------------------------------------------


def write_timeline_csv(rows: Iterable[tuple[str, str, int]], path: Path) -> int:
    """Write timeline.csv, ordered by day then group, and return the number of rows."""
    checked = sorted(_timeline_fields(day, group, requests) for day, group, requests in rows)
    with _replacing(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TIMELINE_COLUMNS)
        writer.writerows(safe_row(r) for r in checked)
    return len(checked)


def _timeline_fields(day: str, group: str, requests: int) -> tuple[str, str, int]:
    if not _is_day(day):
        raise ValueError(f"timeline day {day!r} is not YYYY-MM-DD")
    if not group or requests < 0:
        raise ValueError(f"timeline row ({day}, {group!r}, {requests}) needs a group and a count >= 0")
    return day, group, int(requests)


def _is_day(text: str) -> bool:
    if not _DAY.fullmatch(text):
        return False
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def read_timeline_csv(path: Path) -> list[TimelineRow]:
    """Read and validate timeline.csv."""
    return [_timeline_row(path, line, raw) for line, raw in iter_csv(path, TIMELINE_COLUMNS)]


def _timeline_row(path: Path, line: int, raw: dict[str, str]) -> TimelineRow:
    if not _is_day(raw["day"]):
        raise InputError(f"{raw['day']!r} is not a date YYYY-MM-DD", Location(path, line, "day"))
    if not raw["group"]:
        raise InputError("group is empty", Location(path, line, "group"))
    text = raw["requests"]
    if not text.isascii() or not text.isdigit():
        raise InputError(f"{text!r} is not a non-negative integer", Location(path, line, "requests"))
    return TimelineRow(raw["day"], raw["group"], int(text))


# --- run.json ---------------------------------------------------------------------------------

#: The counts run.json carries; a missing one reads as None ("not recorded"), never as 0.
RUN_COUNTS = ("read", "accepted", "quarantined", "duplicates", "accounts", "campaigns", "suspicious", "distiller")


def read_run_json(path: Path) -> dict[str, Any]:
    """Read run.json, filling every key of the documented shape that the file lacks.

    Runs from older versions, or from other tools writing the same directory
    layout, may lack keys; consumers can index the result without checking.
    """
    data = _load_json(path)
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", Location(path))
    return normalise_run(data)


def normalise_run(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each missing or mistyped top-level key of run.json set to its empty value."""
    empty: dict[str, Any] = {"distillshield": None, "started_at": None, "finished_at": None}
    shapes: dict[str, type] = {"inputs": list, "timings_s": dict, "settings": dict, "versions": dict, "counts": dict}
    run = empty | data
    for key, shape in shapes.items():
        if not isinstance(run.get(key), shape):
            run[key] = shape()
    run["counts"] = dict.fromkeys(RUN_COUNTS) | run["counts"]
    return run
