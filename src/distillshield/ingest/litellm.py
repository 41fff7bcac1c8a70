"""LiteLLM spend logs (the ``LiteLLM_SpendLogs`` table exported as JSON Lines or CSV).

The mapping onto traffic-log spec v1 is the built-in field mapping
``ingest/mapping/builtin/litellm.yaml`` (see docs/input.md), read by the same
mechanism as any user's mapping; this module keeps the signature the readers sniff
and a one-record entry point for the Spark reader.
"""

from __future__ import annotations

from typing import Any

#: Columns that identify a LiteLLM spend-log export (a header or a first record having them).
SIGNATURE = frozenset({"request_id", "startTime"})


def from_litellm(row: dict[str, Any]) -> dict[str, Any]:
    """A spec record from one spend-log row (raises RecordError naming the mapping rule); to_row validates it."""
    # Imported here: the mapping package reads files through the readers, which import SIGNATURE from here.
    from distillshield.ingest.mapping import Mapper, builtin_mapping

    return Mapper(builtin_mapping("litellm")).map_one(row)
