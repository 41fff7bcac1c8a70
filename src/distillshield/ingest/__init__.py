"""The ingest stage: API traffic logs to rows of the DuckDB ``requests`` table.

Conventions: every format (spec JSON Lines plain or gzip, Parquet, LiteLLM
spend logs as JSON Lines or CSV) is sniffed from its bytes and read in bounded
blocks; every record passes the same spec validation (:func:`base.to_row`);
every rejected record goes to the quarantine file with its raw bytes, file,
line, field and reason; ``read == accepted + quarantined`` always holds;
re-ingesting a stored request is a counted no-op.
"""

from __future__ import annotations

from distillshield.ingest.quarantine import QuarantineWriter
from distillshield.ingest.run import FileStats, IngestStats, expand_inputs, ingest_file, ingest_paths

__all__ = ["FileStats", "IngestStats", "QuarantineWriter", "expand_inputs", "ingest_file", "ingest_paths"]
