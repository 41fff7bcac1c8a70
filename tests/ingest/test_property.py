"""Property: whatever bytes or JSON a log holds, ingest never raises and accounts for every record."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest.helpers import record, run

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1])  # just past the 32- and 64-bit columns
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
spec_keys = st.sampled_from(["request_id", "ts", "account_id", "model", "messages", "prompt", "asn", "extra", "status"])


@st.composite
def near_valid_records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record with some fields replaced by arbitrary JSON: the inputs most likely to slip through."""
    base = record(draw(st.integers(0, 5)))
    for key in draw(st.lists(spec_keys, max_size=3)):
        base[key] = draw(json_values)
    return base


def _check(lines: list[bytes], compress: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = b"\n".join(lines)
        path = Path(tmp) / "log"
        path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
        run([path], Path(tmp))  # asserts read == accepted + quarantined == quarantine lines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=200), max_size=6), st.booleans())
def test_random_bytes(lines: list[bytes], compress: bool) -> None:
    _check(lines, compress)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values | near_valid_records(), max_size=6))
def test_random_json(values: list[Any]) -> None:
    _check([orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS) for v in values if _encodable(v)], False)


def _encodable(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True
