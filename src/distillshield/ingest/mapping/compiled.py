"""A mapping compiled to DuckDB SQL: whole batches of raw source lines become spec rows without a Python call per
record.

Why: the Python mapper (:class:`~distillshield.ingest.mapping.apply.Mapper`) costs
a JSON parse, a duplicate-key check and a dozen path lookups per record in Python,
three times the whole spec path's ingest time. Here a mapping becomes one query
over the batch's raw lines that gives, per line, the spec fields' JSON types and
texts, exactly what :mod:`distillshield.ingest.bulk` reads from a spec line; the bulk
path's checks and derived columns then run unchanged (:func:`~distillshield.ingest.bulk.fast_rows`).

The query only vouches for a line it can prove the Python mapper maps to the same
spec record; every other line takes the Python mapper, so failures are quarantined
naming the rule exactly as before. It proves:

* the line is strict JSON as orjson reads it: an object, no trailing comma, no
  ``NaN``/``Infinity``/huge exponent (looked for only where a value is a double),
  no ``\\u0000`` or surrogate escapes;
* no key repeats anywhere (orjson keeps the last copy, DuckDB the first; the Python
  path refuses the line): every object in the line is one the mapping reads, whose
  keys are listed and distinct, or a ``messages`` array that the bulk path checks
  key by key; an object or array anywhere else sends the line to Python;
* the same for JSON held in a string (``payload|json``), which also must hold an object;
* each rule's value is one the SQL converts as Python does: strings, integers
  (digits), RFC 3339 or ``strptime`` times away from a time-zone transition, value
  maps and joins of those, SHA-256 with the salt (DuckDB's ``sha256`` is byte-identical
  to ``hashlib``), messages already in the spec's shape.

What is not compiled (the whole mapping then runs in Python, see
:func:`why_not_compiled`): ``records`` (several records per line), ``extra: unmapped``
and ``extra.*`` rules, path steps other than keys and ``|json`` (``[N]``, ``[*]``,
``[k=v]``, ``|any``, ``|plain``, ``$name``), ``|json`` inside JSON held in a string,
``type: json``, ``system`` beside messages, Unix-time formats, ``strptime``
directives beyond ``%Y %m %d %H %M %S %f``, and constants that are not strings or
integers. So the built-in OpenTelemetry, Bedrock and LiteLLM mappings run in Python;
custom gateway schemas like the one in ``bench/bench_mapping.py`` compile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from distillshield.ingest.base import SPEC_FIELDS
from distillshield.ingest.bulk import fast_rows
from distillshield.ingest.mapping.schema import REQUIRED, FieldMapping, Rule

_FIELDS = sorted(SPEC_FIELDS)  # the order bulk's types and texts lists use
_TOKEN = re.compile(r'\.?"((?:[^"\\]|\\.)*)"|\.?([^.\[\]|"]+)|\[([^\]]*)\]|\|([a-z]+)')
#: What DuckDB's parser accepts and orjson does not: a trailing comma, NaN, infinities, huge exponents (the
#: last two only after a ``:``, ``,`` or ``[``; false alarms in text only send the line to Python).
_TRAILING_COMMA = r",[ \t\r\n]*[}\]]"
_NON_FINITE = r"(?i)[:,\[][ \t\r\n]*[-+]?(nan|inf)|[:,\[][ \t\r\n]*-?[0-9][0-9.]*e[+-]?[0-9]{3}"
#: The start of an object with a key: a quote cannot follow ``{`` unescaped inside a string.
_OBJECT_START = r'\{[ \t\r\n]*"'
_MESSAGE_START = '{"role":'
_RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
#: strptime directives compiled, with the text each must match (fixed width: DuckDB and Python read it alike).
_DIRECTIVES = {
    "Y": "[1-9][0-9]{3}",
    "m": "(0[1-9]|1[0-2])",
    "d": "(0[1-9]|[12][0-9]|3[01])",
    "H": "([01][0-9]|2[0-3])",
    "M": "[0-5][0-9]",
    "S": "[0-5][0-9]",
    "f": "[0-9]{6}",
}
#: Hours before a time's hour (and one more after it) checked to carry the same UTC offset: no transition (gap or
#: fold) is near any time in that hour.
_DST_MARGIN_HOURS = 3


class NotCompiled(Exception):
    """A mapping feature the SQL does not compile; the mapping runs in Python."""


def why_not_compiled(mapping: FieldMapping) -> str | None:
    """Why ``mapping`` runs in Python, or None when it compiles."""
    try:
        compile_mapping(mapping, "")
    except NotCompiled as exc:
        return str(exc)
    return None


@dataclass(frozen=True, slots=True)
class CompiledMapping:
    """The bulk query for a batch of raw lines (table ``raw_batch``), and its parameters besides ``source_file``."""

    name: str  # the mapping's
    rows_sql: str
    params: dict[str, str]


def compile_mapping(mapping: FieldMapping, salt: str) -> CompiledMapping:
    """Compile ``mapping``; raises :class:`NotCompiled` naming the feature that stops it."""
    _check_mapping(mapping)
    plan = _Plan()
    values = {rule.target: plan.rule(rule, rule.target in mapping.hashed) for rule in mapping.rules}
    parsed = plan.sql(values)
    params = {"hash_salt": salt} if mapping.hashed else {}
    compiled = CompiledMapping(mapping.name, fast_rows(parsed), params)
    _try(compiled)
    return compiled


def _try(compiled: CompiledMapping) -> None:
    """Run the query once on no lines, so that one DuckDB does not bind leaves the mapping in Python."""
    con = duckdb.connect()
    try:
        con.register("raw_batch", pa.table({"_pos": pa.array([], pa.int64()), "line": pa.array([], pa.int64()),
                                            "raw": pa.array([], pa.string())}))  # fmt: skip
        con.sql(compiled.rows_sql, params={"source_file": "", **compiled.params}).fetchall()
    except duckdb.Error as exc:
        raise NotCompiled(f"the SQL does not run: {exc}") from None
    finally:
        con.close()


def _check_mapping(mapping: FieldMapping) -> None:
    if mapping.records:
        raise NotCompiled("records (several spec records per line)")
    if mapping.extra != "none":
        raise NotCompiled("extra: unmapped (unread keys kept under extra)")
    targets = {r.target for r in mapping.rules}
    if missing := [f for f in REQUIRED if f not in targets]:
        raise NotCompiled(f"no rule maps {missing[0]}")
    for rule in mapping.rules:
        if rule.target.startswith("extra") or rule.target == "extra":
            raise NotCompiled(f"{rule.where}: rules under extra")
        if rule.system is not None:
            raise NotCompiled(f"{rule.where}: system beside messages")
        if rule.type == "json":
            raise NotCompiled(f"{rule.where}: type json")


def _literal(text: str) -> str:
    if "\x00" in text:
        raise NotCompiled("a constant holds a NUL character")
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class _Value:
    """A value in SQL: its JSON type (NULL: missing), its text (a string's own text), and whether it is vouched."""

    type: str
    text: str
    ok: str = "true"


def _constant(value: Any, where: str) -> _Value:
    if isinstance(value, str):
        return _Value(_literal("VARCHAR"), _literal(value))
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return _Value(_literal("BIGINT"), _literal(str(value)))
    raise NotCompiled(f"{where}: a constant that is not a string or an integer ({value!r})")


def _absent(v: _Value) -> str:
    return f"({v.type} IS NULL OR {v.type} = 'NULL' OR ({v.type} = 'VARCHAR' AND {v.text} = ''))"


@dataclass
class _Node:
    """A key path inside a document: its children (it is then an object the mapping reads) and how it is read."""

    children: dict[str, _Node] = field(default_factory=dict)
    leaf: str | None = None  # the column prefix of its value when a rule reads it
    array: bool = False  # a messages array (the bulk path checks its elements key by key)
    doc: _Doc | None = None  # JSON held in this string is read further


@dataclass
class _Doc:
    """A JSON document: the raw line (``d0``), or JSON held in a string of it (``d1``, ...)."""

    name: str
    text: str  # SQL for its text
    root: _Node = field(default_factory=_Node)
    parent_leaf: str | None = None


class _Plan:
    """Collects the paths every rule reads, then writes the query."""

    def __init__(self) -> None:
        self.docs = [_Doc("d0", "raw")]
        self.leaves: list[tuple[_Doc, tuple[str, ...]]] = []
        #: Columns of the value stages, each stage reading the ones before: raw values, times parsed, times
        #: converted, then the spec values.
        self.stages: list[list[str]] = [[], [], [], []]
        #: Local times (a stage 1 column) converted through a time zone once per distinct hour: (name, column,
        #: zone as SQL).
        self.zones: list[tuple[str, str, str]] = []

    # --- paths ---------------------------------------------------------------------------------------------

    def _segments(self, text: str) -> list[list[str]]:
        segments: list[list[str]] = [[]]
        pos = 0
        body = text.strip()
        if body.startswith("$"):
            raise NotCompiled(f"path {text!r}: $name (an enclosing item)")
        while pos < len(body):
            token = _TOKEN.match(body, pos)
            if token is None or token.end() == pos:
                raise NotCompiled(f"path {text!r}")
            quoted, bare, selector, function = token.groups()
            pos = token.end()
            if quoted is not None or bare is not None:
                name = quoted.replace('\\"', '"') if quoted is not None else bare.strip()
                if '"' in name or "\\" in name or "\x00" in name:
                    raise NotCompiled(f"path {text!r}: a key with a quote or backslash")
                segments[-1].append(name)
            elif function == "json":
                segments.append([])
            else:
                raise NotCompiled(f"path {text!r}: {'[' + selector + ']' if selector is not None else '|' + function}")
        if len(segments) > 2:
            raise NotCompiled(f"path {text!r}: |json inside JSON held in a string")
        if any(not s for s in segments):
            raise NotCompiled(f"path {text!r}: |json must be followed by keys")
        return segments

    def path(self, text: str, array: bool = False) -> _Value:
        """The value a source path finds."""
        segments = self._segments(text)
        doc = self.docs[0]
        for i, keys in enumerate(segments):
            node = doc.root
            for key in keys:
                node = node.children.setdefault(key, _Node())
            if node.leaf is None:
                node.leaf = f"v{len(self.leaves)}"
                self.leaves.append((doc, tuple(keys)))
            if i + 1 < len(segments):
                if node.doc is None:
                    node.doc = _Doc(f"d{len(self.docs)}", f"{node.leaf}_s", parent_leaf=node.leaf)
                    self.docs.append(node.doc)
                doc = node.doc
            elif array:
                node.array = True
        return _Value(f"{node.leaf}_t", f"{node.leaf}_s")

    # --- rules ---------------------------------------------------------------------------------------------

    def rule(self, rule: Rule, hashed: bool) -> _Value:
        raw = self._raw(rule)
        value = self._defaulted(rule, raw)
        if rule.value_map:
            value = self._mapped(rule, value)
        value = self._converted(rule, self._column(value, 0))
        if hashed:
            value = _Value(
                value.type,
                f"CASE WHEN {value.type} = 'VARCHAR' THEN sha256($hash_salt || {value.text}) END",
                f"({value.ok} AND ({value.type} IS NULL OR {value.type} = 'VARCHAR'))",
            )
        return self._column(value, 3)

    def _column(self, value: _Value, stage: int) -> _Value:
        """A value as columns of their own, so later expressions name it instead of repeating it."""
        name = self.named(stage, value.type)
        return _Value(name, self.named(stage, value.text), self.named(stage, value.ok))

    def named(self, stage: int, sql: str) -> str:
        """``sql`` as a column of value stage ``stage``; returns its name."""
        name = f"c{sum(len(s) for s in self.stages)}"
        self.stages[stage].append(f"{sql} AS {name}")
        return name

    def zone(self, local: str, zone: str) -> str:
        """The hour table of local times ``local`` in ``zone`` (SQL); returns its name, whose columns are
        ``{name}_shift`` (local to UTC) and ``{name}_ok`` (no time-zone transition near the hour)."""
        name = f"z{len(self.zones)}"
        self.zones.append((name, local, zone))
        return name

    def _raw(self, rule: Rule) -> _Value:
        target_array = rule.target == "messages"
        if rule.sources:
            found = [self.path(p.text, array=target_array) for p in rule.sources]
            if len(found) == 1:
                return found[0]
            types = " ".join(f"WHEN NOT {_absent(v)} THEN {v.type}" for v in found)
            texts = " ".join(f"WHEN NOT {_absent(v)} THEN {v.text}" for v in found)
            return _Value(f"(CASE {types} END)", f"(CASE {texts} END)")
        if rule.join:
            parts = [self.path(p.text) for p in rule.join]
            strings = [f"{p.type} IN ('VARCHAR', 'BIGINT', 'UBIGINT')" for p in parts]
            any_absent = " OR ".join(_absent(p) for p in parts)
            joined = f" || {_literal(rule.sep)} || ".join(p.text for p in parts)
            return _Value(
                f"(CASE WHEN {any_absent} THEN NULL ELSE 'VARCHAR' END)",
                f"(CASE WHEN {any_absent} THEN NULL ELSE {joined} END)",
                f"(({any_absent}) OR ({' AND '.join(strings)}))",
            )
        return _constant(rule.const, rule.where)

    def _defaulted(self, rule: Rule, v: _Value) -> _Value:
        if rule.default is not None:
            d = _constant(rule.default, rule.where)
            absent = _absent(v)
            return _Value(
                f"(CASE WHEN {absent} THEN {d.type} ELSE {v.type} END)",
                f"(CASE WHEN {absent} THEN {d.text} ELSE {v.text} END)",
                v.ok,
            )
        absent = _absent(v)
        ok = f"({v.ok} AND NOT {absent})" if rule.required else v.ok
        return _Value(f"(CASE WHEN {absent} THEN NULL ELSE {v.type} END)", v.text, ok)

    def _mapped(self, rule: Rule, v: _Value) -> _Value:
        pairs = [(key, _constant(value, rule.where)) for key, value in rule.value_map]
        types = " ".join(f"WHEN {_literal(k)} THEN {c.type}" for k, c in pairs)
        texts = " ".join(f"WHEN {_literal(k)} THEN {c.text}" for k, c in pairs)
        # str(value) is the map's key: compiled for strings only (an integer's str() is left to Python).
        return _Value(
            f"(CASE WHEN {v.type} = 'VARCHAR' THEN (CASE {v.text} {types} ELSE {v.type} END) ELSE {v.type} END)",
            f"(CASE WHEN {v.type} = 'VARCHAR' THEN (CASE {v.text} {texts} ELSE {v.text} END) ELSE {v.text} END)",
            f"({v.ok} AND ({v.type} IS NULL OR {v.type} = 'VARCHAR'))",
        )

    def _converted(self, rule: Rule, v: _Value) -> _Value:
        kind = rule.type
        if kind == "timestamp":
            return _timestamp(self, rule, v)
        if kind == "messages":
            return _messages(v)
        if kind == "int":
            digits = f"regexp_full_match({v.text}, '-?[0-9]{{1,18}}')"
            return _Value(
                f"(CASE WHEN {v.type} IS NULL THEN NULL ELSE 'BIGINT' END)",
                f"(CASE WHEN {v.type} = 'VARCHAR' THEN CAST(TRY_CAST({v.text} AS BIGINT) AS VARCHAR)"
                f" ELSE {v.text} END)",
                f"({v.ok} AND ({v.type} IS NULL OR {v.type} IN ('BIGINT', 'UBIGINT')"
                f" OR ({v.type} = 'VARCHAR' AND {digits})))",
            )
        if kind in ("string", "text"):
            allowed = "('VARCHAR', 'BIGINT', 'UBIGINT')" if kind == "string" else "('VARCHAR')"
            return _Value(
                f"(CASE WHEN {v.type} IS NULL THEN NULL ELSE 'VARCHAR' END)",
                v.text,
                f"({v.ok} AND ({v.type} IS NULL OR {v.type} IN {allowed}))",
            )
        if kind == "any":
            # Passed on as found (messages as DuckDB's text of them, which is what the Python path's JSON reads
            # back as); the bulk path declines any type its field does not take and checks messages element by
            # element.
            return v
        raise NotCompiled(f"{rule.where}: type {kind}")

    # --- the query -----------------------------------------------------------------------------------------

    def sql(self, values: dict[str, _Value]) -> str:
        stages: list[str] = []
        last = "raw_batch"
        for doc in self.docs:
            last = self._doc_stages(doc, last, stages)
        last = self._value_stages(last, stages)
        types = ", ".join(values[f].type if f in values else "NULL" for f in _FIELDS)
        texts = ", ".join(values[f].text if f in values else "NULL" for f in _FIELDS)
        oks = " AND ".join(v.ok for v in values.values())
        present = " + ".join(f"CAST({values[f].type} IS NOT NULL AS INTEGER)" for f in _FIELDS if f in values)
        final = f"""
SELECT _pos, line, ['OBJECT', {types}] AS types, [{texts}] AS texts, {present or 0} AS n_keys, plain_text
FROM {last} WHERE coalesce({oks}, false)"""
        return "WITH " + ",\n".join(stages) + final

    def _value_stages(self, source: str, stages: list[str]) -> str:
        """The value stages over the lines that pass the documents' checks; returns the last."""
        last = source
        for i, columns in enumerate(self.stages):
            source = self._zone_join(last, stages) if i == 2 and self.zones else last
            # Materialized where the hour tables read it too: otherwise DuckDB computes its times once per reader.
            materialized = "MATERIALIZED " if i == 1 and self.zones else ""
            where = " WHERE ok_" if i == 0 else ""
            stages.append(
                f"values{i} AS {materialized}(SELECT *, {', '.join(columns or ['0 AS _'])} FROM {source}{where})"
            )
            last = f"values{i}"
        return last

    def _zone_join(self, source: str, stages: list[str]) -> str:
        """Hour tables of the local times in ``source``, and ``source`` joined to them (SQL for a FROM).

        Why per hour: converting each row's time through ICU three times (the time and either side of it) cost
        more than any other rule; a batch holds a few hundred distinct hours against 20,000 rows. Where no
        transition is near the hour (the same UTC offset 3 hours before it, at it, and 4 hours after it), every
        time in it has that offset, and both ICU and zoneinfo convert it by that shift.
        """
        joins = source
        margin, after = f"INTERVAL {_DST_MARGIN_HOURS} HOUR", f"INTERVAL {_DST_MARGIN_HOURS + 1} HOUR"
        for name, local, zone in self.zones:
            at = f"timezone({zone}, h)"
            same_offset = (
                f"{at} - timezone({zone}, h - {margin}) = {margin} AND timezone({zone}, h + {after}) - {at} = {after}"
            )
            stages.append(
                f"{name} AS (SELECT h AS {name}_h, timezone('UTC', {at}) - h AS {name}_shift, {same_offset} AS"
                f" {name}_ok FROM (SELECT DISTINCT date_trunc('hour', {local}) AS h FROM {source}"
                f" WHERE {local} IS NOT NULL))"
            )
            joins += f" LEFT JOIN {name} ON date_trunc('hour', {local}) = {name}_h"
        return joins

    def _doc_stages(self, doc: _Doc, source: str, stages: list[str]) -> str:
        """Stages that read ``doc``: its lists (types, strings, keys), then its leaves and checks; returns the last.

        Three parses per document, as the spec path makes per line: the types and the strings of every leaf
        read, and the keys of every object on the way to them. When every key is one the mapping reads, every
        value is typed by those lists; only otherwise are the slower text checks run (objects with keys
        counted, non-finite numbers looked for), and only on that line.
        """
        n = doc.name
        objects: list[tuple[tuple[str, ...], _Node]] = []
        _walk(doc.root, (), objects)
        leaves = [keys for d, keys in self.leaves if d is doc]
        if doc.parent_leaf is None:
            text, first = (
                "raw",
                (
                    f"SELECT _pos, line, raw, NOT regexp_matches(raw, '\\\\u(0000|[dD][89a-fA-F])') AS plain_text"
                    f" FROM {source} WHERE NOT regexp_matches(raw, '{_TRAILING_COMMA}')"
                ),
            )
        else:
            parent = doc.parent_leaf
            text = f"{n}_text"
            first = f"SELECT *, CASE WHEN {parent}_t = 'VARCHAR' THEN {parent}_s END AS {text} FROM {source}"
        paths = ", ".join(_json_path(k) for k in leaves)
        objects_at = ", ".join(_json_path(k) for k, _ in objects)
        lists = [
            f"TRY(json_type({text}, ['$', {paths}])) AS {n}_ty",
            f"TRY(json_extract_string({text}, [{paths}])) AS {n}_s",
            f"TRY(json_keys({text}, [{objects_at}])) AS {n}_k",
        ]
        stages.append(f"{n}a AS (SELECT *, {', '.join(lists)} FROM ({first}))")
        leaf_cols, elements = [], []
        for i, keys in enumerate(leaves, start=1):
            node = _find(doc.root, keys)
            leaf_cols += [f"{n}_ty[{i + 1}] AS {node.leaf}_t", f"{n}_s[{i}] AS {node.leaf}_s"]
            if node.array:
                count = _count(f"{n}_s[{i}]", _MESSAGE_START)
                elements.append(f"CASE WHEN {n}_ty[{i + 1}] = 'ARRAY' THEN {count} ELSE 0 END")
        distinct, known = [], []
        for i, (_, node) in enumerate(objects, start=1):
            listed = f"{n}_k[{i}]"
            distinct.append(f"len({listed}) = len(list_distinct({listed}))")
            # Each name the mapping knows counts once at most: the sum equals the number of keys exactly when
            # every key is known and none repeats.
            found = " + ".join(f"CAST(list_contains({listed}, {_literal(k)}) AS INTEGER)" for k in node.children)
            known.append(f"coalesce(len({listed}) = {found or 0}, true)")
        nonempty = " + ".join(f"CAST(len({n}_k[{i}]) > 0 AS INTEGER)" for i in range(1, len(objects) + 1))
        # Fast: every key is one the mapping reads, so every value is typed by the lists, and no double is among
        # them. Otherwise every object with a key must be one the mapping reads (with distinct keys) or a message
        # (whose keys the bulk path checks), counted in the text, so no repeated key can hide; and numbers are
        # looked at.
        objects_counted = f"len(regexp_extract_all({text}, '{_OBJECT_START}')) = {' + '.join([nonempty, *elements])}"
        fast = f"{' AND '.join(known)} AND NOT list_contains({n}_ty, 'DOUBLE')"
        slow = f"{' AND '.join(distinct)} AND {objects_counted} AND NOT regexp_matches({text}, '{_NON_FINITE}')"
        ok = f"coalesce({n}_ty[1] = 'OBJECT' AND CASE WHEN {fast} THEN true ELSE {slow} END, false)"
        drop = [f"{n}_ty", f"{n}_s", f"{n}_k", text]
        if doc.parent_leaf is not None:
            parent = doc.parent_leaf
            # Python reads a missing, null or other non-text value as no document (an object it would read on).
            ok = (
                f"ok_ AND (coalesce({parent}_t, 'NULL') NOT IN ('VARCHAR', 'OBJECT')"
                f" OR ({parent}_t = 'VARCHAR' AND NOT regexp_matches({text}, '{_TRAILING_COMMA}') AND {ok}))"
            )
            drop.append("ok_")
        columns = ", ".join([*leaf_cols, f"{ok} AS ok_"])
        stages.append(f"{n}b AS (SELECT * EXCLUDE ({', '.join(drop)}), {columns} FROM {n}a)")
        return f"{n}b"


def _walk(node: _Node, keys: tuple[str, ...], out: list[tuple[tuple[str, ...], _Node]]) -> None:
    if node.children or not keys:
        out.append((keys, node))
    for key, child in node.children.items():
        _walk(child, (*keys, key), out)


def _find(node: _Node, keys: tuple[str, ...]) -> _Node:
    for key in keys:
        node = node.children[key]
    return node


def _json_path(keys: tuple[str, ...]) -> str:
    return _literal("$" + "".join(f'."{k}"' for k in keys))


def _timestamp(plan: _Plan, rule: Rule, v: _Value) -> _Value:
    fmt, zone = _timestamp_format(rule)
    text_ok = f"({v.type} IS NULL OR ({v.type} = 'VARCHAR' AND regexp_matches({v.text}, '{_RFC3339}')))"
    if fmt == "iso":
        return _Value(f"(CASE WHEN {v.type} IS NULL THEN NULL ELSE 'VARCHAR' END)", v.text, f"({v.ok} AND {text_ok})")
    pattern, duck = fmt
    matches = f"regexp_full_match({v.text}, {_literal(pattern)})"
    parsed = f"TRY(strptime({v.text}, {_literal(duck)}))"
    local = plan.named(1, f"CASE WHEN {v.type} = 'VARCHAR' AND {matches} THEN {parsed} END")
    if zone == "UTC":
        utc, near = local, "true"
    else:
        # Looked up by the time's hour: no gap or fold is near it, where zoneinfo and ICU could choose differently.
        hours = plan.zone(local, _literal(zone))
        utc, near = f"({local} + {hours}_shift)", f"coalesce({hours}_ok, false)"
    return _Value(
        f"(CASE WHEN {v.type} IS NULL THEN NULL ELSE 'VARCHAR' END)",
        f"strftime({utc}, '%Y-%m-%dT%H:%M:%S.%fZ')",
        f"({v.ok} AND ({v.type} IS NULL OR ({local} IS NOT NULL AND {near})))",
    )


def _timestamp_format(rule: Rule) -> tuple[Any, str]:
    fmt, zone = _rule_format(rule)
    if fmt == "iso":
        return "iso", zone
    if fmt.startswith("unix"):
        raise NotCompiled(f"{rule.where}: format {fmt}")
    if not zone:
        raise NotCompiled(f"{rule.where}: a strptime format with no timezone")
    pattern, pos = "", 0
    while pos < len(fmt):
        char = fmt[pos]
        if char == "%":
            directive = fmt[pos + 1 : pos + 2]
            if directive not in _DIRECTIVES:
                raise NotCompiled(f"{rule.where}: strptime directive %{directive}")
            pattern += _DIRECTIVES[directive]
            pos += 2
            continue
        if char.isspace() and char != " ":
            raise NotCompiled(f"{rule.where}: whitespace other than a space in the format")
        # Python matches a space as any run of whitespace and letters in any case: the text must have them as
        # written, where both parsers agree.
        pattern += re.escape(char)
        pos += 1
    return (pattern, fmt), zone


def _rule_format(rule: Rule) -> tuple[str, str]:
    """The format and time zone a timestamp rule was loaded with ("UTC" for any spelling of it)."""
    zone = rule.time_zone or ""
    if zone.upper() == "UTC":
        return rule.time_format or "iso", "UTC"
    if zone:
        try:
            duckdb.execute(f"SELECT timezone({_literal(zone)}, TIMESTAMP '2020-01-01')").fetchall()
        except duckdb.Error:
            raise NotCompiled(f"{rule.where}: time zone {zone!r} unknown to DuckDB") from None
    return rule.time_format or "iso", zone


def _messages(v: _Value) -> _Value:
    """Messages already in the spec's shape, role before content and no null content, pass as they are; the bulk
    path checks every element (an object with exactly a string role and a string content)."""
    text = v.text
    role_first = _count(text, '{"role":')
    roles = _count(text, '"role":')
    no_null = f"NOT contains({text}, '\"content\":null')"
    return _Value(
        f"(CASE WHEN {v.type} IS NULL THEN NULL ELSE 'ARRAY' END)",
        text,
        f"({v.ok} AND ({v.type} IS NULL OR ({v.type} = 'ARRAY' AND {role_first} = {roles} AND {no_null})))",
    )


def _count(text: str, needle: str) -> str:
    """How many times ``needle`` occurs in ``text`` (SQL)."""
    return f"((len({text}) - len(replace({text}, {_literal(needle)}, ''))) // {len(needle)})"
