"""The watch stage: follow traffic logs or a Redis stream and keep the verdicts up to date.

Conventions: everything ``watch`` knows lives in one DuckDB state database
(``STATE/watch.duckdb``): the ingested ``requests`` (scan's table, written by
ingest's store, which deduplicates by request_id), the quarantine, and each
source's checkpoint, written in the same transaction as the rows it covers. A
verdict update recomputes scan's features and detection over every row, so the
output files equal what a batch scan of the same records writes.
"""

from __future__ import annotations

from distillshield.watch.files import FileSource
from distillshield.watch.run import Update, WatchOptions, run_watch
from distillshield.watch.stream import RedisStreamSource, StreamAddress, parse_stream_url
from distillshield.watch.verdicts import Detection

__all__ = [
    "Detection",
    "FileSource",
    "RedisStreamSource",
    "StreamAddress",
    "Update",
    "WatchOptions",
    "parse_stream_url",
    "run_watch",
]
