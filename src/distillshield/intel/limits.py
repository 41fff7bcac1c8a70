"""Checks on partner STIX before anything stores or matches it: identifier grammar, size and nesting caps.

Partners are trusted to share, not trusted to be well-formed. The object ``type`` and ``id``
become directory and file names in the local store, so both are checked against the STIX 2.1
grammar (section 2.9 "Identifier" and 3.1 "type" property: lowercase ASCII letters, digits and
hyphens, 3-250 characters, no ``--``; an id is ``type--`` plus a UUID) before the store sees them,
the way the OASIS ``stix2-validator`` checks them. Bundles and patterns are capped in size and
nesting so that neither the JSON decoder nor the pattern parser (both recursive) can be driven
into a RecursionError or unbounded memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from distillshield.errors import InputError, Location

#: A STIX 2.1 object type: 3-250 of a-z, 0-9, '-', not starting or ending with '-' (and no '--', checked apart).
TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: Largest bundle file or TAXII envelope accepted (bytes).
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: Most objects in one bundle.
MAX_OBJECTS = 100_000
#: Deepest JSON nesting in a bundle (STIX objects need well under 20).
MAX_DEPTH = 64
#: Longest indicator pattern (characters).
MAX_PATTERN_CHARS = 16 * 1024
#: Deepest parenthesis or bracket nesting in a pattern.
MAX_PATTERN_NESTING = 32
#: Most comparison expressions (AND/OR terms) in one pattern.
MAX_PATTERN_TERMS = 512


def identifier_problem(obj: Mapping[str, Any]) -> str | None:
    """Why ``obj``'s ``type`` or ``id`` breaks the STIX 2.1 grammar, or None when both are valid."""
    stix_type, stix_id = obj.get("type"), obj.get("id")
    if not isinstance(stix_type, str) or not TYPE_RE.match(stix_type) or "--" in stix_type:
        return f"type {str(stix_type)[:80]!r} is not a STIX 2.1 type (a-z, 0-9, '-', 3-250 characters, no '--')"
    if not isinstance(stix_id, str):
        return "id must be a string"
    prefix, sep, uuid = stix_id.partition("--")
    if not sep or prefix != stix_type or not _UUID_RE.match(uuid):
        return f"id {stix_id[:120]!r} is not {stix_type}--<UUID>"
    return None


def depth_problem(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """Why ``data`` nests deeper than ``limit``, found without recursion, or None."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return f"nested deeper than {limit} levels"
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return None


def load_bundle(raw: bytes | str, where: Location) -> Any:
    """Decode a bundle's JSON within the size and depth caps; every failure is an :class:`InputError`."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise InputError(f"bundle larger than {MAX_BUNDLE_BYTES} bytes", where)
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise InputError(f"nested deeper than {MAX_DEPTH} levels", where) from exc
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", where) from exc
    problem = depth_problem(data)
    if problem:
        raise InputError(problem, where)
    return data


def pattern_problem(pattern: object) -> str | None:
    """Why a STIX pattern is too large or too deeply nested to parse safely, or None."""
    if not isinstance(pattern, str):
        return "pattern must be a string"
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"pattern longer than {MAX_PATTERN_CHARS} characters"
    depth = deepest = terms = 0
    quoted = False
    for char in pattern:
        if char == "'":
            quoted = not quoted  # an escaped quote toggles twice; only nesting outside strings matters
        elif quoted:
            continue
        elif char in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]":
            depth -= 1
        elif char in "=<>":
            terms += 1
    if deepest > MAX_PATTERN_NESTING:
        return f"pattern nested deeper than {MAX_PATTERN_NESTING} levels"
    if terms > MAX_PATTERN_TERMS:
        return f"pattern has more than {MAX_PATTERN_TERMS} comparisons"
    return None
