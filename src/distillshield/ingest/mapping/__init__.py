"""Declarative field mappings: any JSON Lines, Parquet or CSV log schema onto traffic-log spec v1.

Conventions: a mapping is a YAML file loaded into frozen dataclasses
(:class:`FieldMapping`), checked before any record is read, with errors naming the
file, line and key; :class:`Mapper` turns each decoded source record into spec
records, or into a :class:`~distillshield.errors.RecordError` naming the mapping rule
that failed; the spec records then go through the same validation as a spec log.
Built-in mappings (``litellm``, ``otel-genai``, ``bedrock``) ship as YAML beside this
module, are chosen by name or sniffed from a file's first record, and load exactly
like a user's file.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import orjson

from distillshield.errors import InputError, Location
from distillshield.ingest.mapping.apply import Mapper, Outcome
from distillshield.ingest.mapping.schema import FieldMapping, Rule, load_mapping
from distillshield.ingest.readers import first_line

#: Built-in mappings, in the order they are tried when sniffing.
BUILTINS = ("otel-genai", "bedrock", "litellm")

__all__ = [
    "BUILTINS",
    "FieldMapping",
    "Mapper",
    "Outcome",
    "Rule",
    "builtin_mapping",
    "load_mapping",
    "resolve_mapping",
    "sniff_mapping",
]


@cache
def builtin_mapping(name: str) -> FieldMapping:
    """A shipped mapping by name."""
    if name not in BUILTINS:
        raise InputError(f"no built-in mapping {name!r}; built-in: {', '.join(BUILTINS)}", Location(Path(name)))
    with resources.as_file(resources.files(__package__) / "builtin" / f"{name}.yaml") as path:
        return load_mapping(path, source=f"builtin:{name}")


def resolve_mapping(text: str | Path) -> FieldMapping:
    """``--mapping``: a built-in's name, or the path of a mapping file."""
    if str(text) in BUILTINS:
        return builtin_mapping(str(text))
    path = Path(text)
    if not path.exists():
        raise InputError(f"no mapping file, and not a built-in mapping ({', '.join(BUILTINS)})", Location(path))
    return load_mapping(path)


def sniff_mapping(path: Path) -> FieldMapping | None:
    """The built-in mapping whose signature the file's first JSON record carries, if any."""
    keys = _first_keys(path)
    if not keys:
        return None
    for name in BUILTINS:
        mapping = builtin_mapping(name)
        if mapping.sniffs(keys):
            return mapping
    return None


def _first_keys(path: Path) -> set[str]:
    try:
        record = orjson.loads(first_line(path))
    except orjson.JSONDecodeError:
        return set()
    return set(record) if isinstance(record, dict) else set()
