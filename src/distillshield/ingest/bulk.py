"""Validate and convert whole batches of spec JSON lines in DuckDB instead of one record at a time in Python.

Why: the per-record Python validator (:func:`distillshield.ingest.base.to_row`) costs
about 60 µs a record, which made ingest the slowest stage of a scan by far. DuckDB
parses and checks a batch of lines on all cores at a few µs a record.

The SQL here accepts a line only when it can prove that ``to_row`` would accept it
and produce the same row: every field present has the plain JSON type the spec
asks for, timestamps are RFC 3339 text in its strict form or Unix seconds, message contents are strings, and
there are no fields outside the spec. Every other line (loose timestamp spellings,
content-part lists, unknown fields, anything invalid) falls back to ``to_row``,
which either accepts it or rejects it with the usual message naming the field. So
the fallback keeps every error message and rule in one place, and this module is
only ever a faster way to the same rows; a test checks that both paths agree.

DuckDB's parser accepts a little more than JSON does (``NaN``, ``Infinity``, huge
exponents, trailing commas); a line where any of those could occur, even inside a
string, takes the fallback, where orjson is strict. Trailing commas vanish in
parsing, so they are looked for in the raw line. Non-finite and overflowing numbers
keep their spelling when DuckDB writes a parsed value back as text, and every
top-level field has a checked type that rejects them, so they are looked for only
in the text of ``extra`` and ``messages``, which is a third of a typical line: the
whole-line search had cost more than the JSON parse itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import orjson

from distillshield.ingest.base import OPTIONAL_INTS, OPTIONAL_STRINGS, SPEC_FIELDS, STATUS_RANGE, SYSTEM_ROLES

#: Strict RFC 3339 with an offset and at most microseconds, which Python's fromisoformat and DuckDB's
#: TIMESTAMPTZ cast read identically. Other spellings (a space for T, numeric seconds) take the fallback.
_RFC3339 = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_MAX_SECONDS = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp())


#: The spec's fields in a fixed order: one JSON parse per line reads all their types and texts as lists.
_FIELDS = sorted(SPEC_FIELDS)
_PATHS = "[" + ", ".join(f"'$.\"{f}\"'" for f in _FIELDS) + "]"


def _sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in sorted(values)) + "]"


def _type(field: str) -> str:
    return f"types[{_FIELDS.index(field) + 2}]"  # types[1] is the whole line's


def _text(field: str) -> str:
    return f"texts[{_FIELDS.index(field) + 1}]"


def _is_absent(field: str) -> str:
    """A missing key and a JSON null are both absent to to_row."""
    return f"coalesce({_type(field)}, 'NULL') = 'NULL'"


def _string_ok(field: str) -> str:
    return f"({_is_absent(field)} OR {_type(field)} = 'VARCHAR')"


def _string(field: str) -> str:
    return f"CASE WHEN {_type(field)} = 'VARCHAR' THEN {_text(field)} END"


def _int_ok(field: str) -> str:
    # Non-negative integers are UBIGINT to DuckDB; those beyond 64-bit signed take the fallback's error.
    return (
        f"({_is_absent(field)} OR ({_type(field)} IN ('BIGINT', 'UBIGINT')"
        f" AND TRY_CAST({_text(field)} AS BIGINT) IS NOT NULL))"
    )


def _int(field: str) -> str:
    return f"TRY_CAST({_text(field)} AS BIGINT)"


def _timestamp(field: str) -> str:
    """RFC 3339 text, or Unix seconds rounded to microseconds half-to-even as Python's fromtimestamp does."""
    seconds = f"TRY_CAST({_text(field)} AS DOUBLE)"
    micros = (
        f"CAST(floor({seconds}) AS BIGINT) * 1000000"
        f" + CAST(round_even(({seconds} - floor({seconds})) * 1e6, 0) AS BIGINT)"
    )
    return (
        f"CASE WHEN {_type(field)} = 'VARCHAR' AND regexp_full_match({_text(field)}, '{_RFC3339}')"
        f" THEN TRY_CAST({_text(field)} AS TIMESTAMPTZ) AT TIME ZONE 'UTC'"
        f" WHEN {_type(field)} IN ('DOUBLE', 'BIGINT', 'UBIGINT') AND {seconds} >= 0 AND {seconds} < {_MAX_SECONDS}"
        f" THEN make_timestamp({micros}) END"
    )


def _timestamp_ok(value: str) -> str:
    return f"({value} IS NOT NULL AND year({value}) BETWEEN 1970 AND 2199)"


def _count(text: str, needle: str) -> str:
    """How many times ``needle`` occurs in ``text`` (non-overlapping, as a regex would find them; none of the
    needles here can overlap itself), without building the list of matches that regexp_extract_all does."""
    return f"((strlen({text}) - strlen(replace({text}, '{needle}', ''))) // {len(needle.encode())})"


#: Messages the bulk path takes: objects, each with a string role and a string or null content. JSON path
#: wildcards skip elements that lack the key, so equal lengths prove that every message has both; and as many
#: ``"role":`` and ``"content":`` in DuckDB's compact text as messages, and twice as many ``":`` in all, prove
#: that neither repeats and that no message has another key (a repeated key would be read differently by
#: different parsers, and DuckDB keeps both copies; the fallback checks messages with more keys and names a
#: repeated one).
_MESSAGES_OK = f"""(
  list_has_all(['OBJECT'], element_types) AND list_has_all(['VARCHAR'], role_types)
  AND list_has_all(['VARCHAR', 'NULL'], content_types)
  AND len(role_types) = len(element_types) AND len(content_types) = len(element_types)
  AND {_count("messages", '"content":')} = len(element_types)
  AND {_count("messages", '"role":')} = len(element_types)
  AND {_count("messages", '":')} = 2 * len(element_types))"""
#: One parse of the messages array per list: element, role and content types, then roles and contents.
_MESSAGE_LISTS = """
  json_type(messages, '$[*]') AS element_types, json_type(messages, '$[*].role') AS role_types,
  json_type(messages, '$[*].content') AS content_types, json_extract_string(messages, '$[*].role') AS roles,
  json_extract_string(messages, '$[*].content') AS raw_contents"""
_SYSTEM_ROLES = _sql_list(SYSTEM_ROLES)


#: What DuckDB's lenient JSON parser accepts and strict JSON does not (false alarms only cost speed): a trailing
#: comma, looked for in the raw line, and NaN, infinities or exponents of three digits as values, looked for in the
#: compact text DuckDB writes back for ``extra`` and ``messages`` (no whitespace between tokens there).
_TRAILING_COMMA = r",\s*[}\]]"
_NON_FINITE = r"(?i)[:,\[][-+]?(nan|inf)|[:,\[]-?[0-9][0-9.]*e[+-]?[0-9]{3}"


def _parsed_sql() -> str:
    # TRY: a line DuckDB cannot parse at all gets no types and is left to the fallback, in the same pass.
    return f"""
SELECT _pos, line, types, json_extract_string(raw, {_PATHS}) AS texts, len(json_keys(raw)) AS n_keys,
       NOT regexp_matches(raw, '\\\\u(0000|[dD][89a-fA-F])') AS plain_text
FROM (SELECT *, TRY(json_type(raw, ['$', {_PATHS[1:-1]}])) AS types FROM raw_batch
      WHERE NOT regexp_matches(raw, '{_TRAILING_COMMA}'))
WHERE types[1] = 'OBJECT'
"""


def _flat_distinct_keys(text: str) -> str:
    """As many ``":`` in DuckDB's compact text of an object as distinct keys: no key repeats at any depth.

    DuckDB keeps both copies of a repeated key, where the fallback rejects the line; nested objects (and a
    ``":`` inside a string) make the count larger, so those take the fallback too, which checks them.
    """
    # TRY: the conjunction is not short-circuited, so this also meets texts that are not objects.
    keys = _count(text, '":')
    return f"coalesce({keys} = len(list_distinct(TRY(json_keys({text})))), false)"


def _fields_sql() -> str:
    strings = ", ".join(f"{_string(f)} AS {f}" for f in OPTIONAL_STRINGS)
    ints = ", ".join(f"{_int(f)} AS {f}" for f in OPTIONAL_INTS)
    checks = " AND ".join(
        [_string_ok(f) for f in OPTIONAL_STRINGS] + [_int_ok(f) for f in OPTIONAL_INTS] + [_string_ok("prompt")]
    )
    present = "len(list_filter(types, lambda t: t IS NOT NULL)) - 1"
    return f"""
SELECT _pos, line,
  plain_text AND n_keys = {present} AND {checks}
    AND NOT regexp_matches(coalesce({_text("extra")}, '') || coalesce({_text("messages")}, ''), '{_NON_FINITE}')
    AND {_type("request_id")} = 'VARCHAR' AND {_type("account_id")} = 'VARCHAR' AND {_type("model")} = 'VARCHAR'
    AND ({_is_absent("extra")} OR ({_type("extra")} = 'OBJECT' AND {_flat_distinct_keys(_text("extra"))}))
    AND ({_is_absent("messages")} OR ({_type("messages")} = 'ARRAY' AND {_MESSAGES_OK}))
    AND NOT ({_is_absent("messages")} AND {_is_absent("prompt")}) AS typed,
  {_text("request_id")} AS request_id, {_timestamp("ts")} AS ts, {_text("account_id")} AS account_id,
  {_timestamp("account_created_at")} AS account_created_at, {_is_absent("account_created_at")} AS no_created,
  {_text("model")} AS model, {_string("prompt")} AS prompt, {strings}, {ints},
  CASE WHEN {_type("extra")} = 'OBJECT' AND {_text("extra")} <> '{{}}' THEN {_text("extra")} END AS extra,
  messages, roles, list_transform(raw_contents, lambda c: coalesce(c, '')) AS contents
FROM (SELECT *, {_MESSAGE_LISTS} FROM (
      SELECT *, CASE WHEN {_type("messages")} = 'ARRAY' THEN {_text("messages")} END AS messages FROM parsed))
"""


def _derived_sql() -> str:
    system = f"list_where(contents, list_transform(roles, lambda r: list_contains({_SYSTEM_ROLES}, r)))"
    users = "list_where(contents, list_transform(roles, lambda r: r = 'user'))"
    return f"""
SELECT *, coalesce(array_to_string({system}, chr(10)), '') AS system_prompt, {users} AS user_turns FROM fields
WHERE typed AND {_timestamp_ok("ts")} AND {_visible("request_id")} AND {_visible("account_id")}
  AND {_not_negative(_COUNTS)}
  AND (no_created OR {_timestamp_ok("account_created_at")})
  AND (status IS NULL OR status BETWEEN {STATUS_RANGE[0]} AND {STATUS_RANGE[1]})
"""


#: Counts that cannot be negative (the fallback names the field when one is).
_COUNTS = ("asn", "prompt_tokens", "completion_tokens", "reasoning_tokens", "tool_calls")


def _visible(column: str) -> str:
    # A printable ASCII character proves the id is not empty or whitespace; other ids take the fallback,
    # whose str.strip() knows every Unicode space.
    return f"regexp_matches({column}, '[!-~]')"


def _not_negative(columns: Iterable[str]) -> str:
    return " AND ".join(f"coalesce({c}, 0) >= 0" for c in columns)


def fast_rows(parsed: str) -> str:
    """The accepted lines as requests rows with their batch position first (content_hash is left to the store).

    ``parsed`` is a query giving ``_pos, line, types, texts, n_keys, plain_text`` per line as
    :func:`_parsed_sql` does for spec lines (a compiled field mapping gives the same columns for its source
    lines, see :mod:`distillshield.ingest.mapping.compiled`); the checks and derived columns after it are
    the same for both. The query needs the parameter ``$source_file``.
    """
    return f"""
WITH parsed AS MATERIALIZED ({parsed}),
fields AS MATERIALIZED ({_fields_sql()}),
accepted AS MATERIALIZED ({_derived_sql()})
SELECT _pos, request_id, ts, account_id, api_key_id, user_id, ip, user_agent, asn, payment_fingerprint,
       email_domain, account_created_at, model,
       messages,
       prompt, response, reasoning, prompt_tokens, completion_tokens, reasoning_tokens, tool_calls,
       CAST(coalesce(status, 200) AS INTEGER) AS status, extra, system_prompt,
       CASE WHEN messages IS NULL OR (coalesce(user_turns[-1], '') = '' AND coalesce(prompt, '') <> '')
            THEN coalesce(prompt, '') ELSE coalesce(user_turns[-1], '') END AS user_prompt,
       CAST(coalesce(len(roles), 0) AS INTEGER) AS n_messages,
       CAST(coalesce(len(user_turns), 0) AS INTEGER) AS n_user_turns,
       NULL AS content_hash, $source_file AS source_file, line AS source_line
FROM accepted
"""


#: The spec lines accepted: expects a table ``raw_batch(_pos BIGINT, line BIGINT, raw VARCHAR)`` of lines, and
#: the parameter ``$source_file``.
FAST_ROWS = fast_rows(_parsed_sql())


#: Nested spec fields a Parquet file may store as JSON text, with the character that opens their JSON value.
_JSON_TEXT_COLUMNS = {"messages": "[", "extra": "{"}


def json_lines_sql(columns: Iterable[tuple[str, bool]]) -> str:
    """SQL for each row of the registered table ``parquet_rows`` as a JSON line, as the per-row path reads it.

    ``columns``: (name, holds text). Null columns are left out, as the per-row path drops them; a ``messages``
    or ``extra`` text that opens like its JSON value and parses is spliced in verbatim, so the bulk path's
    checks of lenient JSON see it as written, and a value the bulk path declines goes to the per-row path
    with the original row.
    """
    pieces = []
    for name, text in columns:
        column = '"' + name.replace('"', '""') + '"'
        key = "'" + orjson.dumps(name).decode().replace("'", "''") + ":'"
        value = f"CAST(to_json({column}) AS VARCHAR)"
        opener = _JSON_TEXT_COLUMNS.get(name)
        if text and opener is not None:
            value = f"CASE WHEN left({column}, 1) = '{opener}' AND json_valid({column}) THEN {column} ELSE {value} END"
        pieces.append(f"{key} || {value}")
    return "SELECT '{' || concat_ws(',', " + ", ".join(pieces) + ") || '}' AS raw FROM parquet_rows"
